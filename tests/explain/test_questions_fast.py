"""next_questions tries its answers on the base case's fact view, without building a case
for each: the questions, their order and their values must be exactly those of the
straightforward computation, which builds and validates every changed case and advises on
it from scratch."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formselect.case.io import case_from_dict
from formselect.case.model import Case
from formselect.case.vocabulary import case_facts
from formselect.conditions.compiled import rule_tests
from formselect.conditions.kleene import truth
from formselect.decide import standing
from formselect.engine import Backend, evaluate
from formselect.errors import CaseError
from formselect.explain import questions
from formselect.explain.questions import Question, next_questions, openness
from formselect.explain.trials import Trials, plan_for
from formselect.pack.model import Pack
from tests.strategies import as_of_for, cases, literal_hints


def straightforward(pack: Pack, case: Case, day: dt.date) -> tuple[Question, ...]:
    """The questions as defined: every answer applied with ``Case.with_facts`` (skipped
    when the case refuses it), advised on from scratch, and its standing's openness."""
    evaluation = evaluate(pack, case, day, Backend.COMPILED)
    facts: dict[str, list[str]] = {}
    for rule in pack.rules:
        if rule.id in evaluation.fired or not rule.in_force(day):
            continue
        if truth(rule.condition, evaluation.view) is None:  # the three-valued oracle
            for fact in rule.facts:
                if "." in fact and case.get(fact) is None:
                    facts.setdefault(fact, []).append(rule.id)
    start = openness(standing(pack, evaluation))
    found = []
    for fact, rule_ids in facts.items():
        results = []
        for answer in questions._answers(pack, fact):
            try:
                changed = case.with_facts({fact: answer})
            except (CaseError, TypeError, ValueError):
                continue
            results.append(openness(standing(pack, evaluate(pack, changed, day,
                                                            Backend.COMPILED))))
        if results:
            spec = case_facts()[fact]
            found.append(Question(fact, spec.question, questions._answer_words(fact),
                                  str(spec.kind), round(start - sum(results) / len(results), 4),
                                  tuple(rule_ids)))
    order = list(case_facts())
    found.sort(key=lambda q: (-q.value, -len(q.rules), order.index(q.fact)))
    return tuple(found)


@st.composite
def cases_and_days(draw: st.DrawFn, pack: Pack) -> tuple[Case, dt.date]:
    """A case with few to most facts unknown, near the pack's thresholds, and a date often
    on a rule's validity boundary."""
    hints = literal_hints(pack)
    known = draw(st.integers(0, 2))
    return draw(cases(hints=hints, known=known)), draw(as_of_for(hints))


@settings(max_examples=60)
@given(data=st.data())
def test_the_same_questions_as_the_straightforward_computation(builtin_pack: Pack,
                                                               data: Any) -> None:
    case, day = data.draw(cases_and_days(builtin_pack))

    assert straightforward(builtin_pack, case, day) == next_questions(case, day,
                                                                      rules=builtin_pack)


def accepted(case: Case, fact: str, answer: object) -> bool:
    try:
        case.with_facts({fact: answer})
    except (CaseError, TypeError, ValueError):
        return False
    return True


@pytest.mark.parametrize("data", [
    # stakes near 100%: a stake answered above what is left is refused
    {"ownership": {"employee_pct": 60.0, "community_pct": 30.0}},
    # all profit reinvested: investors cannot be paid
    {"money": {"profit_distribution": "reinvest_all"}},
    # no staff transfer: a compulsory transfer is refused
    {"transfer": {"staff_transfer": False}},
    # and the other way round
    {"transfer": {"compulsory_transfer": True},
     "money": {"investor_payout_pct": 10.0}},
])
def test_admissible_answers_are_those_the_case_accepts(builtin_pack: Pack,
                                                       data: dict[str, Any]) -> None:
    """For every unknown fact with answers to try, exactly the answers ``with_facts``
    accepts, in order; and on each of these cases some answer is refused."""
    case = case_from_dict(data)
    day = dt.date(2025, 6, 1)
    plan = plan_for(builtin_pack)
    trials = Trials(plan, case, day, evaluate(builtin_pack, case, day, Backend.COMPILED))
    refused = 0
    for fact in case_facts():
        if case.get(fact) is not None:
            continue
        given = questions._answers(builtin_pack, fact)
        answers = plan.answers(fact, partial(questions._answers, builtin_pack, fact))
        expected = [a for a in given if accepted(case, fact, a)]

        assert expected == [a.given for a in trials.admissible(fact, answers)], fact
        refused += len(given) - len(expected)
    assert refused > 0


def test_generated_rule_tests_hold_no_rule_text(builtin_pack: Pack) -> None:
    """The trials' conditions are generated like the engine's: generated names, rule
    positions, operators and keywords only."""
    allowed = re.compile(r"def|and|or|not|in|is|None|return|g|x|rule_\d+|_v\d+|\d+|:=|==|!=|"
                         r"<=|>=|[<>=().:,\[\]]")
    _, source = rule_tests([rule.condition for rule in builtin_pack.rules])
    tokens = re.findall(r"\w+|:=|==|!=|<=|>=|\S", source)

    assert [] == [t for t in tokens if not allowed.fullmatch(t)]
    assert "ownership" not in source
