"""Load rule packs from TOML files, reporting every problem in every file in one pass.

Rule files are data: they are parsed with ``tomllib``, structured with cattrs into a raw
schema, then checked (conditions, option ids, dates, references, derivation cycles). No
part of a rule file is ever executed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ForbiddenExtraKeysError

from .errors import Problem, RulePackError, Shown
from .facttypes import FactKind
from .pack import DerivedFact, Option, Pack, Reference, Risk, Rule, Severity, Step
from .vocabulary import case_facts, did_you_mean

__all__ = ["MAX_FILE_BYTES", "MAX_RULES", "load_pack"]

MAX_FILE_BYTES = 2_000_000  # one rule file
# durable_rules holds at most 4,096 rules in a ruleset (error 106 beyond); formselect adds one
# stage rule per stratum, so a pack keeps well below that
MAX_RULES = 4_000
MAX_FACT_KEYS = 255  # durable_rules: MAX_OBJECT_PROPERTIES in state.h


def engine_keys_needed(derived: int) -> int:
    """Values the engine's case fact can carry: case facts (a set as one key per member plus
    one), a years_since value per date, as_of, stage, sid and every derived fact."""
    keys = 3 + derived
    for spec in case_facts().values():
        keys += {FactKind.SET: 1 + len(spec.values), FactKind.DATE: 2}.get(spec.kind, 1)
    return keys
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,79}$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
DERIVED_KINDS = (FactKind.BOOL, FactKind.ENUM, FactKind.NUMBER)


# --- raw schema (what a file may contain) ------------------------------------------------

@attrs.frozen
class _RawReference:
    instrument: str
    provision: str
    url: str
    note: str = ""


@attrs.frozen
class _RawRisk:
    severity: str
    mitigation: str = ""
    applies_to: list[str] = attrs.Factory(list)


@attrs.frozen
class _RawStep:
    text: str
    order: int = 100
    applies_to: list[str] = attrs.Factory(list)


@attrs.frozen
class _RawRule:
    id: str
    title: str
    when: str
    explanation: str
    references: list[_RawReference]
    valid_from: dt.date
    valid_until: dt.date | None = None
    exclude: list[str] = attrs.Factory(list)
    favour: dict[str, int] = attrs.Factory(dict)
    derive: dict[str, Any] = attrs.Factory(dict)
    risk: _RawRisk | None = None
    step: _RawStep | None = None
    analysis: bool = False
    caveat: str = ""


@attrs.frozen
class _RawOption:
    id: str
    name: str
    description: str = ""
    forms: list[str] = attrs.Factory(list)


@attrs.frozen
class _RawFact:
    name: str
    kind: str
    values: list[str] = attrs.Factory(list)
    description: str = ""


@attrs.frozen
class _RawMeta:
    name: str
    version: str
    description: str = ""


@attrs.frozen
class _RawFile:
    pack: _RawMeta | None = None
    form: list[_RawOption] = attrs.Factory(list)
    route: list[_RawOption] = attrs.Factory(list)
    fact: list[_RawFact] = attrs.Factory(list)
    rule: list[_RawRule] = attrs.Factory(list)


def _strict(kind: type, label: str) -> Any:
    def hook(value: object, _: object) -> object:
        # bool is an int and a date-time is a date to Python; neither is to a reader
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)) \
                and not (kind is dt.date and isinstance(value, dt.datetime)):
            return value
        raise TypeError(f"{label}|{value!r}")
    return hook


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(str, _strict(str, "text"))
    conv.register_structure_hook(int, _strict(int, "a whole number"))
    conv.register_structure_hook(bool, _strict(bool, "true or false"))
    conv.register_structure_hook(dt.date, _strict(dt.date, "a date such as 2015-02-26"))
    conv.register_structure_hook(Any, lambda v, _: v)
    return conv


_CONVERTER = _converter()


def _format_exception(exc: BaseException, _type: object) -> str:
    """Encode a leaf error as 'message|found|expected|suggestion' for _structure_problems."""
    if isinstance(exc, ForbiddenExtraKeysError):
        allowed = [f.name for f in attrs.fields(exc.cl)]
        extras = sorted(exc.extra_fields)
        hints = [h for h in (did_you_mean(e, allowed) for e in extras) if h]
        return (f"unknown key{'s' if len(extras) > 1 else ''} {', '.join(extras)}|"
                f"|one of {', '.join(allowed)}|{'; '.join(hints)}")
    if isinstance(exc, KeyError):
        return "required key missing|||"
    if isinstance(exc, TypeError) and "|" in str(exc):
        expected, found = str(exc).split("|", 1)
        return f"wrong type|{found}|{expected}|"
    return f"invalid value||{exc}|"


def _structure_one(raw: object, cls: type[Any], path: str, source: str,
                   rule: str = "") -> tuple[Any, list[Problem]]:
    try:
        return _CONVERTER.structure(raw, cls), []
    except (cattrs.ClassValidationError, cattrs.IterableValidationError) as exc:
        problems = []
        for line in cattrs.transform_error(exc, path=path, format_exception=_format_exception):
            text, _, where = line.rpartition(" @ ")
            message, found, expected, suggestion = [*text.split("|"), "", "", ""][:4]
            problems.append(Problem(where, message, Shown(found) if found else None, expected,
                                    suggestion, source=source, rule=rule))
        return None, problems
    except (TypeError, ValueError, AttributeError) as exc:
        del exc  # a Python message about the wrong value would not help the reader
        return None, [Problem(path, f"expected a table for {_TABLE_NAMES[cls]}",
                              type(raw).__name__, "a TOML table", source=source, rule=rule)]


_TABLE_NAMES: dict[type[Any], str] = {_RawMeta: "pack", _RawOption: "form or route",
                                      _RawFact: "fact", _RawRule: "rule"}


_SECTIONS: dict[str, type[Any]] = {"form": _RawOption, "route": _RawOption, "fact": _RawFact,
                                   "rule": _RawRule}


def _structure(raw: dict[str, Any], source: str,
               text: str = "") -> tuple[_RawFile, list[Problem]]:
    """Structure item by item, so that one bad rule does not hide the others' problems."""
    problems: list[Problem] = []
    allowed = ["pack", *_SECTIONS]
    for key in raw:
        if key not in allowed:
            problems.append(Problem("$", f"unknown key {key}", expected="one of " +
                                    ", ".join(allowed), suggestion=did_you_mean(key, allowed),
                                    source=source))
    meta = None
    if "pack" in raw:
        meta, found = _structure_one(raw["pack"], _RawMeta, "$.pack", source)
        problems += found
    lists: dict[str, list[Any]] = {}
    for key, cls in _SECTIONS.items():
        items = raw.get(key, [])
        if not isinstance(items, list):
            problems.append(Problem(f"$.{key}", f"'{key}' must be an array of tables",
                                    type(items).__name__, f"[[{key}]] entries", source=source))
            items = []
        lists[key] = []
        for i, item in enumerate(items):
            rule = str(item.get("id", "")) if isinstance(item, dict) else ""
            value, found = _structure_one(item, cls, f"$.{key}[{i}]",
                                          located(source, text, key, i), rule)
            problems += found
            lists[key].append(value)  # None keeps the index of a bad item
    structured = _RawFile(meta, *(lists[k] for k in _SECTIONS))
    return structured, problems


# --- reading files -----------------------------------------------------------------------

def _rule_files(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.toml") if p.is_file())
            if not found:
                problems.append(Problem("", "no rule files (*.toml) in this folder",
                                        expected="one or more .toml rule files",
                                        source=str(path)))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem("", "no such file or folder", source=str(path),
                                    expected="a rule file or a folder of rule files"))
    return files, problems


def _read(path: Path) -> tuple[dict[str, Any] | None, str, list[Problem]]:
    source = str(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, "", [Problem("", "rule file too large", f"{size:,} bytes",
                                  f"at most {MAX_FILE_BYTES:,} bytes; split it", source=source)]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, "", [Problem(f"byte {exc.start}", "not UTF-8 text", source=source,
                                  expected="a UTF-8 encoded TOML file")]
    try:
        return tomllib.loads(text), text, []
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = f"line {match[1]}, column {match[2]}" if match else ""
        return None, text, [Problem(where, f"invalid TOML: {message.split(' (at', maxsplit=1)[0]}",
                                    expected="valid TOML 1.0", source=source)]
    except RecursionError:  # tomllib recurses once per nested array or inline table
        return None, text, [Problem("", "invalid TOML: nested too deeply to read",
                                    expected="valid TOML 1.0 with arrays and tables nested a "
                                    "few levels deep", source=source)]
    except ValueError as exc:  # e.g. an integer beyond Python's 4,300-digit limit
        return None, text, [Problem("", "invalid TOML: a value Python cannot read",
                                    expected="valid TOML 1.0 with numbers of ordinary size",
                                    suggestion=str(exc)[:200], source=source)]


# --- building the pack -------------------------------------------------------------------

@attrs.define
class _Builder:
    problems: list[Problem] = attrs.Factory(list)
    meta: list[tuple[_RawMeta, str]] = attrs.Factory(list)
    options: dict[str, tuple[Option, str]] = attrs.Factory(dict)
    facts: dict[str, tuple[DerivedFact, str]] = attrs.Factory(dict)
    rules: list[tuple[_RawRule, str, int, str]] = attrs.Factory(list)  # raw, source, index, text

    def add_file(self, raw: _RawFile, source: str, text: str) -> None:
        if raw.pack is not None:
            self.meta.append((raw.pack, source))
        for kind, items in (("form", raw.form), ("route", raw.route)):
            for i, item in enumerate(items):
                if item is not None:
                    self._add_option(kind, item, located(source, text, kind, i), i)
        for i, fact in enumerate(raw.fact):
            if fact is not None:
                self._add_fact(fact, located(source, text, "fact", i), i)
        for i, rule in enumerate(raw.rule):
            if rule is not None:
                self.rules.append((rule, source, i, text))

    def _add_option(self, kind: str, item: _RawOption, source: str, index: int) -> None:
        where = f"$.{kind}[{index}].id"
        if not NAME_PATTERN.match(item.id):
            self.problems.append(Problem(where, f"invalid {kind} id", item.id,
                                         "lower_snake_case, at most 60 characters",
                                         source=source))
        elif item.id in self.options:
            self.problems.append(Problem(where, f"{kind} id declared twice", item.id,
                                         "a unique id", f"first declared in "
                                         f"{self.options[item.id][1]}", source=source))
        else:
            option = Option(item.id, kind, item.name, item.description, tuple(item.forms))
            self.options[item.id] = (option, source)

    def _add_fact(self, fact: _RawFact, source: str, index: int) -> None:
        where = f"$.fact[{index}]"
        kinds = [str(k) for k in DERIVED_KINDS]
        if not NAME_PATTERN.match(fact.name) or fact.name == "as_of":
            self.problems.append(Problem(f"{where}.name", "invalid derived fact name",
                                         fact.name, "lower_snake_case without a section "
                                         "(derived facts have no dot)", source=source))
        elif fact.name in self.facts:
            self.problems.append(Problem(f"{where}.name", "derived fact declared twice",
                                         fact.name, "a unique name", f"first declared in "
                                         f"{self.facts[fact.name][1]}", source=source))
        elif fact.kind not in kinds:
            self.problems.append(Problem(f"{where}.kind", "invalid kind", fact.kind,
                                         "one of " + ", ".join(kinds),
                                         did_you_mean(fact.kind, kinds), source=source))
        elif (fact.kind == "enum") != bool(fact.values):
            self.problems.append(Problem(f"{where}.values", "values are needed for an enum "
                                         "fact and only for one", fact.values,
                                         "a list of values for kind 'enum'", source=source))
        else:
            self.facts[fact.name] = (DerivedFact(fact.name, FactKind(fact.kind),
                                                 tuple(fact.values), fact.description), source)


@functools.lru_cache(maxsize=64)
def table_lines(text: str, key: str) -> list[int]:
    """The line numbers of each ``[[key]]`` header: the i-th is where ``$.key[i]`` starts
    (computed once per file and key)."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(key)}\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), 1) if header.match(line)]


def located(source: str, text: str, key: str, index: int) -> str:
    """``file:line`` for the index-th ``[[key]]`` table of a file (or just the file)."""
    lines = table_lines(text, key) if text else []
    return f"{source}:{lines[index]}" if index < len(lines) else source


def load_pack(*paths: str | Path) -> Pack:
    """Load one or more rule files or folders into a checked :class:`Pack`.

    Raises :class:`RulePackError` listing every problem in every file.
    """
    files, problems = _rule_files([Path(p) for p in paths])
    builder = _Builder(problems)
    for path in files:
        raw, text, read_problems = _read(path)
        problems += read_problems
        if raw is None:
            continue
        structured, structure_problems = _structure(raw, str(path), text)
        problems += structure_problems
        builder.add_file(structured, str(path), text)
    from .pack_check import build_rules  # the semantic checks live in their own module

    rules = build_rules(builder.rules, {k: v for k, (v, _) in builder.options.items()},
                        {k: v for k, (v, _) in builder.facts.items()}, problems)
    keys = engine_keys_needed(len(builder.facts))
    if keys > MAX_FACT_KEYS:
        allowed = len(builder.facts) - keys + MAX_FACT_KEYS
        problems.append(Problem("", "too many derived facts for the engine",
                                len(builder.facts), f"at most {allowed} derived facts (the "
                                f"engine holds at most {MAX_FACT_KEYS} values per fact)"))
    if len(rules) > MAX_RULES:
        problems.append(Problem("", "too many rules", len(rules), f"at most {MAX_RULES:,}"))
    metas = [m for m, _ in builder.meta]
    if problems:
        raise RulePackError(problems)
    options = [o for o, _ in builder.options.values()]
    return _assemble(metas, options, [f for f, _ in builder.facts.values()], rules,
                     [str(f) for f in files])


def _assemble(metas: list[_RawMeta], options: Iterable[Option], facts: Iterable[DerivedFact],
              rules: list[Rule], sources: list[str]) -> Pack:
    forms = tuple(sorted((o for o in options if o.kind == "form"), key=lambda o: o.id))
    routes = tuple(sorted((o for o in options if o.kind == "route"), key=lambda o: o.id))
    derived = tuple(sorted(facts, key=lambda f: f.name))
    ordered = tuple(sorted(rules, key=lambda r: (r.stratum, r.id)))
    name = "+".join(m.name for m in metas) or "unnamed"
    version = "+".join(m.version for m in metas) or "0"
    digest = _digest(forms, routes, derived, ordered)
    return Pack(name, version, forms, routes, derived, ordered, digest, tuple(sources))


def _digest(*parts: Iterable[object]) -> str:
    """A content hash independent of file names and file order."""
    def plain(obj: object) -> object:
        if attrs.has(type(obj)):
            return {f.name: plain(getattr(obj, f.name))
                    for f in attrs.fields(type(obj))  # type: ignore[arg-type]
                    if f.name not in ("condition", "source")}
        if isinstance(obj, dict):
            return {str(k): plain(v) for k, v in sorted(obj.items())}
        if isinstance(obj, list | tuple):
            return [plain(v) for v in obj]
        if isinstance(obj, dt.date):
            return obj.isoformat()
        return obj

    blob = json.dumps([plain(list(p)) for p in parts], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def check_severity(value: str) -> Severity | None:
    """The severity named, or None."""
    try:
        return Severity(value)
    except ValueError:
        return None


def make_rule(raw: _RawRule, source: str, condition: Any, stratum: int) -> Rule:
    """The checked rule from its raw form."""
    risk = None
    if raw.risk is not None:
        risk = Risk(Severity(raw.risk.severity), raw.risk.mitigation, tuple(raw.risk.applies_to))
    step = Step(raw.step.text, raw.step.order, tuple(raw.step.applies_to)) if raw.step else None
    return Rule(
        id=raw.id, title=raw.title, when=raw.when, condition=condition,
        explanation=raw.explanation.strip(),
        references=tuple(Reference(r.instrument, r.provision, r.url, r.note)
                         for r in raw.references),
        valid_from=raw.valid_from, valid_until=raw.valid_until, exclude=tuple(raw.exclude),
        favour=dict(raw.favour), derive=dict(raw.derive), risk=risk, step=step,
        analysis=raw.analysis, caveat=raw.caveat.strip(), source=source, stratum=stratum)

