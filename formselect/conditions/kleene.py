"""Three-valued (Kleene) evaluation of conditions in pure Python.

A comparison on an unknown fact is *unknown*; ``and``/``or``/``not`` follow Kleene's
strong logic. A rule fires only when its condition is definitely true. This evaluator
explains rules that did not fire, and is the oracle the engine is tested against.
"""

from __future__ import annotations

import datetime as dt
import operator
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from formselect.case.kinds import quantise

from .syntax import All, Any_, Compare, Condition, Not, atoms

__all__ = ["AtomResult", "Compiled", "compare", "compiled", "explain", "truth",
           "years_since_key"]

Truth = bool | None


def years_since_key(fact: str) -> str:
    """The key under which a fact view holds ``years_since(fact)``."""
    return f"years_since({fact})"


def _lookup(view: Mapping[str, object], atom: Compare) -> object:
    key = years_since_key(atom.fact) if atom.measure == "years_since" else atom.fact
    return view.get(key)


def compare(atom: Compare, actual: object) -> Truth:
    """The truth of one comparison given the fact's value (None = unknown)."""
    if atom.op == "known":
        return actual is not None
    if atom.op == "unknown":
        return actual is None
    if actual is None:
        return None
    # numbers compare as whole thousandths, exactly as the engine compares them
    actual = quantise(actual)
    value = tuple(quantise(v) for v in atom.value) if isinstance(atom.value, tuple) \
        else quantise(atom.value)
    op = atom.op
    if op == "==":
        return bool(actual == value)
    if op == "!=":
        return bool(actual != value)
    if op in ("in", "not in"):
        inside = actual in value  # type: ignore[operator]
        return inside if op == "in" else not inside
    if op in ("contains", "not contains"):
        inside = value in actual  # type: ignore[operator]
        return inside if op == "contains" else not inside
    left: float | dt.date = actual  # type: ignore[assignment]
    right: float | dt.date = value  # type: ignore[assignment]
    if op == "<":
        return left < right  # type: ignore[operator]
    if op == "<=":
        return left <= right  # type: ignore[operator]
    if op == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def truth(node: Condition, view: Mapping[str, object]) -> Truth:
    """Kleene truth of a condition over a fact view."""
    if isinstance(node, Compare):
        return compare(node, _lookup(view, node))
    if isinstance(node, Not):
        inner = truth(node.item, view)
        return None if inner is None else not inner
    results = [truth(item, view) for item in node.items]
    if isinstance(node, All):
        if False in results:
            return False
        return None if None in results else True
    assert isinstance(node, Any_)
    if True in results:
        return True
    return None if None in results else False


@attrs.frozen
class AtomResult:
    """One comparison of a rule's condition as evaluated on a case."""

    test: str  # the comparison as written, e.g. 'ownership.employee_pct > 50'
    fact: str
    actual: object  # the case's value (None = unknown)
    result: Truth


def explain(node: Condition, view: Mapping[str, object]) -> tuple[AtomResult, ...]:
    """Each comparison with the value it read and whether it held."""
    return tuple(AtomResult(str(a), a.fact, _lookup(view, a), compare(a, _lookup(view, a)))
                 for a in atoms(node))


# --- compiled conditions: the same semantics, prepared once per condition ----------------

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    "contains": lambda a, b: b in a, "not contains": lambda a, b: b not in a,
}


def _atom_test(atom: Compare) -> Callable[[Mapping[str, object]], Truth]:
    key = years_since_key(atom.fact) if atom.measure == "years_since" else atom.fact
    if atom.op == "known":
        return lambda view: view.get(key) is not None
    if atom.op == "unknown":
        return lambda view: view.get(key) is None
    value = tuple(quantise(v) for v in atom.value) if isinstance(atom.value, tuple) \
        else quantise(atom.value)
    op = _OPS[atom.op]

    def test(view: Mapping[str, object]) -> Truth:
        actual = view.get(key)
        if actual is None:
            return None
        return bool(op(quantise(actual), value))
    return test


def _combiner(node: Condition, index: list[int]) -> Callable[[Sequence[Truth]], Truth]:
    if isinstance(node, Compare):
        position = index[0]
        index[0] += 1
        return lambda results: results[position]
    if isinstance(node, Not):
        inner = _combiner(node.item, index)

        def negate(results: Sequence[Truth]) -> Truth:
            value = inner(results)
            return None if value is None else not value
        return negate
    parts = [_combiner(item, index) for item in node.items]
    if isinstance(node, All):
        def all_of(results: Sequence[Truth]) -> Truth:
            values = [p(results) for p in parts]
            if False in values:
                return False
            return None if None in values else True
        return all_of

    def any_of(results: Sequence[Truth]) -> Truth:
        values = [p(results) for p in parts]
        if True in values:
            return True
        return None if None in values else False
    return any_of


def _short_circuit(node: Condition) -> Callable[[Mapping[str, object]], Truth]:
    """Kleene truth that stops at the first decisive part (most rules fail on their first)."""
    if isinstance(node, Compare):
        return _atom_test(node)
    if isinstance(node, Not):
        inner = _short_circuit(node.item)

        def negate(view: Mapping[str, object]) -> Truth:
            value = inner(view)
            return None if value is None else not value
        return negate
    parts = tuple(_short_circuit(item) for item in node.items)
    decisive = isinstance(node, Any_)  # True decides an "or", False decides an "and"

    def combine(view: Mapping[str, object]) -> Truth:
        unknown = False
        for part in parts:
            value = part(view)
            if value is decisive:
                return decisive
            if value is None:
                unknown = True
        return None if unknown else not decisive
    return combine


@attrs.frozen
class Compiled:
    """A condition prepared for fast repeated evaluation and explanation."""

    atoms: tuple[Compare, ...]
    texts: tuple[str, ...]  # each comparison as written
    keys: tuple[str, ...]  # the view key each comparison reads
    tests: tuple[Callable[[Mapping[str, object]], Truth], ...]
    combine: Callable[[Sequence[Truth]], Truth]
    truth: Callable[[Mapping[str, object]], Truth]  # the Kleene truth, short-circuited

    def results(self, view: Mapping[str, object]) -> list[Truth]:
        """The truth of each comparison."""
        return [test(view) for test in self.tests]


# keyed by the condition object itself, weakly: an entry lives exactly as long as the pack
# (and so the rule) that holds the condition
_COMPILED: weakref.WeakKeyDictionary[Condition, Compiled] = weakref.WeakKeyDictionary()


def compiled(node: Condition) -> Compiled:
    """The compiled form of a condition, made once and kept while the condition lives."""
    found_already = _COMPILED.get(node)
    if found_already is not None:
        return found_already
    found = tuple(atoms(node))
    result = Compiled(
        atoms=found, texts=tuple(str(a) for a in found),
        keys=tuple(years_since_key(a.fact) if a.measure == "years_since" else a.fact
                   for a in found),
        tests=tuple(_atom_test(a) for a in found), combine=_combiner(node, [0]),
        truth=_short_circuit(node))
    _COMPILED[node] = result
    return result
