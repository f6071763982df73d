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
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import tomli_w

from formselect.advice import RouteStatus
from formselect.api import CaseLike, DateLike, RulesLike, resolve_as_of, resolve_case, resolve_rules
from formselect.case.io import UNKNOWN, case_to_dict
from formselect.case.kinds import FactKind
from formselect.case.model import Case
from formselect.case.vocabulary import case_facts
from formselect.decide import Standing, standing
from formselect.engine import Backend, evaluate
from formselect.errors import FormselectError
from formselect.pack.model import Pack

from .search import quick_standing, try_change

__all__ = ["Interview", "Question", "next_questions", "openness", "parse_answer"]


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


def _undecided(pack: Pack, case: Case, as_of: dt.date) -> tuple[Standing, dict[str, list[str]]]:
    evaluation = evaluate(pack, case, as_of, Backend.COMPILED)
    facts: dict[str, list[str]] = {}
    for rule in pack.rules:
        if rule.id in evaluation.fired or not rule.in_force(as_of):
            continue
        if pack.compiled[rule.id].truth(evaluation.view) is None:
            for fact in rule.facts:
                if "." in fact and case.get(fact) is None:
                    facts.setdefault(fact, []).append(rule.id)
    # unknown derived facts are asked through the case facts their rules read
    return standing(pack, evaluation), facts


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
        return _interval_points(cuts, spec.kind, spec.minimum, spec.maximum)
    return []


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
    base, facts = _undecided(pack, the_case, day)
    start = openness(base)
    questions = []
    for fact, rule_ids in facts.items():
        results = []
        for answer in _answers(pack, fact):
            changed = try_change(the_case, {fact: answer})
            if changed is not None:
                results.append(openness(quick_standing(pack, changed, day)))
        if not results:
            continue
        gain = start - sum(results) / len(results)
        spec = case_facts()[fact]
        questions.append(Question(fact, spec.question, _answer_words(fact), str(spec.kind),
                                  round(gain, 4), tuple(rule_ids)))
    order = list(case_facts())
    questions.sort(key=lambda q: (-q.value, -len(q.rules), order.index(q.fact)))
    return tuple(questions[:limit] if limit else questions)


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


def parse_answer(fact: str, text: str) -> object:
    """An adviser's typed answer as a fact value; None for "don't know".

    Raises ValueError with a message saying what was expected.
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
        return [w.strip() for w in words.split(",") if w.strip()]
    if spec.kind is FactKind.DATE:
        return dt.date.fromisoformat(words)
    if spec.kind is FactKind.INT:
        return int(words.replace(",", "").replace("_", ""))
    if spec.kind is FactKind.NUMBER:
        return float(words.replace(",", "").replace("£", "").replace("%", ""))
    return words


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
        """The most decisive question not yet asked, or None when nothing is left to ask."""
        for question in next_questions(self.case, self.as_of, self.rules):
            if question.fact not in self.dont_know:
                return question
        return None

    def answer(self, fact: str, value: object) -> None:
        """Record an answer; ``None`` means "don't know" (the fact is not asked again)."""
        if value is None:
            self.dont_know.add(fact)
            return
        self.case = self.case.with_facts({fact: value})

    def save(self, path: str | Path) -> None:
        """Write the answers as a case file; "don't know" answers are kept as "unknown"."""
        data = case_to_dict(self.case)
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
