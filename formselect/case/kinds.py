"""The kinds of value a fact can hold, their conversion from plain data, and their checks."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from enum import Enum, StrEnum
from typing import Any

import attrs

__all__ = ["MAX_MAGNITUDE", "RESOLUTION", "FactKind", "TypeInfo", "check_value",
           "converter_for", "quantise", "type_info"]

CPV_PATTERN = re.compile(r"[0-9]{8}(-[0-9])?")  # used with fullmatch: ASCII digits only
RESOLUTION = 1000  # numbers are compared to a thousandth (0.001% or £0.001)
# the largest number compared exactly: £10^12 in thousandths stays below 2^53, where the
# engine's doubles stop counting every whole number
MAX_MAGNITUDE = 10**12



def quantise(value: object) -> object:
    """A number as a whole count of thousandths; other values unchanged.

    Both backends compare numbers this way. The engine needs it: durable_rules' JSON parser
    rejects exponents (``1e-05``), which Python writes for small floats, and whole numbers
    never have one. Money up to £10^12 stays exact in the engine's doubles (< 2^53).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return round(value * RESOLUTION)




class FactKind(StrEnum):
    """What a fact holds; decides which operators a condition may apply to it."""

    BOOL = "bool"
    INT = "int"
    NUMBER = "number"
    DATE = "date"
    ENUM = "enum"
    SET = "set"  # a set of enumeration values, e.g. pension schemes
    CODES = "codes"  # a list of CPV codes
    TEXT = "text"


@attrs.frozen
class TypeInfo:
    """The kind of a fact and, for enumerations and sets, the allowed values."""

    kind: FactKind
    enum: type[Enum] | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """Allowed values, for enumerations and sets."""
        return tuple(str(m.value) for m in self.enum) if self.enum else ()


@functools.lru_cache(maxsize=256)
def type_info(tp: Any) -> TypeInfo:
    """Classify a field annotation such as ``Jurisdiction | None``."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        tp = args[0]
    origin = typing.get_origin(tp)
    if origin is frozenset:
        return TypeInfo(FactKind.SET, typing.get_args(tp)[0])
    if origin is tuple:
        return TypeInfo(FactKind.CODES)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return TypeInfo(FactKind.ENUM, tp)
    simple = {bool: FactKind.BOOL, int: FactKind.INT, float: FactKind.NUMBER,
              dt.date: FactKind.DATE, str: FactKind.TEXT}
    return TypeInfo(simple[tp])


def converter_for(tp: Any) -> Callable[[Any], Any]:
    """A lenient converter: plain strings and lists become enums, sets and tuples.

    Values it cannot convert are passed through unchanged so that the validator reports
    them with the field's name and what was expected.
    """
    info = type_info(tp)

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if info.kind is FactKind.ENUM and info.enum and isinstance(value, str):
            return _enum_member(info.enum, value)
        if info.kind is FactKind.SET and info.enum and _is_sequence(value):
            try:
                return frozenset(_enum_member(info.enum, v) if isinstance(v, str) else v
                                 for v in value)
            except TypeError:  # an unhashable member (a nested list): the check reports it
                return value
        if info.kind is FactKind.CODES and _is_sequence(value):
            return tuple(value)
        if info.kind is FactKind.DATE and isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value
        return value

    return convert


def _is_sequence(value: object) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _enum_member(enum: type[Enum], value: str) -> object:
    try:
        return enum(value)
    except ValueError:
        return value


def check_value(info: TypeInfo, meta: Mapping[str, Any],
                value: object) -> tuple[object, str] | None:
    """``None`` if ``value`` is acceptable, else ``(found, expected)`` for a Problem."""
    if value is None:
        return None
    kind = info.kind
    if kind is FactKind.BOOL:
        return None if isinstance(value, bool) else (value, "true or false")
    if kind in (FactKind.INT, FactKind.NUMBER):
        return _check_number(kind, meta, value)
    if kind is FactKind.DATE:
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        return None if ok else (value, "a date such as 2025-02-24")
    if kind is FactKind.ENUM:
        ok = info.enum is not None and isinstance(value, info.enum)
        return None if ok else (value, f"one of {', '.join(info.values)}")
    if kind is FactKind.SET:
        bad = [v for v in value if not isinstance(v, info.enum or ())] \
            if isinstance(value, frozenset) else [value]  # a list: it held unhashable items
        return None if not bad else (bad[0] if len(bad) == 1 else bad,
                                     f"a list drawn from {', '.join(info.values)}")
    if kind is FactKind.CODES:
        if not isinstance(value, tuple):
            return (value, "a list of CPV codes such as [\"85000000-9\"]")
        bad = [v for v in value if not (isinstance(v, str) and CPV_PATTERN.fullmatch(v))]
        return None if not bad else (bad, "CPV codes of 8 digits, optionally -N (85000000-9)")
    return None if isinstance(value, str) else (value, "text")


def _check_number(kind: FactKind, meta: Mapping[str, Any],
                  value: object) -> tuple[object, str] | None:
    low, high = meta.get("min"), meta.get("max")
    span = f" from {_fmt(low)} to {_fmt(high)}" if low is not None else ""
    if kind is FactKind.INT:
        expected = f"a whole number{span}"
        if isinstance(value, bool) or not isinstance(value, int):
            return (value, expected)
    else:
        expected = f"a number{span}"
        if isinstance(value, float) and not math.isfinite(value):
            return (value, f"a finite number{span} (JSON NaN and Infinity are not numbers)")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return (value, expected)
    if (low is not None and value < low) or (high is not None and value > high):
        return (value, expected)
    return None


def _fmt(number: float | None) -> str:
    if number is None:
        return ""
    return f"{number:,.0f}" if float(number).is_integer() else f"{number}"
