"""Turn a case into the flat fact view the evaluators read.

The durable engine reads the same view as a message (``_durable.engine_message``) carrying
exactly the same information, so that the engine and the pure-Python evaluator agree.
Unknown facts are simply absent.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from enum import Enum

from formselect.case.kinds import RESOLUTION, FactKind, quantise
from formselect.case.model import Case
from formselect.case.vocabulary import case_facts
from formselect.conditions.kleene import years_since_key
from formselect.pack.model import CpvList

__all__ = ["RESOLUTION", "anniversary", "case_view", "cpv_entries", "fact_entries", "quantise",
           "value_entries", "years_between"]


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
    return value_entries(name, case.get(name), as_of)


def value_entries(name: str, value: object, as_of: dt.date | None) -> dict[str, object]:
    """The entries a case fact with this value (as the case holds it) gives the view, as
    :func:`case_view` makes them; ``as_of`` is read for a date only."""
    if value is None:
        return {}
    entries = {name: _plain(value)}
    if case_facts()[name].kind is FactKind.DATE:
        assert as_of is not None, "a date's entries need the day it is measured to"
        entries[years_since_key(name)] = years_between(value, as_of)  # type: ignore[arg-type]
    return entries


def cpv_entries(lists: Iterable[CpvList], case: Case, as_of: dt.date) -> dict[str, str]:
    """For each CPV list in force on ``as_of``, how the case's codes stand against it
    (``cpv_<id>``: all, some or none); absent when no code is given or the codes do not
    settle it, so that the rules reading the service categories decide instead.

    Computed here, once, before any engine runs: every backend reads the same view, so the
    durable, compiled and three-valued evaluators agree without a new condition operator.
    """
    codes = case.service.cpv_codes
    if not codes:
        return {}
    entries: dict[str, str] = {}
    for cpv in lists:
        if cpv.in_force(as_of):
            standing = cpv.standing(codes)
            if standing is not None:
                entries[cpv.fact] = standing.value
    return entries


# values the view holds as they are (an enumeration's member is a str, but not of type str)
_PLAIN_TYPES = frozenset({bool, int, float, str})

# per case section, in vocabulary order: (field, fact name, the key of its years before
# as_of for a date, else None)
_Plan = tuple[tuple[str, tuple[tuple[str, str, str | None], ...]], ...]


@functools.cache
def _plan() -> _Plan:
    runs: list[tuple[str, list[tuple[str, str, str | None]]]] = []
    for name, spec in case_facts().items():
        section, _, field = name.partition(".")
        if not runs or runs[-1][0] != section:
            runs.append((section, []))
        runs[-1][1].append((field, name, years_since_key(name)
                            if spec.kind is FactKind.DATE else None))
    return tuple((section, tuple(fields)) for section, fields in runs)


def case_view(case: Case, as_of: dt.date,
              cpv_lists: Iterable[CpvList] = ()) -> dict[str, object]:
    """Fact name -> plain value (enums as strings); unknown facts are absent. With the
    pack's CPV lists, the view also says how the case's codes stand against each."""
    view: dict[str, object] = {"as_of": as_of, **cpv_entries(cpv_lists, case, as_of)}
    plain_types = _PLAIN_TYPES
    for section, fields in _plan():
        facts = getattr(case, section)
        for field, name, years_key in fields:
            value = getattr(facts, field)
            if value is None:
                continue
            view[name] = value if type(value) in plain_types else _plain(value)
            if years_key is not None:
                view[years_key] = years_between(value, as_of)
    return view
