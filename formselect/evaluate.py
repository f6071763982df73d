"""Three-valued (Kleene) evaluation of conditions in pure Python.

A comparison on an unknown fact is *unknown*; ``and``/``or``/``not`` follow Kleene's
strong logic. A rule fires only when its condition is definitely true. This evaluator
explains rules that did not fire, and is the oracle the engine is tested against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs

from .conditions import All, Any_, Compare, Condition, Not
from .facttypes import quantise

__all__ = ["AtomResult", "compare", "explain", "truth", "years_since_key"]

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
    from .conditions import atoms

    return tuple(AtomResult(str(a), a.fact, _lookup(view, a), compare(a, _lookup(view, a)))
                 for a in atoms(node))
