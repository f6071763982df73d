"""Run a pack on a case: the durable_rules engine (``durable``), the compiled evaluator
(``compiled``) or the three-valued evaluator (``python``), chosen in the :data:`BACKENDS`
table.

Reads a checked pack (``pack``) and the case's fact view (``view``); ``decide`` reads the
:class:`Evaluation`. Every backend produces the same evaluation (the differential tests check
this). durable_rules is the default wherever it imports (CPython 3.11 and 3.12); on 3.13 and
later, where durable_rules 2.0.28 does not import, the compiled evaluator is
(:data:`DEFAULT_BACKEND`). The three-valued evaluator explains rules that did not fire and
serves as the oracle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

import attrs

from formselect.case.model import Case
from formselect.conditions.syntax import Literal
from formselect.pack.model import Pack, merge_derivations

from . import compiled, durable, python
from .view import case_view

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Backend", "Evaluation", "Run", "evaluate",
           "merge_derivations"]


class Backend(StrEnum):
    """The built-in evaluators (any name in :data:`BACKENDS` is accepted)."""

    DURABLE = "durable"  # durable_rules' C engine (CPython 3.11 and 3.12)
    COMPILED = "compiled"  # the conditions compiled to Python functions (every Python)
    PYTHON = "python"  # the three-valued evaluator, comparison by comparison (the oracle)


# durable_rules where it imports, else the compiled evaluator
DEFAULT_BACKEND = Backend.DURABLE if durable.AVAILABLE else Backend.COMPILED


@attrs.frozen
class Evaluation:
    """The fired rules and derived facts for one case on one date."""

    fired: frozenset[str]
    derived: Mapping[str, Literal]
    conflicts: tuple[tuple[str, tuple[str, ...]], ...]  # (derived fact, rule ids that disagree)
    view: Mapping[str, object]  # the case facts, as_of and derived facts
    engine: str = attrs.field(default="", eq=False)  # the backend that ran the rules


def _finish(pack: Pack, fired: Iterable[str], view: dict[str, object],
            engine: str) -> Evaluation:
    fired_set = frozenset(fired)
    by_id = pack.by_id
    values, conflicts = merge_derivations(by_id[r] for r in fired_set if by_id[r].derive)
    return Evaluation(fired_set, values, tuple(conflicts), {**view, **values}, engine)


Run = Callable[[Pack, Mapping[str, object], dt.date], Iterable[str]]

BACKENDS: dict[str, Run] = {
    Backend.DURABLE: durable.fire,
    Backend.COMPILED: compiled.fire,
    Backend.PYTHON: python.fire,
}
"""Each backend by name: the pack, the case's fact view and the date in; the ids of the rules
that fired out. A new engine is one new module and one line here; ``advise(...,
backend="name")`` then finds it (:class:`Backend` names the built-in three)."""


def evaluate(pack: Pack, case: Case, as_of: dt.date,
             backend: Backend | str | None = None) -> Evaluation:
    """Run the pack on the case as at ``as_of`` (``backend``: :data:`DEFAULT_BACKEND`)."""
    name = backend or DEFAULT_BACKEND
    view = case_view(case, as_of, pack.cpv_lists)
    return _finish(pack, BACKENDS[name](pack, view, as_of), view, str(name))
