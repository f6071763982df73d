"""The watchdog's probe is remembered per ruleset, so a cold start does not pay for it again
(issue 13), and never lets a pack skip the probe it has not passed (issue 16, D1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from formselect.case.model import Case, Ownership
from formselect.engine import Backend, evaluate
from formselect.engine import durable as durable_engine
from formselect.pack.model import Pack
from tests.conftest import requires_durable

pytestmark = requires_durable


@pytest.fixture
def fresh_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A driver with no ruleset compiled, a private cache folder, and a log of probes."""
    monkeypatch.setattr(durable_engine, "CACHE_DIR", tmp_path / "_cache")
    monkeypatch.setattr(durable_engine, "_DRIVER", durable_engine._Driver())
    monkeypatch.delenv("FORMSELECT_ENGINE_WATCHDOG", raising=False)
    probes: list[float] = []
    real = durable_engine.probe

    def logged(*args: object, **kwargs: object) -> bool:
        probes.append(1.0)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(durable_engine, "probe", logged)
    return probes


CASE = Case(ownership=Ownership(employee_pct=60))
DAY = dt.date(2021, 1, 1)


def test_a_passed_probe_is_remembered(mini_pack: Pack, fresh_driver: list[float],
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate(mini_pack, CASE, DAY, Backend.DURABLE)
    [record] = (tmp_path / "_cache").glob("probed-*")
    assert 0 < float(record.read_text()) < 120

    monkeypatch.setattr(durable_engine, "_DRIVER", durable_engine._Driver())  # a new process
    evaluate(mini_pack, CASE, DAY, Backend.DURABLE)
    assert [1.0] == fresh_driver  # probed once, by the first process only


def test_a_record_is_trusted_only_well_within_the_limit(
        mini_pack: Pack, fresh_driver: list[float], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate(mini_pack, CASE, DAY, Backend.DURABLE)
    [record] = (tmp_path / "_cache").glob("probed-*")
    record.write_text("30")  # it once took 30 s: a 120 s limit does not trust that

    monkeypatch.setattr(durable_engine, "_DRIVER", durable_engine._Driver())
    evaluate(mini_pack, CASE, DAY, Backend.DURABLE)
    assert [1.0, 1.0] == fresh_driver


def test_no_record_where_the_cache_cannot_be_written(
        mini_pack: Pack, fresh_driver: list[float], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(durable_engine, "CACHE_DIR", tmp_path / "missing" / "_cache")
    evaluate(mini_pack, CASE, DAY, Backend.DURABLE)
    assert not (tmp_path / "missing").exists()
    assert [1.0] == fresh_driver


def test_a_damaged_record_means_probing_again(
        mini_pack: Pack, fresh_driver: list[float], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    evaluate(mini_pack, CASE, DAY, Backend.DURABLE)
    [record] = (tmp_path / "_cache").glob("probed-*")
    record.write_text("not a number")

    monkeypatch.setattr(durable_engine, "_DRIVER", durable_engine._Driver())
    evaluate(mini_pack, CASE, DAY, Backend.DURABLE)
    assert [1.0, 1.0] == fresh_driver
