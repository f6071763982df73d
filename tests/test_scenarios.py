"""Golden scenarios: the format, the project's own scenarios, every way a scenario can be
wrong or fail, and the pytest plugin that collects them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from formselect.scenarios import (
    FIELDS,
    Scenario,
    load_scenarios,
    run_scenario,
    run_scenarios,
    scenario_files,
)

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SCENARIOS = TESTS / "scenarios"
BAD = TESTS / "bad_scenarios"
BATCH_PACK = TESTS / "packs" / "batch"


def project_scenarios() -> list[Scenario]:
    return [s for f in scenario_files([SCENARIOS]) for s in load_scenarios(f)]


def expected_line(path: Path, folder: str = "") -> str:
    """The first line of a bad scenario file says what `formselect test` must report
    (``{dir}`` stands for the folder the scenario file was named with)."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ").replace("{dir}", folder)


@pytest.mark.parametrize("scenario", project_scenarios(),
                         ids=lambda s: f"{s.path.name}::{s.name}")
def test_the_project_scenarios_pass(scenario: Scenario) -> None:
    result = run_scenario(scenario)
    assert result.passed, "\n".join(result.messages)


def test_the_project_has_scenarios_of_every_shape() -> None:
    scenarios = project_scenarios()
    assert len(scenarios) >= 10
    used = {key for s in scenarios for key in s.fields}
    assert used >= set(FIELDS) - {"description"} | {"description"}


@pytest.mark.parametrize("path", sorted(BAD.glob("*.toml")), ids=lambda p: p.stem)
def test_a_wrong_scenario_is_reported_never_passed(path: Path) -> None:
    outcome, _, message = expected_line(path, f"{BAD}{os.sep}").partition(" ")
    results = run_scenarios([path])
    assert not all(r.passed for r in results)
    reported = [f"{r.outcome} {m}" for r in results for m in r.messages]
    wanted = f"{'failed' if outcome == 'FAIL' else 'error'} {BAD / message}"
    assert any(line.startswith(wanted) for line in reported), reported


class TestFormat:
    def test_file_defaults_and_case_layers(self, tmp_path: Path) -> None:
        (tmp_path / "base.toml").write_text(
            "[ownership]\nemployee_pct = 40\nboard_control = 'employees'\n", encoding="utf-8")
        path = tmp_path / "s.toml"
        path.write_text(textwrap.dedent(f"""\
            name = "the file's title"
            rules = "{BATCH_PACK.as_posix()}"
            replace_rules = true
            as_of = 2024-03-01
            case_file = "base.toml"
            expect_route = "none"
            [case.ownership]
            community_pct = 10

            [[scenario]]
            name = "first"
            case.ownership.employee_pct = 80
            expect_form = "staff_form"

            [[scenario]]
            case.ownership = {{ community_pct = 30 }}
            expect_form = "community_form"
            """), encoding="utf-8")
        first, second = load_scenarios(path)
        assert (first.name, first.line, second.name, second.line) == (
            "first", 10, "scenario 2", 15)
        assert first.fields["case"] == {"ownership": {"community_pct": 10, "employee_pct": 80}}
        assert second.fields["case"] == {"ownership": {"community_pct": 30}}
        assert first.fields["expect_route"] == "none"  # inherited
        assert "name" not in second.fields  # the file's name is not inherited
        results = [run_scenario(s) for s in (first, second)]
        assert [r.outcome for r in results] == ["passed", "passed"], results
        assert results[0].advice is not None
        assert results[0].advice.case.ownership.board_control is not None  # from the file

    def test_a_single_scenario_file_is_named_after_the_file(self) -> None:
        [scenario] = load_scenarios(SCENARIOS / "single_scenario.toml")
        assert scenario.name == "LGPS staff bring a pension risk"
        assert scenario.where("expect_fired") == (
            f"{SCENARIOS / 'single_scenario.toml'}:7: scenario "
            "'LGPS staff bring a pension risk'")

    def test_an_unreadable_file_is_one_wrong_scenario(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.toml"
        path.write_bytes(b"name = '\xe9'\n")
        [scenario] = load_scenarios(path)
        assert scenario.name == "latin1"
        assert scenario.problems[0].startswith(f"{path}: cannot read")

    def test_scenario_must_be_tables(self, tmp_path: Path) -> None:
        path = tmp_path / "s.toml"
        path.write_text("scenario = 3\n", encoding="utf-8")
        [scenario] = load_scenarios(path)
        assert scenario.problems == (f"{path}: 'scenario' must be [[scenario]] tables",)

    def test_a_scenarios_own_rules_are_checked(self, tmp_path: Path) -> None:
        path = tmp_path / "s.toml"
        path.write_text("rules = 'no_such_folder'\nas_of = 2025-01-01\nexpect_status = 'tie'"
                        "\n[case.ownership]\nemployee_pct = 1\n", encoding="utf-8")
        [result] = run_scenarios([path])
        assert result.outcome == "error"
        assert result.messages[0].endswith("no such file or folder (expected a rule file or "
                                           "a folder of rule files)")

    def test_a_numeric_derived_fact_compares_as_a_number(self, tmp_path: Path) -> None:
        path = tmp_path / "s.toml"
        path.write_text(textwrap.dedent(f"""\
            rules = "{(TESTS / 'packs' / 'mini').as_posix()}"
            replace_rules = true
            as_of = 2025-01-01
            expect_derived = {{ readiness_score = 10.0, staff_led = true, size_band = "small" }}
            [case.ownership]
            employee_pct = 80
            [case.service]
            staff_count = 10
            """), encoding="utf-8")
        [result] = run_scenarios([path])
        assert result.passed, result.messages


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "formselect.pytest_plugin", "-p",
         "no:cacheprovider", "-q", "-rN", *args], cwd=folder, env=env, capture_output=True,
        text=True, timeout=300, check=False)


class TestPytestPlugin:
    @pytest.fixture
    def project(self, tmp_path: Path) -> Path:
        (tmp_path / "pytest.ini").write_text("[pytest]\nformselect_scenarios = checks\n",
                                             encoding="utf-8")
        checks = tmp_path / "checks" / "nested"
        checks.mkdir(parents=True)
        header = (f"rules = \"{BATCH_PACK.as_posix()}\"\nreplace_rules = true\n"
                  "as_of = 2025-03-01\n[case.ownership]\nemployee_pct = 75\n")
        (checks / "good.toml").write_text(header + "[[scenario]]\nname = 'staff'\n"
                                          "expect_form = 'staff_form'\n", encoding="utf-8")
        (checks / "bad.toml").write_text(
            header + "[[scenario]]\nname = 'wrong form'\nexpect_form = 'community_form'\n"
            "[[scenario]]\nname = 'typo'\nexpect_from = 'staff_form'\n", encoding="utf-8")
        (tmp_path / "other").mkdir()
        (tmp_path / "other" / "config.toml").write_text("not = 'a scenario'\n",
                                                        encoding="utf-8")
        return tmp_path

    def test_each_scenario_is_an_item_and_failures_say_why(self, project: Path) -> None:
        run = run_pytest(project)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "2 failed, 1 passed" in run.stdout
        assert "config.toml" not in run.stdout
        bad = project / "checks" / "nested" / "bad.toml"
        assert f"scenario 'wrong form' in {bad} failed:" in run.stdout
        assert (f"  {bad}:8: scenario 'wrong form': expected form 'community_form', got "
                "'staff_form'") in run.stdout
        assert f"scenario 'typo' in {bad} is wrong:" in run.stdout
        assert "unknown field 'expect_from'; did you mean 'expect_form'?" in run.stdout
        assert "Traceback" not in run.stdout

    def test_items_are_named_by_file_and_scenario(self, project: Path) -> None:
        run = run_pytest(project, "--collect-only")
        assert "checks/nested/good.toml::staff" in run.stdout
        assert "checks/nested/bad.toml::wrong form" in run.stdout

    def test_the_default_folder_is_tests_scenarios(self, tmp_path: Path) -> None:
        (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        folder = tmp_path / "tests" / "scenarios"
        folder.mkdir(parents=True)
        (folder / "nothing.toml").write_text("as_of = 2025-01-01\n[case.ownership]\n"
                                             "employee_pct = 1\n", encoding="utf-8")
        run = run_pytest(tmp_path)
        assert "1 failed" in run.stdout
        assert "asserts nothing" in run.stdout
