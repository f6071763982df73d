"""What a condition means, independently of how it is written: a canonical form, and the
conditions that no case can meet.

Both serve the pack checks. Two rules whose conditions have the same canonical form are
under the same condition however each was written (``a and b`` / ``b and a``, ``in`` one
value / ``==``, ``not not a``, ``not (x > 5)`` / ``x <= 5``). A condition none of whose
alternatives can be met (an empty range, two values at once, known and unknown, ``x and
not x``, a date outside the rule's validity, a value no rule derives) makes its rule one
that can never fire.

The checks are sound but not complete: they report only what is certainly impossible, and
give up (saying nothing) on conditions whose alternatives would be too many to list.
Negation follows Kleene's logic, as evaluation does: ``not (x > 5)`` is definitely true
exactly when ``x <= 5`` is, and any comparison is definitely true only of a known fact.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping

import attrs

from formselect.case.kinds import FactKind
from formselect.case.vocabulary import FactSpec

from .syntax import All, Any_, Compare, Condition, Not, Scalar

__all__ = ["MAX_ALTERNATIVES", "canonical", "impossibility"]

MAX_ALTERNATIVES = 512  # alternatives (disjuncts) examined before a condition is let pass


def canonical(node: Condition, negate: bool = False) -> Condition:
    """``node`` with negations pushed onto comparisons, groups flattened, items sorted and
    repeated, and one-value lists written as ``==`` / ``!=``."""
    if isinstance(node, Not):
        return canonical(node.item, not negate)
    if isinstance(node, All | Any_):
        conjunction = isinstance(node, All) != negate  # De Morgan holds in Kleene logic
        kind: type[All] | type[Any_] = All if conjunction else Any_
        items: dict[str, Condition] = {}
        for child in node.items:
            part = canonical(child, negate)
            for item in part.items if isinstance(part, kind) else (part,):
                items.setdefault(str(item), item)
        ordered = tuple(items[key] for key in sorted(items))
        return ordered[0] if len(ordered) == 1 else kind(ordered)
    return _canonical_atom(node.negated() if negate else node)


def _canonical_atom(atom: Compare) -> Compare:
    if atom.op in ("in", "not in") and isinstance(atom.value, tuple):
        values = tuple(sorted(set(atom.value), key=repr))
        if len(values) == 1:
            return attrs.evolve(atom, op="==" if atom.op == "in" else "!=", value=values[0])
        return attrs.evolve(atom, value=values)
    return atom


def alternatives(node: Condition) -> list[list[Compare]] | None:
    """The condition as alternatives of comparisons that must all hold (its disjunctive
    normal form), or None when there would be more than MAX_ALTERNATIVES."""
    node = canonical(node)
    if isinstance(node, Compare):
        return [[node]]
    if isinstance(node, Any_):
        terms: list[list[Compare]] = []
        for item in node.items:
            found = alternatives(item)
            if found is None or len(terms) + len(found) > MAX_ALTERNATIVES:
                return None
            terms += found
        return terms
    assert isinstance(node, All)  # canonical() leaves no Not
    product: list[list[Compare]] = [[]]
    for item in node.items:
        found = alternatives(item)
        if found is None or len(product) * len(found) > MAX_ALTERNATIVES:
            return None
        product = [left + right for left, right in itertools.product(product, found)]
    return product


def impossibility(node: Condition, specs: Mapping[str, FactSpec],
                  derived_values: Mapping[str, Iterable[Scalar]],
                  valid_from: dt.date, valid_until: dt.date | None) -> str:
    """Why no case can meet ``node`` on any day from ``valid_from`` to ``valid_until``, or
    ``""`` when some case may (or the condition is too large to tell).

    ``derived_values`` gives, for each derived fact that some rule derives, every value
    rules derive for it: a derived fact never holds any other value.
    """
    terms = alternatives(node)
    if terms is None:
        return ""
    reasons = []
    for term in terms:
        reason = _term_impossibility(term, specs, derived_values, valid_from, valid_until)
        if not reason:
            return ""
        reasons.append(reason)
    return reasons[0]


def _term_impossibility(term: list[Compare], specs: Mapping[str, FactSpec],
                        derived_values: Mapping[str, Iterable[Scalar]],
                        valid_from: dt.date, valid_until: dt.date | None) -> str:
    by_fact: dict[tuple[str, str], list[Compare]] = {}
    for atom in term:
        by_fact.setdefault((atom.fact, atom.measure), []).append(atom)
    for (fact, measure), atoms in by_fact.items():
        reason = _fact_impossibility(fact, measure, atoms, specs.get(fact), derived_values,
                                     valid_from, valid_until)
        if reason:
            return reason
    return ""


def _fact_impossibility(fact: str, measure: str, atoms: list[Compare], spec: FactSpec | None,
                        derived_values: Mapping[str, Iterable[Scalar]],
                        valid_from: dt.date, valid_until: dt.date | None) -> str:
    shown = " and ".join(str(a) for a in atoms)
    ops = {a.op for a in atoms}
    if "unknown" in ops and ops != {"unknown"}:
        return f"{shown}: a fact cannot be unknown and compared at once"
    if fact == "as_of" and "unknown" in ops:
        return f"{shown}: as_of is always known"
    tests = [a for a in atoms if a.op not in ("known", "unknown")]
    if fact == "as_of":  # always known; limited to the days the rule is in force
        return _range_impossibility(fact, measure, tests, spec, valid_from, valid_until,
                                    shown) if tests and measure == "value" else ""
    if not tests or spec is None:
        return ""
    if spec.kind in (FactKind.SET, FactKind.CODES):
        held = {a.value for a in tests if a.op == "contains"}
        lacked = {a.value for a in tests if a.op == "not contains"}
        return f"{shown}: contains and does not contain the same value" if held & lacked \
            else ""
    domain = _finite_domain(fact, measure, spec, derived_values)
    if domain is not None:
        if not any(all(_holds(a, v) for a in tests) for v in domain):
            which = "value that rules derive" if spec.derived else "possible value"
            return f"{shown}: no {which} meets every comparison"
        return ""
    if spec.kind in (FactKind.INT, FactKind.NUMBER, FactKind.DATE):
        return _range_impossibility(fact, measure, tests, spec, valid_from, valid_until, shown)
    return ""


def _finite_domain(fact: str, measure: str, spec: FactSpec,
                   derived_values: Mapping[str, Iterable[Scalar]]) -> list[Scalar] | None:
    """Every value the fact can hold, when there are few; None otherwise."""
    if measure != "value" or fact == "as_of":
        return None
    if spec.derived:
        values = list(derived_values.get(fact, ()))
        return values or None  # a fact nothing derives is reported by the strata check
    if spec.kind is FactKind.BOOL:
        return [True, False]
    if spec.kind is FactKind.ENUM:
        return list(spec.values)
    return None


def _holds(atom: Compare, value: Scalar) -> bool:
    """Whether ``atom`` is true of a known ``value`` (ordering only between like values)."""
    right = atom.value
    if atom.op == "==":
        return value == right
    if atom.op == "!=":
        return value != right
    if atom.op == "in":
        return value in (right if isinstance(right, tuple) else (right,))
    if atom.op == "not in":
        return value not in (right if isinstance(right, tuple) else (right,))
    numeric = (int, float)
    if not (isinstance(value, numeric) and isinstance(right, numeric)) \
            or isinstance(value, bool) or isinstance(right, bool):
        return True  # not an ordering this check understands: assume it can hold
    return {"<": value < right, "<=": value <= right,
            ">": value > right, ">=": value >= right}.get(atom.op, True)


@attrs.define
class _Bound:
    """One end of a range: its value, and whether the value itself is left out."""

    value: object = None
    strict: bool = False

    def tighten(self, value: object, strict: bool, lower: bool) -> None:
        """Keep the tighter of this bound and ``value`` (a lower or an upper bound)."""
        if self.value is None or (_greater(value, self.value) if lower
                                  else _greater(self.value, value)):
            self.value, self.strict = value, strict
        elif value == self.value:
            self.strict = self.strict or strict

    def admits(self, value: object, lower: bool) -> bool:
        """Whether ``value`` is on the inner side of this bound (unordered: assume so)."""
        if self.value is None:
            return True
        beyond = _greater(self.value, value) if lower else _greater(value, self.value)
        return not beyond and not (self.strict and value == self.value)


def _range_impossibility(fact: str, measure: str, tests: list[Compare], spec: FactSpec | None,
                         valid_from: dt.date, valid_until: dt.date | None, shown: str) -> str:
    """Whether comparisons of an ordered fact leave no value, within its own bounds."""
    low, high = _Bound(), _Bound()
    if fact == "as_of":  # the rule itself only runs on days from valid_from to valid_until
        low.value, high.value = valid_from, valid_until
        shown = f"{shown}, while the rule is in force from {valid_from}" + (
            f" to {valid_until}" if valid_until else "")
    elif measure == "value" and spec is not None:
        low.value, high.value = spec.minimum, spec.maximum
    whole = spec is not None and spec.kind is FactKind.INT and measure == "value"
    candidates: set[object] | None = None
    excluded: set[object] = set()
    for atom in tests:
        value = atom.value
        if atom.op in ("==", "in"):
            values: set[object] = set(value if isinstance(value, tuple) else (value,))
            candidates = values if candidates is None else candidates & values
        elif atom.op == "!=":
            excluded.add(value)
        elif atom.op == "not in":
            excluded |= set(value if isinstance(value, tuple) else (value,))
        elif atom.op in (">", ">="):
            strict = atom.op == ">"
            low.tighten(_tighten(value, strict, whole, up=True), strict and not whole, True)
        elif atom.op in ("<", "<="):
            strict = atom.op == "<"
            high.tighten(_tighten(value, strict, whole, up=False), strict and not whole, False)
        else:
            return ""

    def inside(value: object) -> bool:
        return low.admits(value, True) and high.admits(value, False) and value not in excluded

    if candidates is not None:
        return "" if any(inside(v) for v in candidates) else \
            f"{shown}: no value meets every comparison"
    if low.value is None or high.value is None:
        return ""
    if _greater(low.value, high.value) or (low.value == high.value and not inside(low.value)):
        return f"{shown}: the range is empty"
    return ""


def _tighten(value: object, strict: bool, whole: bool, up: bool) -> object:
    """A bound on a whole-number fact made inclusive: ``> 5`` is ``>= 6``."""
    if not whole or not isinstance(value, int | float) or isinstance(value, bool):
        return value
    if up:
        return math.floor(value) + 1 if strict else math.ceil(value)
    return math.ceil(value) - 1 if strict else math.floor(value)


def _greater(a: object, b: object) -> bool:
    try:
        return bool(a > b)  # type: ignore[operator]
    except TypeError:
        return False
