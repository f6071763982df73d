"""A watchdog for the durable engine: no rule pack can hang the process.

The engine's C code cannot be interrupted (Ctrl-C waits for it, a thread cannot stop it), and
some networks make it loop for ever (issue 16, D1). The loader refuses every pack known to do
that; as a second guard, a ruleset new to this process (one per validity span of a pack) is
first compiled and walked by facts of every stage and validity date in a forked child, under
a time limit. A child that does not finish is killed and the ruleset is refused with an
:class:`EngineError`; one that finishes shows that the engine completes on it, and the real
work runs here.

The limit is ``FORMSELECT_ENGINE_WATCHDOG`` seconds (default 120; 0 turns the watchdog off).
Without ``os.fork`` (Windows) there is no child and no watchdog.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
import warnings
from collections.abc import Callable, Iterable

__all__ = ["DEFAULT_SECONDS", "MAX_PROBES", "probe", "watchdog_seconds"]

DEFAULT_SECONDS = 120.0
MAX_PROBES = 4_096  # facts a probe asserts at most


def watchdog_seconds() -> float:
    """The time limit from ``FORMSELECT_ENGINE_WATCHDOG`` (seconds; 0 or less: off)."""
    try:
        return float(os.environ.get("FORMSELECT_ENGINE_WATCHDOG", DEFAULT_SECONDS))
    except ValueError:
        return DEFAULT_SECONDS


def probe(create: Callable[[], int], assert_fact: Callable[[int, str], object],
          facts: Iterable[str], seconds: float) -> bool:
    """Whether ``create()`` and asserting every fact finish within ``seconds`` in a forked
    child (True when there is no watchdog). Engine errors are not the watchdog's business:
    the real call reports them."""
    if seconds <= 0 or not hasattr(os, "fork"):
        return True
    texts = list(facts)[:MAX_PROBES]
    # The child holds the write end of a pipe and never writes: its exit closes it, which
    # wakes the parent at once (polling with sleeps cost a cold start up to 150 ms).
    exited, holder = os.pipe()
    with warnings.catch_warnings():  # the child runs only the engine's C code, then exits
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its coverage is its exit status
        code = 0
        try:
            os.close(exited)
            handle = create()
            for text in texts:
                assert_fact(handle, text)
        except BaseException:
            code = 3
        os._exit(code)
    os.close(holder)
    deadline = time.monotonic() + seconds
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            # a process forked meanwhile by another thread may hold the pipe open too, so
            # the child's own status is checked at least every 50 ms
            select.select([exited], [], [], min(remaining, 0.05))
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                pid = 0
                return True
        return False
    finally:  # out of time, or interrupted: the child goes too
        os.close(exited)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
