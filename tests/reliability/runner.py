"""Run numbered items in child processes, so that a crash of the engine is counted, not fatal.

The parent splits ``range(n)`` into chunks and runs each chunk in a child
(``python -m <module> --child --start A --stop B ...``), ``jobs`` children at a time. A child
writes one line per item as soon as it is done, ``"<index> <code>"``, plus ``"<index> !
<json>"`` for anything worth reporting. When a child dies (a signal such as SIGSEGV, any other
exit status, or no line for ``case_timeout`` seconds), the item after its last finished one is
counted as a crash, with the exit status and the end of its stderr, and a new child carries
on from the next item. Every item therefore ends as exactly one code or one crash.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO

import attrs

__all__ = ["Crash", "Totals", "child_loop", "describe_exit", "run_children"]

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@attrs.define
class Crash:
    """An item whose child died, or an item that raised an unexpected exception."""

    index: int
    what: str  # "killed by signal 11 (SIGSEGV)", "hung", "exit status 1", "raised ..."
    detail: str = ""


@attrs.define
class Totals:
    """Codes counted over every item, crashes, and the reports children sent."""

    codes: Counter[str] = attrs.Factory(Counter)
    crashes: list[Crash] = attrs.Factory(list)
    reports: list[tuple[int, dict[str, Any]]] = attrs.Factory(list)
    done: set[int] = attrs.Factory(set)

    def merge(self, other: Totals) -> None:
        """Add another chunk's totals."""
        self.codes.update(other.codes)
        self.crashes += other.crashes
        self.reports += other.reports
        self.done |= other.done


def describe_exit(status: int | None) -> str:
    """'killed by signal 11 (SIGSEGV)', 'exit status 1' or 'hung'."""
    if status is None:
        return "hung"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "?"
        return f"killed by signal {-status} ({name})"
    return f"exit status {status}"


def _reader(stream: TextIO, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _run_range(module: str, start: int, stop: int, child_args: list[str],
               case_timeout: float) -> Totals:
    totals = Totals()
    next_index = start
    silent = 0  # children in a row that died before finishing any item
    while next_index < stop:
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err:
            child = subprocess.Popen(
                [sys.executable, "-m", module, "--child", "--start", str(next_index), "--stop",
                 str(stop), *child_args], stdout=subprocess.PIPE, stderr=err, text=True,
                encoding="utf-8", errors="replace", cwd=REPO)
            assert child.stdout is not None
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(target=_reader, args=(child.stdout, lines), daemon=True).start()
            last = next_index - 1
            hung = False
            while True:
                try:
                    line = lines.get(timeout=case_timeout)
                except queue.Empty:
                    hung = True
                    child.kill()
                    break
                if line is None:
                    break
                index_text, _, rest = line.rstrip("\n").partition(" ")
                if not index_text.isdigit():
                    continue  # stray output (a warning printed by a library)
                index = int(index_text)
                if rest.startswith("! "):
                    totals.reports.append((index, json.loads(rest[2:])))
                    continue
                totals.codes[rest] += 1
                totals.done.add(index)
                last = index
            status = child.wait()
            if not hung and status == 0 and last == stop - 1:
                return totals
            crashed = last + 1
            err.seek(0)
            tail = err.read()[-1500:]
            silent = silent + 1 if crashed == next_index else 0
            if silent >= 3:
                raise RuntimeError(f"{module} children die before their first item:\n{tail}")
            totals.crashes.append(Crash(crashed, describe_exit(None if hung else status), tail))
            totals.done.add(crashed)
            next_index = crashed + 1
    return totals


def run_children(module: str, n: int, *, jobs: int, chunk: int, child_args: list[str],
                 case_timeout: float = 60.0,
                 progress: Callable[[Totals, int], None] | None = None) -> Totals:
    """Run items ``0..n-1`` of ``module`` in child processes; see the module docstring."""
    ranges = [(a, min(n, a + chunk)) for a in range(0, n, chunk)]
    totals = Totals()
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = [pool.submit(_run_range, module, a, b, child_args, case_timeout)
                   for a, b in ranges]
        for future in futures:
            totals.merge(future.result())
            if progress is not None:
                progress(totals, n)
    missing = set(range(n)) - totals.done
    assert not missing, f"items never run: {sorted(missing)[:10]}"
    return totals


def child_loop(indices: Iterable[int], run_one: Callable[[int], tuple[str, dict[str, Any] |
                                                                      None]],
               abort_at: int = -1) -> None:
    """The child's side: run each item, write its code (and report) at once, unbuffered."""
    out = sys.stdout
    for index in indices:
        if index == abort_at:
            os.abort()  # lets the tests check that a dying child is counted as a crash
        code, report = run_one(index)
        if report is not None:
            out.write(f"{index} ! {json.dumps(report, default=repr, ensure_ascii=True)}\n")
        out.write(f"{index} {code}\n")
        out.flush()


class Clock:
    """Elapsed seconds and a rate, for the summaries."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.started

    def rate(self, count: int) -> str:
        """``'312.4 s (320 cases/s)'``."""
        seconds = self.seconds()
        return f"{seconds:.1f} s ({count / seconds if seconds else 0:,.0f} cases/s)"
