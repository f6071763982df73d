"""The command line's batch and test commands: outputs, exit codes, and errors as one
located line each (never a traceback)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from formselect.batch.io import COLUMNS
from formselect.cli import main
from tests.batch_helpers import BATCH_PACK, REPO, TESTS, spoiled_rows, write_portfolio

RULES = ["--replace-rules", "--rules", str(BATCH_PACK)]
GOOD = (TESTS / "scenarios").resolve()
BAD = (TESTS / "bad_scenarios").resolve()


@pytest.fixture
def cases_csv(tmp_path: Path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text(
        "name,as_of,ownership.employee_pct,ownership.community_pct\n"
        "Staff,2025-03-01,75,\n"
        "Broken,2025-03-01,lots,\n"
        "Community,2024-03-01,10,40\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestBatch:
    def test_writes_every_row_and_reports_errors_and_throughput(
            self, capsys: pytest.CaptureFixture[str], cases_csv: Path, tmp_path: Path) -> None:
        output = tmp_path / "advice.csv"
        code, out, err = run(capsys, "batch", str(cases_csv), "-o", str(output), *RULES)
        assert code == 1  # a row had errors; the output is still complete
        assert out == ""
        with output.open(encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert [r["status"] for r in rows] == ["recommended", "error", "recommended"]
        assert list(rows[0]) == list(COLUMNS)
        lines = err.splitlines()
        assert lines[0] == (f"formselect: error: {cases_csv}:3 (row 2): ownership.employee_pct:"
                            " invalid value (found 'lots'; expected a number from 0 to 100)")
        assert lines[1].startswith("formselect: 3 cases, 1 with errors in ")
        assert "cases/s in 1 process; wrote" in lines[1]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["advice.csv", "cases.csv"]

    def test_exit_zero_when_every_case_is_advised_on(
            self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        source = tmp_path / "ok.jsonl"
        source.write_text('{"ownership.employee_pct": 75, "as_of": "2025-03-01"}\n',
                          encoding="utf-8")
        code, out, err = run(capsys, "batch", str(source), "-o", "-", "--format", "jsonl",
                             "-q", *RULES)
        assert (code, err) == (0, "")
        assert json.loads(out)["recommended_form"] == "staff_form"

    def test_as_of_jsonl_output_and_processes(self, capsys: pytest.CaptureFixture[str],
                                              cases_csv: Path, tmp_path: Path) -> None:
        output = tmp_path / "advice.jsonl"
        code, _, err = run(capsys, "batch", str(cases_csv), "-o", str(output), "-j", "2",
                           "--as-of", "2020-01-01", *RULES)
        assert code == 1
        records = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
        assert [r["as_of"] for r in records] == ["2025-03-01", "2025-03-01", "2024-03-01"]
        assert "on 2 processes" in err

    def test_progress_bar_when_asked(self, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch, cases_csv: Path,
                                     tmp_path: Path) -> None:
        monkeypatch.setattr("formselect.batch.progress.DELAY", 0.0)
        monkeypatch.setattr("formselect.batch.progress.INTERVAL", 0.0)
        code, _, err = run(capsys, "batch", str(cases_csv), "-o", str(tmp_path / "o.csv"),
                           "--progress", *RULES)
        assert code == 1
        assert "\r[############################] 3/3 100%" in err

    def test_an_unknown_column_stops_before_any_output(
            self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        source = tmp_path / "bad.csv"
        source.write_text("name,ownership.employe_pct\nx,1\n", encoding="utf-8")
        output = tmp_path / "out.csv"
        code, out, err = run(capsys, "batch", str(source), "-o", str(output), *RULES)
        assert (code, out) == (1, "")
        assert err == (f"formselect: error: {source}:1: column 2: unknown column (found "
                       "'ownership.employe_pct'; expected name, notes, as_of or a dotted fact "
                       "name such as ownership.employee_pct); did you mean "
                       "'ownership.employee_pct'?\n")
        assert not output.exists()
        assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]  # no partial file

    @pytest.mark.parametrize(("argv", "message"), [
        (["missing.csv", "-o", "out.csv"], "formselect: error: missing.csv: no such input "
         "file (expected a .csv or .jsonl file, or a folder of case files)\n"),
        (["cases.csv", "-o", "out.csv", "--replace-rules", "--rules", "nowhere"],
         "formselect: error: nowhere: no such file or folder (expected a rule file or a "
         "folder of rule files)\n"),
        (["cases.csv", "-o", "no/such/dir/out.csv"], "formselect: error: no/such/dir/out.csv:"
         " cannot write here: No such file or directory\n"),
    ])
    def test_input_errors_are_one_line(self, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch, cases_csv: Path,
                                       argv: list[str], message: str) -> None:
        monkeypatch.chdir(cases_csv.parent)
        code, _, err = run(capsys, "batch", *argv, *([] if "--rules" in argv else RULES))
        assert (code, err) == (1, message)

    @pytest.mark.parametrize("argv", [["x.csv"], ["x.csv", "-o", "y", "-j", "0"],
                                      ["x.csv", "-o", "y", "--format", "xml"]])
    def test_usage_errors_exit_2(self, capsys: pytest.CaptureFixture[str],
                                 argv: list[str]) -> None:
        with pytest.raises(SystemExit) as caught:
            main(["batch", *argv])
        assert caught.value.code == 2
        assert "Traceback" not in capsys.readouterr().err

    def test_a_dask_scheduler_that_is_not_there(self, capsys: pytest.CaptureFixture[str],
                                                cases_csv: Path, tmp_path: Path) -> None:
        pytest.importorskip("distributed")
        code, _, err = run(capsys, "batch", str(cases_csv), "-o", str(tmp_path / "o.csv"),
                           "--dask", "bogus://nowhere", *RULES)
        assert code == 1
        assert err.startswith("formselect: error: cannot reach the Dask scheduler "
                              "'bogus://nowhere'")
        assert len(err.splitlines()) == 1


    @pytest.mark.slow
    def test_ten_thousand_generated_cases(self, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
        source = write_portfolio(tmp_path / "portfolio.csv", 10_000, malformed=3)
        output = tmp_path / "advice.csv"
        monkeypatch.setattr("formselect.batch.progress.DELAY", 0.0)
        code, _, err = run(capsys, "batch", str(source), "-o", str(output), "--progress",
                           "-j", "2", *RULES)
        assert code == 1
        with output.open(encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert [int(r["row"]) for r in rows] == list(range(1, 10_001))
        spoiled = spoiled_rows(10_000, 3)
        assert [int(r["row"]) for r in rows if r["status"] == "error"] == spoiled
        for row in spoiled:
            assert f"(row {row}): " in err
        assert "\r[" in err
        assert "10,000/10,000 100%" in err
        summary = err.splitlines()[-1]
        assert summary.startswith("formselect: 10,000 cases, 3 with errors in ")
        assert "cases/s on 2 processes" in summary


class TestTest:
    def test_the_project_scenarios_pass(self, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
        # the batch-pack scenarios only: the built-in pack is checked by its own scenarios
        monkeypatch.chdir(GOOD)
        code, out, err = run(capsys, "test", "batch_pack.toml", "single_scenario.toml",
                             "from_case_file.toml", "-v")
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert lines[-1] == "9 passed, 0 failed"
        assert lines[0] == "PASS batch_pack.toml:19: staff majority under the new rules"

    @pytest.mark.parametrize("path", sorted(BAD.glob("*.toml")), ids=lambda p: p.stem)
    def test_a_wrong_or_failing_scenario_exits_1(self, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 path: Path) -> None:
        monkeypatch.chdir(BAD)
        code, out, _ = run(capsys, "test", path.name)
        first = path.read_text(encoding="utf-8").splitlines()[0]
        expected = first.removeprefix("# expect: ").replace("{dir}", "")
        assert code == 1
        assert any(line.startswith(expected) for line in out.splitlines()), out
        assert "Traceback" not in out

    def test_the_count_line(self, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.chdir(BAD)
        code, out, _ = run(capsys, "test", "duplicate_name.toml", "wrong_form.toml",
                           "unknown_field.toml", "malformed.toml")
        assert code == 1
        assert out.splitlines()[-1] == "1 passed, 1 failed, 3 errors"

    @pytest.mark.parametrize(("argv", "message"), [
        (["nowhere"], "formselect: error: no such file or folder: nowhere\n"),
        (["."], "formselect: error: no scenario files (*.toml) in .\n"),
    ])
    def test_nothing_to_run_is_an_error(self, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        argv: list[str], message: str) -> None:
        monkeypatch.chdir(tmp_path)
        code, _, err = run(capsys, "test", *argv)
        assert (code, err) == (1, message)

    def test_rules_given_on_the_command_line(self, capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
        scenario = tmp_path / "s.toml"
        scenario.write_text("as_of = 2025-01-01\nexpect_form = 'staff_form'\n"
                            "[case.ownership]\nemployee_pct = 90\n", encoding="utf-8")
        code, out, _ = run(capsys, "test", str(scenario), *RULES)
        assert (code, out) == (0, "1 passed, 0 failed\n")


def test_python_dash_m_lists_the_commands() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "formselect", "--help"], capture_output=True,
                         text=True, env=env, timeout=120, check=False)
    assert run.returncode == 0
    for command in ("advise", "rules", "batch", "test"):
        assert command in run.stdout
