"""What a span's durable ruleset is made of (its JSON, engine rules, stages and tested keys)
is worked out once per installation and kept beside the cached pack (issue 13, cold start);
a record that does not belong to the span as it is now is never used. Pure Python: runs
whether or not durable_rules imports, except the last test."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import attrs
import pytest

from formselect.case.model import Case, Ownership
from formselect.engine import Backend, evaluate
from formselect.engine import durable as durable_engine
from formselect.engine.spans import Span
from formselect.pack.model import Pack
from tests.conftest import requires_durable


@pytest.fixture
def worked_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A private cache folder, and a log of the packs whose rulesets were worked out."""
    monkeypatch.setattr(durable_engine, "CACHE_DIR", tmp_path / "_cache")
    calls: list[str] = []
    real = durable_engine._Ruleset

    def logged(pack: Pack, plan: durable_engine._Plan, span: Span) -> Any:
        calls.append(pack.name)
        return real(pack, plan, span)

    monkeypatch.setattr(durable_engine, "_Ruleset", logged)
    return calls


def last_span(pack: Pack) -> tuple[durable_engine._Plan, Span]:
    plan = durable_engine._Plan(pack)
    return plan, plan.spans.spans[-1]


def fresh(pack: Pack) -> dict[str, Any]:
    """The last span's ruleset worked out from the pack, with no record."""
    plan, span = last_span(pack)
    return durable_engine._Made.of(durable_engine._Ruleset(pack, plan, span)).data()


def kept(pack: Pack) -> dict[str, Any]:
    """The last span's ruleset as the driver gets it: from its record where there is one."""
    return durable_engine._ruleset(pack, *last_span(pack)).data()


def records(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "_cache").glob("ruleset-*.json"))


def test_a_ruleset_is_worked_out_once_and_read_back_the_same(
        builtin_pack: Pack, worked_out: list[str], tmp_path: Path) -> None:
    expected = fresh(builtin_pack)
    worked_out.clear()

    first = kept(builtin_pack)
    second = kept(builtin_pack)  # as a later process would

    assert [builtin_pack.name] == worked_out
    assert expected == first == second
    assert 1 == len(records(tmp_path))


def test_each_span_has_its_record(builtin_pack: Pack, worked_out: list[str],
                                  tmp_path: Path) -> None:
    plan = durable_engine._Plan(builtin_pack)
    for span in plan.spans.spans:
        durable_engine._ruleset(builtin_pack, plan, span)

    assert len(plan.spans.spans) == len(records(tmp_path)) == len(worked_out) > 1


@pytest.mark.parametrize("damage", [
    "not json",
    '{"members": [], "stages": [], "stratum_ends": [], "keys": [], "probe": [], '
    '"definition": "{}"}',  # holds no rule
    '{"members": [[999]], "stages": [1], "stratum_ends": [0], "keys": [], "probe": [], '
    '"definition": "{}"}',  # a rule of no span
    '{"members": 7, "stages": [1], "stratum_ends": [0], "keys": [], "probe": [], '
    '"definition": "{}"}',
    '{"keys": [], "definition": "{}"}',
])
def test_a_damaged_record_is_worked_out_again(mini_pack: Pack, worked_out: list[str],
                                              tmp_path: Path, damage: str) -> None:
    kept(mini_pack)
    [record] = records(tmp_path)
    record.write_text(damage, encoding="utf-8")

    assert fresh(mini_pack) == kept(mini_pack)
    assert 3 == len(worked_out)  # twice by the driver's way, once by fresh()


@pytest.mark.parametrize("change", ["reversed", "one stage", "no stratum end"])
def test_a_record_of_the_same_rules_otherwise_cut_is_not_used(
        mini_pack: Pack, worked_out: list[str], tmp_path: Path, change: str) -> None:
    kept(mini_pack)
    [record] = records(tmp_path)
    data = json.loads(record.read_text(encoding="utf-8"))
    if change == "reversed":
        data["members"] = data["members"][::-1]
    elif change == "one stage":
        data["stages"] = [sum(data["stages"]) + 1]
    else:
        data["stratum_ends"] = []
    record.write_text(json.dumps(data), encoding="utf-8")

    assert fresh(mini_pack) == kept(mini_pack)
    assert 3 == len(worked_out)


def test_the_key_follows_the_rules_the_span_and_the_code(
        mini_pack: Pack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack built in code may keep its digest while its rules change: the key changes."""
    span = last_span(mini_pack)[1]
    key = durable_engine._ruleset_key(mini_pack, span)
    first = mini_pack.rules[0]
    moved = attrs.evolve(mini_pack, rules=(
        attrs.evolve(first, valid_from=first.valid_from + dt.timedelta(days=1)),
        *mini_pack.rules[1:]))
    reworded = attrs.evolve(mini_pack, rules=(attrs.evolve(first, when=f"{first.when} "),
                                              *mini_pack.rules[1:]))

    assert moved.digest == mini_pack.digest
    assert len({key, durable_engine._ruleset_key(moved, span),
                durable_engine._ruleset_key(reworded, span),
                durable_engine._ruleset_key(mini_pack, attrs.evolve(span, first=0))}) == 4
    monkeypatch.setattr(durable_engine, "code_key", lambda: "another compiler")
    assert key != durable_engine._ruleset_key(mini_pack, span)


def test_at_most_so_many_records_are_kept(mini_pack: Pack, worked_out: list[str],
                                          tmp_path: Path) -> None:
    folder = tmp_path / "_cache"
    folder.mkdir()
    limit = durable_engine.MAX_KEPT_RULESETS
    for i in range(limit + 4):
        old = folder / f"ruleset-old{i:02d}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, ns=(i * 10**9, i * 10**9))

    kept(mini_pack)

    names = {p.name for p in records(tmp_path)}
    assert limit == len(names)
    assert {f"ruleset-old{i:02d}.json" for i in range(5, limit + 4)} < names  # the newest


def test_no_record_where_the_cache_cannot_be_written(
        mini_pack: Pack, worked_out: list[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(durable_engine, "CACHE_DIR", tmp_path / "missing" / "_cache")

    assert fresh(mini_pack) == kept(mini_pack)
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
