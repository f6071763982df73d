"""Helpers shared by the batch, grid and command-line tests (fixtures live in each module:
pytest loads fixtures only from conftest.py, which another part of the suite owns)."""

from __future__ import annotations

import csv
import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
BATCH_PACK = TESTS / "packs" / "batch"


@cache
def portfolio_module() -> ModuleType:
    """examples/generate_portfolio.py, imported from its path (it is a script, not a
    package module)."""
    spec = importlib.util.spec_from_file_location("generate_portfolio",
                                                  REPO / "examples" / "generate_portfolio.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_portfolio(path: Path, count: int, malformed: int = 0, seed: int = 7) -> Path:
    """A generated portfolio CSV of ``count`` cases, ``malformed`` of them spoiled."""
    return Path(portfolio_module().write(path, count, seed=seed, malformed=malformed))


def spoiled_rows(count: int, malformed: int) -> list[int]:
    """The row numbers write_portfolio spoils."""
    return sorted(portfolio_module().spoiled_rows(count, malformed))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    """A CSV file with a header and rows."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return path
