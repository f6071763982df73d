"""A pack's durable ruleset (its stages, JSON and tested keys) is worked out once per
installation and kept beside the cached pack (issue 13, cold start); a record that does not
belong to the pack as it is now is never used. Pure Python: runs whether or not
durable_rules imports, except the last test."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import attrs
import pytest

from formselect.case.model import Case, Ownership
from formselect.engine import Backend, evaluate
from formselect.engine import durable as durable_engine
from formselect.pack.model import Pack
from tests.conftest import requires_durable


@pytest.fixture
def worked_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A private cache folder, and a log of the packs whose stages were worked out."""
    monkeypatch.setattr(durable_engine, "CACHE_DIR", tmp_path / "_cache")
    calls: list[str] = []
    real = durable_engine._stages

    def logged(pack: Pack) -> list[tuple[object, ...]]:
        calls.append(pack.name)
        return real(pack)  # type: ignore[return-value]

    monkeypatch.setattr(durable_engine, "_stages", logged)
    return calls


def fresh(pack: Pack) -> tuple[list[list[str]], str, frozenset[str]]:
    """The ruleset worked out from the pack, with no record."""
    stages = durable_engine._stages(pack)
    rules = durable_engine._definition(pack, stages)
    return ([[r.id for r in s] for s in stages], json.dumps(rules, ensure_ascii=False),
            frozenset(durable_engine._keys(rules)))


def ids(ruleset: durable_engine.Ruleset) -> tuple[list[list[str]], str, frozenset[str]]:
    stages, definition, keys = ruleset
    return [[r.id for r in s] for s in stages], definition, keys


def records(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "_cache").glob("ruleset-*.json"))


def test_a_ruleset_is_worked_out_once_and_read_back_the_same(
        builtin_pack: Pack, worked_out: list[str], tmp_path: Path) -> None:
    expected = fresh(builtin_pack)
    worked_out.clear()

    first = durable_engine._ruleset(builtin_pack)
    second = durable_engine._ruleset(builtin_pack)  # as a later process would

    assert [builtin_pack.name] == worked_out
    assert expected == ids(first) == ids(second)
    assert all(a is b for s, t in zip(first[0], second[0], strict=True)
               for a, b in zip(s, t, strict=True))  # the pack's own rules
    assert 1 == len(records(tmp_path))


@pytest.mark.parametrize("damage", [
    "not json",
    '{"stages": [], "keys": [], "definition": "{}"}',  # cuts no rule
    '{"stages": [["NO-SUCH-RULE"]], "keys": [], "definition": "{}"}',
    '{"stages": 7, "keys": [], "definition": "{}"}',
    '{"keys": [], "definition": "{}"}',
])
def test_a_damaged_record_is_worked_out_again(mini_pack: Pack, worked_out: list[str],
                                              tmp_path: Path, damage: str) -> None:
    durable_engine._ruleset(mini_pack)
    [record] = records(tmp_path)
    record.write_text(damage, encoding="utf-8")

    assert fresh(mini_pack) == ids(durable_engine._ruleset(mini_pack))
    assert 3 == len(worked_out)  # twice by the ruleset, once by fresh()


def test_a_record_of_the_same_rules_in_other_stages_is_not_used(
        mini_pack: Pack, worked_out: list[str], tmp_path: Path) -> None:
    durable_engine._ruleset(mini_pack)
    [record] = records(tmp_path)
    kept = json.loads(record.read_text(encoding="utf-8"))
    every = [rule for stage in kept["stages"] for rule in stage]
    kept["stages"] = [every[::-1]]
    record.write_text(json.dumps(kept), encoding="utf-8")

    assert fresh(mini_pack) == ids(durable_engine._ruleset(mini_pack))


def test_the_key_follows_the_rules_and_the_code(mini_pack: Pack,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack built in code may keep its digest while its rules change: the key changes."""
    key = durable_engine._ruleset_key(mini_pack)
    first = mini_pack.rules[0]
    moved = attrs.evolve(mini_pack, rules=(
        attrs.evolve(first, valid_from=first.valid_from + dt.timedelta(days=1)),
        *mini_pack.rules[1:]))
    reworded = attrs.evolve(mini_pack, rules=(attrs.evolve(first, when=f"{first.when} "),
                                              *mini_pack.rules[1:]))

    assert moved.digest == mini_pack.digest
    assert len({key, durable_engine._ruleset_key(moved),
                durable_engine._ruleset_key(reworded)}) == 3
    monkeypatch.setattr(durable_engine, "code_key", lambda: "another compiler")
    assert key != durable_engine._ruleset_key(mini_pack)


def test_at_most_sixteen_records_are_kept(mini_pack: Pack, worked_out: list[str],
                                          tmp_path: Path) -> None:
    folder = tmp_path / "_cache"
    folder.mkdir()
    for i in range(20):
        old = folder / f"ruleset-old{i:02d}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, ns=(i * 10**9, i * 10**9))

    durable_engine._ruleset(mini_pack)

    kept = {p.name for p in records(tmp_path)}
    assert durable_engine.MAX_KEPT_RULESETS == len(kept)
    assert {f"ruleset-old{i:02d}.json" for i in range(5, 20)} < kept  # the newest old ones


def test_no_record_where_the_cache_cannot_be_written(
        mini_pack: Pack, worked_out: list[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(durable_engine, "CACHE_DIR", tmp_path / "missing" / "_cache")

    assert fresh(mini_pack) == ids(durable_engine._ruleset(mini_pack))
    assert not (tmp_path / "missing").exists()


@requires_durable
def test_the_engine_runs_a_kept_ruleset_as_a_fresh_one(
        mini_pack: Pack, worked_out: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    case = Case(ownership=Ownership(employee_pct=60))
    day = dt.date(2021, 1, 1)
    monkeypatch.setattr(durable_engine, "_DRIVER", durable_engine._Driver())
    first = evaluate(mini_pack, case, day, Backend.DURABLE)
    monkeypatch.setattr(durable_engine, "_DRIVER", durable_engine._Driver())  # a new process
    second = evaluate(mini_pack, case, day, Backend.DURABLE)

    assert [mini_pack.name] == worked_out
    assert first == second == evaluate(mini_pack, case, day, Backend.PYTHON)
