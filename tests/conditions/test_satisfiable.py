"""The canonical form of a condition and the conditions no case can meet.

Two invariants, checked by brute force over every value a fact can usefully take:
``canonical`` never changes what a condition means (on any case, in Kleene's logic), and
``impossibility`` is sound — a condition it calls impossible is never true — and, for
conjunctions on one whole-number, enumeration or true/false fact, complete.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formselect.api import builtin_pack
from formselect.case.kinds import FactKind
from formselect.case.vocabulary import case_facts
from formselect.conditions.kleene import truth
from formselect.conditions.satisfiable import (
    MAX_ALTERNATIVES,
    alternatives,
    canonical,
    impossibility,
)
from formselect.conditions.syntax import All, Any_, Compare, Condition, Not, parse
from formselect.engine.view import case_view
from formselect.pack.model import DerivedFact
from tests.strategies import as_of_dates, cases, typed_conditions

FROM, UNTIL = dt.date(2006, 1, 1), dt.date(2014, 12, 31)
SPECS = {**case_facts()}

# each fact with the literals its comparisons draw from, and every value worth trying
POOLS: dict[str, tuple[list[Any], list[Any]]] = {
    # values a case can hold (the fact's own range), as cases are checked when loaded
    "service.staff_count": ([0, 1, 5, 6, 10], list(range(13))),
    "money.asset_lock": (list(SPECS["money.asset_lock"].values),
                         list(SPECS["money.asset_lock"].values)),
    "money.charitable_status": ([True, False], [True, False]),
    # as_of is tried on the days the rule is in force only
    "as_of": ([dt.date(2005, 12, 31), FROM, dt.date(2010, 6, 30), dt.date(2015, 1, 1)],
              [FROM + dt.timedelta(days=d) for d in range(0, (UNTIL - FROM).days + 1, 7)]
              + [dt.date(2010, 6, 29), dt.date(2010, 6, 30), dt.date(2010, 7, 1), UNTIL]),
    "ownership.employee_pct": ([0, 25, 25.5, 50, 100],
                               [0, 0.5, 12, 25, 25.25, 25.5, 26, 50, 75, 100]),
}


@st.composite
def one_fact_conjunctions(draw: st.DrawFn) -> tuple[str, list[Compare]]:
    """Two to four comparisons of one fact, their literals from a small pool so that
    they often clash."""
    fact = draw(st.sampled_from(sorted(POOLS)))
    literals = POOLS[fact][0]
    ops = ["==", "!=", "in", "not in", "known", "unknown"]
    if fact in ("service.staff_count", "ownership.employee_pct", "as_of"):
        ops += ["<", "<=", ">", ">="]
    atoms = []
    for _ in range(draw(st.integers(2, 4))):
        op = draw(st.sampled_from(ops))
        if fact == "money.charitable_status" and op not in ("==", "!=", "known", "unknown"):
            op = "=="
        if fact == "as_of" and op in ("in", "not in", "unknown"):
            op = ">="
        if op in ("known", "unknown"):
            atoms.append(Compare(fact, op))
        elif op in ("in", "not in"):
            atoms.append(Compare(fact, op, tuple(draw(st.lists(st.sampled_from(literals),
                                                                min_size=1, max_size=3)))))
        else:
            atoms.append(Compare(fact, op, draw(st.sampled_from(literals))))
    return fact, atoms


def holds_for_some_value(fact: str, condition: Condition) -> bool:
    """Whether ``condition`` is definitely true for some tried value of ``fact`` (or, for a
    case fact, with the fact unknown)."""
    tried = [{fact: value} for value in POOLS[fact][1]]
    if fact != "as_of":
        tried.append({})
    return any(truth(condition, {"as_of": FROM, **view} if fact != "as_of" else view)
               for view in tried)


class TestImpossibility:
    @given(one_fact_conjunctions())
    def test_sound_and_complete_on_one_fact(self, drawn: tuple[str, list[Compare]]) -> None:
        """A conjunction on one fact is called impossible exactly when no value of the fact
        makes it true (numbers with decimals: only when none does)."""
        fact, atoms = drawn
        condition = All(tuple(atoms))
        reason = impossibility(condition, SPECS, {}, FROM, UNTIL)
        possible = holds_for_some_value(fact, condition)

        if fact == "ownership.employee_pct":  # decimals: sound only
            assert not (reason and possible), reason
        else:
            assert bool(reason) == (not possible), (str(condition), reason)

    @pytest.mark.slow  # a long property run: in the full suite (CI)
    @given(typed_conditions(max_leaves=10), cases(), as_of_dates)
    def test_an_impossible_condition_is_never_true(self, condition: Condition, case: Any,
                                                   day: dt.date) -> None:
        """Whatever the case and the day within the rule's validity, a condition called
        impossible is never definitely true."""
        reason = impossibility(condition, SPECS, {}, dt.date(2000, 1, 1), None)

        assert not (reason and truth(condition, case_view(case, day))), reason

    @pytest.mark.parametrize(("when", "derived", "reason"), [
        ("service.staff_count > 5 and service.staff_count < 6", {},
         "service.staff_count < 6 and service.staff_count > 5: the range is empty"),
        ('money.asset_lock == "required" and money.asset_lock in ["preferred", "not_wanted"]',
         {}, 'money.asset_lock == "required" and money.asset_lock in ["not_wanted", '
         '"preferred"]: no possible value meets every comparison'),
        ("money.charitable_status is unknown and not money.charitable_status", {},
         "money.charitable_status != true and money.charitable_status is unknown: a fact "
         "cannot be unknown and compared at once"),
        ("as_of < 2006-01-01", {},
         "as_of < 2006-01-01, while the rule is in force from 2006-01-01 to 2014-12-31: the "
         "range is empty"),
        ("not staff_led", {"staff_led": [True]},
         "staff_led != true: no value that rules derive meets every comparison"),
        ("(service.staff_count > 5 and service.staff_count < 3) or (money.charitable_status "
         "and not money.charitable_status)", {},
         "money.charitable_status != true and money.charitable_status == true: no possible "
         "value meets every comparison"),
    ])
    def test_reasons(self, when: str, derived: dict[str, list[Any]], reason: str) -> None:
        """The reason names the clashing comparisons, in canonical order."""
        specs = dict(SPECS)
        specs.update({name: builtin_pack_fact_spec(name) for name in derived})

        assert reason == impossibility(parse(when), specs, derived, FROM, UNTIL)

    @pytest.mark.parametrize("when", [
        "service.staff_count > 5 and service.staff_count < 7",
        "ownership.employee_pct > 25 and ownership.employee_pct < 25.5",
        "as_of >= 2014-12-31",
        "money.charitable_status is unknown or money.charitable_status",
        "years_since(procurement.start_date) < 0 and years_since(procurement.start_date) > -1",
        'service.categories contains "health" and service.categories does not contain '
        '"social_care"',
    ])
    def test_possible_conditions_pass(self, when: str) -> None:
        """Conditions some case meets are not reported."""
        assert "" == impossibility(parse(when), SPECS, {}, FROM, UNTIL)

    def test_too_many_alternatives_are_let_pass(self) -> None:
        """A condition of more alternatives than MAX_ALTERNATIVES is not examined."""
        pairs = [f"(service.staff_count > {n} or money.external_equity)" for n in range(10)]
        when = " and ".join(pairs) + " and money.charitable_status is unknown and " \
            "money.charitable_status"

        assert 2**10 > MAX_ALTERNATIVES
        assert alternatives(parse(when)) is None
        assert "" == impossibility(parse(when), SPECS, {}, FROM, UNTIL)

    def test_no_builtin_rule_is_impossible(self) -> None:
        """Every rule of the built-in pack can fire for some case on some day."""
        pack = builtin_pack()
        specs = {**SPECS, **{f.name: f.spec() for f in pack.derived}}
        derived: dict[str, list[Any]] = {}
        for rule in pack.rules:
            for name, value in rule.derive.items():
                derived.setdefault(name, []).append(value)

        assert [] == [rule.id for rule in pack.rules
                      if impossibility(rule.condition, specs, derived, rule.valid_from,
                                       rule.valid_until)]


def builtin_pack_fact_spec(name: str) -> Any:
    """A derived true/false fact's spec."""
    return DerivedFact(name, FactKind.BOOL).spec()


class TestCanonical:
    @pytest.mark.slow  # a long run: in the full suite (CI)
    @given(typed_conditions(max_leaves=10), cases(), as_of_dates)
    def test_meaning_is_kept(self, condition: Condition, case: Any, day: dt.date) -> None:
        """The canonical form is true, false or unknown exactly when the condition is."""
        view = case_view(case, day)

        assert truth(condition, view) == truth(canonical(condition), view)

    @given(typed_conditions(max_leaves=6))
    def test_idempotent(self, condition: Condition) -> None:
        """Canonicalising twice changes nothing."""
        assert canonical(condition) == canonical(canonical(condition))

    @pytest.mark.parametrize(("first", "second"), [
        ("money.charitable_status and service.staff_count > 5",
         "service.staff_count > 5 and money.charitable_status"),
        ('money.asset_lock in ["required"]', 'money.asset_lock == "required"'),
        ("not not money.charitable_status", "money.charitable_status"),
        ("not (service.staff_count > 5)", "service.staff_count <= 5"),
        ("not (money.charitable_status or money.external_equity)",
         "not money.external_equity and not money.charitable_status"),
        ('money.asset_lock not in ["required", "preferred", "required"]',
         'money.asset_lock not in ["preferred", "required"]'),
    ])
    def test_equivalent_writings(self, first: str, second: str) -> None:
        """Conditions written differently with one meaning have one canonical form."""
        assert str(canonical(parse(first))) == str(canonical(parse(second)))

    def test_no_negation_is_left(self) -> None:
        """Negations end on comparisons: the canonical form holds no Not."""
        node = canonical(parse("not (money.charitable_status and not (service.staff_count > "
                               "5 or not money.external_equity))"))

        def nots(n: Condition) -> int:
            if isinstance(n, Not):
                return 1 + nots(n.item)
            if isinstance(n, All | Any_):
                return sum(nots(i) for i in n.items)
            return 0

        assert 0 == nots(node)
