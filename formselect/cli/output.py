"""Where a batch writes: never over its input, never replacing what is not a regular file,
never losing a finished row.

A regular OUTPUT is written to ``OUTPUT.partial`` beside it (beside a symlink's target),
row by row, and renamed over OUTPUT only when every row is written, with the old file's
mode. An interrupted run (Ctrl-C, SIGTERM, a worker that died) keeps the partial file with
its finished rows, and ``--resume`` reads it back, skips those rows and finishes the run.
A pipe, a FIFO or a terminal is written in place; anything else that is not a regular
file is refused. Standard output is ``-``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import attrs

from formselect.batch.io import COLUMNS
from formselect.errors import FormselectError

from .options import UsageError

__all__ = ["PARTIAL_SUFFIX", "Output", "check_target", "open_output", "partial_path"]

PARTIAL_SUFFIX = ".partial"

try:  # POSIX: two runs must not write the same partial file at once
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@attrs.define
class Output:
    """An open batch output: the stream, the rows it already held (resumed), and where
    unfinished work is kept."""

    stream: IO[str]
    kept_rows: int = 0
    partial: Path | None = None
    written: int = 0  # rows written by this run

    @property
    def rows(self) -> int:
        """Finished rows in the output so far."""
        return self.kept_rows + self.written


def partial_path(target: str | Path) -> Path:
    """The file a run writes before it renames it to ``target`` (beside a link's target)."""
    real = Path(os.path.realpath(target))
    return real.with_name(real.name + PARTIAL_SUFFIX)


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def check_target(target: str, source: Path, *, force: bool, resume: bool) -> None:
    """Refuse, before any work, an output that would destroy something (``UsageError``) or
    cannot be written (``FormselectError``)."""
    if target == "-":
        if resume:
            raise UsageError("--resume needs an output file, not standard output")
        return
    path = Path(target)
    if _same_file(path, source) or (source.is_dir() and _inside(path, source)):
        raise UsageError(f"{target}: the output would replace the input {source}; choose "
                         "another output file")
    try:
        info = path.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise FormselectError(f"{target}: cannot write here: {exc.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise FormselectError(f"{target}: is a folder; expected an output file name such "
                              "as results.csv")
    if info is not None and not stat.S_ISREG(info.st_mode):
        if not (stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode)):
            raise FormselectError(f"{target}: is not a regular file, a pipe or a terminal; "
                                  "choose another output")
        return  # written in place, never replaced
    partial = partial_path(path)
    if not partial.parent.is_dir():
        raise FormselectError(f"{target}: cannot write here: No such file or directory")
    if partial.exists() and not (resume or force):
        raise UsageError(f"{partial} holds the finished rows of an interrupted run: add "
                         "--resume to finish it, or --force to start again")
    if info is not None and not (force or resume):
        raise UsageError(f"{target}: already exists; add --force to replace it")


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return path.suffix.lower() in (".toml", ".json")


@contextlib.contextmanager
def open_output(target: str, fmt: str, *, resume: bool) -> Iterator[Output]:
    """The output to write rows to; on success it replaces ``target``. On any exception
    the partial file is kept when it holds a finished row (else removed)."""
    if target == "-":
        yield Output(sys.stdout)
        sys.stdout.flush()
        return
    path = Path(target)
    try:
        info: os.stat_result | None = path.stat()
    except OSError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):  # a FIFO or a terminal
        with path.open("w", encoding="utf-8", newline="") as stream:
            yield Output(stream)
        return
    yield from _write_partial(path, fmt, resume)


def _write_partial(path: Path, fmt: str, resume: bool) -> Iterator[Output]:
    partial = partial_path(path)
    kept = _resumable(partial, fmt) if resume and partial.exists() else None
    try:
        stream = partial.open("r+" if kept is not None else "w", encoding="utf-8",
                              newline="")
    except OSError as exc:
        raise FormselectError(f"{path}: cannot write here: {exc.strerror}") from None
    output = Output(stream, partial=partial)
    try:
        _lock(stream, partial)
        if kept is not None:
            rows, size = kept
            stream.seek(0)
            stream.truncate(size)
            stream.seek(size)
            output.kept_rows = rows
        try:
            yield output
            stream.flush()
            os.fsync(stream.fileno())
        except OSError as exc:
            stream.close()
            partial.unlink(missing_ok=True)
            raise FormselectError(f"{path}: cannot write the output: {exc.strerror}; "
                                  "an existing file there is kept") from None
        except BaseException:
            _keep_or_drop(output)
            raise
        stream.close()
        _copy_mode(path, partial)
        os.replace(partial, os.path.realpath(path))
    finally:
        stream.close()


def _lock(stream: IO[str], partial: Path) -> None:
    if fcntl is None:  # pragma: no cover - Windows
        return
    try:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise FormselectError(f"{partial}: another formselect batch is writing this "
                              "output") from None


def _keep_or_drop(output: Output) -> None:
    """After an interruption: flush the finished rows, or remove an empty partial file."""
    with contextlib.suppress(OSError):
        output.stream.flush()
    if output.rows == 0 and output.partial is not None:
        output.stream.close()
        output.partial.unlink(missing_ok=True)


def _copy_mode(target: Path, partial: Path) -> None:
    """The replaced file's mode and owner stay (a new file keeps the usual umask mode)."""
    try:
        info = target.stat()
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.chmod(partial, stat.S_IMODE(info.st_mode))
    with contextlib.suppress(OSError):
        os.chown(partial, info.st_uid, info.st_gid)


def _resumable(partial: Path, fmt: str) -> tuple[int, int]:
    """(finished rows, byte size) of the part of a partial file that can be kept: whole
    rows 1..n in order; a row torn by a crash, and anything after it, is dropped."""
    data = partial.read_bytes()
    end = data.rfind(b"\n") + 1
    try:
        text = data[:end].decode("utf-8")
    except UnicodeDecodeError:
        raise FormselectError(f"{partial}: cannot resume: not a formselect batch output "
                              "(not UTF-8 text)") from None
    if fmt == "jsonl":
        return _resumable_jsonl(partial, text)
    return _resumable_csv(partial, text)


def _resumable_csv(partial: Path, text: str) -> tuple[int, int]:
    stream = io.StringIO(text, newline="")
    reader = csv.reader(stream, strict=True)
    header = next(reader, None)
    if header is None:
        return 0, 0
    if tuple(header) != COLUMNS:
        raise FormselectError(f"{partial}: cannot resume: its header is not formselect's "
                              f"batch header ({','.join(COLUMNS)})")
    end, rows = stream.tell(), 0
    try:
        for cells in reader:
            if len(cells) != len(COLUMNS) or cells[0] != str(rows + 1):
                break
            rows += 1
            end = stream.tell()
    except csv.Error:
        pass  # a row torn inside quotes: keep the rows before it
    return rows, len(text[:end].encode("utf-8"))


def _resumable_jsonl(partial: Path, text: str) -> tuple[int, int]:
    rows = size = 0
    for line in text.splitlines(keepends=True):
        try:
            record = json.loads(line)
        except ValueError:
            break
        if not isinstance(record, dict) or record.get("row") != rows + 1:
            break
        rows += 1
        size += len(line.encode("utf-8"))
    if rows == 0 and text:
        raise FormselectError(f"{partial}: cannot resume: not a formselect batch output")
    return rows, size
