"""formselect benchmark suite (issue 6): measurement, side by side, reported as ratios.

    python -m tests.benchmarks                 # quick mode (under five minutes)
    python -m tests.benchmarks --soak          # soak mode: 1,000,000 cases for memory
    python -m tests.benchmarks --smoke         # a tiny run that checks the suite works
    python -m tests.benchmarks --json out.json --profile /tmp/prof

See tests/benchmarks/README.md for what each figure measures and how to read it.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import math
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

import formselect
from formselect import advise, assess, next_questions
from formselect.api import builtin_pack, version
from formselect.case.model import Case
from formselect.decide import decide
from formselect.engine import Backend, evaluate
from formselect.engine.durable import engine_message
from formselect.engine.view import case_view
from formselect.pack.model import Pack

from .cases import cases, cases_with_unknowns
from .raw import RawEngine
from .timing import calibrate, interleave, percentile

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
NQ_AS_OF = dt.date(2025, 6, 1)
COLD_CASE = REPO / "examples" / "epic_cic_kensington.toml"
SECTIONS = {1: "engine path vs floor vs raw engine", 2: "full advise latency",
            3: "next_questions, ten unknown facts", 4: "batch throughput",
            5: "cold start", 6: "resident memory", 7: "scaling with rule count"}


@attrs.frozen
class Sizes:
    """How much work each section does in a mode."""

    cases: int  # distinct cases for sections 1 and 2
    rounds: int  # passes over them in section 1
    advise: int  # advise calls timed in section 2
    questions: int  # next_questions calls in section 3
    batch: int  # cases per batch run in section 4
    cold: int  # fresh processes in section 5
    memory: int  # cases in the memory run of section 6
    memory_budget: float  # seconds; the memory run stops early past it (0 = never)
    scaling: tuple[int, ...]  # rule counts in section 7
    scaling_cases: int
    profile: int  # calls profiled (--profile)


MODES = {
    "smoke": Sizes(cases=40, rounds=1, advise=60, questions=2, batch=300, cold=2,
                   memory=1_000, memory_budget=30, scaling=(50, 500), scaling_cases=20,
                   profile=30),
    "quick": Sizes(cases=400, rounds=2, advise=1_500, questions=8, batch=2_000, cold=7,
                   memory=100_000, memory_budget=90, scaling=(50, 500, 3_000),
                   scaling_cases=150, profile=300),
    "soak": Sizes(cases=2_000, rounds=3, advise=10_000, questions=30, batch=20_000, cold=15,
                  memory=1_000_000, memory_budget=0, scaling=(50, 500, 3_000),
                  scaling_cases=1_000, profile=2_000),
}


@attrs.define
class Row:
    """One figure of the results table."""

    section: int
    figure: str
    value: float
    unit: str
    ratio: str = ""  # the figure relative to another measured in the same run
    target: str = ""
    met: bool | None = None  # None: no target
    note: str = ""

    def shown(self) -> str:
        """The value with its unit, rounded for the table."""
        if math.isnan(self.value):  # not measured
            return "n/a"
        if self.unit == "cases/s":
            return f"{self.value:,.0f} {self.unit}"
        if self.unit == "×":
            return f"{self.value:.2f}×"
        digits = 3 if abs(self.value) < 10 else 1
        return f"{self.value:,.{digits}f} {self.unit}"


@attrs.define
class Report:
    """Every row and the details behind them."""

    mode: str
    rows: list[Row] = attrs.Factory(list)
    details: dict[str, Any] = attrs.Factory(dict)

    def add(self, *rows: Row) -> None:
        """Add rows and print them as they come."""
        for row in rows:
            self.rows.append(row)
            print(f"  [{row.section}] {row.figure}: {row.shown()}"
                  + (f"  ({row.ratio})" if row.ratio else ""), flush=True)


def _ms(seconds: float) -> float:
    return seconds * 1000


def _us(seconds: float) -> float:
    return seconds * 1e6


def _verdict(value: float, limit: float, *, at_most: bool = True) -> bool | None:
    if math.isnan(value):
        return None
    return value <= limit if at_most else value >= limit


# --- 1. engine path vs floor vs raw engine --------------------------------------------------

def engine_vs_raw(report: Report, pack: Pack, sizes: Sizes) -> None:
    """Engine path, floor and raw engine on the same cases, interleaved."""
    items = cases(sizes.cases, seed=1)
    views = [case_view(c, a, pack.cpv_lists) for c, a in items]
    messages = [engine_message(v) for v in views]
    evaluations = [evaluate(pack, c, a) for c, a in items]  # also compiles the pack
    floor_disagrees = sum(evaluate(pack, c, a, Backend.PYTHON).fired != e.fired
                          for (c, a), e in zip(items, evaluations, strict=True))
    recorder = RawEngine(pack, record=True)
    raw_disagrees = 0
    for message, evaluation in zip(messages, evaluations, strict=True):
        recorder.run(message)
        raw_disagrees += frozenset(recorder.fired) != evaluation.fired
    raw = RawEngine(pack)
    timings = interleave({
        "engine": lambda i: evaluate(pack, *items[i], Backend.DURABLE),
        "compiled": lambda i: evaluate(pack, *items[i], Backend.COMPILED),
        "floor": lambda i: evaluate(pack, *items[i], Backend.PYTHON),
        "raw": lambda i: raw.run(messages[i]),
    }, len(items), rounds=sizes.rounds, chunk=20)
    engine_raw = timings.ratio("engine", "raw")
    low, high = timings.spread("engine", "raw")
    fired = statistics.mean(len(e.fired) for e in evaluations)
    report.add(
        Row(1, "engine path p50 (formselect.engine.evaluate, durable)",
            _us(timings.p("engine", 50)), "µs", f"{engine_raw:.2f}× raw engine "
            f"(10-90%: {low:.2f}-{high:.2f})", "≤ 0.5× raw engine",
            _verdict(engine_raw, 0.5)),
        Row(1, "raw engine p50 (same rules through durable's Host, no-op actions)",
            _us(timings.p("raw", 50)), "µs",
            f"{timings.ratio('raw', 'floor'):.1f}× floor"),
        Row(1, "compiled evaluator p50 (Backend.COMPILED, the engine on 3.13+)",
            _us(timings.p("compiled", 50)), "µs",
            f"{timings.ratio('compiled', 'raw'):.2f}× raw engine; "
            f"{timings.ratio('compiled', 'floor'):.2f}× floor"),
        Row(1, "floor p50 (pure-Python evaluator, Backend.PYTHON)",
            _us(timings.p("floor", 50)), "µs",
            f"engine = {timings.ratio('engine', 'floor'):.1f}× floor"),
    )
    phases = _engine_phases(pack, items, views, messages, evaluations)
    for name, (seconds, share) in phases.items():
        report.add(Row(1, f"  engine path phase: {name} p50", _us(seconds), "µs",
                       f"{share:.0%} of the engine path"))
    report.details["engine_vs_raw"] = {
        "cases": len(items), "rounds": sizes.rounds, "fired_per_case": fired,
        "engine_p50_us": _us(timings.p("engine", 50)),
        "engine_p99_us": _us(timings.p("engine", 99)),
        "raw_p50_us": _us(timings.p("raw", 50)), "raw_p99_us": _us(timings.p("raw", 99)),
        "floor_p50_us": _us(timings.p("floor", 50)),
        "floor_p99_us": _us(timings.p("floor", 99)),
        "compiled_p50_us": _us(timings.p("compiled", 50)),
        "engine_over_raw": engine_raw, "engine_over_raw_p10_p90": [low, high],
        "engine_over_floor": timings.ratio("engine", "floor"),
        "raw_over_floor": timings.ratio("raw", "floor"),
        "phases_p50_us": {k: _us(v) for k, (v, _) in phases.items()},
        "phases_share_of_engine": {k: share for k, (_, share) in phases.items()},
        "floor_disagreements": floor_disagrees, "raw_disagreements": raw_disagrees,
        "firings_per_case_incl_stage_rules": fired + pack.strata,
        "us_per_firing_raw": _us(timings.p("raw", 50)) / (fired + pack.strata),
    }


def _engine_phases(pack: Pack, items: Sequence[tuple[Case, dt.date]],
                   views: Sequence[dict[str, object]], messages: Sequence[dict[str, object]],
                   evaluations: Sequence[Any]) -> dict[str, tuple[float, float]]:
    """The parts of formselect.engine.evaluate(DURABLE): (p50, share of the engine path),
    each part interleaved with the whole."""
    from formselect import engine
    from formselect.engine import durable as _durable

    finish = getattr(engine, "_finish", None)
    fired = [list(e.fired) for e in evaluations]
    variants: dict[str, Callable[[int], object]] = {
        "engine": lambda i: evaluate(pack, *items[i]),
        "case_view": lambda i: case_view(*items[i], pack.cpv_lists),
        "engine_message": lambda i: engine_message(views[i]),
        "_durable.run (engine + adapter + actions)": lambda i: _durable.run(pack, messages[i]),
    }
    if finish is not None:
        variants["_finish (merge derivations, Evaluation)"] = \
            lambda i: finish(pack, fired[i], views[i], "durable")
    timings = interleave(variants, len(items), chunk=20)
    return {k: (timings.p(k, 50), timings.ratio(k, "engine")) for k in variants
            if k != "engine"}


# --- 2. advise ---------------------------------------------------------------------------

def advise_latency(report: Report, pack: Pack, sizes: Sizes) -> None:
    """Full advise (trace and why-not included) p50/p99, with the engine path alongside."""
    items = cases(sizes.cases, seed=2)
    evaluations = [evaluate(pack, c, a) for c, a in items]
    n = sizes.advise
    k = len(items)
    the_version = version()
    timings = interleave({
        "advise": lambda i: advise(items[i % k][0], items[i % k][1], rules=pack),
        "assess": lambda i: assess(items[i % k][0], items[i % k][1], rules=pack),
        "advise_compiled": lambda i: advise(items[i % k][0], items[i % k][1], rules=pack,
                                            backend=Backend.COMPILED),
        "assess_compiled": lambda i: assess(items[i % k][0], items[i % k][1], rules=pack,
                                            backend=Backend.COMPILED),
        "engine": lambda i: evaluate(pack, *items[i % k]),
        "decide": lambda i: decide(pack, items[i % k][0], items[i % k][1],
                                   evaluations[i % k], formselect_version=the_version),
        "version": lambda i: version(),
    }, n, chunk=25)
    p50, p99 = timings.p("advise", 50), timings.p("advise", 99)
    report.add(
        Row(2, "advise p50 (full Advice: ranking, routes, certainty, trace)", _ms(p50), "ms",
            f"{timings.ratio('advise', 'engine'):.2f}× engine path; "
            f"{p50 / 1e-3:.1f}× target", "≤ 1 ms", _verdict(p50, 1e-3)),
        Row(2, "advise p99", _ms(p99), "ms", f"{p99 / p50:.2f}× p50"),
        Row(2, "assess p50 (the outcome without the trace), default engine",
            _ms(timings.p("assess", 50)), "ms",
            f"{timings.p('assess', 50) / 0.25e-3:.2f}× target; engine path "
            f"{timings.p('engine', 50) / 0.25e-3:.2f}× target", "≤ 0.25 ms",
            _verdict(timings.p("assess", 50), 0.25e-3)),
        Row(2, "advise p50, compiled engine (the default on 3.13+)",
            _ms(timings.p("advise_compiled", 50)), "ms",
            f"{timings.p('advise_compiled', 50) / 1e-3:.2f}× target", "≤ 1 ms",
            _verdict(timings.p("advise_compiled", 50), 1e-3)),
        Row(2, "assess p50, compiled engine (what batches and grids run)",
            _ms(timings.p("assess_compiled", 50)), "ms",
            f"{timings.p('assess_compiled', 50) / 0.25e-3:.2f}× target", "≤ 0.25 ms",
            _verdict(timings.p("assess_compiled", 50), 0.25e-3)),
        Row(2, "  advise part: decide() p50 (everything after evaluate)",
            _ms(timings.p("decide", 50)), "ms",
            f"{timings.p('decide', 50) / p50:.0%} of advise"),
        Row(2, "  advise part: formselect.version() p50 (called by every advise)",
            _ms(timings.p("version", 50)), "ms",
            f"{timings.p('version', 50) / p50:.0%} of advise"),
    )
    report.details["advise"] = {
        "calls": n, "distinct_cases": k, "p50_ms": _ms(p50), "p90_ms":
        _ms(timings.p("advise", 90)), "p99_ms": _ms(p99),
        "max_ms": _ms(max(timings.calls["advise"])),
        "engine_p50_ms": _ms(timings.p("engine", 50)),
        "assess_p50_ms": _ms(timings.p("assess", 50)),
        "advise_compiled_p50_ms": _ms(timings.p("advise_compiled", 50)),
        "assess_compiled_p50_ms": _ms(timings.p("assess_compiled", 50)),
        "decide_p50_ms": _ms(timings.p("decide", 50)),
        "version_p50_ms": _ms(timings.p("version", 50)),
        "advise_over_engine": timings.ratio("advise", "engine"),
        "serial_cases_per_s": n / sum(timings.calls["advise"]),
    }


# --- 3. next_questions -------------------------------------------------------------------

def questions(report: Report, pack: Pack, sizes: Sizes) -> None:
    """next_questions on a case with exactly ten unknown facts, the pack's most-read ones."""
    reads = Counter(f for r in pack.rules for f in r.facts if "." in f)
    prefer = [f for f, _ in reads.most_common()]
    case = cases_with_unknowns(10, prefer)
    unknown = [n for n in formselect.case_facts() if case.get(n) is None]
    result = next_questions(case, NQ_AS_OF, rules=pack)  # warm
    times = []
    for _ in range(sizes.questions):
        t0 = time.perf_counter()
        next_questions(case, NQ_AS_OF, rules=pack)
        times.append(time.perf_counter() - t0)
    advise_times = []
    for _ in range(sizes.questions):
        t0 = time.perf_counter()
        advise(case, NQ_AS_OF, rules=pack)
        advise_times.append(time.perf_counter() - t0)
    p50 = percentile(times, 50)
    report.add(Row(3, f"next_questions p50 (10 unknown facts, {len(result)} questions "
                      "returned)", _ms(p50), "ms",
                   f"{p50 / percentile(advise_times, 50):.1f}× advise on the same case; "
                   f"{p50 / 0.01:.2f}× target", "≤ 10 ms", _verdict(p50, 0.01)))
    report.details["next_questions"] = {
        "calls": len(times), "p50_ms": _ms(p50), "max_ms": _ms(max(times)),
        "unknown_facts": unknown, "questions": [q.fact for q in result],
        "advise_same_case_p50_ms": _ms(percentile(advise_times, 50)), "as_of": str(NQ_AS_OF)}


# --- 4. batch ----------------------------------------------------------------------------

def batch(report: Report, pack: Pack, sizes: Sizes) -> None:
    """Cases per second through formselect.batch.run.advise_many on 1 and 2 processes."""
    items = [c.with_facts({"procurement.start_date": a}) for c, a in cases(sizes.batch, 4)]
    advise_many: Callable[..., Any] | None
    try:
        from formselect.batch.run import advise_many
    except ImportError:  # being written by another engineer: measure our own pool instead
        advise_many = None
    capacity = _parallel_capacity()
    runs: dict[int, dict[str, Any]] = {}
    for processes in (1, 2):
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        if advise_many is not None:
            result = advise_many(items, processes=processes, progress=False)
            errors = len(result.errors)
            how = "formselect.batch.run.advise_many"
        else:
            errors = _own_pool(items, processes)
            how = "own ProcessPoolExecutor over formselect.advise (advise_many missing)"
        seconds = time.perf_counter() - t0
        cores = (_cpu_seconds() - cpu0) / seconds
        runs[processes] = {"cases": len(items), "seconds": seconds, "errors": errors,
                           "cases_per_s": len(items) / seconds, "how": how,
                           "cores_used": cores, "cases_per_cpu_second":
                           len(items) / (_cpu_seconds() - cpu0)}
    one, two = runs[1]["cases_per_s"], runs[2]["cases_per_s"]
    per_cpu = runs[2]["cases_per_cpu_second"]
    busy = (f"a parallel probe just before found {capacity:.2f} of {os.cpu_count()} cores "
            f"free, and the run got {runs[2]['cores_used']:.2f}; at its {per_cpu:.0f} cases "
            f"per CPU-second, 2 free cores would give about {2 * per_cpu:.0f} cases/s")
    serial = report.details.get("advise", {}).get("serial_cases_per_s", float("nan"))
    report.add(
        Row(4, "batch throughput, 1 process", one, "cases/s",
            f"{one / serial:.2f}× a plain advise loop" if not math.isnan(serial) else ""),
        Row(4, "batch throughput, 2 processes", two, "cases/s",
            f"{two / one:.2f}× 1 process; {two / 5000:.3f}× target (2 × the 1-process "
            f"rate would be {2 * one / 5000:.3f}×)", "≥ 5,000 cases/s",
            _verdict(two, 5000, at_most=False),
            note=f"{len(items):,} cases per run, pool start-up included; {busy}"),
    )
    report.details["batch"] = {"runs": runs, "speedup_2_over_1": two / one,
                               "cpu_count": os.cpu_count(), "free_cores_probe": capacity}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _burn(_: int) -> float:
    t0 = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i % 7
    return time.perf_counter() - t0


def _parallel_capacity() -> float:
    """About how many cores are free now: a CPU-bound loop on 1 and on 2 processes."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_burn, [0, 0]))  # start both workers
        t0 = time.perf_counter()
        pool.submit(_burn, 0).result()
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        list(pool.map(_burn, [0, 0]))
        two = time.perf_counter() - t0
    return 2 * one / two


def _pool_init() -> None:
    builtin_pack()


def _pool_chunk(chunk: list[Case]) -> int:
    return sum(advise(c).status is None for c in chunk)


def _own_pool(items: list[Case], processes: int) -> int:
    from concurrent.futures import ProcessPoolExecutor

    chunks = [items[i:i + 200] for i in range(0, len(items), 200)]
    with ProcessPoolExecutor(processes, initializer=_pool_init) as pool:
        return sum(pool.map(_pool_chunk, chunks))


# --- 5. cold start -----------------------------------------------------------------------

COLD_SCRIPT = """
import time
t0 = time.perf_counter()
import formselect
t1 = time.perf_counter()
pack = formselect.builtin_pack()
t2 = time.perf_counter()
try:  # the ruleset of the first advice's date
    import datetime
    from formselect.engine import durable as _durable
    _durable._DRIVER.compiled(pack, datetime.date(2025, 6, 1).toordinal())
except AttributeError:
    pass
t3 = time.perf_counter()
case = formselect.load_case({case!r})
t4 = time.perf_counter()
formselect.advise(case, as_of="2025-06-01", rules=pack)
t5 = time.perf_counter()
formselect.advise(case, as_of="2025-06-01", rules=pack)
t6 = time.perf_counter()
import json
print(json.dumps({{"import": t1 - t0, "load_pack": t2 - t1, "compile": t3 - t2,
                  "read_case": t4 - t3, "first_advice": t5 - t4, "second_advice": t6 - t5,
                  "total": t5 - t0}}))
"""


def _python(*args: str, cache: Path | None = None) -> tuple[float, str]:
    """Run a fresh interpreter from the repository; (wall seconds, its output).

    ``cache``: a folder for the bytecode cache (``PYTHONPYCACHEPREFIX``), so that modules
    are not recompiled on every start even where ``PYTHONDONTWRITEBYTECODE`` is set, as an
    installed package would be; None leaves the environment as it is.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, check=True)
    return time.perf_counter() - t0, done.stdout + done.stderr


def _cold_runs(script: str, runs: int, cache: Path | None) -> tuple[dict[str, float], float]:
    inside: list[dict[str, float]] = []
    walls = []
    for _ in range(runs):
        wall, out = _python("-c", script, cache=cache)
        walls.append(wall)
        inside.append(json.loads(out.strip().splitlines()[-1]))
    phases = {k: statistics.median(d[k] for d in inside) for k in inside[0]}
    return phases, statistics.median(walls)


def cold_start(report: Report, pack: Pack, sizes: Sizes) -> None:
    """Fresh processes: import, load the built-in pack, compile, first advice."""
    script = COLD_SCRIPT.format(case=str(COLD_CASE))
    with tempfile.TemporaryDirectory(prefix="formselect-pyc-") as tmp:
        cache = Path(tmp)
        _python("-c", script, cache=cache)  # fills the bytecode cache
        bare = statistics.median(_python("-c", "pass", cache=cache)[0] for _ in range(3))
        phases, wall = _cold_runs(script, sizes.cold, cache)
        _, imports = _python("-X", "importtime", "-c", "import formselect", cache=cache)
    uncached, _ = _cold_runs(script, max(2, sizes.cold // 3), None)
    total = phases["total"]
    report.add(Row(5, "cold start: import + load pack + compile + first advice (median)",
                   _ms(total), "ms", f"{total / 0.150:.2f}× target; whole process "
                   f"{_ms(wall):.0f} ms = {wall / bare:.1f}× bare python", "≤ 150 ms",
                   _verdict(total, 0.150), note="bytecode cached, as for an installed "
                   "package"))
    for name in ("import", "load_pack", "compile", "read_case", "first_advice",
                 "second_advice"):
        report.add(Row(5, f"  cold start phase: {name}", _ms(phases[name]), "ms",
                       f"{phases[name] / total:.0%} of cold start"
                       if name != "second_advice" else "warm, for comparison"))
    report.add(Row(5, "  cold start without a bytecode cache (this environment sets "
                      "PYTHONDONTWRITEBYTECODE)", _ms(uncached["total"]), "ms",
                   f"{uncached['total'] / total:.2f}× cached; import "
                   f"{_ms(uncached['import']):.0f} ms"))
    report.details["cold_start"] = {
        "runs": sizes.cold, "phases_median_ms": {k: _ms(v) for k, v in phases.items()},
        "uncached_phases_median_ms": {k: _ms(v) for k, v in uncached.items()},
        "process_wall_median_ms": _ms(wall), "bare_python_ms": _ms(bare),
        "top_imports": _top_imports(imports), "case": str(COLD_CASE)}


def _top_imports(text: str, n: int = 15) -> dict[str, list[tuple[str, int]]]:
    """The modules with the most import time (µs), by own time and by cumulative time."""
    rows = []
    for line in text.splitlines():
        if line.startswith("import time:") and "|" in line:
            parts = [p.strip() for p in line[len("import time:"):].split("|")]
            if parts[0].isdigit():
                rows.append((parts[2], int(parts[0]), int(parts[1])))
    own = sorted(rows, key=lambda r: -r[1])[:n]
    cumulative = sorted(rows, key=lambda r: -r[2])[:n]
    return {"self_us": [(m, s) for m, s, _ in own],
            "cumulative_us": [(m, c) for m, _, c in cumulative]}


# --- 6. memory ---------------------------------------------------------------------------

def memory(report: Report, pack: Pack, sizes: Sizes) -> None:
    """Resident memory over a long run of full advise, in a fresh process."""
    _, out = _python("-m", "tests.benchmarks.workers", "memory", "--cases", str(sizes.memory),
                     "--budget", str(sizes.memory_budget), "--warmup",
                     str(min(2_000, sizes.memory)))
    data = json.loads(out.strip().splitlines()[-1])
    growth = data["growth_mb"]
    projected = data["slope_mb_per_100k"] * sizes.memory / 100_000
    early = bool(data["stopped_early"])
    reached = f"{data['cases']:,} of {sizes.memory:,} cases"
    if early:
        reached += f", stopped at the {sizes.memory_budget:.0f} s budget"
    report.add(
        Row(6, f"RSS growth over the run ({reached})", growth, "MB",
            f"{growth / 5:.2f}× the 5 MB allowance; start {data['rss_start_mb']:.1f} MB, "
            f"peak {data['rss_peak_mb']:.1f} MB", "≤ 5 MB",
            None if early else _verdict(growth, 5.0),
            note=f"full advise on fresh generated cases (every case different), "
            f"{data['cases_per_second']:.0f} cases/s including generation, after "
            f"{data['warmup']:,} warm-up cases; RSS sampled after gc.collect()"),
        Row(6, f"RSS growth projected to {sizes.memory:,} cases (least-squares trend)",
            projected, "MB", f"{data['slope_mb_per_100k']:.2f} MB per 100k cases; Python "
            f"allocated blocks {data['blocks_growth']:+,} over the run",
            "≤ 5 MB" if early else "", _verdict(projected, 5.0) if early else None,
            note="a projection from a shorter run: a trend, not a measurement"
            if early else ""),
    )
    report.details["memory"] = data


# --- 7. scaling --------------------------------------------------------------------------

def scaling(report: Report, pack: Pack, sizes: Sizes) -> None:
    """Generated packs of growing size: per-case time of the engine and the floor."""
    results: dict[int, dict[str, Any]] = {}
    for rules in sizes.scaling:
        try:
            _, out = _python("-m", "tests.benchmarks.workers", "scale", "--rules", str(rules),
                             "--cases", str(sizes.scaling_cases))
        except subprocess.CalledProcessError as exc:
            last = (exc.stderr or exc.stdout or "").strip().splitlines()[-1:]
            report.add(Row(7, f"{rules:,} rules: FAILED", float("nan"), "",
                           f"exit {exc.returncode}: {' '.join(last)}"[:200]))
            continue
        results[rules] = data = json.loads(out.strip().splitlines()[-1])
        engine = data.get("engine_p50_us", float("nan"))
        floor = data["floor_p50_us"]
        raw = data.get("raw_p50_us", float("nan"))
        extra = (f"engine FAILED: {data['engine_error']}" if "engine_error" in data else
                 f"{engine / floor:.2f}× floor; raw engine {raw:,.0f} µs")
        report.add(Row(7, f"{rules:,} rules: engine path p50 "
                          f"({data['fired_per_case']:.1f} rules fire per case)", engine, "µs",
                       extra),
                   Row(7, f"{rules:,} rules: floor p50", floor, "µs",
                       f"load {data['load_s']:.2f} s, compile "
                       f"{data.get('compile_s', float('nan')):.2f} s"))
    small, big = min(results), max(results)
    for name, label in (("engine", "engine path"), ("compiled", "compiled evaluator"),
                        ("floor", "floor"), ("raw", "raw engine")):
        low = results[small].get(f"{name}_p50_us", float("nan"))
        high = results[big].get(f"{name}_p50_us", float("nan"))
        ratio = high / low
        fits = [n for n in results if f"{name}_p50_us" in results[n]]
        largest = max(fits) if fits else small
        note = ""
        if math.isnan(ratio) and largest != small:
            ratio_fit = results[largest][f"{name}_p50_us"] / low
            note = (f"cannot run {big:,} rules; {largest:,} rules = {ratio_fit:.2f}× "
                    f"{small:,}")
        judged = name in ("engine", "compiled")  # the engine on 3.11-3.12, and on 3.13+
        verdict = _verdict(ratio, 10.0) if judged else None
        if name == "engine" and math.isnan(ratio):
            verdict = False  # the engine cannot run the pack at all
        report.add(Row(7, f"{label}: per-case time at {big:,} rules / at {small:,} rules",
                       ratio, "×", note, "≤ 10×" if judged else "", verdict))
    report.details["scaling"] = results


# --- profiles ----------------------------------------------------------------------------

def profiles(folder: Path, pack: Pack, sizes: Sizes) -> dict[str, list[str]]:
    """cProfile of advise and of the engine path; top functions by cumulative time."""
    folder.mkdir(parents=True, exist_ok=True)
    items = cases(max(sizes.profile, 50), seed=5)
    for c, a in items[:5]:
        advise(c, a, rules=pack)

    def run_advise() -> None:
        for c, a in items:
            advise(c, a, rules=pack)

    def run_engine() -> None:
        for c, a in items:
            evaluate(pack, c, a)

    def run_floor() -> None:
        for c, a in items:
            evaluate(pack, c, a, Backend.PYTHON)

    targets = {"advise": run_advise, "engine_path": run_engine, "floor": run_floor}
    tops: dict[str, list[str]] = {}
    for name, work in targets.items():
        profiler = cProfile.Profile()
        profiler.enable()
        work()
        profiler.disable()
        profiler.dump_stats(folder / f"{name}.prof")
        for order in ("cumulative", "tottime"):
            lines = _top_functions(profiler, order, len(items))
            (folder / f"{name}.{order}.txt").write_text("\n".join(lines) + "\n", "utf-8")
            tops[f"{name}.{order}"] = lines
    print(f"profiles ({len(items)} calls each) written to {folder}")
    return tops


def _where(file: str, line: int, function: str) -> str:
    """A profile entry as package/module.py:line(function)."""
    if file == "~":
        return function  # a built-in
    path = Path(file)
    parts = path.parts
    for anchor in ("site-packages", "main", "python3.11"):
        if anchor in parts:
            parts = parts[len(parts) - parts[::-1].index(anchor):]
            break
    return f"{'/'.join(parts[-2:])}:{line}({function})"


def _top_functions(profiler: cProfile.Profile, order: str, calls: int,
                   n: int = 30) -> list[str]:
    """The top ``n`` functions by cumulative or own time, per profiled call, in µs."""
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    key = 3 if order == "cumulative" else 2
    ranked = sorted(entries.items(), key=lambda kv: -kv[1][key])[:n]
    lines = [f"{'calls/op':>9} {'own µs/op':>10} {'cum µs/op':>10}  function"]
    for (file, line, function), (_, ncalls, own, cumulative, _) in ranked:
        lines.append(f"{ncalls / calls:9.1f} {own / calls * 1e6:10.1f} "
                     f"{cumulative / calls * 1e6:10.1f}  {_where(file, line, function)}")
    return lines


# --- the table ---------------------------------------------------------------------------

def table(report: Report) -> str:
    """The results as a plain-text table."""
    headers = ("#", "figure", "value", "ratio", "target", "result")
    lines = []
    for row in report.rows:
        result = "" if row.met is None else ("met" if row.met else "MISSED")
        if row.target and row.met is None:
            result = "n/a"
        lines.append((str(row.section), row.figure, row.shown(), row.ratio, row.target,
                      result))
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    widths[3] = min(widths[3], 70)

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [fmt(headers), fmt(["-" * w for w in widths])]
    out += [fmt(line) for line in lines]
    notes = [f"[{r.section}] {r.figure.strip()}: {r.note}" for r in report.rows if r.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def _meta(mode: str, pack: Pack) -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "formselect", "rules"], cwd=REPO,
                           capture_output=True, text=True, check=False).stdout.strip()
    return {"mode": mode, "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "load_average": os.getloadavg(),
            "git_commit": commit, "formselect_or_rules_modified": bool(dirty),
            "formselect_version": version(),
            "pack": {"name": pack.name, "rules": len(pack.rules), "strata": pack.strata,
                     "derived_facts": len(pack.derived), "digest": pack.digest}}


RUNNERS: dict[int, Callable[[Report, Pack, Sizes], None]] = {
    1: engine_vs_raw, 2: advise_latency, 3: questions, 4: batch, 5: cold_start, 6: memory,
    7: scaling}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark suite; print the table; write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="the default: every figure in under five minutes")
    mode.add_argument("--soak", dest="mode", action="store_const", const="soak",
                      help="1,000,000 cases for memory, bigger samples everywhere (hours)")
    mode.add_argument("--smoke", dest="mode", action="store_const", const="smoke",
                      help="tiny sizes: checks that the suite runs (about a minute)")
    parser.add_argument("--json", type=Path, help="where to write the results "
                        "(default: tests/benchmarks/results/<mode>.json)")
    parser.add_argument("--only", default="", help="sections to run, e.g. 1,2,7")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="also profile advise, the engine path and the floor (cProfile) "
                        "and write the stats to DIR")
    parser.add_argument("--memory-budget", type=float, metavar="SECONDS",
                        help="stop the memory run after this long (0 = run every case)")
    args = parser.parse_args(argv)
    name = args.mode or "quick"
    sizes = MODES[name]
    if args.memory_budget is not None:
        sizes = attrs.evolve(sizes, memory_budget=args.memory_budget)
    chosen = [int(s) for s in args.only.split(",") if s.strip()] or list(RUNNERS)

    started = time.perf_counter()
    pack = builtin_pack()
    report = Report(name)
    report.details["meta"] = _meta(name, pack)
    report.details["calibration_ms"] = {"start": calibrate()}
    print(f"formselect benchmarks, {name} mode: built-in pack {pack.name} "
          f"({len(pack.rules)} rules, {pack.strata} strata), Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    for section in chosen:
        speed = calibrate(3)
        report.details.setdefault("speed_index_ms", {})[section] = speed
        print(f"[{section}] {SECTIONS[section]} (speed index {speed:.1f} ms, load average "
              f"{os.getloadavg()[0]:.2f}) ...", flush=True)
        t0 = time.perf_counter()
        try:
            RUNNERS[section](report, pack, sizes)
        except Exception as exc:  # a failing section is a result; the others still run
            report.add(Row(section, f"{SECTIONS[section]}: FAILED", float("nan"), "",
                           f"{type(exc).__name__}: {exc}"[:200]))
            report.details.setdefault("failures", {})[section] = repr(exc)
        report.details.setdefault("section_seconds", {})[section] = time.perf_counter() - t0
    if args.profile:
        report.details["profiles"] = profiles(args.profile, pack, sizes)
    report.details["calibration_ms"]["end"] = calibrate()
    report.details["wall_seconds"] = time.perf_counter() - started

    calib = report.details["calibration_ms"]
    print()
    print(table(report))
    print(f"\nmachine speed index (fixed pure-Python loop, lower is faster): "
          f"{calib['start']:.1f} ms at start, {calib['end']:.1f} ms at end; "
          f"load average now {os.getloadavg()[0]:.2f}; wall time "
          f"{report.details['wall_seconds']:.0f} s")
    target = args.json or RESULTS / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = {"rows": [attrs.asdict(r) for r in report.rows], **report.details}
    target.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    print(f"results written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
