"""Shared fixtures and Hypothesis profiles for the formselect test suite.

Profiles: ``ci`` (the default: 100 examples, no deadline, because the durable engine's first
call on a pack compiles it) and ``dev`` (20 examples, for a quick local loop). Choose one with
the environment variable ``HYPOTHESIS_PROFILE=dev``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from formselect.engine import Backend, durable
from formselect.pack.load import load_pack
from formselect.pack.model import Pack

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
BUILTIN_RULES = REPO / "rules"
MINI_PACK = TESTS / "packs" / "mini"
BAD_PACKS = TESTS / "bad_packs"
BAD_CASES = TESTS / "bad_cases"

# durable_rules 2.0.28 does not import on Python 3.13 and later: tests of that engine alone
# are skipped there (the compiled evaluator is the engine, and is tested everywhere)
requires_durable = pytest.mark.skipif(
    not durable.AVAILABLE, reason=f"durable engine not available: {durable.UNAVAILABLE_REASON}")
BACKEND_PARAMS = [pytest.param(b, marks=[requires_durable] if b is Backend.DURABLE else [],
                               id=str(b)) for b in Backend]
AVAILABLE_BACKENDS = [b for b in Backend if b is not Backend.DURABLE or durable.AVAILABLE]

settings.register_profile(
    "ci", max_examples=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", max_examples=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def mini_pack() -> Pack:
    """The small test pack under tests/packs/mini (every operator, 3-level chaining, dates)."""
    return load_pack(MINI_PACK)


@pytest.fixture(scope="session")
def builtin_pack() -> Pack:
    """The built-in rule pack under rules/; it must always load (a load error fails the test)."""
    pack = load_pack(BUILTIN_RULES)

    assert pack.rules, "the built-in pack has no rules"
    return pack
