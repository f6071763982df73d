"""CPV code lists: how a case's codes stand against a list, and classification by code.

The invariant (hypothesis): classification by code never contradicts the lists. Codes all on a
list give "all"; codes certainly off a complete list give "none" (and an incomplete list says
nothing); no codes, or a code below a listed code that is not itself listed, leave the list's
fact unknown, so the service categories decide. Through the built-in pack, every backend
derives the same reservability and light-touch status from the codes, and the codes, when they
settle it, win over any categories.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from formselect.case.enums import ServiceCategory
from formselect.case.io import case_from_dict
from formselect.engine import evaluate
from formselect.pack.cpv import Standing, code_standing, codes_standing, digits, subtrees
from formselect.pack.model import Pack
from tests.conftest import AVAILABLE_BACKENDS

# --- the matching, on generated lists --------------------------------------------------------

eight = st.integers(10_000_000, 99_999_999).map(str)


@st.composite
def cpv_lists(draw: st.DrawFn) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
    """A list: a few codes and ranges, all in divisions 10 to 49 (so 50-99 are certainly off)."""
    inside = st.integers(10_000_000, 49_999_999).map(str)
    codes = frozenset(draw(st.lists(inside, max_size=6)))
    pairs = draw(st.lists(st.tuples(inside, inside).map(lambda p: tuple(sorted(p))),
                          max_size=3))
    if not codes and not pairs:
        codes = frozenset({draw(inside)})
    return codes, tuple(pairs)  # type: ignore[arg-type]


def _check(code: str) -> str:
    return f"{code}-{int(code) % 10}"  # any check digit: it is never compared


@given(cpv_lists(), st.data(), st.booleans())
def test_codes_on_the_list_are_all(lst: Any, data: st.DataObject, complete: bool) -> None:
    """Every code named by the list, or inside one of its ranges, gives "all"."""
    codes, ranges = lst
    picks = [st.sampled_from(sorted(codes))] if codes else []
    picks += [st.integers(int(low), int(high)).map(str) for low, high in ranges]
    chosen = data.draw(st.lists(st.one_of(picks), min_size=1, max_size=5))

    assert Standing.ALL is codes_standing([_check(c) for c in chosen], codes, ranges, complete)


@given(cpv_lists(), st.lists(st.integers(50_000_000, 99_999_999).map(str), min_size=1,
                             max_size=5))
def test_codes_off_the_list_are_none_only_on_a_complete_list(lst: Any, off: list[str]) -> None:
    """Codes in divisions the list never reaches are "none" on a complete list; an incomplete
    list cannot say so, and leaves the question open."""
    codes, ranges = lst

    assert Standing.NONE is codes_standing(off, codes, ranges, complete=True)
    assert codes_standing(off, codes, ranges, complete=False) is None


@given(cpv_lists(), st.booleans())
def test_no_codes_leave_it_to_the_categories(lst: Any, complete: bool) -> None:
    codes, ranges = lst

    assert codes_standing([], codes, ranges, complete) is None


@given(cpv_lists(), eight, st.booleans())
def test_standing_follows_each_code(lst: Any, extra: str, complete: bool) -> None:
    """The standing of several codes is decided code by code: any uncertain code leaves it
    open; otherwise all on, some on (complete lists only) or none on."""
    codes, ranges = lst
    found = [code_standing(c, codes, ranges) for c in (extra, *sorted(codes)[:1])]
    result = codes_standing([extra, *sorted(codes)[:1]], codes, ranges, complete)

    if None in found:
        assert result is None
    elif all(found):
        assert result is Standing.ALL
    elif not complete:
        assert result is None
    else:
        assert result is (Standing.SOME if any(found) else Standing.NONE)


@given(cpv_lists(), st.data(), st.booleans())
def test_a_lists_subtrees_worked_out_once_decide_as_the_prefixes_do(
        lst: Any, data: st.DataObject, complete: bool) -> None:
    """A code lies below the list exactly when it starts with the digits of a subtree (a
    listed code or a range's end, trailing zeros dropped); the subtrees worked out once per
    list give the same standing as working them out for each code."""
    codes, ranges = lst
    ends = sorted({*codes, *(high for _, high in ranges)})
    near = st.tuples(st.sampled_from(ends), st.integers(0, 6), eight).map(
        lambda t: t[0][:t[1] + 2] + t[2][t[1] + 2:])  # a listed code's first digits, then any
    case_codes = data.draw(st.lists(st.one_of(eight, near).map(_check), min_size=1,
                                    max_size=4))
    below = subtrees(codes, ranges)

    for code in case_codes:
        value = digits(code)
        on = value in codes or any(low <= value <= high for low, high in ranges)
        under = any(value.startswith(a.rstrip("0") if len(a.rstrip("0")) >= 2 else a[:2])
                    for a in ends)
        assert (True if on else None if under else False) \
            == code_standing(code, codes, ranges, below) == code_standing(code, codes, ranges)
    assert codes_standing(case_codes, codes, ranges, complete, below) \
        == codes_standing(case_codes, codes, ranges, complete)


def test_a_subdivision_of_a_listed_code_is_uncertain() -> None:
    """92610000 lies below 92600000 (sporting services): it is not on the list, and not
    certainly off it; a parent code (92000000) is certainly off."""
    codes = frozenset({"92600000"})

    assert code_standing("92610000-0", codes, ()) is None
    assert code_standing("92000000-1", codes, ()) is False
    assert code_standing("92600000-7", codes, ()) is True
    assert code_standing("85323100", frozenset(), (("85000000", "85323000"),)) is None
    assert code_standing("85323000", frozenset(), (("85000000", "85323000"),)) is True
    assert "85000000" == digits("85000000-9")


# --- through the built-in pack, on every backend ---------------------------------------------

REG77 = ["75121000-0", "75122000-7", "75123000-4", "79622000-0", "79624000-4", "79625000-1",
         "80110000-8", "80300000-7", "80420000-4", "80430000-7", "80511000-9", "80520000-5",
         "80590000-6", "92500000-6", "92600000-7", "98133000-4", "98133110-8"]
on_reg77 = st.one_of(st.sampled_from(REG77), st.integers(85_000_000, 85_323_000).map(str))
# divisions that no encoded list reaches: works, IT, repair, sewage and refuse, finance
off_every_list = st.tuples(st.sampled_from(["45", "50", "66", "72", "90"]),
                           st.integers(0, 999_999)).map(lambda p: f"{p[0]}{p[1]:06d}")
pcr2015_days = st.dates(dt.date(2015, 2, 26), dt.date(2025, 2, 23))
categories = st.lists(st.sampled_from([c.value for c in ServiceCategory]), max_size=4,
                      unique=True)
jurisdictions = st.sampled_from(["england", "wales", "northern_ireland"])


def _run(pack: Pack, codes: list[str] | None, cats: list[str], place: str,
         day: dt.date) -> list[Any]:
    service: dict[str, Any] = {"parent_body": "council", "jurisdiction": place}
    if cats:
        service["categories"] = cats
    if codes is not None:
        service["cpv_codes"] = codes
    case = case_from_dict({"service": service})
    return [evaluate(pack, case, day, b) for b in AVAILABLE_BACKENDS]


@given(st.lists(on_reg77, min_size=1, max_size=4), categories, jurisdictions, pcr2015_days)
def test_codes_on_reg77_are_reservable_whatever_the_categories(
        builtin_pack: Pack, codes: list[str], cats: list[str], place: str,
        day: dt.date) -> None:
    """Codes all on the reg 77(2) list: reservable and light touch, on every backend, with no
    category rule contradicting them (no derivation conflict)."""
    for evaluation in _run(builtin_pack, codes, cats, place, day):
        assert evaluation.derived.get("reservable_services") is True
        assert evaluation.derived.get("light_touch_services") is True
        assert not {"RV-01", "RV-02", "LT-01", "LT-02"} & evaluation.fired
        assert [] == [c for c in evaluation.conflicts
                      if c[0] in ("reservable_services", "light_touch_services")]


@given(st.lists(off_every_list, min_size=1, max_size=3), st.lists(on_reg77, max_size=2),
       categories, jurisdictions, pcr2015_days)
def test_a_code_off_reg77_is_never_reservable(builtin_pack: Pack, off: list[str],
                                              on: list[str], cats: list[str], place: str,
                                              day: dt.date) -> None:
    """One code off the reg 77(2) list (and not below a listed code): not reservable, whatever
    the categories say; Sch 3 is encoded in part, so light touch is left to the categories."""
    for evaluation in _run(builtin_pack, [*on, *off], cats, place, day):
        assert evaluation.derived.get("reservable_services") is False
        assert "RV-11" in evaluation.fired
        assert "cpv_pcr2015_sch3" not in evaluation.view
        assert "LT-10" not in evaluation.fired


@given(categories, st.sampled_from(["england", "wales", "northern_ireland", "scotland"]),
       st.dates(dt.date(2006, 1, 31), dt.date(2030, 12, 31)))
def test_no_codes_leave_it_to_the_categories_end_to_end(builtin_pack: Pack, cats: list[str],
                                                        place: str, day: dt.date) -> None:
    """Without codes (unknown or an empty list) no CPV fact is in the view, no CPV rule fires,
    and the evaluation is the same either way."""
    unknown = _run(builtin_pack, None, cats, place, day)
    empty = _run(builtin_pack, [], cats, place, day)
    for a, b in zip(unknown, empty, strict=True):
        assert not [k for k in a.view if k.startswith("cpv_")]
        assert not {"LT-10", "RV-10", "RV-11", "RG-10a"} & a.fired
        assert (a.fired, dict(a.derived)) == (b.fired, dict(b.derived))


def test_lists_outside_their_dates_say_nothing(builtin_pack: Pack) -> None:
    """The reg 77(2) list ends with the 2015 Regulations (procurements started by 23 February
    2025); the Provider Selection Regime's list starts on 1 January 2024."""
    before, after = dt.date(2025, 2, 23), dt.date(2025, 2, 24)
    [on] = _run(builtin_pack, ["85121100-4"], [], "england", before)[:1]
    [off] = _run(builtin_pack, ["85121100-4"], [], "england", after)[:1]

    def cpv(view: Any) -> dict[str, object]:
        return {k: v for k, v in view.items() if k.startswith("cpv_")}

    assert {"cpv_pcr2015_reg77": "all", "cpv_pcr2015_sch3": "all",
            "cpv_psr2023_sch1": "all"} == cpv(on.view)
    assert {"cpv_psr2023_sch1": "all"} == cpv(off.view)


def test_every_list_cites_its_law_with_dates(builtin_pack: Pack) -> None:
    """Each built-in list cites legislation.gov.uk and has a start date; an incomplete list
    says so in its caveat."""
    for cpv in builtin_pack.cpv_lists:
        assert cpv.references, cpv.id
        assert all(r.url.startswith("https://www.legislation.gov.uk/")
                   for r in cpv.references), cpv.id
        assert cpv.valid_from >= dt.date(2006, 1, 31)
        assert cpv.complete or "incomplete" in cpv.caveat or "in part" in cpv.title, cpv.id
