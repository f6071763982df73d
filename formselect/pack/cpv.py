"""CPV code lists: how a case's codes stand against a list the law gives (data in ``rules/``).

The statutory lists of light-touch, reservable and health care services are lists of Common
Procurement Vocabulary codes (PCR 2015 Sch 3 and reg 77(2), Procurement Regulations 2024 Sch 1,
the Provider Selection Regime Sch 1). A ``[[cpv_list]]`` table declares one; before any rule
runs, the engine's fact view gets one fact per list in force, ``cpv_<id>``, saying how the
case's codes stand against it. Rules read that fact like any other, so the three evaluators
need nothing new.

Matching is exact: a code is on a list when the list names it, or when it lies in one of the
list's ranges ("from 85000000-9 to 85323000-9", compared as numbers). A code below a listed
code in the CPV tree (92610000 under 92600000) is *uncertain*: whether a listed code covers
its subdivisions is a question of reading the provision, which formselect does not settle,
so such a code leaves the list's fact unknown and the service categories decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

__all__ = ["CODE_PATTERN", "FACT_PREFIX", "Standing", "code_standing", "codes_standing",
           "digits", "list_fact", "list_values", "subtrees"]

CODE_PATTERN = re.compile(r"[0-9]{8}(-[0-9])?")  # used with fullmatch: ASCII digits only
FACT_PREFIX = "cpv_"


class Standing(StrEnum):
    """How the case's codes stand against one list (the value of its ``cpv_<id>`` fact)."""

    ALL = "all"  # every code is on the list
    SOME = "some"  # some codes are on it and the others are certainly not
    NONE = "none"  # no code is on it, certainly


def list_fact(list_id: str) -> str:
    """The fact a list gives the view: ``cpv_`` and the list's id."""
    return FACT_PREFIX + list_id


def list_values(complete: bool) -> tuple[str, ...]:
    """The values a list's fact can take: a list known to be incomplete can only say that
    every code is on it (a code missing from the part that was verified settles nothing)."""
    return tuple(Standing) if complete else (Standing.ALL.value,)


def digits(code: str) -> str:
    """The eight digits of a code, without its check digit."""
    return code[:8]


def _subtree(code: str) -> str:
    """The digits every code below ``code`` in the CPV tree starts with (at least the
    two-digit division): 85121000 -> 85121, 85000000 -> 85."""
    stem = code.rstrip("0")
    return stem if len(stem) >= 2 else code[:2]


def subtrees(codes: Iterable[str], ranges: Sequence[tuple[str, str]]) -> frozenset[str]:
    """The digits that every code below a listed code, or below the end of a range,
    starts with (see :func:`_subtree`)."""
    return frozenset(_subtree(a) for a in (*codes, *(high for _, high in ranges)))


def code_standing(code: str, codes: frozenset[str],
                  ranges: Sequence[tuple[str, str]],
                  below: frozenset[str] | None = None) -> bool | None:
    """True when ``code`` is on the list, False when it certainly is not, None when it lies
    below a listed code (or below the end of a range) without being listed itself.
    ``below``: :func:`subtrees` of the list, when already worked out."""
    value = digits(code)
    if value in codes or any(low <= value <= high for low, high in ranges):
        return True
    if below is None:
        below = subtrees(codes, ranges)
    # a code starts with a subtree's digits exactly when its first that many digits are them
    if any(value[:n] in below for n in range(len(value) + 1)):
        return None
    return False


def codes_standing(case_codes: Iterable[str], codes: frozenset[str],
                   ranges: Sequence[tuple[str, str]], complete: bool,
                   below: frozenset[str] | None = None) -> Standing | None:
    """How a case's codes stand against a list, or None when they do not settle it (no
    codes, an uncertain code, or an incomplete list that does not name every code).
    ``below``: :func:`subtrees` of the list, when already worked out."""
    found = [code_standing(c, codes, ranges, below) for c in case_codes]
    if not found or None in found:
        return None
    if all(found):
        return Standing.ALL
    if not complete:
        return None
    return Standing.SOME if any(found) else Standing.NONE
