"""next_questions re-evaluates only the rules an answer can reach: each trial must be exactly
what a full evaluation of the changed case gives, and the questions exactly those that full
evaluations rank."""

from __future__ import annotations

import datetime as dt

import pytest

from formselect.decide import standing
from formselect.engine import Backend, evaluate
from formselect.explain import questions
from formselect.explain.search import quick_standing, try_change
from formselect.pack.model import Pack
from tests.benchmarks.cases import cases


def reference_questions(pack: Pack, case: object, day: dt.date) -> list[tuple[str, float]]:
    """(fact, value) of every question, from a full evaluation of every trial."""
    evaluation = evaluate(pack, case, day, Backend.PYTHON)  # type: ignore[arg-type]
    base, facts = questions._undecided(pack, case, day, evaluation)  # type: ignore[arg-type]
    start = questions.openness(base)
    found = []
    for fact in facts:
        results = [questions.openness(quick_standing(pack, changed, day))
                   for answer in questions._answers(pack, fact)
                   if (changed := try_change(case, {fact: answer})) is not None]  # type: ignore[arg-type]
        if results:
            found.append((fact, round(start - sum(results) / len(results), 4)))
    return sorted(found)


@pytest.mark.parametrize("seed", range(3))
def test_each_trial_is_a_full_evaluation(builtin_pack: Pack, seed: int) -> None:
    """Every answer to every undecided fact, on cases with half their facts unknown: the
    same fired rules and derived facts as evaluating the changed case from scratch, and the
    same openness as its full standing."""
    checked = 0
    for case, day in cases(6, seed=seed, unknown=0.5):
        base = evaluate(builtin_pack, case, day, Backend.COMPILED)
        _, facts = questions._undecided(builtin_pack, case, day, base)
        trials = questions._Trials(builtin_pack, case, day, base)
        for fact in facts:
            for answer in questions._answers(builtin_pack, fact):
                changed = try_change(case, {fact: answer})
                if changed is None:
                    continue
                trial = trials.evaluation(changed, fact)
                full = evaluate(builtin_pack, changed, day, Backend.PYTHON)

                assert (full.fired, dict(full.derived)) == (trial.fired, dict(trial.derived)), \
                    (fact, answer)
                assert questions.openness(standing(builtin_pack, full)) == trials.openness(
                    changed, fact), (fact, answer)
                checked += 1
    assert checked > 50


def test_questions_are_those_of_full_evaluations(builtin_pack: Pack) -> None:
    """The questions and their values are exactly those that full evaluations give."""
    for case, day in cases(3, seed=21, unknown=0.5):
        found = sorted((q.fact, q.value)
                       for q in questions.next_questions(case, day, rules=builtin_pack))

        assert reference_questions(builtin_pack, case, day) == found
