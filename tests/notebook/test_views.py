"""What a notebook shows: one-line reprs, HTML tables, DataFrames, and diffs of outcome."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

import formselect as fs
from formselect.batch.io import BatchRow

ROOT = Path(__file__).resolve().parents[2]
EPIC = ROOT / "examples" / "epic_cic_kensington.toml"
BATCH_PACK = ROOT / "tests" / "packs" / "batch"
BASE = {"name": "Base", "ownership": {"board_control": "employees"},
        "procurement": {"value_gbp_inc_vat": 2_000_000, "start_date": "2025-03-01"}}


@pytest.fixture(scope="module")
def epic() -> fs.Advice:
    return fs.advise(EPIC, as_of="2012-10-01")


def test_advice_repr_is_one_short_line(epic: fs.Advice) -> None:
    risks = len(epic.risks)
    assert repr(epic) == (
        "<Advice 'Epic CIC: Kensington and Chelsea youth services' as at 2012-10-01: "
        f"{epic.recommended} (recommended), route {epic.procurement.recommended_route}, "
        f"{risks} risks>")
    assert len(repr(epic)) < 200
    assert str(epic) == epic.render("text")  # print(advice) is the report


def test_a_tie_repr_names_the_tied_forms() -> None:
    pack = fs.load_rules(BATCH_PACK, builtin=False)
    case = {**BASE, "ownership": {"board_control": "employees", "employee_pct": 10}}
    advice = fs.advise(case, rules=pack)
    assert advice.status is fs.Status.TIE
    assert "tie between " in repr(advice)
    assert "\n" not in repr(advice)


def test_pack_repr_is_one_short_line(epic: fs.Advice) -> None:
    pack = fs.builtin_pack()
    assert repr(pack).startswith(f"<Pack {pack.name}@{pack.version}#{pack.digest[:8]}: "
                                 f"{len(pack.rules)} rules, {len(pack.forms)} forms")
    assert len(repr(pack)) < 200
    assert "<table>" in pack._repr_html_()
    assert epic.pack is not None
    assert repr(epic.pack) == repr(pack)


def test_why_not_repr_and_html(epic: fs.Advice) -> None:
    answer = epic.why_not("cio")
    assert repr(answer) == (f"<WhyNot cio (form, excluded): {len(answer.blockers)} blockers, "
                            f"{len(answer.counterfactuals)} counterfactuals>")
    assert str(answer) == answer.render_text()
    html = answer._repr_html_()
    assert html.startswith("<div class='formselect'><style>")
    assert "Why not" in html


def test_sweep_is_a_tuple_with_a_frame_a_repr_and_a_table() -> None:
    rows = fs.sweep(EPIC, "ownership.employee_pct", [10, 90], as_of="2012-10-01")
    assert isinstance(rows, fs.Sweep)
    assert isinstance(rows, tuple)
    assert len(rows) == 2
    assert rows[0].value == 10
    assert rows.columns == ("ownership.employee_pct", "status", "recommended",
                            "recommended_route", "regime", "available_routes", "error")
    assert repr(rows).startswith("<Sweep ownership.employee_pct: 2 values; outcomes: ")
    assert "<table>" in rows._repr_html_()
    assert "<td>10</td>" in rows._repr_html_()
    assert pickle.loads(pickle.dumps(rows)) == rows
    pytest.importorskip("pandas")
    frame = rows.to_frame()
    assert list(frame.columns) == list(rows.columns)
    assert frame["ownership.employee_pct"].tolist() == [10, 90]


def test_grid_has_a_frame_a_repr_and_a_table_and_a_tie_is_none() -> None:
    pack = fs.load_rules(BATCH_PACK, builtin=False)
    table = fs.grid(BASE, {"ownership.employee_pct": [10, 70]}, rules=pack)
    assert table[0]["status"] == "tie"
    assert table[0]["recommended_form"] is None
    assert repr(table) == ("<GridTable 2 rows over ownership.employee_pct; "
                           f"outcomes: {table[1]['recommended_form']}, tie>")
    html = table._repr_html_()
    assert "<th>ownership.employee_pct</th>" in html
    assert "text-align:left" in html
    sweep = fs.sweep(BASE, "ownership.employee_pct", [10], rules=pack)
    assert sweep[0].recommended is None  # the same None for a tie in a sweep
    pytest.importorskip("pandas")
    assert list(table.to_frame().columns) == list(table.columns)


def test_batch_rows_give_none_for_no_form_and_empty_csv_cells() -> None:
    row = BatchRow(1, "A", "2025-03-01", "tie")
    assert (row.recommended_form, row.recommended_route, row.regime) == (None, None, None)
    record = row.to_record()
    assert (record["recommended_form"], record["recommended_route"], record["regime"]) == (
        None, None, None)
    assert row.to_cells()[4:7] == ["", "", ""]


def test_diff_between_dates_reports_outcomes_and_windows_behind_a_flag(
        epic: fs.Advice) -> None:
    later = fs.advise(EPIC, as_of=dt.date(2026, 6, 1))
    changes = fs.diff(epic, later)
    assert all("not_in_force" not in pair for pair in changes.steps.values())
    assert changes.windows == {}
    assert "in force" not in changes.render_text()
    assert changes.recommended_route == (epic.procurement.recommended_route,
                                         later.procurement.recommended_route)
    full = fs.diff(epic, later, windows=True)
    assert full.windows
    assert all("not_in_force" in pair for pair in full.windows.values())
    assert full.steps == changes.steps
    assert repr(changes).startswith("<AdviceDiff: route ")
    assert "<th>what</th>" in changes._repr_html_()
    records = changes.records()
    assert records[0] == {"what": "recommended route", "item": "",
                          "before": epic.procurement.recommended_route,
                          "after": later.procurement.recommended_route}
    assert repr(fs.diff(epic, epic)) == "<AdviceDiff: no change>"
    pytest.importorskip("pandas")
    assert list(changes.to_frame().columns) == ["what", "item", "before", "after"]
