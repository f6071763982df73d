"""Batch runs: inputs (CSV, JSONL, folders, iterables, DataFrames), error rows, ordering,
process pools, executors and Dask clusters giving identical output, and the progress bar.

Written against the small pack under tests/packs/batch, not against legal outcomes.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from formselect import CaseError, case_from_dict, load_case
from formselect.batch.io import COLUMNS, BatchRow, read_records, row_writer
from formselect.batch.progress import Progress
from formselect.batch.run import BatchResult, advise_many, advise_stream, summarise
from formselect.case.vocabulary import case_facts
from formselect.pack.load import load_pack
from formselect.pack.model import Pack
from tests.batch_helpers import BATCH_PACK, spoiled_rows, write_csv, write_portfolio
from tests.strategies import case_dicts


@pytest.fixture(scope="module")
def pack() -> Pack:
    """The batch test pack."""
    return load_pack(BATCH_PACK)


def written(rows: BatchResult | list[BatchRow], fmt: str = "csv") -> str:
    stream = io.StringIO()
    writer = row_writer(stream, fmt)
    for row in rows:
        writer.write(row)
    return stream.getvalue()


HEADER = ["name", "as_of", "ownership.employee_pct", "ownership.community_pct",
          "money.external_equity", "procurement.value_gbp_inc_vat", "transfer.pension_schemes"]


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "cases.csv", HEADER, [
        ["Staff", "2025-03-01", "75", "", "", "2,000,000", "lgps;nhs"],
        ["Community", "2024-03-01", "10", "40", "no", "", ""],
        ["Bad number", "2025-03-01", "lots", "", "", "", ""],
        ["Bad date", "2025-02-30", "60", "", "", "", ""],
        ["Too many stakes", "2025-03-01", "60", "60", "", "", ""],
        ["Tie", "2025-03-01", "10", "", "", "", ""],
    ])


class TestCsv:
    def test_rows_come_back_in_order_with_error_rows(self, small_csv: Path,
                                                    pack: Pack) -> None:
        result = advise_many(small_csv, rules=pack, processes=1)
        assert [r.row for r in result] == [1, 2, 3, 4, 5, 6]
        assert [r.status for r in result] == ["recommended", "recommended", "error", "error",
                                              "error", "tie"]
        staff = result[0]
        assert (staff.name, staff.as_of, staff.recommended_form, staff.recommended_route,
                staff.regime) == ("Staff", "2025-03-01", "staff_form", "reserved_route",
                                  "new_rules")
        assert staff.top_risks == ("B-BIG:high", "B-LGPS:medium", "B-NO-BOARD:low")
        assert "B-STAFF" in staff.fired_rules
        assert result[1].regime == "old_rules"
        assert len(result.errors) == 3

    def test_an_error_names_file_line_row_and_fact(self, small_csv: Path, pack: Pack) -> None:
        result = advise_many(small_csv, rules=pack, processes=1)
        assert result[2].error == (
            f"{small_csv}:4 (row 3): ownership.employee_pct: invalid value (found 'lots'; "
            "expected a number from 0 to 100)")
        assert result[3].error.startswith(f"{small_csv}:5 (row 4): as_of '2025-02-30' is not "
                                          "a date")
        assert "stakes add up to more than 100%" in result[4].error
        assert result[2].name == "Bad number"
        assert result[3].as_of == "2025-02-30"

    def test_cells_are_typed_by_the_vocabulary(self, tmp_path: Path, pack: Pack) -> None:
        path = write_csv(tmp_path / "typed.csv", [
            "name", "ownership.employee_pct", "service.staff_count", "money.external_equity",
            "membership.open_to_community", "transfer.pension_schemes", "service.cpv_codes",
            "procurement.start_date", "service.parent_body", "ownership.board_control",
        ], [["  Typed  ", "62.5", "1,200", "Yes", "unknown", " lgps ; nhs ;",
             "85000000-9;80000000-4", "2025-04-01", "council", ""]])
        [row] = advise_many(path, rules=pack, processes=1, keep_advice=True)
        assert row.ok, row.error
        assert row.advice is not None
        case = row.advice.case
        assert case.name == "Typed"
        assert case.ownership.employee_pct == 62.5
        assert case.service.staff_count == 1200
        assert case.money.external_equity is True
        assert case.membership.open_to_community is None
        assert {str(s) for s in case.transfer.pension_schemes or ()} == {"lgps", "nhs"}
        assert case.service.cpv_codes == ("85000000-9", "80000000-4")
        assert case.procurement.start_date == dt.date(2025, 4, 1)
        assert case.ownership.board_control is None
        assert row.as_of == "2025-04-01"  # the start date, with no as_of given

    def test_an_unknown_column_fails_the_whole_input_at_once(self, tmp_path: Path,
                                                            pack: Pack) -> None:
        path = write_csv(tmp_path / "bad.csv", ["name", "ownership.employe_pct", "as_of",
                                                "as_of"], [["x", "1", "2025-01-01", ""]])
        with pytest.raises(CaseError) as caught:
            advise_stream(path, rules=pack, processes=1)
        assert [str(p) for p in caught.value.problems] == [
            f"{path}:1: column 2: unknown column (found 'ownership.employe_pct'; expected "
            "name, notes, as_of or a dotted fact name such as ownership.employee_pct); did "
            "you mean 'ownership.employee_pct'?",
            f"{path}:1: column 4: column appears twice (found 'as_of'; expected each "
            "column once)",
        ]

    def test_a_ragged_row_is_an_error_row(self, tmp_path: Path, pack: Pack) -> None:
        path = tmp_path / "ragged.csv"
        path.write_text("name,as_of,ownership.employee_pct\nA,2025-01-01,75\nB,2025-01-01\n\n"
                        "C,2025-01-01,20\n", encoding="utf-8")
        result = advise_many(path, rules=pack, processes=1)
        assert [r.status for r in result] == ["recommended", "error", "tie"]
        assert result[1].error == (f"{path}:3 (row 2): wrong number of cells (found 2; "
                                   "expected 3, one per column of the header)")
        assert result[2].row == 3  # the blank line is not a row

    def test_a_missing_file_is_an_input_error(self, tmp_path: Path, pack: Pack) -> None:
        with pytest.raises(CaseError, match="no such input file"):
            advise_many(tmp_path / "absent.csv", rules=pack)

    def test_a_byte_order_mark_and_tsv_are_read(self, tmp_path: Path, pack: Pack) -> None:
        path = tmp_path / "excel.tsv"
        path.write_bytes("\ufeffname\tas_of\townership.employee_pct\nA\t2025-01-01\t75\n"
                         .encode())
        [row] = advise_many(path, rules=pack)
        assert (row.name, row.recommended_form) == ("A", "staff_form")

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @given(case_dicts(plain=True, names=False))
    def test_any_valid_case_survives_a_csv_row(self, data: dict[str, Any]) -> None:
        # an empty cell is unknown, so a CSV cannot say "an empty list": leave those out
        data = {s: {f: v for f, v in facts.items() if v != []} for s, facts in data.items()}
        facts = list(case_facts())
        cells = []
        for name in facts:
            section, _, field = name.partition(".")
            value = data.get(section, {}).get(field)
            if isinstance(value, list):
                value = ";".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            cells.append("" if value is None else str(value))
        with tempfile.TemporaryDirectory() as folder:  # not tmp_path: one per example
            path = write_csv(Path(folder) / "one.csv", facts, [cells])
            [record] = read_records(path)
        assert isinstance(record.payload, dict)
        assert case_from_dict(record.payload) == case_from_dict(data)


class TestOtherInputs:
    def test_jsonl_nested_or_dotted_with_bad_lines(self, tmp_path: Path, pack: Pack) -> None:
        path = tmp_path / "cases.jsonl"
        lines = [
            json.dumps({"name": "Nested", "as_of": "2025-03-01",
                        "ownership": {"employee_pct": 75}}),
            "",
            json.dumps({"name": "Dotted", "ownership.community_pct": 30,
                        "procurement.start_date": "2024-05-01"}),
            "{not json",
            json.dumps([1, 2]),
            json.dumps({"ownership": {"employee_pc": 75}, "as_of": "2025-03-01"}),
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = advise_many(path, rules=pack)
        assert [(r.row, r.status) for r in result] == [
            (1, "recommended"), (2, "recommended"), (3, "error"), (4, "error"), (5, "error")]
        assert result[1].as_of == "2024-05-01"
        assert result[2].error.startswith(f"{path}:4 (row 3): column 2: invalid JSON")
        assert "a case must be a table of facts (found 'list'" in result[3].error
        assert "did you mean 'ownership.employee_pct'?" in result[4].error

    def test_an_iterable_of_cases_dicts_and_paths(self, tmp_path: Path, pack: Pack) -> None:
        case_file = tmp_path / "staff.toml"
        case_file.write_text("name = 'From file'\n[ownership]\nemployee_pct = 80\n"
                             "[procurement]\nstart_date = 2025-05-01\n", encoding="utf-8")
        items: list[Any] = [
            load_case(case_file),
            {"name": "Dict", "ownership": {"community_pct": 50}, "as_of": "2025-01-01"},
            str(case_file),
            tmp_path / "missing.toml",
            {"ownership.employee_pct": 70},  # no date at all
        ]
        result = advise_many(items, rules=pack)
        assert [(r.name, r.status) for r in result] == [
            ("From file", "recommended"), ("Dict", "recommended"), ("From file", "recommended"),
            ("missing", "error"), ("", "error")]
        assert "no such case file" in result[3].error
        assert "row 5: as_of is needed" in result[4].error

    def test_a_folder_of_case_files(self, tmp_path: Path, pack: Pack) -> None:
        for name, pct in (("b", 80), ("a", 10)):
            (tmp_path / f"{name}.toml").write_text(
                f"[ownership]\nemployee_pct = {pct}\n[procurement]\nstart_date = 2025-05-01\n",
                encoding="utf-8")
        result = advise_many(tmp_path, rules=pack)
        assert [(r.name, r.status) for r in result] == [("a", "tie"), ("b", "recommended")]

    def test_a_dataframe_with_gaps_and_numpy_types(self, pack: Pack) -> None:
        pd = pytest.importorskip("pandas")
        frame = pd.DataFrame({
            "name": ["A", "B", None],
            "as_of": ["2025-03-01", None, "2025-03-01"],
            "ownership.employee_pct": [75.0, None, 20.0],
            "service.staff_count": [12, None, 7],  # becomes floats around the gap
            "money.external_equity": [False, True, None],
            "procurement.start_date": [None, pd.Timestamp("2024-02-01"), None],
        })
        result = advise_many(frame, rules=pack, keep_advice=True)
        assert [r.status for r in result] == ["recommended", "recommended", "tie"]
        assert result[1].recommended_form == "staff_form"  # the only form equity leaves
        assert result[1].as_of == "2024-02-01"
        assert result[0].advice is not None
        assert result[0].advice.case.service.staff_count == 12
        assert result[2].advice is not None
        assert result[2].advice.case.money.external_equity is None

    def test_results_as_a_dataframe(self, small_csv: Path, pack: Pack) -> None:
        pytest.importorskip("pandas")
        frame = advise_many(small_csv, rules=pack).to_dataframe()
        assert list(frame.columns) == list(COLUMNS)
        assert len(frame) == 6
        assert frame.loc[0, "top_risks"] == ["B-BIG:high", "B-LGPS:medium", "B-NO-BOARD:low"]

    def test_something_that_is_not_cases(self, pack: Pack) -> None:
        with pytest.raises(CaseError, match="cannot read cases from this"):
            advise_many(42, rules=pack)


class TestDates:
    def test_the_row_date_wins_then_the_run_date_then_the_start_date(self, pack: Pack) -> None:
        cases = [
            {"as_of": "2024-06-01", "ownership": {"employee_pct": 75}},
            {"ownership": {"employee_pct": 75}},
            {"ownership": {"employee_pct": 75}, "procurement": {"start_date": "2020-01-01"}},
        ]
        assert [r.as_of for r in advise_many(cases, as_of="2025-06-01", rules=pack)] == [
            "2024-06-01", "2025-06-01", "2025-06-01"]
        assert [r.as_of for r in advise_many(cases[2:], rules=pack)] == ["2020-01-01"]

    def test_a_case_objects_own_date_is_its_row_date(self, tmp_path: Path,
                                                     pack: Pack) -> None:
        path = tmp_path / "dated.toml"
        path.write_text("as_of = 2024-01-02\n[ownership]\nemployee_pct = 75\n",
                        encoding="utf-8")
        rows = advise_many([load_case(path), path], as_of="2025-06-01", rules=pack)
        assert [r.as_of for r in rows] == ["2024-01-02", "2024-01-02"]


class TestParallel:
    def test_a_process_pool_gives_the_same_rows_as_one_process(
            self, tmp_path: Path, pack: Pack) -> None:
        path = write_portfolio(tmp_path / "p.csv", 500, malformed=4)
        one = advise_many(path, rules=pack, processes=1)
        pool = advise_many(path, rules=pack, processes=2, chunksize=16)
        assert len(pool) == 500
        assert [r.row for r in pool] == list(range(1, 501))
        assert written(pool) == written(one)
        assert written(pool, "jsonl") == written(one, "jsonl")
        assert [r.row for r in pool.errors] == spoiled_rows(500, 4)  # the rest are valid
        assert pool.throughput > 0

    def test_any_concurrent_futures_executor(self, tmp_path: Path, pack: Pack) -> None:
        path = write_portfolio(tmp_path / "p.csv", 120, malformed=2)
        expected = written(advise_many(path, rules=pack, processes=1))
        with concurrent.futures.ThreadPoolExecutor(2) as threads:
            assert written(advise_many(path, rules=pack, executor=threads,
                                       chunksize=7)) == expected
        with concurrent.futures.ProcessPoolExecutor(2) as processes:
            assert written(advise_many(path, rules=pack, executor=processes)) == expected

    def test_an_object_without_submit_is_refused(self, pack: Pack) -> None:
        with pytest.raises(Exception, match="submit"):
            list(advise_stream([{"ownership": {"employee_pct": 1}}], rules=pack,
                               executor=object()))

    def test_stopping_early_stops_the_pool(self, tmp_path: Path, pack: Pack) -> None:
        path = write_portfolio(tmp_path / "p.csv", 300)
        rows = advise_stream(path, rules=pack, processes=2, chunksize=10)
        first = next(rows)
        rows.close()  # type: ignore[attr-defined]
        assert first.row == 1

    @pytest.mark.slow
    @pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
    def test_a_local_dask_cluster_gives_byte_identical_output(
            self, tmp_path: Path, pack: Pack, processes: bool) -> None:
        distributed = pytest.importorskip("distributed")
        path = write_portfolio(tmp_path / "p.csv", 400, malformed=3)
        expected = written(advise_many(path, rules=pack, processes=2))
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=processes,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            result = advise_many(path, rules=pack, executor=client)
        assert written(result) == expected
        assert len(result) == 400
        assert len(result.errors) == 3


class TestSummaries:
    def test_summarise_an_advice(self, pack: Pack) -> None:
        [row] = advise_many([{"name": "S", "ownership": {"employee_pct": 75},
                              "as_of": "2025-01-01"}], rules=pack, keep_advice=True)
        assert row.advice is not None
        assert summarise(row.advice, row=1) == row

    def test_csv_and_jsonl_rows(self, small_csv: Path, pack: Pack) -> None:
        result = advise_many(small_csv, rules=pack)
        lines = written(result).splitlines()
        assert lines[0] == ",".join(COLUMNS)
        assert lines[1].startswith("1,Staff,2025-03-01,recommended,staff_form,reserved_route,"
                                   "new_rules,B-BIG:high;B-LGPS:medium;B-NO-BOARD:low,")
        records = [json.loads(line) for line in written(result, "jsonl").splitlines()]
        assert list(records[0]) == list(COLUMNS)
        assert records[0]["fired_rules"][:2] == ["B-BIG", "B-LGPS"]
        assert records[2]["status"] == "error"

    def test_unknown_output_format(self) -> None:
        with pytest.raises(ValueError, match="unknown output format"):
            row_writer(io.StringIO(), "xml")


class TestProgress:
    def test_a_bar_with_count_rate_and_estimate(self) -> None:
        stream = io.StringIO()
        bar = Progress(200, stream, enabled=True)
        bar.started -= 10  # ten seconds ago
        bar.advance(50)
        bar.close()
        text = stream.getvalue()
        assert text.startswith("\r[#######.....................] 50/200  25% 5 cases/s ETA "
                               "30s")
        assert text.endswith("\n")

    def test_unknown_total_and_long_estimates(self) -> None:
        bar = Progress(None, io.StringIO(), enabled=True)
        bar.done = 3
        assert bar.line(bar.started + 1) == "3 cases 3 cases/s"
        bar = Progress(100_000, io.StringIO(), enabled=True)
        bar.done = 1
        assert bar.line(bar.started + 1).endswith("ETA 27h46m")
        bar.done = 10
        assert bar.line(bar.started + 1).endswith("ETA 2h46m")
        bar.done = 1000
        assert bar.line(bar.started + 1).endswith("ETA 1m39s")

    def test_silent_when_not_a_terminal_or_short(self) -> None:
        stream = io.StringIO()
        with Progress(10, stream) as bar:  # StringIO is not a terminal
            bar.advance(10)
        with Progress(10, stream, enabled=True) as bar:  # done before the bar is due
            bar.advance(10)
        assert stream.getvalue() == ""

    def test_messages_clear_the_bar_line(self) -> None:
        stream = io.StringIO()
        bar = Progress(10, stream, enabled=True)
        bar.started -= 1
        bar.advance(1)
        bar.message("formselect: error: row 2")
        assert stream.getvalue().endswith("\r\x1b[Kformselect: error: row 2\n")
