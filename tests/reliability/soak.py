"""Long run: resident memory of one process advising on a million different cases.

    python -m tests.reliability.soak --n 1000000 [--seed 1] [--every 10000] [--warmup 20000]
                                     [--what advise|next_questions|both]

Every case is a new one (tests/reliability/generate.py, seed and index): valid cases get an
Advice on the built-in pack (every ``--json-every``-th also written as JSON), invalid ones a
CaseError, so the error paths run as often as the others. ``--what`` picks what each case
goes through: ``advise`` (the default), ``next_questions`` (the questions to ask next: a
tuple of Question for a valid case, the same CaseError for an invalid one) or ``both`` (each
case through advise, then next_questions). After ``--warmup`` cases the
resident set size (VmRSS from /proc/self/status, via the benchmark suite's
``tests.benchmarks.timing.rss_mb``) is read after ``gc.collect()`` every ``--every`` cases.

Prints the samples, the growth from the first sample to the last, the peak, the trend (least
squares, MB per 100,000 cases) and the rate; exit status 1 if the growth is more than
``--limit-mb`` (5 MB) or any case had an unexpected outcome.

The benchmark suite's soak mode (``python -m tests.benchmarks --soak``) measures the same
thing on a pool of 2,000 valid cases cycled through full advise, for its report; this one
never repeats a case and mixes in invalid ones.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
from typing import Any

from .generate import fuzz_item
from .runner import Clock


def main(argv: list[str] | None = None) -> int:
    """Run the soak and report the memory growth."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.soak",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases after the warm-up")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--every", type=int, default=10_000, help="cases between samples")
    parser.add_argument("--warmup", type=int, default=20_000, help="cases before the first")
    parser.add_argument("--json-every", type=int, default=10)
    parser.add_argument("--limit-mb", type=float, default=5.0)
    parser.add_argument("--what", choices=("advise", "next_questions", "both"),
                        default="advise", help="what each case goes through")
    args = parser.parse_args(argv)

    from formselect import Advice, Question, advice_to_json, advise, loads_case, next_questions
    from formselect.api import builtin_pack
    from formselect.errors import CaseError
    from tests.benchmarks.timing import rss_mb
    from tests.strategies import literal_hints

    pack = builtin_pack()
    hints = literal_hints(pack)
    unexpected: list[int] = []

    def one(index: int) -> None:
        item = fuzz_item(args.seed, index, hints)
        case: Any = item.data if item.form == "dict" else None
        try:
            if case is None:
                case = loads_case(item.text, item.form)
            fine = item.valid
            if args.what != "next_questions":
                advice = advise(case, item.as_of, rules=pack)
                if index % args.json_every == 0:
                    advice_to_json(advice).encode("utf-8")
                fine = fine and isinstance(advice, Advice)
            if args.what != "advise":
                asked = next_questions(case, item.as_of, rules=pack)
                fine = fine and isinstance(asked, tuple) and all(
                    isinstance(q, Question) for q in asked)
            if not fine:
                unexpected.append(index)
        except CaseError as error:
            if item.valid or sorted(p.where for p in error.problems) != list(item.wheres or ()):
                unexpected.append(index)

    through = "" if args.what == "advise" else f"; each case through {args.what}"
    print(f"soak: seed {args.seed}, {args.warmup:,} warm-up cases then {args.n:,}, built-in "
          f"pack {pack.digest}; RSS every {args.every:,} cases{through}", flush=True)
    for index in range(args.warmup):
        one(index)
    gc.collect()
    samples: list[tuple[int, float]] = [(0, rss_mb())]
    print(f"  {0:>10,} cases  {samples[0][1]:8.1f} MB", flush=True)
    clock = Clock()
    done = 0
    while done < args.n:
        for _ in range(min(args.every, args.n - done)):
            one(args.warmup + done)
            done += 1
        gc.collect()
        samples.append((done, rss_mb()))
        print(f"  {done:>10,} cases  {samples[-1][1]:8.1f} MB  {clock.rate(done)}", flush=True)
    start, end = samples[0][1], samples[-1][1]
    peak = max(r for _, r in samples)
    slope = statistics.linear_regression([float(n) for n, _ in samples],
                                         [r for _, r in samples]).slope if len(samples) > 2 \
        else 0.0
    growth = end - start
    print(f"cases: {done:,}")
    print(f"unexpected outcomes: {len(unexpected):,}")
    for index in unexpected[:20]:
        print(f"  replay: python -m tests.reliability.fuzz_cases --seed {args.seed} --only "
              f"{index}")
    print(f"growth: {growth:.1f} MB (start {start:.1f} MB, end {end:.1f} MB, peak {peak:.1f} MB, "
          f"trend {slope * 100_000:+.2f} MB per 100,000 cases)")
    print(f"seconds: {clock.rate(done)}")
    ok = growth <= args.limit_mb and not unexpected
    print("memory: flat" if ok else f"memory: FAILED (limit {args.limit_mb} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
