"""Timing helpers: interleaved side-by-side measurement, percentiles, resident memory.

The machine is shared and noisy, so variants that are compared are never timed one after the
other in long blocks: :func:`interleave` runs them on the same cases in short chunks, rotating
which variant goes first, and a ratio is the median over chunks of the per-chunk ratio (two
variants timed seconds apart on the same cases see the same machine load).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import attrs

__all__ = ["Timings", "calibrate", "interleave", "percentile", "rss_mb"]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def rss_mb() -> float:
    """This process's resident set size (VmRSS) in MB (MiB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@attrs.define
class Timings:
    """Per-call times (seconds) of each variant, and per-chunk totals for ratios."""

    calls: dict[str, list[float]]
    chunks: dict[str, list[float]]

    def p(self, name: str, q: float) -> float:
        """A percentile of one variant's per-call times, in seconds."""
        return percentile(self.calls[name], q)

    def ratio(self, top: str, bottom: str) -> float:
        """Median over chunks of time(top) / time(bottom) on the same cases."""
        pairs = [a / b for a, b in zip(self.chunks[top], self.chunks[bottom], strict=True)
                 if b > 0]
        return statistics.median(pairs) if pairs else float("nan")

    def spread(self, top: str, bottom: str) -> tuple[float, float]:
        """The 10th and 90th percentile of the per-chunk ratio (how noisy it was)."""
        pairs = [a / b for a, b in zip(self.chunks[top], self.chunks[bottom], strict=True)
                 if b > 0]
        return percentile(pairs, 10), percentile(pairs, 90)


def interleave(variants: Mapping[str, Callable[[int], object]], n: int, *, rounds: int = 1,
               chunk: int = 50) -> Timings:
    """Time each variant on items ``0..n-1``, chunk by chunk, rotating the order."""
    names = list(variants)
    calls: dict[str, list[float]] = {k: [] for k in names}
    chunks: dict[str, list[float]] = {k: [] for k in names}
    clock = time.perf_counter
    turn = 0
    for _ in range(rounds):
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            order = names[turn % len(names):] + names[:turn % len(names)]
            turn += 1
            for name in order:
                run = variants[name]
                sink = calls[name]
                total = 0.0
                for i in range(start, stop):
                    t0 = clock()
                    run(i)
                    elapsed = clock() - t0
                    sink.append(elapsed)
                    total += elapsed
                chunks[name].append(total)
    return Timings(calls, chunks)


def calibrate(repeat: int = 5) -> float:
    """Milliseconds for a fixed pure-Python workload (best of ``repeat``): a speed index of
    the machine at this moment, to read the absolute figures against."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        total = 0
        table: dict[int, int] = {}
        for i in range(200_000):
            table[i & 1023] = total
            total += i % 7
        best = min(best, time.perf_counter() - t0)
    return best * 1000
