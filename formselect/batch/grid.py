"""Scenario grids: every combination of some facts' values, advised on, as a table.

    >>> table = grid("examples/epic.toml",                         # doctest: +SKIP
    ...              {"ownership.employee_pct": [25, 50, 75, 100],
    ...               "money.asset_lock": ["required", "not_wanted", None]})
    >>> table.to_dataframe().pivot(index="ownership.employee_pct",  # doctest: +SKIP
    ...                            columns="money.asset_lock", values="recommended_form")

``None`` (or ``"unknown"``) as a value means the fact is unknown, so a grid can also show
what knowing a fact changes. ``as_of`` may be an axis too. A combination whose facts
contradict each other (stakes above 100%) gives a row with status ``error``; a value that is
wrong on its own (a misspelt option) fails the whole grid before any work.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any

from formselect.api import CaseLike, RulesLike, resolve_case, resolve_rules
from formselect.case.io import UNKNOWN, case_from_dict, case_to_dict
from formselect.case.vocabulary import case_facts
from formselect.errors import CaseError, Problem, did_you_mean
from formselect.report.tables import html_table

from .io import COLUMNS, BatchRow, Record
from .run import dataframe, run_records

__all__ = ["GridTable", "grid"]

RESULT_COLUMNS = tuple(c for c in COLUMNS if c not in ("row", "name"))
MAX_COMBINATIONS = 10_000_000  # a guard against a grid that would never finish


class GridTable(list[dict[str, Any]]):
    """The rows of a grid (one dict per combination, axes first), in axis order: the
    last axis varies fastest."""

    columns: tuple[str, ...] = ()
    axes: tuple[str, ...] = ()  # the facts (or as_of) varied, in order

    def to_dataframe(self) -> Any:
        """A pandas DataFrame (needs ``formselect[pandas]``)."""
        return dataframe(list(self), list(self.columns))

    def to_frame(self) -> Any:
        """A pandas DataFrame, as ``to_frame()`` of sweeps and diffs."""
        return self.to_dataframe()

    def __repr__(self) -> str:
        axes = self.axes
        outcomes = sorted({str(r.get("recommended_form") or r.get("status") or "")
                           for r in self})
        return (f"<GridTable {len(self)} row{'' if len(self) == 1 else 's'} over "
                f"{', '.join(axes) or 'no axis'}; outcomes: {', '.join(outcomes) or 'none'}>")

    def _repr_html_(self) -> str:
        return html_table(self.columns, self, f"Grid of {len(self):,} combinations")


def grid(base_case: CaseLike, axes: Mapping[str, Iterable[object]],
         as_of: dt.date | str | None = None, rules: RulesLike = None, *,
         processes: int | None = None, executor: Any = None) -> GridTable:
    """Advise on the base case with every combination of the values in ``axes``.

    ``axes`` maps a dotted fact name (or ``"as_of"``) to the values to try. Rows hold each
    axis value, then ``as_of``, ``status``, ``recommended_form``, ``recommended_route``,
    ``regime``, ``top_risks``, ``fired_rules`` and ``error``. ``processes`` and
    ``executor`` are as for :func:`formselect.advise_many` (default: this process for a small
    grid, every local core for a large one).
    """
    base = case_to_dict(resolve_case(base_case))
    values = {name: list(options) for name, options in axes.items()}
    _check_axes(values)
    total = math.prod(len(v) for v in values.values())
    if total > MAX_COMBINATIONS:
        raise CaseError([Problem("", "too many combinations", total,
                                 f"at most {MAX_COMBINATIONS:,}", source="grid")])
    combos = list(itertools.product(*values.values()))
    records = (_record(i, base, dict(zip(values, combo, strict=True)))
               for i, combo in enumerate(combos, 1))
    rows = run_records(records, total, pack=resolve_rules(rules), as_of=as_of,
                       processes=processes, executor=executor, chunksize=None,
                       keep_advice=False, progress=None)
    table = GridTable(_row(dict(zip(values, combo, strict=True)), row)
                      for combo, row in zip(combos, rows, strict=True))
    table.columns = (*values, *(c for c in RESULT_COLUMNS if c not in values))
    table.axes = tuple(values)
    return table


def _check_axes(values: Mapping[str, list[object]]) -> None:
    """Every axis must be a known fact with at least one value, each valid on its own."""
    facts = case_facts()
    known = ["as_of", *facts]
    problems: list[Problem] = []
    for name, options in values.items():
        if name not in known:
            problems.append(Problem(name, "unknown fact", expected="a dotted fact name or "
                                    "as_of", suggestion=did_you_mean(name, known),
                                    source="grid"))
            continue
        if not options:
            problems.append(Problem(name, "no values to try", expected="one or more values",
                                    source="grid"))
        for index, value in enumerate(options):
            problems += _value_problems(name, index, value)
    if problems:
        raise CaseError(problems)


def _value_problems(name: str, index: int, value: object) -> list[Problem]:
    where = f"{name}[{index}]"
    if _unknown(value):
        return []
    if name == "as_of":
        if isinstance(value, dt.date) or (isinstance(value, str) and _is_date(value)):
            return []
        return [Problem(where, "invalid value", value, "a date such as 2025-03-01",
                        source="grid")]
    section, _, field = name.partition(".")
    try:
        case_from_dict({section: {field: value}})
    except CaseError as exc:
        return [Problem(where, p.message, p.found, p.expected, p.suggestion, source="grid")
                for p in exc.problems]
    return []


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _unknown(value: object) -> bool:
    return value is None or value == UNKNOWN


def _record(row: int, base: Mapping[str, Any], combo: Mapping[str, object]) -> Record:
    data = copy.deepcopy(dict(base))
    as_of: Any = None
    for name, value in combo.items():
        if name == "as_of":
            as_of = None if _unknown(value) else value
            continue
        section, _, field = name.partition(".")
        facts = data.setdefault(section, {})
        if _unknown(value):
            facts.pop(field, None)
        else:
            facts[field] = value
    label = ", ".join(f"{k}={v!r}" for k, v in combo.items())
    return Record(row, f"grid row {row} ({label})", str(data.get("name", "")), as_of, data)


def _row(combo: Mapping[str, object], result: BatchRow) -> dict[str, Any]:
    record = result.to_record()
    row: dict[str, Any] = dict(combo)
    row.update((c, record[c]) for c in RESULT_COLUMNS if c not in combo)
    return row
