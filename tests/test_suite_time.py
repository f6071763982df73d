"""The default suite leaves out the long runs marked slow; CI runs the full suite."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_default_suite_leaves_out_the_slow_runs() -> None:
    options = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    addopts = options["tool"]["pytest"]["ini_options"]["addopts"]
    assert addopts[addopts.index("-m") + 1] == "not slow"


def test_ci_runs_the_full_suite_on_every_python() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert '.venv/bin/pytest -m "slow or not slow"' in ci
    assert '"$venv/bin/pytest" -m "slow or not slow"' in ci  # Python 3.13 and 3.14


@pytest.mark.parametrize(("module", "name"), [
    ("tests.engine.test_differential", "test_engines_give_the_same_advice"),
    ("tests.engine.test_backends", "test_deterministic"),
    ("tests.case.test_io", "test_each_defect_reported_at_its_place"),
])
def test_the_long_property_runs_are_marked_slow(module: str, name: str) -> None:
    target = __import__(module, fromlist=[name])
    found = getattr(target, name, None)
    if found is None:  # a method of a test class
        found = next(getattr(c, name) for c in vars(target).values()
                     if isinstance(c, type) and hasattr(c, name))
    marks = {m.name for m in getattr(found, "pytestmark", [])}
    assert "slow" in marks
