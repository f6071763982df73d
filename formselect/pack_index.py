"""What deciding reads of a pack, worked out once per pack rather than once per case.

Each rule's effects as the advice states them (the points it gives each form, the risk and
the step it adds), which rules exclude, favour or put at risk each option, and which facts
each rule reads. ``decide`` and ``certainty`` build every advice from these; nothing here
depends on a case.
"""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections.abc import Callable, Iterable, Mapping

from .advice import Outcome, RiskItem, ScorePoint, StepItem
from .pack.model import CpvList, Option, Pack, Rule, Severity

__all__ = ["PackIndex", "RuleEffects", "pack_index", "severity_rank"]

_SEVERITY_RANK = {s: s.rank for s in Severity}


def severity_rank(severity: Severity) -> int:
    """:attr:`Severity.rank`, without listing the enumeration each time."""
    return _SEVERITY_RANK[severity]


def _because(pack: Pack, rule: Rule, form: Option) -> str:
    """Which of the form's properties a preference matched (empty for a plain favour)."""
    if not rule.prefer:
        return ""
    parts = []
    for prop_id in rule.prefer:
        prop = pack.property_named(prop_id)
        value = form.properties.get(prop_id, "")
        parts.append(f"{prop.name.lower() if prop else prop_id}: {value.replace('_', ' ')}")
    return "; ".join(parts)


class RuleEffects:
    """One rule's effects on the forms and routes of a pack, as the advice states them."""

    __slots__ = ("form_excludes", "form_points", "risk", "route_excludes", "route_favour",
                 "rule", "step")

    def __init__(self, pack: Pack, rule: Rule, forms: Mapping[str, Option],
                 routes: Mapping[str, Option]) -> None:
        self.rule = rule
        # (form id, weight, the point it gives), in the order of the rule's favour
        self.form_points = tuple((o, w, ScorePoint(rule.id, w, _because(pack, rule, forms[o])))
                                 for o, w in rule.favour.items() if o in forms)
        self.form_excludes = tuple(o for o in rule.exclude if o in forms)
        self.route_favour = tuple((o, w) for o, w in rule.favour.items() if o in routes)
        self.route_excludes = tuple(o for o in rule.exclude if o in routes)
        self.risk = None if rule.risk is None else RiskItem(
            rule.id, rule.title, rule.risk.severity, rule.explanation, rule.risk.mitigation,
            rule.risk.applies_to, rule.references, rule.analysis, rule.caveat)
        self.step = None if rule.step is None else StepItem(
            rule.id, rule.step.text, rule.step.order, rule.step.applies_to, rule.references)


class PackIndex:
    """The case-independent part of deciding for one pack (see the module's docstring)."""

    def __init__(self, pack: Pack) -> None:
        rules = self.rules = pack.rules
        self.ids = tuple(r.id for r in rules)
        self.position = {r.id: i for i, r in enumerate(rules)}
        self.forms = pack.forms
        self.routes = pack.routes
        self.form_ids = tuple(o.id for o in pack.forms)
        self.route_ids = tuple(o.id for o in pack.routes)
        forms = {o.id: o for o in pack.forms}
        routes = {o.id: o for o in pack.routes}
        prior = pack.prior
        self.prior_rank: dict[str, int | None] = {
            o.id: prior.rank(o.id) if prior else None for o in pack.forms}
        self.effects = tuple(RuleEffects(pack, r, forms, routes) for r in rules)
        self._by_id = {e.rule.id: e for e in self.effects}
        self._pack = weakref.ref(pack)  # for a rule from elsewhere (see effects_of)
        # the rules in force over the same days, by their validity
        windows: dict[tuple[dt.date, dt.date | None], list[int]] = {}
        for i, rule in enumerate(rules):
            windows.setdefault((rule.valid_from, rule.valid_until), []).append(i)
        self._windows = tuple((start, end, tuple(found))
                              for (start, end), found in windows.items())
        self._in_force: dict[dt.date, tuple[tuple[Outcome, ...], tuple[int, ...]]] = {}
        # per option: the positions of the rules that exclude it, favour it, or flag a
        # risk of medium severity or worse for it
        self.excluders = self._naming(pack, lambda r: r.exclude)
        self.favourers = self._naming(pack, lambda r: tuple(r.favour))
        self.risky = self._naming(pack, lambda r: r.risk.applies_to if r.risk is not None
                                  and severity_rank(r.risk.severity)
                                  >= severity_rank(Severity.MEDIUM) else ())
        # per route: the rules that could change whether it is available once their facts
        # are known: those that exclude it or flag a serious risk for it, and (the second,
        # for a route still undetermined) those that favour it too
        self.route_changers = {
            o: (tuple(sorted({*self.excluders[o], *self.risky[o]})),
                tuple(sorted({*self.excluders[o], *self.risky[o], *self.favourers[o]})))
            for o in self.route_ids}

    @functools.cached_property
    def reads(self) -> tuple[tuple[tuple[tuple[str, str], ...], ...],
                             tuple[tuple[tuple[str, CpvList], ...], ...],
                             tuple[tuple[tuple[str, tuple[int, ...]], ...], ...]]:
        """What each rule's comparisons read: :attr:`case_reads`, :attr:`cpv_reads` and
        :attr:`derived_reads`."""
        # made on first use: assessing a case (ranking and routes only) never reads them, and
        # they need every condition compiled for the three-valued evaluator
        pack = self._pack()
        assert pack is not None  # the caller holds the pack
        compiled = pack.compiled
        derivers = {fact: tuple(self.position[r.id] for r in found)
                    for fact, found in pack.derivers.items()}
        cpv = pack.cpv_by_fact
        case_reads, cpv_reads, derived_reads = [], [], []
        for rule in self.rules:
            condition = compiled[rule.id]
            reads = list(zip(condition.atoms, condition.keys, strict=True))
            case_reads.append(tuple((a.fact, key) for a, key in reads if "." in a.fact))
            cpv_reads.append(tuple((key, cpv[a.fact]) for a, key in reads
                                   if "." not in a.fact and a.fact in cpv))
            derived_reads.append(tuple((key, derivers.get(a.fact, ())) for a, key in reads
                                       if "." not in a.fact and a.fact not in cpv))
        return tuple(case_reads), tuple(cpv_reads), tuple(derived_reads)

    @property
    def case_reads(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """Per rule, the case facts its comparisons read, as (fact, view key)."""
        return self.reads[0]

    @property
    def cpv_reads(self) -> tuple[tuple[tuple[str, CpvList], ...], ...]:
        """Per rule, the facts CPV lists give that its comparisons read, as (view key, the
        list)."""
        return self.reads[1]

    @property
    def derived_reads(self) -> tuple[tuple[tuple[str, tuple[int, ...]], ...], ...]:
        """Per rule, any other fact its comparisons read (derived, or as_of), as (view key,
        the positions of the rules that derive it)."""
        return self.reads[2]

    def _naming(self, pack: Pack, named: Callable[[Rule], Iterable[str]]
                ) -> dict[str, tuple[int, ...]]:
        found: dict[str, list[int]] = {o.id: [] for o in (*pack.forms, *pack.routes)}
        for i, rule in enumerate(self.rules):
            for option in dict.fromkeys(named(rule)):
                if option in found:
                    found[option].append(i)
        return {k: tuple(v) for k, v in found.items()}

    def effects_of(self, rule: Rule) -> RuleEffects:
        """The effects of a rule of the pack (worked out afresh for any other rule)."""
        found = self._by_id.get(rule.id)
        if found is not None and found.rule is rule:
            return found
        pack = self._pack()
        assert pack is not None  # the caller holds the pack
        return RuleEffects(pack, rule, {o.id: o for o in pack.forms},
                           {o.id: o for o in pack.routes})

    def in_force_on(self, on: dt.date) -> tuple[tuple[Outcome, ...], tuple[int, ...]]:
        """Each rule's outcome before any is evaluated (not in force on ``on``, or unknown),
        and the positions of the rules in force (cached per date)."""
        found = self._in_force.get(on)
        if found is None:
            outcomes = [Outcome.UNKNOWN] * len(self.rules)
            for start, end, positions in self._windows:
                if on < start or (end is not None and end < on):
                    for i in positions:
                        outcomes[i] = Outcome.NOT_IN_FORCE
            if len(self._in_force) > 4096:  # a date sweep must not grow the cache unbounded
                self._in_force.clear()
            found = self._in_force[on] = (tuple(outcomes), tuple(
                i for i, o in enumerate(outcomes) if o is Outcome.UNKNOWN))
        return found


_INDEXES: dict[int, tuple[weakref.ref[Pack], PackIndex]] = {}


def pack_index(pack: Pack) -> PackIndex:
    """The pack's index, made on first use and kept while the pack lives."""
    key = id(pack)
    entry = _INDEXES.get(key)
    if entry is not None and entry[0]() is pack:
        return entry[1]
    index = PackIndex(pack)

    def forget(ref: weakref.ref[Pack]) -> None:
        if _INDEXES.get(key, (None,))[0] is ref:
            _INDEXES.pop(key, None)

    _INDEXES[key] = (weakref.ref(pack, forget), index)
    return index
