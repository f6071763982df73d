"""``formselect test``: run golden scenario files and report like a test runner.

Each scenario that fails or is wrong prints one located line per message; the last line
counts them (``3 passed, 1 failed, 1 error``). Exit codes: 0 every scenario passed; 1 a
scenario failed or is wrong, or no scenario was found.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from formselect.errors import FormselectError
from formselect.pack.model import Pack
from formselect.scenarios import load_scenarios, run_scenario, scenario_files

from .options import rules_options

__all__ = ["add_parser", "run"]

LABELS = {"failed": "FAIL", "error": "ERROR", "passed": "PASS"}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``test`` command."""
    parser = commands.add_parser(
        "test", help="run golden scenario files (expected outcomes in TOML)",
        description="Run golden scenarios; fails on a wrong expectation, an unknown field "
        "or a scenario that expects nothing.")
    parser.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIOS",
                        help="scenario files (.toml) or folders of them")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also list the scenarios that passed")
    rules_options(parser)


def run(args: argparse.Namespace, pack: Pack | None) -> tuple[str, int]:
    """Run the scenarios; returns the report and the exit code. ``pack`` is for scenarios
    that do not name their own rules (None: the built-in pack)."""
    missing = [str(p) for p in args.scenarios if not p.exists()]
    if missing:
        raise FormselectError(f"no such file or folder: {', '.join(missing)}")
    files = scenario_files(args.scenarios)
    if not files:
        raise FormselectError("no scenario files (*.toml) in "
                              + ", ".join(str(p) for p in args.scenarios))
    lines: list[str] = []
    counts: Counter[str] = Counter()
    for file in files:
        for scenario in load_scenarios(file):
            result = run_scenario(scenario, pack)
            counts[result.outcome] += 1
            label = LABELS[result.outcome]
            if result.passed and args.verbose:
                lines.append(f"{label} {scenario.path}:{scenario.line}: {scenario.name}")
            lines += [f"{label} {message}" for message in result.messages]
    lines.append(_tally(counts))
    return "\n".join(lines) + "\n", 0 if counts["passed"] == sum(counts.values()) else 1


def _tally(counts: Counter[str]) -> str:
    parts = [f"{counts['passed']} passed", f"{counts['failed']} failed"]
    if counts["error"]:
        parts.append(f"{counts['error']} error{'s' if counts['error'] != 1 else ''}")
    return ", ".join(parts)
