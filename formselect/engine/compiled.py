"""The compiled backend: each stratum's conditions as one generated Python function
(:mod:`formselect.conditions.compiled`). It runs on every Python formselect supports and is
the engine wherever durable_rules does not import (CPython 3.13 and later)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from formselect.case.kinds import quantise
from formselect.conditions.compiled import quantised
from formselect.pack.model import Pack, merge_derivations

__all__ = ["fire"]


def fire(pack: Pack, view: Mapping[str, object], as_of: dt.date) -> list[str]:
    """The ids of the rules that fire for a case's fact view, stratum by stratum."""
    current = quantised(view)
    rules = pack.rules
    fired: list[str] = []
    for stratum in pack.program.strata:
        now = [rules[i] for i in stratum(current, as_of)]
        fired += [r.id for r in now]
        deriving = [r for r in now if r.derive]
        if not deriving:  # most strata of most cases derive nothing
            continue
        values, _ = merge_derivations(deriving)
        for name, value in values.items():
            if name not in current:  # a fact derived in a lower stratum keeps its value
                current[name] = quantise(value)
    return fired
