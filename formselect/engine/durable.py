"""The only module that touches durable_rules: compile a pack to its JSON ruleset and run
cases on durable_rules' C engine (``durable_rules_engine``) directly.

Design, each point answering a measured trap of durable_rules 2.0.28:

* The C engine is driven without durable's Python ``Host``: the Host decodes and re-encodes
  the whole fact as JSON on every rule firing, stamps two timestamps (deprecated calls on
  Python 3.12) and leaves a reference cycle per firing. Here a firing costs one C call; the
  fired rule is read from the head of the engine's message.
* One ruleset per *validity span* of a pack (:mod:`formselect.engine.spans`), created on
  first use for a date in the span. The engine's work per case grows with every rule its
  ruleset holds, whether or not it can match: each new sid allocates and clears about
  11 KB of state per rule (``createStateNode``), which made a 3,000-rule pack 13-16 times
  slower per case than a 50-rule one. A ruleset of the rules in force on the case's date
  costs what those rules cost. A ruleset per *epoch* (the days between two validity
  dates) would hold exactly those, but the built-in pack has 49 epochs, and their rulesets
  would hold 7,170 rules at about 16 KB each; a span joins consecutive epochs while it
  holds at most 5/4 of the rules in force on any of its days, so a case meets at most a
  quarter more rules than are in force on its date, and the built-in pack needs 8 rulesets
  (1,131 rules, 2-4 MB each, against 342 rules in some 6 MB when one ruleset held the
  whole pack). A pack of very many epochs is joined more loosely, into at most 12 spans:
  fewer than the rulesets kept, so cases spread over all its dates never make the engine
  create one again. Days on which no rule is in force need no ruleset.
* Rule validity is tested only where a span needs it: a rule in force on every day of its
  span has no validity test; another keeps the end of its validity that falls inside the
  span, tested against ``as_of`` in the fact.
* Rules are keyed ``r0``, ``r1``, ... (their position in the pack), so no rule id has to
  survive the engine's JSON. Rules of one stratum with the same pattern in a span (the
  same condition and validity tests) are one *engine rule*, named after the first and read
  back as all of them: they fire together, and the engine holds no identical patterns.
* The case is *asserted as a fact* (an event would be consumed by the first matching rule).
* Derived facts chain through stages: the case fact carries ``stage = 0``; rules of stage
  ``k`` match ``stage == k``; a last rule per stage (highest ``pri``, so it fires after every
  other rule of the stage) tells the driver to assert the fact again with ``stage = k + 1``
  and the values derived so far (a stratum's, once its last stage is done). Every rule
  fires at most once, and every stage fact has a consumer, so the engine never reports a
  fact it could not handle. Stages are cut per span ruleset, and the loader's capacity
  checks (:func:`capacity_problems`) count on each span's ruleset, exactly as created here.
* A ruleset cannot be replaced, and deleting one frees most but not all of its memory: at
  most ``MAX_COMPILED`` stay in the engine, the least recently used deleted first. What a
  span's ruleset is made of (its JSON, stages and tested keys) is worked out once per
  installation and kept beside the cached pack; each ruleset is first created in a child
  under the watchdog (:mod:`formselect.engine.watchdog`), unless a record beside the cache
  says that this very ruleset passed before.
* One case per call with a fresh sid, its state deleted afterwards whatever happened (the
  engine caps live sids at 1,024).
* One lock around each evaluation: the C engine is not thread-safe.
* durable_rules 2.0.28 does not import on Python 3.13 or later (its extension calls
  ``PyEval_CallObject``, removed in 3.13): :data:`AVAILABLE` says whether it did, and the
  compiled evaluator is the engine where it did not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import itertools
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formselect.case.kinds import FactKind, quantise
from formselect.case.vocabulary import case_facts
from formselect.conditions.syntax import All, Any_, Compare, Condition, Not
from formselect.engine.spans import Span, validity_spans
from formselect.engine.watchdog import probe, watchdog_seconds
from formselect.errors import EngineError, Problem
from formselect.installation import CACHE_DIR, keep_in_cache
from formselect.pack.cache import code_key
from formselect.pack.model import Pack, Rule

if TYPE_CHECKING:  # only the loader's checks pass raw rules; running a pack never needs them
    from formselect.pack.schema import RawRule

__all__ = [
    "AVAILABLE",
    "MAX_ENGINE_RULES",
    "MAX_FACT_KEYS",
    "MAX_GROUPS",
    "MAX_IDENTICAL_PATTERNS",
    "MAX_LINKS_PER_NODE",
    "MAX_RULES",
    "MAX_RULES_PER_NODE",
    "UNAVAILABLE_REASON",
    "capacity_problems",
    "compile_condition",
    "engine_key",
    "engine_keys_needed",
    "engine_limit_problem",
    "engine_message",
    "engine_shape_problems",
    "engine_value",
    "fire",
    "pack_size_problems",
    "run",
]

_ADVANCE_PRI = 1_000_000  # fires after every rule of its stage (lower pri fires first)


def _import_engine() -> tuple[Any, str]:  # the C module has no type information
    try:
        with warnings.catch_warnings():  # whatever durable_rules warns about stays here
            warnings.simplefilter("ignore")
            return importlib.import_module("durable_rules_engine"), ""
    except ImportError as exc:  # not installed, or (Python 3.13+) built but unloadable
        return None, f"durable_rules does not import here ({exc})"


_ENGINE, UNAVAILABLE_REASON = _import_engine()
AVAILABLE = _ENGINE is not None

# durable_rules holds at most 4,096 rules in a ruleset (error 106 beyond); formselect adds one
# stage rule per stratum, so a pack keeps well below that
MAX_RULES = 4_000
MAX_FACT_KEYS = 255  # durable_rules: MAX_OBJECT_PROPERTIES in state.h


def engine_keys_needed(derived: int) -> int:
    """Values the engine's case fact can carry: case facts (a set as one key per member plus
    one), a years_since value per date, as_of, stage, sid and every derived fact."""
    keys = 3 + derived
    for spec in case_facts().values():
        keys += {FactKind.SET: 1 + len(spec.values), FactKind.DATE: 2}.get(spec.kind, 1)
    return keys


def pack_size_problems(rules: int, derived: int) -> list[Problem]:
    """Why the engine cannot hold a pack of ``rules`` rules and ``derived`` derived facts."""
    problems: list[Problem] = []
    keys = engine_keys_needed(derived)
    if keys > MAX_FACT_KEYS:
        allowed = derived - keys + MAX_FACT_KEYS
        problems.append(Problem("", "too many derived facts for the engine",
                                derived, f"at most {allowed} derived facts (the "
                                f"engine holds at most {MAX_FACT_KEYS} values per fact)"))
    if rules > MAX_RULES:
        problems.append(Problem("", "too many rules", rules, f"at most {MAX_RULES:,}"))
    return problems


def compile_condition(node: Condition, negate: bool = False) -> dict[str, Any]:
    """The durable pattern that matches when ``node`` is definitely true (or false)."""
    if isinstance(node, Not):
        return compile_condition(node.item, not negate)
    if isinstance(node, All | Any_):
        conjunction = isinstance(node, All) != negate  # De Morgan holds in Kleene logic
        key = "$and" if conjunction else "$or"
        parts: list[dict[str, Any]] = []
        for item in node.items:
            part = compile_condition(item, negate)
            # flatten a group of the same kind: durable caps the groups in one rule
            parts += part[key] if set(part) == {key} else [part]
        return parts[0] if len(parts) == 1 else {key: parts}
    return _compile_atom(node.negated() if negate else node)


def _compile_atom(atom: Compare) -> dict[str, Any]:
    key = engine_key(atom.fact, atom.measure)
    if atom.op == "known":
        return {"$ex": {key: 1}}
    if atom.op == "unknown":
        return {"$nex": {key: 1}}
    if atom.op in ("contains", "not contains"):
        return {f"{key}__{atom.value}": atom.op == "contains"}
    values = atom.value if isinstance(atom.value, tuple) else (atom.value,)
    # a repeated list value would be a second identical alternative in the engine
    plain = list(dict.fromkeys(engine_value(v) for v in values))
    # durable's comparisons (including $neq) never match a missing attribute, which is
    # exactly "definitely true" for an unknown fact: no existence guard is needed
    if atom.op == "==":
        return {key: plain[0]}
    if atom.op == "in":
        return {key: plain[0]} if len(plain) == 1 else {"$or": [{key: v} for v in plain]}
    if atom.op == "!=":
        return {"$neq": {key: plain[0]}}
    if atom.op == "not in":
        parts = [{"$neq": {key: v}} for v in plain]
        return parts[0] if len(parts) == 1 else {"$and": parts}
    ops = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
    return {ops[atom.op]: {key: plain[0]}}


MAX_GROUPS = 15  # durable_rules: 32 expression slots per rule (rete.h), two per and/or group


def count_groups(pattern: object) -> int:
    """The and/or groups in a compiled pattern (each takes two of durable's slots)."""
    if isinstance(pattern, dict):
        own = sum(1 for k in pattern if k in ("$and", "$or"))
        return own + sum(count_groups(v) for v in pattern.values())
    if isinstance(pattern, list):
        return sum(count_groups(v) for v in pattern)
    return 0


def engine_limit_problem(condition: Condition) -> str:
    """Why the engine cannot run a condition, or ``""``; checked when a pack loads."""
    pattern = compile_condition(condition)
    groups = 1 + count_groups(pattern)  # + the rule's own stage group
    if groups > MAX_GROUPS:
        return (f"the condition needs {groups} and/or groups; the engine allows {MAX_GROUPS} "
                "per rule (split it into derived facts)")
    pending = pending_nodes(pattern) + 2  # + the rule's two validity tests
    if pending > STACK_BUDGET:
        return (f"the condition has {pending} alternatives that can hold at once; the engine "
                f"allows {STACK_BUDGET} (split it into derived facts)")
    return ""


# durable_rules walks the alpha network depth first with a stack of 64 nodes
# (events.c MAX_STACK_SIZE) and corrupts its heap when a fact makes more nodes pending at
# once; no stage of the fact may come near that.
STACK_BUDGET = 60


def pending_nodes(pattern: Mapping[str, Any]) -> int:
    """The most alpha nodes of ``pattern`` that can wait on durable's stack at once.

    Every true alternative of an ``$or`` waits beside its siblings; a ``$and`` is a chain
    whose parts wait one after another, so only one node of each earlier part is still
    waiting when the next part is pushed.
    """
    if set(pattern) == {"$or"}:
        # equality tests of one key are siblings of which at most one holds (a fact has one
        # value per key): an `in` list waits as one node
        equal_keys = {next(iter(p)) for p in pattern["$or"] if _is_equality(p)}
        return len(equal_keys) + sum(pending_nodes(p) for p in pattern["$or"]
                                     if not _is_equality(p))
    if set(pattern) == {"$and"}:
        parts = pattern["$and"]
        return sum(pending_nodes(p) for p in parts) - (len(parts) - 1)
    return 1


def _is_equality(pattern: Mapping[str, Any]) -> bool:
    return len(pattern) == 1 and not next(iter(pattern)).startswith("$")


class _Node:
    """One node of durable's alpha network, as its compiler builds it (rete.c createAlpha):
    a test shared by every pattern that reaches it with the same test under the same parent,
    or a *forward* node that each ``$or`` creates, to which every alternative's last node
    links and under which the pattern goes on."""

    __slots__ = ("best", "children", "equal_keys", "extra", "links", "others", "parents")

    def __init__(self) -> None:
        self.links = 0  # nodes linked below this one (rete.c linkAlpha): its hash table
        self.children: dict[tuple[str, str, str], _Node] = {}
        self.parents: list[_Node] = []
        self.equal_keys: dict[str, int] = {}  # equality children by key: one can match
        self.others = 0  # children that can all match at once (other tests, forward nodes)
        self.best = 0  # the largest extra() among the children
        self.extra = 0  # the most stack entries this node's walk can hold (see _Network)

    def pushed(self) -> int:
        """The most children the engine can push at once when it visits this node."""
        return len(self.equal_keys) + self.others


class _Network:
    """The alpha network of one stage, with an exact bound on durable's stack for it.

    durable walks the network depth first (events.c handleAlpha): it pops a node and pushes
    every child whose test holds (a forward node is always pushed, an equality test holds
    for one value of its key at most). While it walks the last child pushed, the other
    children wait on the stack, so a node's walk holds at most
    ``extra(v) = max(pushed(v), pushed(v) - 1 + max(extra(child)))`` entries. That bound
    is kept up to date as each rule's pattern is added (a pattern only ever adds nodes, so
    bounds only grow, and only along the nodes the pattern passed).
    """

    def __init__(self) -> None:
        self.root = _Node()
        self.widest = 0  # the most nodes linked below any one node

    def add(self, pattern: Mapping[str, Any]) -> None:
        """Add one rule's pattern (its stage test included) below the root."""
        changed: list[_Node] = []
        self._insert(pattern, self.root, changed)
        pending = changed
        while pending:  # propagate the grown bounds upwards
            node = pending.pop()
            push = node.pushed()
            extra = max(push, push - 1 + node.best) if push else 0
            if extra != node.extra:
                node.extra = extra
                for parent in node.parents:
                    if extra > parent.best:
                        parent.best = extra
                        pending.append(parent)

    @property
    def bound(self) -> int:
        """The most entries durable's stack can hold while one fact walks this network."""
        return max(1, self.root.extra)

    def _link(self, parent: _Node, child: _Node, changed: list[_Node]) -> None:
        child.parents.append(parent)
        parent.links += 1
        self.widest = max(self.widest, parent.links)
        changed += [parent, child]

    def _insert(self, pattern: Mapping[str, Any], parent: _Node,
                changed: list[_Node]) -> _Node:
        (key, value), = pattern.items()
        if key == "$and":
            for part in value:
                parent = self._insert(part, parent, changed)
            return parent
        if key == "$or":
            forward = _Node()
            for alternative in value:
                end = self._insert(alternative, parent, changed)
                end.others += 1
                self._link(end, forward, changed)
            return forward
        if key.startswith("$"):
            (name, operand), = value.items()
            test = (key, name, json.dumps(operand))
        else:  # {fact_key: value} is an equality test
            test = ("$eq", key, json.dumps(value))
        child = parent.children.get(test)
        if child is None:
            child = parent.children[test] = _Node()
            if test[0] == "$eq":
                parent.equal_keys[test[1]] = parent.equal_keys.get(test[1], 0) + 1
            else:
                parent.others += 1
            self._link(parent, child, changed)
        else:
            changed.append(child)
        return child


# rete.h NEXT_BUCKET_LENGTH: the nodes linked below one node sit in an open-addressed table of
# 512 slots. The 513th is refused with an error the compiler ignores inside and/or groups,
# and a full table makes every lookup that misses probe for ever (events.c): the hang of
# issue 16, D1. One slot must stay free.
NEXT_BUCKET_LENGTH = 512
MAX_LINKS_PER_NODE = NEXT_BUCKET_LENGTH - 1
# durable_rules holds at most 4,096 rules in a ruleset (error 106 beyond), counting the one
# advance rule formselect adds per stage; kept at 4,000 with them counted
MAX_ENGINE_RULES = 4_000


class _Plan:
    """A pack as the driver runs it, made once per pack: its validity spans, and per rule
    (by position) its id, its order and its derived values in the engine's encoding. It
    holds no rule or pack, so that a pack dropped elsewhere can be collected."""

    def __init__(self, pack: Pack) -> None:
        self.spans = validity_spans(pack.rules)
        self.ids = tuple(r.id for r in pack.rules)
        # the rules fired in one stratum merge their derivations in (stratum, id) order, as
        # in the evaluator
        self.order = tuple((r.stratum, r.id) for r in pack.rules)
        self.derive: dict[int, tuple[tuple[str, str], ...]] = {
            position: tuple((engine_key(k), _dumps(engine_value(v)))
                            for k, v in r.derive.items())
            for position, r in enumerate(pack.rules) if r.derive}
        self._conditions: dict[int, list[dict[str, Any]]] = {}  # compiled on first use

    def condition(self, pack: Pack, position: int) -> list[dict[str, Any]]:
        """The parts of the compiled condition of the rule at ``position``."""
        found = self._conditions.get(position)
        if found is None:
            pattern = compile_condition(pack.rules[position].condition)
            found = self._conditions[position] = (
                pattern["$and"] if set(pattern) == {"$and"} else [pattern])
        return found


def _validity(rule: Rule, span: Span) -> tuple[int | None, int | None]:
    """The first and last day of the rule's validity that its pattern must still test in
    ``span`` (None for an end the span does not reach past)."""
    starts, ends = span.always(rule)
    return (None if starts else rule.valid_from.toordinal(),
            None if ends or rule.valid_until is None else rule.valid_until.toordinal())


class _Ruleset:
    """One span's ruleset, as formselect gives it to the engine.

    An *engine rule* is a pattern: rules of one stratum with the same condition and the
    same validity tests fire together, so they are one engine rule, named after the first
    of them (``r`` and its position in the pack) and read back as all of them. Each stratum's
    engine rules, in (stratum, id) order of their first rule, are cut into stages that the
    engine's stack can hold: each stage is the longest run whose network keeps the exact
    bound (:class:`_Network`) within ``STACK_BUDGET``. A rule reads only facts derived in
    lower strata, so the stage boundaries inside a stratum change no result; the driver
    carries a stratum's derived facts to the next stage once the stratum's last stage is
    done, in (stratum, id) order, so a fact derived twice keeps the lowest id's value, as
    in the evaluator.
    """

    def __init__(self, pack: Pack, plan: _Plan, span: Span) -> None:
        self.span = span
        self.parts: list[list[dict[str, Any]]] = []  # per engine rule: validity, condition
        self.starts: list[int | None] = []  # per engine rule: the day its validity test names
        self.ends: list[int | None] = []
        strata: list[int] = []
        found: dict[tuple[int, str], int] = {}
        members: list[list[int]] = []
        rules = pack.rules
        for position in sorted(span.rules, key=plan.order.__getitem__):
            rule = rules[position]
            start, end = _validity(rule, span)
            parts = [] if start is None else [{"$gte": {"as_of": start}}]
            if end is not None:
                parts.append({"$lte": {"as_of": end}})
            parts += plan.condition(pack, position)
            key = (rule.stratum, _dumps(parts))
            index = found.get(key)
            if index is not None:
                members[index].append(position)
                continue
            found[key] = len(members)
            members.append([position])
            self.parts.append(parts)
            self.starts.append(start)
            self.ends.append(end)
            strata.append(rule.stratum)
        # per engine rule: its rules' positions
        self.members: list[tuple[int, ...]] = [tuple(m) for m in members]
        self.stages: list[list[int]] = []  # per stage: its engine rules
        self.stratum_ends: set[int] = set()  # the stages that end a stratum
        # the first engine rule that puts more than MAX_LINKS_PER_NODE tests under one node,
        # and how many: the stages share only the root, under which each is one test
        self.overflow: tuple[int, int] | None = None
        network = _Network()
        for index, stratum in enumerate(strata):
            if index and stratum == strata[index - 1]:
                network.add(self.pattern(index, len(self.stages) - 1))
                if network.bound <= STACK_BUDGET:
                    self.stages[-1].append(index)
                    self._count_links(index, network.widest)
                    continue
            elif index:
                self.stratum_ends.add(len(self.stages) - 1)
            self.stages.append([index])  # a new stage starts with this engine rule
            network = _Network()
            network.add(self.pattern(index, len(self.stages) - 1))
            self._count_links(index, max(network.widest, len(self.stages)))
        if self.stages:
            self.stratum_ends.add(len(self.stages) - 1)

    def _count_links(self, index: int, links: int) -> None:
        if links > MAX_LINKS_PER_NODE and self.overflow is None:
            self.overflow = (index, links)

    def pattern(self, index: int, stage: int) -> dict[str, Any]:
        """Engine rule ``index``'s pattern in ``stage``: its stage, validity and condition."""
        return {"$and": [{"stage": stage}, *self.parts[index]]}

    def name(self, index: int) -> str:
        return f"r{self.members[index][0]}"

    def definition(self) -> dict[str, Any]:
        """The span as durable's JSON ruleset: one entry per engine rule, one per stage
        advance."""
        rules: dict[str, Any] = {}
        for stage, indexes in enumerate(self.stages):
            for index in indexes:
                rules[self.name(index)] = {"all": [{"m": self.pattern(index, stage)}],
                                           "pri": 1}
        for stage in range(len(self.stages)):
            rules[f"~{stage}"] = {"all": [{"m": {"stage": stage}}], "pri": _ADVANCE_PRI}
        return rules

    def probe_facts(self) -> Iterator[str]:
        """Facts that walk every node of every stage's network, all in one state: on the
        span's first day and on the last start date of the stage every ``as_of >=`` test
        holds, and on each end date its ``as_of <=`` tests hold (with every start test up
        to that day)."""
        for stage, indexes in enumerate(self.stages):
            days = {self.span.first}
            starts = [day for i in indexes if (day := self.starts[i]) is not None]
            if starts:
                days.add(max(starts))
            days |= {day for i in indexes if (day := self.ends[i]) is not None}
            for day in sorted(days):
                yield f'{{"sid": "probe", "stage": {stage}, "as_of": {day}}}'



def _describe(span: Span) -> str:
    """A span's days, for a message."""
    first = dt.date.fromordinal(span.first).isoformat()
    if span.last is None:
        return f"its rules in force from {first}"
    return f"its rules in force from {first} to {dt.date.fromordinal(span.last).isoformat()}"


def capacity_problems(pack: Pack) -> list[Problem]:
    """Why the engine cannot hold ``pack`` as formselect would give it: counted on the very
    rulesets :class:`_Ruleset` builds, one per validity span (their engine rules, stages,
    advance rules and networks)."""
    plan = _Plan(pack)
    problems: list[Problem] = []
    for span in plan.spans.spans:
        ruleset = _Ruleset(pack, plan, span)
        stages = len(ruleset.stages)
        total = len(ruleset.members) + stages
        if total > MAX_ENGINE_RULES:
            problems.append(Problem(
                "", "too many rules in force together for the engine", total,
                f"at most {MAX_ENGINE_RULES:,} rules in one ruleset of the engine ("
                f"{_describe(span)}), counting the {stages:,} stage rules the engine "
                "needs, and rules that share their condition and date tests once (fewer "
                "validity dates or derivation depths make fewer stages)",
                source=", ".join(dict.fromkeys(pack.rules[p].source for p in span.rules))))
        if ruleset.overflow is not None:
            index, links = ruleset.overflow
            rule = pack.rules[ruleset.members[index][0]]
            problems.append(Problem(
                "when", "too many tests under one node of the engine's network", links,
                f"at most {MAX_LINKS_PER_NODE} (each value of an `in` list is a test; rules "
                f"that start the same way share their node, and each of the {stages:,} "
                f"stages of the engine's ruleset for {_describe(span)} is a test under "
                "the first): split the rules with derived facts, or give them other dates",
                source=rule.source, rule=rule.id))
            return problems  # the spans after it hold the same rules, mostly
    return problems


class _Compiled:
    """One span's ruleset inside the engine, and what the driver needs to chain its stages."""

    def __init__(self, plan: _Plan, made: _Made, handle: int) -> None:
        self.handle = handle
        self.last = len(made.stages) - 1
        self.stratum_ends = made.stratum_ends
        # the only keys any pattern tests: the rest of the case would only lengthen the
        # engine's walk, which visits every key of the fact at every node
        self.keys = made.keys
        # each engine rule by name: the rules it stands for
        self.members = {f"r{m[0]}": m for m in made.members}
        self.ids = plan.ids
        self.order = plan.order
        self.derive = plan.derive


def _keys(pattern: object) -> Iterator[str]:
    """Every fact key a compiled pattern (or definition) tests."""
    if isinstance(pattern, dict):
        for key, value in pattern.items():
            if not key.startswith("$") and key not in ("all", "pri", "m"):
                yield key
            yield from _keys(value)
    elif isinstance(pattern, list):
        for item in pattern:
            yield from _keys(item)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Made:
    """What the driver needs of one span's ruleset, worked out by :class:`_Ruleset` or read
    back from its record: the JSON, the fact keys its patterns test, its engine rules (by
    their rules' positions), the engine rules per stage, the stages that end a stratum and
    the watchdog's probe facts."""

    def __init__(self, definition: str, keys: frozenset[str],
                 members: tuple[tuple[int, ...], ...], stages: tuple[int, ...],
                 stratum_ends: frozenset[int], probe_facts: tuple[str, ...]) -> None:
        self.definition = definition
        self.keys = keys
        self.members = members
        self.stages = stages
        self.stratum_ends = stratum_ends
        self.probe_facts = probe_facts

    @classmethod
    def of(cls, ruleset: _Ruleset) -> _Made:
        rules = ruleset.definition()
        return cls(json.dumps(rules, ensure_ascii=False), frozenset(_keys(rules)),
                   tuple(ruleset.members), tuple(len(s) for s in ruleset.stages),
                   frozenset(ruleset.stratum_ends), tuple(ruleset.probe_facts()))

    def data(self) -> dict[str, Any]:
        return {"definition": self.definition, "keys": sorted(self.keys),
                "members": [list(m) for m in self.members], "stages": list(self.stages),
                "stratum_ends": sorted(self.stratum_ends), "probe": list(self.probe_facts)}

    @classmethod
    def read(cls, data: Any, plan: _Plan, span: Span) -> _Made | None:
        """The ruleset a record holds, or None unless it cuts exactly the span's rules,
        in (stratum, id) order, into stages (a damaged record)."""
        try:
            if not isinstance(data["keys"], list) or not isinstance(data["probe"], list):
                return None
            members = tuple(tuple(int(p) for p in m) for m in data["members"])
            stages = tuple(int(n) for n in data["stages"])
            ends = frozenset(int(n) for n in data["stratum_ends"])
            made = cls(data["definition"], frozenset(data["keys"]), members, stages, ends,
                       tuple(data["probe"]))
            firsts = [plan.order[m[0]] for m in members]
        except (LookupError, TypeError, ValueError):
            return None
        if sorted(p for m in members for p in m) != list(span.rules) \
                or firsts != sorted(firsts) or not members or min(stages) < 1 \
                or sum(stages) != len(members) or len(stages) - 1 not in ends \
                or not ends <= set(range(len(stages))) \
                or not isinstance(made.definition, str) \
                or not all(isinstance(t, str) for t in (*made.keys, *made.probe_facts)):
            return None
        return made


MAX_KEPT_RULESETS = 32  # rulesets kept beside the cache; the ones written first go first
_RULESET_FORMAT = 2  # the layout of a kept ruleset: one per validity span


def _ruleset(pack: Pack, plan: _Plan, span: Span) -> _Made:
    """A span's ruleset: worked out once per installation and kept beside the cached pack
    (for the built-in pack, half of what creating its ruleset costs a cold start). Keyed by
    formselect's own code and by what the ruleset is made of, so that an edited rule or a
    changed compiler never reads a stale ruleset."""
    record = CACHE_DIR / f"ruleset-{_ruleset_key(pack, span)}.json"
    try:
        found = _Made.read(json.loads(record.read_text(encoding="utf-8")), plan, span)
    except (OSError, ValueError):
        found = None
    if found is None:
        found = _Made.of(_Ruleset(pack, plan, span))
        _keep_ruleset(record, found)
    return found


def _ruleset_key(pack: Pack, span: Span) -> str:
    """The key of a span's ruleset: the pack's digest, the span's days and, in case a pack
    built in code reuses a digest, every rule's id, stratum, condition text and dates, in
    order."""
    digest = hashlib.sha256(f"{_RULESET_FORMAT}|{pack.digest}|{code_key()}|{sys.version}|"
                            f"{span.first}|{span.last}".encode())
    for r in pack.rules:
        digest.update(f"\0{r.id}|{r.stratum}|{r.valid_from}|{r.valid_until}|{r.when}"
                      .encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def _keep_ruleset(record: Path, made: _Made) -> None:
    """Keep a ruleset (best effort, only where the cache folder is writable), and at most
    ``MAX_KEPT_RULESETS`` of them: packs written by advisers come and go."""
    if not keep_in_cache(record, json.dumps(made.data()).encode()):
        return
    with contextlib.suppress(OSError):  # another process may be removing the same files
        kept = sorted(CACHE_DIR.glob("ruleset-*.json"), key=lambda p: p.stat().st_mtime_ns)
        for old in kept[:-MAX_KEPT_RULESETS]:
            old.unlink(missing_ok=True)


def _probe_record(definition: str) -> Path:
    """Where a passed probe of this exact ruleset is remembered: beside the cached built-in
    pack, keyed by the ruleset's JSON and the engine's version (so another pack, another
    adapter or another durable_rules is probed afresh)."""
    library = str(getattr(_ENGINE, "__file__", ""))
    with contextlib.suppress(OSError):  # the engine's own build, without importlib.metadata
        found = os.stat(library)
        library += f"|{found.st_size}|{found.st_mtime_ns}"
    key = hashlib.sha256(f"{library}|{definition}".encode()).hexdigest()[:32]
    return CACHE_DIR / f"probed-{key}"


def _probed_before(definition: str, seconds: float) -> bool:
    """Whether a process that could write formselect's cache saw this ruleset's probe finish
    well within the current time limit. The probe asserts every stage of the ruleset on the
    dates its validity tests name, and costs about 15 ms for a span of the built-in pack,
    most of its compiling."""
    if seconds <= 0:
        return True  # no watchdog: nothing to probe
    try:
        taken = float(_probe_record(definition).read_text())
    except (OSError, ValueError):
        return False
    return taken * 10 < seconds


def _remember_probed(definition: str, seconds: float, taken: float) -> None:
    """Note that the probe passed and how long it took (best effort, only where the cache
    folder is writable)."""
    if seconds <= 0:
        return
    record = _probe_record(definition)
    if not record.exists():
        keep_in_cache(record, f"{taken:.6f}".encode())


MAX_COMPILED = 16  # rulesets kept in the engine (2-4 MB each for the built-in pack's spans)
MAX_REFUSED = 256  # refusals remembered


class _Driver:
    """Owns the compiled rulesets and drives the C engine, one case at a time."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._plans: dict[str, _Plan] = {}  # by pack digest, the least recently used first
        self._compiled: dict[tuple[str, int], _Compiled] = {}  # by (digest, span's first day)
        # the engine keeps part of every ruleset it refuses: refuse a ruleset once, then
        # remember
        self._refused: dict[tuple[str, int], str] = {}
        self._sids = itertools.count()
        self.live: set[str] = set()  # sids whose state the engine still holds (normally none)

    def after_fork(self) -> None:
        """A forked child must not inherit a lock held by another thread."""
        self._lock = threading.RLock()

    def plan(self, pack: Pack) -> _Plan:
        """The pack's plan (called under the lock), kept while rulesets may use it."""
        found = self._plans.pop(pack.digest, None)
        if found is None:
            found = _Plan(pack)
        self._plans[pack.digest] = found  # now the most recently used
        while len(self._plans) > MAX_COMPILED:
            self._plans.pop(next(iter(self._plans)))
        return found

    def compiled(self, pack: Pack, day: int) -> _Compiled | None:
        """The ruleset of the span holding ``day`` (a day number), created in the engine on
        first use (called under the lock); None when no rule is in force that day. At most
        ``MAX_COMPILED`` stay in the engine, the least recently used deleted first: each
        holds megabytes of the engine's memory."""
        if _ENGINE is None:
            raise EngineError(f"the durable engine is not available: {UNAVAILABLE_REASON}; "
                              "use backend='compiled' (the default where durable_rules "
                              "does not import)")
        plan = self.plan(pack)
        span = plan.spans.at(day)
        if span is None:
            return None
        key = (pack.digest, span.first)
        found = self._compiled.pop(key, None)
        if found is not None:
            self._compiled[key] = found  # now the most recently used
            return found
        if key in self._refused:
            raise EngineError(self._refused[key])
        made = _ruleset(pack, plan, span)
        engine = _ENGINE
        name = f"formselect_{pack.digest}_{span.first}"
        text = made.definition
        seconds = watchdog_seconds()
        started = time.monotonic()
        if not _probed_before(text, seconds) and not probe(
                lambda: engine.create_ruleset(name, text), engine.assert_fact,
                made.probe_facts, seconds):
            message = (f"the engine did not finish with rule pack {pack.name!r} "
                       f"({_describe(span)}) within {seconds:g} s (a pack it cannot run; "
                       "the watchdog stopped it)")
            self._refuse(key, message)
            raise EngineError(message)
        _remember_probed(text, seconds, time.monotonic() - started)
        try:
            handle = engine.create_ruleset(name, text)
        except Exception as exc:  # the engine raises its own error type with a C error code
            message = (f"the engine rejected rule pack {pack.name!r} ({_describe(span)}): "
                       f"{exc}")
            self._refuse(key, message)
            raise EngineError(message) from exc
        while len(self._compiled) >= MAX_COMPILED:
            oldest = self._compiled.pop(next(iter(self._compiled)))
            with contextlib.suppress(Exception):  # the engine's own error type
                engine.delete_ruleset(oldest.handle)
        found = self._compiled[key] = _Compiled(plan, made, handle)
        return found

    def _refuse(self, key: tuple[str, int], message: str) -> None:
        if len(self._refused) >= MAX_REFUSED:
            self._refused.pop(next(iter(self._refused)))
        self._refused[key] = message

    def run(self, pack: Pack, message: Mapping[str, object]) -> list[str]:
        day = message.get("as_of")
        with self._lock:
            # without a date no rule is in force (as the evaluators read it)
            compiled = self.compiled(pack, day) if isinstance(day, int) else None
            if compiled is None:
                return []
            sid = f"c{next(self._sids)}"
            self.live.add(sid)
            try:
                return self._run(compiled, message, sid)
            except EngineError:
                raise
            except Exception as exc:
                raise EngineError(f"the engine failed: {exc}") from exc
            finally:
                with contextlib.suppress(Exception):  # nothing was stored for this sid
                    _ENGINE.delete_state(compiled.handle, sid)
                self.live.discard(sid)

    def _run(self, compiled: _Compiled, message: Mapping[str, object], sid: str) -> list[str]:
        """Assert the case, walk the engine's agenda, chain the stages; the fired rule ids."""
        engine = _ENGINE
        handle = compiled.handle
        # every stage fact is the case's JSON text plus the sid, the stage and the values
        # derived so far, built as text: the case is encoded once
        keys = compiled.keys
        message = {k: v for k, v in message.items() if k in keys}
        head = f'{_dumps(message)[:-1]}, "sid": "{sid}", "stage": ' if message else \
            f'{{"sid": "{sid}", "stage": '
        derived = ""
        derived_keys: set[str] = set()
        fired: list[str] = []  # engine rules, in firing order
        members = compiled.members
        stratum_start = 0
        state = self._assert(compiled, head + "0}")
        got = engine.start_action_for_state(handle, state)
        action = got[1] if got else None
        while action:
            name = action[2:action.index('"', 2)]
            if name[0] == "~":
                stage = int(name[1:])
                if stage < compiled.last:
                    if stage in compiled.stratum_ends:  # the stratum's facts, lowest id first
                        new = [p for rule in fired[stratum_start:] for p in members[rule]]
                        new.sort(key=compiled.order.__getitem__)
                        stratum_start = len(fired)
                        for position in new:
                            for key, value in compiled.derive.get(position, ()):
                                # a fact derived in a lower stratum keeps its value
                                if key not in derived_keys:
                                    derived_keys.add(key)
                                    derived += f', "{key}": {value}'
                    self._assert(compiled, f"{head}{stage + 1}{derived}}}")
            else:
                fired.append(name)
            action = engine.complete_and_start_action(handle, state)
        ids = compiled.ids
        return [ids[p] for rule in fired for p in members[rule]]

    def _assert(self, compiled: _Compiled, fact: str) -> int:
        code, state = _ENGINE.assert_fact(compiled.handle, fact)
        if code != 0:  # every stage fact has a consumer and is new: this cannot happen
            raise EngineError(f"the engine did not accept a stage fact (code {code})")
        return int(state)


_DRIVER = _Driver()
os.register_at_fork(after_in_child=_DRIVER.after_fork)


def fire(pack: Pack, view: Mapping[str, object], as_of: dt.date) -> list[str]:
    """The backend: the ids of the rules that fire for a case's fact view (``as_of`` travels
    inside the view, where each rule's validity pattern reads it)."""
    return run(pack, engine_message(view))


def run(pack: Pack, message: Mapping[str, object]) -> list[str]:
    """The ids of the rules that fired for one case message, in firing order."""
    return _DRIVER.run(pack, message)


# durable_rules' compiler loops forever when more than about 512 distinct tests hang from one
# node of its network, and 256 rules with one identical pattern fail with error 108. These
# coarse guards, checked as rules are read, are kept from before the exact count of
# capacity_problems and before rules with one pattern became one engine rule.
MAX_RULES_PER_NODE = 400
MAX_IDENTICAL_PATTERNS = 200


def engine_shape_problems(graph: Sequence[tuple[RawRule, str, str, Any]],
                          strata: Mapping[str, int]) -> list[Problem]:
    """Groups of rules the engine cannot compile: too many per network node, or identical."""
    problems: list[Problem] = []
    groups: dict[tuple[int, dt.date], list[tuple[RawRule, str, str]]] = {}
    patterns: dict[str, list[tuple[RawRule, str, str]]] = {}
    for raw, source, where, condition in graph:
        key = (strata.get(raw.id, 0), raw.valid_from)
        groups.setdefault(key, []).append((raw, source, where))
        shape = f"{key}|{raw.valid_until}|{condition}"
        patterns.setdefault(shape, []).append((raw, source, where))
    for (stratum, start), members in groups.items():
        if len(members) > MAX_RULES_PER_NODE:
            raw, source, where = members[MAX_RULES_PER_NODE]
            problems.append(Problem(
                f"{where}.valid_from", "too many rules start on the same date at the same "
                "derivation depth for the engine", len(members),
                f"at most {MAX_RULES_PER_NODE} rules per (derivation depth {stratum}, "
                f"valid_from {start}); split them with derived facts or other dates",
                source=source, rule=raw.id))
    for members in patterns.values():
        if len(members) > MAX_IDENTICAL_PATTERNS:
            raw, source, where = members[MAX_IDENTICAL_PATTERNS]
            problems.append(Problem(
                f"{where}.when", "too many rules with an identical condition and dates",
                len(members), f"at most {MAX_IDENTICAL_PATTERNS}; merge their effects",
                source=source, rule=raw.id))
    return problems


def engine_key(name: str, measure: str = "value") -> str:
    """The engine's key for a fact: no dots, and never clashing with another fact."""
    key = name.replace(".", "__")
    if "." not in name and name != "as_of":
        key = "d__" + key  # derived facts (and the CPV lists' facts)
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
