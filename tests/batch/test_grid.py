"""Scenario grids: every combination, in order, with unknowns, dates and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from formselect import CaseError, grid
from formselect.pack.load import load_pack
from formselect.pack.model import Pack

BATCH_PACK = Path(__file__).resolve().parents[1] / "packs" / "batch"
BASE = {"name": "Base", "ownership": {"board_control": "employees"},
        "procurement": {"value_gbp_inc_vat": 2_000_000, "start_date": "2025-03-01"}}


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(BATCH_PACK)


def test_every_combination_in_axis_order(pack: Pack) -> None:
    table = grid(BASE, {"ownership.employee_pct": [10, 70],
                        "ownership.community_pct": [0, 30]}, rules=pack)
    assert [(r["ownership.employee_pct"], r["ownership.community_pct"]) for r in table] == [
        (10, 0), (10, 30), (70, 0), (70, 30)]
    assert [r["recommended_form"] for r in table] == [None, "community_form", "staff_form",
                                                     "community_form"]
    assert table.columns == ("ownership.employee_pct", "ownership.community_pct", "as_of",
                             "status", "recommended_form", "recommended_route", "regime",
                             "top_risks", "fired_rules", "error")
    assert all(list(row) == list(table.columns) for row in table)
    assert table[2]["recommended_route"] == "reserved_route"
    assert table[2]["top_risks"] == ["B-BIG:high"]


def test_unknown_as_a_value_and_the_date_as_an_axis(pack: Pack) -> None:
    table = grid(BASE, {"as_of": ["2024-06-01", "2025-06-01"],
                        "procurement.value_gbp_inc_vat": [None, "unknown", 5_000]},
                 rules=pack)
    assert len(table) == 6
    assert [r["regime"] for r in table] == ["old_rules"] * 3 + ["new_rules"] * 3
    assert [r["recommended_route"] for r in table] == [None, None, "open_route"] * 2
    assert "B-BIG" in grid(BASE, {"as_of": [None]}, rules=pack)[0]["fired_rules"]


def test_a_contradictory_combination_is_an_error_row(pack: Pack) -> None:
    table = grid(BASE, {"ownership.employee_pct": [60], "ownership.community_pct": [30, 60]},
                 rules=pack)
    assert [r["status"] for r in table] == ["recommended", "error"]
    assert "stakes add up to more than 100%" in table[1]["error"]
    assert "grid row 2 (ownership.employee_pct=60, ownership.community_pct=60)" \
        in table[1]["error"]


def test_bad_axes_fail_before_any_work(pack: Pack) -> None:
    with pytest.raises(CaseError) as caught:
        grid(BASE, {"ownership.employe_pct": [1], "money.asset_lock": ["requird"],
                    "as_of": ["soon"], "service.staff_count": []}, rules=pack)
    assert [str(p) for p in caught.value.problems] == [
        "grid: ownership.employe_pct: unknown fact (expected a dotted fact name or as_of); "
        "did you mean 'ownership.employee_pct'?",
        "grid: money.asset_lock[0]: invalid value (found 'requird'; expected one of "
        "required, preferred, not_wanted); did you mean 'required'?",
        "grid: as_of[0]: invalid value (found 'soon'; expected a date such as 2025-03-01)",
        "grid: service.staff_count: no values to try (expected one or more values)",
    ]


def test_no_axes_is_the_base_case(pack: Pack) -> None:
    [row] = grid(BASE, {}, rules=pack)
    assert row["status"] == "tie"
    assert row["as_of"] == "2025-03-01"


def test_a_process_pool_gives_the_same_table(pack: Pack) -> None:
    axes = {"ownership.employee_pct": list(range(0, 101, 10)),
            "ownership.community_pct": [0, 25], "money.external_equity": [True, False, None]}
    assert grid(BASE, axes, rules=pack, processes=2) == grid(BASE, axes, rules=pack,
                                                            processes=1)


def test_a_decision_map_from_the_dataframe(pack: Pack) -> None:
    pytest.importorskip("pandas")
    table = grid(BASE, {"ownership.employee_pct": [10, 75],
                        "ownership.community_pct": [0, 20]}, rules=pack)
    frame = table.to_dataframe()
    assert list(frame.columns) == list(table.columns)
    decision = frame.pivot(index="ownership.employee_pct", columns="ownership.community_pct",
                           values="recommended_form")
    assert decision.loc[75, 0] == "staff_form"
    assert table[0]["recommended_form"] is None  # a tie: no form, as in Advice (NaN here)
    assert frame["recommended_form"].isna().tolist() == [r["recommended_form"] is None
                                                        for r in table]
