"""The raw schema of a rule file: what a file may contain, structured with cattrs.

Reading a file gives plain TOML data; this module turns it into raw records with located
problems (file, table, key), which ``pack_check`` then checks in domain language and
``make_rule`` turns into a checked :class:`~formselect.pack.Rule`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import attrs
import cattrs
from cattrs.errors import ForbiddenExtraKeysError

from formselect.errors import Problem, Shown, did_you_mean

from .model import Reference, Risk, Rule, Severity, Step

__all__ = ["RawCpvList", "RawFact", "RawFile", "RawMeta", "RawOption", "RawOverride",
           "RawPrior", "RawProperty", "RawPropertyValue", "RawReference", "RawRisk", "RawRule",
           "RawStep", "RawWeight", "check_severity", "located", "make_rule", "structure_file",
           "table_lines"]

# --- raw schema (what a file may contain) ------------------------------------------------

@attrs.frozen
class RawReference:
    instrument: str
    provision: str
    url: str
    note: str = ""


@attrs.frozen
class RawRisk:
    severity: str
    mitigation: str = ""
    applies_to: list[str] = attrs.Factory(list)


@attrs.frozen
class RawStep:
    text: str
    order: int = 100
    applies_to: list[str] = attrs.Factory(list)


@attrs.frozen
class RawRule:
    id: str
    title: str
    when: str
    explanation: str
    references: list[RawReference]
    valid_from: dt.date
    valid_until: dt.date | None = None
    exclude: list[str] = attrs.Factory(list)
    favour: dict[str, int] = attrs.Factory(dict)
    derive: dict[str, Any] = attrs.Factory(dict)
    prefer: dict[str, list[str]] = attrs.Factory(dict)
    weight: int = 0
    risk: RawRisk | None = None
    step: RawStep | None = None
    analysis: bool = False
    caveat: str = ""
    law_from: dt.date | None = None


@attrs.frozen
class RawOption:
    id: str
    name: str
    description: str = ""
    forms: list[str] = attrs.Factory(list)
    available_from: dt.date | None = None
    family: str = ""
    properties: dict[str, str] = attrs.Factory(dict)
    burden: int = 0


@attrs.frozen
class RawPropertyValue:
    id: str
    description: str
    references: list[RawReference] = attrs.Factory(list)
    analysis: bool = False


@attrs.frozen
class RawProperty:
    id: str
    name: str
    value: list[RawPropertyValue]
    description: str = ""


@attrs.frozen
class RawPrior:
    title: str
    date: dt.date
    explanation: str
    order: list[str]
    references: list[RawReference]
    analysis: bool = False
    caveat: str = ""


@attrs.frozen
class RawWeight:
    rule: str
    weight: int
    reason: str


@attrs.frozen
class RawOverride:
    rule: str
    reason: str
    references: list[RawReference] = attrs.Factory(list)


@attrs.frozen
class RawFact:
    name: str
    kind: str
    values: list[str] = attrs.Factory(list)
    description: str = ""


@attrs.frozen
class RawCpvList:
    id: str
    title: str
    references: list[RawReference]
    valid_from: dt.date
    valid_until: dt.date | None = None
    codes: list[str] = attrs.Factory(list)
    ranges: list[list[str]] = attrs.Factory(list)
    complete: bool = True
    description: str = ""
    caveat: str = ""


@attrs.frozen
class RawMeta:
    name: str
    version: str
    description: str = ""
    coverage_from: dt.date | None = None


@attrs.frozen
class RawFile:
    pack: RawMeta | None = None
    form: list[RawOption] = attrs.Factory(list)
    route: list[RawOption] = attrs.Factory(list)
    fact: list[RawFact] = attrs.Factory(list)
    rule: list[RawRule] = attrs.Factory(list)
    property: list[RawProperty] = attrs.Factory(list)
    weight: list[RawWeight] = attrs.Factory(list)
    prior: RawPrior | None = None
    cpv_list: list[RawCpvList] = attrs.Factory(list)
    override: list[RawOverride] = attrs.Factory(list)


def _strict(kind: type, label: str) -> Any:
    def hook(value: object, _: object) -> object:
        # bool is an int and a date-time is a date to Python; neither is to a reader
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)) \
                and not (kind is dt.date and isinstance(value, dt.datetime)):
            return value
        raise TypeError(f"{label}|{value!r}")
    return hook


def _number(value: object, _: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"a number|{value!r}")


def _converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook(str, _strict(str, "text"))
    conv.register_structure_hook(int, _strict(int, "a whole number"))
    conv.register_structure_hook(bool, _strict(bool, "true or false"))
    conv.register_structure_hook(dt.date, _strict(dt.date, "a date such as 2015-02-26"))
    conv.register_structure_hook(float, _number)
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


_TABLE_NAMES: dict[type[Any], str] = {RawMeta: "pack", RawOption: "form or route",
                                      RawFact: "fact", RawRule: "rule",
                                      RawProperty: "property", RawWeight: "weight",
                                      RawPrior: "prior", RawCpvList: "CPV list",
                                      RawOverride: "override"}


_SECTIONS: dict[str, type[Any]] = {"form": RawOption, "route": RawOption, "fact": RawFact,
                                   "rule": RawRule, "property": RawProperty,
                                   "weight": RawWeight, "cpv_list": RawCpvList,
                                   "override": RawOverride}


def structure_file(raw: dict[str, Any], source: str,
               text: str = "") -> tuple[RawFile, list[Problem]]:
    """Structure item by item, so that one bad rule does not hide the others' problems."""
    problems: list[Problem] = []
    allowed = ["pack", "prior", *_SECTIONS]
    for key in raw:
        if key not in allowed:
            problems.append(Problem("$", f"unknown key {key}", expected="one of " +
                                    ", ".join(allowed), suggestion=did_you_mean(key, allowed),
                                    source=source))
    meta = None
    if "pack" in raw:
        meta, found = _structure_one(raw["pack"], RawMeta, "$.pack", source)
        problems += found
    prior = None
    if "prior" in raw:
        prior, found = _structure_one(raw["prior"], RawPrior, "$.prior", source)
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
            rule = str(item.get("id", item.get("rule", ""))) if isinstance(item, dict) else ""
            value, found = _structure_one(item, cls, f"$.{key}[{i}]",
                                          located(source, text, key, i), rule)
            problems += found
            lists[key].append(value)  # None keeps the index of a bad item
    structured = RawFile(meta, lists["form"], lists["route"], lists["fact"], lists["rule"],
                         lists["property"], lists["weight"], prior, lists["cpv_list"],
                         lists["override"])
    return structured, problems



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


def check_severity(value: str) -> Severity | None:
    """The severity named, or None."""
    try:
        return Severity(value)
    except ValueError:
        return None


def make_rule(raw: RawRule, source: str, condition: Any, stratum: int) -> Rule:
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
        favour=dict(raw.favour), derive=dict(raw.derive),
        prefer={k: tuple(v) for k, v in raw.prefer.items()}, weight=raw.weight,
        risk=risk, step=step,
        analysis=raw.analysis, caveat=raw.caveat.strip(), source=source, stratum=stratum,
        law_from=raw.law_from)
