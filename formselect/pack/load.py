"""Load rule packs from TOML files, reporting every problem in every file in one pass.

Rule files are data: they are parsed with ``tomllib``, structured with cattrs into a raw
schema (``schema``), then checked (``check``: conditions, option ids, dates, references,
derivation cycles) and measured against what the engine can hold (``engine/durable.py``,
the one upward import, as in ``check``). No part of a rule file is ever executed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from formselect.case.kinds import FactKind
from formselect.engine.durable import capacity_problems, pack_size_problems
from formselect.errors import Problem, RulePackError, did_you_mean

from .check import build_rules, check_law_and_dates
from .cpv import CODE_PATTERN, FACT_PREFIX, digits, list_fact
from .model import CpvList, DerivedFact, Option, Pack, Prior, Property, Reference, Rule
from .overrides import apply_overrides, switch_off
from .preferences import (
    apply_weight_changes,
    build_prior,
    build_properties,
    check_form_properties,
    expand_preferences,
    note_weight_changes,
)
from .schema import (
    RawCpvList,
    RawFact,
    RawFile,
    RawMeta,
    RawOption,
    RawOverride,
    RawPrior,
    RawProperty,
    RawRule,
    RawWeight,
    located,
    structure_file,
)

__all__ = ["MAX_FILE_BYTES", "load_pack"]

MAX_FILE_BYTES = 2_000_000  # one rule file
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
DERIVED_KINDS = (FactKind.BOOL, FactKind.ENUM, FactKind.NUMBER)



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
    meta: list[tuple[RawMeta, str]] = attrs.Factory(list)
    options: dict[str, tuple[Option, str]] = attrs.Factory(dict)
    facts: dict[str, tuple[DerivedFact, str]] = attrs.Factory(dict)
    rules: list[tuple[RawRule, str, int, str]] = attrs.Factory(list)  # raw, source, index, text
    properties: list[tuple[RawProperty, str]] = attrs.Factory(list)
    weights: list[tuple[RawWeight, str]] = attrs.Factory(list)
    overrides: list[tuple[RawOverride, str, str]] = attrs.Factory(list)  # raw, where, file
    priors: list[tuple[RawPrior, str]] = attrs.Factory(list)
    cpv_lists: dict[str, tuple[CpvList, str]] = attrs.Factory(dict)
    # every list declared with a valid id, even one with bad codes: its rules then report
    # only their own problems, not an unknown fact
    cpv_declared: dict[str, tuple[bool, str]] = attrs.Factory(dict)

    def add_file(self, raw: RawFile, source: str, text: str) -> None:
        if raw.pack is not None:
            self.meta.append((raw.pack, source))
        if raw.prior is not None:
            line = next((n for n, text_line in enumerate(text.splitlines(), 1)
                         if re.match(r"\s*\[\s*prior\s*\]", text_line)), None)
            self.priors.append((raw.prior, f"{source}:{line}" if line else source))
        self.properties += [(p, located(source, text, "property", i))
                            for i, p in enumerate(raw.property) if p is not None]
        self.weights += [(w, located(source, text, "weight", i))
                         for i, w in enumerate(raw.weight) if w is not None]
        self.overrides += [(o, located(source, text, "override", i), source)
                           for i, o in enumerate(raw.override) if o is not None]
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
        for i, cpv in enumerate(raw.cpv_list):
            if cpv is not None:
                self._add_cpv_list(cpv, located(source, text, "cpv_list", i), i)

    def _add_cpv_list(self, raw: RawCpvList, source: str, index: int) -> None:
        """A list of CPV codes: each code eight digits (optionally -N), each range two codes
        in order, the law cited, the dates in order; every problem reported."""
        where = f"$.cpv_list[{index}]"
        count = len(self.problems)

        def report(path: str, message: str, found: object = None, expected: str = "",
                   suggestion: str = "") -> None:
            self.problems.append(Problem(f"{where}{path}", message, found, expected,
                                         suggestion, source=source))

        if not NAME_PATTERN.match(raw.id) or len(raw.id) + len(FACT_PREFIX) > 60:
            report(".id", "invalid CPV list id", raw.id, "lower_snake_case, at most "
                   f"{60 - len(FACT_PREFIX)} characters (rules read it as "
                   f"{list_fact('<id>')})")
        elif raw.id in self.cpv_declared:
            report(".id", "CPV list id declared twice", raw.id, "a unique id",
                   f"first declared in {self.cpv_declared[raw.id][1]}")
        else:
            self.cpv_declared[raw.id] = (raw.complete, source)
        if not raw.title.strip():
            report(".title", "empty title", expected="the list and the provision that gives it")
        check_law_and_dates(raw, "list", report)
        if not raw.codes and not raw.ranges:
            report(".codes", "no codes", expected="codes = [\"85000000-9\", ...] or "
                   "ranges = [[\"85000000-9\", \"85323000-9\"]]")
        for j, code in enumerate(raw.codes):
            _check_code(code, f".codes[{j}]", report)
        ranges: list[tuple[str, str]] = []
        for j, pair in enumerate(raw.ranges):
            if len(pair) != 2:
                report(f".ranges[{j}]", "a range is two codes", pair,
                       "[first, last], such as [\"85000000-9\", \"85323000-9\"]")
                continue
            if all(_check_code(c, f".ranges[{j}][{k}]", report) for k, c in enumerate(pair)):
                low, high = digits(pair[0]), digits(pair[1])
                if low > high:
                    report(f".ranges[{j}]", "the range ends before it starts", pair,
                           "the lower code first", f"write [\"{pair[1]}\", \"{pair[0]}\"]")
                else:
                    ranges.append((low, high))
        if len(self.problems) > count:
            return
        self.cpv_lists[raw.id] = (CpvList(
            raw.id, raw.title.strip(),
            tuple(Reference(r.instrument, r.provision, r.url, r.note) for r in raw.references),
            raw.valid_from, frozenset(digits(c) for c in raw.codes), tuple(ranges),
            raw.valid_until, raw.complete, raw.description.strip(), raw.caveat.strip(),
            source), source)

    def _add_option(self, kind: str, item: RawOption, source: str, index: int) -> None:
        where = f"$.{kind}[{index}].id"
        if not NAME_PATTERN.match(item.id):
            self.problems.append(Problem(where, f"invalid {kind} id", item.id,
                                         "lower_snake_case, at most 60 characters",
                                         source=source))
        elif item.id in self.options:
            self.problems.append(Problem(where, f"{kind} id declared twice", item.id,
                                         "a unique id", f"first declared in "
                                         f"{self.options[item.id][1]}", source=source))
        elif kind == "route" and item.available_from is not None:
            self.problems.append(Problem(f"$.{kind}[{index}].available_from",
                                         "only a form has an available_from date",
                                         item.available_from.isoformat(),
                                         "no available_from on a route", source=source))
        else:
            if item.family and not NAME_PATTERN.match(item.family):
                self.problems.append(Problem(f"$.{kind}[{index}].family", "invalid family",
                                             item.family, "lower_snake_case, at most 60 "
                                             "characters", source=source))
            if kind == "form" and item.burden:
                self.problems.append(Problem(f"$.{kind}[{index}].burden", "a form has no "
                                             "burden", item.burden, "burden only on [[route]] "
                                             "tables (forms weigh it as a property)",
                                             source=source))
            elif not 0 <= item.burden <= 10:
                self.problems.append(Problem(f"$.{kind}[{index}].burden", "burden out of "
                                             "range", item.burden, "0 to 10", source=source))
            option = Option(item.id, kind, item.name, item.description, tuple(item.forms),
                            available_from=item.available_from, family=item.family,
                            properties=dict(item.properties), burden=item.burden)
            self.options[item.id] = (option, source)

    def _add_fact(self, fact: RawFact, source: str, index: int) -> None:
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



def _check_code(code: object, path: str, report: Any) -> bool:
    if isinstance(code, str) and CODE_PATTERN.fullmatch(code):
        return True
    report(path, "invalid CPV code", code, "eight digits, optionally with the check digit "
           "(85000000-9)", "write the code as the provision prints it")
    return False


def _fact_clashes(builder: _Builder) -> None:
    """A derived fact must not take the name a CPV list gives the view."""
    for list_id, (_, source) in builder.cpv_declared.items():
        fact = list_fact(list_id)
        if fact in builder.facts:
            builder.problems.append(Problem(
                "$.fact.name", "derived fact has the name of a CPV list's fact", fact,
                "a name that does not start with " + FACT_PREFIX, f"the CPV list {list_id!r} "
                f"in {source} gives the view {fact}", source=builder.facts[fact][1]))


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
        structured, structure_problems = structure_file(raw, str(path), text)
        problems += structure_problems
        builder.add_file(structured, str(path), text)
    coverage = min((m.coverage_from for m, _ in builder.meta if m.coverage_from), default=None)
    options = {k: v for k, (v, _) in builder.options.items()}
    properties = build_properties(builder.properties, problems)
    check_form_properties(builder.options, properties, problems)
    overrides = apply_overrides(builder.rules, builder.overrides, problems)
    notes = apply_weight_changes(builder.rules, builder.weights, problems)
    expand_preferences(builder.rules, options, properties, problems)
    prior = build_prior(builder.priors, options, problems)
    _fact_clashes(builder)
    cpv_lists = tuple(sorted((c for c, _ in builder.cpv_lists.values()), key=lambda c: c.id))
    declared = {list_fact(k): CpvList(k, "", (), dt.date.min, complete=complete).spec()
                for k, (complete, _) in builder.cpv_declared.items()}
    rules = build_rules(builder.rules, options,
                        {k: v for k, (v, _) in builder.facts.items()}, problems, coverage,
                        {**declared, **{c.fact: c.spec() for c in cpv_lists}})
    rules = note_weight_changes(rules, notes)
    rules = [switch_off(r, overrides[r.id]) if r.id in overrides else r for r in rules]
    problems += pack_size_problems(len(rules), len(builder.facts) + len(cpv_lists))
    metas = [m for m, _ in builder.meta]
    if problems:
        raise RulePackError(problems)
    pack = _assemble(metas, options.values(), [f for f, _ in builder.facts.values()], rules,
                     [str(f) for f in files], properties, prior, cpv_lists)
    # counted on the ruleset the engine would get: a pack that passes never hangs it
    capacity = capacity_problems(pack)
    if capacity:
        raise RulePackError(capacity)
    return pack


def _assemble(metas: list[RawMeta], options: Iterable[Option], facts: Iterable[DerivedFact],
              rules: list[Rule], sources: list[str], properties: tuple[Property, ...] = (),
              prior: Prior | None = None, cpv_lists: tuple[CpvList, ...] = ()) -> Pack:
    forms = tuple(sorted((o for o in options if o.kind == "form"), key=lambda o: o.id))
    routes = tuple(sorted((o for o in options if o.kind == "route"), key=lambda o: o.id))
    derived = tuple(sorted(facts, key=lambda f: f.name))
    ordered = tuple(sorted(rules, key=lambda r: (r.stratum, r.id)))
    name = "+".join(m.name for m in metas) or "unnamed"
    version = "+".join(m.version for m in metas) or "0"
    coverage = min((m.coverage_from for m in metas if m.coverage_from), default=None)
    digest = _digest(forms, routes, derived, ordered, properties, [prior] if prior else [],
                     cpv_lists)
    return Pack(name, version, forms, routes, derived, ordered, digest, tuple(sources),
                coverage_from=coverage, properties=properties, prior=prior,
                cpv_lists=cpv_lists)


_LATER_FIELDS = frozenset({"override_note", "switched_off"})


def _digest(*parts: Iterable[object]) -> str:
    """A content hash independent of file names and file order."""
    def plain(obj: object) -> object:
        if attrs.has(type(obj)):
            return {f.name: plain(getattr(obj, f.name))
                    for f in attrs.fields(type(obj))  # type: ignore[arg-type]
                    if f.name not in ("condition", "source")
                    # fields added later count only when set, so digests stay as they were
                    and not (f.name in _LATER_FIELDS and getattr(obj, f.name) == f.default)}
        if isinstance(obj, dict):
            return {str(k): plain(v) for k, v in sorted(obj.items())}
        if isinstance(obj, frozenset):
            return sorted(plain(v) for v in obj)  # type: ignore[type-var]
        if isinstance(obj, list | tuple):
            return [plain(v) for v in obj]
        if isinstance(obj, dt.date):
            return obj.isoformat()
        return obj

    blob = json.dumps([plain(list(p)) for p in parts], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


