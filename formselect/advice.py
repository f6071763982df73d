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
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol

import attrs

from .case.model import Case
from .deprecated import renamed
from .errors import FormselectError
from .pack.model import Pack, Reference, Severity

__all__ = [
    "Advice",
    "AdviceReaders",
    "Certainty",
    "Comparison",
    "FormStatus",
    "OpenPoint",
    "OptionScore",
    "Outcome",
    "ProcurementAdvice",
    "RiskItem",
    "RouteAdvice",
    "RouteStatus",
    "Standing",
    "Status",
    "StepItem",
    "TraceStep",
    "register_readers",
]

SCHEMA = "formselect.advice/1"


class Status(StrEnum):
    """What the advice concludes about the legal form."""

    RECOMMENDED = "recommended"
    TIE = "tie"  # adviser judgement needed between the top forms
    NO_VIABLE_FORM = "no_viable_form"


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


@attrs.frozen
class OptionScore:
    """A legal form's standing: score, status and the rules behind it."""

    id: str
    name: str
    score: int
    status: FormStatus
    favoured_by: tuple[str, ...] = ()
    excluded_by: tuple[str, ...] = ()


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


@attrs.frozen
class ProcurementAdvice:
    """How the public body can lawfully award the first contract."""

    regime: str | None
    recommended_route: str | None
    routes: tuple[RouteAdvice, ...]
    note: str = ""

    def route(self, route_id: str) -> RouteAdvice:
        """The advice for one route (KeyError if the pack has no such route)."""
        for route in self.routes:
            if route.id == route_id:
                return route
        raise KeyError(route_id)


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


@attrs.frozen
class Advice:
    """Everything formselect concludes for one case as at one date."""

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
    trace: tuple[TraceStep, ...]
    rules_version: str
    formselect_version: str
    schema: str = SCHEMA
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
        return tuple(s.rule_id for s in self.trace if s.outcome is Outcome.FIRED)

    def step(self, rule_id: str) -> TraceStep:
        """The trace step of one rule (KeyError if the pack has no such rule)."""
        for step in self.trace:
            if step.rule_id == rule_id:
                return step
        raise KeyError(rule_id)

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

    def _repr_html_(self) -> str:
        return _readers().html_fragment(self)

    def _repr_markdown_(self) -> str:
        return _readers().render(self, "markdown", "summary")

    def form(self, form_id: str) -> OptionScore:
        """The standing of one form (KeyError if the pack has no such form)."""
        for option in self.ranking:
            if option.id == form_id:
                return option
        raise KeyError(form_id)


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
