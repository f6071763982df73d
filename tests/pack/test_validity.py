"""Validity dates against the law: refused when a rule starts after the law it states, warned
when a form is ruled out later than it exists with no earlier rule on the same facts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import formselect
from formselect.pack.check import coverage_start, validity_warnings
from formselect.pack.load import load_pack
from tests.conftest import REPO

LATE = REPO / "tests" / "packs" / "late_exclusion"


def test_a_form_ruled_out_later_than_it_exists_is_warned() -> None:
    """Only LATE is reported: OTHER-FACTS reads another fact, SUCCESSOR follows a rule on the
    same fact, AFTER-FORM starts with its form, NEW-LAW says its law began that day."""
    warnings = validity_warnings(load_pack(LATE))

    assert ["LATE"] == [w.rule for w in warnings]
    [warning] = warnings
    assert "rules out charity only from 2008-04-01" in warning.message
    assert "no rule on the same facts rules it out on 2008-03-31" in warning.message
    assert warning.source.endswith("late_exclusion/rules.toml")
    assert "law_from = 2008-04-01" in warning.suggestion


def test_the_coverage_start_is_declared_or_the_earliest_rule() -> None:
    pack = load_pack(LATE)
    assert dt.date(2006, 1, 31) == coverage_start(pack)
    undeclared = load_pack(REPO / "tests" / "packs" / "batch")
    assert min(r.valid_from for r in undeclared.rules) == coverage_start(undeclared)


def test_the_builtin_pack_has_no_validity_warnings() -> None:
    """Every form exclusion in the built-in pack starts with its form or the pack's coverage,
    follows an earlier rule on the same facts, or says when its law began."""
    pack = formselect.builtin_pack()
    assert dt.date(2006, 1, 31) == pack.coverage_from
    assert [] == [str(w) for w in validity_warnings(pack)]


def test_rules_check_warns_and_exits_0_or_fails_when_strict() -> None:
    run = [sys.executable, "-m", "formselect", "rules", "check", "--replace-rules"]
    plain = subprocess.run([*run, str(LATE)], capture_output=True, text=True, check=False)
    strict = subprocess.run([*run, "--strict", str(LATE)], capture_output=True, text=True,
                            check=False)

    assert 0 == plain.returncode
    assert plain.stdout.startswith("ok: 6 rules")
    assert 1 == plain.stderr.count("formselect: warning: ")
    assert "rule 'LATE': rules out charity only from 2008-04-01" in plain.stderr
    assert 1 == strict.returncode
    assert "formselect: error: " in strict.stderr
    assert "warning" not in strict.stderr
