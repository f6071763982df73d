"""Which conclusions hold whatever the unknown facts turn out to be, and which are open.

Sound because evaluation is monotone: answering an unknown fact can make an *unknown* rule
fire or fail, but never un-fire a rule that fired. So an exclusion that fired is settled; a
leader is settled when no unknown rule could exclude it or lift another form to its score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from .advice import (
    Certainty,
    Confidence,
    FormStatus,
    OpenPoint,
    Outcome,
    ProcurementAdvice,
    RouteCondition,
    RouteStatus,
    SeparatingQuestion,
    Standing,
    Status,
)
from .case.vocabulary import case_facts
from .pack.model import Rule
from .pack_index import PackIndex

__all__ = ["Unknowns", "assess_certainty", "assess_confidence", "route_conditions",
           "separating_question"]


# enumeration members are read once per loop, not per item: on Python 3.11 reading a member
# costs about ten times reading a name
_UNKNOWN = Outcome.UNKNOWN


class Unknowns:
    """The rules one case leaves unknown (unknown facts decide them), and the unknown case
    facts behind any of them. ``outcomes``: each rule's outcome, in pack order; ``view``:
    the facts known."""

    __slots__ = ("_case_reads", "_cpv_reads", "_derived", "_derived_reads", "_facts", "_index",
                 "_outcomes", "_view")

    def __init__(self, index: PackIndex, outcomes: Sequence[Outcome],
                 view: Mapping[str, object]) -> None:
        self._index = index
        self._outcomes = outcomes
        self._view = view
        self._facts: dict[int, frozenset[str]] = {}  # each rule's, worked out once
        self._derived: dict[str, frozenset[str]] = {}  # each derived fact's, likewise
        self._case_reads, self._cpv_reads, self._derived_reads = index.reads

    def among(self, positions: Iterable[int]) -> list[Rule]:
        """The unknown rules among some rules (given by position, ascending), in pack
        order."""
        outcomes, rules, unknown = self._outcomes, self._index.rules, _UNKNOWN
        return [rules[i] for i in positions if outcomes[i] is unknown]

    def case_facts(self, rules: Iterable[Rule]) -> tuple[str, ...]:
        """Unknown case facts behind some rules, following unknown derived facts to the
        rules that would derive them."""
        position = self._index.position
        found: set[str] = set()
        for rule in rules:
            found |= self._facts_of(position[rule.id])
        return tuple(sorted(found))

    def _facts_of(self, i: int) -> frozenset[str]:
        # the facts behind a set of rules are the union of those behind each, and a rule's
        # are its own unknown case facts and those behind the unknown rules that would
        # derive the unknown facts it reads (derivations form no cycle: the loader refuses
        # one)
        found = self._facts.get(i)
        if found is not None:
            return found
        view = self._view
        facts = {fact for fact, key in self._case_reads[i] if key not in view}
        for key, cpv in self._cpv_reads[i]:  # given by the view from the case's codes
            day = view.get("as_of")
            if key not in view and "service.cpv_codes" not in view \
                    and isinstance(day, dt.date) and cpv.in_force(day):
                facts.add("service.cpv_codes")
        for key, derivers in self._derived_reads[i]:
            if key not in view:
                facts |= self._behind(key, derivers)
        found = self._facts[i] = frozenset(facts)
        return found

    def _behind(self, fact: str, derivers: tuple[int, ...]) -> frozenset[str]:
        """The unknown case facts behind an unknown derived fact: those of the unknown rules
        that would derive it (``derivers``, by position)."""
        found = self._derived.get(fact)
        if found is None:
            outcomes, unknown = self._outcomes, _UNKNOWN
            found = self._derived[fact] = frozenset().union(
                *(self._facts_of(j) for j in derivers if outcomes[j] is unknown))
        return found


def assess_certainty(index: PackIndex, unknowns: Unknowns, result: Standing) -> Certainty:
    """Split the conclusions into settled ones and open ones (with the facts that
    decide)."""
    settled: list[str] = []
    open_points: list[OpenPoint] = []
    excluders, favourers = index.excluders, index.favourers

    def point(subject: str, question: str, rules: list[Rule]) -> None:
        open_points.append(OpenPoint(subject, question, tuple(sorted(r.id for r in rules)),
                                     unknowns.case_facts(rules)))

    excluded = FormStatus.EXCLUDED  # members read once (see _UNKNOWN)
    for option in result.ranking:
        if option.status is excluded:
            settled.append(f"{option.name} is ruled out ({', '.join(option.excluded_by)}).")
            continue
        could_exclude = unknowns.among(excluders[option.id])
        if could_exclude:
            point(option.id, f"{option.name} could still be ruled out.", could_exclude)

    recommended, tied = FormStatus.RECOMMENDED, FormStatus.TIED
    leaders = [o for o in result.ranking if o.status is recommended or o.status is tied]
    top = leaders[0].score if leaders else 0
    threats: list[Rule] = []
    for option in result.ranking:
        if option.status is excluded:
            continue
        if option in leaders:
            threats += unknowns.among(excluders[option.id])
            continue
        lifts = unknowns.among(favourers[option.id])
        if lifts and option.score + sum(r.favour[option.id] for r in lifts) >= top:
            threats += lifts
    if leaders and not threats:
        what = leaders[0].name if len(leaders) == 1 else "the tie"
        settled.append(f"The recommendation ({what}) holds whatever the unknown facts are.")
    elif threats:
        point("recommendation", "The recommended form could change.", threats)

    not_available, undetermined = RouteStatus.NOT_AVAILABLE, RouteStatus.UNDETERMINED
    for route in result.procurement.routes:
        if route.status is not_available:
            settled.append(f"{route.name} is not available ({', '.join(route.excluded_by)}).")
            continue
        # rules that could rule the route out, flag a serious risk for it, or (while it is
        # undetermined) make it available
        could = index.route_changers[route.id]
        changers = unknowns.among(could[1] if route.status is undetermined else could[0])
        if changers:
            point(route.id, f"Whether {route.name} is available could change.", changers)
        elif route.status is not undetermined:
            settled.append(f"{route.name} is {route.status.value.replace('_', ' ')}.")
    recommendation_settled = not any(p.subject == "recommendation" for p in open_points)
    return Certainty(recommendation_settled, tuple(settled), tuple(open_points))


def _threats(index: PackIndex, unknowns: Unknowns, result: Standing) -> list[Rule]:
    """Unknown rules that could dislodge the recommended form: by ruling it out, or by
    lifting another viable form to its score (a level score goes to the prior, so level
    counts as a threat)."""
    leader = next((o for o in result.ranking if o.id == result.recommended), None)
    if leader is None:
        return []
    threats = unknowns.among(index.excluders[leader.id])
    for option in result.ranking:
        if option.status is FormStatus.EXCLUDED or option.id == leader.id:
            continue
        lifts = [r for r in unknowns.among(index.favourers[option.id])
                 if leader.id not in r.favour]
        if lifts and option.score + sum(r.favour[option.id] for r in lifts) >= leader.score:
            threats += lifts
    return list({r.id: r for r in threats}.values())


def assess_confidence(index: PackIndex, unknowns: Unknowns,
                      result: Standing) -> Confidence | None:
    """How firm the recommended form is: the margin over the runner-up and the unknown facts
    that could overturn it. High: ahead by 3 points or more (a strong reason) and no unknown
    fact could change it; low: a tie the prior broke, or a margin of one point that an
    unknown fact could overturn; medium otherwise. The thresholds are formselect's analysis,
    matched to the weights' scale (3 = a strong reason)."""
    if result.recommended is None:
        return None
    viable = [o for o in result.ranking if o.status is not FormStatus.EXCLUDED]
    leader = viable[0]
    runner = viable[1] if len(viable) > 1 else None
    margin = leader.score - runner.score if runner else leader.score
    facts = unknowns.case_facts(_threats(index, unknowns, result))
    if result.status is Status.TIE or (margin <= 1 and facts):
        level = "low"
    elif margin >= 3 and not facts:
        level = "high"
    else:
        level = "medium"
    if result.status is Status.TIE:
        lead = f"a tie on {leader.score} points, ordered by how common each form is"
    elif runner is not None:
        lead = f"{margin} point{'s' if margin != 1 else ''} ahead of {runner.name}"
    else:
        lead = "the only form not ruled out"
    could = (f"{len(facts)} unknown fact{'s' if len(facts) != 1 else ''} could change the "
             f"form ({', '.join(facts)})" if facts else "no unknown fact could change the form")
    return Confidence(level, margin if result.status is not Status.TIE else 0,
                      runner.id if runner else None, facts,
                      f"{level.capitalize()}: {lead}; {could}.")


def separating_question(index: PackIndex, unknowns: Unknowns,
                        forms: Sequence[str]) -> SeparatingQuestion | None:
    """The unknown case fact that best tells some forms apart: the one read by most unknown
    rules that would weigh those forms differently (ties: the fact that comes first in the
    vocabulary, so the answer never depends on form names)."""
    wanted = set(forms)
    by_fact: dict[str, list[str]] = {}
    # a rule that neither favours nor excludes any of the forms weighs them all alike
    naming = sorted({i for f in wanted for i in (*index.favourers.get(f, ()),
                                                 *index.excluders.get(f, ()))})
    for rule in unknowns.among(naming):
        weights = {f: rule.favour.get(f, 0) for f in wanted}
        excludes = wanted & set(rule.exclude)
        if len(set(weights.values())) < 2 and excludes in (set(), wanted):
            continue
        for fact in unknowns.case_facts([rule]):
            by_fact.setdefault(fact, []).append(rule.id)
    if not by_fact:
        return None
    specs = case_facts()
    order = {name: i for i, name in enumerate(specs)}
    fact = min(by_fact, key=lambda f: (-len(by_fact[f]), order.get(f, len(order)), f))
    spec = specs.get(fact)
    question = spec.question if spec is not None and spec.question else fact
    return SeparatingQuestion(fact, question, tuple(sorted(by_fact[fact])))


def route_conditions(index: PackIndex, unknowns: Unknowns,
                     procurement: ProcurementAdvice) -> tuple[RouteCondition, ...]:
    """Each route less burdensome than the recommended one that the rules left undetermined
    only because facts are unknown: "<route> if <rule> applies; otherwise <recommended>".
    A route some unknown rule could also rule out says so."""
    recommended = (procurement.route(procurement.recommended_route)
                   if procurement.recommended_route else None)
    ceiling = (recommended.burden or 99) if recommended else 99
    found = []
    for route in sorted(procurement.routes, key=lambda r: (r.burden or 99, r.id)):
        if route.status is not RouteStatus.UNDETERMINED or not route.compatible \
                or (route.burden or 99) >= ceiling:
            continue
        openers = unknowns.among(index.favourers[route.id])
        if not openers:
            continue
        closers = [r.id for r in unknowns.among(index.excluders[route.id])]
        facts = unknowns.case_facts(openers)
        otherwise = recommended.name if recommended else "no route is available yet"
        text = (f"{route.name} if {' or '.join(r.id for r in openers)} applies "
                f"(it turns on {', '.join(facts) or 'derived facts'})"
                + (f" and {', '.join(closers)} do not rule it out" if closers else "")
                + f"; otherwise {otherwise}.")
        found.append(RouteCondition(route.id, tuple(r.when for r in openers),
                                    tuple(r.id for r in openers), facts, text))
    return tuple(found)
