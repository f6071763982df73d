"""The JSON advice and the public API's names, byte for byte as pinned in tests/golden_json/.

A refactoring must not change what an adviser receives. The files were written by
``python -m tests.golden_json.generate``; regenerate them only for an intended change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import formselect
from tests.golden_json.generate import DATES, HERE, advice_json, examples, golden_path

# Names added to the public API after the golden list was written; each must stay.
ADDED_NAMES = frozenset({"Comparison", "ProblemsError", "ProcurementAdvice",
                         # the decision model: what a form is, the prior, confidence, ties
                         "Confidence", "Prior", "Property", "PropertyValue", "RouteCondition",
                         "ScorePoint", "SeparatingQuestion", "TieBreak",
                         # notebook views: a sweep's rows with to_frame() and a table
                         "Sweep",
                         # a wrong rule, form or route name: a FormselectError and a KeyError
                         "UnknownNameError",
                         # the case's vocabularies, for typed code
                         "AssetLock", "BoardControl", "ChallengeStatus", "DirectAwardGround",
                         "Initiator", "Jurisdiction", "MembershipModel", "NhsContractType",
                         "OriginProgramme", "ParentBody", "PensionScheme", "PlannedRoute",
                         "ProfitDistribution", "ReservedProvision", "ServiceCategory",
                         "StaffInfluence"})
# Pinned names kept for one release under their old spelling, with a DeprecationWarning
# (out of __all__, so that a star import does not warn).
DEPRECATED_NAMES = frozenset({"Procurement", "Test"})


def test_every_example_has_golden_files() -> None:
    """A new example gets golden files too (run the generator)."""
    missing = [golden_path(e, d).name for e in examples() for d in DATES
               if not golden_path(e, d).exists()]
    assert [] == missing


@pytest.mark.parametrize("day", DATES)
@pytest.mark.parametrize("example", examples(), ids=lambda p: p.stem)
def test_json_advice_is_byte_identical(example: Path, day: str) -> None:
    """The advice for every example at every date reads exactly as pinned."""
    expected = golden_path(example, day).read_text(encoding="utf-8")
    assert expected == advice_json(example, day)


def test_public_names_are_stable() -> None:
    """Every pinned public name is still exported (or deprecated, and still resolves), and
    nothing else appears unannounced."""
    pinned = set((HERE / "public_names.txt").read_text(encoding="utf-8").split())
    exported = set(formselect.__all__)
    assert DEPRECATED_NAMES == pinned - exported
    assert ADDED_NAMES == exported - pinned
    for name in sorted(pinned - DEPRECATED_NAMES):
        assert getattr(formselect, name) is not None
    for name in sorted(DEPRECATED_NAMES):
        with pytest.warns(DeprecationWarning, match=rf"formselect\.{name} is now"):
            assert getattr(formselect, name) is not None
