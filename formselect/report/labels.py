"""The words a report uses: statuses and regimes as an adviser says them, facts as questions,
the facts the case gives, and the questions to ask next. Shared by every report format."""

from __future__ import annotations

from formselect.advice import Advice, FormStatus, RouteStatus, Status
from formselect.case.kinds import FactKind
from formselect.case.vocabulary import case_facts

__all__ = ["REGIME_NAMES", "STATUS_WORDS", "ask_next", "facts_given", "question",
           "regime_name", "shown_value", "status_words"]

MAX_NEXT_QUESTIONS = 5

STATUS_WORDS: dict[str, str] = {
    Status.RECOMMENDED: "recommended",
    Status.TIE: "tie",
    Status.NO_VIABLE_FORM: "no viable form",
    Status.OUT_OF_COVERAGE: "out of coverage",
    FormStatus.TIED: "tied",
    FormStatus.VIABLE: "viable",
    FormStatus.EXCLUDED: "ruled out",
    RouteStatus.AVAILABLE: "available",
    RouteStatus.AVAILABLE_WITH_RISK: "available with risk",
    RouteStatus.NOT_AVAILABLE: "not available",
    RouteStatus.UNDETERMINED: "undetermined",
}

# The procurement regimes the built-in pack derives, by the instruments' short titles.
REGIME_NAMES: dict[str, str] = {
    "pcr2006": "Public Contracts Regulations 2006",
    "pcr2015": "Public Contracts Regulations 2015",
    "pcsr2006": "Public Contracts (Scotland) Regulations 2006",
    "pcsr2015": "Public Contracts (Scotland) Regulations 2015",
    "pa2023": "Procurement Act 2023",
    "psr": "Health Care Services (Provider Selection Regime) Regulations 2023",
    "psr_wales": "Health Services (Provider Selection Regime) (Wales) Regulations 2025",
}


def shown_value(value: object) -> str:
    """A fact's value as an adviser reads it: unknown, yes / no, a list, or the value."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(str(v) for v in value) if isinstance(value, set | frozenset) \
            else [str(v) for v in value]
        return ", ".join(items) or "none"
    return str(value)


def status_words(status: str) -> str:
    """A status of the advice, a form or a route in words (``available with risk``)."""
    return STATUS_WORDS.get(status, str(status).replace("_", " "))


def regime_name(regime: str | None) -> str:
    """A regime id in words (``Procurement Act 2023 (pa2023)``), or "not determined"."""
    if not regime:
        return "not determined"
    name = REGIME_NAMES.get(regime)
    return f"{name} ({regime})" if name else regime


def question(fact: str) -> str:
    """The plain question that asks for a case fact (the fact's name for any other)."""
    spec = case_facts().get(fact)
    return spec.question if spec is not None and spec.question else fact


def facts_given(advice: Advice) -> list[tuple[str, str, str]]:
    """Every fact the case gives: (dotted name, its description, the value in words)."""
    out = []
    for name, spec in case_facts().items():
        value = advice.case.get(name)
        if value is not None:
            shown = shown_value(value)
            if spec.kind in (FactKind.ENUM, FactKind.SET):  # ids as words: "reinvest all"
                shown = shown.replace("_", " ")
            out.append((name, spec.description, shown))
    return out


def ask_next(advice: Advice) -> list[tuple[str, str]]:
    """The unknown facts most worth asking about, as (fact, question), most useful first:
    the one that separates tied forms, then those that could change the form, then those that
    could open a less burdensome route, then those that could change any other conclusion."""
    order: list[str] = []
    if advice.tie_break is not None and advice.tie_break.question is not None:
        order.append(advice.tie_break.question.fact)
    if advice.confidence is not None:
        order += advice.confidence.could_overturn
    for condition in advice.procurement.conditional:
        order += condition.facts
    for point in advice.certainty.open:
        order += point.facts
    unknown = set(advice.unknown_facts)
    chosen = [f for f in dict.fromkeys(order) if f in unknown and f in case_facts()]
    return [(f, question(f)) for f in chosen[:MAX_NEXT_QUESTIONS]]
