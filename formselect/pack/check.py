"""Semantic checks on a pack's rules, in domain language, and derivation strata.

The one import that points up a floor: the checks ask ``engine/durable.py`` what the engine
can hold (condition size, rules per network node), so that a pack the engine could not run
is refused when it loads, with located problems, and the engine's limits stay in one module.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from formselect.case.kinds import MAX_MAGNITUDE, RESOLUTION, FactKind, TypeInfo
from formselect.case.vocabulary import FactSpec, case_facts
from formselect.conditions.satisfiable import canonical, impossibility
from formselect.conditions.syntax import (
    All,
    Compare,
    ConditionSyntaxError,
    Scalar,
    facts_read,
    parse,
)
from formselect.conditions.typecheck import check_condition
from formselect.engine.durable import engine_limit_problem, engine_shape_problems
from formselect.errors import Problem, Shown, did_you_mean, has_controls

from .model import DerivedFact, Option, Pack, Rule, Severity
from .schema import RawReference, RawRule, located, make_rule

__all__ = ["build_rules", "check_law_and_dates", "check_references", "coverage_start",
           "validity_warnings"]

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,79}$")
# Statute and statutory instruments must be cited on legislation.gov.uk.
STATUTE = re.compile(r"\b(Act|Regulations|Order|Directive)\b.*\b\d{4}\b|\bSI \d{4}/\d+")
LEGISLATION = "https://www.legislation.gov.uk/"
URL_PATTERN = re.compile(r"https://[^\s\"'<>\\\x00-\x1f\x7f]+")


def build_rules(raw_rules: list[tuple[RawRule, str, int, str]], options: Mapping[str, Option],
                facts: Mapping[str, DerivedFact], problems: list[Problem],
                coverage: dt.date | None = None,
                given: Mapping[str, FactSpec] | None = None) -> list[Rule]:
    """Check every rule, append problems, and return the rules with their strata.

    ``coverage`` is the first day the pack's law covers (``[pack] coverage_from``): a rule
    that says when the law it states came into force (``law_from``) must not start later
    than that day or the start of the coverage, whichever is later. ``given`` are facts the
    engine's view gives besides the case's (the CPV lists' ``cpv_<id>``).
    """
    specs: dict[str, FactSpec] = dict(case_facts())
    specs["as_of"] = FactSpec(name="as_of", info=_date_info(), derived=True)
    specs.update({name: fact.spec() for name, fact in facts.items()})
    specs.update(given or {})
    seen: dict[str, str] = {}
    parsed: list[tuple[RawRule, str, Any]] = []
    graph: list[tuple[RawRule, str, str, Any]] = []  # every rule whose condition parses
    typed: list[tuple[RawRule, str, str, Any]] = []  # ... and type-checks
    for raw, source, index, text in raw_rules:
        where = f"$.rule[{index}]"
        src = located(source, text, "rule", index)

        def report(path: str, message: str, found: object = None, expected: str = "",
                   suggestion: str = "", rule: str = raw.id, where: str = where,
                   src: str = src) -> None:
            problems.append(Problem(f"{where}{path}", message, found, expected, suggestion,
                                    source=src, rule=rule))

        count = len(problems)
        _check_identity(raw, seen, src, report)
        _check_law_from(raw, coverage, report)
        before = len(problems)
        condition = _check_condition(raw, specs, report)
        well_typed = len(problems) == before
        _check_effects(raw, options, facts, report)
        if condition is not None:
            # every parseable rule joins the derivation graph, so that one rule's problem
            # does not make the rules reading its facts look as if they could never fire
            graph.append((raw, src, where, condition))
            if well_typed:
                typed.append((raw, src, where, condition))
            if len(problems) == count:
                parsed.append((raw, source, condition))
    strata = _strata(graph, facts, problems)
    _never_hold(typed, graph, specs, problems)
    _contradictions(graph, problems)
    problems += engine_shape_problems(graph, strata)
    return [make_rule(raw, source, cond, strata.get(raw.id, 0)) for raw, source, cond in parsed]


def _date_info() -> Any:
    return TypeInfo(FactKind.DATE)


def check_law_and_dates(raw: Any, what: str, report: Any) -> None:
    """A rule or list cites at least one reference (each checked) and ends no earlier than
    it starts; ``raw`` has ``references``, ``valid_from`` and ``valid_until``."""
    if not raw.references:
        report(".references", "no reference", expected="at least one reference "
               "{instrument, provision, url}")
    check_references(raw.references, report)
    if raw.valid_until is not None and raw.valid_until < raw.valid_from:
        report(".valid_until", f"the {what} ends on {raw.valid_until} but starts on "
               f"{raw.valid_from}", raw.valid_until.isoformat(),
               f"a date on or after valid_from ({raw.valid_from})")


def check_references(references: Sequence[RawReference], report: Any) -> None:
    """Each reference has an https link (legislation.gov.uk for statute) and a provision;
    ``report(path, message, found, expected)`` is called once per problem."""
    for i, ref in enumerate(references):
        if not ref.url.startswith("https://"):
            report(f".references[{i}].url", "reference URL must use https", ref.url,
                   "an https:// address")
        elif not URL_PATTERN.fullmatch(ref.url):
            report(f".references[{i}].url", "not a web address", ref.url[:80],
                   "an https:// address without spaces, quotes, angle brackets or "
                   "control characters (percent-encode them)")
        elif STATUTE.search(ref.instrument) and not ref.url.startswith(LEGISLATION):
            report(f".references[{i}].url", "statute must be cited on legislation.gov.uk",
                   ref.url, f"an address starting {LEGISLATION}")
        if not ref.provision.strip():
            report(f".references[{i}].provision", "empty provision",
                   expected="a section, regulation, schedule or paragraph")


def _check_identity(raw: RawRule, seen: dict[str, str], source: str, report: Any) -> None:
    if not ID_PATTERN.match(raw.id):
        report(".id", "invalid rule id", raw.id, "letters, digits, '.', '-' or '_', starting "
               "with a letter (e.g. LF-01)")
    elif raw.id in seen:
        report(".id", "rule id used twice", raw.id, "a unique id across all files",
               f"first used in {seen[raw.id]}")
    else:
        seen[raw.id] = source
    if not raw.title.strip():
        report(".title", "empty title", expected="a one-line statement of the rule")
    elif has_controls(raw.title):  # a terminal would act on ESC, CR or LF in a listing
        report(".title", "control character in the title", raw.title[:60],
               "a one-line statement of the rule, without control characters")
    for name in ("explanation", "caveat"):
        if has_controls(getattr(raw, name) or "", allowed="\n\t"):
            report(f".{name}", f"control character in the {name}", None,
                   "text with no control character other than line breaks and tabs")
    if not raw.explanation.strip():
        report(".explanation", "empty explanation", expected="an explanation for an adviser")
    check_law_and_dates(raw, "rule", report)


def _check_law_from(raw: RawRule, coverage: dt.date | None, report: Any) -> None:
    """Refuse a rule whose validity starts after the law it states was in force: between
    the two dates an adviser would get no answer, or the previous law's answer."""
    if raw.law_from is None:
        return
    start = max(raw.law_from, coverage) if coverage is not None else raw.law_from
    if raw.valid_from > start:
        report(".valid_from", f"the rule starts on {raw.valid_from} but the law it states was "
               f"in force from {start}", raw.valid_from.isoformat(),
               f"valid_from = {start}", f"start the rule on {start}, or give the earlier "
               f"period its own rule citing the law then in force")


def coverage_start(pack: Pack) -> dt.date:
    """The first day the pack covers: ``[pack] coverage_from``, else its earliest rule."""
    return pack.coverage_start or dt.date.min


def validity_warnings(pack: Pack) -> list[Problem]:
    """A rule that rules a form out only from a date later than the form exists, with no
    rule ruling it out the day before, may have been dated from a later statute than the law
    it states (charities could not distribute profit before the Charities Act 2006). A rule
    counts as the earlier one when it rules out the same form, reads at least one of the same
    facts and is in force the day before.

    The form exists from its ``available_from`` (or the start of the pack's coverage); a rule
    that declares ``law_from`` on or after its own start says the law began then, and is not
    reported.
    """
    coverage = coverage_start(pack)
    warnings: list[Problem] = []
    for form in pack.forms:
        start = max(form.available_from or coverage, coverage)
        excluding = [r for r in pack.rules if form.id in r.exclude]
        for rule in excluding:
            if rule.valid_from <= start:
                continue
            if rule.law_from is not None and rule.law_from >= rule.valid_from:
                continue
            before = rule.valid_from - dt.timedelta(days=1)
            reads = set(rule.facts)
            if any(other is not rule and other.in_force(before) and reads & set(other.facts)
                   for other in excluding):
                continue  # an earlier rule on the same facts rules the form out
            warnings.append(Problem(
                "valid_from", f"rules out {form.id} only from {rule.valid_from}, but the form "
                f"exists from {start} and no rule on the same facts rules it out on {before}",
                rule.valid_from.isoformat(), "a rule for the earlier period if the law it "
                "states applied then", f"or set law_from = {rule.valid_from} if that law "
                f"began on that day", source=rule.source, rule=rule.id))
    return warnings


def _check_condition(raw: RawRule, specs: Mapping[str, FactSpec], report: Any) -> Any:
    try:
        condition = parse(raw.when)
    except ConditionSyntaxError as exc:
        report(f".when (column {exc.column})", exc.message, raw.when, exc.expected)
        return None
    problems = check_condition(condition, specs)
    for p in problems:
        report(f".when (column {p.column})", p.message, p.found, p.expected, p.suggestion)
    limit = "" if problems else engine_limit_problem(condition)
    if limit:
        report(".when", "condition too complex for the engine", raw.when[:60] + "...",
               limit)
    return condition


def _check_effects(raw: RawRule, options: Mapping[str, Option],
                   facts: Mapping[str, DerivedFact], report: Any) -> None:
    if not (raw.exclude or raw.favour or raw.prefer or raw.derive or raw.risk or raw.step):
        report("", "the rule has no effect", expected="at least one of exclude, favour, "
               "prefer, derive, risk, step")
    named = [(".exclude", o) for o in raw.exclude] + [(".favour", o) for o in raw.favour]
    if raw.risk:
        named += [(".risk.applies_to", o) for o in raw.risk.applies_to]
    if raw.step:
        named += [(".step.applies_to", o) for o in raw.step.applies_to]
    for path, option in named:
        if option not in options:
            report(path, "unknown form or route", option, "an id declared by [[form]] or "
                   "[[route]]", did_you_mean(option, options))
    for option, weight in raw.favour.items():
        if not 1 <= weight <= 100:
            report(f".favour.{option}", "weight out of range", weight, "1 to 100")
    both = sorted(set(raw.exclude) & set(raw.favour))
    if both:
        report("", "the rule both excludes and favours the same option", both,
               "each option either excluded or favoured")
    for name, value in raw.derive.items():
        _check_derive(name, value, facts, report)
    if raw.risk and Severity.__members__.get(raw.risk.severity.upper()) is None:
        values = [str(s) for s in Severity]
        report(".risk.severity", "invalid severity", raw.risk.severity,
               "one of " + ", ".join(values), did_you_mean(raw.risk.severity, values))
    if raw.step and not 0 <= raw.step.order <= 10_000:
        report(".step.order", "order out of range", raw.step.order, "0 to 10000")


def _comparable_number(value: object) -> bool:
    """A number both backends compare exactly (in thousandths, below MAX_MAGNITUDE)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return abs(value) <= MAX_MAGNITUDE and abs(value * RESOLUTION - round(value * RESOLUTION)) \
        < 1e-6


def _check_derive(name: str, value: object, facts: Mapping[str, DerivedFact],
                  report: Any) -> None:
    fact = facts.get(name)
    if fact is None:
        report(f".derive.{name}", "derived fact not declared", name,
               "a fact declared with [[fact]]", did_you_mean(name, facts))
        return
    ok = {
        FactKind.BOOL: isinstance(value, bool),
        FactKind.NUMBER: _comparable_number(value),
        FactKind.ENUM: isinstance(value, str) and value in fact.values,
    }[fact.kind]
    if not ok:
        expected = {FactKind.ENUM: "one of " + ", ".join(fact.values),
                    FactKind.NUMBER: f"a finite number from {-MAX_MAGNITUDE:,} to "
                                     f"{MAX_MAGNITUDE:,}, to at most three decimal places",
                    }.get(fact.kind, str(fact.kind))
        report(f".derive.{name}", "wrong value for the derived fact", value, expected,
               did_you_mean(str(value), fact.values))


def _strata(graph: list[tuple[RawRule, str, str, Any]], facts: Mapping[str, DerivedFact],
            problems: list[Problem]) -> dict[str, int]:
    """Derivation depth of each rule; reports cycles and facts nothing derives."""
    derivers: dict[str, list[str]] = {}
    reads: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    paths: dict[str, str] = {}
    for raw, source, where, condition in graph:
        sources[raw.id] = source
        paths[raw.id] = where
        reads[raw.id] = [f for f in facts_read(condition) if f in facts]
        for name in raw.derive:
            derivers.setdefault(name, []).append(raw.id)
    for rule_id, names in reads.items():
        for name in names:
            if name not in derivers:
                problems.append(Problem(f"{paths[rule_id]}.when", "the rule can never fire: "
                                        "it reads a derived fact that no rule derives", name,
                                        "a rule with derive = { " + name + " = ... }",
                                        source=sources[rule_id], rule=rule_id))
    depth: dict[str, int] = {}
    visiting: list[str] = []

    def visit(rule_id: str) -> int:
        if rule_id in depth:
            return depth[rule_id]
        if rule_id in visiting:
            cycle = [*visiting[visiting.index(rule_id):], rule_id]
            problems.append(Problem(f"{paths[rule_id]}.derive",
                                    "derived facts depend on each other in a cycle",
                                    " -> ".join(cycle), "rules whose derivations form no loop",
                                    source=sources[rule_id], rule=rule_id))
            depth[rule_id] = 0
            return 0
        visiting.append(rule_id)
        below = [visit(d) + 1 for name in reads[rule_id] for d in derivers.get(name, [])]
        visiting.pop()
        depth[rule_id] = max(below, default=0)
        return depth[rule_id]

    for rule_id in reads:
        visit(rule_id)
    return depth


def _never_hold(typed: list[tuple[RawRule, str, str, Any]],
                graph: list[tuple[RawRule, str, str, Any]], specs: Mapping[str, FactSpec],
                problems: list[Problem]) -> None:
    """Rules (whose condition type-checks) that no case meets on any day they are in force;
    a derived fact holds only the values some rule derives for it."""
    derived: dict[str, dict[Scalar, None]] = {}
    for raw, _, _, _ in graph:
        for name, value in raw.derive.items():
            if isinstance(value, list | dict):  # a wrong type, reported by the type checks
                continue
            derived.setdefault(name, {})[value] = None
    for raw, source, where, condition in typed:
        reason = impossibility(condition, specs, derived, raw.valid_from, raw.valid_until)
        if reason:
            problems.append(Problem(f"{where}.when", "the rule can never fire: its condition "
                                    "cannot hold", Shown(reason), "a condition that some case "
                                    "meets on some day the rule is in force", source=source,
                                    rule=raw.id))


def _contradictions(graph: list[tuple[RawRule, str, str, Any]],
                    problems: list[Problem]) -> None:
    """Two rules with the same condition, in force together, that exclude and favour the
    same option: the pack contradicts itself."""
    by_condition: dict[str, list[tuple[RawRule, str, str, tuple[dt.date, dt.date]]]] = {}
    for raw, source, where, condition in graph:
        # the same condition however it is written: 'a and b' is 'b and a'
        key, window = _same_condition(condition, raw)
        by_condition.setdefault(key, []).append((raw, source, where, window))
    for group in by_condition.values():
        for i, (first, _, _, first_days) in enumerate(group):
            for second, source, where, days in group[i + 1:]:
                clash = sorted((set(first.exclude) & set(second.favour)) |
                               (set(first.favour) & set(second.exclude)))
                if clash and first_days[0] <= days[1] and days[0] <= first_days[1]:
                    problems.append(Problem(
                        where, f"contradicts rule {first.id!r}: under the same condition one "
                        "excludes and the other favours the same option", clash,
                        "rules that agree, or conditions that tell the cases apart",
                        source=source, rule=second.id))


def _same_condition(condition: Any, raw: RawRule) -> tuple[str, tuple[dt.date, dt.date]]:
    """A rule's condition as one text for every way of writing it, and the days on which it
    can hold: its canonical form (:func:`canonical`), with each ``as_of`` test of a
    conjunction folded into the rule's validity, a boolean's ``!= false`` written as itself,
    and an enum's ``!=`` / ``not in`` as the ``in`` of the other values."""
    start, end = raw.valid_from, raw.valid_until or dt.date.max
    node = canonical(condition)
    if not isinstance(node, All | Compare):
        return str(node), (start, end)
    kept: list[str] = []
    for item in node.items if isinstance(node, All) else (node,):
        if not isinstance(item, Compare):
            kept.append(str(item))
            continue
        days = _as_of_days(item)
        if days is None:
            kept.append(str(_plain_form(item)))
        else:
            start, end = max(start, days[0]), min(end, days[1])
    return " and ".join(sorted(kept)), (start, end)


def _as_of_days(atom: Compare) -> tuple[dt.date, dt.date] | None:
    """The days an ``as_of`` comparison holds on, or None for any other comparison."""
    if atom.fact != "as_of" or atom.measure != "value" or not isinstance(atom.value, dt.date):
        return None
    day, one = atom.value, dt.timedelta(days=1)
    try:
        if atom.op == ">":
            return (day + one, dt.date.max)
        if atom.op == "<":
            return (dt.date.min, day - one)
    except OverflowError:  # after 9999-12-31 or before 0001-01-01: no day at all
        return (dt.date.max, dt.date.min)
    return {">=": (day, dt.date.max), "<=": (dt.date.min, day),
            "==": (day, day)}.get(atom.op)


def _plain_form(atom: Compare) -> Compare:
    """The one way of writing a comparison of a known value of a boolean or an enum."""
    if atom.op == "!=" and isinstance(atom.value, bool):  # Kleene: x != false is x == true
        return attrs.evolve(atom, op="==", value=not atom.value)
    spec = case_facts().get(atom.fact)
    if spec is None or spec.kind is not FactKind.ENUM or atom.measure != "value":
        return atom
    excluded = {atom.value} if atom.op == "!=" else \
        set(atom.value) if atom.op == "not in" and isinstance(atom.value, tuple) else None
    if excluded is None:
        return atom
    others = tuple(v for v in spec.values if v not in excluded)
    if len(others) == 1:
        return attrs.evolve(atom, op="==", value=others[0])
    return attrs.evolve(atom, op="in", value=tuple(sorted(others, key=repr)))
