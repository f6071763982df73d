"""``formselect batch``: advise on a CSV/JSONL file or a folder of cases, one row per case.

Rows are written as they finish, to a temporary file renamed over OUTPUT at the end, so
an interrupted run never leaves a truncated file that looks complete. Each case that could
not be advised on is reported on stderr as one located line (the first few; all of them
are in the output's ``error`` column) and the run goes on. Throughput goes to stderr.

Exit codes: 0 every case advised on; 1 some rows had errors (OUTPUT is still complete) or
the input as a whole is unreadable; 3 the engine failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from formselect.batch.io import count_records, output_kind, row_writer
from formselect.batch.progress import Progress
from formselect.batch.run import PARALLEL_MIN, advise_stream, local_processes, optional_module
from formselect.errors import FormselectError
from formselect.pack.model import Pack

from .options import date_argument, rules_options

__all__ = ["add_parser", "run"]

MAX_ERROR_LINES = 20  # per run on stderr; the output's error column has every one
EXIT_OK, EXIT_ROWS = 0, 1
EXIT_INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C


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
    parser.add_argument("-j", "--processes", type=_positive, metavar="N",
                        help="worker processes (default: every core; with --dask local, "
                        "the number of Dask workers)")
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


def run(args: argparse.Namespace, pack: Pack) -> tuple[str, int]:
    """Run the batch; returns ("", exit code)."""
    fmt = args.format or output_kind(Path(args.output))
    bar = Progress(count_records(args.input), enabled=args.progress)
    with _executor(args.dask, args.processes) as executor:
        rows = advise_stream(args.input, args.as_of, pack, processes=args.processes,
                             executor=executor, chunksize=args.chunksize, progress=bar)
        errors = 0
        try:
            with bar, _output(args.output) as stream:
                writer = row_writer(stream, fmt)
                for row in rows:
                    writer.write(row)
                    if not row.ok:
                        errors += 1
                        _report(bar, row.errors, errors, args.quiet)
        except KeyboardInterrupt:
            print("formselect: interrupted; no output written", file=sys.stderr)
            return "", EXIT_INTERRUPTED
    if not args.quiet:
        _summary(bar, errors, args.output, _where(args.dask, args.processes, bar.done))
    return "", EXIT_ROWS if errors else EXIT_OK


def _report(bar: Progress, lines: tuple[str, ...], errors: int, quiet: bool) -> None:
    if quiet or errors > MAX_ERROR_LINES:
        return
    for line in lines:
        bar.message(f"formselect: error: {line}")
    if errors == MAX_ERROR_LINES:
        bar.message("formselect: (further rows with errors are not listed here; see the "
                    "output's error column)")


def _summary(bar: Progress, errors: int, output: str, where: str) -> None:
    seconds = bar.elapsed
    rate = bar.done / seconds if seconds > 0 else 0.0
    failed = f", {errors:,} with errors" if errors else ""
    print(f"formselect: {bar.done:,} cases{failed} in {seconds:.1f} s: {rate:,.0f} cases/s "
          f"{where}" + (f"; wrote {output}" if output != "-" else ""), file=sys.stderr)


def _where(dask: str | None, processes: int | None, cases: int) -> str:
    if dask:
        return f"on Dask ({dask})"
    if processes == 1 or (processes is None and cases < PARALLEL_MIN):
        return "in 1 process"
    return f"on {processes or local_processes()} processes"


@contextlib.contextmanager
def _output(target: str) -> Iterator[IO[str]]:
    """Standard output, or a temporary file beside the target renamed over it on success."""
    if target == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(target)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                        dir=path.parent)
    except OSError as exc:
        raise FormselectError(f"{target}: cannot write here: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            yield stream
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


@contextlib.contextmanager
def _executor(dask: str | None, processes: int | None) -> Iterator[Any]:
    """None (a local process pool), or a Dask client for the scheduler named."""
    if not dask:
        yield None
        return
    distributed = optional_module("distributed", "dask")
    with contextlib.ExitStack() as stack:
        try:
            if dask == "local":
                cluster = stack.enter_context(distributed.LocalCluster(
                    n_workers=processes or local_processes(), threads_per_worker=1,
                    processes=True, dashboard_address=None))
                client = stack.enter_context(distributed.Client(cluster))
            else:
                client = stack.enter_context(distributed.Client(dask, timeout="10s"))
        except (OSError, TimeoutError, ValueError) as exc:
            raise FormselectError(f"cannot reach the Dask scheduler {dask!r}: {exc}") \
                from None
        yield client
