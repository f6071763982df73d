"""A small progress bar for long batch runs, drawn on a terminal only (no dependency).

It stays silent for the first half second, so that short runs print nothing, and redraws at
most ten times a second, so that drawing never costs more than the work it reports.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

WIDTH = 28  # characters of bar
DELAY = 0.5  # seconds before the bar first appears
INTERVAL = 0.1  # seconds between redraws


class Progress:
    """Counts finished cases and draws ``[#####.....] 4,500/10,000 45% 812 cases/s ETA 7s``.

    ``enabled=None`` draws only when ``stream`` is a terminal, so that logs and pipes never
    receive carriage returns. ``total=None`` (an input of unknown length) drops the bar and
    the estimate and shows the count and rate.
    """

    def __init__(self, total: int | None, stream: TextIO | None = None,
                 enabled: bool | None = None, unit: str = "cases") -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.unit = unit
        self.done = 0
        self.started = time.perf_counter()
        self._drawn_at = 0.0
        self._visible = False

    def advance(self, count: int = 1) -> None:
        """Record ``count`` more finished cases, redrawing when it is time to."""
        self.done += count
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.started >= DELAY and now - self._drawn_at >= INTERVAL:
            self._draw(now)

    def message(self, text: str) -> None:
        """Print a line on the stream above the bar (the bar is redrawn below it)."""
        if self._visible:
            self.stream.write("\r\x1b[K")
            self._visible = False
            self._drawn_at = 0.0  # redraw at the next advance
        self.stream.write(text + "\n")
        self.stream.flush()

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was created."""
        return time.perf_counter() - self.started

    def close(self) -> None:
        """Draw the final state and end the line, if the bar was ever shown."""
        if self._visible:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
            self._visible = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def line(self, now: float | None = None) -> str:
        """The text of the bar as it would be drawn now."""
        seconds = (now if now is not None else time.perf_counter()) - self.started
        rate = self.done / seconds if seconds > 0 else 0.0
        speed = f"{rate:,.0f} {self.unit}/s"
        if not self.total:
            return f"{self.done:,} {self.unit} {speed}"
        share = min(self.done / self.total, 1.0)
        filled = round(share * WIDTH)
        bar = "#" * filled + "." * (WIDTH - filled)
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        return (f"[{bar}] {self.done:,}/{self.total:,} {share:4.0%} {speed} "
                f"ETA {_duration(eta)}")

    def _draw(self, now: float) -> None:
        # "\r" and a trailing clear-to-end-of-line keep a shrinking line from leaving debris
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()
        self._drawn_at = now
        self._visible = True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
