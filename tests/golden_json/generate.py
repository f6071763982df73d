"""Write the golden files that pin the public API's names and the JSON advice.

    python -m tests.golden_json.generate

Run only when a change of output is intended (and say so in the commit): the golden test
(tests/test_golden_json.py) compares the current output with these files byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import formselect

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "examples"
# one date under each regime the built-in rules know: before the Public Contracts
# Regulations 2015, under them, under the Health Care Services (Provider Selection Regime)
# Regulations 2023, and under the Procurement Act 2023
DATES = ("2011-09-01", "2015-06-01", "2024-03-01", "2026-06-01")


def examples() -> list[Path]:
    """Every example case file."""
    return sorted(EXAMPLES.glob("*.toml"))


def golden_path(example: Path, day: str) -> Path:
    """Where the advice for one example at one date is kept."""
    return HERE / f"{example.stem}@{day}.json"


def advice_json(example: Path, day: str) -> str:
    """The JSON advice for one example at one date, as the golden file holds it."""
    return formselect.advice_to_json(formselect.advise(example, as_of=day)) + "\n"


def public_names() -> str:
    """The public API's names, one a line."""
    return "".join(f"{name}\n" for name in sorted(formselect.__all__))


def main() -> None:
    """Rewrite the advice files; the public names only with ``--names`` (they pin the API as it
    stood, and later additions are listed in test_golden_json.ADDED_NAMES instead)."""
    for example in examples():
        for day in DATES:
            golden_path(example, day).write_text(advice_json(example, day), encoding="utf-8")
    if "--names" in sys.argv[1:]:
        (HERE / "public_names.txt").write_text(public_names(), encoding="utf-8")


if __name__ == "__main__":
    main()
