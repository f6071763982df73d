"""Evaluate a pack on a case: the durable_rules engine, or the pure-Python evaluator.

Both backends produce the same :class:`Evaluation` (the differential tests check this).
The engine is the default; the evaluator explains rules that did not fire and serves as the
oracle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import StrEnum

import attrs

from formselect.case.model import Case
from formselect.conditions.syntax import Literal
from formselect.pack.model import Pack, merge_derivations

from . import durable as _durable
from .durable import engine_message
from .view import case_view

__all__ = ["Backend", "Evaluation", "evaluate", "merge_derivations"]


class Backend(StrEnum):
    """Which evaluator runs the rules."""

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


def _python(pack: Pack, view: dict[str, object], as_of: dt.date) -> Evaluation:
    current = dict(view)
    fired: list[str] = []
    conditions = pack.compiled
    for rules in pack.layers_on(as_of):
        now = [r for r in rules if conditions[r.id].truth(current) is True]
        fired += [r.id for r in now]
        values, _ = merge_derivations(now)
        # a fact derived in a lower stratum keeps its value (the engine does the same)
        current.update({k: v for k, v in values.items() if k not in current})
    return _finish(pack, fired, view)


def evaluate(pack: Pack, case: Case, as_of: dt.date,
             backend: Backend = Backend.DURABLE) -> Evaluation:
    """Run the pack on the case as at ``as_of``."""
    view = case_view(case, as_of)
    if backend is Backend.PYTHON:
        return _python(pack, view, as_of)
    return _finish(pack, _durable.run(pack, engine_message(view)), view)
