"""Turn a case into the flat fact view the evaluators read.

The durable engine reads the same view as a message (``_durable.engine_message``) carrying
exactly the same information, so that the engine and the pure-Python evaluator agree.
Unknown facts are simply absent.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from formselect.case.kinds import RESOLUTION, FactKind, quantise
from formselect.case.model import Case
from formselect.case.vocabulary import case_facts
from formselect.conditions.kleene import years_since_key

__all__ = ["RESOLUTION", "anniversary", "case_view", "fact_entries", "quantise", "years_between"]


def years_between(earlier: dt.date, later: dt.date) -> float:
    """Calendar years from ``earlier`` to ``later``: whole anniversaries plus a fraction.

    ``years_between(d, as_of) < 3`` is true exactly when ``as_of`` is before the third
    anniversary of ``d`` (a 29 February anniversary falls on 28 February).
    """
    sign = 1.0
    if later < earlier:
        earlier, later, sign = later, earlier, -1.0
    years = later.year - earlier.year
    if anniversary(earlier, later.year) > later:
        years -= 1
    start = anniversary(earlier, earlier.year + years)
    if start.year == dt.MAXYEAR:  # no next anniversary to measure the fraction against
        return sign * (years + (later - start).days / 365.2425)
    end = anniversary(earlier, earlier.year + years + 1)
    return sign * (years + (later - start).days / (end - start).days)


def anniversary(day: dt.date, year: int) -> dt.date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return day.replace(year=year, day=28)


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset):
        return frozenset(_plain(v) for v in value)
    return value


def fact_entries(case: Case, name: str, as_of: dt.date) -> dict[str, object]:
    """The entries one case fact gives the view (none when it is unknown): the fact, and for
    a date its years before ``as_of``, exactly as :func:`case_view` makes them."""
    value = case.get(name)
    if value is None:
        return {}
    entries = {name: _plain(value)}
    if case_facts()[name].kind is FactKind.DATE:
        entries[years_since_key(name)] = years_between(value, as_of)  # type: ignore[arg-type]
    return entries


def case_view(case: Case, as_of: dt.date) -> dict[str, object]:
    """Fact name -> plain value (enums as strings); unknown facts are absent."""
    view: dict[str, object] = {"as_of": as_of}
    for name, spec in case_facts().items():
        value = case.get(name)
        if value is None:
            continue
        view[name] = _plain(value)
        if spec.kind is FactKind.DATE:
            view[years_since_key(name)] = years_between(value, as_of)  # type: ignore[arg-type]
    return view
