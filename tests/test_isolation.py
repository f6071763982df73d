"""Isolation, determinism and concurrency of ``advise``.

* Two packs in one process each give their own answers, interleaved and on threads.
* A failure while advising one case (an exception inside an engine action, a pack the engine
  refuses, an error in the decision step, an invalid case) never changes the next case's
  result; 1,100 failing evaluations in a row do not exhaust durable_rules' 1,024 live states.
* The same case, pack and date give byte-identical ``advice_to_json`` across runs, across
  fresh interpreters with different hash seeds, and whatever the order and names of the rule
  files.
* 8 threads advising mixed cases (valid and invalid, two packs) get exactly the serial
  results; so do process pools (fork and spawn).

The cases are the reliability scripts' seeded items (tests/reliability/generate.py), so a
failure names an index that ``python -m tests.reliability.fuzz_cases --only N`` replays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from formselect import Advice, advice_to_json, advise, loads_case
from formselect import api as formselect_api
from formselect.api import builtin_pack
from formselect.case.io import case_from_dict
from formselect.conditions.syntax import All, Any_, Compare, Condition
from formselect.engine import Backend, evaluate
from formselect.engine import durable as _durable
from formselect.errors import CaseError, EngineError, FormselectError
from formselect.pack.load import load_pack
from formselect.pack.model import Option, Pack, Reference, Rule
from tests.strategies import literal_hints

from .conftest import BUILTIN_RULES, MINI_PACK, REPO, requires_durable
from .reliability.generate import Item, fuzz_item, valid_case
from .reliability.generate import rng_for as item_rng
from .strategies import as_of_dates, case_dicts

DAY = dt.date(2021, 1, 1)
SEED = 7


@cache
def mini() -> Pack:
    """The mini test pack, loaded once per process."""
    return load_pack(MINI_PACK)


def pack_for(index: int) -> Pack:
    """Items alternate between the built-in pack and the mini pack."""
    return builtin_pack() if index % 2 == 0 else mini()


@cache
def hints() -> dict[str, Any]:
    """Literal hints of the built-in pack (steer cases towards its rules)."""
    return literal_hints(builtin_pack())


def item(index: int) -> Item:
    """Item ``index`` of the seeded mix: valid and invalid cases, as dicts, JSON and TOML."""
    return fuzz_item(SEED, index, hints())


Outcome = Advice | tuple[str, Any]


def outcome(index: int) -> Outcome:
    """What advising on item ``index`` gives: the Advice, or the typed error's content."""
    it = item(index)
    try:
        case: Any = it.data if it.form == "dict" else loads_case(it.text, it.form)
        return advise(case, it.as_of, rules=pack_for(index))
    except CaseError as error:  # as text: a problem may have found NaN, which != NaN
        return ("CaseError", tuple(str(p) for p in error.problems))
    except FormselectError as error:
        return (type(error).__name__, str(error))


def json_outcome(index: int) -> str:
    """The outcome as text: advice_to_json, or the error's problems (picklable, comparable
    byte for byte across processes)."""
    result = outcome(index)
    if isinstance(result, Advice):
        return advice_to_json(result)
    return json.dumps(result)


# --- two packs in one process -------------------------------------------------------------------

def variant_of_mini(folder: Path) -> Pack:
    """The mini pack with one threshold changed: the same rule ids, other answers."""
    shutil.copytree(MINI_PACK, folder)
    facts = folder / "facts.toml"
    facts.write_text(facts.read_text("utf-8").replace(
        "when = 'service.staff_count < 50'", "when = 'service.staff_count < 5'"), "utf-8")
    return load_pack(folder)


class TestTwoPacks:
    """Packs loaded side by side never answer for one another."""

    CASES = ({"ownership": {"employee_pct": 60}, "service": {"staff_count": 10}},
             {"ownership": {"employee_pct": 40, "board_control": "community"},
              "service": {"staff_count": 10}},
             {"money": {"charitable_status": True}, "service": {"staff_count": 3}})

    def test_interleaved_packs_keep_their_answers(self, tmp_path: Path) -> None:
        """Advising in turn with the built-in pack, the mini pack and a variant of it with
        the same rule ids gives, for each, exactly its answers when used alone."""
        variant = variant_of_mini(tmp_path / "variant")
        packs = [builtin_pack(), mini(), variant]
        alone = {p.digest: [advice_to_json(advise(c, DAY, rules=p)) for c in self.CASES]
                 for p in packs}

        mixed: dict[str, list[str]] = {p.digest: [] for p in packs}
        for case in self.CASES:
            for pack in packs * 2:
                mixed[pack.digest].append(advice_to_json(advise(case, DAY, rules=pack)))

        assert {d: [a for a in answers for _ in range(2)] for d, answers in alone.items()} \
            == mixed
        assert "D0-SMALL" in advise(self.CASES[0], DAY, rules=mini()).fired
        assert "D0-SMALL" not in advise(self.CASES[0], DAY, rules=variant).fired

    def test_packs_on_threads(self, tmp_path: Path) -> None:
        """Four threads, each on its own pack (two with the same rule ids), started together,
        get the answers each pack gives alone."""
        variant = variant_of_mini(tmp_path / "variant")
        packs = [builtin_pack(), mini(), variant, builtin_pack()]
        cases = [case_from_dict(valid_case(item_rng(SEED, i))) for i in range(40)]
        alone = [[evaluate(p, c, DAY) for c in cases] for p in packs]
        start = threading.Barrier(len(packs))

        def run(pack: Pack) -> list[Any]:
            """One pack's run, started with the others."""
            start.wait(timeout=30)
            return [evaluate(pack, c, DAY) for c in cases]

        with ThreadPoolExecutor(len(packs)) as pool:
            assert alone == list(pool.map(run, packs))


# --- a failure never changes the next result ---------------------------------------------------

@pytest.fixture(scope="module")
def baseline() -> list[Outcome]:
    """The outcomes of items 0-39, computed before anything fails."""
    return [outcome(i) for i in range(40)]


def fail_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str,
              error: BaseException) -> Callable[[], int]:
    """Make ``target.name`` raise ``error`` on its next call only; returns a call counter."""
    original = getattr(target, name)
    calls = [0]

    def patched(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == 1:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, patched)
    return lambda: calls[0]


class _EngineCalls:
    """durable_rules' C engine with attributes that a test can replace."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def engine_calls(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Put a patchable stand-in for the C engine in front of the adapter (undone after
    the test)."""
    calls = _EngineCalls(_durable._ENGINE)
    monkeypatch.setattr(_durable, "_ENGINE", calls)
    return calls


def refused_by_the_engine() -> Pack:
    """A pack the engine refuses to compile (a condition of 20 nested and/or groups, past
    durable's 32 expression slots: error 113 from create_ruleset), built directly: the
    loader refuses such a condition."""
    condition: Condition = Compare("service.staff_count", "==", 7)
    for depth in range(20):  # alternating groups, so that none flattens into its parent
        group = All if depth % 2 else Any_
        condition = group((condition, Compare("service.staff_count", ">", depth)))
    rule = Rule(id="REFUSED", title="Refused by the engine", when=str(condition),
                condition=condition, explanation="Test.",
                references=(Reference("Test", "p", "https://example.org/"),),
                valid_from=dt.date(2000, 1, 1), favour={"alpha": 1})
    return Pack("refused", "1", (Option("alpha", "form", "Alpha"),), (), (), (rule,),
                "refused-by-engine-113")


class TestFailureIsolation:
    """An exception while advising one case leaves every later result as it was."""

    @requires_durable
    def test_exception_inside_the_engine(self, monkeypatch: pytest.MonkeyPatch,
                                         baseline: list[Outcome]) -> None:
        """A call into the engine that fails midway through a case is an EngineError for
        that case; the next cases give their usual results."""
        calls = fail_once(monkeypatch, engine_calls(monkeypatch), "complete_and_start_action",
                          RuntimeError("boom"))

        with pytest.raises(EngineError, match="the engine failed: boom"):
            advise({"service": {"staff_count": 10}}, DAY)

        assert baseline == [outcome(i) for i in range(40)]
        assert calls() > 100  # the next cases ran through the same (patched) engine

    @requires_durable
    def test_exception_while_chaining_strata(self, monkeypatch: pytest.MonkeyPatch,
                                             baseline: list[Outcome]) -> None:
        """A failure in the step that carries derived facts to the next stage is an
        EngineError; later cases still chain through every stage."""
        original = _durable._DRIVER._assert
        failed = []

        def chain(compiled: Any, fact: str) -> int:
            """Fail the first time a stage-1 fact (a chained one) is asserted."""
            if '"stage": 1' in fact and not failed:
                failed.append(1)
                raise RuntimeError("chaining failed")
            return original(compiled, fact)

        monkeypatch.setattr(_durable._DRIVER, "_assert", chain)

        with pytest.raises(EngineError, match="chaining failed"):
            advise({"ownership": {"employee_pct": 60}, "service": {"staff_count": 10}}, DAY,
                   rules=mini())
        assert failed
        assert baseline == [outcome(i) for i in range(40)]

    @requires_durable
    def test_pack_refused_by_the_engine(self, baseline: list[Outcome]) -> None:
        """A pack the engine refuses is an EngineError each time it is used; other packs
        keep working, before and after."""
        pack = refused_by_the_engine()
        case = case_from_dict({"service": {"staff_count": 50}})

        for _ in range(2):
            with pytest.raises(EngineError, match="the engine rejected rule pack 'refused'"):
                evaluate(pack, case, DAY)
        assert {"REFUSED"} == evaluate(pack, case, DAY, Backend.PYTHON).fired
        assert baseline == [outcome(i) for i in range(40)]

    def test_pack_refused_by_the_engine_does_not_leak(self) -> None:
        """Using a pack the engine refuses again and again does not grow memory (in a child
        process, whose resident memory is measured)."""
        script = textwrap.dedent("""
            import datetime as dt, gc
            from formselect.case.io import case_from_dict
            from formselect.engine import evaluate
            from formselect.errors import EngineError
            from tests.benchmarks.timing import rss_mb
            from tests.test_isolation import refused_by_the_engine

            pack, case = refused_by_the_engine(), case_from_dict({})
            def attempts(n):
                for _ in range(n):
                    try:
                        evaluate(pack, case, dt.date(2021, 1, 1))
                    except EngineError:
                        pass
                gc.collect()
            attempts(20)
            before = rss_mb()
            attempts(300)
            print(rss_mb() - before)
        """)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                timeout=300, cwd=REPO, check=False)
        assert 0 == result.returncode, result.stderr[-2000:]

        assert float(result.stdout.split()[-1]) < 5.0

    def test_exception_in_the_decision_step(self, monkeypatch: pytest.MonkeyPatch,
                                            baseline: list[Outcome]) -> None:
        """An error after the engine ran (in decide) affects that case only."""
        fail_once(monkeypatch, formselect_api, "decide", EngineError("decide failed"))

        with pytest.raises(EngineError, match="decide failed"):
            advise({"service": {"staff_count": 10}}, DAY)
        assert baseline == [outcome(i) for i in range(40)]

    def test_invalid_case_between_valid_ones(self, baseline: list[Outcome]) -> None:
        """Invalid cases advised between valid ones change nothing for the valid ones."""
        results = []
        for i in range(40):
            with pytest.raises(CaseError):
                advise({"ownership": {"employee_pct": 150 + i}}, DAY)
            results.append(outcome(i))

        assert baseline == results

    @requires_durable
    def test_failures_release_their_engine_state(self, monkeypatch: pytest.MonkeyPatch,
                                                 baseline: list[Outcome]) -> None:
        """1,100 evaluations failing inside the engine in a row (more than the 1,024 live
        states durable_rules allows) each release their state: the next cases still run."""
        def boom(handle: int, state: int) -> None:
            """Every call that completes an action fails."""
            raise RuntimeError("boom")

        case = case_from_dict({"service": {"staff_count": 10}})
        monkeypatch.setattr(engine_calls(monkeypatch), "complete_and_start_action", boom)
        failures = 0
        for _ in range(1_100):
            try:
                evaluate(builtin_pack(), case, DAY)
            except EngineError:
                failures += 1
        monkeypatch.undo()

        assert 1_100 == failures
        assert set() == _durable._DRIVER.live
        assert baseline == [outcome(i) for i in range(40)]


# --- determinism --------------------------------------------------------------------------------

class TestDeterminism:
    """The same case, pack and date give byte-identical JSON, wherever and however run."""

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @settings(max_examples=30)
    @given(data=case_dicts(), as_of=as_of_dates)
    def test_repeated_runs(self, data: dict[str, Any], as_of: dt.date) -> None:
        """Advising twice, with other cases advised in between, gives the same bytes."""
        first = advice_to_json(advise(data, as_of))
        outcome(0)
        outcome(1)

        assert first == advice_to_json(advise(data, as_of))

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_fresh_interpreters(self) -> None:
        """Two new interpreters with different hash seeds write the same bytes as this one
        for 24 mixed items (set and dict ordering never leaks into the output)."""
        indices = list(range(24))
        here = [hashlib.sha256(json_outcome(i).encode()).hexdigest() for i in indices]
        script = textwrap.dedent(f"""
            import hashlib, json
            from tests.test_isolation import json_outcome
            print(json.dumps([hashlib.sha256(json_outcome(i).encode()).hexdigest()
                              for i in {indices!r}]))
        """)
        runs = []
        for hash_seed in ("0", "4242"):
            result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                                    text=True, timeout=300, cwd=REPO, check=False,
                                    env={**os.environ, "PYTHONHASHSEED": hash_seed})
            assert 0 == result.returncode, result.stderr[-2000:]
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))

        assert [here, here] == runs

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_rule_file_order_and_names(self, tmp_path: Path) -> None:
        """The built-in rule files copied in reversed order, renamed, partly moved into
        sub-folders, and loaded as two folders given in either order: the same bytes."""
        files = sorted(BUILTIN_RULES.rglob("*.toml"))
        for i, path in enumerate(reversed(files)):
            folder = tmp_path / ("a" if i % 2 else "b") / ("deep/er" if i % 3 == 0 else "")
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, folder / f"{i:02d}_{path.stem.upper()}.toml")
        copies = [load_pack(tmp_path), load_pack(tmp_path / "b", tmp_path / "a"),
                  load_pack(tmp_path / "a", tmp_path / "b")]
        valid = [i for i in range(60) if item(i).valid][:20]

        def run(pack: Pack) -> list[str]:
            """The JSON of each valid item on one pack."""
            return [advice_to_json(advise(item(i).data, item(i).as_of, rules=pack))
                    for i in valid]

        expected = run(builtin_pack())
        assert {builtin_pack().digest} == {p.digest for p in copies}
        assert [expected] * 3 == [run(p) for p in copies]


# --- concurrency --------------------------------------------------------------------------------

def on_threads(indices: Sequence[int], threads: int, work: Callable[[int], Any]) -> list[Any]:
    """``work`` over ``indices`` on ``threads`` threads that start together, in order."""
    start = threading.Barrier(threads)

    def run(chunk: Sequence[int]) -> list[Any]:
        """One thread's share, started with the others."""
        start.wait(timeout=60)
        return [work(i) for i in chunk]

    with ThreadPoolExecutor(threads) as pool:
        shares = list(pool.map(run, [indices[k::threads] for k in range(threads)]))
    ordered: list[Any] = [None] * len(indices)
    for k, share in enumerate(shares):
        ordered[k::threads] = share
    return ordered


def poisoned(index: int) -> Outcome:
    """outcome(), except that items whose index ends in 3 fail inside the engine."""
    if index % 10 == 3:
        try:
            evaluate(pack_for(index), case_from_dict({"service": {"staff_count": 13_013}}), DAY)
        except EngineError as error:
            return ("EngineError", str(error)[:60])
    return outcome(index)


class TestConcurrency:
    """Threads and process pools give exactly the serial results."""

    @pytest.mark.parametrize("count", [
        pytest.param(800, id="800-cases"),
        pytest.param(10_000, id="10000-cases", marks=pytest.mark.slow),
    ])
    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_8_threads(self, count: int) -> None:
        """8 threads advising mixed items (valid and invalid, dicts, JSON and TOML, the
        built-in and the mini pack) get exactly the serial outcomes."""
        indices = list(range(count))
        serial = [outcome(i) for i in indices]

        assert serial == on_threads(indices, 8, outcome)
        assert {"advice", "error"} == {"advice" if isinstance(o, Advice) else "error"
                                       for o in serial}

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @requires_durable
    def test_8_threads_with_failures(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """While some threads' evaluations fail inside the engine, the others' results are
        exactly the serial ones."""
        indices = list(range(200))
        expected = [outcome(i) for i in indices]
        original = _durable._DRIVER._assert

        def poison(compiled: Any, fact: str) -> int:
            """Fail every case with 13,013 staff (the poisoned items)."""
            if '"service__staff_count": 13013000' in fact:
                raise RuntimeError("poisoned")
            return original(compiled, fact)

        monkeypatch.setattr(_durable._DRIVER, "_assert", poison)
        results = on_threads(indices, 8, poisoned)

        assert [("EngineError", "the engine failed: poisoned")] * 20 == [
            results[i] for i in indices if i % 10 == 3]
        assert [expected[i] for i in indices if i % 10 != 3] == [
            results[i] for i in indices if i % 10 != 3]

    @pytest.mark.parametrize(("method", "count"), [
        pytest.param("fork", 160, id="fork"),
        pytest.param("spawn", 60, id="spawn"),
        pytest.param("fork", 2_000, id="fork-2000", marks=pytest.mark.slow),
        pytest.param("spawn", 2_000, id="spawn-2000", marks=pytest.mark.slow),
    ])
    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_process_pool(self, method: str, count: int) -> None:
        """A 2-worker process pool writes the same bytes as this process, item by item."""
        indices = list(range(count))
        serial = [json_outcome(i) for i in indices]
        context = multiprocessing.get_context(method)

        with ProcessPoolExecutor(2, mp_context=context) as pool:
            assert serial == list(pool.map(json_outcome, indices, chunksize=10))
