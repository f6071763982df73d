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
from .pack.model import Pack, Rule, Severity

__all__ = ["assess_certainty", "assess_confidence", "route_conditions", "separating_question",
           "unknown_case_facts", "unknown_rules"]


_READS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}


def _reads(pack: Pack) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each rule's comparisons as (fact, view key), by rule id (kept for the last few packs)."""
    found = _READS.get(pack.digest)
    if found is None:
        if len(_READS) >= 8:
            _READS.clear()
        found = _READS[pack.digest] = {
            rule_id: tuple((atom.fact, key) for atom, key in zip(condition.atoms,
                                                                 condition.keys, strict=True))
            for rule_id, condition in pack.compiled.items()}
    return found


def unknown_rules(pack: Pack, outcomes: Mapping[str, Outcome]) -> list[Rule]:
    """The rules whose outcome is unknown (unknown facts decide them), in pack order."""
    return [pack.rule(r) for r, o in outcomes.items() if o is Outcome.UNKNOWN]


def unknown_case_facts(rule_ids: Iterable[str], outcomes: Mapping[str, Outcome],
                       view: Mapping[str, object], pack: Pack) -> tuple[str, ...]:
    """Unknown case facts behind some rules, following unknown derived facts to the rules
    that would derive them. ``outcomes``: each rule's outcome; ``view``: the facts known."""
    derivers = pack.derivers
    reads = _reads(pack)
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = list(rule_ids)
    while pending:
        rule_id = pending.pop()
        if rule_id in seen or rule_id not in outcomes:
            continue
        seen.add(rule_id)
        for fact, key in reads[rule_id]:
            if key in view:  # a known value
                continue
            if "." in fact:
                found[fact] = None
            elif fact in pack.cpv_facts:  # given by the view from the case's codes
                cpv = pack.cpv_by_fact[fact]
                day = view.get("as_of")
                if "service.cpv_codes" not in view and isinstance(day, dt.date) \
                        and cpv.in_force(day):
                    found["service.cpv_codes"] = None
            else:
                pending += [r.id for r in derivers.get(fact, [])
                            if outcomes.get(r.id) is Outcome.UNKNOWN]
    return tuple(sorted(found))


def assess_certainty(pack: Pack, outcomes: Mapping[str, Outcome], view: Mapping[str, object],
                     result: Standing) -> Certainty:
    """Split the conclusions into settled ones and open ones (with the facts that decide).
    ``outcomes``: each rule's outcome, in pack order; ``view``: the facts known."""
    unknown = unknown_rules(pack, outcomes)
    settled: list[str] = []
    open_points: list[OpenPoint] = []

    def point(subject: str, question: str, rules: list[Rule]) -> None:
        ids = tuple(sorted(r.id for r in rules))
        open_points.append(OpenPoint(subject, question, ids,
                                     unknown_case_facts(ids, outcomes, view, pack)))

    for option in result.ranking:
        if option.status is FormStatus.EXCLUDED:
            settled.append(f"{option.name} is ruled out ({', '.join(option.excluded_by)}).")
            continue
        could_exclude = [r for r in unknown if option.id in r.exclude]
        if could_exclude:
            point(option.id, f"{option.name} could still be ruled out.", could_exclude)

    leaders = [o for o in result.ranking if o.status in (FormStatus.RECOMMENDED,
                                                         FormStatus.TIED)]
    top = leaders[0].score if leaders else 0
    threats: list[Rule] = []
    for option in result.ranking:
        if option.status is FormStatus.EXCLUDED:
            continue
        lifts = [r for r in unknown if option.id in r.favour]
        if option in leaders:
            threats += [r for r in unknown if option.id in r.exclude]
        elif lifts and option.score + sum(r.favour[option.id] for r in lifts) >= top:
            threats += lifts
    if leaders and not threats:
        what = leaders[0].name if len(leaders) == 1 else "the tie"
        settled.append(f"The recommendation ({what}) holds whatever the unknown facts are.")
    elif threats:
        point("recommendation", "The recommended form could change.", threats)

    for route in result.procurement.routes:
        if route.status is RouteStatus.NOT_AVAILABLE:
            settled.append(f"{route.name} is not available ({', '.join(route.excluded_by)}).")
            continue
        changers = [r for r in unknown if route.id in r.exclude or
                    (route.status is RouteStatus.UNDETERMINED and route.id in r.favour) or
                    (r.risk is not None and route.id in r.risk.applies_to
                     and r.risk.severity.rank >= Severity.MEDIUM.rank)]
        if changers:
            point(route.id, f"Whether {route.name} is available could change.", changers)
        elif route.status is not RouteStatus.UNDETERMINED:
            settled.append(f"{route.name} is {route.status.value.replace('_', ' ')}.")
    recommendation_settled = not any(p.subject == "recommendation" for p in open_points)
    return Certainty(recommendation_settled, tuple(settled), tuple(open_points))



def _threats(pack: Pack, outcomes: Mapping[str, Outcome], result: Standing) -> list[Rule]:
    """Unknown rules that could dislodge the recommended form: by ruling it out, or by
    lifting another viable form to its score (a level score goes to the prior, so level
    counts as a threat)."""
    unknown = unknown_rules(pack, outcomes)
    leader = next((o for o in result.ranking if o.id == result.recommended), None)
    if leader is None:
        return []
    threats = [r for r in unknown if leader.id in r.exclude]
    for option in result.ranking:
        if option.status is FormStatus.EXCLUDED or option.id == leader.id:
            continue
        lifts = [r for r in unknown if option.id in r.favour and leader.id not in r.favour]
        if lifts and option.score + sum(r.favour[option.id] for r in lifts) >= leader.score:
            threats += lifts
    return list({r.id: r for r in threats}.values())


def assess_confidence(pack: Pack, outcomes: Mapping[str, Outcome], view: Mapping[str, object],
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
    facts = unknown_case_facts([r.id for r in _threats(pack, outcomes, result)], outcomes,
                               view, pack)
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


def separating_question(pack: Pack, outcomes: Mapping[str, Outcome],
                        view: Mapping[str, object],
                        forms: Sequence[str]) -> SeparatingQuestion | None:
    """The unknown case fact that best tells some forms apart: the one read by most unknown
    rules that would weigh those forms differently (ties: the fact that comes first in the
    vocabulary, so the answer never depends on form names)."""
    wanted = set(forms)
    by_fact: dict[str, list[str]] = {}
    for rule in unknown_rules(pack, outcomes):
        weights = {f: rule.favour.get(f, 0) for f in wanted}
        excludes = wanted & set(rule.exclude)
        if len(set(weights.values())) < 2 and excludes in (set(), wanted):
            continue
        for fact in unknown_case_facts([rule.id], outcomes, view, pack):
            by_fact.setdefault(fact, []).append(rule.id)
    if not by_fact:
        return None
    specs = case_facts()
    order = {name: i for i, name in enumerate(specs)}
    fact = min(by_fact, key=lambda f: (-len(by_fact[f]), order.get(f, len(order)), f))
    spec = specs.get(fact)
    question = spec.question if spec is not None and spec.question else fact
    return SeparatingQuestion(fact, question, tuple(sorted(by_fact[fact])))


def route_conditions(pack: Pack, outcomes: Mapping[str, Outcome], view: Mapping[str, object],
                     procurement: ProcurementAdvice) -> tuple[RouteCondition, ...]:
    """Each route less burdensome than the recommended one that the rules left undetermined
    only because facts are unknown: "<route> if <rule> applies; otherwise <recommended>".
    A route some unknown rule could also rule out says so."""
    recommended = (procurement.route(procurement.recommended_route)
                   if procurement.recommended_route else None)
    ceiling = (recommended.burden or 99) if recommended else 99
    unknown = unknown_rules(pack, outcomes)
    found = []
    for route in sorted(procurement.routes, key=lambda r: (r.burden or 99, r.id)):
        if route.status is not RouteStatus.UNDETERMINED or not route.compatible \
                or (route.burden or 99) >= ceiling:
            continue
        openers = [r for r in unknown if route.id in r.favour]
        if not openers:
            continue
        closers = [r.id for r in unknown if route.id in r.exclude]
        facts = unknown_case_facts([r.id for r in openers], outcomes, view, pack)
        otherwise = recommended.name if recommended else "no route is available yet"
        text = (f"{route.name} if {' or '.join(r.id for r in openers)} applies "
                f"(it turns on {', '.join(facts) or 'derived facts'})"
                + (f" and {', '.join(closers)} do not rule it out" if closers else "")
                + f"; otherwise {otherwise}.")
        found.append(RouteCondition(route.id, tuple(r.when for r in openers),
                                    tuple(r.id for r in openers), facts, text))
    return tuple(found)
