"""Ranking, statuses, routes, risks, steps and certainty, on a small purpose-built pack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import formselect as fs

PACK_DIR = Path(__file__).parent / "packs" / "advice"
AS_OF = dt.date(2020, 6, 1)


@pytest.fixture(scope="module")
def pack() -> fs.Pack:
    """The advice test pack, loaded once."""
    return fs.load_rules(PACK_DIR, builtin=False)


def advise(pack: fs.Pack, facts: dict[str, dict[str, object]], as_of: dt.date = AS_OF) -> fs.Advice:
    return fs.advise(facts, as_of=as_of, rules=pack)


STAFF_LED = {"ownership": {"employee_pct": 60},
             "procurement": {"term_years": 3, "value_gbp_inc_vat": 200_000}}


def test_highest_score_is_recommended(pack: fs.Pack) -> None:
    """The only favoured form is recommended, with the rules that favoured it."""
    advice = advise(pack, STAFF_LED)

    assert (fs.Status.RECOMMENDED, "alpha") == (advice.status, advice.recommended)
    assert ("T-10",) == advice.form("alpha").favoured_by
    assert 3 == advice.form("alpha").score


def test_equal_scores_are_a_tie_naming_the_rules(pack: fs.Pack) -> None:
    """Two forms on the same score: a tie, and the conflicting rules are listed."""
    facts = {"ownership": {"employee_pct": 60}, "money": {"external_equity": True}}
    pack_tie = advise(pack, facts)  # alpha 3, beta 2: not a tie
    assert fs.Status.RECOMMENDED == pack_tie.status

    tie = advise(pack, {"ownership": {"employee_pct": 10}})

    assert fs.Status.TIE == tie.status
    assert () == tie.conflicting_rules  # nothing favours any form
    # this pack has no [prior]: the alphabet never breaks a tie, so nothing is recommended
    assert tie.tie_break is not None
    assert "unbroken" == tie.tie_break.by
    assert tie.recommended is None
    assert tie.tie_break.chosen is None


def test_every_form_excluded_is_no_viable_form(pack: fs.Pack) -> None:
    """When rules exclude every form the status says so and nothing is recommended."""
    facts = {"money": {"charitable_status": True, "asset_lock": "required"}}
    advice = advise(pack, facts)
    remaining = [o.id for o in advice.ranking if o.status is not fs.FormStatus.EXCLUDED]

    assert ["gamma"] == remaining  # gamma is never excluded by this pack
    assert {"alpha": ("T-13",), "beta": ("T-12",)} == dict(advice.excluded)


def test_rules_out_of_force_do_not_count(pack: fs.Pack) -> None:
    """T-14 favours gamma only until 2019: in 2018 gamma wins, in 2020 it does not."""
    facts = {"ownership": {"employee_pct": 30, "private_partner_pct": 30}}

    assert "gamma" == advise(pack, facts, dt.date(2018, 1, 1)).recommended
    later = advise(pack, facts, dt.date(2020, 1, 1))
    assert fs.Outcome.NOT_IN_FORCE == later.step("T-14").outcome
    assert fs.Status.TIE == later.status
    assert later.tie_break is not None
    assert "gamma" not in later.tie_break.tied[:1]


def test_routes_statuses_and_recommended_route(pack: fs.Pack) -> None:
    """Favoured routes are available; the recommended one must serve the recommended form."""
    advice = advise(pack, STAFF_LED)
    statuses = {r.id: r.status for r in advice.procurement.routes}

    assert fs.RouteStatus.AVAILABLE == statuses["open_route"]
    assert fs.RouteStatus.AVAILABLE == statuses["alpha_only_route"]
    assert fs.RouteStatus.UNDETERMINED == statuses["risky_route"]
    assert "alpha_only_route" == advice.procurement.recommended_route
    assert ("Reserve the competition",) == tuple(
        s.text for s in advice.procurement.route("alpha_only_route").steps)


def test_a_route_with_a_serious_risk_is_available_with_risk(pack: fs.Pack) -> None:
    """A favoured route named by a high-severity risk is 'available with risk'."""
    facts = {"procurement": {"planned_route": "direct_award"}}
    advice = advise(pack, facts)
    route = advice.procurement.route("risky_route")

    assert fs.RouteStatus.AVAILABLE_WITH_RISK == route.status
    assert ("T-23",) == route.risks
    assert [fs.Severity.HIGH] == [r.severity for r in advice.risks]


def test_excluded_route_is_not_available_and_the_form_keeps_another(pack: fs.Pack) -> None:
    """A 7-year term excludes the alpha-only route; the open route is recommended instead."""
    facts = {"ownership": {"employee_pct": 60},
             "procurement": {"term_years": 7, "value_gbp_inc_vat": 200_000}}
    advice = advise(pack, facts)

    assert fs.RouteStatus.NOT_AVAILABLE == advice.procurement.route("alpha_only_route").status
    assert "open_route" == advice.procurement.recommended_route


def test_no_route_for_the_form_is_said_out_loud(pack: fs.Pack) -> None:
    """A recommended form without any usable route gets an explicit note."""
    facts = {"ownership": {"employee_pct": 60}, "procurement": {"term_years": 7}}
    advice = advise(pack, facts)

    assert advice.procurement.recommended_route is None
    assert advice.procurement.note.startswith("No route the rules make available")
    assert advice.procurement.note in advice.notes


def test_certainty_separates_settled_from_open(pack: fs.Pack) -> None:
    """Exclusions are settled; unknown facts that could change the leader are named."""
    advice = advise(pack, STAFF_LED)
    open_subjects = {p.subject: p.facts for p in advice.certainty.open}

    assert not advice.certainty.recommendation_settled
    assert ("money.asset_lock",) == open_subjects["recommendation"]
    settled = advise(pack, {**STAFF_LED, "money": {"asset_lock": "not_wanted",
                                                   "charitable_status": False,
                                                   "external_equity": False}})
    assert settled.certainty.recommendation_settled


def test_as_of_defaults_to_the_procurement_start_and_notes_a_difference(pack: fs.Pack) -> None:
    """Without as_of the start date is used; with a different as_of the advice says so."""
    facts = {"procurement": {"start_date": dt.date(2018, 3, 1)}}

    assert dt.date(2018, 3, 1) == fs.advise(facts, rules=pack).as_of
    later = fs.advise(facts, as_of="2021-01-01", rules=pack)
    assert any("2018-03-01" in n for n in later.notes)
    with pytest.raises(fs.FormselectError, match="as_of is needed"):
        fs.advise({}, rules=pack)


def test_json_round_trip_gives_an_equal_advice(pack: fs.Pack) -> None:
    """Advice written as JSON reads back equal, with the required keys present."""
    advice = advise(pack, STAFF_LED)
    text = fs.advice_to_json(advice)
    data = __import__("json").loads(text)

    assert advice == fs.advice_from_json(text)
    assert {"recommended", "status", "ranking", "excluded", "risks", "trace", "as_of",
            "rules_version", "procurement", "schema", "formselect_version"} <= set(data)
