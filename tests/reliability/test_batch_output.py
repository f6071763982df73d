"""Issue 16, D3, D2 and the output errors of D11: where a batch writes, and how many
workers it starts.

Review rows 1, 2, 4, 6-9 (the output path), 10, 13, 14 (disk full and a closed pipe as one
line), 21-22 (``-j`` bounds).
"""

from __future__ import annotations

import csv
import os
import resource
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.cli_helpers import (
    SMALL_CSV,
    assert_clean_errors,
    env,
    formselect,
    start,
)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    return path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


class TestOutputPath:
    def test_refuses_to_write_over_its_input(self, small: Path, tmp_path: Path) -> None:
        done = formselect("batch", small, "-o", small, "--force", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "input" in done.stderr
        assert_clean_errors(done.stderr)
        assert small.read_text(encoding="utf-8") == SMALL_CSV

    def test_refuses_the_input_under_another_name(self, small: Path, tmp_path: Path) -> None:
        (tmp_path / "alias.csv").symlink_to(small)
        os.link(small, tmp_path / "hard.csv")
        for alias in ("alias.csv", "hard.csv"):
            done = formselect("batch", small, "-o", alias, "--force", cwd=tmp_path)
            assert done.returncode == 2, done.stderr
            assert_clean_errors(done.stderr)
        assert small.read_text(encoding="utf-8") == SMALL_CSV

    def test_an_existing_file_needs_force(self, small: Path, tmp_path: Path) -> None:
        target = tmp_path / "exist.csv"
        target.write_text("keep me\n", encoding="utf-8")
        done = formselect("batch", small, "-o", target, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "--force" in done.stderr
        assert_clean_errors(done.stderr)
        assert target.read_text(encoding="utf-8") == "keep me\n"

    def test_force_overwrites_and_keeps_the_mode(self, small: Path, tmp_path: Path) -> None:
        target = tmp_path / "exist.csv"
        target.write_text("old\n", encoding="utf-8")
        target.chmod(0o644)
        done = formselect("batch", small, "-o", target, "--force", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert [r["name"] for r in rows(target)] == ["Epic CIC", "Second"]
        assert stat.S_IMODE(target.stat().st_mode) == 0o644

    def test_a_new_file_gets_the_usual_mode(self, small: Path, tmp_path: Path) -> None:
        umask = os.umask(0o022)
        os.umask(umask)
        target = tmp_path / "new.csv"
        done = formselect("batch", small, "-o", target, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask

    def test_writes_through_a_symlink(self, small: Path, tmp_path: Path) -> None:
        real = tmp_path / "real.csv"
        real.write_text("old\n", encoding="utf-8")
        link = tmp_path / "link.csv"
        link.symlink_to(real)
        done = formselect("batch", small, "-o", link, "--force", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert link.is_symlink()
        assert [r["name"] for r in rows(real)] == ["Epic CIC", "Second"]

    def test_writes_into_a_fifo_and_leaves_it_a_fifo(self, small: Path,
                                                     tmp_path: Path) -> None:
        fifo = tmp_path / "fifo.csv"
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waiting on the pipe
        try:
            done = formselect("batch", small, "-o", fifo, cwd=tmp_path, timeout=60)
            assert done.returncode == 0, done.stderr
            assert stat.S_ISFIFO(fifo.lstat().st_mode)
            received = os.read(reader, 1 << 16).decode()
        finally:
            os.close(reader)
        assert received.startswith("row,name,as_of,status")
        assert "Epic CIC" in received

    def test_never_replaces_a_device(self, small: Path, tmp_path: Path) -> None:
        device = tmp_path / "null"
        try:
            os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("making a device node needs root")
        done = formselect("batch", small, "-o", device, cwd=tmp_path, timeout=60)
        assert stat.S_ISCHR(device.lstat().st_mode)
        assert_clean_errors(done.stderr)

    def test_a_directory_is_one_line(self, small: Path, tmp_path: Path) -> None:
        (tmp_path / "outdir").mkdir()
        done = formselect("batch", small, "-o", "outdir", "--force", cwd=tmp_path)
        assert done.returncode in (1, 2)
        assert "outdir" in done.stderr
        assert_clean_errors(done.stderr)
        assert (tmp_path / "outdir").is_dir()

    def test_no_hidden_litter(self, small: Path, tmp_path: Path) -> None:
        done = formselect("batch", small, "-o", "out.csv", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "small.csv"]


def _file_size_limit(limit: int) -> None:
    """In the child: writes beyond ``limit`` bytes fail as on a full disk (EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def _big_csv(path: Path, count: int) -> Path:
    lines = [SMALL_CSV.splitlines()[0]]
    lines += [f"Case {i},2026-06-01,council,{i % 101},lgps" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class TestWriteFailures:
    def test_disk_full_in_batch_is_one_line_and_keeps_the_old_output(
            self, tmp_path: Path) -> None:
        source = _big_csv(tmp_path / "big.csv", 300)
        old = tmp_path / "out.csv"
        old.write_text("old output\n", encoding="utf-8")
        done = formselect("batch", source, "-o", old, "--force", "-j1", cwd=tmp_path,
                          preexec=lambda: _file_size_limit(2000))
        assert done.returncode == 1
        assert_clean_errors(done.stderr)
        assert old.read_text(encoding="utf-8") == "old output\n"

    def test_disk_full_on_standard_output_is_one_line(self, tmp_path: Path) -> None:
        case = tmp_path / "case.toml"
        case.write_text('as_of = 2026-06-01\n[ownership]\nemployee_pct = 100\n',
                        encoding="utf-8")
        with (tmp_path / "advice.json").open("w") as sink:
            done = subprocess.run(
                [sys.executable, "-m", "formselect", "advise", str(case), "--format", "json",
                 "--depth", "full"], cwd=tmp_path, stdout=sink, stderr=subprocess.PIPE,
                env=env(),
                preexec_fn=lambda: _file_size_limit(1000), timeout=120, check=False,
                text=True)
        assert done.returncode == 1
        assert_clean_errors(done.stderr)

    def test_a_closed_pipe_is_quiet(self, tmp_path: Path) -> None:
        source = _big_csv(tmp_path / "big.csv", 3000)
        with start("batch", source, "-o", "-", "-j1", cwd=tmp_path,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE) as child:
            assert child.stdout is not None
            assert child.stderr is not None
            child.stdout.readline()
            child.stdout.readline()
            child.stdout.close()  # like `| head -2`
            err = child.stderr.read().decode("utf-8", "backslashreplace")
            child.wait(timeout=120)
        assert_clean_errors(err)


class TestWorkerBounds:
    def test_absurd_worker_counts_are_refused_before_any_work(self, tmp_path: Path) -> None:
        # the input does not exist: today's main reports that (exit 1) instead of the -j
        done = formselect("batch", "missing.csv", "-o", "x.csv", "-j", "100000",
                          cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "-j" in done.stderr or "processes" in done.stderr

    def test_never_more_workers_than_cases(self, small: Path, tmp_path: Path) -> None:
        done = formselect("batch", small, "-o", "j8.csv", "-j", "8", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        summary = done.stderr.splitlines()[-1]
        assert "in 1 process" in summary or "on 2 processes" in summary, summary

    def test_capped_at_a_multiple_of_the_cores(self, tmp_path: Path) -> None:
        from formselect.batch import local_processes

        source = _big_csv(tmp_path / "big.csv", 1000)
        done = formselect("batch", source, "-o", "out.csv", "-j", "200", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        summary = done.stderr.splitlines()[-1]
        workers = int(summary.split(" on ")[1].split()[0])
        assert workers <= 4 * local_processes(), summary
