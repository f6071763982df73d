"""The "raw engine": the pack's rules hand-compiled straight into durable_rules.

The ceiling that formselect's engine path is compared with: the whole pack in one ruleset,
as formselect's adapter gave it to the engine before it held one ruleset per validity span.
The same compiled conditions (formselect's own compiler, ``formselect.engine.durable``),
each rule's validity tested in its pattern, strata cut into stages by the adapter's bound on
the engine's stack, the same staged chaining (one advance rule per stage re-asserting the
fact with ``stage + 1``), one ``assert_fact`` and one ``delete_state`` per case, on a
private ``durable.engine.Host`` subclass whose timer threads are never started.

What it leaves out is everything formselect adds around the engine: no fact view or message
building (the message is built once, before timing), no per-sid record, no lock, no error
wrapping, no ``Evaluation``. Rules that derive nothing run a no-op action; a rule that
derives facts copies its (pre-converted) values into a dict that the stage advancer reads,
the minimum that chaining needs. On a derived-fact conflict the first rule to fire wins
(formselect: lowest stratum, then lowest id); the generated packs have no conflicts.

``RawEngine(pack, record=True)`` records the fired rule ids, to check that the raw engine
fires exactly what formselect's engine fires (the benchmark checks this before timing).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from formselect.engine import durable as _durable
from formselect.engine.durable import compile_condition, engine_key, engine_value
from formselect.pack.model import Pack

__all__ = ["RawEngine"]

_ADVANCE_PRI = 1_000_000
_NAMES = itertools.count()


def _host() -> Any:
    """A private durable Host without its timer threads (durable_rules must import)."""
    if not _durable.AVAILABLE:
        raise RuntimeError(f"no raw durable engine here: {_durable.UNAVAILABLE_REASON}")
    from durable import engine as durable_engine

    class _Host(durable_engine.Host):  # type: ignore[misc]
        def _run(self) -> None:  # no timer threads
            return None

    return _Host()


def _noop(closure: Any) -> None:
    return None


def _patterns(pack: Pack) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    """Rule id -> (priority, durable pattern): the whole pack in one ruleset, each rule's
    validity tested in its pattern (as formselect's adapter gave the engine before it held
    one ruleset per validity span), each stratum cut into stages by the adapter's exact
    bound on the engine's stack."""
    patterns: dict[str, tuple[int, list[dict[str, Any]]]] = {}
    stage = -1
    for layer in pack.layers:
        network = None
        for rule in layer:
            parts: list[dict[str, Any]] = [{"$gte": {"as_of": rule.valid_from.toordinal()}}]
            if rule.valid_until is not None:
                parts.append({"$lte": {"as_of": rule.valid_until.toordinal()}})
            condition = compile_condition(rule.condition)
            parts += condition["$and"] if set(condition) == {"$and"} else [condition]
            if network is not None:
                network.add({"$and": [{"stage": stage}, *parts]})
            if network is None or network.bound > _durable.STACK_BUDGET:
                stage += 1  # the stage ends before this rule
                network = _durable._Network()
                network.add({"$and": [{"stage": stage}, *parts]})
            patterns[rule.id] = (1, [{"m": {"$and": [{"stage": stage}, *parts]}}])
    return patterns


class RawEngine:
    """One pack compiled into its own private durable host."""

    def __init__(self, pack: Pack, *, record: bool = False) -> None:
        self._record = record
        self.fired: list[str] = []
        self._derived: dict[str, object] = {}
        self._host = _host()
        self._name = f"raw_{pack.digest}_{next(_NAMES)}"
        self._sids = itertools.count()
        self._host.register_rulesets({self._name: self._definition(pack)})

    def _definition(self, pack: Pack) -> dict[str, Any]:
        rules: dict[str, Any] = {}
        patterns = _patterns(pack)
        for rule_id, (pri, pattern) in patterns.items():
            values = {engine_key(k): engine_value(v)
                      for k, v in pack.rule(rule_id).derive.items()}
            rules[rule_id] = {"all": pattern, "pri": pri, "run": self._action(rule_id, values)}
        # the stages the patterns name: formselect cuts strata into stages its stack can hold
        stages = 1 + max((p[0]["m"]["$and"][0]["stage"] for _, p in patterns.values()),
                         default=0)
        for stage in range(stages):  # the last one is a no-op consumer, as in formselect
            last = stage == stages - 1
            rules[f"~stage-{stage}"] = {"all": [{"m": {"stage": stage}}], "pri": _ADVANCE_PRI,
                                        "run": _noop if last else self._advancer(stage)}
        return rules

    def _action(self, rule_id: str, values: Mapping[str, object]) -> Callable[[Any], None]:
        derived = self._derived
        fired = self.fired
        if self._record:
            def record(closure: Any) -> None:
                fired.append(rule_id)
                for key, value in values.items():
                    derived.setdefault(key, value)
            return record
        if not values:
            return _noop

        def derive(closure: Any) -> None:
            for key, value in values.items():
                derived.setdefault(key, value)
        return derive

    def _advancer(self, stage: int) -> Callable[[Any], None]:
        derived = self._derived

        def advance(closure: Any) -> None:
            fact = dict(closure.m._d)
            fact["stage"] = stage + 1
            for key, value in derived.items():
                fact.setdefault(key, value)
            closure.assert_fact(fact)
        return advance

    def run(self, message: Mapping[str, object]) -> None:
        """Evaluate one case message (from ``formselect.engine.durable.engine_message``)."""
        self._derived.clear()
        self.fired.clear()
        sid = f"r{next(self._sids)}"
        try:
            state = self._host.assert_fact(self._name, {**message, "sid": sid, "stage": 0})
            if isinstance(state, dict) and state.get("exception"):
                raise RuntimeError(state["exception"])
        finally:
            self._host.delete_state(self._name, sid)
