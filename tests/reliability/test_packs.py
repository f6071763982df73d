"""Issue 16, D1, D8, D9, D10 and D15: rule packs near the engine's limits, the pack cache,
and contradictions however they are written.

Review rows 66-69 (packs that pass ``rules check`` and then hang or fail in the engine),
79 and 81 (the pack cache), 70-71 (contradictions in equivalent forms).

Every child process here runs under a timeout: on today's main some of these packs hang
the engine for good (and Ctrl-C cannot stop it), so they are only ever advised on in a
child.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from formselect.case.vocabulary import case_facts
from tests.conftest import requires_durable
from tests.reliability.cli_helpers import (
    assert_clean_errors,
    formselect,
    python,
    rule,
    write_pack,
)

CASE = "as_of = 2021-01-01\n"


def in_list_pack(folder: Path, rules: int, per_rule: int = 48) -> Path:
    """``rules`` rules, each ``service.staff_count in [per_rule distinct numbers]``."""
    bodies = []
    for i in range(rules):
        values = ", ".join(str(1000 + i * per_rule + j) for j in range(per_rule))
        bodies.append(rule(f"Q{i}", f"service.staff_count in [{values}]",
                           "favour = { alpha = 1 }"))
    return write_pack(folder, bodies, forms=("alpha",))


def stage_pack(folder: Path, rules: int) -> Path:
    """``rules`` rules of 40 ``or``-ed tests each: every rule fills an engine stage."""
    bodies = []
    for i in range(rules):
        when = " or ".join(f"service.staff_count > {i * 100 + j}" for j in range(40))
        start = "2000-01-01" if i % 2 else "2001-01-01"
        bodies.append(rule(f"S{i}", when, "favour = { alpha = 1 }", valid_from=start))
    return write_pack(folder, bodies, forms=("alpha",))


def dated_pack(folder: Path, rules: int) -> Path:
    """``rules`` rules on distinct valid_from dates (the engine adds rules per stage)."""
    start = dt.date(2000, 1, 1)
    bodies = [rule(f"C{i}", "money.charitable_status", "favour = { alpha = 1 }",
                   valid_from=(start + dt.timedelta(days=i)).isoformat())
              for i in range(rules)]
    return write_pack(folder, bodies, forms=("alpha",))


def held_pack(folder: Path, rules: int) -> Path:
    """``rules`` rules with distinct conditions, all in force together from their last
    start date: (parent body, nation, staff count) equalities, which the engine holds in one
    stage with few tests under any node, 400 rules starting on each date."""
    facts = case_facts()
    bodies = facts["service.parent_body"].values
    nations = facts["service.jurisdiction"].values
    start = dt.date(2000, 1, 1)
    conditions = [f'service.parent_body == "{b}" and service.jurisdiction == "{n}" and '
                  f"service.staff_count == {k}"
                  for k in range(rules) for b in bodies for n in nations][:rules]
    return write_pack(folder, [rule(f"H{i}", when, "favour = { alpha = 1 }",
                                    valid_from=(start + dt.timedelta(days=i // 400)).isoformat())
                               for i, when in enumerate(conditions)], forms=("alpha",))


def check_refuses(pack: Path, tmp_path: Path) -> str:
    done = formselect("rules", "check", "--replace-rules", pack, cwd=tmp_path, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert_clean_errors(done.stderr)
    assert str(pack) in done.stderr  # located: the file (and the rule)
    return done.stderr


def advise_finishes(pack: Path, tmp_path: Path) -> None:
    case = tmp_path / "case.toml"
    case.write_text(CASE, encoding="utf-8")
    done = formselect("advise", case, "--replace-rules", "--rules", pack, cwd=tmp_path,
                      timeout=120)
    assert done.returncode == 0, done.stderr


class TestEngineLimits:

    def test_tests_under_one_node_are_counted(self, tmp_path: Path) -> None:
        stderr = check_refuses(in_list_pack(tmp_path / "p", 11), tmp_path)
        assert "Q10" in stderr or "Q" in stderr

    def test_the_largest_accepted_in_list_pack_runs(self, tmp_path: Path) -> None:
        pack = in_list_pack(tmp_path / "p", 10)
        done = formselect("rules", "check", "--replace-rules", pack, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        advise_finishes(pack, tmp_path)

    def test_stages_are_counted(self, tmp_path: Path) -> None:
        # the review's second hang: every stage is a test under the network's root. The pack
        # is refused, or (staged more tightly than when it was found) it runs
        pack = stage_pack(tmp_path / "p", 520)
        done = formselect("rules", "check", "--replace-rules", pack, cwd=tmp_path, timeout=300)
        if done.returncode == 0:
            advise_finishes(pack, tmp_path)
        else:
            check_refuses(pack, tmp_path)

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_rules_the_engine_adds_are_counted(self, tmp_path: Path) -> None:
        # 4,000 distinct conditions in force together, and the stage rule the engine adds
        stderr = check_refuses(held_pack(tmp_path / "p", 4000), tmp_path)
        assert "too many rules in force together for the engine" in stderr

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_rules_of_one_condition_are_held_once(self, tmp_path: Path) -> None:
        # 4,000 rules of one condition on 4,000 dates: the engine's rulesets hold each
        # span's rules that share their dates' tests as one rule, and the pack runs
        pack = dated_pack(tmp_path / "p", 4000)
        done = formselect("rules", "check", "--replace-rules", pack, cwd=tmp_path, timeout=300)
        assert done.returncode == 0, done.stderr
        advise_finishes(pack, tmp_path)

    @pytest.mark.parametrize("size", [300, 1000])
    def test_accepted_packs_near_the_limits_run(self, tmp_path: Path, size: int) -> None:
        pack = dated_pack(tmp_path / "p", size)
        done = formselect("rules", "check", "--replace-rules", pack, cwd=tmp_path, timeout=300)
        if done.returncode == 0:
            advise_finishes(pack, tmp_path)
        else:
            assert_clean_errors(done.stderr)


class TestWatchdog:
    @requires_durable  # the watchdog guards the durable engine, which 3.13+ does not have
    def test_a_pack_that_would_hang_the_engine_is_stopped(self, tmp_path: Path) -> None:
        """With the loader's count switched off, the review's hanging pack reaches the
        engine: the watchdog stops it with an EngineError, and the process goes on."""
        pack = in_list_pack(tmp_path / "p", 11)
        done = python(f"""
            import os
            os.environ["FORMSELECT_ENGINE_WATCHDOG"] = "5"
            import formselect as f
            import formselect.pack.load as load
            load.capacity_problems = lambda pack: []  # as if the loader missed it
            pack = f.load_rules({str(pack)!r}, builtin=False)
            case = {{"as_of": "2021-01-01", "service": {{"staff_count": 1005}}}}
            for attempt in range(2):  # refused again at once, not compiled again
                try:
                    f.advise(case, rules=pack, backend="durable")
                except f.EngineError as exc:
                    print("stopped:", "watchdog" in str(exc))
            print(f.advise(case, rules=pack, backend="python").fired)
            """, tmp_path, timeout=90)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["stopped: True", "stopped: True", "('Q0',)"]


class TestPackCache:

    def test_a_pack_path_sees_edits_and_deletion(self, tmp_path: Path) -> None:
        pack = write_pack(tmp_path / "pack", [
            rule("R1", "ownership.employee_pct > 50", "favour = { alpha = 1 }")])
        done = python(f"""
            import shutil, formselect as f
            case = {{"as_of": "2026-06-01", "ownership": {{"employee_pct": 100}}}}
            folder = {str(pack.parent)!r}
            print(f.advise(case, rules=folder).recommended)
            path = {str(pack)!r}
            text = open(path).read().replace("favour = {{ alpha = 1 }}", "favour = {{ beta = 1 }}")
            open(path, "w").write(text)
            print(f.advise(case, rules=folder).recommended)
            shutil.rmtree(folder)
            try:
                f.advise(case, rules=folder)
            except f.FormselectError:
                print("refused")
            """, tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["alpha", "beta", "refused"]

    @requires_durable  # it counts the rulesets the durable engine holds
    def test_the_pack_cache_is_bounded(self, tmp_path: Path) -> None:
        for i in range(40):
            write_pack(tmp_path / f"pack{i}", [rule(
                "R1", f"ownership.employee_pct > {i}", "favour = { alpha = 1 }")])
        done = python(f"""
            import gc, formselect as f
            from pathlib import Path
            case = {{"as_of": "2026-06-01", "ownership": {{"employee_pct": 100}}}}
            for i in range(40):
                f.advise(case, rules=str(Path({str(tmp_path)!r}) / f"pack{{i}}"),
                         backend="durable")
            gc.collect()
            packs = [o for o in gc.get_objects() if type(o).__name__ == "Pack"]
            print(len(packs))
            from formselect.engine import durable  # rulesets the engine holds
            print(len(getattr(getattr(durable, "_DRIVER", None), "_compiled", ())))
            """, tmp_path)
        assert done.returncode == 0, done.stderr
        packs, rulesets = map(int, done.stdout.split())
        assert packs <= 20
        assert rulesets <= 16


class TestContradictionsInAnyForm:

    @pytest.mark.parametrize(("excluding", "favouring"), [
        ("money.charitable_status and as_of >= 2015-01-01", "money.charitable_status"),
        ("money.charitable_status != false", "money.charitable_status"),
        ('money.asset_lock != "not_wanted"', 'money.asset_lock in ["required", "preferred"]'),
    ])
    def test_refused(self, tmp_path: Path, excluding: str, favouring: str) -> None:
        pack = write_pack(tmp_path / "pack", [
            rule("EX", excluding, 'exclude = ["alpha"]'),
            rule("FAV", favouring, "favour = { alpha = 1 }")])
        done = formselect("rules", "check", "--replace-rules", pack, cwd=tmp_path)
        assert done.returncode == 1, done.stdout
        assert "contradicts" in done.stderr
        assert_clean_errors(done.stderr)

    def test_rules_that_tell_the_days_apart_are_accepted(self, tmp_path: Path) -> None:
        pack = write_pack(tmp_path / "pack", [
            rule("EX", "money.charitable_status and as_of >= 2015-01-01", 'exclude = ["alpha"]'),
            rule("FAV", "money.charitable_status", "favour = { alpha = 1 }",
                 extra="valid_until = 2014-12-31")])
        done = formselect("rules", "check", "--replace-rules", pack, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
