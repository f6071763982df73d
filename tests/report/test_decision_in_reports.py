"""Every report shows the confidence, every point of the leaders' scores, how a tie was
ordered and the question that separates it, and the routes unknown facts could open."""

from __future__ import annotations

import json

import pytest

import formselect as fs
from formselect.report import render

TIE = {"service": {"parent_body": "council", "categories": ["children_and_youth"]}}


@pytest.fixture(scope="module")
def tie() -> fs.Advice:
    return fs.advise(TIE, as_of="2014-06-01")


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_reports_show_confidence_tie_and_question(tie: fs.Advice, fmt: str) -> None:
    assert tie.tie_break is not None
    assert tie.tie_break.question is not None
    assert tie.confidence is not None
    report = render(tie, fmt, "summary")
    assert "Confidence" in report
    assert "how common each form is" in report
    assert tie.tie_break.question.question.replace("'", "&#x27;") in report \
        or tie.tie_break.question.question in report


def test_json_carries_confidence_tie_break_points_and_conditional_routes(tie: fs.Advice
                                                                        ) -> None:
    data = json.loads(render(tie, "json", "summary"))
    assert data["confidence"]["level"] == "low"
    assert data["tie_break"]["by"] == "prior"
    assert data["tie_break"]["chosen"] == data["recommended"]
    assert all("points" in row and "prior_rank" in row for row in data["ranking"])
    assert "conditional" in data["procurement"]


def test_text_report_lists_each_point_with_the_property_it_matched() -> None:
    advice = fs.advise({"service": {"origin_programme": "right_to_request",
                                    "parent_body": "nhs_commissioner",
                                    "nhs_health_care": True},
                        "ownership": {"staff_hold_shares": True}}, as_of="2010-06-01")
    text = render(advice, "text", "summary")
    assert "+3 [PF-11]" in text
    assert "public-benefit oversight: cic regulator" in text
