"""Advise on many cases at once: every local core by default, or any executor or Dask cluster.

Cases travel to workers in chunks (one round trip per chunk, not per case) and come back in
input order. Each worker process holds one engine and one copy of the rule pack: a local
pool installs the pack once through its initializer; other executors receive it pickled
with each chunk (a few kilobytes) and cache it by digest, and a Dask client scatters it to
every worker once. A case that cannot be read or checked becomes an error row and the run
goes on; an engine failure stops the run, since it would fail every case after it.

The output is a pure function of the input, so a local pool, a Dask cluster and a single
process all produce byte-identical files. Batches run on the compiled evaluator (the
differential tests hold every engine to the same advice, so the files are byte-identical
whichever engine ran), and a pool worker freezes the objects it holds once its pack is
loaded, so that garbage collection never walks the pack again.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import importlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any, Protocol, TypeAlias

import attrs

from formselect.advice import Advice
from formselect.api import RulesLike, advise, assess, resolve_as_of, resolve_rules
from formselect.case.io import case_from_dict
from formselect.case.model import Case
from formselect.decide import Standing
from formselect.engine import Backend
from formselect.errors import EngineError, FormselectError, Problem, ProblemsError
from formselect.pack.model import Pack

from .io import COLUMNS, BatchRow, Record, count_records, read_records
from .progress import Progress

__all__ = ["MAX_PROCESSES", "BatchResult", "BatchRow", "advise_many", "advise_stream",
           "local_processes", "worker_count"]

TOP_RISKS = 3  # risks named in a summary row, worst first
PARALLEL_MIN = 200  # below this many cases a process pool costs more than it saves
MAX_CHUNK = 256
CHUNKS_PER_WORKER = 8  # enough chunks that a slow one does not leave the others idle
IN_FLIGHT_PER_WORKER = 4  # chunks queued per worker: bounded memory, no idle workers
MAX_CACHED_PACKS = 8
MAX_PROCESSES = 1024  # more is a typing mistake, not a machine: refused outright
WORKERS_PER_CORE = 4  # a pool never exceeds this many workers per core, nor the cases

CasesLike: TypeAlias = Iterable[Case | dict[str, Any] | str | os.PathLike[str]] | str | Any


class _Future(Protocol):
    def result(self) -> Any: ...


class _Submitter(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...


# --- the worker side ----------------------------------------------------------------------

@attrs.frozen
class _Job:
    """What every chunk shares: the pack (by digest, with its pickle when the worker may
    not have it yet), the default date and whether to return full advice."""

    digest: str
    pack_pickle: bytes
    as_of: dt.date | str | None
    keep_advice: bool


_PACKS: dict[str, Pack] = {}  # per worker process: rule packs by digest
BULK = Backend.COMPILED  # the engine of batches


def _install(job: _Job) -> Pack:
    pack = _PACKS.get(job.digest)
    if pack is None:
        if not job.pack_pickle:
            raise EngineError(f"worker {os.getpid()} has no rule pack {job.digest}")
        pack = pickle.loads(job.pack_pickle)  # our own bytes, made by _job() in the parent
        if len(_PACKS) >= MAX_CACHED_PACKS:
            _PACKS.pop(next(iter(_PACKS)))
        _PACKS[job.digest] = pack
    return pack


def _init_worker(job: _Job, parent: int | None) -> None:
    """Process-pool initializer: die with the parent, then load the pack once per worker
    process, then move what the worker holds out of the garbage collector's reach (the pack
    lives as long as it does). ``parent``: the pid of the process that forks the workers
    (None: not forked)."""
    # a forked worker inherits the parent's handlers; the pool stops workers with SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    _install(job).program  # noqa: B018  # compiled here, once, before the freeze
    gc.freeze()


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(expected: int | None) -> None:
    """A worker must not outlive the process that started it: orphaned workers hold the
    parent's pipes open, so a consumer of its output would wait for ever. On Linux the
    kernel kills the worker when its parent dies; elsewhere a thread watches the parent."""
    parent = expected or os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True,
                         name="formselect-parent-watch").start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _advise_chunk(job: _Job, records: list[Record]) -> list[BatchRow]:
    """Advise on one chunk of records (runs in a worker)."""
    pack = _install(job)
    return [_advise_record(record, pack, job) for record in records]


def _advise_record(record: Record, pack: Pack, job: _Job) -> BatchRow:
    as_of = record.as_of if record.as_of is not None else job.as_of
    if record.problems or record.payload is None:
        return _error_row(record, as_of, [str(p) for p in record.problems])
    try:
        case = record.payload if isinstance(record.payload, Case) \
            else case_from_dict(record.payload, record.source)
        # the trace is only built when the caller keeps the full advice
        outcome: Advice | Standing = advise(case, as_of=as_of, rules=pack, backend=BULK) \
            if job.keep_advice else assess(case, as_of=as_of, rules=pack, backend=BULK)
    except ProblemsError as exc:
        return _error_row(record, as_of, [str(_located(p, record.source))
                                          for p in exc.problems])
    except EngineError:
        raise
    except FormselectError as exc:
        return _error_row(record, as_of, [f"{record.source}: {exc}"])
    if isinstance(outcome, Advice):
        return summarise(outcome, record.row, record.name or case.name, job.keep_advice)
    day = resolve_as_of(as_of, case).isoformat()
    return _row(outcome, record.row, record.name or case.name, day)


def _located(problem: Problem, source: str) -> Problem:
    return problem if problem.source else attrs.evolve(problem, source=source)


def _error_row(record: Record, as_of: object, errors: list[str]) -> BatchRow:
    date = as_of.isoformat() if isinstance(as_of, dt.date) else str(as_of or "")
    return BatchRow(record.row, record.name, date, "error", errors=tuple(errors))


def summarise(advice: Advice, row: int = 0, name: str = "",
              keep_advice: bool = False) -> BatchRow:
    """The one-row summary of an Advice used in batch and grid output."""
    return attrs.evolve(_row(advice, row, name or advice.case.name, advice.as_of.isoformat()),
                        advice=advice if keep_advice else None)


def _row(result: Advice | Standing, row: int, name: str, as_of: str) -> BatchRow:
    """A batch row from a full advice or a trace-less assessment (they agree field by field)."""
    risks = tuple(f"{r.rule_id}:{r.severity}" for r in result.risks[:TOP_RISKS])
    return BatchRow(
        row=row, name=name, as_of=as_of, status=str(result.status),
        recommended_form=result.recommended,
        recommended_route=result.procurement.recommended_route,
        regime=result.procurement.regime, top_risks=risks, fired_rules=result.fired)


# --- the parent side ----------------------------------------------------------------------

def local_processes() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(processes: int | None, cases: int | None, *, inline: bool = True) -> int:
    """The workers a local run uses for ``processes`` asked and ``cases`` to advise on:
    never more than the cases, nor ``WORKERS_PER_CORE`` per core; 1 (this process) for a
    single worker or, by default, for fewer than ``PARALLEL_MIN`` cases."""
    if processes is not None and not 1 <= processes <= MAX_PROCESSES:
        raise FormselectError(f"processes={processes} is out of range; expected 1 to "
                              f"{MAX_PROCESSES}")
    if inline and (processes == 1 or (processes is None and cases is not None
                                      and cases < PARALLEL_MIN)):
        return 1
    workers = min(processes or local_processes(), WORKERS_PER_CORE * local_processes())
    return max(1, min(workers, cases)) if cases is not None else workers


def _job(pack: Pack, as_of: dt.date | str | None, keep_advice: bool) -> _Job:
    return _Job(pack.digest, pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL), as_of,
                keep_advice)


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    while chunk := list(islice(records, size)):
        yield chunk


def _chunk_size(total: int | None, workers: int) -> int:
    if total is None:
        return 64
    return max(1, min(MAX_CHUNK, -(-total // (workers * CHUNKS_PER_WORKER))))


def _ordered(submit: Callable[[list[Record]], _Future], chunks: Iterator[list[Record]],
             window: int) -> Iterator[list[BatchRow]]:
    """Results chunk by chunk in input order, with at most ``window`` chunks in flight."""
    pending: deque[_Future] = deque()
    try:
        for chunk in chunks:
            pending.append(submit(chunk))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:  # stopped early: do not run what nobody will read
            cancel = getattr(future, "cancel", None)
            if callable(cancel):
                cancel()


def _is_dask(executor: object) -> bool:
    return type(executor).__module__.startswith("distributed") and hasattr(executor, "scatter")


def _run_executor(executor: _Submitter, job: _Job, chunks: Iterator[list[Record]],
                  window: int) -> Iterator[list[BatchRow]]:
    if _is_dask(executor):
        # one copy of the pack per worker, and pure=False: chunks are never deduplicated
        shared = executor.scatter(job, broadcast=True)  # type: ignore[attr-defined]
        return _ordered(lambda c: executor.submit(_advise_chunk, shared, c, pure=False),
                        chunks, window)
    return _ordered(lambda c: executor.submit(_advise_chunk, job, c), chunks, window)


def _run_pool(processes: int, job: _Job, chunks: Iterator[list[Record]],
              window: int) -> Iterator[list[BatchRow]]:
    slim = attrs.evolve(job, pack_pickle=b"")  # each worker already holds the pack
    context = _mp_context()
    forked = context.get_start_method() == "fork"
    pool = ProcessPoolExecutor(processes, context, initializer=_init_worker,
                               initargs=(job, os.getpid() if forked else None))
    try:
        yield from _ordered(lambda c: pool.submit(_advise_chunk, slim, c), chunks, window)
    except BrokenProcessPool as exc:
        raise EngineError(f"a worker process died: {exc}") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _mp_context() -> multiprocessing.context.BaseContext:
    """The platform's default start method, except that a process running other threads
    (a Dask client, a notebook kernel) is never forked: a fork copies their held locks.

    Forking is preferred otherwise because spawn and forkserver re-run the main script in
    every worker, which fails for unguarded scripts and for code read from standard input.
    """
    methods = multiprocessing.get_all_start_methods()
    # allow_none: asking must not fix the default, which would stop callers choosing later
    method = multiprocessing.get_start_method(allow_none=True) or (
        "fork" if "fork" in methods and sys.platform != "darwin" else "spawn")
    if method == "fork" and threading.active_count() > 1 \
            and "forkserver" in methods:
        method = "forkserver"
    return multiprocessing.get_context(method)


def _run_inline(job: _Job, chunks: Iterator[list[Record]]) -> Iterator[list[BatchRow]]:
    for chunk in chunks:
        yield _advise_chunk(job, chunk)


def run_records(records: Iterable[Record], total: int | None, *, pack: Pack,
                as_of: dt.date | str | None, processes: int | None, executor: object,
                chunksize: int | None, keep_advice: bool,
                progress: Progress | None) -> Iterator[BatchRow]:
    """Advise on records, yielding rows in input order (the engine of every batch entry)."""
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise FormselectError("executor must have a submit() method, like a "
                              "concurrent.futures Executor or a dask distributed Client")
    job = _job(pack, as_of, keep_advice)
    workers = worker_count(processes, total)
    inline = executor is None and workers == 1
    if executor is not None and processes is None:
        workers = _executor_workers(executor)
    chunks = _chunks(iter(records), chunksize or _chunk_size(total, workers))
    window = max(2, workers * IN_FLIGHT_PER_WORKER)
    if executor is not None:
        results = _run_executor(executor, job, chunks, window)  # type: ignore[arg-type]
    elif inline:
        results = _run_inline(job, chunks)
    else:
        results = _run_pool(workers, job, chunks, window)
    return _counted(results, progress)


def _counted(results: Iterator[list[BatchRow]], progress: Progress | None) -> Iterator[BatchRow]:
    for rows in results:
        yield from rows
        if progress is not None:
            progress.advance(len(rows))


def _executor_workers(executor: object) -> int:
    if _is_dask(executor):
        info = executor.scheduler_info()  # type: ignore[attr-defined]
        threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        return max(1, threads)
    return max(1, int(getattr(executor, "_max_workers", 0) or local_processes()))


def advise_stream(cases: CasesLike, as_of: dt.date | str | None = None,
                  rules: RulesLike = None, *, processes: int | None = None,
                  executor: Executor | Any = None, chunksize: int | None = None,
                  keep_advice: bool = False,
                  progress: bool | Progress | None = None,
                  skip: int = 0) -> Iterator[BatchRow]:
    """Like :func:`advise_many`, but yields each row as soon as it and every row before it
    are done, so that output can be written while the batch runs.

    The input's header and the rules are checked before this returns, so a bad column or
    rule file raises here rather than midway. ``progress``: True or False to show a bar on
    stderr or not, a :class:`Progress` to report to, or None to show one when stderr is a
    terminal. ``skip``: leave out the first rows (already done by an interrupted run).
    """
    total = count_records(cases)
    records: Iterator[Record] = read_records(cases)
    if skip:
        records = islice(records, skip, None)
        total = None if total is None else max(total - skip, 0)
    pack = resolve_rules(rules)
    bar = progress if isinstance(progress, Progress) else Progress(
        total, enabled=progress if isinstance(progress, bool) else None)
    rows = run_records(records, total, pack=pack, as_of=as_of, processes=processes,
                       executor=executor, chunksize=chunksize, keep_advice=keep_advice,
                       progress=bar)
    return rows if bar is progress else _closing(rows, bar)


def _closing(rows: Iterator[BatchRow], bar: Progress) -> Iterator[BatchRow]:
    try:
        yield from rows
    finally:
        bar.close()


class BatchResult(list[BatchRow]):
    """The rows of a batch, in input order, with timing and conversions."""

    seconds: float = 0.0

    @property
    def errors(self) -> list[BatchRow]:
        """The rows that could not be advised on."""
        return [row for row in self if not row.ok]

    @property
    def throughput(self) -> float:
        """Cases per second."""
        return len(self) / self.seconds if self.seconds > 0 else 0.0

    def to_records(self) -> list[dict[str, Any]]:
        """Every row as JSON-ready data."""
        return [row.to_record() for row in self]

    def to_dataframe(self) -> Any:
        """A pandas DataFrame of the rows (needs ``formselect[pandas]``)."""
        return dataframe(self.to_records(), list(COLUMNS))


def optional_module(name: str, extra: str) -> Any:
    """Import an optional dependency by name (typed as Any: its stubs may be missing), or
    say which extra installs it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise FormselectError(f"this needs the optional {name} package: "
                              f"pip install 'formselect[{extra}]'") from None


def dataframe(records: list[dict[str, Any]], columns: list[str]) -> Any:
    """A pandas DataFrame of JSON-ready records."""
    return optional_module("pandas", "pandas").DataFrame.from_records(records, columns=columns)


def advise_many(cases: CasesLike, as_of: dt.date | str | None = None, rules: RulesLike = None,
                *, processes: int | None = None, executor: Executor | Any = None,
                chunksize: int | None = None, keep_advice: bool = False,
                progress: bool | None = None) -> BatchResult:
    """Advise on many cases; one :class:`BatchRow` per case, in input order.

    ``cases``: an iterable of :class:`Case`, dicts (case-file layout or dotted fact names,
    with optional ``as_of``) and case-file paths; a ``.csv`` / ``.jsonl`` file or a folder
    of case files; or a pandas DataFrame with dotted fact columns. A row's own ``as_of`` (a
    column, a key, or a case's ``as_of``) wins over ``as_of`` here, which wins over the
    case's ``procurement.start_date``.

    ``processes``: worker processes (default: every local core, or one process for fewer
    than 200 cases). ``executor``: run on this instead, e.g. a
    ``concurrent.futures.ProcessPoolExecutor`` or a dask ``distributed.Client``.
    ``keep_advice``: also keep each case's full :class:`Advice` in ``row.advice``.

    Worker processes are forked when this process runs no other thread; otherwise (and on
    macOS and Windows) they start afresh and re-import the main script, which must then
    guard its entry point with ``if __name__ == "__main__":``, as for any process pool.

    A case that cannot be read or checked gives a row with status ``error`` and the run goes
    on. Raises :class:`CaseError` when the input as a whole is unreadable (an unknown CSV
    column) and :class:`EngineError` when the engine fails.
    """
    started = time.perf_counter()
    result = BatchResult(advise_stream(cases, as_of, rules, processes=processes,
                                       executor=executor, chunksize=chunksize,
                                       keep_advice=keep_advice, progress=progress))
    result.seconds = time.perf_counter() - started
    return result
