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


_RULE_FACTS: dict[str, tuple[tuple[str, dt.date, dt.date | None,
                                tuple[tuple[str, str], ...]], ...]] = {}


def _rule_facts(pack: Pack) -> tuple[tuple[str, dt.date, dt.date | None,
                                           tuple[tuple[str, str], ...]], ...]:
    """Per rule, in pack order: its id, its validity, and the case facts its comparisons read
    with their view keys (fixed per pack, kept for the last few packs)."""
    found = _RULE_FACTS.get(pack.digest)
    if found is None:
        if len(_RULE_FACTS) >= 8:
            _RULE_FACTS.clear()
        compiled = pack.compiled
        found = _RULE_FACTS[pack.digest] = tuple(
            (rule.id, rule.valid_from, rule.valid_until,
             tuple((atom.fact, key) for atom, key in zip(compiled[rule.id].atoms,
                                                         compiled[rule.id].keys, strict=True)
                   if "." in atom.fact))
            for rule in pack.rules)
    return found


def _outcomes(pack: Pack, evaluation: Evaluation, as_of: dt.date) -> tuple[Outcome, ...]:
    """Each rule's outcome on the final fact view, in pack order, from the compiled
    conditions (the steps that explain them are built later, on first access)."""
    program = pack.program
    current = quantised(evaluation.view)
    fired = evaluation.fired
    # the compiled engine fired exactly the rules that hold; any other engine is checked
    holds = set() if evaluation.engine == Backend.COMPILED else {
        i for stratum in program.strata for i in stratum(current, as_of)}
    false = set(program.definitely_false(current))
    outcomes = []
    for i, (rule_id, valid_from, valid_until, _) in enumerate(_rule_facts(pack)):
        if as_of < valid_from or (valid_until is not None and valid_until < as_of):
            outcomes.append(Outcome.NOT_IN_FORCE)
        elif rule_id in fired:
            outcomes.append(Outcome.FIRED)
        elif i in holds:  # the engine and the evaluators must never disagree
            raise EngineError(f"rule {rule_id!r}: the engine did not fire a rule whose "
                              "condition holds; please report this with the case")
        else:
            outcomes.append(Outcome.NOT_MET if i in false else Outcome.UNKNOWN)
    return tuple(outcomes)


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


def _tally(options: Sequence[Option], fired: Sequence[Rule]) -> dict[str, tuple[int, list[str],
                                                                                 list[str]]]:
    tally: dict[str, tuple[int, list[str], list[str]]] = {o.id: (0, [], []) for o in options}
    for rule in fired:
        for option, weight in rule.favour.items():
            if option in tally:
                score, favoured, excluded = tally[option]
                tally[option] = (score + weight, [*favoured, rule.id], excluded)
        for option in rule.exclude:
            if option in tally:
                tally[option][2].append(rule.id)
    return tally


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


def _rank_forms(pack: Pack, fired: Sequence[Rule], covered: bool = True
                ) -> tuple[Status, tuple[OptionScore, ...], TieBreak | None]:
    """Score every form by the preferences (and favours) that fired; order the forms the
    facts leave level by the pack's prior, and say so."""
    tally = _tally(pack.forms, fired)
    points: dict[str, list[ScorePoint]] = {o.id: [] for o in pack.forms}
    forms = {o.id: o for o in pack.forms}
    for rule in fired:
        for option, weight in rule.favour.items():
            if option in points:
                points[option].append(ScorePoint(rule.id, weight,
                                                 _because(pack, rule, forms[option])))
    prior = pack.prior

    def rank(option: Option) -> int | None:
        return prior.rank(option.id) if prior else None

    def order_key(option: Option) -> tuple[int, int, int, str]:
        return (1 if tally[option.id][2] else 0, -tally[option.id][0],
                rank(option) or 10**6, option.id)

    ordered = sorted(pack.forms, key=order_key)
    viable = [o for o in ordered if not tally[o.id][2]]
    top = tally[viable[0].id][0] if viable else None
    leaders = [o for o in viable if tally[o.id][0] == top]
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
        separated = prior is not None and rank(leaders[0]) != rank(leaders[1])
        tie_break = TieBreak(
            tuple(o.id for o in leaders), leaders[0].id if separated else None,
            "prior" if separated else "unbroken",
            f"{prior.title} ({prior.date.isoformat()})" if prior else "")

    def form_status(option: Option) -> FormStatus:
        if tally[option.id][2]:
            return FormStatus.EXCLUDED
        if status is Status.OUT_OF_COVERAGE:
            return FormStatus.VIABLE
        if option in leaders:
            return FormStatus.RECOMMENDED if status is Status.RECOMMENDED else FormStatus.TIED
        return FormStatus.VIABLE

    ranking = tuple(OptionScore(o.id, o.name, tally[o.id][0], form_status(o),
                                tuple(tally[o.id][1]), tuple(tally[o.id][2]),
                                tuple(points[o.id]), rank(o)) for o in ordered)
    return status, ranking, tie_break


def _risks(fired: Sequence[Rule]) -> tuple[RiskItem, ...]:
    items = [RiskItem(r.id, r.title, r.risk.severity, r.explanation, r.risk.mitigation,
                      r.risk.applies_to, r.references, r.analysis, r.caveat)
             for r in fired if r.risk is not None]
    return tuple(sorted(items, key=lambda i: (-i.severity.rank, i.rule_id)))


def _steps(fired: Sequence[Rule]) -> tuple[StepItem, ...]:
    items = [StepItem(r.id, r.step.text, r.step.order, r.step.applies_to, r.references)
             for r in fired if r.step is not None]
    return tuple(sorted(items, key=lambda i: (i.order, i.rule_id)))


def _routes(pack: Pack, fired: Sequence[Rule], form: str | None,
            risks: Sequence[RiskItem], steps: Sequence[StepItem]) -> ProcurementAdvice:
    tally = _tally(pack.routes, fired)
    routes = []
    for option in pack.routes:
        score, favoured, excluded = tally[option.id]
        named = [r for r in risks if option.id in r.applies_to]
        serious = [r for r in named if r.severity.rank >= Severity.MEDIUM.rank]
        if excluded:
            status = RouteStatus.NOT_AVAILABLE
        elif not favoured:
            status = RouteStatus.UNDETERMINED
        elif serious:
            status = RouteStatus.AVAILABLE_WITH_RISK
        else:
            status = RouteStatus.AVAILABLE
        compatible = form is None or not option.forms or form in option.forms
        routes.append(RouteAdvice(
            option.id, option.name, status, score, compatible, tuple(favoured),
            tuple(excluded), tuple(r.rule_id for r in named),
            tuple(s for s in steps if option.id in s.applies_to), option.burden))

    def worst(route: RouteAdvice) -> int:
        return max((r.severity.rank for r in risks if r.rule_id in route.risks), default=-1)

    usable = [r for r in routes if r.status in (RouteStatus.AVAILABLE,
                                                RouteStatus.AVAILABLE_WITH_RISK)]
    # the least burdensome route the rules make available, its risks stated (routes without
    # a declared burden come last); then the strongest support, the mildest risk
    candidates = sorted((r for r in usable if r.compatible),
                        key=lambda r: (r.burden or 99, -r.score, worst(r), r.id))
    recommended = candidates[0].id if candidates else None
    note = ""
    if form is not None and recommended is None:
        note = ("No route the rules make available can serve the recommended form"
                + (f" ({', '.join(r.id for r in usable)} would serve other forms)."
                   if usable else "; the available routes are still undetermined."))
    order = list(RouteStatus)
    routes.sort(key=lambda r: (r.id != recommended, order.index(r.status), -r.score, r.id))
    return ProcurementAdvice(None, recommended, tuple(routes), note)


def standing(pack: Pack, evaluation: Evaluation) -> Standing:
    """Rank the forms and assess the routes from the rules that fired."""
    fired = [r for r in pack.rules if r.id in evaluation.fired]
    as_of = evaluation.view.get("as_of")
    start = pack.coverage_start
    covered = not (isinstance(as_of, dt.date) and start is not None and as_of < start)
    status, ranking, tie_break = _rank_forms(pack, fired, covered)
    recommended = ranking[0].id if status is Status.RECOMMENDED else (
        tie_break.chosen if tie_break is not None else None)
    risks = _risks(fired)
    steps = _steps(fired)
    procurement = _routes(pack, fired, recommended, risks, steps)
    regime = evaluation.derived.get("regime")
    if isinstance(regime, str):
        procurement = attrs.evolve(procurement, regime=regime)
    return Standing(status, recommended, ranking, risks, steps, procurement,
                    tuple(r.id for r in fired),
                    {k: json_value(v) for k, v in sorted(evaluation.derived.items())},
                    tie_break)


def decide(pack: Pack, case: Case, as_of: dt.date, evaluation: Evaluation, *,
           formselect_version: str, notes: Sequence[str] = ()) -> Advice:
    """Build the Advice for a case from the rules that fired."""
    result = standing(pack, evaluation)
    procurement = result.procurement
    view = evaluation.view
    outcomes = _outcomes(pack, evaluation, as_of)
    by_rule = {r.id: o for r, o in zip(pack.rules, outcomes, strict=True)}
    unknown = sorted({fact for (_, _, _, reads), outcome in zip(_rule_facts(pack), outcomes,
                                                                 strict=True)
                      if outcome is Outcome.UNKNOWN
                      for fact, key in reads if key not in view})
    all_notes = list(notes)
    if result.status is Status.OUT_OF_COVERAGE and pack.coverage_start is not None:
        all_notes.append(
            f"{as_of.isoformat()} is before the law this rule pack covers: its rules weigh "
            f"the legal forms from {pack.coverage_start.isoformat()}. No form is recommended; "
            "take advice on the law in force at the time.")
    if result.recommended is not None:
        procurement = attrs.evolve(procurement, conditional=route_conditions(
            pack, by_rule, view, procurement))
    tie_break = result.tie_break
    if tie_break is not None:
        tie_break = attrs.evolve(tie_break, question=separating_question(
            pack, by_rule, view, tie_break.tied))
    if procurement.note:
        all_notes.append(procurement.note)
    for fact, rule_ids in evaluation.conflicts:
        all_notes.append(f"Rules {', '.join(rule_ids)} derive different values for {fact}; "
                         f"{rule_ids[0]} was applied. The rule pack needs review.")
    return Advice(
        case=case, as_of=as_of, status=result.status, recommended=result.recommended,
        ranking=result.ranking, risks=result.risks, steps=result.steps,
        procurement=procurement, certainty=assess_certainty(pack, by_rule, view, result),
        confidence=assess_confidence(pack, by_rule, view, result), tie_break=tie_break,
        derived={k: json_value(v) for k, v in sorted(evaluation.derived.items())},
        unknown_facts=tuple(unknown), notes=tuple(all_notes),
        trace=Trace(pack, view, outcomes, lambda rule: _conclusion(pack, rule), _shown),
        rules_version=f"{pack.name}@{pack.version}#{pack.digest}",
        formselect_version=formselect_version, engine=evaluation.engine, pack=pack)
