"""pytest plugin: every golden scenario file under ``tests/scenarios`` becomes test items.

Registered through the ``pytest11`` entry point, so an installed formselect brings it to
every pytest run; it collects only ``*.toml`` files under the folders of the
``formselect_scenarios`` ini option (default ``tests/scenarios``, relative to the rootdir),
so other projects' TOML files are left alone. Each scenario is one item; a failure names the
file, the scenario and what was expected against what came out. A scenario that is itself
wrong (unknown field, no expectation) fails too, never passes or stops collection.

Scenarios are loaded and run only when a scenario file is collected; a test run without
scenario files pays only for importing the package and this module's scenario reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .scenarios import Scenario, ScenarioResult, load_scenarios, run_scenario

__all__ = ["ScenarioFailed", "ScenarioFile", "ScenarioItem"]

INI = "formselect_scenarios"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ini option naming the scenario folders."""
    parser.addini(INI, "folders of formselect golden scenario files (*.toml), relative to "
                  "the rootdir", type="linelist", default=["tests/scenarios"])


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    """Collect ``*.toml`` files that lie under a scenario folder."""
    if file_path.suffix != ".toml":
        return None
    config = parent.config
    folders = [config.rootpath / folder for folder in config.getini(INI)]
    if not any(file_path.is_relative_to(folder) for folder in folders):
        return None
    file: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
    return file


class ScenarioFailed(Exception):
    """A scenario did not pass; carries its located messages."""

    def __init__(self, result: ScenarioResult) -> None:
        self.result = result
        super().__init__("\n".join(result.messages))


class ScenarioFile(pytest.File):
    """A golden scenario file: one item per scenario."""

    def collect(self) -> Iterator[ScenarioItem]:
        """The file's scenarios (a file that cannot be read gives one failing item)."""
        for scenario in load_scenarios(self.path):
            yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class ScenarioItem(pytest.Item):
    """One scenario, run against its rule pack."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        """Advise on the scenario's case and compare; raise on any mismatch or error."""
        result = run_scenario(self.scenario)
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        """The scenario's messages rather than a traceback."""
        if isinstance(excinfo.value, ScenarioFailed):
            result = excinfo.value.result
            title = "is wrong" if result.outcome == "error" else "failed"
            return "\n".join([f"scenario {self.scenario.name!r} in {self.scenario.path} "
                              f"{title}:", *(f"  {m}" for m in result.messages)])
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the scenario is, for pytest's report."""
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name}"
