"""Check a parsed condition against the facts it may read, before any case is seen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

import attrs

from formselect.case.kinds import MAX_MAGNITUDE, RESOLUTION, FactKind
from formselect.case.vocabulary import FactSpec
from formselect.errors import did_you_mean

from .syntax import Compare, Condition, atoms, render_literal

__all__ = ["ConditionProblem", "check_condition"]

ORDERED = ("<", "<=", ">", ">=")
OPS_BY_KIND = {
    FactKind.BOOL: ("==", "!="),
    FactKind.INT: ("==", "!=", *ORDERED, "in", "not in"),
    FactKind.NUMBER: ("==", "!=", *ORDERED, "in", "not in"),
    FactKind.DATE: ("==", "!=", *ORDERED),
    FactKind.ENUM: ("==", "!=", "in", "not in"),
    FactKind.SET: ("contains", "not contains"),
    FactKind.CODES: (),
    FactKind.TEXT: (),
}


@attrs.frozen
class ConditionProblem:
    """A type problem at a column of a condition."""

    message: str
    column: int
    found: object = None
    expected: str = ""
    suggestion: str = ""


def check_condition(node: Condition, facts: Mapping[str, FactSpec]) -> list[ConditionProblem]:
    """Every problem in the condition: unknown facts, wrong operators, impossible values."""
    problems: list[ConditionProblem] = []
    for atom in atoms(node):
        problem = _check_atom(atom, facts)
        if problem is not None:
            problems.append(problem)
    return problems


def _check_atom(atom: Compare, facts: Mapping[str, FactSpec]) -> ConditionProblem | None:
    spec = facts.get(atom.fact)
    if spec is None:
        return ConditionProblem(f"unknown fact {atom.fact!r}", atom.column, atom.fact,
                                "a case fact (section.field), a derived fact of the pack or a CPV "
                                "list's fact (cpv_<id>)",
                                did_you_mean(atom.fact, facts))
    if atom.op in ("known", "unknown"):
        return None
    kind = spec.kind
    if atom.measure == "years_since":
        if kind is not FactKind.DATE:
            return ConditionProblem(f"years_since() needs a date fact; {atom.fact!r} is {kind}",
                                    atom.column, atom.fact, "a date fact")
        if atom.fact == "as_of":  # years before as_of of as_of itself: never a real question
            return ConditionProblem("years_since(as_of) is always 0", atom.column, atom.fact,
                                    "a date fact of the case, or as_of compared with a date")
        kind = FactKind.NUMBER
    allowed = OPS_BY_KIND[kind]
    if atom.op not in allowed:
        expected = ", ".join(allowed) if allowed else "only 'is known' / 'is unknown'"
        return ConditionProblem(f"operator {atom.op!r} does not apply to {atom.fact!r} "
                                f"({kind})", atom.column, atom.op, expected)
    values = atom.value if isinstance(atom.value, tuple) else (atom.value,)
    for value in values:
        problem = _check_literal(atom, spec, kind, value)
        if problem is not None:
            return problem
    return None


def _check_literal(atom: Compare, spec: FactSpec, kind: FactKind,
                   value: object) -> ConditionProblem | None:
    found = render_literal(value)  # type: ignore[arg-type]
    if kind is FactKind.BOOL:
        if not isinstance(value, bool):
            return ConditionProblem(f"{atom.fact!r} is true or false", atom.column, found,
                                    "true or false")
    elif kind in (FactKind.INT, FactKind.NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return ConditionProblem(f"{atom.fact!r} is a number", atom.column, found, "a number")
        if abs(value) > MAX_MAGNITUDE:
            return ConditionProblem("number too large to compare", atom.column, found[:40],
                                    f"a number from {-MAX_MAGNITUDE:,} to {MAX_MAGNITUDE:,}")
        exponent = Decimal(repr(value)).as_tuple().exponent
        if isinstance(exponent, int) and 10 ** -exponent > RESOLUTION:
            return ConditionProblem("number more precise than formselect compares",
                                    atom.column, found, f"at most {len(str(RESOLUTION)) - 1} "
                                    "decimal places (numbers compare to a thousandth)")
        if atom.measure == "value" and not _in_range(spec, value):
            return ConditionProblem(f"impossible value for {atom.fact!r}", atom.column, found,
                                    f"a value from {spec.minimum:g} to {spec.maximum:g}")
    elif kind is FactKind.DATE:
        if not isinstance(value, dt.date):
            return ConditionProblem(f"{atom.fact!r} is a date", atom.column, found,
                                    "a date such as 2025-02-24")
    elif kind in (FactKind.ENUM, FactKind.SET) and value not in spec.values:
        return ConditionProblem(f"{found} is not a value of {atom.fact!r}", atom.column, found,
                                "one of " + ", ".join(spec.values),
                                did_you_mean(str(value), spec.values))
    return None


def _in_range(spec: FactSpec, value: float) -> bool:
    low = spec.minimum if spec.minimum is not None else float("-inf")
    high = spec.maximum if spec.maximum is not None else float("inf")
    return low <= value <= high
