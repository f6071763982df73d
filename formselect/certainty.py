"""Which conclusions hold whatever the unknown facts turn out to be, and which are open.

Sound because evaluation is monotone: answering an unknown fact can make an *unknown* rule
fire or fail, but never un-fire a rule that fired. So an exclusion that fired is settled; a
leader is settled when no unknown rule could exclude it or lift another form to its score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .advice import Certainty, FormStatus, OpenPoint, Outcome, RouteStatus, Standing
from .pack.model import Pack, Rule, Severity

__all__ = ["assess_certainty", "unknown_case_facts"]


def unknown_case_facts(rule_ids: Iterable[str], outcomes: Mapping[str, Outcome],
                       view: Mapping[str, object], pack: Pack) -> tuple[str, ...]:
    """Unknown case facts behind some rules, following unknown derived facts to the rules
    that would derive them. ``outcomes``: each rule's outcome; ``view``: the facts known."""
    derivers = pack.derivers
    found: dict[str, None] = {}
    seen: set[str] = set()
    pending = list(rule_ids)
    while pending:
        rule_id = pending.pop()
        if rule_id in seen or rule_id not in outcomes:
            continue
        seen.add(rule_id)
        condition = pack.compiled[rule_id]
        for atom, key in zip(condition.atoms, condition.keys, strict=True):
            if key in view:  # a known value
                continue
            if "." in atom.fact:
                found[atom.fact] = None
            else:
                pending += [r.id for r in derivers.get(atom.fact, [])
                            if outcomes.get(r.id) is Outcome.UNKNOWN]
    return tuple(sorted(found))


def assess_certainty(pack: Pack, outcomes: Mapping[str, Outcome], view: Mapping[str, object],
                     result: Standing) -> Certainty:
    """Split the conclusions into settled ones and open ones (with the facts that decide).
    ``outcomes``: each rule's outcome, in pack order; ``view``: the facts known."""
    unknown = [pack.rule(r) for r, o in outcomes.items() if o is Outcome.UNKNOWN]
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

