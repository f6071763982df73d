"""The differential oracle at scale: the durable_rules engine and the compiled evaluator
against the three-valued Python evaluator.

    python -m tests.reliability.oracle --n 100000 [--seed 1] [--jobs 2]

Each item is a valid generated case (tests/reliability/generate.py, steered half of the time
to the literals and validity boundaries of its pack) with an assessment date from 2006 to
2030, evaluated on one of the packs — the built-in pack, the mini test pack
(tests/packs/mini: every operator, three levels of chaining) and a 300-rule pack from the
benchmark suite's generator (tests/benchmarks/packs.py) — by every backend (durable_rules
only where it imports). The whole Evaluation must be equal: fired rules, derived facts,
conflicts and the fact view.

Prints the number of disagreements (fired rules differ, or only derived facts / conflicts
differ) and of crashes (an exception, or a child process that died); exit status 1 if any.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from functools import cache
from pathlib import Path
from typing import Any

from .generate import as_of, rng_for, valid_case
from .runner import Clock, Totals, child_loop, run_children

PACKS = ("builtin", "mini", "generated")
REPO = Path(__file__).resolve().parents[2]


@cache
def pack_named(name: str) -> Any:
    """One of PACKS, loaded once per process (the generated one written from a fixed seed)."""
    from formselect.api import builtin_pack
    from formselect.pack.load import load_pack

    if name == "builtin":
        return builtin_pack()
    if name == "mini":
        return load_pack(REPO / "tests" / "packs" / "mini")
    from tests.benchmarks.packs import write_pack

    with tempfile.TemporaryDirectory(prefix="formselect-oracle-") as folder:
        return load_pack(write_pack(Path(folder), 300, seed=11))


@cache
def hints_for(name: str) -> dict[str, Any]:
    """The literals and validity boundaries of a pack (tests.strategies.literal_hints)."""
    from tests.strategies import literal_hints

    return literal_hints(pack_named(name))


def run_item(seed: int, index: int, packs: tuple[str, ...]) -> tuple[str, dict[str, Any] | None]:
    """Evaluate one item on every backend: '=' agree, 'F' fired rules differ, 'D' only
    derived facts / conflicts / view differ, 'X' an exception."""
    from formselect.case.io import case_from_dict
    from formselect.engine import Backend, durable, evaluate

    rng = rng_for(seed, index)
    name = packs[index % len(packs)]
    hints = hints_for(name) if rng.random() < 0.5 else None
    data = valid_case(rng, hints)
    day = as_of(rng, hints_for(name))
    try:
        pack = pack_named(name)
        case = case_from_dict(data)
        python = evaluate(pack, case, day, Backend.PYTHON)
        others = [evaluate(pack, case, day, Backend.COMPILED)]
        if durable.AVAILABLE:
            others.append(evaluate(pack, case, day, Backend.DURABLE))
    except Exception as error:
        return "X", {"pack": name, "raised": f"{type(error).__name__}: {error}"[:500],
                     "traceback": traceback.format_exc()[-3000:]}
    for other in others:
        if python != other:
            report = {"pack": name, "as_of": day.isoformat(), "engine": other.engine,
                      "only_engine": sorted(other.fired - python.fired),
                      "only_python": sorted(python.fired - other.fired),
                      "derived": [dict(other.derived), dict(python.derived)]
                      if other.derived != python.derived else None}
            return ("F" if python.fired != other.fired else "D"), report
    return "=", None


def main(argv: list[str] | None = None) -> int:
    """Run the oracle (or, with --child, one chunk of it)."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.oracle",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases to compare")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="child processes at a time")
    parser.add_argument("--chunk", type=int, default=5_000, help="cases per child")
    parser.add_argument("--packs", default=",".join(PACKS),
                        help=f"comma-separated, from {', '.join(PACKS)}")
    parser.add_argument("--case-timeout", type=float, default=60.0)
    parser.add_argument("--only", type=int, default=None, help="replay one item here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    packs = tuple(p for p in args.packs.split(",") if p)
    unknown = [p for p in packs if p not in PACKS]
    if unknown or not packs:
        parser.error(f"unknown pack(s) {unknown}; choose from {', '.join(PACKS)}")

    if args.child:
        child_loop(range(args.start, args.stop), lambda i: run_item(args.seed, i, packs))
        return 0
    if args.only is not None:
        code, report = run_item(args.seed, args.only, packs)
        print(code, json.dumps(report, indent=2, default=str))
        return 0 if code == "=" else 1

    described = ", ".join(f"{p} {pack_named(p).digest} ({len(pack_named(p).rules)} rules)"
                          for p in packs)
    print(f"oracle: seed {args.seed}, {args.n:,} cases, {args.jobs} jobs; packs: {described}",
          flush=True)
    clock = Clock()

    def progress(totals: Totals, n: int) -> None:
        done = len(totals.done)
        if n >= 20_000 and done % 20_000 < args.chunk:
            print(f"  ... {done:,} cases, {clock.rate(done)}", flush=True)

    totals = run_children("tests.reliability.oracle", args.n, jobs=args.jobs, chunk=args.chunk,
                          child_args=["--seed", str(args.seed), "--packs", ",".join(packs)],
                          case_timeout=args.case_timeout, progress=progress)
    disagreements = totals.codes["F"] + totals.codes["D"]
    crashes = len(totals.crashes) + totals.codes["X"]
    print(f"cases: {sum(totals.codes.values()) + len(totals.crashes):,}")
    print(f"agreements: {totals.codes['=']:,}")
    print(f"disagreements: {disagreements:,}")
    print(f"fired rules differ: {totals.codes['F']:,}")
    print(f"only derived facts differ: {totals.codes['D']:,}")
    print(f"crashes: {crashes:,}")
    print(f"seconds: {clock.rate(args.n)}")
    for index, report in sorted(totals.reports)[:50]:
        print(f"case {index}: {json.dumps(report, default=str)[:800]}")
        print(f"  replay: python -m tests.reliability.oracle --seed {args.seed} --packs "
              f"{','.join(packs)} --only {index}")
    for crash in totals.crashes[:50]:
        print(f"case {crash.index}: {crash.what}\n  {crash.detail.strip()[-600:]}")
    return 1 if disagreements or crashes else 0


if __name__ == "__main__":
    sys.exit(main())
