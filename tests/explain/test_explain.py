"""Why not, what if, sweeps, flips and next questions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import formselect as fs

PACK_DIR = Path(__file__).resolve().parents[1] / "packs" / "advice"
AS_OF = dt.date(2020, 6, 1)
STAFF_LED = {"ownership": {"employee_pct": 60},
             "procurement": {"term_years": 3, "value_gbp_inc_vat": 200_000}}


@pytest.fixture(scope="module")
def pack() -> fs.Pack:
    """The advice test pack, loaded once."""
    return fs.load_rules(PACK_DIR, builtin=False)


@pytest.fixture
def advice(pack: fs.Pack) -> fs.Advice:
    """Advice on a staff-led case: alpha recommended."""
    return fs.advise(STAFF_LED, as_of=AS_OF, rules=pack)


def test_why_not_an_excluded_form_names_the_rule_and_a_counterfactual(pack: fs.Pack) -> None:
    """Alpha excluded by the asset lock: the blocker, the failing value and the fix."""
    advice = fs.advise({**STAFF_LED, "money": {"asset_lock": "required"}}, as_of=AS_OF,
                       rules=pack)
    answer = advice.why_not("alpha")

    assert "excluded" == answer.standing
    assert ["T-13"] == [b.rule_id for b in answer.blockers if b.effect == "rules it out"]
    assert "required" == answer.blockers[0].tests[0].value
    assert answer.counterfactuals
    for counterfactual in answer.counterfactuals:
        changed = counterfactual.apply(advice.case)
        assert "alpha" == fs.advise(changed, as_of=AS_OF, rules=pack).recommended


def test_why_not_an_outranked_form_finds_the_smallest_change(advice: fs.Advice) -> None:
    """Beta needs equity and staff not to lead: both changes, at the nearest threshold."""
    answer = advice.why_not("beta")

    assert "viable" == answer.standing
    first = answer.counterfactuals[0]
    assert {("money.external_equity", True), ("ownership.employee_pct", 50)} == {
        (c.fact, c.after) for c in first.changes}
    assert "beta" == fs.advise(first.apply(advice.case), as_of=AS_OF,
                               rules=advice.pack).recommended


def test_why_not_a_route(advice: fs.Advice) -> None:
    """An undetermined route: the rule that would make it available and what it needs."""
    answer = advice.why_not("risky_route")

    assert "undetermined" == answer.standing
    assert ("procurement.planned_route", "direct_award") == (
        answer.counterfactuals[0].changes[0].fact, answer.counterfactuals[0].changes[0].after)


def test_why_not_an_unknown_option_suggests(advice: fs.Advice) -> None:
    """A misspelt option id is an error with a suggestion."""
    with pytest.raises(fs.FormselectError, match="did you mean 'alpha'"):
        advice.why_not("alpah")


def test_what_if_returns_the_diff(advice: fs.Advice) -> None:
    """Changing the term beyond 5 years switches the route and excludes one."""
    after, changes = advice.what_if({"procurement.term_years": 7})

    assert ("alpha_only_route", "open_route") == changes.recommended_route
    assert ("available", "not_available") == changes.routes["alpha_only_route"]
    assert ("not_met", "fired") == changes.steps["T-22"]
    assert changes.changed
    assert not fs.diff(advice, advice).changed
    assert "open_route" == after.procurement.recommended_route


def test_sweep_and_flips_find_the_thresholds(pack: fs.Pack) -> None:
    """The term flips above 5 years; the employee share flips above 50%."""
    rows = fs.sweep(STAFF_LED, "procurement.term_years", [3, 5, 6], as_of=AS_OF, rules=pack)
    term_flips = fs.flips(STAFF_LED, "procurement.term_years", as_of=AS_OF, rules=pack)
    share_flips = fs.flips(STAFF_LED, "ownership.employee_pct", as_of=AS_OF, rules=pack)

    assert ["alpha_only_route", "alpha_only_route", "open_route"] == [
        r.recommended_route for r in rows]
    assert [(5, "above")] == [(f.at, f.starts) for f in term_flips]
    assert [(50, "above")] == [(f.at, f.starts) for f in share_flips]
    value_flips = fs.flips(STAFF_LED, "procurement.value_gbp_inc_vat", as_of=AS_OF, rules=pack)
    assert [(100_000, "at")] == [(f.at, f.starts) for f in value_flips]


def test_next_questions_rank_by_what_they_settle(pack: fs.Pack) -> None:
    """The charity question settles most here; every question has an answer list."""
    questions = fs.next_questions(STAFF_LED, as_of=AS_OF, rules=pack)

    assert "money.charitable_status" == questions[0].fact
    assert questions[0].value > questions[-1].value
    assert all(q.answers[-1] == "don't know" for q in questions)


def test_interview_asks_until_done_and_saves_a_case(pack: fs.Pack, tmp_path: Path) -> None:
    """A scripted interview answers, skips with "don't know", and saves a readable case."""
    interview = fs.Interview(fs.case_from_dict(STAFF_LED), AS_OF, pack)
    replies = iter(["no", "maybe", "not_wanted", "dk", "", "", "", ""])
    told: list[str] = []

    interview.run(lambda q: next(replies), told.append)
    path = tmp_path / "answers.toml"
    interview.save(path)
    saved = fs.load_case(path)

    assert saved.money.charitable_status is False
    assert "not_wanted" == saved.money.asset_lock
    assert any("not understood" in t for t in told)
    assert "unknown" in path.read_text()
