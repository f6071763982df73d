"""Hostile rule packs near the engine's limits: every pack ``rules check`` accepts must run.

    python -m tests.reliability.fuzz_packs --n 40 [--seed 1] [--timeout 120]

Each pack is a pure function of the seed and its index: one of the shapes that hung or broke
durable_rules before the loader counted what the engine counts (issue 16, D1 and D8) —
rules of 48-value ``in`` lists sharing one network node (around the 511 tests a node holds),
rules of 40 ``or``-ed tests that each fill an engine stage, and rules on distinct validity
dates (around the 4,000 rules with the engine's stage rules counted). Every pack is checked
with ``formselect rules check --replace-rules`` and, when accepted, advised on with the
durable engine in a child process under a per-case timeout (and the engine's own watchdog).

Prints ``name: number`` counts; exit status 1 on any hang (a child over the timeout), any
crash (a traceback, or an exit code other than 0 for an accepted pack) or any accepted pack
the engine refused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from .cli_helpers import env, rule, write_pack

SHAPES = ("in_lists", "stages", "dated")


def build(seed: int, index: int, folder: Path) -> tuple[str, int, Path]:
    """The pack of ``index``: (shape, size, rule folder)."""
    rng = random.Random(seed * 1_000_003 + index)
    shape = SHAPES[index % len(SHAPES)]
    bodies = []
    if shape == "in_lists":  # 48 tests per rule under one node: 10 fit, 11 do not
        size = rng.randint(8, 13)
        for i in range(size):
            values = ", ".join(str(1000 + i * 48 + j) for j in range(48))
            bodies.append(rule(f"Q{i}", f"service.staff_count in [{values}]",
                               "favour = { alpha = 1 }"))
    elif shape == "stages":  # each rule needs most of an engine stage
        size = rng.randint(200, 700)
        for i in range(size):
            when = " or ".join(f"service.staff_count > {i * 100 + j}" for j in range(40))
            bodies.append(rule(f"S{i}", when, "favour = { alpha = 1 }",
                               valid_from=f"200{i % 8}-01-01"))
    else:  # one rule per date: the engine adds a rule per stage
        size = rng.randint(3_800, 4_100)
        start = dt.date(2000, 1, 1)
        bodies = [rule(f"C{i}", "money.charitable_status", "favour = { alpha = 1 }",
                       valid_from=(start + dt.timedelta(days=i)).isoformat())
                  for i in range(size)]
    half = len(bodies) // 2  # two files: a rule file holds at most 2 MB
    write_pack(folder, bodies[:half], forms=("alpha",), name="a.toml")
    write_pack(folder, bodies[half:], forms=(), name="b.toml")
    return shape, size, folder


def run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run([sys.executable, "-m", "formselect", *args], cwd=cwd, env=env(),
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None


def main(argv: list[str] | None = None) -> int:
    """Generate, check and run the packs; print the counts."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.fuzz_packs")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per child")
    args = parser.parse_args(argv)
    counts = dict.fromkeys(("packs", "accepted", "refused", "advised", "hangs", "crashes",
                            "engine_refusals"), 0)
    with tempfile.TemporaryDirectory(prefix="fuzz_packs_", dir=".") as scratch:
        root = Path(scratch).resolve()
        case = root / "case.toml"
        case.write_text("as_of = 2021-01-01\n[service]\nstaff_count = 1005\n"
                        "[money]\ncharitable_status = true\n", encoding="utf-8")
        for index in range(args.n):
            shape, size, folder = build(args.seed, index, root / f"pack{index}")
            counts["packs"] += 1
            checked = run(["rules", "check", "--replace-rules", str(folder)], root,
                          args.timeout)
            label = f"pack {index} ({shape}, {size} rules)"
            if checked is None or "Traceback" in checked.stderr:
                counts["hangs" if checked is None else "crashes"] += 1
                print(f"FAIL {label}: rules check", "hung" if checked is None else "crashed")
                continue
            if checked.returncode != 0:
                counts["refused"] += 1
                continue
            counts["accepted"] += 1
            advised = run(["advise", str(case), "--replace-rules", "--rules", str(folder)],
                          root, args.timeout)
            if advised is None:
                counts["hangs"] += 1
                print(f"FAIL {label}: advise hung")
            elif advised.returncode == 3:
                counts["engine_refusals"] += 1
                print(f"FAIL {label}: {advised.stderr.strip()[:200]}")
            elif advised.returncode != 0 or "Traceback" in advised.stderr:
                counts["crashes"] += 1
                print(f"FAIL {label}: exit {advised.returncode}: {advised.stderr[:200]}")
            else:
                counts["advised"] += 1
    for name, value in counts.items():
        print(f"{name}: {value}")
    return 1 if counts["hangs"] or counts["crashes"] or counts["engine_refusals"] else 0


if __name__ == "__main__":
    sys.exit(main())
