"""CSV and JSONL input, one raw record at a time: a record that cannot be read becomes a
located reason, and the records after it are still read.

What a record can get wrong, and what is reported: text that is not UTF-8 (the file is read
with surrogate escapes, so each bad byte is found in its own record), a CSV cell beyond the
csv module's field limit, malformed quoting, a quote that is never closed (the record is
reported at the line it starts, and reading resumes on the next line, so no later row is
swallowed), JSON nested too deeply, a number beyond Python's 4,300 digits, ``NaN`` and
``Infinity`` (not JSON), and a key given twice in one object.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import attrs

from formselect.case.io import strict_json

__all__ = ["RawRecord", "csv_records", "jsonl_records", "not_utf8", "open_text"]


@attrs.frozen
class RawRecord:
    """One record as read: its first line, and its cells (CSV) or data (JSONL), or why it
    could not be read (``problem``, with ``expected`` and the ``column`` when known)."""

    line: int
    data: Any = None
    problem: str = ""
    expected: str = ""
    column: str = ""


def open_text(path: Path) -> IO[str]:
    """The file as text. utf-8-sig: spreadsheets often save a byte-order mark before the
    header. Bytes that are not UTF-8 become surrogate escapes, found per record."""
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def not_utf8(text: str) -> str:
    """The first byte of ``text`` that was not UTF-8, as ``0xe9``, or ``""``."""
    for char in text:
        if "\udc80" <= char <= "\udcff":
            return f"0x{ord(char) - 0xDC00:02x}"
    return ""


_NOT_UTF8 = "UTF-8 text (save the file as UTF-8)"


def _lines(file: IO[str], skip: int) -> Iterator[str]:
    for number, line in enumerate(file):
        if number >= skip:
            yield line


def csv_records(path: Path, dialect: str) -> Iterator[RawRecord]:
    """Every non-empty record of a CSV file, the header first."""
    skip = 0  # lines already read, when reading starts again after an unclosed quote
    while True:
        with open_text(path) as file:
            reader = csv.reader(_lines(file, skip), dialect, strict=True)
            resumed = yield from _read_csv(reader, skip)
        if resumed is None:
            return
        skip = resumed


def _read_csv(reader: Any, skip: int) -> Generator[RawRecord, None, int | None]:
    """Yield the records of one pass; the line to start again from, or None at the end."""
    while True:
        start: int = skip + reader.line_num + 1
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            if "end of data" in str(exc):  # a quote opened on line `start` never closes
                yield RawRecord(start, problem="a quoted cell is never closed (unterminated "
                                "quote); the rows after this line are read on their own",
                                expected='a closing " for every opening "')
                return start
            yield RawRecord(start, problem=f"unreadable CSV: {exc}",
                            expected="cells of at most 131,072 characters, quoted as a "
                            "spreadsheet saves them")
            continue
        if not cells:
            continue
        for column, cell in enumerate(cells, 1):
            byte = not_utf8(cell)
            if byte:
                yield RawRecord(start, problem=f"not UTF-8 text (byte {byte})",
                                expected=_NOT_UTF8, column=f"column {column}")
                break
        else:
            yield RawRecord(start, cells)


def jsonl_records(path: Path) -> Iterator[RawRecord]:
    """Every non-empty line of a JSONL file, parsed."""
    with open_text(path) as file:
        yield from _read_jsonl(enumerate(file, 1))


def _read_jsonl(lines: Iterable[tuple[int, str]]) -> Iterator[RawRecord]:
    for number, line in lines:
        if not line.strip():
            continue
        byte = not_utf8(line)
        if byte:
            yield RawRecord(number, problem=f"not UTF-8 text (byte {byte})",
                            expected=_NOT_UTF8)
            continue
        try:
            yield RawRecord(number, strict_json(line))
        except json.JSONDecodeError as exc:
            yield RawRecord(number, problem=f"invalid JSON: {exc.msg}",
                            expected="one JSON object per line", column=f"column {exc.colno}")
        except (ValueError, RecursionError) as exc:
            yield RawRecord(number, problem=f"invalid JSON: {_json_reason(exc)}",
                            expected="one JSON object per line")


def _json_reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = str(exc)
    if "digits" in text:  # Python's limit on the digits of an integer it converts
        return "a number of more than 4,300 digits"
    return text
