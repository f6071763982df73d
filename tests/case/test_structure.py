"""Case data is structured by hand (a cold start imports no cattrs): the same case, and the
same problems in the same order, as cattrs' structuring of the checked data gave."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import attrs
import cattrs
from hypothesis import given
from hypothesis import strategies as st

from formselect.case import io as case_io
from formselect.case.io import case_from_dict
from formselect.case.model import Case
from formselect.errors import CaseError, Problem
from tests.strategies import case_dicts, invalid_case_dicts


def cattrs_converter() -> cattrs.Converter:
    """The converter case files were structured with (values checked beforehand)."""
    conv = cattrs.Converter()
    for kind in (bool, int, float, str, dt.date):
        conv.register_structure_hook(kind, lambda v, _: v)
    conv.register_structure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, Enum), lambda v, t: t(v))
    return conv


CONVERTER = cattrs_converter()


def case_errors(exc: BaseException) -> list[CaseError]:
    if isinstance(exc, CaseError):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        return [c for e in exc.exceptions for c in case_errors(e)]
    return []


def through_cattrs(data: dict[str, Any]) -> Case | list[Problem]:
    """What case_from_dict gave when it structured the checked data through cattrs: the
    case, or every problem."""
    clean, problems = case_io._check(data, "")
    try:
        case = CONVERTER.structure(clean, Case)
    except (CaseError, cattrs.BaseValidationError) as exc:  # cross-field contradictions
        found = case_errors(exc)
        assert found
        problems += [attrs.evolve(p, source="") for e in found for p in e.problems]
    return problems or case


def by_hand(data: dict[str, Any]) -> Case | list[Problem]:
    try:
        return case_from_dict(data)
    except CaseError as exc:
        return list(exc.problems)


@st.composite
def contradictory_case_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Case data that breaks some of the cross-field rules, sometimes with bad values too."""
    data = draw(st.one_of(case_dicts(names=False), invalid_case_dicts().map(lambda d: d[0])))
    contradictions = {
        "ownership": {"employee_pct": 80, "community_pct": 40},
        "transfer": {"compulsory_transfer": True, "staff_transfer": False,
                     "pension_schemes": ["none", "lgps"]},
        "money": {"profit_distribution": "reinvest_all", "investor_payout_pct": 5},
    }
    for section, facts in contradictions.items():
        if draw(st.booleans()) and isinstance(data.setdefault(section, {}), dict):
            data[section].update(facts)
    return data


def comparable(outcome: Case | list[Problem]) -> object:
    """The outcome with each problem's value as its repr: a NaN that was given is reported
    as found, and NaN never equals itself."""
    if isinstance(outcome, Case):
        return outcome
    return [attrs.evolve(p, found=repr(p.found)) for p in outcome]


@given(contradictory_case_dicts())
def test_the_case_and_its_problems_are_as_cattrs_gave_them(data: dict[str, Any]) -> None:
    assert comparable(through_cattrs(data)) == comparable(by_hand(data))


def test_a_nan_is_compared_by_what_is_reported() -> None:
    """The example that showed NaN != NaN: both paths report the same problems."""
    data = {"as_of": "2020-02-30", "ownership": {"private_partner_pct": float("nan")}}
    assert comparable(through_cattrs(data)) == comparable(by_hand(data))
