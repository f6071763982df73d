"""Hypothesis strategies for cases, assessment dates and invalid case data.

Every strategy is built from the fact vocabulary (``formselect.case.vocabulary.case_facts``), so a
fact added to the model is generated without touching this file.

* :func:`case_dicts` / :func:`cases`: valid cases, each fact unknown (absent) or a valid value
  of its kind, range or enumeration; ownership stakes add up to at most 100 and the other
  cross-field contradictions of ``vocabulary.cross_field_problems`` are avoided. The case's
  own ``as_of`` is sometimes set.
* :func:`literal_hints` / :func:`as_of_for`: steer cases and dates towards the literals and
  validity boundaries of a pack, so that property tests reach its rules.
* :data:`as_of_dates`: assessment dates 2006-01-31 to 2030-12-31.
* :func:`typed_conditions`: conditions over every case fact that the type checker accepts.
* :func:`invalid_case_dicts`: a valid case dict with one to three defects injected at distinct
  places, returned with the ``where`` of each defect (wrong types, out-of-range numbers,
  unknown keys, misspelt enumeration values, unicode and huge strings).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

from formselect.case.io import MAX_KEY, MAX_TEXT, TOP_LEVEL, UNKNOWN
from formselect.case.kinds import FactKind
from formselect.case.model import Case, Membership, Money, Ownership, Procurement, Service, Transfer
from formselect.case.vocabulary import SECTIONS, FactSpec, case_facts
from formselect.conditions.syntax import All, Any_, Compare, Condition, Not, atoms
from formselect.engine.durable import engine_limit_problem
from formselect.pack.model import Pack

AS_OF_MIN = dt.date(2006, 1, 31)
AS_OF_MAX = dt.date(2030, 12, 31)
as_of_dates = st.dates(min_value=AS_OF_MIN, max_value=AS_OF_MAX)

# Case dates reach before and after the as_of range so that years_since is negative too.
case_dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31))

TEXTS = ("name", "notes")  # top-level text; the other top-level key is the case's as_of
STAKES = ("ownership.employee_pct", "ownership.community_pct", "ownership.public_body_pct",
          "ownership.private_partner_pct")
SECTION_CLASSES = {"service": Service, "ownership": Ownership, "money": Money,
                   "membership": Membership, "procurement": Procurement, "transfer": Transfer}

Hints = Mapping[str, Sequence[Any]]  # fact name -> values worth trying (see literal_hints)

cpv_codes = st.from_regex(r"[0-9]{8}(-[0-9])?", fullmatch=True)


def _bounded(low: float, high: float, *, plain: bool) -> st.SearchStrategy[float]:
    """Numbers in [low, high].

    ``plain`` numbers are what an adviser types: whole numbers or two decimal places (never
    rendered in exponent notation). Otherwise any finite float, subnormals included.
    """
    if plain:
        hundredths = st.integers(math.ceil(low * 100), math.floor(high * 100))
        return st.one_of(st.integers(math.ceil(low), math.floor(high)),
                         hundredths.map(lambda n: n / 100))
    return st.one_of(st.integers(math.ceil(low), math.floor(high)),
                     st.floats(low, high, allow_nan=False, allow_infinity=False))


def fact_value(spec: FactSpec, *, plain: bool = False,
               hints: Hints | None = None) -> st.SearchStrategy[Any]:
    """A valid value of one fact, as plain data (enum values as strings, sets as lists).

    ``hints`` (see :func:`literal_hints`) adds the values a pack's rules compare the fact with.
    """
    return _hinted(spec, _fact_value(spec, plain=plain), hints)


def _fact_value(spec: FactSpec, *, plain: bool) -> st.SearchStrategy[Any]:
    """A valid value of the fact's kind, range or enumeration."""
    kind = spec.kind
    if kind is FactKind.BOOL:
        return st.booleans()
    if kind is FactKind.INT:
        return st.integers(int(spec.minimum or 0), int(spec.maximum or 10**6))
    if kind is FactKind.NUMBER:
        return _bounded(spec.minimum or 0.0, spec.maximum or 1e12, plain=plain)
    if kind is FactKind.DATE:
        return case_dates
    if kind is FactKind.ENUM:
        return st.sampled_from(spec.values)
    if kind is FactKind.SET:
        if "none" in spec.values:  # 'none' cannot be combined with a scheme
            others = [v for v in spec.values if v != "none"]
            return st.one_of(st.just(["none"]),
                             st.lists(st.sampled_from(others), unique=True).map(sorted))
        return st.lists(st.sampled_from(spec.values), unique=True).map(sorted)
    if kind is FactKind.CODES:
        return st.lists(cpv_codes, max_size=4)
    return st.text(max_size=20)


def optional(strategy: st.SearchStrategy[Any], known: int = 2) -> st.SearchStrategy[Any]:
    """``None`` (unknown) or a value, the value ``known`` times as often."""
    return st.one_of(st.none(), *[strategy] * known)


def literal_hints(pack: Pack) -> dict[str, list[Any]]:
    """Values worth trying for each fact: the literals the pack compares it with, and their
    neighbours (one unit or one day either side), so generated cases reach the rules.

    ``as_of`` gets the literals it is compared with and every rule's validity boundaries.
    """
    hints: dict[str, set[Any]] = {"as_of": set()}
    for rule in pack.rules:
        hints["as_of"] |= {rule.valid_from, rule.valid_from - dt.timedelta(days=1)}
        if rule.valid_until is not None:
            hints["as_of"] |= {rule.valid_until, rule.valid_until + dt.timedelta(days=1)}
        for atom in atoms(rule.condition):
            if atom.measure != "value" or atom.op in ("known", "unknown"):
                continue
            values = atom.value if isinstance(atom.value, tuple) else (atom.value,)
            for value in values:
                hints.setdefault(atom.fact, set()).update(_neighbours(value))
    return {fact: sorted(values, key=repr) for fact, values in hints.items()}


def _neighbours(value: Any) -> list[Any]:
    """A literal and the values just either side of it."""
    if isinstance(value, bool | str):
        return [value]
    if isinstance(value, dt.date):
        return [value - dt.timedelta(days=1), value, value + dt.timedelta(days=1)]
    if isinstance(value, int):
        return [value - 1, value, value + 1]
    if isinstance(value, float):
        return [round(value - 0.01, 2), value, round(value + 0.01, 2)]
    return []


def _hinted(spec: FactSpec, base: st.SearchStrategy[Any], hints: Hints | None,
            high: float | None = None) -> st.SearchStrategy[Any]:
    """``base``, or one of the hinted values that is valid for the fact (and <= high)."""
    if not hints or spec.name not in hints:
        return base
    valid = [v for v in hints[spec.name] if _valid_hint(spec, v, high)]
    return st.one_of(base, st.sampled_from(valid)) if valid else base


def _valid_hint(spec: FactSpec, value: Any, high: float | None) -> bool:
    """Whether a hinted number or date is a valid value of the fact (and at most ``high``)."""
    kind = spec.kind
    if kind is FactKind.INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is FactKind.NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind is FactKind.DATE:
        return isinstance(value, dt.date)
    else:
        return False  # enums and sets are sampled from all their values anyway
    top = spec.maximum if high is None else min(high, spec.maximum or high)
    return ok and (spec.minimum or 0) <= value <= (top if top is not None else value)


@st.composite
def _stakes(draw: st.DrawFn, plain: bool, hints: Hints | None, known: int) -> dict[str, Any]:
    """The four ownership stakes, each unknown or a share of what is left of 100%."""
    left = 100.0
    stakes: dict[str, Any] = {}
    for name in draw(st.permutations(STAKES)):
        spec = case_facts()[name]
        share = _bounded(0.0, max(left, 0.0), plain=plain)
        value = draw(optional(_hinted(spec, share, hints, high=max(left, 0.0)), known))
        if value is not None:
            left -= value
        stakes[name] = value
    return stakes


@st.composite
def case_dicts(draw: st.DrawFn, *, plain: bool = False, names: bool = True,
               hints: Hints | None = None, known: int = 2) -> dict[str, Any]:
    """Plain case data (as a case file holds it), every fact unknown or valid.

    Unknown facts are left out; sections with no known fact are left out. Each fact is
    known ``known`` times as often as it is unknown.
    """
    values: dict[str, Any] = {}
    for name, spec in case_facts().items():
        if name not in STAKES:
            values[name] = draw(optional(fact_value(spec, plain=plain, hints=hints), known))
    values.update(draw(_stakes(plain, hints, known)))
    # avoid the cross-field contradictions of vocabulary.cross_field_problems
    if values["transfer.staff_transfer"] is False and values["transfer.compulsory_transfer"]:
        values["transfer.compulsory_transfer"] = draw(st.sampled_from([None, False]))
    if values["money.profit_distribution"] == "reinvest_all" and values[
            "money.investor_payout_pct"]:
        values["money.investor_payout_pct"] = draw(st.sampled_from([None, 0, 0.0]))
    data: dict[str, Any] = {}
    if names:
        for key in TEXTS:
            text = draw(st.one_of(st.just(""), st.text(max_size=30)))
            if text:
                data[key] = text
        case_as_of = draw(optional(as_of_dates, known=1))
        if case_as_of is not None:
            data["as_of"] = case_as_of
    for name, value in values.items():
        if value is not None:
            section, _, field = name.partition(".")
            data.setdefault(section, {})[field] = value
    return data


def case_from_plain(data: dict[str, Any]) -> Case:
    """Build a Case with the attrs constructors (not through case_io), from plain data."""
    sections = {s: SECTION_CLASSES[s](**data.get(s, {})) for s in SECTIONS}
    return Case(name=data.get("name", ""), notes=data.get("notes", ""),
                as_of=data.get("as_of"), **sections)


def cases(*, plain: bool = False, names: bool = True, hints: Hints | None = None,
          known: int = 2) -> st.SearchStrategy[Case]:
    """Valid cases (see case_dicts). ``plain=True`` keeps numbers to what an adviser types
    (see _bounded); ``hints`` steers facts towards the values a pack tests (literal_hints)."""
    return case_dicts(plain=plain, names=names, hints=hints, known=known).map(case_from_plain)


def as_of_for(hints: Hints) -> st.SearchStrategy[dt.date]:
    """Assessment dates, often one of a pack's boundary dates."""
    days = [d for d in hints.get("as_of", ()) if AS_OF_MIN <= d <= AS_OF_MAX]
    return st.one_of(as_of_dates, st.sampled_from(days)) if days else as_of_dates


# --- invalid case data ---------------------------------------------------------------------

huge_text = st.integers(MAX_TEXT + 1, MAX_TEXT + 5_000).map(lambda n: "é" * n)
odd_text = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(["ÄÖÜ", "名前", "\u202eevil", "\x00", "🦀", "tr\u00e8s", " ", "None", "null"]),
    st.integers(300, 20_000).map(lambda n: "x" * n),
)


def _misspell(value: str) -> st.SearchStrategy[str]:
    """Near misses of an enumeration value: a letter dropped, doubled, swapped or re-cased."""
    edits: list[Callable[[str, int], str]] = [
        lambda v, i: v[:i] + v[i + 1:],
        lambda v, i: v[:i] + v[i] + v[i:],
        lambda v, i: v[:i] + v[i + 1:i + 2] + v[i:i + 1] + v[i + 2:],
        lambda v, i: v.upper(),
        lambda v, i: v.replace("_", " "),
    ]
    return st.builds(lambda edit, i: edit(value, i), st.sampled_from(edits),
                     st.integers(0, len(value) - 1))


def wrong_value(spec: FactSpec) -> st.SearchStrategy[Any]:
    """A value the fact must reject: wrong type, out of range, misspelt or odd text,
    lists nested inside a set fact's list, integers far beyond the float range."""
    kind = spec.kind
    not_text = st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.booleans(),
                         st.just({"a": 1}), st.just([1, 2]))
    if kind is FactKind.BOOL:
        return st.one_of(st.sampled_from(["yes", "no", "true", 0, 1, 1.0, []]),
                         st.dates(), odd_text)
    if kind in (FactKind.INT, FactKind.NUMBER):
        low, high = spec.minimum or 0, spec.maximum or 0
        out = st.one_of(st.floats(max_value=low - 0.001, allow_nan=False,
                                  allow_infinity=False),
                        st.floats(min_value=high + 0.001, allow_nan=False,
                                  allow_infinity=False),
                        st.integers(int(high) + 1, 10**300), st.integers(max_value=-1),
                        st.just(10**5000),
                        st.sampled_from([math.nan, math.inf, -math.inf]))
        wrong_type = st.one_of(st.sampled_from(["50", "fifty", True, False, [50], {"v": 1}]),
                               st.dates(), odd_text)
        if kind is FactKind.INT:
            out = st.one_of(out, st.floats(low + 0.01, high - 0.01))  # not whole numbers
        return st.one_of(out, wrong_type)
    if kind is FactKind.DATE:
        return st.one_of(st.sampled_from(["2020-02-30", "2020-13-01", "31/12/2020", 20200101,
                                          "yesterday", True, [2020, 1, 1]]),
                         st.datetimes(), odd_text)
    if kind is FactKind.ENUM:
        return st.one_of(st.sampled_from(spec.values).flatmap(_misspell), odd_text, not_text,
                         st.just(list(spec.values[:1])))
    if kind is FactKind.SET:
        misspelt = st.sampled_from(spec.values).flatmap(_misspell).map(lambda v: [v])
        return st.one_of(misspelt, odd_text, st.integers(), st.just({"a": 1}),
                         st.lists(st.integers(), min_size=1, max_size=3),
                         st.sampled_from(spec.values).map(lambda v: [[v]]))
    if kind is FactKind.CODES:
        return st.one_of(st.lists(st.sampled_from(["8500000", "85000000-10", "ABCDEFGH", "",
                                                   "85000000-"]), min_size=1, max_size=3),
                         st.sampled_from(["85000000-9", 85000000]), st.just({"a": 1}))
    return not_text


def _is_rejected(spec: FactSpec, value: Any) -> bool:
    """Guard against a drawn 'wrong' value that happens to be valid (e.g. a harmless edit)."""
    if value is None or value == UNKNOWN:
        return False
    if spec.kind is FactKind.ENUM and value in spec.values:
        return False
    if spec.kind is FactKind.DATE and isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return True
        return False
    return not (spec.kind is FactKind.SET and isinstance(value, list) and all(
        isinstance(v, str) and v in spec.values for v in value))


@st.composite
def invalid_case_dicts(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A case dict with 1-3 defects and the ``where`` (Problem path) of each, sorted."""
    data = draw(case_dicts(names=False))
    facts = case_facts()
    wheres: list[str] = []
    kinds = draw(st.lists(st.sampled_from(["value", "value", "unknown_fact", "unknown_key",
                                           "top_level", "bad_section"]),
                          min_size=1, max_size=3))
    for kind in kinds:
        if kind == "value":
            name = draw(st.sampled_from(sorted(set(facts) - set(wheres))))
            spec = facts[name]
            value = draw(wrong_value(spec).filter(lambda v, s=spec: _is_rejected(s, v)))
            section, _, field = name.partition(".")
            if section in wheres:
                continue
            data.setdefault(section, {})[field] = value
            wheres.append(name)
        elif kind == "unknown_fact":
            section = draw(st.sampled_from(SECTIONS))
            if section in wheres:
                continue
            fields = {n.partition(".")[2] for n in facts if n.startswith(section + ".")}
            key = draw(st.one_of(st.sampled_from(["employee_pc", "parent_bdy", "staff",
                                                  "asset_lock "]), odd_text)
                       .filter(lambda k, f=fields: k not in f and len(k) <= MAX_KEY))
            if f"{section}.{key}" in wheres:
                continue
            data.setdefault(section, {})[key] = draw(st.sampled_from([1, "x", True]))
            wheres.append(f"{section}.{key}")
        elif kind == "unknown_key":
            key = draw(st.one_of(st.sampled_from(["servce", "Ownership", "case", "as_of"]),
                                 odd_text).filter(lambda k: k not in (*TOP_LEVEL, *SECTIONS)
                                                  and len(k) <= MAX_KEY))
            if key in wheres:
                continue
            data[key] = draw(st.sampled_from([{}, 1, "x"]))
            wheres.append(key)
        elif kind == "top_level":  # huge or mistyped name/notes, or a bad as_of
            key = draw(st.sampled_from([*TEXTS, "as_of"]))
            if key in wheres:
                continue
            if key == "as_of":  # the case's own assessment date
                data[key] = draw(st.sampled_from(["2020-02-30", "soon", 2020, True, ["a"]]))
            else:
                data[key] = draw(st.one_of(huge_text, st.integers(), st.just(["a"])))
            wheres.append(key)
        else:  # a section that is not a table
            section = draw(st.sampled_from(SECTIONS))
            if section in wheres or any(w.startswith(section + ".") for w in wheres):
                continue
            data[section] = draw(st.sampled_from([1, "x", ["a"], True]))
            wheres.append(section)
    if not wheres:  # every draw collided: fall back to one certain defect
        data["servce"] = {}
        wheres.append("servce")
    return data, sorted(wheres)


# --- typed conditions ------------------------------------------------------------------------

ORDER_OPS = ["==", "!=", "<", "<=", ">", ">="]


@st.composite
def typed_atoms(draw: st.DrawFn) -> Compare:
    """One comparison that the type checker accepts, on any case fact or as_of."""
    facts = case_facts()
    name = draw(st.sampled_from([*facts, "as_of"]))
    spec = facts.get(name)
    kind = spec.kind if spec else FactKind.DATE
    if draw(st.integers(0, 9)) == 0:
        return Compare(name, draw(st.sampled_from(["known", "unknown"])))
    if kind is FactKind.BOOL:
        return Compare(name, draw(st.sampled_from(["==", "!="])), draw(st.booleans()))
    if kind in (FactKind.INT, FactKind.NUMBER):
        assert spec is not None
        value = fact_value(spec, plain=True) | st.sampled_from([spec.minimum, spec.maximum])
        value = value.map(lambda v: int(v) if kind is FactKind.INT else v)
        op = draw(st.sampled_from([*ORDER_OPS, "in", "not in"]))
        if op in ("in", "not in"):
            return Compare(name, op, tuple(draw(st.lists(value, min_size=1, max_size=3))))
        return Compare(name, op, draw(value))
    if kind is FactKind.DATE:
        if name != "as_of" and draw(st.booleans()):
            years = draw(st.integers(-5, 30) | st.integers(-500, 3000).map(lambda n: n / 100))
            return Compare(name, draw(st.sampled_from(ORDER_OPS)), years, "years_since")
        day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)))
        return Compare(name, draw(st.sampled_from(ORDER_OPS)), day)
    if kind is FactKind.ENUM:
        assert spec is not None
        op = draw(st.sampled_from(["==", "!=", "in", "not in"]))
        if op in ("in", "not in"):
            return Compare(name, op, tuple(draw(st.lists(st.sampled_from(spec.values),
                                                         min_size=1, max_size=3))))
        return Compare(name, op, draw(st.sampled_from(spec.values)))
    if kind is FactKind.SET:
        assert spec is not None
        return Compare(name, draw(st.sampled_from(["contains", "not contains"])),
                       draw(st.sampled_from(spec.values)))
    return Compare(name, draw(st.sampled_from(["known", "unknown"])))  # CODES


def typed_conditions(max_leaves: int = 8) -> st.SearchStrategy[Condition]:
    """and/or/not trees of typed comparisons that load_pack would accept.

    Trees the engine cannot compile (too many and/or groups) are left out, as load_pack
    rejects them too.
    """
    return st.recursive(
        typed_atoms(),
        lambda inner: st.one_of(
            inner.map(Not),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: All(tuple(xs))),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: Any_(tuple(xs))),
        ),
        max_leaves=max_leaves,
    ).filter(lambda node: not engine_limit_problem(node))
