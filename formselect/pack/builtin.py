"""Where the built-in rule pack lives: inside an installed wheel, or beside a source checkout."""

from __future__ import annotations

from pathlib import Path

from formselect.installation import PACKAGE_DIR

__all__ = ["builtin_rules_dir"]


def builtin_rules_dir() -> Path:
    """The folder of the built-in rules (``formselect/_rules`` in a wheel, ``rules/`` in a
    checkout or an editable install)."""
    packaged = PACKAGE_DIR / "_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"
