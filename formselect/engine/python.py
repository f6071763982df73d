"""The pure-Python backend: each stratum in order, with the Kleene evaluator of ``conditions``.

The oracle the durable engine is tested against, and the evaluator the explanations use
(it is quick for one case and needs no engine state).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from formselect.pack.model import Pack, merge_derivations

__all__ = ["fire"]


def fire(pack: Pack, view: Mapping[str, object], as_of: dt.date) -> list[str]:
    """The ids of the rules that fire for a case's fact view, stratum by stratum."""
    current = dict(view)
    fired: list[str] = []
    conditions = pack.compiled
    for rules in pack.layers_on(as_of):
        now = [r for r in rules if conditions[r.id].truth(current) is True]
        fired += [r.id for r in now]
        values, _ = merge_derivations(now)
        # a fact derived in a lower stratum keeps its value (the engine does the same)
        current.update({k: v for k, v in values.items() if k not in current})
    return fired
