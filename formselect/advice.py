"""The result of ``advise``: a recommendation, its alternatives, risks, steps, routes and trace.

Everything here is immutable data; rendering lives in ``render`` and JSON in ``serialize``.
The data does not import its readers: ``Advice``'s convenience methods (``render``,
``why_not``, ``what_if``, ...) are thin facades over :class:`AdviceReaders`, which the
package's top level registers (``formselect/__init__.py``), so every import points down.
Values read from the case are stored JSON-ready (dates as ISO text, sets as sorted lists) so
that an Advice written as JSON reads back equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol, overload

import attrs

from .case.model import Case
from .deprecated import renamed
from .errors import FormselectError, unknown_name
from .pack.model import Pack, Reference, Rule, Severity

__all__ = [
    "Advice",
    "AdviceReaders",
    "Certainty",
    "Comparison",
    "Confidence",
    "FormStatus",
    "OpenPoint",
    "OptionScore",
    "Outcome",
    "ProcurementAdvice",
    "RiskItem",
    "RouteAdvice",
    "RouteCondition",
    "RouteStatus",
    "ScorePoint",
    "SeparatingQuestion",
    "Standing",
    "Status",
    "StepItem",
    "TieBreak",
    "Trace",
    "TraceStep",
    "register_readers",
]

SCHEMA = "formselect.advice/1"


class Status(StrEnum):
    """What the advice concludes about the legal form."""

    RECOMMENDED = "recommended"
    TIE = "tie"  # the facts leave forms level: the prior orders them (see tie_break)
    NO_VIABLE_FORM = "no_viable_form"
    OUT_OF_COVERAGE = "out_of_coverage"  # the date is before the pack's law begins


class FormStatus(StrEnum):
    """Where one form stands."""

    RECOMMENDED = "recommended"
    TIED = "tied"
    VIABLE = "viable"
    EXCLUDED = "excluded"


class RouteStatus(StrEnum):
    """Whether the public body can use a procurement route."""

    AVAILABLE = "available"
    AVAILABLE_WITH_RISK = "available_with_risk"
    NOT_AVAILABLE = "not_available"
    UNDETERMINED = "undetermined"  # no rule decided it: facts missing or out of scope


class Outcome(StrEnum):
    """What happened to one rule for this case."""

    FIRED = "fired"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"  # not met because facts it reads are unknown
    NOT_IN_FORCE = "not_in_force"


@attrs.frozen
class Comparison:
    """One comparison in a rule's condition, with the case's value and its result."""

    test: str
    fact: str
    value: object
    result: bool | None


@attrs.frozen
class TraceStep:
    """One rule as applied to the case: outcome, facts read, conclusion and law."""

    seq: int
    rule_id: str
    title: str
    outcome: Outcome
    when: str
    tests: tuple[Comparison, ...]
    conclusion: str
    explanation: str
    references: tuple[Reference, ...]
    valid_from: dt.date
    valid_until: dt.date | None = None
    analysis: bool = False
    caveat: str = ""
    stratum: int = 0

    @property
    def facts(self) -> Mapping[str, object]:
        """The facts the rule read, with their values (None = unknown)."""
        return {t.fact: t.value for t in self.tests}


class Trace(Sequence[TraceStep]):
    """The explanation trace, one step per rule of the pack in pack order, built on first
    access: the decision does not wait for it.

    Each rule's outcome is settled when the advice is made (it decides certainty and the
    unknown facts); the step that explains it — every comparison with the value it read — is
    made when first read, then kept. The content is exactly what an eagerly built trace holds,
    and a trace compares, hashes and pickles as the tuple of its steps.
    """

    __slots__ = ("_conclude", "_outcomes", "_pack", "_show", "_shown", "_steps", "_view")

    def __init__(self, pack: Pack, view: Mapping[str, object], outcomes: Sequence[Outcome],
                 conclude: Callable[[Rule], str],
                 show: Callable[[Mapping[str, object]], Mapping[str, object]]) -> None:
        """``conclude``: a rule's conclusion in words; ``show``: the view as shown values."""
        self._pack = pack
        self._view = view
        self._outcomes = tuple(outcomes)
        self._conclude = conclude
        self._show = show
        self._shown: Mapping[str, object] | None = None
        self._steps: list[TraceStep | None] = [None] * len(self._outcomes)

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """Each rule's outcome, in pack order (no step is built)."""
        return self._outcomes

    def fired(self) -> tuple[str, ...]:
        """Ids of the rules that fired, in trace order (no step is built)."""
        rules = self._pack.rules
        return tuple(rules[i].id for i, o in enumerate(self._outcomes) if o is Outcome.FIRED)

    def rule_ids(self) -> tuple[str, ...]:
        """Every rule's id, in trace order (no step is built)."""
        return tuple(r.id for r in self._pack.rules)

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        """The position of a step, or (given a rule id) of that rule's step."""
        if isinstance(value, str):
            for i, rule in enumerate(self._pack.rules):
                if rule.id == value:
                    return i
            raise ValueError(value)
        return super().index(value, start, len(self) if stop is None else stop)

    def __len__(self) -> int:
        return len(self._outcomes)

    @overload
    def __getitem__(self, index: int) -> TraceStep: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[TraceStep, ...]: ...

    def __getitem__(self, index: int | slice) -> TraceStep | tuple[TraceStep, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        step = self._steps[index]  # an IndexError as for a tuple
        if step is None:
            position = index + len(self) if index < 0 else index
            step = self._steps[position] = self._build(position)
        return step

    def __iter__(self) -> Iterator[TraceStep]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Trace | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[type, tuple[tuple[TraceStep, ...]]]:
        return tuple, (tuple(self),)  # a pickled trace is its steps

    def _build(self, index: int) -> TraceStep:
        rule = self._pack.rules[index]
        condition = self._pack.compiled[rule.id]
        if self._shown is None:  # once per advice, not per comparison
            self._shown = self._show(self._view)
        shown = self._shown
        tests = tuple(Comparison(text, atom.fact, shown.get(key), result)
                      for text, atom, key, result in zip(condition.texts, condition.atoms,
                                                         condition.keys,
                                                         condition.results(self._view),
                                                         strict=True))
        return TraceStep(
            seq=index + 1, rule_id=rule.id, title=rule.title, outcome=self._outcomes[index],
            when=rule.when, tests=tests, conclusion=self._conclude(rule),
            explanation=rule.explanation, references=rule.references,
            valid_from=rule.valid_from, valid_until=rule.valid_until, analysis=rule.analysis,
            caveat=rule.caveat, stratum=rule.stratum)


@attrs.frozen
class ScorePoint:
    """Points one rule gave a form, and why: the form property the preference matched."""

    rule_id: str
    weight: int
    because: str = ""  # e.g. "asset lock: statutory" (empty for a rule that names the form)


@attrs.frozen
class OptionScore:
    """A legal form's standing: score, status and the rules behind it."""

    id: str
    name: str
    score: int
    status: FormStatus
    favoured_by: tuple[str, ...] = ()
    excluded_by: tuple[str, ...] = ()
    points: tuple[ScorePoint, ...] = ()  # every point of the score, rule by rule
    prior_rank: int | None = None  # how common the form is (1 = most common), for ties


@attrs.frozen
class SeparatingQuestion:
    """The unknown fact whose answer would best tell tied or close forms apart."""

    fact: str
    question: str
    rules: tuple[str, ...]  # the unknown rules that read it and weigh the forms differently


@attrs.frozen
class TieBreak:
    """How forms the facts left level were ordered: by the pack's prior, never silently."""

    tied: tuple[str, ...]  # form ids with the top score, in the prior's order
    chosen: str | None  # None when no prior separates the first two: no form is recommended
    by: str  # "prior", or "unbroken" where the pack's prior does not separate them
    prior: str = ""  # the prior's title and date
    question: SeparatingQuestion | None = None


@attrs.frozen
class Confidence:
    """How firm the recommendation is: its margin and the unknowns that could overturn it."""

    level: str  # "high", "medium" or "low"
    margin: int  # points ahead of the runner-up (0 in a tie)
    runner_up: str | None
    could_overturn: tuple[str, ...]  # unknown case facts whose answers could change the form
    summary: str


@attrs.frozen
class RiskItem:
    """A risk flagged by a rule, with its severity, law and mitigation."""

    rule_id: str
    title: str
    severity: Severity
    explanation: str
    mitigation: str
    applies_to: tuple[str, ...]
    references: tuple[Reference, ...]
    analysis: bool = False
    caveat: str = ""


@attrs.frozen
class StepItem:
    """A step a rule requires, in order."""

    rule_id: str
    text: str
    order: int
    applies_to: tuple[str, ...]
    references: tuple[Reference, ...]


@attrs.frozen
class RouteAdvice:
    """One procurement route: status, the rules behind it, its steps and risks."""

    id: str
    name: str
    status: RouteStatus
    score: int
    compatible: bool  # the route can serve the recommended form
    favoured_by: tuple[str, ...] = ()
    excluded_by: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()  # rule ids of risks naming the route
    steps: tuple[StepItem, ...] = ()
    burden: int = 0  # 1 = no process beyond the award ... 5 = a full competition


@attrs.frozen
class RouteCondition:
    """A less burdensome route that unknown facts could open: "if ... then this route"."""

    route: str
    conditions: tuple[str, ...]  # the conditions of the rules that would make it available
    rules: tuple[str, ...]
    facts: tuple[str, ...]  # the unknown case facts they read
    text: str


@attrs.frozen
class ProcurementAdvice:
    """How the public body can lawfully award the first contract."""

    regime: str | None
    recommended_route: str | None
    routes: tuple[RouteAdvice, ...]
    note: str = ""
    # less burdensome routes that unknown facts could open, most promising first
    conditional: tuple[RouteCondition, ...] = ()

    def route(self, route_id: str) -> RouteAdvice:
        """The advice for one route (an :class:`~formselect.errors.UnknownNameError`, with
        the nearest route id, if the pack has no such route)."""
        for route in self.routes:
            if route.id == route_id:
                return route
        raise unknown_name("route", route_id, (r.id for r in self.routes))


@attrs.frozen
class OpenPoint:
    """A conclusion that unknown facts could still change, and the facts that decide it."""

    subject: str  # a form or route id, or "recommendation"
    question: str
    rules: tuple[str, ...]
    facts: tuple[str, ...]


@attrs.frozen
class Certainty:
    """What holds whatever the unknown facts are, and what is still open."""

    recommendation_settled: bool
    settled: tuple[str, ...]
    open: tuple[OpenPoint, ...]


@attrs.frozen(repr=False)  # the full data is hundreds of KB: a one-line repr instead
class Advice:
    """Everything formselect concludes for one case as at one date.

    ``repr()`` is one line; ``str()`` (and ``print``) is the text report.
    """

    case: Case
    as_of: dt.date
    status: Status
    recommended: str | None
    ranking: tuple[OptionScore, ...]
    risks: tuple[RiskItem, ...]
    steps: tuple[StepItem, ...]
    procurement: ProcurementAdvice
    certainty: Certainty
    derived: Mapping[str, object]
    unknown_facts: tuple[str, ...]
    notes: tuple[str, ...]
    # one step per rule; a :class:`Trace` (built on first access) when the advice was just
    # made, a tuple when it was read back from JSON
    trace: Sequence[TraceStep]
    rules_version: str
    formselect_version: str
    confidence: Confidence | None = None
    tie_break: TieBreak | None = None
    schema: str = SCHEMA
    # which engine ran the rules: "durable" (durable_rules, the default where it imports),
    # "compiled" (the default on Python 3.13 and later) or "python". Every engine gives the
    # same advice, so it takes no part in equality and is not written to JSON.
    engine: str = attrs.field(default="", eq=False)
    # the pack that produced the advice, for why-not and what-if (not part of the data)
    pack: Pack | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def excluded(self) -> Mapping[str, tuple[str, ...]]:
        """Each excluded form with the rules that excluded it."""
        return {o.id: o.excluded_by for o in self.ranking if o.status is FormStatus.EXCLUDED}

    @property
    def conflicting_rules(self) -> tuple[str, ...]:
        """For a tie, the rules that favour the tied forms."""
        if self.status is not Status.TIE:
            return ()
        tied = [o for o in self.ranking if o.status is FormStatus.TIED]
        return tuple(sorted({r for o in tied for r in o.favoured_by}))

    @property
    def fired(self) -> tuple[str, ...]:
        """Ids of the rules that fired, in trace order."""
        if isinstance(self.trace, Trace):  # without building the steps
            return self.trace.fired()
        return tuple(s.rule_id for s in self.trace if s.outcome is Outcome.FIRED)

    def step(self, rule_id: str) -> TraceStep:
        """The trace step of one rule (an :class:`~formselect.errors.UnknownNameError`, with
        the nearest rule id, if the pack has no such rule)."""
        if isinstance(self.trace, Trace):  # builds that step only
            try:
                return self.trace[self.trace.index(rule_id)]
            except ValueError:
                raise unknown_name("rule", rule_id, self.trace.rule_ids()) from None
        for step in self.trace:
            if step.rule_id == rule_id:
                return step
        raise unknown_name("rule", rule_id, (s.rule_id for s in self.trace))

    def why_not(self, option: str) -> Any:
        """Why a form or route is not recommended, with minimal counterfactuals
        (a :class:`formselect.WhyNot`; see :func:`formselect.why_not`)."""
        return _readers().why_not(self, option)

    def what_if(self, changes: Mapping[str, object]) -> tuple[Advice, Any]:
        """Advise again with some facts changed; the new advice and what changed
        (a :class:`formselect.AdviceDiff`; see :func:`formselect.what_if`)."""
        return _readers().what_if(self, changes)

    def render(self, fmt: str = "text", depth: str = "summary") -> str:
        """The advice as ``text``, ``markdown``, ``html`` or ``json``."""
        return _readers().render(self, fmt, depth)

    def to_dot(self) -> str:
        """The decision as a Graphviz DOT graph."""
        return _readers().to_dot(self)

    def trace_frame(self) -> Any:
        """The trace as a pandas DataFrame (needs pandas)."""
        return _readers().trace_frame(self)

    def __repr__(self) -> str:
        name = f" {self.case.name!r}" if self.case.name else ""
        if self.status is Status.TIE:
            tied = [o.id for o in self.ranking if o.status is FormStatus.TIED]
            form = f"tie between {', '.join(tied)}"
            if self.recommended:
                form += f" ({self.recommended} first by the prior)"
        elif self.recommended:
            form = f"{self.recommended} (recommended)"
        else:
            form = self.status.value.replace("_", " ")
        route = self.procurement.recommended_route or "none"
        risks = len(self.risks)
        return (f"<Advice{name} as at {self.as_of.isoformat()}: {form}, route {route}, "
                f"{risks} risk{'' if risks == 1 else 's'}>")

    def __str__(self) -> str:
        return self.render("text")

    def _repr_html_(self) -> str:
        return _readers().html_fragment(self)

    def _repr_markdown_(self) -> str:
        return _readers().render(self, "markdown", "summary")

    def form(self, form_id: str) -> OptionScore:
        """The standing of one form (an :class:`~formselect.errors.UnknownNameError`, with
        the nearest form id, if the pack has no such form)."""
        for option in self.ranking:
            if option.id == form_id:
                return option
        raise unknown_name("form", form_id, (o.id for o in self.ranking))


@attrs.frozen
class Standing:
    """The outcome without the trace: cheap enough for batches, searches and questions."""

    status: Status
    recommended: str | None
    ranking: tuple[OptionScore, ...]
    risks: tuple[RiskItem, ...]
    steps: tuple[StepItem, ...]
    procurement: ProcurementAdvice
    fired: tuple[str, ...] = ()  # rule ids, in pack order
    derived: Mapping[str, object] = attrs.field(factory=dict)
    tie_break: TieBreak | None = None

    @property
    def viable_forms(self) -> tuple[str, ...]:
        """Forms not ruled out."""
        return tuple(o.id for o in self.ranking if o.status is not FormStatus.EXCLUDED)

    def route_status(self, route_id: str) -> RouteStatus:
        """The status of one route."""
        return self.procurement.route(route_id).status


class AdviceReaders(Protocol):
    """The readers of an Advice that live on the floors above it (reports, explanations).

    ``Advice``'s convenience methods delegate to the one registered instance, so that the
    data never imports its readers (which import the data).
    """

    def why_not(self, advice: Advice, option: str) -> Any:
        """Why a form or route is not recommended."""

    def what_if(self, advice: Advice, changes: Mapping[str, object]) -> tuple[Advice, Any]:
        """Advise again with some facts changed."""

    def render(self, advice: Advice, fmt: str, depth: str) -> str:
        """The advice in one report format."""

    def to_dot(self, advice: Advice) -> str:
        """The decision as a Graphviz DOT graph."""

    def trace_frame(self, advice: Advice) -> Any:
        """The trace as a pandas DataFrame."""

    def html_fragment(self, advice: Advice) -> str:
        """The HTML report without its page around it (for notebooks)."""


_READERS: list[AdviceReaders] = []


def register_readers(readers: AdviceReaders) -> None:
    """Serve ``Advice``'s convenience methods with ``readers`` (done by ``formselect``)."""
    _READERS[:] = [readers]


def _readers() -> AdviceReaders:
    if not _READERS:  # formselect/__init__.py registers them whenever this module loads
        raise FormselectError("no Advice readers are registered; import formselect")
    return _READERS[0]


def __getattr__(name: str) -> object:
    """``Test`` and ``Procurement``, the old names of two classes (deprecated)."""
    return renamed(__name__, name)
