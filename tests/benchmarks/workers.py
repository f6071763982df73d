"""Measurements that need a fresh process of their own, run as
``python -m tests.benchmarks.workers memory|scale ...``; each prints one JSON object.

* ``memory``: resident memory across a long run of full ``advise`` calls on fresh cases
  (a fresh process, so nothing else the suite did is counted);
* ``scale``: one generated pack of N rules: load, compile, and per-case time of the engine
  path, the floor and the raw engine (fresh process, because durable_rules can neither free
  a registered ruleset nor recover cleanly from a pack it rejects).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from formselect import advise
from formselect.api import builtin_pack
from formselect.engine import Backend, evaluate
from formselect.engine.durable import engine_message
from formselect.engine.view import case_view
from formselect.pack.load import load_pack

from .cases import case_stream, cases
from .packs import write_pack
from .raw import RawEngine
from .timing import interleave, rss_mb

__all__ = ["main"]


def memory(total: int, budget: float, warmup: int, seed: int) -> dict[str, Any]:
    """Full advise on ``total`` fresh cases, every one different (as in a long-running
    service), after ``warmup`` cases that fill the caches and the allocator's arenas."""
    pack = builtin_pack()
    stream = case_stream(seed)
    every = max(total // 100, 500)
    for _ in range(warmup):
        advise(*next(stream), rules=pack)
    gc.collect()
    samples: list[tuple[int, float]] = [(0, rss_mb())]
    blocks = [sys.getallocatedblocks()]
    started = time.perf_counter()
    done = 0
    stopped_early = False
    while done < total:
        for _ in range(min(every, total - done)):
            advise(*next(stream), rules=pack)
            done += 1
        gc.collect()
        samples.append((done, rss_mb()))
        blocks.append(sys.getallocatedblocks())
        if budget and time.perf_counter() - started > budget and done < total:
            stopped_early = True
            break
    seconds = time.perf_counter() - started
    xs = [float(n) for n, _ in samples]
    ys = [r for _, r in samples]
    slope = statistics.linear_regression(xs, ys).slope if len(samples) > 2 else 0.0
    return {"target_cases": total, "cases": done, "warmup": warmup, "seconds": seconds,
            "stopped_early": stopped_early, "rss_start_mb": ys[0], "rss_end_mb": ys[-1],
            "rss_peak_mb": max(ys), "growth_mb": ys[-1] - ys[0],
            "slope_mb_per_100k": slope * 100_000, "samples": samples,
            "allocated_blocks": blocks, "blocks_growth": blocks[-1] - blocks[0],
            "cases_per_second": done / seconds if seconds else 0.0}


def scale(rules: int, n_cases: int, seed: int, rounds: int) -> dict[str, Any]:
    """One generated pack: load and compile times, per-case times of engine, floor, raw."""
    result: dict[str, Any] = {"rules": rules}
    with tempfile.TemporaryDirectory(prefix=f"formselect-bench-{rules}-") as tmp:
        folder = write_pack(Path(tmp), rules, seed=seed)
        t0 = time.perf_counter()
        pack = load_pack(folder)
        result["load_s"] = time.perf_counter() - t0
    result["strata"] = pack.strata
    result["derived_facts"] = len(pack.derived)
    items = cases(n_cases, seed=seed + 1)
    views = [case_view(c, a, pack.cpv_lists) for c, a in items]
    messages = [engine_message(v) for v in views]
    floor_fired = [evaluate(pack, c, a, Backend.PYTHON).fired for c, a in items]
    result["fired_per_case"] = statistics.mean(len(f) for f in floor_fired)
    variants: dict[str, Any] = {
        "floor": lambda i: evaluate(pack, *items[i], Backend.PYTHON),
        "compiled": lambda i: evaluate(pack, *items[i], Backend.COMPILED)}
    result["compiled_mismatches"] = sum(
        evaluate(pack, c, a, Backend.COMPILED).fired != f
        for (c, a), f in zip(items, floor_fired, strict=True))
    t0 = time.perf_counter()
    try:
        evaluate(pack, *items[0])  # compiles the pack into durable_rules
        result["compile_s"] = time.perf_counter() - t0
        result["engine_mismatches"] = sum(
            evaluate(pack, c, a).fired != f for (c, a), f in zip(items, floor_fired,
                                                               strict=True))
        variants["engine"] = lambda i: evaluate(pack, *items[i])
    except Exception as exc:  # the engine's limits are a result
        result["engine_error"] = f"{type(exc).__name__}: {exc}"
    try:
        recorder = RawEngine(pack, record=True)
        mismatches = 0
        for message, fired in zip(messages[:50], floor_fired, strict=False):
            recorder.run(message)
            mismatches += frozenset(recorder.fired) != fired
        result["raw_mismatches"] = mismatches
        raw = RawEngine(pack)
        variants["raw"] = lambda i: raw.run(messages[i])
    except Exception as exc:
        result["raw_error"] = f"{type(exc).__name__}: {exc}"
    timings = interleave(variants, n_cases, rounds=rounds, chunk=20)
    for name in variants:
        result[f"{name}_p50_us"] = timings.p(name, 50) * 1e6
        result[f"{name}_mean_us"] = statistics.mean(timings.calls[name]) * 1e6
    if "engine" in variants:
        result["engine_over_floor"] = timings.ratio("engine", "floor")
    if "engine" in variants and "raw" in variants:
        result["engine_over_raw"] = timings.ratio("engine", "raw")
    result["rss_mb"] = rss_mb()
    return result


def main(argv: list[str] | None = None) -> None:
    """Run one worker measurement and print its JSON."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.workers")
    sub = parser.add_subparsers(dest="command", required=True)
    mem = sub.add_parser("memory")
    mem.add_argument("--cases", type=int, required=True)
    mem.add_argument("--budget", type=float, default=0.0, help="seconds; 0 = no limit")
    mem.add_argument("--warmup", type=int, default=2_000)
    mem.add_argument("--seed", type=int, default=3)
    sc = sub.add_parser("scale")
    sc.add_argument("--rules", type=int, required=True)
    sc.add_argument("--cases", type=int, required=True)
    sc.add_argument("--rounds", type=int, default=1)
    sc.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.command == "memory":
        out = memory(args.cases, args.budget, args.warmup, args.seed)
    else:
        out = scale(args.rules, args.cases, args.seed, args.rounds)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
