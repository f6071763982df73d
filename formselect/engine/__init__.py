"""Run a pack on a case: the durable_rules engine (``durable``) or the pure-Python evaluator
(``python``), chosen in the :data:`BACKENDS` table.

Reads a checked pack (``pack``) and the case's fact view (``view``); ``decide`` reads the
:class:`Evaluation`. Both backends produce the same evaluation (the differential tests check
this). The engine is the default; the evaluator explains rules that did not fire and serves
as the oracle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

import attrs

from formselect.case.model import Case
from formselect.conditions.syntax import Literal
from formselect.pack.model import Pack, merge_derivations

from . import durable, python
from .view import case_view

__all__ = ["BACKENDS", "Backend", "Evaluation", "Run", "evaluate", "merge_derivations"]


class Backend(StrEnum):
    """The built-in evaluators (any name in :data:`BACKENDS` is accepted)."""

    DURABLE = "durable"
    PYTHON = "python"


@attrs.frozen
class Evaluation:
    """The fired rules and derived facts for one case on one date."""

    fired: frozenset[str]
    derived: Mapping[str, Literal]
    conflicts: tuple[tuple[str, tuple[str, ...]], ...]  # (derived fact, rule ids that disagree)
    view: Mapping[str, object]  # the case facts, as_of and derived facts


def _finish(pack: Pack, fired: Iterable[str], view: dict[str, object]) -> Evaluation:
    fired_set = frozenset(fired)
    by_id = {r.id: r for r in pack.rules}
    values, conflicts = merge_derivations(by_id[r] for r in fired_set)
    return Evaluation(fired_set, values, tuple(conflicts), {**view, **values})


Run = Callable[[Pack, Mapping[str, object], dt.date], Iterable[str]]

BACKENDS: dict[str, Run] = {
    Backend.DURABLE: durable.fire,
    Backend.PYTHON: python.fire,
}
"""Each backend by name: the pack, the case's fact view and the date in; the ids of the rules
that fired out. A new engine is one new module and one line here; ``advise(...,
backend="name")`` then finds it (:class:`Backend` names the built-in two)."""


def evaluate(pack: Pack, case: Case, as_of: dt.date,
             backend: Backend | str = Backend.DURABLE) -> Evaluation:
    """Run the pack on the case as at ``as_of``."""
    view = case_view(case, as_of)
    return _finish(pack, BACKENDS[backend](pack, view, as_of), view)
