"""Validity spans: which rules the durable engine's ruleset for a date holds, how their
patterns read, and that the engine agrees with the evaluator on every side of every date
where a span or a rule begins or ends (issue 13)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from formselect.case.model import Case, Service
from formselect.engine import Backend, durable, evaluate
from formselect.engine.spans import MAX_SPANS, Span, validity_spans
from formselect.pack.load import load_pack
from formselect.pack.model import Pack
from tests.conftest import requires_durable
from tests.engine.test_backends import rule_toml

FOREVER = "valid_from = 2000-01-01"


def day(text: str) -> int:
    return dt.date.fromisoformat(text).toordinal()


def write_pack(folder: Path, *rules: tuple[str, str, str, str]) -> Pack:
    """A one-file pack of (id, condition, effect, validity) rules, forms alpha and beta."""
    folder.mkdir(parents=True, exist_ok=True)
    text = '[[form]]\nid = "alpha"\nname = "Alpha"\n\n[[form]]\nid = "beta"\nname = "Beta"\n'
    text += '\n[[fact]]\nname = "flag"\nkind = "bool"\n'
    for rule_id, when, effect, validity in rules:
        text += rule_toml(rule_id, when, effect, validity)
    (folder / "rules.toml").write_text(text, encoding="utf-8")
    return load_pack(folder)


def staff_rules(count: int, validity: str = FOREVER) -> list[tuple[str, str, str, str]]:
    return [(f"S{i:02d}", f"service.staff_count > {i}", "favour = { alpha = 1 }", validity)
            for i in range(count)]


def test_a_rule_of_a_year_among_few_has_a_span_of_its_own(tmp_path: Path) -> None:
    """Two rules for ever and one for 2010: three rules on 2010's days are more than 5/4 of
    two, so 2010 is a span of its own, and the days around it are two more."""
    pack = write_pack(tmp_path / "p", *staff_rules(2), (
        "YEAR", "service.staff_count > 50", "favour = { beta = 1 }",
        "valid_from = 2010-01-01\nvalid_until = 2010-12-31"))
    year = pack.rules.index(pack.rule("YEAR"))

    assert (Span(day("2000-01-01"), day("2009-12-31"), (0, 1)),
            Span(day("2010-01-01"), day("2010-12-31"), tuple(sorted((0, 1, year)))),
            Span(day("2011-01-01"), None, (0, 1))) == validity_spans(pack.rules).spans


def test_a_rule_of_a_year_among_many_joins_their_span(tmp_path: Path) -> None:
    """Eight rules for ever and one for 2010: nine are within 5/4 of eight, so one span
    holds every day, and only the 2010 rule tests its dates, both of them."""
    pack = write_pack(tmp_path / "p", *staff_rules(8), (
        "YEAR", "service.staff_count > 50", "favour = { beta = 1 }",
        "valid_from = 2010-01-01\nvalid_until = 2010-12-31"))
    plan = durable._Plan(pack)
    [span] = plan.spans.spans
    ruleset = durable._Ruleset(pack, plan, span)
    validity = {pack.rules[members[0]].id: [p for p in parts if "as_of" in str(p)]
                for members, parts in zip(ruleset.members, ruleset.parts, strict=True)}

    assert (day("2000-01-01"), None, 9) == (span.first, span.last, len(span.rules))
    assert {f"S{i:02d}": [] for i in range(8)} | {"YEAR": [
        {"$gte": {"as_of": day("2010-01-01")}}, {"$lte": {"as_of": day("2010-12-31")}}]} \
        == validity


def test_days_without_a_rule_in_force_have_no_span(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "p", *staff_rules(1, "valid_from = 2010-01-01\n"
                                                      "valid_until = 2010-12-31"),
                      *[(f"L{i}", f"service.staff_count > {i}", "favour = { beta = 1 }",
                         "valid_from = 2012-01-01\nvalid_until = 9999-12-31")
                        for i in range(2)])
    spans = validity_spans(pack.rules)

    assert [None, 0, None, 1, 1, 1] == [
        None if (s := spans.at(day(d))) is None else spans.spans.index(s)
        for d in ("2009-12-31", "2010-06-01", "2011-01-01", "2012-01-01", "2500-01-01",
                  "9999-12-31")]
    assert day("9999-12-31") == spans.spans[1].last


def test_rules_with_one_condition_are_one_engine_rule(tmp_path: Path) -> None:
    """Rules of one stratum with the same condition and validity tests fire together: the
    engine holds one rule for them, named after the first."""
    pack = write_pack(tmp_path / "p",
                      ("A", "service.staff_count > 5", "favour = { alpha = 1 }", FOREVER),
                      ("B", "service.staff_count > 5", "favour = { beta = 2 }", FOREVER),
                      ("C", "service.staff_count > 6", "favour = { beta = 1 }", FOREVER))
    plan = durable._Plan(pack)
    [span] = plan.spans.spans
    ruleset = durable._Ruleset(pack, plan, span)

    assert [("A", "B"), ("C",)] == [tuple(pack.rules[p].id for p in m)
                                    for m in ruleset.members]
    assert {"r0", "r2", "~0"} == set(ruleset.definition())


def alternatives(start: int) -> str:
    """40 tests that all hold for 1,000 staff: two such rules overflow one stage."""
    return " or ".join(f"service.staff_count > {start + j}" for j in range(40))


@requires_durable
def test_a_merged_rule_never_overrides_a_lower_id_in_a_later_stage(tmp_path: Path) -> None:
    """D1 and D3 share a condition, so they are one engine rule in the first stage; D2 fills
    a second stage of the same stratum. D2 and D3 derive ``flag`` differently: the lower id,
    D2, wins, as in the evaluator, though D3 fired a stage earlier."""
    pack = write_pack(tmp_path / "p",
                      ("D1", alternatives(0), "favour = { alpha = 1 }", FOREVER),
                      ("D2", alternatives(100), "derive = { flag = false }", FOREVER),
                      ("D3", alternatives(0), "derive = { flag = true }", FOREVER),
                      ("READS", "not flag", "favour = { beta = 1 }", FOREVER))
    plan = durable._Plan(pack)
    ruleset = durable._Ruleset(pack, plan, plan.spans.spans[0])
    case = Case(service=Service(staff_count=1000))
    on = dt.date(2020, 1, 1)

    assert [["D1"], ["D2"], ["READS"]] == [[pack.rules[ruleset.members[i][0]].id
                                            for i in stage] for stage in ruleset.stages]
    assert {"D1", "D2", "D3", "READS"} == evaluate(pack, case, on, Backend.DURABLE).fired \
        == evaluate(pack, case, on, Backend.PYTHON).fired


@requires_durable
@pytest.mark.parametrize("staff", [3, 30, 300])
def test_the_engine_agrees_around_every_validity_date(tmp_path: Path, staff: int) -> None:
    """Rules starting and ending on many dates, some with one condition, some reading a
    derived fact: on the day before, of and after every validity date the engine fires
    exactly what the evaluator fires."""
    rules = [(f"W{i:02d}", f"service.staff_count > {i * 10 % 70}",
              "favour = { alpha = 1 }" if i % 3 else "derive = { flag = true }",
              f"valid_from = {2000 + i % 7}-0{1 + i % 9}-01" + (
                  f"\nvalid_until = {2001 + i % 7 + i % 5}-06-30" if i % 2 else ""))
             for i in range(40)]
    rules.append(("READS", "flag", "favour = { beta = 1 }", "valid_from = 2002-01-01"))
    pack = write_pack(tmp_path / "p", *rules)
    case = Case(service=Service(staff_count=staff))
    days = sorted({d + dt.timedelta(k) for r in pack.rules
                   for d in (r.valid_from, r.valid_until) if d is not None
                   for k in (-1, 0, 1)})

    assert len(validity_spans(pack.rules).spans) > 3
    assert [] == [(d, evaluate(pack, case, d, Backend.DURABLE).fired ^ python.fired)
                  for d in days
                  if (python := evaluate(pack, case, d, Backend.PYTHON)).fired
                  != evaluate(pack, case, d, Backend.DURABLE).fired]


def test_the_loader_counts_each_span_s_ruleset(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The capacity check counts what the engine would hold for each span: its engine rules
    (rules with one condition once) and a stage rule per stage. With room for three, only
    2010's ruleset (S00 and DUP as one, S01, YEAR, one stage) is too big, and says so."""
    pack = write_pack(tmp_path / "p", *staff_rules(2),
                      ("DUP", "service.staff_count > 0", "favour = { beta = 1 }", FOREVER),
                      ("YEAR", "service.staff_count > 50", "favour = { beta = 1 }",
                       "valid_from = 2010-01-01\nvalid_until = 2010-12-31"))
    monkeypatch.setattr(durable, "MAX_ENGINE_RULES", 3)
    [problem] = durable.capacity_problems(pack)

    assert ("too many rules in force together for the engine", 4) == (problem.message,
                                                                      problem.found)
    assert "from 2010-01-01 to 2010-12-31" in problem.expected


def yearly(years: range, gap: int = 0) -> list[tuple[str, str, str, str]]:
    """One rule per year, each in force for that year only (every ``gap + 1`` years)."""
    return [(f"Y{y}", f"service.staff_count > {y - 2000}", "favour = { alpha = 1 }",
             f"valid_from = {y}-01-01\nvalid_until = {y}-12-31")
            for y in years if (y - years.start) % (gap + 1) == 0]


def test_too_many_spans_are_joined_more_loosely(tmp_path: Path) -> None:
    """Thirteen years of a rule each: 5/4 and 3/2 of one rule join no two years (13 spans,
    more than MAX_SPANS); twice one rule joins them in pairs."""
    pack = write_pack(tmp_path / "p", *yearly(range(2000, 2013)))
    spans = validity_spans(pack.rules).spans

    assert [(y, y + 1) for y in range(2000, 2012, 2)] + [(2012, 2012)] == [
        (dt.date.fromordinal(s.first).year,
         None if s.last is None else dt.date.fromordinal(s.last).year) for s in spans]
    assert [2, 2, 2, 2, 2, 2, 1] == [len(s.rules) for s in spans]


def test_spans_no_slack_can_join_make_one(tmp_path: Path) -> None:
    """Thirteen rules a year apart: days without a rule part every span, whatever the slack,
    so one span holds every day from the first, each rule testing both its dates."""
    pack = write_pack(tmp_path / "p", *yearly(range(2000, 2025), gap=1))
    spans = validity_spans(pack.rules)

    assert (Span(day("2000-01-01"), None, tuple(range(13))),) == spans.spans
    assert spans.spans[0] is spans.at(day("2001-06-01"))  # in force: none of its rules
    assert spans.at(day("1999-12-31")) is None


def test_every_span_of_a_pack_stays_in_the_engine() -> None:
    assert MAX_SPANS < durable.MAX_COMPILED


@requires_durable
def test_the_engine_agrees_on_a_pack_of_one_span(tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "p", *yearly(range(2000, 2025), gap=1))
    case = Case(service=Service(staff_count=30))
    days = [dt.date(y, m, d) for y in range(1999, 2026) for m, d in ((1, 1), (12, 31))]

    assert [] == [d for d in days if evaluate(pack, case, d, Backend.DURABLE).fired
                  != evaluate(pack, case, d, Backend.PYTHON).fired]
    assert {"Y2024"} == evaluate(pack, case, dt.date(2024, 5, 1), Backend.DURABLE).fired
