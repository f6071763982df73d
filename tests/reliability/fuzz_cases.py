"""Fuzz ``formselect.advise`` with generated cases, in child processes; count crashes.

    python -m tests.reliability.fuzz_cases --n 100000 [--seed 1] [--jobs 2]

Each item (tests/reliability/generate.py) is a valid or an invalid case, given as a dict,
JSON text or TOML text, with an assessment date from 2006 to 2030, advised on the built-in
pack. Outcomes:

* advice — a valid case got an Advice (every ``--json-every``-th one is also written with
  ``advice_to_json`` and encoded as UTF-8);
* typed errors — an invalid case raised CaseError with exactly one problem at each defect
  (each naming the field, with what was expected);
* wrong — a typed outcome, but the wrong one: a valid case refused, an invalid one accepted,
  or problems at other places than the defects;
* crashes — any other exception, or the child process died (a signal such as SIGSEGV, an exit
  status, or no answer within ``--case-timeout`` seconds).

Exit status 1 if there is any crash or wrong outcome. Each one is printed with a command
that replays it alone (``--only INDEX``), and saved under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from .generate import Item, fuzz_item
from .runner import Clock, Totals, child_loop, run_children

CODES = {"A": "advice", "E": "typed errors", "W": "wrong", "X": "crashes"}


def _hints() -> dict[str, Any]:
    from formselect.api import builtin_pack
    from tests.strategies import literal_hints

    return literal_hints(builtin_pack())


def run_item(item: Item, json_every: int) -> tuple[str, dict[str, Any] | None]:
    """Advise on one item: its code (see CODES) and, unless all is well, a report."""
    from formselect import Advice, advice_to_json, advise, loads_case
    from formselect.errors import CaseError, FormselectError

    try:
        if item.form == "dict":
            case: Any = item.data
        else:
            case = loads_case(item.text, item.form)
        advice = advise(case, item.as_of)
        if not isinstance(advice, Advice):
            return "X", {"raised": f"advise returned {type(advice).__name__}"}
        if item.valid and item.index % json_every == 0:
            advice_to_json(advice).encode("utf-8")
    except CaseError as error:
        wheres = sorted(p.where for p in error.problems)
        undescribed = [str(p) for p in error.problems  # what was expected, and for a
                       if not p.expected  # value, what was found
                       or (p.message == "invalid value" and p.found is None)]
        if item.valid or wheres != list(item.wheres or ()) or undescribed:
            return "W", {"expected": item.wheres or "an Advice", "problems": [
                str(p)[:300] for p in error.problems]}
        return "E", None
    except FormselectError as error:
        return "W", {"expected": item.wheres or "an Advice", "raised": str(error)[:500]}
    except Exception as error:
        return "X", {"raised": f"{type(error).__name__}: {error}"[:500],
                     "traceback": traceback.format_exc()[-3000:]}
    if not item.valid:
        return "W", {"expected": item.wheres, "got": "an Advice"}
    return "A", None


def _headline(report: dict[str, Any]) -> str:
    """One line saying what went wrong with an item."""
    if "raised" in report:
        return f"raised {report['raised']}".splitlines()[0][:300]
    got = report.get("problems") or report.get("got")
    return f"wrong: expected {report.get('expected')}, got {got}"[:600]


def _repr(value: object) -> str:
    """repr() without Python's limit on the digits of an integer (generated data has some)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return repr(value)
    finally:
        sys.set_int_max_str_digits(limit)


def describe(item: Item) -> dict[str, Any]:
    """An item as JSON-ready data (for the saved reproducers)."""
    return {"index": item.index, "form": item.form, "as_of": item.as_of.isoformat(),
            "expected": item.wheres or "an Advice", "data": _repr(item.data)[:20_000],
            "text": item.text[:20_000]}


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer (or, with --child, one chunk of it)."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.fuzz_cases",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="child processes at a time")
    parser.add_argument("--chunk", type=int, default=2_000, help="cases per child")
    parser.add_argument("--json-every", type=int, default=10,
                        help="write every N-th advice as JSON too")
    parser.add_argument("--invalid-share", type=float, default=0.45)
    parser.add_argument("--case-timeout", type=float, default=60.0,
                        help="seconds without an answer before a child counts as hung")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for reproducers (default: a temporary folder)")
    parser.add_argument("--only", type=int, default=None, help="replay one item here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--abort-at", type=int, default=-1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    def item(index: int, hints: dict[str, Any]) -> Item:
        return fuzz_item(args.seed, index, hints,
                         invalid_share=args.invalid_share)

    if args.child:
        hints = _hints()
        child_loop(range(args.start, args.stop),
                   lambda i: run_item(item(i, hints), args.json_every), args.abort_at)
        return 0
    if args.only is not None:
        one = item(args.only, _hints())
        print(json.dumps(describe(one), indent=2, default=str))
        code, report = run_item(one, 1)
        print(f"outcome: {CODES[code]}")
        if report:
            print(json.dumps(report, indent=2, default=str))
        return 0 if code in "AE" else 1

    from formselect.api import builtin_pack

    pack = builtin_pack()
    print(f"fuzz_cases: seed {args.seed}, {args.n:,} cases, {args.jobs} jobs, built-in pack "
          f"{pack.digest} ({len(pack.rules)} rules)", flush=True)
    clock = Clock()
    child_args = ["--seed", str(args.seed), "--json-every", str(args.json_every),
                  "--invalid-share", str(args.invalid_share), "--abort-at", str(args.abort_at)]

    def progress(totals: Totals, n: int) -> None:
        done = len(totals.done)
        if n >= 20_000 and done % 10_000 < args.chunk:
            print(f"  ... {done:,} cases, {len(totals.crashes)} crashes, "
                  f"{clock.rate(done)}", flush=True)

    totals = run_children("tests.reliability.fuzz_cases", args.n, jobs=args.jobs,
                          chunk=args.chunk, child_args=child_args,
                          case_timeout=args.case_timeout, progress=progress)
    crashes = len(totals.crashes) + totals.codes["X"]
    print(f"cases: {sum(totals.codes.values()) + len(totals.crashes):,}")
    print(f"advice: {totals.codes['A']:,}")
    print(f"typed errors: {totals.codes['E']:,}")
    print(f"crashes: {crashes:,}")
    print(f"wrong: {totals.codes['W']:,}")
    print(f"seconds: {clock.rate(args.n)}")
    problems = [(c.index, c.what, c.detail) for c in totals.crashes] + [
        (i, _headline(r), r.get("traceback", "")) for i, r in totals.reports]
    if problems:
        import tempfile

        out = args.out or Path(tempfile.mkdtemp(prefix="formselect-fuzz-"))
        out.mkdir(parents=True, exist_ok=True)
        hints = _hints()
        for index, what, detail in sorted(problems)[:200]:
            print(f"case {index}: {what}")
            if detail.strip():
                print("  " + detail.strip()[-600:].replace("\n", "\n  "))
            print(f"  replay: python -m tests.reliability.fuzz_cases --seed {args.seed} "
                  f"--only {index}")
            (out / f"case-{index}.json").write_text(json.dumps(
                {**describe(item(index, hints)), "outcome": what, "detail": detail},
                indent=2, default=str), encoding="utf-8")
        print(f"reproducers: {out}")
    return 1 if crashes or totals.codes["W"] else 0


if __name__ == "__main__":
    sys.exit(main())
