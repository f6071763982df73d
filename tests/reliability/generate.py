"""Seeded case generators for the reliability scripts (plain ``random.Random``, no Hypothesis).

Every item is a pure function of ``(seed, index)`` (``random.Random(f"{seed}:{index}")``), so
any case a script reports can be replayed alone, in any process, with ``--only INDEX``.

* :func:`valid_case`: case data (the case-file layout) that must get an Advice. A mix of the
  benchmark suite's realistic cases (``tests.benchmarks.cases.case_data``), cases steered to
  a pack's literals and validity boundaries (``tests.strategies.literal_hints``), boundary
  and extreme values (0, 100, 5e-324, 10^12, 0001-01-01, 9999-12-31, every category at once),
  and unicode names; ownership stakes never add up to more than 100 and the other
  cross-field contradictions are avoided.
* :func:`invalid_case`: a valid case with one to three defects at distinct places, returned
  with the ``where`` of each (the CaseError problems expected): wrong types, out-of-range
  numbers, NaN and infinities, unknown keys, misspelt values, odd unicode, huge strings,
  sections that are not tables, and cross-field contradictions.
* :func:`fuzz_item`: one of the above, as a dict, JSON text or TOML text, with an as_of.

Text in valid cases never holds a lone surrogate (formselect refuses one: its advice could
not be written as UTF-8); invalid cases carry some in ``name`` and ``notes``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import tomli_w

from formselect.case.io import MAX_KEY, MAX_TEXT, TOP_LEVEL, UNKNOWN
from formselect.case.kinds import FactKind
from formselect.case.vocabulary import SECTIONS, FactSpec, case_facts

__all__ = ["AS_OF_MAX", "AS_OF_MIN", "Item", "as_of", "fuzz_item", "invalid_case", "rng_for",
           "valid_case"]

AS_OF_MIN = dt.date(2006, 1, 31)
AS_OF_MAX = dt.date(2030, 12, 31)
STAKES = ("ownership.employee_pct", "ownership.community_pct", "ownership.public_body_pct",
          "ownership.private_partner_pct")
CONTRADICTIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    # name: (section, facts that contradict one another, where the problem is reported)
    "stakes": ("ownership", {"employee_pct": 60, "community_pct": 50.5}, "ownership"),
    "transfer": ("transfer", {"staff_transfer": False, "compulsory_transfer": True},
                 "transfer.compulsory_transfer"),
    "schemes": ("transfer", {"pension_schemes": ["none", "lgps"]}, "transfer.pension_schemes"),
    "payout": ("money", {"profit_distribution": "reinvest_all", "investor_payout_pct": 12.5},
               "money.investor_payout_pct"),
}
ODD_TEXT = ["ÄÖÜ", "名前", "\u202eevil", "\x00", "🦀", "tr\u00e8s", " ", "None", "null", "NaN",
            "e\u0301", "\ufeff", "\u200b", "a\nb", "'; DROP TABLE cases; --", "{0.__class__}",
            "%(x)s", "<script>alert(1)</script>", "../../etc/passwd", "\\u0000"]
Hints = Mapping[str, Sequence[Any]]


def rng_for(seed: int, index: int) -> random.Random:
    """The random source of one item: the same for the same seed and index, everywhere."""
    return random.Random(f"{seed}:{index}")


def _day(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    return dt.date.fromordinal(rng.randint(low.toordinal(), high.toordinal()))


def as_of(rng: random.Random, hints: Hints | None = None) -> dt.date:
    """An assessment date from 2006-01-31 to 2030-12-31, often a validity boundary."""
    days = [d for d in (hints or {}).get("as_of", ()) if AS_OF_MIN <= d <= AS_OF_MAX]
    if days and rng.random() < 0.3:
        return rng.choice(days)
    return _day(rng, AS_OF_MIN, AS_OF_MAX)


def text(rng: random.Random, longest: int = 200) -> str:
    """Text of any script: letters, emoji, control and invisible characters, markup."""
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(ODD_TEXT)
    if kind < 0.35:
        return rng.choice("xé名🦀") * rng.choice([MAX_TEXT, MAX_TEXT - 1, rng.randint(300, 3000)])
    high = 0x10FFFF if rng.random() < 0.5 else 0x2FF
    chars = []
    for _ in range(rng.randint(1, longest)):
        code = rng.randint(1, high)
        if 0xD800 <= code <= 0xDFFF:
            code = 0xFFFD  # a lone surrogate makes text invalid (see invalid_case)
        chars.append(chr(code))
    return "".join(chars)


# --- valid values ----------------------------------------------------------------------------

def _number(rng: random.Random, spec: FactSpec, high: float | None = None) -> float | int:
    low = spec.minimum or 0.0
    top = spec.maximum if spec.maximum is not None else 1e12
    top = min(top, high) if high is not None else top
    if spec.kind is FactKind.INT:
        choices = [int(low), int(top), int(low) + 1, max(int(low), int(top) - 1),
                   rng.randint(int(low), int(top)),
                   min(int(top), int(10 ** rng.uniform(0, math.log10(max(top, 1)))))]
        return rng.choice(choices)
    pick = rng.random()
    if pick < 0.2:
        return rng.choice([low, top, 5e-324, 1e-5, 0.001, 0.0005, top / 3, 50.0, 0.1 + 0.2])
    if pick < 0.5:
        return round(rng.uniform(low, top), 2)
    if pick < 0.7:
        return min(top, float(round(10 ** rng.uniform(0, math.log10(max(top, 1))))))
    return rng.uniform(low, top)


def _valid_value(rng: random.Random, name: str, spec: FactSpec,
                 hints: Hints | None) -> Any:
    hinted = [v for v in (hints or {}).get(name, ()) if _valid(spec, v)]
    if hinted and rng.random() < 0.4:
        return rng.choice(hinted)
    kind = spec.kind
    if kind is FactKind.BOOL:
        return rng.random() < 0.5
    if kind in (FactKind.INT, FactKind.NUMBER):
        return _number(rng, spec)
    if kind is FactKind.DATE:
        if rng.random() < 0.03:
            return rng.choice([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2000, 2, 29),
                               dt.date(2024, 2, 29)])
        return _day(rng, dt.date(1990, 1, 1), dt.date(2035, 12, 31))
    if kind is FactKind.ENUM:
        return rng.choice(spec.values)
    if kind is FactKind.SET:
        members = [v for v in spec.values if v != "none"]
        if "none" in spec.values and rng.random() < 0.15:
            return ["none"]
        if rng.random() < 0.1:
            return sorted(members)  # every member at once: many rules true together
        return sorted(rng.sample(members, rng.randint(0, len(members))))
    if kind is FactKind.CODES:
        return [f"{rng.randrange(10**8):08d}" + (f"-{rng.randrange(10)}" if rng.random() < 0.5
                                                  else "")
                for _ in range(rng.randint(0, 5))]
    return ""


def _valid(spec: FactSpec, value: Any) -> bool:
    """Whether a hinted value is valid for the fact (hints include neighbours of literals)."""
    if spec.kind is FactKind.DATE:
        return isinstance(value, dt.date)
    if spec.kind in (FactKind.INT, FactKind.NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if spec.kind is FactKind.INT and not isinstance(value, int):
            return False
        low = spec.minimum if spec.minimum is not None else -math.inf
        high = spec.maximum if spec.maximum is not None else math.inf
        return low <= value <= high
    return False  # enumerations and sets are drawn from all their values anyway


def valid_case(rng: random.Random, hints: Hints | None = None) -> dict[str, Any]:
    """Case data that must get an Advice (see the module docstring)."""
    style = rng.random()
    if style < 0.25:
        from tests.benchmarks.cases import case_data  # the benchmark suite's realistic cases

        data = case_data(rng, unknown=rng.choice([0.0, 0.25, 0.6]))
    else:
        unknown = rng.choice([0.0, 0.0, 0.1, 0.3, 0.6, 0.9])
        values: dict[str, Any] = {}
        for name, spec in case_facts().items():
            if name not in STAKES and rng.random() >= unknown:
                values[name] = _valid_value(rng, name, spec, hints)
        left = 100.0
        for name in rng.sample(STAKES, len(STAKES)):
            if rng.random() < unknown:
                continue
            spec = case_facts()[name]
            stake = rng.choice([0.0, left, round(rng.uniform(0, left), 2),
                                rng.uniform(0, left), _number(rng, spec, high=left)])
            stake = min(stake, left)
            values[name] = stake
            left = max(0.0, left - stake)
        if values.get("transfer.staff_transfer") is False:
            values.pop("transfer.compulsory_transfer", None)
        if values.get("money.profit_distribution") == "reinvest_all":
            values["money.investor_payout_pct"] = rng.choice([0, 0.0])
        data = {}
        for name, value in values.items():
            section, _, field = name.partition(".")
            data.setdefault(section, {})[field] = value
    for key in ("name", "notes"):
        if rng.random() < 0.3:
            data[key] = text(rng)
    if rng.random() < 0.2:
        data["as_of"] = as_of(rng, hints)
    if rng.random() < 0.05:
        section = rng.choice(SECTIONS)
        data.setdefault(section, {})[rng.choice(
            [n.partition(".")[2] for n in case_facts() if n.startswith(section + ".")])] = UNKNOWN
    return data


# --- invalid values ----------------------------------------------------------------------------

def _misspell(rng: random.Random, value: str) -> str:
    i = rng.randrange(len(value))
    return rng.choice([value[:i] + value[i + 1:], value[:i] + value[i] + value[i:],
                       value[:i] + value[i + 1:i + 2] + value[i:i + 1] + value[i + 2:],
                       value.upper(), value.replace("_", " "), value + " ", "\u200b" + value])


def wrong_value(rng: random.Random, spec: FactSpec) -> Any:
    """A value the fact must reject (as a CaseError at that fact)."""
    for _ in range(20):
        value = _wrong(rng, spec)
        if _rejected(spec, value):
            return value
    return {"not": "a value"}


def _wrong(rng: random.Random, spec: FactSpec) -> Any:
    kind = spec.kind
    odd = [text(rng), math.nan, math.inf, -math.inf, {"a": 1}, [1, 2]]
    if kind is FactKind.BOOL:
        return rng.choice(["yes", "no", "true", "false", 0, 1, 1.0, [], [True],
                           dt.date(2020, 1, 1), *odd])
    if kind in (FactKind.INT, FactKind.NUMBER):
        low = spec.minimum or 0
        high = spec.maximum if spec.maximum is not None else 1e12
        digits = rng.randint(1, 5_000)  # beyond 4,300 digits, Python cannot print it
        choices = [low - rng.uniform(0.001, 1e6), high + rng.uniform(0.001, 1e6),
                   int(high) + 1, -1, 10 ** digits, -(10 ** digits), "50", "fifty", True, False,
                   [50], dt.date(2020, 1, 1), *odd]
        if kind is FactKind.INT:
            choices += [low + 0.5, rng.uniform(low + 0.01, max(low + 0.02, high - 0.01))]
        return rng.choice(choices)
    if kind is FactKind.DATE:
        return rng.choice(["2020-02-30", "2021-02-29", "2020-13-01", "31/12/2020", 20200101,
                           "yesterday", True, [2020, 1, 1], "2020-01-01T00:00:00",
                           dt.datetime(2020, 1, 1, 12), *odd])  # noqa: DTZ001 (as TOML reads)
    if kind is FactKind.ENUM:
        return rng.choice([_misspell(rng, rng.choice(spec.values)), list(spec.values[:1]), 3,
                           *odd])
    if kind is FactKind.SET:
        return rng.choice([[_misspell(rng, rng.choice(spec.values))], rng.choice(spec.values),
                           [[rng.choice(spec.values)]], [{"a": 1}], [1, 2], 7, *odd])
    if kind is FactKind.CODES:
        return rng.choice([["8500000"], ["85000000-10"], ["ABCDEFGH"], [""], ["85000000-"],
                           "85000000-9", 85000000, [["85000000"]], ["٨٥٠٠٠٠٠٠"],
                           ["85000000-9\n"], [None], *odd])
    return rng.choice([1, [1], {"a": 1}])


def _rejected(spec: FactSpec, value: Any) -> bool:
    """Guard against a 'wrong' value that happens to be valid or to mean unknown."""
    if value is None or value == UNKNOWN:
        return False
    if spec.kind is FactKind.ENUM:
        return value not in spec.values
    if spec.kind is FactKind.SET and isinstance(value, list):
        return not all(isinstance(v, str) and v in spec.values for v in value)
    if spec.kind in (FactKind.INT, FactKind.NUMBER) and isinstance(value, int | float) \
            and not isinstance(value, bool):
        whole = isinstance(value, int) or spec.kind is FactKind.NUMBER
        inside = (spec.minimum or 0) <= value <= (spec.maximum if spec.maximum is not None
                                                  else math.inf)
        finite = isinstance(value, int) or math.isfinite(value)
        return not (whole and finite and inside)
    if spec.kind is FactKind.DATE and isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return True
        return False
    return True


def shown_key(key: str) -> str:
    """An unknown key as a problem names it: cut to MAX_KEY characters."""
    return key if len(key) <= MAX_KEY else key[:MAX_KEY - 3] + "..."


def invalid_case(rng: random.Random,
                 hints: Hints | None = None) -> tuple[dict[str, Any], list[str]]:
    """Case data with 1-3 defects at distinct places, and the sorted ``where`` of each."""
    data = valid_case(rng, hints)
    facts = case_facts()
    wheres: list[str] = []
    touched: set[str] = set()  # facts and sections no later defect may change
    for _ in range(rng.randint(1, 3)):
        kind = rng.choice(["value", "value", "value", "unknown_fact", "unknown_key",
                           "top_level", "bad_section", "contradiction"])
        if kind == "value":
            name = rng.choice(sorted(set(facts) - touched))
            section, _, field = name.partition(".")
            if section in touched:
                continue
            if not isinstance(data.get(section), dict):
                data[section] = {}
            data[section][field] = wrong_value(rng, facts[name])
            wheres.append(name)
            touched.add(name)
        elif kind == "unknown_fact":
            section = rng.choice(SECTIONS)
            fields = {n.partition(".")[2] for n in facts if n.startswith(section + ".")}
            key = rng.choice(["employee_pc", "parent_bdy", "staff", "asset_lock ", "Name",
                              text(rng, 30)])
            if section in touched or key in fields or f"{section}.{key}" in wheres:
                continue
            if not isinstance(data.get(section), dict):
                data[section] = {}
            data[section][key] = rng.choice([1, "x", True, None])
            wheres.append(f"{section}.{shown_key(key)}")
        elif kind == "unknown_key":
            key = rng.choice(["servce", "Ownership", "case", "facts", "",
                              text(rng, 30)])
            if key in (*TOP_LEVEL, *SECTIONS) or key in wheres:
                continue
            data[key] = rng.choice([{}, 1, "x", None])
            wheres.append(shown_key(key))
        elif kind == "top_level":
            key = rng.choice(["name", "notes", "as_of"])
            if key in wheres:
                continue
            if key == "as_of":
                data[key] = rng.choice(["2020-02-30", "soon", 2020, True, ["a"], math.nan])
            else:
                data[key] = rng.choice(["x" * (MAX_TEXT + rng.randint(1, 5_000)), 5, ["a"],
                                        math.inf, {"a": "b"}, "spin-out \ud800"])
            wheres.append(key)
        elif kind == "bad_section":
            section = rng.choice(SECTIONS)
            if section in touched or any(w.startswith(section + ".") for w in wheres):
                continue
            data[section] = rng.choice([1, "x", ["a"], True, math.nan])
            wheres.append(section)
            touched.add(section)
        else:
            name = rng.choice(sorted(CONTRADICTIONS))
            section, values, where = CONTRADICTIONS[name]
            names = {f"{section}.{f}" for f in values}
            if section in touched or names & touched or where in wheres:
                continue
            if not isinstance(data.get(section), dict):
                data[section] = {}
            data[section].update(values)
            wheres.append(where)
            touched |= names | {section}
    if not wheres:  # every draw collided: one certain defect
        data["servce"] = {}
        wheres.append("servce")
    return data, sorted(wheres)


# --- items ---------------------------------------------------------------------------------

@attrs.frozen
class Item:
    """One generated input: ``form`` is how it reaches formselect."""

    index: int
    data: dict[str, Any]
    as_of: dt.date
    form: str  # "dict", "json" (text) or "toml" (text)
    wheres: tuple[str, ...] | None  # None: a valid case; else the problems expected
    text: str = ""

    @property
    def valid(self) -> bool:
        """Whether the item must get an Advice."""
        return self.wheres is None


def _json_default(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _json_native(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_native(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_native(v) for v in value)
    return value is None or isinstance(value, str | bool | int | float)


def fuzz_item(seed: int, index: int, hints: Hints | None = None, *,
              invalid_share: float = 0.45) -> Item:
    """The item ``index`` of a fuzz run: valid or invalid, as a dict or as file text."""
    rng = rng_for(seed, index)
    day = as_of(rng, hints)
    if rng.random() < invalid_share:
        data, wheres = invalid_case(rng, hints)
        if _json_native(data) and rng.random() < 0.3:
            try:
                return Item(index, data, day, "json", tuple(wheres), json.dumps(data))
            except ValueError:  # an integer too long to write
                pass
        return Item(index, data, day, "dict", tuple(wheres))
    data = valid_case(rng, hints)
    pick = rng.random()
    if pick < 0.15:
        return Item(index, data, day, "json", None,
                    json.dumps(data, default=_json_default, ensure_ascii=rng.random() < 0.5))
    if pick < 0.3 and not _has_none(data):
        return Item(index, data, day, "toml", None, tomli_w.dumps(data))
    return Item(index, data, day, "dict", None)


def _has_none(value: object) -> bool:
    if isinstance(value, dict):
        return any(_has_none(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_none(v) for v in value)
    return value is None
