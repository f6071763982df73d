"""What deciding reads of a pack, worked out once per pack: each rule's validity, effects and
the options it names match the rules themselves, and the index never outlives its pack.

The unknown case facts behind unknown rules (certainty's ``Unknowns``) are held to the plain
walk of the rules, derived fact by derived fact, that they replace.
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from collections.abc import Iterable, Mapping

import attrs
from hypothesis import given, settings

import formselect as fs
from formselect.advice import Outcome, Trace
from formselect.certainty import Unknowns
from formselect.engine import Backend, evaluate
from formselect.pack.load import load_pack
from formselect.pack.model import Pack
from formselect.pack_index import pack_index

from .conftest import MINI_PACK
from .strategies import as_of_dates, cases


def test_each_pack_has_its_own_index_which_does_not_keep_it_alive() -> None:
    first, second = load_pack(MINI_PACK), load_pack(MINI_PACK)
    index = pack_index(first)

    assert pack_index(first) is index  # made once
    assert pack_index(second) is not index
    gone = weakref.ref(first)
    del first
    gc.collect()
    assert gone() is None  # while its index is still held


def test_the_rules_in_force_on_a_day_are_those_whose_validity_holds(builtin_pack: Pack) -> None:
    """Every rule's first and last day and the days either side, in every window."""
    index = pack_index(builtin_pack)
    days = {d + dt.timedelta(days=k) for r in builtin_pack.rules
            for d in (r.valid_from, r.valid_until) if d is not None for k in (-1, 0, 1)}

    for day in sorted(days):
        outcomes, in_force = index.in_force_on(day)
        expected = [i for i, r in enumerate(builtin_pack.rules) if r.in_force(day)]
        assert (expected, [i for i, o in enumerate(outcomes) if o is Outcome.UNKNOWN]) \
            == (list(in_force), expected)
        assert {Outcome.UNKNOWN, Outcome.NOT_IN_FORCE} >= set(outcomes)


def test_the_options_each_rule_names_are_indexed_by_option(builtin_pack: Pack) -> None:
    index = pack_index(builtin_pack)
    rules = builtin_pack.rules
    serious = {"medium", "high", "critical"}

    for option in (*builtin_pack.forms, *builtin_pack.routes):
        o = option.id
        assert index.excluders[o] == tuple(i for i, r in enumerate(rules) if o in r.exclude)
        assert index.favourers[o] == tuple(i for i, r in enumerate(rules) if o in r.favour)
        assert index.risky[o] == tuple(i for i, r in enumerate(rules) if r.risk is not None
                                       and r.risk.severity in serious
                                       and o in r.risk.applies_to)
    assert any(index.risky.values())  # the built-in pack flags serious risks for routes


def test_a_rule_from_outside_the_pack_has_its_own_effects(builtin_pack: Pack) -> None:
    """A rule of the pack reads its effects from the index; a changed copy under the same id
    (as tests of the ranking make) has effects worked out from the copy."""
    index = pack_index(builtin_pack)
    form = builtin_pack.forms[0].id
    rule = next(r for r in builtin_pack.rules if r.favour and form not in r.favour
                and not r.prefer)
    copy = attrs.evolve(rule, favour={form: 7}, exclude=())

    assert index.effects_of(rule) is index.effects[index.position[rule.id]]
    assert [(form, 7)] == [(o, w) for o, w, _ in index.effects_of(copy).form_points]
    assert [(copy.id, 7, "")] == [(p.rule_id, p.weight, p.because)
                                  for _, _, p in index.effects_of(copy).form_points]


def _walk(pack: Pack, rule_ids: Iterable[str], outcomes: Mapping[str, Outcome],
          view: Mapping[str, object]) -> tuple[str, ...]:
    """The unknown case facts behind some rules, walked rule by rule: a comparison on an
    unknown case fact names it; on an unknown CPV list's fact, the case's codes (when the
    list is in force); on an unknown derived fact, the facts behind its unknown derivers."""
    found: set[str] = set()
    seen: set[str] = set()
    pending = list(rule_ids)
    while pending:
        rule_id = pending.pop()
        if rule_id in seen:
            continue
        seen.add(rule_id)
        condition = pack.compiled[rule_id]
        for atom, key in zip(condition.atoms, condition.keys, strict=True):
            if key in view:
                continue
            if "." in atom.fact:
                found.add(atom.fact)
            elif atom.fact in pack.cpv_by_fact:
                day = view.get("as_of")
                if "service.cpv_codes" not in view and isinstance(day, dt.date) \
                        and pack.cpv_by_fact[atom.fact].in_force(day):
                    found.add("service.cpv_codes")
            else:
                pending += [r.id for r in pack.derivers.get(atom.fact, ())
                            if outcomes[r.id] is Outcome.UNKNOWN]
    return tuple(sorted(found))


@settings(max_examples=40)
@given(case=cases(plain=True), as_of=as_of_dates)
def test_the_facts_behind_unknown_rules_are_those_the_walk_finds(
        builtin_pack: Pack, case: fs.Case, as_of: dt.date) -> None:
    """For each unknown rule alone, and for all of them at once."""
    advice = fs.advise(case, as_of=as_of, rules=builtin_pack, backend=Backend.COMPILED)
    view = evaluate(builtin_pack, case, as_of, Backend.COMPILED).view
    assert isinstance(advice.trace, Trace)
    outcomes = advice.trace.outcomes
    by_rule = {r.id: o for r, o in zip(builtin_pack.rules, outcomes, strict=True)}
    unknown = [r for r in builtin_pack.rules if by_rule[r.id] is Outcome.UNKNOWN]
    facts = Unknowns(pack_index(builtin_pack), outcomes, view)

    for rule in unknown:
        assert _walk(builtin_pack, [rule.id], by_rule, view) == facts.case_facts([rule])
    assert _walk(builtin_pack, [r.id for r in unknown], by_rule, view) \
        == facts.case_facts(unknown)
