"""Type checkers see what the constructors accept: the case stub is current, and an
adviser's typed script passes ``mypy --strict``."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import formselect

from . import case_stub, user_script

SCRIPT = Path(user_script.__file__)


def test_the_case_stub_matches_the_model() -> None:
    """Regenerate with ``python -m tests.typing.case_stub`` after changing a fact."""
    assert case_stub.STUB.read_text(encoding="utf-8") == case_stub.render()


def test_the_typed_script_runs_with_plain_values() -> None:
    case = user_script.leeds_libraries()
    assert case.service.parent_body is formselect.ParentBody.COUNCIL
    assert formselect.ServiceCategory.LIBRARIES_AND_ARCHIVES in (case.service.categories or ())
    assert case.transfer.pension_schemes == frozenset({formselect.PensionScheme.LGPS})


def test_the_enums_are_exported_at_the_top_level() -> None:
    for name in ("ParentBody", "ServiceCategory", "AssetLock", "PensionScheme"):
        assert getattr(formselect, name).__module__ == "formselect.case.enums"


def test_mypy_strict_accepts_the_typed_script(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install 'formselect[dev]'); CI runs this check")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         "--cache-dir", str(tmp_path / "cache"), str(SCRIPT)],
        capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
