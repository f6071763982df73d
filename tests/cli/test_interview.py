"""``formselect interview`` driven end to end through a pseudo-terminal, as an adviser would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

import formselect

REPO = Path(__file__).resolve().parents[2]
EPIC = REPO / "examples" / "epic_cic_kensington.toml"


class Terminal:
    """A child process on a pseudo-terminal: read until a prompt, type a line."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave,
                                        cwd=REPO, close_fds=True,
                                        env={**os.environ, **(env or {})})
        os.close(slave)
        self.screen = ""

    def read_until(self, marker: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while marker not in self.screen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {marker!r} on the screen:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:  # the child closed the terminal
                    break
                self.screen += chunk
        head, _, self.screen = self.screen.partition(marker)
        return head

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def close(self, timeout: float = 60.0) -> int:
        """Wait for the child to exit, reading the terminal meanwhile: a child whose last
        output is larger than the terminal's buffer blocks until somebody reads it."""
        deadline = time.monotonic() + timeout
        try:
            while self.process.poll() is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"the interview did not exit:\n{self.screen}")
                ready, _, _ = select.select([self.master], [], [], min(remaining, 0.2))
                if ready:
                    try:
                        chunk = os.read(self.master, 4096)
                    except OSError:  # the child closed the terminal
                        chunk = b""
                    self.screen += chunk.decode("utf-8", "replace")
            return self.process.wait()
        finally:
            if self.process.poll() is None:  # never leave a child behind a failed test
                self.process.kill()
                self.process.wait()
            os.close(self.master)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_interview_on_a_terminal_saves_a_case_that_advise_accepts(tmp_path: Path) -> None:
    """Questions come most decisive first; "don't know" and a bad answer are handled; the
    saved file is a valid case that ``formselect advise`` reads."""
    out = tmp_path / "answers.toml"
    term = Terminal([sys.executable, "-m", "formselect", "interview", "-o", str(out),
                     "--start", str(EPIC), "--plain"])

    first = term.read_until("> ")
    term.type("perhaps")  # not a yes/no answer: asked again
    again = term.read_until("> ")
    term.type("no")
    term.read_until("> ")
    term.type("don't know")
    term.read_until("> ")
    term.type("stop")
    summary = term.read_until("formselect advice:")
    code = term.close()

    assert "Does the organisation want to be a charity?" in first
    assert "not understood" in again
    assert 0 == code
    assert f"Saved the answers to {out}" in summary
    saved = formselect.load_case(out)
    assert saved.money.charitable_status is False
    assert saved.money.asset_lock is None  # "don't know": still unknown ...
    assert 'asset_lock = "unknown"' in out.read_text()  # ... and recorded as asked
    result = subprocess.run([sys.executable, "-m", "formselect", "advise", str(out)],
                            cwd=REPO, capture_output=True, text=True, check=False)
    assert 0 == result.returncode, result.stderr
    assert "Recommended form: Community interest company limited by shares" in result.stdout
