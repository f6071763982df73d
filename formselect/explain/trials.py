"""The trials behind ``next_questions``: the outcome of a case with one unknown fact answered.

A question is valued by trying every answer, so one call makes a hundred trials or more, and
each must give exactly what advising on the changed case would. A trial works on the base
case's flat fact view (the dict the engine reads) rather than a new :class:`Case`, and
re-evaluates only the rules whose inputs the answer changes: those that read the fact, then,
stratum by stratum, those that read a derived fact whose value changed. Every other rule
keeps the base outcome, since a rule's outcome depends only on the values it reads and the
date.

What depends only on the pack (which rules read each view key, who derives what, the
answers to try and their values, each rule's condition as a generated function) is kept
per pack in a :class:`Plan`; what depends on the case and date is a :class:`Trials`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NamedTuple, cast

from formselect.case.kinds import FactKind, check_value, quantise, type_info
from formselect.case.model import Case, cross_field_problems
from formselect.case.vocabulary import section_fields
from formselect.conditions.compiled import TestFn, quantised, rule_tests
from formselect.conditions.syntax import Literal
from formselect.engine import Backend, Evaluation
from formselect.engine.view import value_entries
from formselect.pack.model import Pack
from formselect.pack_index import pack_index

__all__ = ["Answer", "Plan", "Trials", "plan_for"]


class Answer(NamedTuple):
    """One answer to try for a fact, prepared once per pack."""

    given: object  # as next_questions tries it (True, "england", ["education"], 12.5, a date)
    value: object  # as the case would hold it (converted: enums, frozensets)
    valid: bool  # passes the fact's own check (range, kind): may still contradict others
    # the view entries it gives, quantised (as the engine compares them); None for a date,
    # whose entries (its years before as_of) depend on the day
    entries: Mapping[str, object] | None


_ABSENT = object()  # a derived fact no fired rule gives a value


class Plan:
    """What trials on one pack need that depends only on the pack."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        rules = pack.rules
        self.ids = tuple(r.id for r in rules)
        self.index = {r.id: i for i, r in enumerate(rules)}
        self.stratum = tuple(r.stratum for r in rules)
        self.strata = pack.strata
        # the case facts each rule reads, in the order the rule reads them
        self.case_facts = tuple(tuple(f for f in r.facts if "." in f) for r in rules)
        readers: dict[str, list[int]] = {}
        for i, rule in enumerate(rules):
            for key in dict.fromkeys(pack.compiled[rule.id].keys):
                readers.setdefault(key, []).append(i)
        self.readers = {k: tuple(v) for k, v in readers.items()}
        # what each rule derives, as the view holds it; and each derived fact's rules, the
        # lowest (stratum, id) first: the first of them that fires gives the value
        self.derives = tuple(tuple((k, quantise(v), v) for k, v in r.derive.items())
                             for r in rules)
        self.derivers = {name: tuple(sorted((self.index[r.id] for r in found),
                                            key=lambda i: (rules[i].stratum, rules[i].id)))
                         for name, found in pack.derivers.items()}
        self.options = (tuple(o.id for o in pack.forms), tuple(o.id for o in pack.routes))
        self._tests: list[TestFn | None] = [None] * len(rules)
        self._answers: dict[str, tuple[Answer, ...]] = {}
        # the days where the rules in force change: the first day of each rule and the day
        # after its last
        cuts = {r.valid_from for r in rules}
        cuts.update(r.valid_until + dt.timedelta(days=1) for r in rules
                    if r.valid_until is not None and r.valid_until < dt.date.max)
        self.cuts = tuple(sorted(cuts))
        self._readers_in: dict[tuple[str, int], tuple[tuple[int, dict[int, TestFn]], ...]] = {}

    def tests(self, indexes: Sequence[int]) -> list[TestFn]:
        """The generated condition of each rule, made on first need (in one batch)."""
        missing = [i for i in indexes if self._tests[i] is None]
        if missing:
            made, _ = rule_tests([self.pack.rules[i].condition for i in missing])
            for i, test in zip(missing, made, strict=True):
                self._tests[i] = test
        return cast(list[TestFn], [self._tests[i] for i in indexes])

    def period(self, day: dt.date) -> int:
        """The period of a day: days in the same period have the same rules in force
        (periods are cut where some rule comes into or goes out of force)."""
        return bisect.bisect_right(self.cuts, day)

    def in_force(self, period: int) -> tuple[int, ...]:
        """The rules in force in a period, in pack order (the pack's index keeps them)."""
        day = self.cuts[period - 1] if period else dt.date.min  # a day of the period
        return pack_index(self.pack).in_force_on(day)[1]

    def readers_in(self, key: str, period: int) -> tuple[tuple[int, dict[int, TestFn]], ...]:
        """The rules in force in a period that read a view key, with their conditions,
        grouped by stratum (lowest first)."""
        found = self._readers_in.get((key, period))
        if found is None:
            chosen = set(self.in_force(period))
            indexes = [i for i in self.readers.get(key, ()) if i in chosen]
            groups: dict[int, dict[int, TestFn]] = {}
            for i, test in zip(indexes, self.tests(indexes), strict=True):
                groups.setdefault(self.stratum[i], {})[i] = test
            found = self._readers_in[key, period] = tuple(sorted(groups.items()))
        return found

    def answers(self, fact: str, given: Callable[[], Sequence[object]]) -> tuple[Answer, ...]:
        """The answers to try for ``fact`` (``given`` makes them; they depend on the pack
        only) as the case and the view would hold them, with the fact's own check as the
        case makes it."""
        found = self._answers.get(fact)
        if found is None:
            section, _, name = fact.partition(".")
            field = next(f for f in section_fields(section) if f.name == name)
            info = type_info(field.type)  # type: ignore[arg-type]  # fields are annotated
            found_list = []
            for answer in given():
                value = field.converter(answer) if callable(field.converter) else answer
                valid = check_value(info, field.metadata, value) is None
                entries = None if info.kind is FactKind.DATE or not valid \
                    else _quantised(value_entries(fact, value, None))
                found_list.append(Answer(answer, value, valid, entries))
            found = self._answers[fact] = tuple(found_list)
        return found


def _quantised(entries: Mapping[str, object]) -> dict[str, object]:
    return {k: quantise(v) for k, v in entries.items()}


_PLANS: dict[str, Plan] = {}


def plan_for(pack: Pack) -> Plan:
    """The plan of a pack (kept for the last few packs, by digest)."""
    found = _PLANS.get(pack.digest)
    if found is None:
        if len(_PLANS) >= 8:
            _PLANS.clear()
        found = _PLANS[pack.digest] = Plan(pack)
    return found


class Trials:
    """Trials on one case at one date, from its evaluation (``base``) on the pack."""

    def __init__(self, plan: Plan, case: Case, as_of: dt.date, base: Evaluation) -> None:
        self.plan = plan
        self.case = case
        self.as_of = as_of
        self.base = base
        self.fired = frozenset(plan.index[r] for r in base.fired)
        self.view = quantised(base.view)
        self.period = plan.period(as_of)
        self._openness: dict[frozenset[int], int] = {}
        # how many fired rules exclude, and favour, each option
        excluded: dict[str, int] = {}
        favoured: dict[str, int] = {}
        rules = plan.pack.rules
        for i in self.fired:
            for option in rules[i].exclude:
                excluded[option] = excluded.get(option, 0) + 1
            for option in rules[i].favour:
                favoured[option] = favoured.get(option, 0) + 1
        self._effects = excluded, favoured

    def readers(self, key: str) -> tuple[tuple[int, dict[int, TestFn]], ...]:
        """The rules in force that read a view key, grouped by stratum (lowest first)."""
        return self.plan.readers_in(key, self.period)

    def entries(self, fact: str, answer: Answer) -> Mapping[str, object]:
        """The view entries an answer gives, quantised."""
        if answer.entries is not None:
            return answer.entries
        return _quantised(value_entries(fact, answer.value, self.as_of))

    def admissible(self, fact: str, answers: Sequence[Answer]) -> Iterator[Answer]:
        """The answers the case can take: those that pass the fact's own check and
        contradict none of its other facts (exactly the changes ``Case.with_facts``
        accepts, without building and validating a case for each)."""
        probe = _CaseProbe(self.case, fact)
        settled: bool | None = None  # the verdict for every answer, once seen not to depend
        for answer in answers:
            if not answer.valid:
                continue
            if settled is None:
                probe._reset(answer.value)
                fine = not cross_field_problems(cast(Case, probe))
                if not probe._read:  # the checks never read the fact: no answer changes them
                    settled = fine
            else:
                fine = settled
            if fine:
                yield answer

    def run(self, entries: Mapping[str, object]) -> tuple[frozenset[int], dict[str, object]]:
        """The rules whose outcome the new view entries change (by index), and the derived
        facts whose value they change (``_ABSENT``: no longer derived)."""
        plan = self.plan
        base = self.fired
        current = self.view.copy()
        current.update(entries)
        get = current.get
        pending: dict[int, dict[int, TestFn]] = {}  # stratum -> the rules to test again
        for key in entries:
            for k, tests in self.readers(key):
                if k in pending:
                    pending[k].update(tests)
                else:
                    pending[k] = tests.copy()
        flipped: set[int] = set()
        derived: dict[str, object] = {}
        while pending:
            k = min(pending)
            touched: dict[str, None] = {}
            for i, test in pending.pop(k).items():
                # a generated condition is a bool: its comparisons are joined by and/or
                if test(get) is not (i in base):
                    flipped.add(i)
                    for name, _, _ in plan.derives[i]:
                        touched[name] = None
            for name in touched:  # the lowest (stratum, id) of the rules that fire wins
                now: object = _ABSENT
                raw: object = _ABSENT
                for i in plan.derivers[name]:
                    if (i in base) is not (i in flipped):
                        now, raw = next((q, r) for n, q, r in plan.derives[i] if n == name)
                        break
                old = current.get(name, _ABSENT)
                if old is now or (type(old) is type(now) and old == now):
                    continue
                if now is _ABSENT:
                    del current[name]
                else:
                    current[name] = now
                derived[name] = raw
                # its readers are in higher strata only (the pack is stratified)
                for higher, tests in self.readers(name):
                    assert higher > k, (name, higher, k)
                    if higher in pending:
                        pending[higher].update(tests)
                    else:
                        pending[higher] = tests.copy()
        return frozenset(flipped), derived

    def evaluation(self, entries: Mapping[str, object]) -> Evaluation:
        """The evaluation of the case with the new view entries, as an engine gives it
        (conflicts apart: neither a standing nor openness reads them)."""
        flipped, changes = self.run(entries)
        ids = self.plan.ids
        fired = frozenset(ids[i] for i in self.fired.symmetric_difference(flipped))
        derived: dict[str, Literal] = dict(self.base.derived)
        for name, raw in changes.items():
            if raw is _ABSENT:
                derived.pop(name, None)
            else:
                derived[name] = cast(Literal, raw)
        names = {d.name for d in self.plan.pack.derived} | set(self.plan.pack.derivers)
        view = {k: v for k, v in self.base.view.items() if k not in names}
        view.update(entries)
        view.update(derived)
        return Evaluation(fired, derived, (), view, str(Backend.COMPILED))

    def openness(self, entries: Mapping[str, object]) -> int:
        """``openness(standing(...))`` of the case with the new view entries, from the
        effects of the rules that fire: forms no fired rule excludes, plus routes no fired
        rule excludes or favours (the tests hold the two equal for every trial)."""
        flipped, _ = self.run(entries)
        found = self._openness.get(flipped)
        if found is None:
            excluded, favoured = self._effects
            if flipped:  # the base counts, less the rules that stop firing, plus the new
                excluded, favoured = excluded.copy(), favoured.copy()
                rules = self.plan.pack.rules
                for i in flipped:
                    step = -1 if i in self.fired else 1
                    for option in rules[i].exclude:
                        excluded[option] = excluded.get(option, 0) + step
                    for option in rules[i].favour:
                        favoured[option] = favoured.get(option, 0) + step
            forms, routes = self.plan.options
            found = self._openness[flipped] = (
                sum(1 for o in forms if not excluded.get(o))
                + sum(1 for o in routes if not excluded.get(o) and not favoured.get(o)))
        return found


class _SectionProbe:
    """A case section with one field replaced, noting whether that field was read. (Its own
    attributes begin with an underscore, as no fact's name does.)"""

    __slots__ = ("_field", "_owner", "_section", "_value")

    def __init__(self, owner: _CaseProbe, section: object, field: str) -> None:
        self._owner = owner
        self._section = section
        self._field = field
        self._value: object = None

    def __getattr__(self, name: str) -> object:  # only for names not in the slots
        if name == self._field:
            self._owner._read = True
            return self._value
        return getattr(self._section, name)


class _CaseProbe:
    """The case with one fact replaced, for :func:`cross_field_problems`: the checks read it
    like a case, and the probe notes whether they read the replaced fact. When they did
    not, their verdict holds for every value of it (they ran the same way)."""

    __slots__ = ("_case", "_fact", "_name", "_read", "_section")

    def __init__(self, case: Case, fact: str) -> None:
        self._case = case
        self._fact = fact
        self._name, _, field = fact.partition(".")
        self._section = _SectionProbe(self, getattr(case, self._name), field)
        self._read = False

    def _reset(self, value: object) -> None:
        self._section._value = value
        self._read = False

    def get(self, fact_name: str) -> object:
        """:meth:`Case.get`, with the replaced fact."""
        if fact_name == self._fact:
            self._read = True
            return self._section._value
        return self._case.get(fact_name)

    def __getattr__(self, name: str) -> object:  # only for names not in the slots
        if name == self._name:
            return self._section
        return getattr(self._case, name)
