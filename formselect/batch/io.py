"""Batch inputs and outputs: read cases from CSV, JSONL, case folders, DataFrames or any
iterable; write one summary row per case as CSV or JSONL.

A CSV file has one column per fact, named by its dotted name (``ownership.employee_pct``),
plus optional ``name``, ``notes`` and ``as_of`` columns::

    name,as_of,service.parent_body,ownership.employee_pct,transfer.pension_schemes
    Epic CIC,2025-03-01,council,100,lgps;nhs

An empty cell (or ``unknown``) is an unknown fact; a list fact is written ``a;b``. A JSONL
file has one JSON object per line, in the case-file layout (``{"ownership": {...}}``) or
with dotted keys. Reading only parses; checking a case is the worker's job, so that a bad
row becomes an error record for that row and the run goes on.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from formselect.advice import Advice
from formselect.case.io import TOP_LEVEL, UNKNOWN, load_case
from formselect.case.kinds import FactKind
from formselect.case.model import Case
from formselect.case.vocabulary import SECTIONS, case_facts
from formselect.errors import CaseError, Problem, did_you_mean

from .records import RawRecord, csv_records, jsonl_records, open_text

__all__ = [
    "COLUMNS",
    "BatchRow",
    "Record",
    "count_records",
    "read_records",
    "row_writer",
]

COLUMNS = ("row", "name", "as_of", "status", "recommended_form", "recommended_route",
           "regime", "top_risks", "fired_rules", "error")
LIST_SEPARATOR = ";"
ERROR_SEPARATOR = " | "  # Problem texts use "; " inside, so problems are joined with a bar
EXTRA_COLUMNS = tuple(dict.fromkeys((*TOP_LEVEL, "as_of")))  # name, notes, as_of
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})
CASE_SUFFIXES = (".toml", ".json")


@attrs.frozen
class Record:
    """One input case as read, before any check: what a worker needs to advise on it.

    ``payload`` is a :class:`Case`, plain data in the case-file layout, or None when the
    input could not be read (then ``problems`` says why). ``source`` locates the case in
    its input (``cases.csv:7 (row 6)``) for every problem reported about it.
    """

    row: int
    source: str
    name: str = ""
    as_of: dt.date | str | None = None
    payload: Case | dict[str, Any] | None = None
    problems: tuple[Problem, ...] = ()


@attrs.frozen
class BatchRow:
    """The summary of one case in a batch: its outcome, or why it could not be advised on.

    ``top_risks`` are ``rule_id:severity``, worst first; ``errors`` are located one-line
    problems. ``advice`` holds the full :class:`Advice` only when it was asked for.
    """

    row: int
    name: str
    as_of: str
    status: str  # recommended, tie, no_viable_form, or "error"
    # None when there is none (a tie no prior breaks, an error), as in Advice and sweeps
    recommended_form: str | None = None
    recommended_route: str | None = None
    regime: str | None = None
    top_risks: tuple[str, ...] = ()
    fired_rules: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    advice: Advice | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def error(self) -> str:
        """Every problem of the row on one line ("" when the case was advised on)."""
        return ERROR_SEPARATOR.join(self.errors)

    @property
    def ok(self) -> bool:
        """True when the case was advised on."""
        return not self.errors

    def to_record(self) -> dict[str, Any]:
        """The row as JSON-ready data with lists (JSONL and DataFrames). No form, route or
        regime (a tie no prior breaks, an error) is None, as in ``Advice`` and sweeps; a CSV cell
        is empty."""
        return {"row": self.row, "name": self.name, "as_of": self.as_of, "status": self.status,
                "recommended_form": self.recommended_form,
                "recommended_route": self.recommended_route,
                "regime": self.regime,
                "top_risks": list(self.top_risks), "fired_rules": list(self.fired_rules),
                "error": self.error}

    def to_cells(self) -> list[str]:
        """The row as CSV cells, lists joined with ``;``."""
        record = self.to_record()
        return [LIST_SEPARATOR.join(v) if isinstance(v, list) else "" if v is None else str(v)
                for v in (record[c] for c in COLUMNS)]


# --- reading ------------------------------------------------------------------------------

def read_records(cases: object) -> Iterator[Record]:
    """The records of a batch input, lazily, in input order.

    ``cases`` is a path to a ``.csv`` or ``.jsonl`` file or to a folder of case files, a
    pandas DataFrame, or an iterable of :class:`Case`, dicts and case-file paths. Problems
    that concern the whole input (an unknown CSV column) raise :class:`CaseError` at once.
    """
    if isinstance(cases, str | Path):
        path = Path(cases)
        if path.is_dir():
            return _read_folder(path)
        kind = input_kind(path)
        if kind == "csv":
            return _read_csv(path)
        if kind == "jsonl":
            _open_text(path).close()  # a missing file fails now, not at the first read
            return _read_jsonl(path)
        return _read_items([path])  # a single case file
    if _is_dataframe(cases):
        return _read_dataframe(cases)
    if isinstance(cases, Case | Mapping):
        return _read_items([cases])
    if not isinstance(cases, Iterable):
        raise CaseError([Problem("", "cannot read cases from this", type(cases).__name__,
                                 "a CSV/JSONL file or folder path, a DataFrame, or an "
                                 "iterable of cases, dicts and paths")])
    return _read_items(cases)


def count_records(cases: object) -> int | None:
    """How many records ``cases`` holds, when that is cheap to know (for the progress bar)."""
    if isinstance(cases, str | Path):
        path = Path(cases)
        if path.is_dir():
            return len(_case_files(path))
        kind = input_kind(path)
        if kind == "csv":
            _open_text(path).close()
            return max(sum(1 for _ in csv_records(path, _dialect(path))) - 1, 0)
        if kind == "jsonl":
            with _open_text(path) as file:
                return sum(1 for line in file if line.strip())
        return 1
    if isinstance(cases, Case | Mapping):
        return 1
    try:
        return len(cases)  # type: ignore[arg-type]
    except TypeError:
        return None


def input_kind(path: Path) -> str:
    """``csv``, ``jsonl`` or ``case`` from a file's suffix."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "case"


def _open_text(path: Path) -> IO[str]:
    if not path.is_file():
        raise CaseError([Problem("", "no such input file", source=str(path),
                                 expected="a .csv or .jsonl file, or a folder of case files")])
    return open_text(path)


def _dialect(path: Path) -> str:
    return "excel-tab" if path.suffix.lower() == ".tsv" else "excel"


def _read_csv(path: Path) -> Iterator[Record]:
    _open_text(path).close()  # a missing file fails now, not at the first read
    records = csv_records(path, _dialect(path))
    header = next(records, None)  # checked now, before any case is read
    if header is None:
        return iter(())
    if header.problem:
        raise CaseError([Problem(header.column or "header", header.problem,
                                 expected=header.expected, source=f"{path}:{header.line}")])
    columns = _check_columns(header.data, f"{path}:{header.line}")
    return _csv_rows(path, records, columns)


def _csv_rows(path: Path, records: Iterator[RawRecord],
              columns: list[str]) -> Iterator[Record]:
    for row_number, raw in enumerate(records, 1):
        source = f"{path}:{raw.line} (row {row_number})"
        if raw.problem:
            yield Record(row_number, source, problems=(Problem(
                raw.column, raw.problem, expected=raw.expected, source=source),))
        elif len(raw.data) != len(columns):
            yield Record(row_number, source, problems=(Problem(
                "", "wrong number of cells", len(raw.data),
                f"{len(columns)}, one per column of the header", source=source),))
        else:
            yield _record(row_number, source, zip(columns, raw.data, strict=True))


def _check_columns(header: Sequence[str], source: str) -> list[str]:
    """Every column must name a fact (or name, notes, as_of), once; else a CaseError."""
    facts = case_facts()
    known = [*EXTRA_COLUMNS, *facts]
    problems = []
    columns = [h.strip() for h in header]
    for i, column in enumerate(columns, 1):
        where = f"column {i}"
        if column not in known:
            problems.append(Problem(where, "unknown column", column or "(blank)",
                                    "name, notes, as_of or a dotted fact name such as "
                                    "ownership.employee_pct",
                                    did_you_mean(column, known), source=source))
        elif columns.index(column) != i - 1:
            problems.append(Problem(where, "column appears twice", column,
                                    "each column once", source=source))
    if problems:
        raise CaseError(problems)
    return columns


def _read_jsonl(path: Path) -> Iterator[Record]:
    for row_number, raw in enumerate(jsonl_records(path), 1):
        source = f"{path}:{raw.line} (row {row_number})"
        if raw.problem:
            yield Record(row_number, source, problems=(Problem(
                raw.column, raw.problem, expected=raw.expected, source=source),))
        else:
            yield _mapping_record(row_number, source, raw.data)


def _case_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in CASE_SUFFIXES
                  and p.is_file())


def _read_folder(folder: Path) -> Iterator[Record]:
    return _read_items(_case_files(folder))


def _read_items(items: Iterable[object]) -> Iterator[Record]:
    for row_number, item in enumerate(items, 1):
        source = f"row {row_number}"
        if isinstance(item, Case):
            yield Record(row_number, source, item.name, item.as_of, payload=item)
        elif isinstance(item, str | Path):
            # loaded here, not in a worker: a cluster's workers may not see this file system
            source = f"{item} (row {row_number})"
            try:
                case = load_case(item)
            except CaseError as exc:
                yield Record(row_number, source, Path(item).stem, problems=exc.problems)
                continue
            yield Record(row_number, source, case.name or Path(item).stem, case.as_of,
                         payload=case)
        else:
            yield _mapping_record(row_number, source, item)


def _mapping_record(row_number: int, source: str, data: object) -> Record:
    if not isinstance(data, Mapping):
        return Record(row_number, source, problems=(Problem(
            "", "a case must be a table of facts", type(data).__name__,
            "a JSON object / dict in the case-file layout or with dotted fact names",
            source=source),))
    return _record(row_number, source, data.items())


def _record(row_number: int, source: str, items: Iterable[tuple[Any, Any]]) -> Record:
    """Nest dotted keys into sections, parse text cells, and set ``as_of`` aside."""
    nested: dict[str, Any] = {}
    as_of: Any = None
    facts = case_facts()
    given: set[str] = set()
    twice: list[Problem] = []

    def put(section: str, field: str, value: Any) -> None:
        name = f"{section}.{field}"
        if name in given:  # a dotted key and its section's table both name the fact
            twice.append(Problem(name, "given twice", expected="each fact once, as a dotted "
                                 "key or inside its section, not both", source=source))
        given.add(name)
        if value is not None:
            nested.setdefault(section, {})[field] = value

    for key, raw in items:
        name = str(key)
        value = _parse(facts[name].kind, raw) if name in facts else _plain(raw)
        if name == "as_of":
            as_of = value
        elif name in facts:
            section, _, field = name.partition(".")
            put(section, field, value)
        elif name in SECTIONS and isinstance(value, Mapping):
            nested.setdefault(name, {})
            for k, v in value.items():
                put(name, str(k), _parse(facts[f"{name}.{k}"].kind, v)
                    if f"{name}.{k}" in facts else v)
        elif value is not None:
            nested[name] = value  # name, notes, or an unknown key the case check reports
    label = nested.get("name")
    return Record(row_number, source, label if isinstance(label, str) else "",
                  as_of if as_of != "" else None, nested, tuple(twice))


def _plain(value: Any) -> Any:
    """A cell as a Python value: NaN and NA are unknown, numpy scalars become numbers."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    module = type(value).__module__
    if module.startswith(("numpy", "pandas")):
        if str(value) in ("<NA>", "NaT", "nan"):
            return None
        item = getattr(value, "item", None)
        if module.startswith("numpy") and callable(item):
            return item()
    if isinstance(value, dt.datetime):  # a spreadsheet or pandas date comes as a datetime
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        return None if text == "" or text.lower() == UNKNOWN else text
    return value


def _parse(kind: FactKind, raw: Any) -> Any:
    """A cell as a fact value of ``kind``; text it cannot read is kept for the case check
    to report with the fact's name and what was expected."""
    value = _plain(raw)
    if isinstance(value, float) and kind is FactKind.INT and value.is_integer():
        return int(value)  # pandas turns a whole-number column with gaps into floats
    if not isinstance(value, str):
        return value
    if kind is FactKind.BOOL:
        word = value.lower()
        return True if word in TRUE_WORDS else False if word in FALSE_WORDS else value
    if kind in (FactKind.INT, FactKind.NUMBER):
        return _number(value, kind)
    if kind in (FactKind.SET, FactKind.CODES):
        return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
    return value


# thousands grouped by commas, as a spreadsheet writes them: 1,234,567.50. Any other comma
# ("2,5", "1.234,56") is ambiguous, so the text goes to the case check, which refuses it.
GROUPED = re.compile(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")


def _number(text: str, kind: FactKind) -> int | float | str:
    if not text.isascii():  # float() reads Arabic-Indic and full-width digits; rules do not
        return text
    if "," in text and not GROUPED.fullmatch(text):
        return text
    plain = text.replace(",", "").replace("_", "")
    try:
        number = float(plain)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    if number.is_integer() and (kind is FactKind.INT or "." not in plain):
        return int(number)
    return number


def _is_dataframe(value: object) -> bool:
    # checked by name so that pandas is never imported unless the caller already has it
    kind = type(value)
    return kind.__name__ == "DataFrame" and kind.__module__.startswith("pandas")


def _read_dataframe(frame: Any) -> Iterator[Record]:
    columns = _check_columns([str(c) for c in frame.columns], "DataFrame")
    return _dataframe_rows(frame, columns)


def _dataframe_rows(frame: Any, columns: list[str]) -> Iterator[Record]:
    for row_number, values in enumerate(frame.itertuples(index=False, name=None), 1):
        yield _record(row_number, f"row {row_number}", zip(columns, values, strict=True))


# --- writing ------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV
# injection"); CSV output puts a ' before such a cell, which spreadsheets hide.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs: ``'`` before a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def encodable(text: str) -> str:
    """Text that UTF-8 can write: a lone surrogate (from JSON, or a file name that is not
    UTF-8) is written as its escape, ``\\udcff``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _encodable_value(value: Any) -> Any:
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, list):
        return [_encodable_value(v) for v in value]
    return value


class RowWriter:
    """Writes batch rows to a text stream as CSV or JSONL, header first (unless the
    stream already holds one: a resumed run)."""

    def __init__(self, stream: IO[str], fmt: str, header: bool = True) -> None:
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"unknown output format {fmt!r}; expected csv or jsonl")
        self.stream = stream
        self.fmt = fmt
        self._csv = csv.writer(stream, lineterminator="\n") if fmt == "csv" else None
        if self._csv is not None and header:
            self._csv.writerow(COLUMNS)

    def write(self, row: BatchRow) -> None:
        """Write one row."""
        if self._csv is not None:
            self._csv.writerow([neutralised(encodable(c)) for c in row.to_cells()])
        else:
            record = {k: _encodable_value(v) for k, v in row.to_record().items()}
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def row_writer(stream: IO[str], fmt: str, header: bool = True) -> RowWriter:
    """A writer of batch rows as ``csv`` or ``jsonl``."""
    return RowWriter(stream, fmt, header)


def output_kind(path: Path) -> str:
    """``csv`` or ``jsonl`` from an output file's suffix (csv when unsure)."""
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"
