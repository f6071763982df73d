"""Shared machinery for why-not, what-if and question ranking.

* ``quick_standing``: the outcome for a case without building a trace, using the compiled
  evaluator (it agrees with the engine; the differential tests hold it to that).
* ``candidate_values``: the values worth trying for a fact — every allowed value of an
  enumeration, and for numbers and dates the thresholds the pack's own conditions use, with
  the values just either side. They come from the rules, never from a hand-written list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable

from formselect.case.kinds import FactKind
from formselect.case.model import Case
from formselect.case.vocabulary import case_facts
from formselect.decide import Standing, standing
from formselect.engine import Backend, evaluate
from formselect.engine.view import anniversary
from formselect.errors import CaseError
from formselect.pack.model import Pack

__all__ = ["candidate_values", "case_facts_behind", "quick_standing", "try_change"]


def quick_standing(pack: Pack, case: Case, as_of: dt.date) -> Standing:
    """The ranking and routes for a case, without the trace."""
    return standing(pack, evaluate(pack, case, as_of, Backend.COMPILED))


def try_change(case: Case, changes: dict[str, object]) -> Case | None:
    """The case with facts changed, or None if the change contradicts other facts."""
    try:
        return case.with_facts(changes)
    except (CaseError, TypeError, ValueError):
        return None


def case_facts_behind(pack: Pack, rule_ids: Iterable[str]) -> tuple[str, ...]:
    """Case facts the rules read, following derived facts to the rules that derive them."""
    derivers: dict[str, list[str]] = {}
    for rule in pack.rules:
        for name in rule.derive:
            derivers.setdefault(name, []).append(rule.id)
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = list(rule_ids)
    while pending:
        rule_id = pending.pop(0)
        if rule_id in seen:
            continue
        seen.add(rule_id)
        for fact in pack.rule(rule_id).facts:
            if "." in fact:
                found[fact] = None
            else:
                pending += derivers.get(fact, [])
    return tuple(found)


def candidate_values(pack: Pack, fact: str, current: object,
                     as_of: dt.date) -> list[object]:
    """Values worth trying for a fact, nearest the rules' thresholds; never the current one."""
    spec = case_facts()[fact]
    kind = spec.kind
    values: list[object]
    if kind is FactKind.BOOL:
        values = [True, False]
    elif kind is FactKind.ENUM:
        values = list(spec.values)
    elif kind is FactKind.SET:
        values = _set_candidates(spec.values, current)
    elif kind in (FactKind.INT, FactKind.NUMBER):
        values = _number_candidates(pack, fact, kind, spec.minimum, spec.maximum)
    elif kind is FactKind.DATE:
        values = _date_candidates(pack, fact, as_of)
    else:
        values = []
    plain = current.value if hasattr(current, "value") else current
    if isinstance(current, frozenset):
        plain = frozenset(getattr(v, "value", v) for v in current)
    return [v for v in values if v != plain]


def _set_candidates(members: tuple[str, ...], current: object) -> list[object]:
    now = frozenset(getattr(v, "value", v) for v in current) \
        if isinstance(current, frozenset) else frozenset()
    toggled = [now ^ {m} for m in members]
    return [sorted(str(v) for v in s) for s in toggled if s]


def _number_candidates(pack: Pack, fact: str, kind: FactKind, low: float | None,
                       high: float | None) -> list[object]:
    step: float = 1
    out: dict[float, None] = {}
    for literal in pack.literals.get((fact, "value"), ()):
        if isinstance(literal, bool) or not isinstance(literal, int | float):
            continue
        if kind is FactKind.NUMBER and not float(literal).is_integer():
            step = 0.1
        for value in (literal - step, literal, literal + step):
            out[value] = None
    for bound in (low, high):
        if bound is not None:
            out[bound] = None
    chosen = sorted(v for v in out if (low is None or v >= low) and (high is None or v <= high))
    if kind is FactKind.INT:
        return [int(v) for v in chosen]
    return [int(v) if float(v).is_integer() else round(v, 6) for v in chosen]


def _date_candidates(pack: Pack, fact: str, as_of: dt.date) -> list[object]:
    out: dict[dt.date, None] = {}

    def near(day: dt.date, offsets: tuple[int, ...]) -> None:
        for days in offsets:  # near year 1 or 9999 a neighbour may not exist: skip it
            with contextlib.suppress(OverflowError):
                out[day + dt.timedelta(days=days)] = None

    for literal in pack.literals.get((fact, "value"), ()):
        if isinstance(literal, dt.date):
            near(literal, (-1, 0, 1))
    for years in pack.literals.get((fact, "years_since"), ()):
        if isinstance(years, int | float) and not isinstance(years, bool) and years >= 0:
            year = as_of.year - int(years)
            if dt.MINYEAR <= year <= dt.MAXYEAR:  # no anniversary before year 1
                near(anniversary(as_of, year), (-1, 1))
    dates: list[object] = [*sorted(out)]
    return dates
