"""Turn the rules that fired into an Advice: ranking, routes, risks, steps and the trace.

Nothing here knows any law: forms and routes, weights, exclusions, risks and steps all come
from the pack. The pure-Python evaluator explains the rules that did not fire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import cast

import attrs

from .advice import (
    Advice,
    FormStatus,
    OptionScore,
    Outcome,
    ProcurementAdvice,
    RiskItem,
    RouteAdvice,
    RouteStatus,
    ScorePoint,
    Standing,
    Status,
    StepItem,
    TieBreak,
    Trace,
)
from .case.io import json_value
from .case.kinds import RESOLUTION, quantise
from .case.model import Case
from .certainty import (
    Unknowns,
    assess_certainty,
    assess_confidence,
    route_conditions,
    separating_question,
)
from .conditions.compiled import quantised
from .conditions.syntax import render_literal
from .engine import Backend, Evaluation
from .errors import EngineError
from .pack.model import Option, Pack, Rule, Severity
from .pack_index import PackIndex, RuleEffects, pack_index, severity_rank

__all__ = ["Standing", "decide", "json_value", "preference_text", "standing"]


_CONCLUSIONS: dict[tuple[str, str], str] = {}


def _conclusion(pack: Pack, rule: Rule) -> str:
    """What the rule concludes when it fires, in words (fixed per pack and rule)."""
    key = (pack.digest, rule.id)
    text = _CONCLUSIONS.get(key)
    if text is None:
        if rule.switched_off:
            text = f"switched off: {rule.override_note}"
        else:
            text = _describe(rule, pack) + (f" ({rule.override_note})" if rule.override_note
                                             else "")
        _CONCLUSIONS[key] = text
    return text


def preference_text(pack: Pack, rule: Rule) -> str:
    """A preference in words: ``asset lock: statutory or optional statutory``."""
    parts = []
    for prop_id, values in rule.prefer.items():
        prop = pack.property_named(prop_id)
        label = prop.name.lower() if prop else prop_id
        parts.append(f"{label}: {' or '.join(v.replace('_', ' ') for v in values)}")
    return "; ".join(parts)


def _describe(rule: Rule, pack: Pack) -> str:
    options = pack.options

    def name(option_id: str) -> str:
        return options[option_id].name if option_id in options else option_id

    parts = []
    if rule.exclude:
        parts.append("rules out " + "; ".join(name(o) for o in rule.exclude))
    if rule.prefer:
        weight = f"+{rule.weight}" + (f", {rule.weight_note}" if rule.weight_note else "")
        parts.append(f"prefers {preference_text(pack, rule)} ({weight}), which favours "
                     + "; ".join(name(o) for o in rule.favour if o in options
                                 and options[o].kind == "form"))
        routes = {o: w for o, w in rule.favour.items() if o in options
                  and options[o].kind == "route"}
        if routes:
            parts.append("favours " + "; ".join(f"{name(o)} (+{w})" for o, w in routes.items()))
    elif rule.favour:
        parts.append("favours " + "; ".join(f"{name(o)} (+{w})" for o, w in rule.favour.items()))
    if rule.derive:
        parts.append("concludes " + ", ".join(f"{k} = {render_literal(v)}"
                                              for k, v in rule.derive.items()))
    if rule.risk:
        parts.append(f"flags a {rule.risk.severity} risk")
    if rule.step:
        parts.append(f"requires: {rule.step.text}")
    return "; ".join(parts)


def _outcomes(pack: Pack, index: PackIndex, evaluation: Evaluation,
              as_of: dt.date) -> tuple[list[Outcome], list[int]]:
    """Each rule's outcome on the final fact view, in pack order, from the compiled
    conditions (the steps that explain them are built later, on first access); and the
    positions of the rules whose outcome is unknown."""
    program = pack.program
    current = quantised(evaluation.view)
    # each member read once: on Python 3.11 reading an enumeration's member costs ten times
    # reading a local name, and these loops run over hundreds of rules
    fired, not_met, unknown = Outcome.FIRED, Outcome.NOT_MET, Outcome.UNKNOWN
    template, in_force = index.in_force_on(as_of)
    outcomes = list(template)  # not in force, else unknown
    for i in program.definitely_false(current, as_of):
        outcomes[i] = not_met
    position = index.position
    not_in_force = Outcome.NOT_IN_FORCE
    for rule_id in evaluation.fired:
        i = position[rule_id]
        if outcomes[i] is not not_in_force:
            outcomes[i] = fired
    # the compiled engine fired exactly the rules that hold; any other engine is checked
    if evaluation.engine != Backend.COMPILED:
        for i in sorted(i for stratum in program.strata for i in stratum(current, as_of)):
            if outcomes[i] is unknown or outcomes[i] is not_met:
                # the engine and the evaluators must never disagree
                raise EngineError(f"rule {index.ids[i]!r}: the engine did not fire a rule "
                                  "whose condition holds; please report this with the case")
    return outcomes, [i for i in in_force if outcomes[i] is unknown]


def _shown(view: Mapping[str, object]) -> dict[str, object]:
    return {k: _as_compared(json_value(v)) for k, v in view.items()}


def _as_compared(value: object) -> object:
    """A number finer than a thousandth shown with the value both backends compared, so
    that the trace never states a comparison that was not made (50.0004 <= 50 is false,
    but 50.000 <= 50 is what was compared)."""
    if not isinstance(value, float):
        return value
    thousandths = cast(int, quantise(value))
    if value == thousandths / RESOLUTION:
        return value
    compared = format(Decimal(thousandths).scaleb(-3), "f")
    compared = compared.rstrip("0").rstrip(".") if "." in compared else compared
    return f"{value!r}, compared to the thousandth as {compared}"


_ROUTE_ORDER = {status: i for i, status in enumerate(RouteStatus)}


def _rank_forms(pack: Pack, fired: Sequence[Rule], covered: bool = True
                ) -> tuple[Status, tuple[OptionScore, ...], TieBreak | None]:
    """Score every form by the preferences (and favours) that fired; order the forms the
    facts leave level by the pack's prior, and say so."""
    index = pack_index(pack)
    scores = dict.fromkeys(index.form_ids, 0)
    favoured: dict[str, list[str]] = {o: [] for o in index.form_ids}
    excluded: dict[str, list[str]] = {o: [] for o in index.form_ids}
    points: dict[str, list[ScorePoint]] = {o: [] for o in index.form_ids}
    for rule in fired:
        effects = index.effects_of(rule)
        for option, weight, point in effects.form_points:
            scores[option] += weight
            favoured[option].append(rule.id)
            points[option].append(point)
        for option in effects.form_excludes:
            excluded[option].append(rule.id)
    prior = pack.prior
    rank = index.prior_rank

    def order_key(option: Option) -> tuple[int, int, int, str]:
        return (1 if excluded[option.id] else 0, -scores[option.id],
                rank[option.id] or 10**6, option.id)

    ordered = sorted(index.forms, key=order_key)
    viable = [o for o in ordered if not excluded[o.id]]
    top = scores[viable[0].id] if viable else None
    leaders = [o for o in viable if scores[o.id] == top]
    tie_break = None
    if not covered:
        status = Status.OUT_OF_COVERAGE
    elif not viable:
        status = Status.NO_VIABLE_FORM
    elif len(leaders) == 1:
        status = Status.RECOMMENDED
    else:
        status = Status.TIE
        # the alphabet never decides: without a prior that separates the first two, the tie
        # stands and no form is recommended
        separated = prior is not None and rank[leaders[0].id] != rank[leaders[1].id]
        tie_break = TieBreak(
            tuple(o.id for o in leaders), leaders[0].id if separated else None,
            "prior" if separated else "unbroken",
            f"{prior.title} ({prior.date.isoformat()})" if prior else "")
    # the status of a leader and of any other form not excluded (members read once: see
    # _outcomes)
    leading = {o.id for o in leaders}
    lead = (FormStatus.VIABLE if status is Status.OUT_OF_COVERAGE else
            FormStatus.RECOMMENDED if status is Status.RECOMMENDED else FormStatus.TIED)
    viable_status, excluded_status = FormStatus.VIABLE, FormStatus.EXCLUDED
    ranking = tuple(OptionScore(o.id, o.name, scores[o.id],
                                excluded_status if excluded[o.id] else
                                lead if o.id in leading else viable_status,
                                tuple(favoured[o.id]), tuple(excluded[o.id]),
                                tuple(points[o.id]), rank[o.id]) for o in ordered)
    return status, ranking, tie_break


def _risks(fired: Sequence[RuleEffects]) -> tuple[RiskItem, ...]:
    items = [e.risk for e in fired if e.risk is not None]
    return tuple(sorted(items, key=lambda i: (-severity_rank(i.severity), i.rule_id)))


def _steps(fired: Sequence[RuleEffects]) -> tuple[StepItem, ...]:
    items = [e.step for e in fired if e.step is not None]
    return tuple(sorted(items, key=lambda i: (i.order, i.rule_id)))


def _routes(index: PackIndex, fired: Sequence[RuleEffects], form: str | None,
            risks: Sequence[RiskItem], steps: Sequence[StepItem],
            regime: str | None) -> ProcurementAdvice:
    scores = dict.fromkeys(index.route_ids, 0)
    favoured: dict[str, list[str]] = {o: [] for o in index.route_ids}
    excluded: dict[str, list[str]] = {o: [] for o in index.route_ids}
    for effects in fired:
        rule_id = effects.rule.id
        for option_id, weight in effects.route_favour:
            scores[option_id] += weight
            favoured[option_id].append(rule_id)
        for option_id in effects.route_excludes:
            excluded[option_id].append(rule_id)
    # the risks and steps naming each route, in their order
    named: dict[str, list[RiskItem]] = {o: [] for o in index.route_ids}
    for risk in risks:
        for option_id in set(risk.applies_to):
            if option_id in named:
                named[option_id].append(risk)
    serving: dict[str, list[StepItem]] = {o: [] for o in index.route_ids}
    for step in steps:
        for option_id in set(step.applies_to):
            if option_id in serving:
                serving[option_id].append(step)
    medium = severity_rank(Severity.MEDIUM)
    # members read once (see _outcomes)
    not_available, undetermined = RouteStatus.NOT_AVAILABLE, RouteStatus.UNDETERMINED
    available, with_risk = RouteStatus.AVAILABLE, RouteStatus.AVAILABLE_WITH_RISK
    routes = []
    worst: dict[str, int] = {}  # each route's most severe risk (-1: none)
    for option in index.routes:
        worst[option.id] = max((severity_rank(r.severity) for r in named[option.id]),
                               default=-1)
        if excluded[option.id]:
            status = not_available
        elif not favoured[option.id]:
            status = undetermined
        elif worst[option.id] >= medium:
            status = with_risk
        else:
            status = available
        compatible = form is None or not option.forms or form in option.forms
        routes.append(RouteAdvice(
            option.id, option.name, status, scores[option.id], compatible,
            tuple(favoured[option.id]), tuple(excluded[option.id]),
            tuple(r.rule_id for r in named[option.id]), tuple(serving[option.id]),
            option.burden))

    usable = [r for r in routes if r.status is available or r.status is with_risk]
    # the least burdensome route the rules make available, its risks stated (routes without
    # a declared burden come last); then the strongest support, the mildest risk
    candidates = sorted((r for r in usable if r.compatible),
                        key=lambda r: (r.burden or 99, -r.score, worst[r.id], r.id))
    recommended = candidates[0].id if candidates else None
    note = ""
    if form is not None and recommended is None:
        note = ("No route the rules make available can serve the recommended form"
                + (f" ({', '.join(r.id for r in usable)} would serve other forms)."
                   if usable else "; the available routes are still undetermined."))
    routes.sort(key=lambda r: (r.id != recommended, _ROUTE_ORDER[r.status], -r.score, r.id))
    return ProcurementAdvice(regime, recommended, tuple(routes), note)


def standing(pack: Pack, evaluation: Evaluation) -> Standing:
    """Rank the forms and assess the routes from the rules that fired."""
    index = pack_index(pack)
    position = index.position
    at = sorted(position[r] for r in evaluation.fired)
    fired = [index.rules[i] for i in at]
    effects = [index.effects[i] for i in at]
    as_of = evaluation.view.get("as_of")
    start = pack.coverage_start
    covered = not (isinstance(as_of, dt.date) and start is not None and as_of < start)
    status, ranking, tie_break = _rank_forms(pack, fired, covered)
    recommended = ranking[0].id if status is Status.RECOMMENDED else (
        tie_break.chosen if tie_break is not None else None)
    risks = _risks(effects)
    steps = _steps(effects)
    regime = evaluation.derived.get("regime")
    procurement = _routes(index, effects, recommended, risks, steps,
                          regime if isinstance(regime, str) else None)
    return Standing(status, recommended, ranking, risks, steps, procurement,
                    tuple(r.id for r in fired),
                    {k: json_value(v) for k, v in sorted(evaluation.derived.items())},
                    tie_break)


def decide(pack: Pack, case: Case, as_of: dt.date, evaluation: Evaluation, *,
           formselect_version: str, notes: Sequence[str] = ()) -> Advice:
    """Build the Advice for a case from the rules that fired."""
    index = pack_index(pack)
    result = standing(pack, evaluation)
    procurement = result.procurement
    view = evaluation.view
    outcomes, unknown_rules = _outcomes(pack, index, evaluation, as_of)
    unknowns = Unknowns(index, outcomes, view)
    case_reads = index.case_reads
    unknown = sorted({fact for i in unknown_rules for fact, key in case_reads[i]
                      if key not in view})
    all_notes = list(notes)
    if result.status is Status.OUT_OF_COVERAGE and pack.coverage_start is not None:
        all_notes.append(
            f"{as_of.isoformat()} is before the law this rule pack covers: its rules weigh "
            f"the legal forms from {pack.coverage_start.isoformat()}. No form is recommended; "
            "take advice on the law in force at the time.")
    if result.recommended is not None:
        procurement = attrs.evolve(procurement, conditional=route_conditions(
            index, unknowns, procurement))
    tie_break = result.tie_break
    if tie_break is not None:
        tie_break = attrs.evolve(tie_break, question=separating_question(
            index, unknowns, tie_break.tied))
    if procurement.note:
        all_notes.append(procurement.note)
    for fact, rule_ids in evaluation.conflicts:
        all_notes.append(f"Rules {', '.join(rule_ids)} derive different values for {fact}; "
                         f"{rule_ids[0]} was applied. The rule pack needs review.")
    return Advice(
        case=case, as_of=as_of, status=result.status, recommended=result.recommended,
        ranking=result.ranking, risks=result.risks, steps=result.steps,
        procurement=procurement, certainty=assess_certainty(index, unknowns, result),
        confidence=assess_confidence(index, unknowns, result), tie_break=tie_break,
        derived=result.derived, unknown_facts=tuple(unknown), notes=tuple(all_notes),
        trace=Trace(pack, view, outcomes, lambda rule: _conclusion(pack, rule), _shown),
        rules_version=f"{pack.name}@{pack.version}#{pack.digest}",
        formselect_version=formselect_version, engine=evaluation.engine, pack=pack)
