"""Turn a case into the flat fact view the evaluator reads and the message the engine reads.

Both forms carry exactly the same information, so that the engine and the pure-Python
evaluator agree. Unknown facts are simply absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import Enum

from .case import Case
from .evaluate import years_since_key
from .facttypes import RESOLUTION, FactKind, quantise
from .vocabulary import case_facts

__all__ = ["RESOLUTION", "case_view", "engine_key", "engine_message", "engine_value",
           "quantise", "years_between"]


def years_between(earlier: dt.date, later: dt.date) -> float:
    """Calendar years from ``earlier`` to ``later``: whole anniversaries plus a fraction.

    ``years_between(d, as_of) < 3`` is true exactly when ``as_of`` is before the third
    anniversary of ``d`` (a 29 February anniversary falls on 28 February).
    """
    sign = 1.0
    if later < earlier:
        earlier, later, sign = later, earlier, -1.0
    years = later.year - earlier.year
    if _anniversary(earlier, later.year) > later:
        years -= 1
    start = _anniversary(earlier, earlier.year + years)
    if start.year == dt.MAXYEAR:  # no next anniversary to measure the fraction against
        return sign * (years + (later - start).days / 365.2425)
    end = _anniversary(earlier, earlier.year + years + 1)
    return sign * (years + (later - start).days / (end - start).days)


def _anniversary(day: dt.date, year: int) -> dt.date:
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


def engine_key(name: str, measure: str = "value") -> str:
    """The engine's key for a fact: no dots, and never clashing with another fact."""
    key = name.replace(".", "__")
    if "." not in name and name != "as_of":
        key = "d__" + key  # derived facts
    return f"ys__{key}" if measure == "years_since" else key


def engine_value(value: object) -> object:
    """Dates travel to the engine as day numbers and numbers as thousandths."""
    return value.toordinal() if isinstance(value, dt.date) else quantise(value)


def engine_message(view: Mapping[str, object]) -> dict[str, object]:
    """The engine fact: flat keys, day numbers for dates, one boolean per set member."""
    specs = case_facts()
    message: dict[str, object] = {}
    for name, value in view.items():
        if name.startswith("years_since("):
            fact = name[len("years_since("):-1]
            message[engine_key(fact, "years_since")] = engine_value(value)
            continue
        spec = specs.get(name)
        if spec is not None and spec.kind is FactKind.SET:
            message[engine_key(name)] = len(value)  # type: ignore[arg-type]  # for 'is known'
            for member in spec.values:
                message[f"{engine_key(name)}__{member}"] = member in value  # type: ignore[operator]
        elif spec is not None and spec.kind is FactKind.CODES:
            message[engine_key(name)] = len(value)  # type: ignore[arg-type]  # read only by 'is known'
        else:
            message[engine_key(name)] = engine_value(value)
    return message
