"""The decision model: forms as cited properties, preferences over them, the prior for ties,
confidence, coverage, and the invariants the ranking must keep."""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from pathlib import Path

import attrs
import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

import formselect as fs
from formselect.decide import _rank_forms
from formselect.pack.load import load_pack
from formselect.pack.model import Pack
from formselect.report.json import advice_to_json

from .conftest import BUILTIN_RULES
from .strategies import as_of_dates, cases

EPIC = BUILTIN_RULES.parent / "examples" / "epic_cic_kensington.toml"


@pytest.fixture(scope="module")
def builtin() -> Pack:
    return load_pack(BUILTIN_RULES)


# --- the pack's data ---------------------------------------------------------------------

def test_every_form_has_a_cited_value_for_every_property(builtin: Pack) -> None:
    assert len(builtin.properties) >= 8
    for form in builtin.forms:
        assert set(form.properties) == {p.id for p in builtin.properties}, form.id
        assert form.family, form.id
        for prop_id, value in form.properties.items():
            declared = builtin.property_named(prop_id)
            assert declared is not None
            found = declared.value(value)
            assert found is not None, (form.id, prop_id, value)
            assert found.references, (form.id, prop_id, value)


def test_form_rules_weigh_forms_only_through_properties(builtin: Pack) -> None:
    """The built-in pack never names a form in `favour`: every point a form gets comes from
    a preference over its properties, so a new form is weighed by what it is."""
    forms = {f.id for f in builtin.forms}
    for rule in builtin.rules:
        named = forms & set(rule.favour)
        if named:
            assert rule.prefer, rule.id
            assert 1 <= rule.weight <= 10, rule.id
            assert all(rule.favour[f] == rule.weight for f in named), rule.id


def test_every_preference_cites_its_sources_and_is_labelled_analysis(builtin: Pack) -> None:
    """No statute sets a weight: every preference is labelled analysis (unless the same rule
    also rules forms out as the law requires, LF-07), and cites the law or guidance its reason
    rests on."""
    for rule in builtin.rules:
        if rule.prefer:
            assert rule.references, rule.id
            assert rule.analysis or rule.exclude, rule.id


def test_the_prior_orders_every_form_once_and_cites_its_sources(builtin: Pack) -> None:
    prior = builtin.prior
    assert prior is not None
    assert sorted(prior.order) == sorted(f.id for f in builtin.forms)
    assert prior.references
    assert prior.analysis
    assert prior.caveat


# --- a case ------------------------------------------------------------------------------

def test_points_show_every_point_of_a_score() -> None:
    advice = fs.advise(EPIC)
    for option in advice.ranking:
        assert option.score == sum(p.weight for p in option.points), option.id
        assert [p.rule_id for p in option.points] == list(option.favoured_by)
    top = advice.ranking[0]
    assert all(p.because for p in top.points), top.points


def test_preference_conclusion_names_the_property_and_forms(builtin: Pack) -> None:
    advice = fs.advise(EPIC, rules=builtin)
    step = advice.step("PF-08") if "PF-08" in advice.fired else advice.step("LF-17")
    assert "prefers how staff can own it: shares" in step.conclusion or \
        "prefers investment capital" in step.conclusion, step.conclusion


def test_a_tie_is_broken_by_the_prior_and_says_so_with_a_question() -> None:
    """Nothing known but a council spin-out of youth services: the forms are level, the
    prior orders them, and the advice names the question that would separate them."""
    advice = fs.advise({"service": {"parent_body": "council", "categories":
                                    ["children_and_youth"]}}, as_of="2014-06-01")
    assert fs.Status.TIE == advice.status
    assert advice.tie_break is not None
    assert "prior" == advice.tie_break.by
    assert advice.recommended == advice.tie_break.chosen == advice.tie_break.tied[0]
    ranks = [advice.form(f).prior_rank for f in advice.tie_break.tied]
    assert ranks == sorted(ranks)
    assert advice.tie_break.question is not None
    assert advice.tie_break.question.question.endswith("?")
    assert advice.confidence is not None
    assert "low" == advice.confidence.level


def test_confidence_is_high_when_far_ahead_and_nothing_can_overturn_it() -> None:
    facts = {"service": {"parent_body": "council", "jurisdiction": "england"},
             "ownership": {"employee_pct": 75, "private_partner_pct": 25,
                           "employee_ownership_trust": True},
             "money": {"profit_distribution": "unrestricted", "charitable_status": False}}
    advice = fs.advise(facts, as_of="2012-06-01")
    assert advice.confidence is not None
    assert advice.confidence.margin >= 1
    assert advice.confidence.runner_up is not None
    assert advice.confidence.summary.startswith(advice.confidence.level.capitalize())


def test_a_date_before_the_pack_is_out_of_coverage_and_says_from_when() -> None:
    advice = fs.advise({"service": {"parent_body": "council"}}, as_of="1993-04-01")
    assert fs.Status.OUT_OF_COVERAGE == advice.status
    assert advice.recommended is None
    assert advice.confidence is None
    assert any("2006-01-31" in note for note in advice.notes), advice.notes


def test_qualitative_staff_influence_derives_staff_control_and_leadership() -> None:
    owned = fs.advise({"ownership": {"staff_influence": "owned"}}, as_of="2016-01-01")
    assert owned.derived.get("employee_controlled") is True
    assert owned.derived.get("staff_led") is True
    consulted = fs.advise({"ownership": {"staff_influence": "consulted"}},
                          as_of="2016-01-01")
    assert consulted.derived.get("staff_led") is None  # control unknown: not settled
    r2r = fs.advise({"service": {"origin_programme": "right_to_request"}},
                    as_of="2010-01-01")
    assert r2r.derived.get("staff_led") is True


def test_a_charity_reinvests() -> None:
    advice = fs.advise({"money": {"charitable_status": True}}, as_of="2016-01-01")
    assert advice.derived.get("reinvests") is True


def test_worker_cooperative_members_reach_a_registered_society() -> None:
    """Staff as members, one member one vote, sharing surpluses by participation: a
    co-operative society wins (it could never win before the decision model)."""
    facts = {"ownership": {"staff_influence": "owned"},
             "membership": {"model": "staff_members"},
             "money": {"profit_distribution": "participatory"}}
    advice = fs.advise(facts, as_of="2016-01-01")
    assert "cooperative_society" == advice.recommended


def test_open_membership_charity_prefers_the_registered_charity_forms() -> None:
    """Charitable status ranks the charitable company and CIO (registered charities) above a
    charitable community benefit society (an exempt charity); open membership narrows it."""
    charity = fs.advise({"money": {"charitable_status": True}}, as_of="2016-01-01")
    assert charity.form("charitable_company").score > \
        charity.form("community_benefit_society").score
    open_charity = fs.advise({"money": {"charitable_status": True},
                              "membership": {"open_to_community": True,
                                             "model": "community_open"}},
                             as_of="2016-01-01")
    assert open_charity.form("community_benefit_society").score >= \
        open_charity.form("charitable_company").score


def test_nhs_transfer_context_reaches_a_cic_even_with_open_membership() -> None:
    """A primary care trust's community services leaving in 2011 with membership open to
    staff and the public: the CIC (the commissioners' reassurance) is not outweighed."""
    facts = {"service": {"parent_body": "nhs_commissioner", "nhs_health_care": True,
                         "categories": ["health_care"]},
             "membership": {"open_to_community": True},
             "money": {"profit_distribution": "reinvest_all"}}
    advice = fs.advise(facts, as_of="2011-03-01")
    assert advice.recommended in ("cic_limited_by_guarantee", "cic_limited_by_shares")
    assert "PF-11" in advice.fired


def test_staff_shares_separate_a_cic_limited_by_shares_from_one_by_guarantee() -> None:
    base = {"service": {"origin_programme": "right_to_request", "nhs_health_care": True,
                        "parent_body": "nhs_commissioner"}}
    shares = fs.advise({**base, "ownership": {"staff_hold_shares": True}}, as_of="2010-06-01")
    no_shares = fs.advise({**base, "ownership": {"staff_hold_shares": False}},
                          as_of="2010-06-01")
    assert "cic_limited_by_shares" == shares.recommended
    assert "cic_limited_by_guarantee" == no_shares.recommended


# --- weights an adviser changes --------------------------------------------------------------

def test_an_extension_pack_changes_a_weight_and_the_trace_says_why(tmp_path: Path) -> None:
    extension = tmp_path / "weights.toml"
    extension.write_text('[[weight]]\nrule = "PF-11"\nweight = 6\n'
                         'reason = "Our commissioners insist on a CIC."\n', encoding="utf-8")
    pack = fs.load_rules(extension)
    assert 6 == pack.rule("PF-11").weight
    assert "Our commissioners insist on a CIC." in pack.rule("PF-11").weight_note
    advice = fs.advise({"service": {"origin_programme": "right_to_request"}},
                       as_of="2010-06-01", rules=pack)
    assert "weight 6 (the pack's weight was 3)" in advice.step("PF-11").conclusion


# --- invariants ----------------------------------------------------------------------------

def _rank_of(ranking: tuple[fs.OptionScore, ...], form: str) -> int:
    return [o.id for o in ranking].index(form)


@settings(max_examples=300)
@given(data=st.data())
def test_adding_a_preference_a_form_satisfies_never_lowers_its_rank(builtin: Pack,
                                                                   data: st.DataObject) -> None:
    preferences = [r for r in builtin.rules if r.prefer]
    fired = data.draw(st.lists(st.sampled_from(preferences), unique_by=lambda r: r.id,
                               max_size=8))
    exclusions = [r for r in builtin.rules if r.exclude]
    fired += data.draw(st.lists(st.sampled_from(exclusions), unique_by=lambda r: r.id,
                                max_size=3))
    form = data.draw(st.sampled_from(builtin.forms))
    prop = data.draw(st.sampled_from(sorted(form.properties)))
    weight = data.draw(st.integers(1, 10))
    extra = [o for o in builtin.forms if o.properties.get(prop) == form.properties[prop]]
    new = attrs.evolve(fired[0] if fired else builtin.rules[0], id="ZZ-NEW",
                       prefer={prop: (form.properties[prop],)}, weight=weight,
                       favour={o.id: weight for o in extra}, exclude=())
    _, before, _ = _rank_forms(builtin, fired)
    _, after, _ = _rank_forms(builtin, [*fired, new])
    assert _rank_of(after, form.id) <= _rank_of(before, form.id)


@settings(max_examples=60)
@given(case=cases(plain=True), as_of=as_of_dates)
def test_excluded_forms_never_rank_above_a_viable_form(builtin: Pack, case: fs.Case,
                                                      as_of: dt.date) -> None:
    standing = fs.assess(case, as_of=as_of, rules=builtin, backend="python")
    statuses = [o.status is fs.FormStatus.EXCLUDED for o in standing.ranking]
    assert statuses == sorted(statuses)  # every viable form before every excluded one
    excluded = {o.id for o in standing.ranking if o.status is fs.FormStatus.EXCLUDED}
    assert standing.recommended not in excluded
    if standing.tie_break is not None:
        assert not excluded & set(standing.tie_break.tied)


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    """The built-in rules copied into one folder in a shuffled order (rules shuffled within
    each file too), so that file order and rule order both differ."""
    folder = tmp_path_factory.mktemp("shuffled")
    files = sorted(BUILTIN_RULES.rglob("*.toml"))
    rng = random.Random(20261206)
    rng.shuffle(files)
    for i, path in enumerate(files):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if "rule" in data:
            rng.shuffle(data["rule"])
        (folder / f"{i:02d}_{path.stem}.toml").write_text(tomli_w.dumps(data),
                                                           encoding="utf-8")
    return load_pack(folder)


@pytest.mark.slow  # a long run: in the full suite (CI)
@settings(max_examples=40)
@given(case=cases(plain=True), as_of=as_of_dates)
def test_the_recommendation_is_invariant_to_rule_file_order(builtin: Pack, shuffled: Pack,
                                                           case: fs.Case,
                                                           as_of: dt.date) -> None:
    first = fs.advise(case, as_of=as_of, rules=builtin, backend="python")
    second = fs.advise(case, as_of=as_of, rules=shuffled, backend="python")
    assert builtin.digest == shuffled.digest
    assert advice_to_json(first) == advice_to_json(second)
