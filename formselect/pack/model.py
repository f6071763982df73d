"""The in-memory rule pack: options (legal forms and routes), derived facts and rules."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from enum import Enum, StrEnum
from html import escape

import attrs

from formselect.case.kinds import FactKind, TypeInfo
from formselect.case.vocabulary import FactSpec, case_facts
from formselect.conditions.compiled import Program
from formselect.conditions.kleene import Compiled, compiled
from formselect.conditions.syntax import Condition, Literal, atoms, facts_read
from formselect.errors import unknown_name

from .cpv import Standing, codes_standing, list_fact, list_values, subtrees

__all__ = ["CpvList", "DerivedFact", "Option", "Pack", "Prior", "Property", "PropertyValue",
           "Reference", "Risk", "Rule", "Severity", "Step", "WeightChange", "merge_derivations"]


class Severity(StrEnum):
    """How serious a flagged risk is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for critical."""
        return list(Severity).index(self)


@attrs.frozen
class Reference:
    """Where the law is: instrument, provision and a link (legislation.gov.uk for statute)."""

    instrument: str
    provision: str
    url: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.instrument}, {self.provision} <{self.url}>"


@attrs.frozen
class Option:
    """A legal form or a procurement route the pack can recommend or rule out."""

    id: str
    kind: str  # "form" or "route"
    name: str
    description: str = ""
    forms: tuple[str, ...] = ()  # routes only: the forms the route can serve (empty = any)
    # forms only: the first day the form could be used (empty = throughout the pack's coverage)
    available_from: dt.date | None = None
    family: str = ""  # forms only: the family it belongs to (cic, society, charity, ...)
    # forms only: its value of each declared property (asset_lock = "statutory", ...)
    properties: Mapping[str, str] = attrs.field(factory=dict)
    # routes only: how much process the route takes (1 = none beyond the award, 5 = a full
    # competition); the recommended route is the least burdensome one the law allows
    burden: int = 0


@attrs.frozen
class PropertyValue:
    """One value a form property can take, with the law that gives a form that value."""

    id: str
    description: str
    references: tuple[Reference, ...] = ()
    analysis: bool = False


@attrs.frozen
class Property:
    """A cited characteristic of legal forms (asset lock, who may receive profit, ...), which
    preferences compare forms on."""

    id: str
    name: str
    description: str
    values: tuple[PropertyValue, ...]

    def value(self, value_id: str) -> PropertyValue | None:
        """The declared value with this id, or None."""
        return next((v for v in self.values if v.id == value_id), None)


@attrs.frozen
class Prior:
    """How common each form is among public service mutuals, as an order (most common
    first): it orders forms the facts leave level, and never outweighs a fact."""

    title: str
    date: dt.date  # when the sources counted
    explanation: str
    order: tuple[str, ...]  # form ids, most common first
    references: tuple[Reference, ...]
    analysis: bool = False
    caveat: str = ""

    def rank(self, form_id: str) -> int:
        """1 for the most common form; forms the prior does not list come after all others."""
        return self.order.index(form_id) + 1 if form_id in self.order else len(self.order) + 1


@attrs.frozen
class WeightChange:
    """An extension pack's change to a preference's weight, shown in the trace."""

    rule_id: str
    weight: int
    reason: str
    source: str = ""


@attrs.frozen
class DerivedFact:
    """A fact that rules conclude (``regime``, ``teckal_available``) rather than the case gives."""

    name: str
    kind: FactKind
    values: tuple[str, ...] = ()
    description: str = ""

    def spec(self) -> FactSpec:
        """The fact spec the condition checker uses."""
        enum: type[Enum] | None = StrEnum(  # type: ignore[assignment]
            f"Derived_{self.name}", {v: v for v in self.values}) \
            if self.values else None
        return FactSpec(name=self.name, info=TypeInfo(self.kind, enum),
                        description=self.description, derived=True)


@attrs.frozen
class CpvList:
    """A list of CPV codes the law gives (light-touch, reservable or health care services),
    declared with ``[[cpv_list]]``. Before the rules run, the fact view gets ``cpv_<id>``:
    how the case's codes stand against the list (see :mod:`formselect.pack.cpv`)."""

    id: str
    title: str
    references: tuple[Reference, ...]
    valid_from: dt.date
    codes: frozenset[str] = frozenset()  # eight digits each, no check digit
    ranges: tuple[tuple[str, str], ...] = ()  # inclusive, eight digits each
    valid_until: dt.date | None = None  # inclusive
    # False when only part of the statutory list was verified: the fact then says only "all"
    complete: bool = True
    description: str = ""
    caveat: str = ""
    source: str = ""

    @property
    def fact(self) -> str:
        """The fact the list gives the view."""
        return list_fact(self.id)

    def in_force(self, on: dt.date) -> bool:
        """True when ``on`` falls within the list's validity (both ends inclusive)."""
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    def standing(self, case_codes: tuple[str, ...]) -> Standing | None:
        """How the case's codes stand against the list, or None when they do not settle it."""
        return codes_standing(case_codes, self.codes, self.ranges, self.complete,
                              self._subtrees)

    @functools.cached_property
    def _subtrees(self) -> frozenset[str]:
        return subtrees(self.codes, self.ranges)  # once per list, not per code

    def spec(self) -> FactSpec:
        """The fact spec the condition checker uses: an enumeration given by the view."""
        values = list_values(self.complete)
        enum: type[Enum] = StrEnum(f"Cpv_{self.id}", {v: v for v in values})  # type: ignore[misc]
        return FactSpec(name=self.fact, info=TypeInfo(FactKind.ENUM, enum),
                        description=f"How the case's CPV codes stand against: {self.title} "
                        f"({', '.join(values)}; unknown when no code is given or the codes "
                        "do not settle it).")


@attrs.frozen
class Risk:
    """A risk a rule flags."""

    severity: Severity
    mitigation: str = ""
    applies_to: tuple[str, ...] = ()  # option ids; empty = the case as a whole


@attrs.frozen
class Step:
    """A step a rule requires; steps are ordered by ``order`` within the options they serve."""

    text: str
    order: int = 100
    applies_to: tuple[str, ...] = ()


@attrs.frozen
class Rule:
    """One legal proposition: a condition, its effects, its explanation and its law."""

    id: str
    title: str
    when: str
    condition: Condition = attrs.field(eq=False, repr=False)
    explanation: str
    references: tuple[Reference, ...]
    valid_from: dt.date
    valid_until: dt.date | None = None  # inclusive
    exclude: tuple[str, ...] = ()
    # the options the rule favours and by how much; for a rule with ``prefer`` this includes
    # every form whose properties match, at the rule's weight (set when the pack is loaded)
    favour: Mapping[str, int] = attrs.field(factory=dict)
    derive: Mapping[str, Literal] = attrs.field(factory=dict)
    prefer: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)  # property -> values
    weight: int = 0  # the preference's weight
    weight_note: str = ""  # set when an extension pack changed the weight
    risk: Risk | None = None
    step: Step | None = None
    analysis: bool = False  # the conclusion is formselect's reading of the law
    caveat: str = ""  # e.g. a provision not yet verified against the official text
    source: str = ""  # file the rule came from
    stratum: int = 0  # derivation depth: rules read only facts derived in lower strata
    # the day from which the law the rule states was in force, when the rule says so
    law_from: dt.date | None = None
    # set when an extension pack switched the rule off or replaced it ([[override]]): who,
    # why, and the law or policy it cites; shown in the trace
    override_note: str = ""
    switched_off: bool = False

    def in_force(self, on: dt.date) -> bool:
        """True when ``on`` falls within the rule's validity (both ends inclusive)."""
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    @property
    def facts(self) -> tuple[str, ...]:
        """The facts the rule's condition reads."""
        return facts_read(self.condition)

    @property
    def options(self) -> tuple[str, ...]:
        """Every option the rule's effects name."""
        named = [*self.exclude, *self.favour]
        if self.risk:
            named += self.risk.applies_to
        if self.step:
            named += self.step.applies_to
        return tuple(dict.fromkeys(named))


@attrs.frozen(repr=False)  # hundreds of rules: a one-line repr instead
class Pack:
    """A loaded, checked rule pack. ``digest`` changes whenever any rule's content does."""

    name: str
    version: str
    forms: tuple[Option, ...]
    routes: tuple[Option, ...]
    derived: tuple[DerivedFact, ...]
    rules: tuple[Rule, ...]
    digest: str
    sources: tuple[str, ...] = ()
    coverage_from: dt.date | None = None  # the first day the pack's law covers
    properties: tuple[Property, ...] = ()
    prior: Prior | None = None
    cpv_lists: tuple[CpvList, ...] = ()

    @functools.cached_property
    def cpv_facts(self) -> frozenset[str]:
        """The facts the CPV lists give the view (``cpv_<id>``)."""
        return frozenset(c.fact for c in self.cpv_lists)

    @functools.cached_property
    def cpv_by_fact(self) -> Mapping[str, CpvList]:
        """Each CPV list by the fact it gives the view."""
        return {c.fact: c for c in self.cpv_lists}

    def __repr__(self) -> str:
        return (f"<Pack {self.name}@{self.version}#{self.digest[:8]}: {len(self.rules)} rules, "
                f"{len(self.forms)} forms, {len(self.routes)} routes, "
                f"{len(self.derived)} derived facts>")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td>{escape(o.kind)}</td><td><code>{escape(o.id)}</code></td>"
                       f"<td>{escape(o.name)}</td></tr>" for o in (*self.forms, *self.routes))
        return (f"<div class='formselect'><p><b>{escape(repr(self))}</b></p>"
                f"<table><tr><th>kind</th><th>id</th><th>name</th></tr>{rows}</table></div>")

    @functools.cached_property
    def coverage_start(self) -> dt.date | None:
        """The first day the pack covers: ``[pack] coverage_from``, else its earliest rule.
        Before it the pack cannot recommend a form, and advice says so."""
        if self.coverage_from is not None:
            return self.coverage_from
        return min((r.valid_from for r in self.rules), default=None)

    def property_named(self, property_id: str) -> Property | None:
        """The declared property with this id, or None."""
        return next((p for p in self.properties if p.id == property_id), None)

    @property
    def options(self) -> Mapping[str, Option]:
        """Forms and routes by id."""
        return {o.id: o for o in (*self.forms, *self.routes)}

    @property
    def strata(self) -> int:
        """Number of derivation layers."""
        return 1 + max((r.stratum for r in self.rules), default=0)

    @functools.cached_property
    def by_id(self) -> Mapping[str, Rule]:
        """Rules by id."""
        return {r.id: r for r in self.rules}

    @functools.cached_property
    def derivers(self) -> Mapping[str, tuple[Rule, ...]]:
        """For each derived fact, the rules that derive it."""
        found: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for name in rule.derive:
                found.setdefault(name, []).append(rule)
        return {k: tuple(v) for k, v in found.items()}

    @functools.cached_property
    def literals(self) -> Mapping[tuple[str, str], tuple[object, ...]]:
        """(fact, measure) -> the literals compared with it anywhere in the pack."""
        found: dict[tuple[str, str], dict[object, None]] = {}
        for rule in self.rules:
            for atom in atoms(rule.condition):
                if atom.op in ("known", "unknown"):
                    continue
                values = atom.value if isinstance(atom.value, tuple) else (atom.value,)
                bucket = found.setdefault((atom.fact, atom.measure), {})
                for value in values:
                    bucket[value] = None
        return {k: tuple(v) for k, v in found.items()}

    @functools.cached_property
    def compiled(self) -> Mapping[str, Compiled]:
        """Each rule's condition compiled for the pure-Python evaluator, by rule id."""
        return {r.id: compiled(r.condition) for r in self.rules}

    @functools.cached_property
    def program(self) -> Program:
        """The conditions compiled to Python functions, one per stratum (made on first use)."""
        return Program(self.rules, self.strata)

    @functools.cached_property
    def layers(self) -> tuple[tuple[Rule, ...], ...]:
        """The rules of each stratum, in order."""
        return tuple(tuple(r for r in self.rules if r.stratum == k) for k in range(self.strata))

    def layers_on(self, on: dt.date) -> tuple[tuple[Rule, ...], ...]:
        """The rules of each stratum that are in force on a date (cached per date)."""
        cache: dict[dt.date, tuple[tuple[Rule, ...], ...]] = self._layers_cache
        found = cache.get(on)
        if found is None:
            if len(cache) > 4096:  # a date sweep must not grow the cache without bound
                cache.clear()
            found = cache[on] = tuple(tuple(r for r in layer if r.in_force(on))
                                      for layer in self.layers)
        return found

    @functools.cached_property
    def _layers_cache(self) -> dict[dt.date, tuple[tuple[Rule, ...], ...]]:
        return {}

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (an :class:`~formselect.errors.UnknownNameError`, with the
        nearest id, if absent)."""
        found = self.by_id.get(rule_id)
        if found is None:
            raise unknown_name("rule", rule_id, self.by_id, f"rule pack {self.name!r}")
        return found

    def fact_specs(self) -> Mapping[str, FactSpec]:
        """Every fact a condition in this pack may read."""
        specs = dict(case_facts())
        specs["as_of"] = FactSpec(name="as_of", info=TypeInfo(FactKind.DATE),
                                  description="The date the law is applied at.", derived=True)
        specs.update({d.name: d.spec() for d in self.derived})
        specs.update({c.fact: c.spec() for c in self.cpv_lists})
        return specs


def merge_derivations(
    rules: Iterable[Rule],
) -> tuple[dict[str, Literal], list[tuple[str, tuple[str, ...]]]]:
    """Combine the values derived by fired rules.

    On disagreement the rule of the lowest stratum, then the lowest id, wins (a fact derived
    in a lower stratum has already been read by higher ones). Returns the values and, for
    each fact derived with different values, the rule ids involved.
    """
    by_fact: dict[str, list[tuple[str, Literal]]] = {}
    for rule in sorted(rules, key=lambda r: (r.stratum, r.id)):
        for name, value in rule.derive.items():
            by_fact.setdefault(name, []).append((rule.id, value))
    values: dict[str, Literal] = {}
    conflicts: list[tuple[str, tuple[str, ...]]] = []
    for name, pairs in sorted(by_fact.items()):
        values[name] = pairs[0][1]
        if len({repr(v) for _, v in pairs}) > 1:
            conflicts.append((name, tuple(r for r, _ in pairs)))
    return values, conflicts
