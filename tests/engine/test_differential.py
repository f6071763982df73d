"""Every engine against every other on random cases, on every test run: the durable_rules
engine (where it imports), the compiled evaluator and the three-valued evaluator must agree
on the rules that fire and on the whole advice, byte for byte as JSON.

The large runs (100,000 cases and more) are ``python -m tests.reliability.oracle``.
"""

from __future__ import annotations

import pickle

import pytest

from formselect import advice_to_json, advise
from formselect.engine import Backend, evaluate
from formselect.pack.model import Pack
from tests.benchmarks.cases import cases
from tests.conftest import AVAILABLE_BACKENDS

SEEDS = range(4)


@pytest.mark.parametrize("seed", SEEDS)
def test_engines_agree_on_random_cases(builtin_pack: Pack, seed: int) -> None:
    """100 generated cases per seed (a quarter of the facts unknown, dates 2006-2030): the
    same fired rules, derived facts and fact view from every engine."""
    disagreements = []
    for case, day in cases(100, seed=seed):
        python = evaluate(builtin_pack, case, day, Backend.PYTHON)
        for backend in AVAILABLE_BACKENDS:
            other = evaluate(builtin_pack, case, day, backend)
            if other != python:
                disagreements.append((backend, day, sorted(other.fired ^ python.fired)))

    assert [] == disagreements


@pytest.mark.slow  # a long property run: in the full suite (CI)
@pytest.mark.parametrize("seed", SEEDS)
def test_engines_give_the_same_advice(builtin_pack: Pack, seed: int) -> None:
    """25 generated cases per seed: the advice of every engine is the same JSON, and each
    names the engine that made it."""
    for case, day in cases(25, seed=100 + seed):
        advices = {b: advise(case, day, rules=builtin_pack, backend=b)
                   for b in AVAILABLE_BACKENDS}
        texts = {b: advice_to_json(a) for b, a in advices.items()}

        assert 1 == len(set(texts.values())), day
        assert {str(b): str(b) for b in advices} == {str(b): a.engine
                                                     for b, a in advices.items()}


def test_the_lazy_trace_is_the_eager_trace(builtin_pack: Pack) -> None:
    """The trace built on first access holds exactly what a trace built at once holds:
    read step by step out of order, whole, pickled and written as JSON, it is the same."""
    for case, day in cases(10, seed=9):
        advice = advise(case, day, rules=builtin_pack, backend="python")
        fresh = advise(case, day, rules=builtin_pack, backend="python")
        backwards = [fresh.trace[i] for i in reversed(range(len(fresh.trace)))][::-1]

        assert tuple(advice.trace) == tuple(backwards)
        assert advice.fired == tuple(s.rule_id for s in advice.trace
                                     if s.outcome.value == "fired")
        assert tuple(advice.trace) == pickle.loads(pickle.dumps(advice)).trace
        rule_id = advice.trace[-1].rule_id
        assert advice.step(rule_id) == advise(case, day, rules=builtin_pack).step(rule_id)
