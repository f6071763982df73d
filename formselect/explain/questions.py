"""What to ask next: unknown facts ranked by how much their answer would settle.

For each unknown fact that an undecided rule reads, every possible answer is tried (each
allowed value; for numbers and dates one value in each interval between the pack's
thresholds) and the outcome's *openness* is measured: forms still viable plus routes still
undetermined. A question's value is the expected fall in openness over its answers. Because
evaluation is monotone, no answer can ever make the outcome more open.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any

import attrs
import tomli_w

from formselect.advice import RouteStatus
from formselect.api import CaseLike, DateLike, RulesLike, resolve_as_of, resolve_case, resolve_rules
from formselect.case.io import UNKNOWN, case_to_dict
from formselect.case.kinds import FactKind, quantise
from formselect.case.model import Case
from formselect.case.vocabulary import case_facts
from formselect.conditions.compiled import quantised
from formselect.conditions.syntax import All, Any_, Compare, Condition, facts_read
from formselect.decide import Standing, standing
from formselect.engine import Backend, Evaluation, evaluate
from formselect.engine.view import fact_entries
from formselect.errors import FormselectError, did_you_mean
from formselect.pack.model import Pack, Rule

from .trials import Trials, plan_for

__all__ = ["Interview", "Question", "next_questions", "openness", "parse_answer", "parse_number",
           "relevant"]


@attrs.frozen
class Question:
    """An unknown fact worth asking about, with its wording and allowed answers."""

    fact: str
    text: str
    answers: tuple[str, ...]  # allowed answers, as an adviser would type them
    kind: str
    value: float  # expected number of forms or routes its answer settles
    rules: tuple[str, ...]  # undecided rules that read it

    def __str__(self) -> str:
        return f"{self.text} [{' / '.join(self.answers)}]"


def openness(result: Standing) -> int:
    """Forms still viable plus routes still undetermined: lower is more settled."""
    undetermined = sum(1 for r in result.procurement.routes
                       if r.status is RouteStatus.UNDETERMINED)
    return len(result.viable_forms) + undetermined


def _undecided(pack: Pack, case: Case, as_of: dt.date,
               evaluation: Evaluation) -> tuple[Standing, dict[str, list[str]]]:
    """The standing, and the unknown case facts worth asking about (see :func:`_unknowns`)."""
    return standing(pack, evaluation), _unknowns(pack, as_of, evaluation)


def _unknowns(pack: Pack, as_of: dt.date, evaluation: Evaluation) -> dict[str, list[str]]:
    """Each unknown case fact read by a rule in force that is neither fired nor definitely
    false, with those rules, in pack order."""
    plan = plan_for(pack)
    false = set(pack.program.definitely_false(quantised(evaluation.view), as_of))
    fired = evaluation.fired
    ids = plan.ids
    reads = plan.case_facts
    view = evaluation.view  # holds every case fact the case knows (and only those)
    facts: dict[str, list[str]] = {}
    for i in plan.in_force(plan.period(as_of)):
        if i in false or ids[i] in fired:
            continue
        for fact in reads[i]:
            if fact not in view:
                facts.setdefault(fact, []).append(ids[i])
    # unknown derived facts are asked through the case facts their rules read
    return facts


def _answers(pack: Pack, fact: str) -> list[object]:
    spec = case_facts()[fact]
    if spec.kind is FactKind.BOOL:
        return [True, False]
    if spec.kind is FactKind.ENUM:
        return list(spec.values)
    if spec.kind is FactKind.SET:
        return [[v] for v in spec.values]
    if spec.kind in (FactKind.INT, FactKind.NUMBER, FactKind.DATE):
        cuts = sorted({v for v in pack.literals.get((fact, "value"), ())
                       if isinstance(v, int | float | dt.date) and not isinstance(v, bool)},
                      key=lambda v: (str(type(v)), v))
        return _evenly(_interval_points(cuts, spec.kind, spec.minimum, spec.maximum),
                       MAX_ANSWERS_PER_FACT)
    return []


# answers tried per fact: a pack with thousands of thresholds on one fact (1,000 rules of
# 48-value lists took 47 s and more) is sampled evenly, ends kept, so the cost stays bounded
MAX_ANSWERS_PER_FACT = 64


def _evenly(points: list[object], most: int) -> list[object]:
    """At most ``most`` of ``points``, evenly spread, the first and last kept."""
    if len(points) <= most:
        return points
    step = (len(points) - 1) / (most - 1)
    return [points[round(i * step)] for i in range(most)]


def _interval_points(cuts: Sequence[object], kind: FactKind, low: float | None,
                     high: float | None) -> list[object]:
    """One value inside each interval the thresholds create, and the thresholds themselves."""
    if not cuts:
        return []
    if kind is FactKind.DATE:
        dates = [c for c in cuts if isinstance(c, dt.date)]
        return [dates[0] - dt.timedelta(days=1), *dates]
    numbers = [float(c) for c in cuts if isinstance(c, int | float)]
    points = [numbers[0] - 1, *numbers]
    points += [(a + b) / 2 for a, b in itertools.pairwise(numbers)]
    points.append(numbers[-1] + 1)
    lo = low if low is not None else float("-inf")
    hi = high if high is not None else float("inf")
    chosen = sorted({p for p in points if lo <= p <= hi})
    if kind is FactKind.INT:
        return [int(p) for p in sorted({int(p) for p in chosen})]
    return [int(p) if p.is_integer() else p for p in chosen]


def next_questions(case: CaseLike, as_of: DateLike = None, rules: RulesLike = None,
                   limit: int | None = None) -> tuple[Question, ...]:
    """Unknown facts, most decisive first."""
    the_case = resolve_case(case)
    pack = resolve_rules(rules)
    day = resolve_as_of(as_of, the_case)
    evaluation = evaluate(pack, the_case, day, Backend.COMPILED)
    plan = plan_for(pack)
    trials = Trials(plan, the_case, day, evaluation)
    # the case as it stands is the trial that changes nothing (the same sum as
    # openness(standing(...)), which the tests hold for every trial)
    start = trials.openness({})
    questions = []
    for fact, rule_ids in _unknowns(pack, day, evaluation).items():
        answers = plan.answers(fact, partial(_answers, pack, fact))
        results = [trials.openness(trials.entries(fact, answer))
                   for answer in trials.admissible(fact, answers)]
        if not results:
            continue
        gain = start - sum(results) / len(results)
        spec = case_facts()[fact]
        questions.append(Question(fact, spec.question, _answer_words(fact), str(spec.kind),
                                  round(gain, 4), tuple(rule_ids)))
    order = _fact_order()
    questions.sort(key=lambda q: (-q.value, -len(q.rules), order[q.fact]))
    return tuple(questions[:limit] if limit else questions)


@cache
def _fact_order() -> dict[str, int]:
    """Each case fact's place in the vocabulary: ties are ranked in model order."""
    return {name: k for k, name in enumerate(case_facts())}


_READERS: dict[str, dict[str, list[Rule]]] = {}


def _readers(pack: Pack) -> dict[str, list[Rule]]:
    """For each fact, the rules whose condition reads it (kept for the last few packs)."""
    found = _READERS.get(pack.digest)
    if found is None:
        if len(_READERS) >= 8:
            _READERS.clear()
        found = _READERS[pack.digest] = {}
        for rule in pack.rules:
            for name in rule.facts:
                found.setdefault(name, []).append(rule)
    return found


class _Trials:
    """Trials on a case given as changed :class:`Case` objects (one unknown fact answered):
    :class:`~formselect.explain.trials.Trials` read through the changed fact's view
    entries. The tests compare each trial's fired rules, derived facts and openness with a
    full evaluation and its standing."""

    def __init__(self, pack: Pack, case: Case, as_of: dt.date, base: Evaluation) -> None:
        self.as_of = as_of
        self.trials = Trials(plan_for(pack), case, as_of, base)

    def _entries(self, changed: Case, fact: str) -> dict[str, object]:
        return {k: quantise(v) for k, v in fact_entries(changed, fact, self.as_of).items()}

    def evaluation(self, changed: Case, fact: str) -> Evaluation:
        """The evaluation of ``changed`` (the base case with ``fact`` answered)."""
        return self.trials.evaluation(self._entries(changed, fact))

    def openness(self, changed: Case, fact: str) -> int:
        """:func:`openness` of the changed case."""
        return self.trials.openness(self._entries(changed, fact))


def _answer_words(fact: str) -> tuple[str, ...]:
    spec = case_facts()[fact]
    if spec.kind is FactKind.BOOL:
        words: tuple[str, ...] = ("yes", "no")
    elif spec.kind is FactKind.SET:
        words = (*spec.values, "(several, comma-separated)")
    elif spec.values:
        words = spec.values
    elif spec.kind is FactKind.DATE:
        words = ("YYYY-MM-DD",)
    elif spec.unit == "£":
        words = ("an amount in pounds",)
    elif spec.minimum is not None:
        words = (f"{spec.minimum:g} to {spec.maximum:g} {spec.unit}".strip(),)
    else:
        words = ("a number",)
    return (*words, "don't know")


DONT_KNOW = frozenset({"", "?", "dk", "don't know", "dont know", "unknown", "not sure"})


_SCALE = {"k": 1_000, "m": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}
_NUMBER = re.compile(r"^(?P<number>[0-9][0-9,_]*(\.[0-9]+)?|\.[0-9]+)\s*(?P<scale>k|m|bn|b|"
                     r"thousand|million|billion)?$")
_SCALE_WORDS = {"thousand": "k", "million": "m", "billion": "bn"}


def parse_number(text: str) -> float:
    """A number as an adviser types it: ``4,500,000``, ``£4.5m``, ``250k``, ``40%``,
    ``1.2bn``, ``3 million``. Raises ValueError saying what is expected."""
    words = text.strip().lower().replace("£", "").replace("%", "").strip()
    found = _NUMBER.match(words)
    if found is None:
        raise ValueError(f"{text.strip()!r} is not a number (write it as 4500000, 4,500,000, "
                         "£4.5m, 250k or 40%)")
    value = float(found["number"].replace(",", "").replace("_", ""))
    scale = found["scale"]
    if scale:
        value *= _SCALE[_SCALE_WORDS.get(scale, scale)]
    return value


def _choice(fact: str, word: str, values: Sequence[str]) -> str:
    """One of the allowed values, as typed or in other case and spacing (``County
    Council`` for ``county_council``); else a ValueError that suggests the nearest."""
    if word in values:
        return word
    normal = "_".join(word.lower().replace("-", " ").split())
    if normal in values:
        return normal
    hint = did_you_mean(word, values)
    raise ValueError(f"{word!r} is not one of the answers for {fact}"
                     + (f"; {hint}" if hint else f" ({', '.join(values)})"))


def parse_answer(fact: str, text: str) -> object:
    """An adviser's typed answer as a fact value; None for "don't know".

    Raises ValueError with a message saying what was expected (and the nearest answer).
    """
    words = text.strip()
    if words.lower() in DONT_KNOW:
        return None
    spec = case_facts()[fact]
    if spec.kind is FactKind.BOOL:
        lowered = words.lower()
        if lowered in ("y", "yes", "true"):
            return True
        if lowered in ("n", "no", "false"):
            return False
        raise ValueError("answer yes or no (or don't know)")
    if spec.kind is FactKind.SET:
        return [_choice(fact, w.strip(), spec.values) for w in words.split(",") if w.strip()]
    if spec.kind is FactKind.ENUM and spec.values:
        return _choice(fact, words, spec.values)
    if spec.kind is FactKind.DATE:
        try:
            return dt.date.fromisoformat(words)
        except ValueError:
            raise ValueError(f"{words!r} is not a date (write it as YYYY-MM-DD)") from None
    if spec.kind is FactKind.INT:
        number = parse_number(words)
        if number != int(number):
            raise ValueError(f"{words!r} is not a whole number")
        return int(number)
    if spec.kind is FactKind.NUMBER:
        return parse_number(words)
    return words


def relevant(pack: Pack, fact: str, dont_know: Iterable[str]) -> bool:
    """Whether an answer about ``fact`` could still make some rule fire, given the facts the
    adviser answered "don't know": a fact that matters only together with one of those
    (``investor_payout_pct`` when the profit distribution is not known) is not asked."""
    unknown = frozenset(dont_know)
    return any(_can_matter(rule.condition, fact, unknown)
               for rule in _readers(pack).get(fact, ()))


def _can_matter(node: Condition, fact: str, unknown: frozenset[str]) -> bool:
    if isinstance(node, Compare):
        return node.fact == fact
    if isinstance(node, All):
        # a conjunct that reads only facts the adviser cannot give never becomes true
        blocked = any(facts_read(item) and set(facts_read(item)) <= unknown
                      for item in node.items)
        return not blocked and any(_can_matter(i, fact, unknown) for i in node.items)
    if isinstance(node, Any_):
        return any(_can_matter(i, fact, unknown) for i in node.items)
    return fact in facts_read(node)  # under a negation: kept, as it may still matter


@attrs.define
class Interview:
    """A scriptable interview: ask the most decisive unknown fact, record the answer, repeat.

    >>> interview = Interview(Case(), as_of=dt.date(2026, 6, 1))  # doctest: +SKIP
    >>> question = interview.next()                               # doctest: +SKIP
    >>> interview.answer(question.fact, True)                     # doctest: +SKIP
    """

    case: Case
    as_of: dt.date
    rules: RulesLike = None
    dont_know: set[str] = attrs.Factory(set)

    def next(self) -> Question | None:
        """The most decisive question not yet asked, or None when nothing is left to ask.
        Questions that earlier "don't know" answers made irrelevant are skipped."""
        pack = resolve_rules(self.rules)
        for question in next_questions(self.case, self.as_of, pack):
            if question.fact not in self.dont_know and (
                    not self.dont_know or relevant(pack, question.fact, self.dont_know)):
                return question
        return None

    def answer(self, fact: str, value: object) -> None:
        """Record an answer; ``None`` means "don't know" (the fact is not asked again)."""
        if value is None:
            self.dont_know.add(fact)
            return
        self.case = self.case.with_facts({fact: value})

    def save(self, path: str | Path, name: str = "") -> None:
        """Write the answers as a case file that ``advise`` reads straight back: its name
        (``name``, else the case's, else the file's), the date the law was applied at
        (``as_of``), and "don't know" answers kept as "unknown"."""
        data: dict[str, Any] = {"name": name or self.case.name or Path(path).stem,
                                "as_of": self.as_of}
        data.update((k, v) for k, v in case_to_dict(self.case).items()
                    if k not in ("name", "as_of"))
        for fact in sorted(self.dont_know):
            section, _, name = fact.partition(".")
            data.setdefault(section, {})[name] = UNKNOWN
        Path(path).write_text(tomli_w.dumps(data, multiline_strings=True), encoding="utf-8")

    def run(self, ask: Callable[[Question], str], tell: Callable[[str], None],
            max_questions: int = 100) -> Case:
        """Drive the interview with ``ask`` (returns the typed answer) until done."""
        for _ in range(max_questions):
            question = self.next()
            if question is None:
                break
            while True:
                reply = ask(question)
                if reply.strip().lower() in ("stop", "quit", "q"):
                    return self.case
                try:
                    self.answer(question.fact, parse_answer(question.fact, reply))
                    break
                except (ValueError, FormselectError) as exc:
                    tell(f"  not understood: {exc}")
        return self.case
