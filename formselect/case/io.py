"""Read and write cases as TOML, JSON or plain dicts, reporting every problem.

A case file has optional top-level ``name`` and ``notes`` and one table per section::

    name = "Epic CIC"
    [service]
    parent_body = "council"
    categories = ["children_and_youth", "careers_advice"]
    [ownership]
    employee_pct = 100

A fact left out is *unknown*. JSON ``null`` and the string ``"unknown"`` also mean unknown
(TOML has no null; ``"unknown"`` lets an interview record a question it asked).
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import tomli_w

from formselect.errors import CaseError, Problem, Shown, did_you_mean

from .kinds import check_value, converter_for
from .model import Case
from .vocabulary import SECTIONS, case_facts, section_fields

__all__ = ["UNKNOWN", "case_from_dict", "case_to_dict", "dump_case", "load_case", "loads_case",
           "strict_json"]

UNKNOWN = "unknown"
TOP_LEVEL = ("name", "notes", "as_of")
MAX_CASE_BYTES = 1_000_000
MAX_TEXT = 10_000  # characters in name / notes
MAX_KEY = 200  # characters of an unknown key shown in a problem


# each section's class, by the section's name
SECTION_CLASSES: dict[str, type] = {f.name: f.type for f in attrs.fields(Case)
                                    if f.name in SECTIONS and isinstance(f.type, type)}


def _structure(clean: Mapping[str, Any]) -> Case:
    """The case from data that ``_check`` has converted and checked: each section built, then
    the case. A section or case that refuses its values (facts that contradict one another)
    raises one CaseError with the problems of every section, else those of the case.

    Built by hand rather than through a cattrs converter: cattrs would generate and compile
    a function per class at the first case read, and its import is a tenth of a cold start.
    """
    values: dict[str, Any] = {k: clean[k] for k in TOP_LEVEL if k in clean}
    problems: list[Problem] = []
    for section, cls in SECTION_CLASSES.items():
        if section in clean:
            try:
                values[section] = cls(**clean[section])
            except CaseError as exc:
                problems += exc.problems
    if problems:
        raise CaseError(problems)
    return Case(**values)


def _check(data: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[Problem]]:
    """Convert and check every fact; returns cleaned data and every problem found."""
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    allowed = [*TOP_LEVEL, *SECTIONS]
    everything = [*allowed, *case_facts()]
    for key, value in data.items():
        if key == "as_of":
            day = converter_for(dt.date)(value)
            if value is not None and value != UNKNOWN:
                if isinstance(day, dt.date) and not isinstance(day, dt.datetime):
                    clean[key] = day
                else:
                    problems.append(Problem(key, "invalid value", _short(value),
                                            "a date such as 2026-06-01", source=source))
        elif key in TOP_LEVEL:
            if not _valid_text(value):
                problems.append(Problem(key, "invalid value", _short(value),
                                        f"text of at most {MAX_TEXT:,} characters, valid "
                                        "Unicode (no lone surrogate escapes)", source=source))
            else:
                clean[key] = value
        elif key in SECTIONS:
            if not isinstance(value, Mapping):
                problems.append(Problem(key, "a section must be a table", _short(value),
                                        f"[{key}] with facts inside", source=source))
                continue
            clean[key] = _check_section(key, value, source, problems)
        else:
            problems.append(Problem(_key(key), "unknown key", expected="name, notes or a "
                                    "section: " + ", ".join(SECTIONS),
                                    suggestion=_did_you_mean(key, everything),
                                    source=source))
    return clean, problems


def _check_section(section: str, values: Mapping[str, Any], source: str,
                   problems: list[Problem]) -> dict[str, Any]:
    fields = {f.name: f for f in section_fields(section)}
    clean: dict[str, Any] = {}
    for key, raw in values.items():
        name = f"{section}.{_key(key)}"
        field = fields.get(str(key))
        if field is None:
            problems.append(Problem(name, "unknown fact", expected=f"a fact of [{section}]",
                                    suggestion=_did_you_mean(f"{section}.{key}", case_facts()),
                                    source=source))
            continue
        if raw is None or raw == UNKNOWN:
            continue
        spec = case_facts()[name]
        value = converter_for(field.type)(raw)
        failure = check_value(spec.info, field.metadata, value)
        if failure is not None:
            found, expected = failure
            suggestion = ""
            if spec.values and isinstance(found, str):
                suggestion = did_you_mean(found, spec.values)
            problems.append(Problem(name, "invalid value", _short(found), expected, suggestion,
                                    source=source))
            continue
        clean[str(key)] = value
    return clean


def _short(value: object) -> object:
    """The value as a problem shows it: long values cut to 80 characters."""
    if isinstance(value, int) and value.bit_length() > 256:
        # repr() of an int beyond 4,300 digits raises ValueError (Python's own limit)
        return Shown(f"an integer of about {int(value.bit_length() * 0.30103):,} digits")
    text = repr(value)
    return text[:77] + "..." if len(text) > 80 else value


def _key(key: object) -> str:
    """A key as a problem names it: printable as UTF-8, and cut beyond MAX_KEY characters."""
    text = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
    return text[:MAX_KEY - 3] + "..." if len(text) > MAX_KEY else text


def _valid_text(value: object) -> bool:
    """Text within MAX_TEXT that can be written as UTF-8 (JSON's \\ud800 escapes cannot)."""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True




def _did_you_mean(key: object, names: Iterable[str]) -> str:
    """A suggestion for a misspelt key (none for keys far longer than any name)."""
    return did_you_mean(str(key), names) if len(str(key)) <= MAX_KEY else ""


def case_from_dict(data: Mapping[str, Any], source: str = "") -> Case:
    """Build a case from plain data, raising :class:`CaseError` with every problem."""
    if not isinstance(data, Mapping):
        raise CaseError([Problem("", "a case must be a table of sections",
                                 type(data).__name__, "a dict / TOML table / JSON object",
                                 source=source)])
    clean, problems = _check(data, source)
    try:
        case = _structure(clean)
    except CaseError as exc:  # cross-field contradictions
        # reported together with any field problems: every problem in one pass
        problems += [attrs.evolve(p, source=source) for p in exc.problems]
    if problems:
        raise CaseError(problems)
    return case


def case_to_dict(case: Case) -> dict[str, Any]:
    """Plain data (dates stay dates); unknown facts and empty sections are left out."""
    data: dict[str, Any] = {k: getattr(case, k) for k in TOP_LEVEL
                            if getattr(case, k) not in (None, "")}
    for section in SECTIONS:
        facts = {f.name: _plain(getattr(getattr(case, section), f.name))
                 for f in section_fields(section)}
        facts = {k: v for k, v in facts.items() if v is not None}
        if facts:
            data[section] = facts
    return data


def json_value(value: object) -> object:
    """A case value as JSON-ready data (dates as ISO text, sets as sorted lists)."""
    if value is None or type(value) in (str, bool, int):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(json_value(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value



def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset):
        return sorted(_plain(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, tuple):
        return list(value)
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number (JSON has no NaN or Infinity)")


def _non_finite(name: str) -> float:
    # JSON has no NaN or Infinity; Python's json reads them. Keep the value so that the fact
    # it was given for reports it, at that fact (a finite number is expected there), rather
    # than one problem for the whole document.
    return float(name.lower().replace("infinity", "inf"))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:  # json's default keeps the last one in silence
            raise ValueError(f"the key {key!r} appears twice in one object")
        data[key] = value
    return data


def strict_json(text: str, *, at_the_fact: bool = False) -> Any:
    """JSON as formselect reads it: each key once per object, and no NaN or Infinity. A batch
    line refuses them outright (a table cell's NaN means "unknown", so it must never reach
    that path); a case file (``at_the_fact``) keeps them as the non-finite numbers every fact
    refuses, so the problem is reported at the fact that was given one."""
    constant = _non_finite if at_the_fact else _refuse_constant
    return json.loads(text, parse_constant=constant, object_pairs_hook=_unique_keys)


def loads_case(text: str, fmt: str = "toml", source: str = "") -> Case:
    """Parse a case from TOML or JSON text."""
    try:
        data = strict_json(text, at_the_fact=True) if fmt == "json" else tomllib.loads(text)
    except RecursionError:
        # The parsers recurse once per nested array or table; the interpreter's own words
        # for this differ from one Python version to the next (3.14 names the C stack)
        raise CaseError([Problem("", f"invalid {fmt.upper()}: nested too deeply to read",
                                 source=source, expected=f"a valid {fmt.upper()} document "
                                 "with arrays and tables nested a few levels deep")]) from None
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        # ValueError covers JSONDecodeError and integer literals over Python's digit limit
        raise CaseError([Problem("", f"invalid {fmt.upper()}: {exc}", source=source,
                                 expected=f"a valid {fmt.upper()} document")]) from None
    return case_from_dict(data, source)


def load_case(path: str | Path) -> Case:
    """Read a case file (``.toml`` or ``.json``)."""
    file = Path(path)
    if not file.is_file():
        raise CaseError([Problem("", "no such case file", source=str(file),
                                 expected="a .toml or .json file")])
    if file.stat().st_size > MAX_CASE_BYTES:
        raise CaseError([Problem("", "case file too large", file.stat().st_size,
                                 f"at most {MAX_CASE_BYTES:,} bytes", source=str(file))])
    fmt = "json" if file.suffix.lower() == ".json" else "toml"
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CaseError([Problem("", "not UTF-8 text", source=str(file),
                                 expected="a UTF-8 encoded file")]) from None
    return loads_case(text, fmt, str(file))


def dump_case(case: Case, fmt: str = "toml") -> str:
    """The case as TOML or JSON text that :func:`loads_case` reads back to an equal case."""
    data = case_to_dict(case)
    if fmt == "json":
        return json.dumps(data, default=_json_default, indent=2, ensure_ascii=False) + "\n"
    return tomli_w.dumps(data, multiline_strings=True)


def _json_default(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
