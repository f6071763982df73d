"""Issue 16, D4 and D7: a bad record becomes a located error row and the rest of the batch
completes; nothing is misread in silence.

Review rows 31-33 and 43-47 (one bad record lost the whole batch), 35 (an unterminated
quote swallowed the rows after it), 37-38, 40, 42, 49 and 63 (silent misreads).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest

from tests.reliability.cli_helpers import assert_clean_errors, formselect

GOOD_JSONL = '{"name": "Good", "as_of": "2026-06-01", "ownership": {"employee_pct": 100}}\n'
GOOD_CSV_ROW = "Good,2026-06-01\n"


def batch(tmp_path: Path, source: str | Path, *extra: str) -> tuple[int, list[dict[str, str]],
                                                                   str]:
    out = tmp_path / "out.csv"
    done = formselect("batch", source, "-o", out, "--as-of", "2026-06-01", *extra,
                      cwd=tmp_path)
    assert_clean_errors(done.stderr)
    assert out.exists(), f"no output written: {done.stderr}"
    with out.open(encoding="utf-8", newline="") as file:
        return done.returncode, list(csv.DictReader(file)), done.stderr


def statuses(rows: list[dict[str, str]]) -> list[str]:
    return ["error" if r["status"] == "error" else "ok" for r in rows]


class TestOneBadRecord:

    @pytest.mark.parametrize(("label", "line"), [
        ("deeply nested", "[" * 100_000 + "]" * 100_000 + "\n"),
        ("5,000-digit integer",
         '{"as_of": "2026-06-01", "ownership": {"employee_pct": ' + "9" * 5000 + "}}\n"),
        ("lone surrogate", '{"as_of": "2026-06-01", "name": "\\ud800"}\n'),
    ])
    def test_jsonl(self, tmp_path: Path, label: str, line: str) -> None:
        source = tmp_path / "cases.jsonl"
        source.write_text(line + GOOD_JSONL, encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 1
        assert statuses(rows) == ["error", "ok"], label
        assert "cases.jsonl:1" in rows[0]["error"]

    def test_folder_with_a_file_name_that_is_not_utf8(self, tmp_path: Path) -> None:
        folder = tmp_path / "cases"
        folder.mkdir()
        bad = os.fsencode(folder) + b"/\xff.toml"
        with open(bad, "w", encoding="utf-8") as file:
            file.write("[ownership]\nemployee_pct = 50\n")
        (folder / "good.toml").write_text("[ownership]\nemployee_pct = 100\n",
                                          encoding="utf-8")
        _code, rows, _ = batch(tmp_path, folder)
        assert len(rows) == 2
        assert "ok" in statuses(rows)
        for row in rows:
            row["name"].encode("utf-8")  # written as valid UTF-8

    def test_csv_field_over_the_csv_module_limit(self, tmp_path: Path) -> None:
        source = tmp_path / "cases.csv"
        source.write_text("name,as_of\n" + "x" * 200_000 + ",2026-06-01\n" + GOOD_CSV_ROW,
                          encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 1
        assert statuses(rows) == ["error", "ok"]
        assert "cases.csv:2" in rows[0]["error"]

    def test_csv_row_that_is_not_utf8(self, tmp_path: Path) -> None:
        source = tmp_path / "cases.csv"
        source.write_bytes(b"name,as_of\nCaf\xe9,2026-06-01\n" + GOOD_CSV_ROW.encode())
        code, rows, _ = batch(tmp_path, source)
        assert code == 1
        assert statuses(rows) == ["error", "ok"]
        assert "cases.csv:2" in rows[0]["error"]
        assert "UTF-8" in rows[0]["error"]

    def test_csv_file_in_utf16_is_one_line(self, tmp_path: Path) -> None:
        source = tmp_path / "cases.csv"
        source.write_text("name,as_of\n" + GOOD_CSV_ROW, encoding="utf-16")
        done = formselect("batch", source, "-o", "out.csv", cwd=tmp_path)
        assert done.returncode == 1
        assert "UTF-8" in done.stderr
        assert_clean_errors(done.stderr)

    def test_unterminated_quote_is_reported_and_later_rows_are_kept(
            self, tmp_path: Path) -> None:
        source = tmp_path / "cases.csv"
        source.write_text('name,as_of\n"unterminated,2026-06-01\nA,2026-06-01\n'
                          'B,2026-06-01\n', encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 1
        assert [r["name"] for r in rows[1:]] == ["A", "B"]
        assert statuses(rows) == ["error", "ok", "ok"]
        assert "quote" in rows[0]["error"]
        assert "cases.csv:2" in rows[0]["error"]

    def test_quoted_newlines_still_read(self, tmp_path: Path) -> None:
        source = tmp_path / "cases.csv"
        source.write_text('name,notes,as_of\nA,"two\nlines",2026-06-01\nGood,,2026-06-01\n',
                          encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 0
        assert [r["name"] for r in rows] == ["A", "Good"]


class TestSilentMisreads:

    @pytest.mark.parametrize("cell", ["2,5", "1.234,56", "١٠", "１０", "1,23"])
    def test_ambiguous_or_foreign_numbers_are_refused(self, tmp_path: Path,
                                                      cell: str) -> None:
        source = tmp_path / "cases.csv"
        source.write_text(f'name,as_of,procurement.term_years\nc,2026-06-01,"{cell}"\n'
                          "d,2026-06-01,5\n", encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 1
        assert statuses(rows) == ["error", "ok"]
        assert "procurement.term_years" in rows[0]["error"]

    def test_thousands_separators_still_read(self, tmp_path: Path) -> None:
        source = tmp_path / "cases.csv"
        source.write_text('name,as_of,procurement.value_gbp_inc_vat\n'
                          'c,2026-06-01,"1,234,567.50"\n', encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 0, rows

    def test_jsonl_nan_is_refused(self, tmp_path: Path) -> None:
        source = tmp_path / "cases.jsonl"
        source.write_text('{"as_of":"2026-06-01","ownership":{"employee_pct":NaN}}\n'
                          + GOOD_JSONL, encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 1
        assert statuses(rows) == ["error", "ok"]
        assert "NaN" in rows[0]["error"]

    @pytest.mark.parametrize("line", [
        '{"as_of":"2026-06-01","ownership":{"employee_pct":100,"employee_pct":10}}',
        '{"as_of":"2026-06-01","ownership":{"employee_pct":100},'
        '"ownership":{"private_partner_pct":90}}',
        '{"as_of":"2026-06-01","ownership.employee_pct":100,"ownership":{"employee_pct":5}}',
    ])
    def test_jsonl_keys_given_twice_are_refused(self, tmp_path: Path, line: str) -> None:
        source = tmp_path / "cases.jsonl"
        source.write_text(line + "\n" + GOOD_JSONL, encoding="utf-8")
        code, rows, _ = batch(tmp_path, source)
        assert code == 1
        assert statuses(rows) == ["error", "ok"]
        assert "employee_pct" in rows[0]["error"] or "ownership" in rows[0]["error"]

    def test_json_case_file_with_a_key_twice_is_refused(self, tmp_path: Path) -> None:
        case = tmp_path / "dup.json"
        case.write_text('{"as_of":"2026-06-01","ownership":{"employee_pct":100,'
                        '"employee_pct":10}}', encoding="utf-8")
        done = formselect("advise", case, cwd=tmp_path)
        assert done.returncode == 1
        assert "employee_pct" in done.stderr
        assert_clean_errors(done.stderr)

    def test_trace_never_states_a_comparison_the_engine_did_not_make(
            self, tmp_path: Path) -> None:
        case = tmp_path / "case.json"
        case.write_text(json.dumps({"as_of": "2026-06-01", "ownership": {
            "employee_pct": 50.0004, "board_control": "shared"}}), encoding="utf-8")
        done = formselect("advise", case, "--depth", "full", cwd=tmp_path)
        assert_clean_errors(done.stderr)
        if done.returncode == 0:
            assert "<= 50: yes (value: 50.0004)" not in done.stdout
        else:
            assert done.returncode == 1
            assert "employee_pct" in done.stderr
