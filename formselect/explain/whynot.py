"""Why not that form (or route)? The blocking rules, their failing tests, and the smallest
changes of fact that would make it recommended — found by search, never written by hand.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from html import escape

import attrs

from formselect.advice import Advice, Comparison, FormStatus, Outcome, RouteStatus
from formselect.api import builtin_pack
from formselect.case.model import Case
from formselect.decide import Standing, json_value
from formselect.errors import FormselectError, did_you_mean
from formselect.pack.model import Pack, Reference
from formselect.report.tables import notebook_fragment
from formselect.report.text import shown_value

from .search import candidate_values, case_facts_behind, quick_standing, try_change

__all__ = ["Blocker", "Change", "Counterfactual", "WhyNot", "pack_of", "why_not"]

MAX_EVALUATIONS = 4_000  # hypothetical cases tried per why-not question
MAX_COUNTERFACTUALS = 3


@attrs.frozen
class Blocker:
    """A rule that stands between the option and the recommendation."""

    rule_id: str
    title: str
    effect: str  # "excludes it", "favours <other> (+w)", "would favour it but is not met"
    tests: tuple[Comparison, ...]  # each comparison with the case's value and whether it held
    references: tuple[Reference, ...]
    analysis: bool = False
    fired: bool = True  # False for a rule that would help the option but did not fire

    @property
    def failing(self) -> tuple[Comparison, ...]:
        """The comparisons that did not hold (False) or could not be decided (None)."""
        return tuple(t for t in self.tests if t.result is not True)

    @property
    def held(self) -> tuple[Comparison, ...]:
        """The comparisons that held."""
        return tuple(t for t in self.tests if t.result is True)


@attrs.frozen
class Change:
    """One fact changed: from its value in the case to a new one."""

    fact: str
    before: object
    after: object

    def __str__(self) -> str:
        def show(value: object) -> str:
            if value is None:
                return "unknown"
            if isinstance(value, bool):
                return "yes" if value else "no"
            return str(json_value(value))
        return f"{self.fact}: {show(self.before)} -> {show(self.after)}"


@attrs.frozen
class Counterfactual:
    """A smallest set of fact changes that achieves ``goal`` for the option."""

    changes: tuple[Change, ...]
    goal: str  # "recommended" (forms), "viable", "available" or "recommended_route"

    def apply(self, case: Case) -> Case:
        """The case with these changes made."""
        return case.with_facts({c.fact: c.after for c in self.changes})

    def __str__(self) -> str:
        return f"{self.goal} if " + " and ".join(str(c) for c in self.changes)


@attrs.frozen(repr=False)  # blockers carry every comparison: a one-line repr instead
class WhyNot:
    """The answer to "why not this option?". ``str()`` is :meth:`render_text`."""

    option: str
    name: str
    kind: str  # "form" or "route"
    standing: str  # the option's status in the advice
    blockers: tuple[Blocker, ...]
    counterfactuals: tuple[Counterfactual, ...]
    note: str = ""

    def render_text(self) -> str:
        """Plain text for a terminal or a notebook."""
        lines = [f"Why not {self.name} ({self.standing})?"]
        if self.note:
            lines.append(self.note)
        for blocker in self.blockers:
            tag = " [analysis]" if blocker.analysis else ""
            lines.append(f"  [{blocker.rule_id}] {blocker.title}{tag}: {blocker.effect}")
            if blocker.fired:  # what made it fire
                lines += [f"      because {t.test} (the case has {shown_value(t.value)})"
                          for t in blocker.held]
            for test in () if blocker.fired else blocker.failing:
                held = "unknown" if test.result is None else "no"
                lines.append(f"      needs {test.test}; the case has {shown_value(test.value)} "
                             f"({held})")
            lines += [f"      law: {ref}" for ref in blocker.references]
        if self.counterfactuals:
            lines.append("  What would change it:")
            lines += [f"    - {cf}" for cf in self.counterfactuals]
        elif self.standing not in ("recommended", "available"):
            lines.append("  No change of up to two facts found that would change it.")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return (f"<WhyNot {self.option} ({self.kind}, {self.standing}): "
                f"{len(self.blockers)} blocker{'' if len(self.blockers) == 1 else 's'}, "
                f"{len(self.counterfactuals)} counterfactual"
                f"{'' if len(self.counterfactuals) == 1 else 's'}>")

    def __str__(self) -> str:
        return self.render_text()

    def _repr_markdown_(self) -> str:
        return "```\n" + self.render_text() + "```\n"

    def _repr_html_(self) -> str:
        return notebook_fragment(f"<pre>{escape(self.render_text())}</pre>")


def pack_of(advice: Advice) -> Pack:
    """The pack behind an advice (the built-in one for advice read back from JSON)."""
    if advice.pack is not None:
        return advice.pack
    pack = builtin_pack()
    if advice.rules_version.endswith(f"#{pack.digest}"):
        return pack
    raise FormselectError("this advice was made with another rule pack; advise again with "
                          "rules=... to ask why-not questions")


def _blocker(advice: Advice, rule_id: str, effect: str) -> Blocker:
    step = advice.step(rule_id)
    return Blocker(rule_id, step.title, effect, step.tests, step.references, step.analysis,
                   step.outcome is Outcome.FIRED)


def _unmet_favour(advice: Advice, pack: Pack, option: str) -> list[Blocker]:
    out = []
    for rule in pack.rules:
        step = advice.step(rule.id)
        if option not in rule.favour:
            continue
        weight = rule.favour[option]
        if step.outcome in (Outcome.NOT_MET, Outcome.UNKNOWN):
            out.append(_blocker(advice, rule.id, f"would favour it (+{weight}) but its "
                                "conditions are not met"))
        elif step.outcome is Outcome.NOT_IN_FORCE:
            until = rule.valid_until.isoformat() if rule.valid_until else "open"
            out.append(_blocker(advice, rule.id, f"would favour it (+{weight}) but is not in "
                                f"force on {advice.as_of.isoformat()} (in force "
                                f"{rule.valid_from.isoformat()} to {until})"))
    return out


def _distance(combo: tuple[Change, ...]) -> float:
    """How far a combination moves the case: numeric changes by size, others count 0."""
    total = 0.0
    for change in combo:
        before, after = change.before, change.after
        if isinstance(before, int | float) and isinstance(after, int | float) \
                and not isinstance(before, bool) and not isinstance(after, bool):
            total += abs(after - before)
    return total


def _search(pack: Pack, advice: Advice, facts: Sequence[str],
            goal: Callable[[Standing], bool]) -> list[tuple[Change, ...]]:
    """Minimal sets of changes achieving the goal: one (the smallest move) per set of facts."""
    case, as_of = advice.case, advice.as_of
    singles: list[Change] = []
    for fact in facts:
        before = case.get(fact)
        singles += [Change(fact, before, v) for v in candidate_values(pack, fact, before, as_of)]
    budget = MAX_EVALUATIONS
    best: dict[frozenset[str], tuple[Change, ...]] = {}
    for size in (1, 2):
        for combo in itertools.combinations(singles, size):
            names = frozenset(c.fact for c in combo)
            if len(names) < size or any(k < names for k in best):
                continue  # two values of one fact, or a superset of a smaller solution
            if names in best and _distance(best[names]) <= _distance(combo):
                continue
            budget -= 1
            if budget < 0:
                break
            changed = try_change(case, {c.fact: c.after for c in combo})
            if changed is not None and goal(quick_standing(pack, changed, as_of)):
                best[names] = combo
        if best:
            break
    ranked = sorted(best.values(), key=lambda c: (len(c), _distance(c), [x.fact for x in c]))
    return ranked[:MAX_COUNTERFACTUALS]


def why_not(advice: Advice, option: str) -> WhyNot:
    """Why a form or route is not what the advice recommends, and what would change that."""
    pack = pack_of(advice)
    options = pack.options
    if option not in options:
        hint = did_you_mean(option, options)
        raise FormselectError(f"no form or route {option!r} in the pack" +
                              (f"; {hint}" if hint else ""))
    if options[option].kind == "route":
        return _why_not_route(advice, pack, option)
    return _why_not_form(advice, pack, option)


def _why_not_form(advice: Advice, pack: Pack, option: str) -> WhyNot:
    score = advice.form(option)
    name = score.name
    if score.status is FormStatus.RECOMMENDED:
        return WhyNot(option, name, "form", "recommended", (), (),
                      "It is the recommended form.")
    blockers = [_blocker(advice, r, "rules it out") for r in score.excluded_by]
    # the forms that outrank it: a higher score, or the recommended form on an equal one
    leaders = [o for o in advice.ranking if o.id != option and o.status is not
               FormStatus.EXCLUDED and (o.score > score.score or
                                        (o.score == score.score and o.id == advice.recommended))]
    if score.status is not FormStatus.EXCLUDED:
        for leader in leaders:
            for rule_id in leader.favoured_by:
                weight = pack.rule(rule_id).favour[leader.id]
                blockers.append(_blocker(advice, rule_id, f"favours {leader.name} (+{weight})"))
    blockers += _unmet_favour(advice, pack, option)
    blockers = list({b.rule_id + b.effect: b for b in blockers}.values())
    facts = case_facts_behind(pack, [b.rule_id for b in blockers])
    found = _search(pack, advice, facts, lambda s: s.recommended == option)
    goal = "recommended"
    if not found and score.status is FormStatus.EXCLUDED:
        found = _search(pack, advice, facts, lambda s: option in s.viable_forms)
        goal = "viable"
    return WhyNot(option, name, "form", score.status.value, tuple(blockers),
                  tuple(Counterfactual(c, goal) for c in found))


def _why_not_route(advice: Advice, pack: Pack, option: str) -> WhyNot:
    route = advice.procurement.route(option)
    recommended = advice.procurement.recommended_route == option
    blockers = [_blocker(advice, r, "rules it out") for r in route.excluded_by]
    if route.status is RouteStatus.UNDETERMINED:
        blockers += _unmet_favour(advice, pack, option)
    blockers += [_blocker(advice, r, "flags a risk for it") for r in route.risks]
    note = "It is the recommended route." if recommended else ""
    if not route.compatible:
        note = (f"{route.name} cannot serve the recommended form "
                f"({advice.recommended}); it serves: {', '.join(pack.options[option].forms)}.")
    usable = (RouteStatus.AVAILABLE, RouteStatus.AVAILABLE_WITH_RISK)
    found: list[tuple[Change, ...]] = []
    if route.status not in usable:
        facts = case_facts_behind(pack, [b.rule_id for b in blockers])
        found = _search(pack, advice, facts, lambda s: s.route_status(option) in usable)
    return WhyNot(option, route.name, "route", route.status.value, tuple(blockers),
                  tuple(Counterfactual(c, "available") for c in found), note)

