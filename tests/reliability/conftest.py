"""pytest collects only the ``test_*.py`` files here (the issue 16 regressions); the other
modules are long-running scripts run by hand or in CI (README.md in this folder)."""

from __future__ import annotations

from pathlib import Path


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    if collection_path.suffix == ".py" and not collection_path.name.startswith("test_"):
        return True
    return None
