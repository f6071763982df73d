"""Issue 16, D6: batch workers die with their parent, an interrupted batch leaves no hidden
litter and loses no finished row, and ``--resume`` finishes it.

Review rows 16-19. Each test starts a real batch in its own process group and kills what
is left of it (by process id) when it ends.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.cli_helpers import SMALL_CSV, alive, children, formselect, start

ROWS = 6000


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.csv"
    lines = [SMALL_CSV.splitlines()[0]]
    lines += [f"Case {i},2026-06-01,council,{i % 101},lgps" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def batch(tmp_path: Path, *args: str | Path) -> Iterator[subprocess.Popen[bytes]]:
    # stderr to a file, not a pipe: workers orphaned by today's main hold a pipe open
    log = (tmp_path.parent / f"{tmp_path.name}.stderr").open("wb")
    child = start("batch", *args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=log)
    seen: set[int] = set()
    try:
        yield child
    finally:
        seen |= set(children(child.pid)) | set(getattr(child, "workers", []))
        for pid in [child.pid, *seen]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        child.wait(timeout=30)
        log.close()


def stderr_of(tmp_path: Path) -> str:
    return (tmp_path.parent / f"{tmp_path.name}.stderr").read_text(encoding="utf-8")


def wait_for(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def output_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def written_rows(tmp_path: Path) -> int:
    """Rows finished so far, in any file the batch is writing."""
    best = 0
    for path in tmp_path.iterdir():
        if path.name not in ("big.csv",) and path.is_file():
            best = max(best, path.read_bytes().count(b"\n") - 1)
    return best


def test_workers_die_with_the_parent(big: Path, tmp_path: Path) -> None:
    with batch(tmp_path, big, "-o", "out.csv", "-j2") as child:
        wait_for(lambda: len(children(child.pid)) >= 2)
        workers = children(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        try:
            wait_for(lambda: not any(alive(w) for w in workers), 15)
        finally:
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.slow  # a long run: in the full suite (CI)
def test_sigterm_keeps_finished_rows_visibly_and_resume_completes(
        big: Path, tmp_path: Path) -> None:
    with batch(tmp_path, big, "-o", "out.csv", "-j2") as child:
        wait_for(lambda: written_rows(tmp_path) > 200)
        child.workers = children(child.pid)  # type: ignore[attr-defined]
        os.kill(child.pid, signal.SIGTERM)
        child.wait(timeout=60)
    err = stderr_of(tmp_path)
    assert "Traceback" not in err
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    resumed = formselect("batch", big, "-o", "out.csv", "-j2", "--resume", cwd=tmp_path,
                         timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    rows = output_rows(tmp_path / "out.csv")
    assert [int(r["row"]) for r in rows] == list(range(1, ROWS + 1))
    clean = formselect("batch", big, "-o", "clean.csv", "-j1", cwd=tmp_path, timeout=600)
    assert clean.returncode == 0
    assert (tmp_path / "clean.csv").read_bytes() == (tmp_path / "out.csv").read_bytes()


@pytest.mark.slow  # a long run: in the full suite (CI)
def test_a_dead_worker_loses_no_finished_row(big: Path, tmp_path: Path) -> None:
    with batch(tmp_path, big, "-o", "out.csv", "-j2") as child:
        wait_for(lambda: written_rows(tmp_path) > 200)
        os.kill(children(child.pid)[0], signal.SIGKILL)
        assert child.wait(timeout=120) == 3
    err = stderr_of(tmp_path)
    assert "Traceback" not in err
    assert "--resume" in err
    resumed = formselect("batch", big, "-o", "out.csv", "--resume", "-j2", cwd=tmp_path,
                         timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    # the rows finished before the worker died were not advised on again
    assert "cases" in resumed.stderr
    assert f"{ROWS:,} cases" not in resumed.stderr.splitlines()[-1]
    rows = output_rows(tmp_path / "out.csv")
    assert [int(r["row"]) for r in rows] == list(range(1, ROWS + 1))
