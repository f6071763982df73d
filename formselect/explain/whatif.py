"""What if the facts were different? Diffs between advices, sweeps and exact flip points.

Conditions compare facts with literals only, so for a numeric or date fact the outcome can
change only at the literals the pack uses. ``flips`` therefore checks each side of each
literal and finds every threshold exactly, without bisection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from formselect.advice import Advice, Outcome, RouteStatus
from formselect.api import (
    CaseLike,
    DateLike,
    RulesLike,
    advise,
    resolve_as_of,
    resolve_case,
    resolve_rules,
)
from formselect.case.kinds import RESOLUTION, FactKind
from formselect.case.vocabulary import case_facts
from formselect.decide import Standing
from formselect.errors import FormselectError, did_you_mean
from formselect.report.tables import html_table, notebook_fragment, records_frame

from .search import quick_standing, try_change

__all__ = ["AdviceDiff", "Flip", "Sweep", "SweepRow", "diff", "flips", "sweep", "what_if"]

DIFF_COLUMNS = ("what", "item", "before", "after")
SWEEP_COLUMNS = ("status", "recommended", "recommended_route", "regime", "available_routes",
                 "error")


@attrs.frozen
class AdviceDiff:
    """What changed between two advices (``before`` → ``after``)."""

    status: tuple[str, str] | None
    recommended: tuple[str | None, str | None] | None
    recommended_route: tuple[str | None, str | None] | None
    forms: Mapping[str, tuple[str, str]]  # form -> (before, after) as "status/score"
    routes: Mapping[str, tuple[str, str]]  # route -> (status before, status after)
    risks_added: tuple[str, ...]
    risks_removed: tuple[str, ...]
    steps: Mapping[str, tuple[str, str]]  # rule id -> (outcome before, outcome after)
    derived: Mapping[str, tuple[object, object]]
    # rules that came into or went out of force between two dates: rule id -> (outcome
    # before, outcome after), one side "not_in_force". Only filled by diff(windows=True):
    # between dates far apart that is most of the pack, and it hides the changes of outcome.
    windows: Mapping[str, tuple[str, str]] = attrs.field(factory=dict)

    @property
    def changed(self) -> bool:
        """True when anything at all changed."""
        return any((self.status, self.recommended, self.recommended_route, self.forms,
                    self.routes, self.risks_added, self.risks_removed, self.steps,
                    self.derived, self.windows))

    def records(self) -> list[dict[str, object]]:
        """One record per difference: ``what`` (status, form, route, risk, rule, derived,
        in force), ``item``, ``before`` and ``after``."""
        out: list[dict[str, object]] = []
        for label, pair in (("status", self.status), ("recommended form", self.recommended),
                            ("recommended route", self.recommended_route)):
            if pair:
                out.append({"what": label, "item": "", "before": pair[0], "after": pair[1]})
        for label, pairs in (("form", self.forms), ("route", self.routes)):
            out += [{"what": label, "item": k, "before": a, "after": b}
                    for k, (a, b) in pairs.items()]
        out += [{"what": "risk", "item": r, "before": None, "after": "added"}
                for r in self.risks_added]
        out += [{"what": "risk", "item": r, "before": "flagged", "after": None}
                for r in self.risks_removed]
        changes: tuple[tuple[str, Mapping[str, tuple[object, object]]], ...] = (
            ("rule", self.steps), ("derived", self.derived), ("in force", self.windows))
        for label, changed in changes:
            out += [{"what": label, "item": k, "before": a, "after": b}
                    for k, (a, b) in changed.items()]
        return out

    def to_frame(self) -> Any:
        """The differences as a pandas DataFrame (needs ``formselect[pandas]``)."""
        return records_frame(self.records(), DIFF_COLUMNS)

    def __repr__(self) -> str:
        if not self.changed:
            return "<AdviceDiff: no change>"
        parts = [f"{label} {pair[0]} -> {pair[1]}" for label, pair in
                 (("status", self.status), ("form", self.recommended),
                  ("route", self.recommended_route)) if pair]
        parts += [f"{len(items)} {label}" for label, items in
                  (("forms", self.forms), ("routes", self.routes),
                   ("risks added", self.risks_added), ("risks removed", self.risks_removed),
                   ("rules", self.steps), ("derived facts", self.derived),
                   ("rules in or out of force", self.windows)) if items]
        return f"<AdviceDiff: {', '.join(parts)}>"

    def _repr_html_(self) -> str:
        if not self.changed:
            return notebook_fragment("<p>No change.</p>")
        return html_table(DIFF_COLUMNS, self.records(), "What changed")

    def render_text(self) -> str:
        """The differences, one per line."""
        if not self.changed:
            return "No change.\n"
        lines = []
        for label, pair in (("status", self.status), ("recommended form", self.recommended),
                            ("recommended route", self.recommended_route)):
            if pair:
                lines.append(f"{label}: {pair[0]} -> {pair[1]}")
        lines += [f"form {k}: {a} -> {b}" for k, (a, b) in self.forms.items()]
        lines += [f"route {k}: {a} -> {b}" for k, (a, b) in self.routes.items()]
        lines += [f"risk added: {r}" for r in self.risks_added]
        lines += [f"risk removed: {r}" for r in self.risks_removed]
        lines += [f"rule {k}: {a} -> {b}" for k, (a, b) in self.steps.items()]
        lines += [f"derived {k}: {a} -> {b}" for k, (a, b) in self.derived.items()]
        lines += [f"rule {k} in force: {a} -> {b}" for k, (a, b) in self.windows.items()]
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return "```\n" + self.render_text() + "```\n"


def _pair(a: object, b: object) -> Any:
    return None if a == b else (a, b)


def diff(before: Advice, after: Advice, *, windows: bool = False) -> AdviceDiff:
    """The differences between two advices: outcome, ranking, routes, risks, and the rules
    whose outcome changed.

    A rule that is in force on one date and not the other is left out unless ``windows``
    is true (then it is in :attr:`AdviceDiff.windows`): between two dates that is mostly
    the pack's history, not a change for this case.
    """
    forms = {o.id: f"{o.status.value}/{o.score}" for o in before.ranking}
    forms_after = {o.id: f"{o.status.value}/{o.score}" for o in after.ranking}
    routes = {r.id: r.status.value for r in before.procurement.routes}
    routes_after = {r.id: r.status.value for r in after.procurement.routes}
    steps = {s.rule_id: s.outcome.value for s in before.trace}
    steps_after = {s.rule_id: s.outcome.value for s in after.trace}
    risks = {r.rule_id for r in before.risks}
    risks_after = {r.rule_id for r in after.risks}

    def changed(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
        return {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}

    all_steps = changed(steps, steps_after)
    out_of_force = Outcome.NOT_IN_FORCE.value
    in_window = {k: v for k, v in all_steps.items() if out_of_force in v}
    return AdviceDiff(
        status=_pair(before.status.value, after.status.value),
        recommended=_pair(before.recommended, after.recommended),
        recommended_route=_pair(before.procurement.recommended_route,
                                after.procurement.recommended_route),
        forms=changed(forms, forms_after), routes=changed(routes, routes_after),
        risks_added=tuple(sorted(risks_after - risks)),
        risks_removed=tuple(sorted(risks - risks_after)),
        steps={k: v for k, v in all_steps.items() if k not in in_window},
        derived=changed(dict(before.derived), dict(after.derived)),
        windows=in_window if windows else {})


def what_if(advice: Advice, changes: Mapping[str, object]) -> tuple[Advice, AdviceDiff]:
    """Advise again with some facts changed; returns the new advice and the diff."""
    _check_facts(changes)
    changed = advice.case.with_facts(changes)
    after = advise(changed, as_of=advice.as_of, rules=advice.pack)
    return after, diff(advice, after)


def _check_facts(facts: Iterable[str]) -> None:
    for fact in facts:
        if fact not in case_facts():
            hint = did_you_mean(fact, case_facts())
            raise FormselectError(f"unknown fact {fact!r}" + (f"; {hint}" if hint else ""))


@attrs.frozen
class SweepRow:
    """The outcome for one value of the swept fact."""

    value: object
    status: str
    recommended: str | None
    recommended_route: str | None
    regime: str | None
    available_routes: tuple[str, ...] = ()  # routes available (with or without risk)
    error: str = ""  # the value contradicts other facts of the case

    @classmethod
    def of(cls, value: object, result: Standing) -> SweepRow:
        """A row from a standing."""
        usable = tuple(r.id for r in result.procurement.routes
                       if r.status in (RouteStatus.AVAILABLE, RouteStatus.AVAILABLE_WITH_RISK))
        return cls(value, result.status.value, result.recommended,
                   result.procurement.recommended_route, result.procurement.regime,
                   tuple(sorted(usable)))

    @property
    def outcome(self) -> tuple[object, ...]:
        """Everything but the value: what a flip compares."""
        return (self.status, self.recommended, self.recommended_route, self.regime,
                self.available_routes, self.error)


class Sweep(tuple[SweepRow, ...]):
    """The rows of a sweep, one per value tried: a tuple of :class:`SweepRow` with a short
    repr, a notebook table and :meth:`to_frame`. A tie that no prior breaks has ``recommended``
    None."""

    fact: str

    def __new__(cls, rows: Iterable[SweepRow] = (), fact: str = "") -> Sweep:
        self = super().__new__(cls, rows)
        self.fact = fact
        return self

    def records(self) -> list[dict[str, object]]:
        """One record per row: the fact's value (under the fact's name), then the outcome."""
        return [{self.fact or "value": row.value, "status": row.status,
                 "recommended": row.recommended, "recommended_route": row.recommended_route,
                 "regime": row.regime, "available_routes": list(row.available_routes),
                 "error": row.error} for row in self]

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of :meth:`records` and :meth:`to_frame`."""
        return (self.fact or "value", *SWEEP_COLUMNS)

    def to_frame(self) -> Any:
        """The sweep as a pandas DataFrame (needs ``formselect[pandas]``)."""
        return records_frame(self.records(), self.columns)

    def __repr__(self) -> str:
        forms = sorted({str(r.recommended or r.status or "error") for r in self})
        return (f"<Sweep {self.fact or 'value'}: {len(self)} value"
                f"{'' if len(self) == 1 else 's'}; outcomes: {', '.join(forms) or 'none'}>")

    def _repr_html_(self) -> str:
        return html_table(self.columns, self.records(), f"Sweep of {self.fact or 'a fact'}")


def sweep(case: CaseLike, fact: str, values: Sequence[object], as_of: DateLike = None,
          rules: RulesLike = None) -> Sweep:
    """The outcome for each value of one fact, all else equal (a :class:`Sweep`)."""
    _check_facts([fact])
    base = resolve_case(case)
    pack = resolve_rules(rules)
    day = resolve_as_of(as_of, base)
    rows = []
    for value in values:
        changed = try_change(base, {fact: value})
        if changed is None:
            rows.append(SweepRow(value, "", None, None, None, (), "contradicts other facts"))
        else:
            rows.append(SweepRow.of(value, quick_standing(pack, changed, day)))
    return Sweep(rows, fact)


@attrs.frozen
class Flip:
    """A threshold: the outcome changes at ``at`` (``>=`` rules) or just above it (``>``)."""

    fact: str
    at: object
    starts: str  # "at" (the new outcome includes the threshold) or "above"
    below: SweepRow
    above: SweepRow

    def __str__(self) -> str:
        def show(row: SweepRow) -> str:
            return f"{row.recommended or row.status}, route {row.recommended_route}, " \
                   f"available: {', '.join(row.available_routes) or 'none'}"
        return f"{self.fact} {self.starts} {self.at}: {show(self.below)} -> {show(self.above)}"


def flips(case: CaseLike, fact: str, as_of: DateLike = None,
          rules: RulesLike = None) -> tuple[Flip, ...]:
    """Every value of a numeric or date fact at which the outcome changes."""
    _check_facts([fact])
    spec = case_facts()[fact]
    if spec.kind not in (FactKind.INT, FactKind.NUMBER, FactKind.DATE):
        raise FormselectError(f"{fact!r} is {spec.kind}; flips() needs a number or a date "
                              "(use sweep() for other facts)")
    base = resolve_case(case)
    pack = resolve_rules(rules)
    day = resolve_as_of(as_of, base)
    points = sorted({v for v in pack.literals.get((fact, "value"), ())
                     if not isinstance(v, bool) and isinstance(v, int | float | dt.date)},
                    key=lambda v: (str(type(v)), v))
    found = []
    for point in points:
        before, at, after = sweep(base, fact, [_step(point, spec.kind, -1), point,
                                               _step(point, spec.kind, +1)], day, pack)
        if before.error or at.error or after.error:
            continue
        if before.outcome != at.outcome:
            found.append(Flip(fact, point, "at", before, at))
        elif at.outcome != after.outcome:
            found.append(Flip(fact, point, "above", at, after))
    return tuple(found)


def _step(point: object, kind: FactKind, direction: int) -> object:
    """The nearest value below (-1) or above (+1) a threshold."""
    if isinstance(point, dt.date):
        return point + dt.timedelta(days=direction)
    assert isinstance(point, int | float)
    # numbers compare to a thousandth, so that is the nearest distinct value
    return point + direction * (1 if kind is FactKind.INT else 1 / RESOLUTION)
