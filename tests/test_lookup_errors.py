"""Looking up a rule, form, route or fact by a wrong name: a FormselectError that suggests."""

from __future__ import annotations

from pathlib import Path

import pytest

import formselect as fs
from formselect.errors import UnknownNameError, did_you_mean

EPIC = Path(__file__).resolve().parents[1] / "examples" / "epic_cic_kensington.toml"


@pytest.fixture(scope="module")
def advice() -> fs.Advice:
    return fs.advise(EPIC)


def test_advice_step_suggests_the_rule_id(advice: fs.Advice) -> None:
    with pytest.raises(fs.FormselectError, match=r"no rule 'TK01'; did you mean 'TK-01'\?"):
        advice.step("TK01")
    with pytest.raises(KeyError):  # still a KeyError for code that catches one
        advice.step("TK01")


def test_a_step_read_back_from_json_suggests_too(advice: fs.Advice) -> None:
    again = fs.advice_from_json(advice.render("json", "full"))
    with pytest.raises(UnknownNameError, match=r"did you mean 'TK-01'\?"):
        again.step("TK01")


def test_procurement_route_suggests_the_route(advice: fs.Advice) -> None:
    with pytest.raises(fs.FormselectError,
                       match=r"no route 'teckal'; did you mean 'in_house_teckal'\?"):
        advice.procurement.route("teckal")


def test_advice_form_suggests_the_forms_an_abbreviation_begins(advice: fs.Advice) -> None:
    with pytest.raises(fs.FormselectError, match=r"no form 'cic'; did you mean "
                       r"'cic_limited_by_shares' or 'cic_limited_by_guarantee'\?"):
        advice.form("cic")


def test_pack_rule_suggests(advice: fs.Advice) -> None:
    with pytest.raises(fs.FormselectError, match="did you mean 'TK-01'"):
        fs.builtin_pack().rule("TK01")


def test_case_with_facts_names_every_unknown_fact(advice: fs.Advice) -> None:
    with pytest.raises(fs.CaseError) as caught:
        advice.case.with_facts({"ownership.employe_pct": 30, "money.asset_lok": "required"})
    assert [(p.where, p.suggestion) for p in caught.value.problems] == [
        ("ownership.employe_pct", "did you mean 'ownership.employee_pct'?"),
        ("money.asset_lok", "did you mean 'money.asset_lock'?")]


def test_with_facts_still_checks_values(advice: fs.Advice) -> None:
    with pytest.raises(fs.CaseError, match=r"ownership\.employee_pct"):
        advice.case.with_facts({"ownership.employee_pct": 130})


def test_did_you_mean_reads_words_as_an_adviser_types_them() -> None:
    assert did_you_mean("County Council", ["council", "nhs_trust"]) == "did you mean 'council'?"
    assert did_you_mean("NHS Trust", ["council", "nhs_trust"]) == "did you mean 'nhs_trust'?"
    assert did_you_mean("zzz", ["council"]) == ""
