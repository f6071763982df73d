"""``formselect batch``: advise on a CSV/JSONL file or a folder of cases, one row per case.

Rows are written as they finish, to ``OUTPUT.partial``, renamed over OUTPUT at the end, so
an interrupted run never leaves a truncated file that looks complete; the partial file
keeps the finished rows and ``--resume`` finishes the run (``output``). Each case that could
not be advised on is reported on stderr as one located line (the first few; all of them
are in the output's ``error`` column) and the run goes on. Throughput goes to stderr.

Exit codes: 0 every case advised on; 1 some rows had errors (OUTPUT is still complete) or
the input as a whole is unreadable; 2 bad usage (an output that is the input, or exists
without --force); 3 the engine failed; 130 and 143 interrupted by SIGINT and SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from formselect.batch.io import count_records, output_kind, row_writer
from formselect.batch.progress import Progress
from formselect.batch.run import (
    MAX_PROCESSES,
    advise_stream,
    optional_module,
    worker_count,
)
from formselect.errors import EngineError, FormselectError
from formselect.pack.model import Pack

from .options import date_argument, rules_options
from .output import Output, check_target, open_output

__all__ = ["add_parser", "run"]

MAX_ERROR_LINES = 20  # per run on stderr; the output's error column has every one
EXIT_OK, EXIT_ROWS = 0, 1
EXIT_ENGINE = 3
EXIT_INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C
EXIT_TERMINATED = 143  # ... and by SIGTERM


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``batch`` command."""
    parser = commands.add_parser(
        "batch", help="advise on many cases (CSV, JSONL or a folder of case files)",
        description="Advise on every case of INPUT and write one row per case to OUTPUT. "
        "CSV columns are dotted fact names (ownership.employee_pct) plus optional name and "
        "as_of; an empty cell is unknown; list facts are written a;b.")
    parser.add_argument("input", type=Path, metavar="INPUT",
                        help=".csv, .tsv, .jsonl file, or a folder of .toml/.json case files")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                        help="output file (.csv or .jsonl), or - for standard output")
    parser.add_argument("--format", choices=("csv", "jsonl"),
                        help="output format (default: from OUTPUT's suffix, else csv)")
    parser.add_argument("--as-of", type=date_argument, help="date the law is applied, for rows "
                        "without an as_of column value (default: each case's "
                        "procurement.start_date)")
    parser.add_argument("--force", action="store_true",
                        help="replace OUTPUT when it exists (or start again over the "
                        "finished rows of an interrupted run)")
    parser.add_argument("--resume", action="store_true",
                        help="finish an interrupted run: keep the rows in OUTPUT.partial "
                        "and advise on the cases after them")
    parser.add_argument("-j", "--processes", type=_processes, metavar="N",
                        help="worker processes (default: every core; never more than the "
                        "cases, nor 4 per core; with --dask local, the number of Dask "
                        f"workers); at most {MAX_PROCESSES}")
    parser.add_argument("--chunksize", type=_positive, metavar="N",
                        help="cases sent to a worker at a time (default: automatic)")
    parser.add_argument("--dask", metavar="SCHEDULER",
                        help="run on a Dask cluster: a scheduler address such as "
                        "tcp://10.0.0.5:8786, or 'local' for a cluster on this machine "
                        "(needs formselect[dask])")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: when stderr is a terminal)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no throughput summary and no per-row error lines")
    rules_options(parser)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return number


def _processes(text: str) -> int:
    number = _positive(text)
    if number > MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"{text!r} worker processes is too many; at most "
                                         f"{MAX_PROCESSES} (and never more than the cases, "
                                         "nor 4 per core)")
    return number


class _Terminated(Exception):
    """SIGTERM, turned into an exception so that the run stops as cleanly as on Ctrl-C."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def run(args: argparse.Namespace, pack: Pack) -> tuple[str, int]:
    """Run the batch; returns ("", exit code)."""
    fmt = args.format or output_kind(Path(args.output))
    check_target(args.output, args.input, force=args.force, resume=args.resume)
    total = count_records(args.input)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    errors, output = 0, None
    try:
        with _executor(args.dask, args.processes, total) as executor, \
                open_output(args.output, fmt, resume=args.resume) as output:
            bar = Progress(None if total is None else max(total - output.kept_rows, 0),
                           enabled=args.progress)
            rows = advise_stream(args.input, args.as_of, pack, processes=args.processes,
                                 executor=executor, chunksize=args.chunksize, progress=bar,
                                 skip=output.kept_rows)
            with bar:
                writer = row_writer(output.stream, fmt, header=output.kept_rows == 0)
                for row in rows:
                    writer.write(row)
                    output.written += 1
                    if not row.ok:
                        errors += 1
                        _report(bar, row.errors, errors, args.quiet)
    except KeyboardInterrupt:
        return _stopped("interrupted", output, EXIT_INTERRUPTED)
    except _Terminated:
        return _stopped("terminated", output, EXIT_TERMINATED)
    except EngineError as exc:
        if output is None or output.written == 0:
            raise
        print(f"formselect: engine error: {exc}", file=sys.stderr)
        return _stopped("stopped", output, EXIT_ENGINE)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        where = _where(args.dask, args.processes, total)
        _summary(bar, errors, args.output, where, output.kept_rows)
    return "", EXIT_ROWS if errors else EXIT_OK


def _stopped(how: str, output: Output | None, code: int) -> tuple[str, int]:
    """Say what an interrupted run kept, and how to finish it."""
    if output is not None and output.partial is not None and output.rows:
        print(f"formselect: {how}; the {output.rows:,} finished rows are kept in "
              f"{output.partial}; run the same command with --resume to finish",
              file=sys.stderr)
    else:
        print(f"formselect: {how}; no output written", file=sys.stderr)
    return "", code


def _report(bar: Progress, lines: tuple[str, ...], errors: int, quiet: bool) -> None:
    if quiet or errors > MAX_ERROR_LINES:
        return
    for line in lines:
        bar.message(f"formselect: error: {line}")
    if errors == MAX_ERROR_LINES:
        bar.message("formselect: (further rows with errors are not listed here; see the "
                    "output's error column)")


def _summary(bar: Progress, errors: int, output: str, where: str, kept: int) -> None:
    seconds = bar.elapsed
    rate = bar.done / seconds if seconds > 0 else 0.0
    failed = f", {errors:,} with errors" if errors else ""
    resumed = f" (after {kept:,} rows kept from the interrupted run)" if kept else ""
    print(f"formselect: {bar.done:,} cases{resumed}{failed} in {seconds:.1f} s: "
          f"{rate:,.0f} cases/s {where}" + (f"; wrote {output}" if output != "-" else ""),
          file=sys.stderr)


def _where(dask: str | None, processes: int | None, cases: int | None) -> str:
    if dask:
        return f"on Dask ({dask})"
    workers = worker_count(processes, cases)
    return "in 1 process" if workers == 1 else f"on {workers} processes"


@contextlib.contextmanager
def _executor(dask: str | None, processes: int | None, cases: int | None) -> Iterator[Any]:
    """None (a local process pool), or a Dask client for the scheduler named."""
    if not dask:
        yield None
        return
    distributed = optional_module("distributed", "dask")
    with contextlib.ExitStack() as stack:
        try:
            if dask == "local":
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=worker_count(processes, cases, inline=False),
                    threads_per_worker=1,
                    processes=True, dashboard_address=None))
                client = stack.enter_context(distributed.Client(cluster))
            else:
                client = stack.enter_context(distributed.Client(dask, timeout="10s"))
        except (OSError, TimeoutError, ValueError) as exc:
            raise FormselectError(f"cannot reach the Dask scheduler {dask!r}: {exc}") \
                from None
        yield client
