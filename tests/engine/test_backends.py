"""The durable_rules engine and the pure-Python evaluator: the differential oracle and the
engine's operational promises (chaining, dates, determinism, isolation, threads, no leaks)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import shutil
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formselect
from formselect.case.model import Case, Money, Ownership, Procurement, Service, Transfer
from formselect.conditions.syntax import Condition
from formselect.engine import BACKENDS, Backend, Evaluation, evaluate
from formselect.errors import FormselectError
from formselect.pack.load import load_pack
from formselect.pack.model import Option, Pack, Reference, Rule
from tests.conftest import BACKEND_PARAMS, MINI_PACK
from tests.strategies import as_of_dates, as_of_for, cases, literal_hints, typed_conditions


def both(pack: Pack, case: Case, as_of: dt.date) -> tuple[Evaluation, Evaluation]:
    """The default engine's (durable where it imports) and the three-valued evaluator's
    evaluation of one case; the compiled evaluator must give exactly the latter."""
    python = evaluate(pack, case, as_of, Backend.PYTHON)

    assert python == evaluate(pack, case, as_of, Backend.COMPILED)
    return evaluate(pack, case, as_of), python


def write_pack(folder: Path, rules: str) -> Pack:
    """Load a one-file pack with forms alpha/beta and the given [[fact]]/[[rule]] text."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rules.toml").write_text(
        '[[form]]\nid = "alpha"\nname = "Alpha"\n\n[[form]]\nid = "beta"\nname = "Beta"\n'
        + rules, encoding="utf-8")
    return load_pack(folder)


def rule_toml(rule_id: str, when: str, effect: str = "favour = { alpha = 1 }",
              validity: str = "valid_from = 2000-01-01") -> str:
    """One [[rule]] table with boilerplate fields."""
    return f"""
[[rule]]
id = "{rule_id}"
title = "Test rule {rule_id}"
when = '{when}'
{effect}
explanation = "Test."
{validity}
references = [{{ instrument = "Test guide", provision = "p", url = "https://example.org/" }}]
"""


# --- generated conditions for the differential test -------------------------------------------

def pack_of(conditions: Sequence[Condition], *, name: str = "generated") -> Pack:
    """A pack of one rule per condition, named by its content so the engine compiles it once."""
    rules = tuple(
        Rule(id=f"G-{i:02d}", title=f"Generated rule {i}", when=str(c), condition=c,
             explanation="Generated.", references=(Reference("Test", "p", "https://e.org/"),),
             valid_from=dt.date(2000, 1, 1), favour={"alpha": 1})
        for i, c in enumerate(conditions))
    digest = hashlib.sha256(repr(conditions).encode()).hexdigest()[:16]
    return Pack(name, "1", (Option("alpha", "form", "Alpha"),), (), (), rules, digest)


# --- the differential oracle -----------------------------------------------------------------

_STRATEGIES: dict[str, tuple[st.SearchStrategy[Case], st.SearchStrategy[dt.date]]] = {}


def inputs_for(pack: Pack) -> tuple[st.SearchStrategy[Case], st.SearchStrategy[dt.date]]:
    """Case and as_of strategies steered towards the pack's literals and validity dates."""
    if pack.digest not in _STRATEGIES:
        hints = literal_hints(pack)
        _STRATEGIES[pack.digest] = (cases(hints=hints), as_of_for(hints))
    return _STRATEGIES[pack.digest]


class TestDifferential:
    """Both backends give the same Evaluation: fired rules, derived facts, conflicts, view."""

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @given(data=st.data())
    def test_mini_pack(self, mini_pack: Pack, data: st.DataObject) -> None:
        """On the mini pack (every operator, 3-level chaining) the backends agree."""
        case_strategy, as_of_strategy = inputs_for(mini_pack)
        case, as_of = data.draw(case_strategy), data.draw(as_of_strategy)
        durable, python = both(mini_pack, case, as_of)

        assert python == durable

    @pytest.mark.slow  # a long run: in the full suite (CI)
    @given(data=st.data())
    def test_builtin_pack(self, builtin_pack: Pack, data: st.DataObject) -> None:
        """On the built-in pack the backends agree."""
        case_strategy, as_of_strategy = inputs_for(builtin_pack)
        case, as_of = data.draw(case_strategy), data.draw(as_of_strategy)
        durable, python = both(builtin_pack, case, as_of)

        assert python == durable

    @pytest.mark.slow  # a long property run: in the full suite (CI)
    @given(case=cases(), as_of=as_of_dates)
    def test_unsteered_cases(self, mini_pack: Pack, builtin_pack: Pack, case: Case,
                             as_of: dt.date) -> None:
        """On cases not steered towards any pack, the backends agree on both packs."""
        for pack in (mini_pack, builtin_pack):
            durable, python = both(pack, case, as_of)

            assert python == durable

    @pytest.mark.slow
    @settings(max_examples=200)
    @given(data=st.data())
    def test_long_run(self, mini_pack: Pack, builtin_pack: Pack, data: st.DataObject) -> None:
        """A longer run of the two differential tests above (deselect with -m 'not slow')."""
        for pack in (mini_pack, builtin_pack):
            case_strategy, as_of_strategy = inputs_for(pack)
            durable, python = both(pack, data.draw(case_strategy), data.draw(as_of_strategy))

            assert python == durable

    @pytest.mark.slow  # a long property run: in the full suite (CI)
    @settings(max_examples=60)
    @given(conditions=st.lists(typed_conditions(), min_size=1, max_size=8), data=st.data())
    def test_generated_conditions(self, conditions: list[Condition],
                                  data: st.DataObject) -> None:
        """For generated well-typed conditions over every case fact, the backends agree."""
        pack = pack_of(conditions)
        hints = literal_hints(pack)
        case_strategy = cases(names=False, hints=hints)
        for _ in range(4):
            as_of = data.draw(as_of_for(hints))
            durable, python = both(pack, data.draw(case_strategy), as_of)

            assert python.fired == durable.fired, [str(c) for c in conditions]


# --- chaining ------------------------------------------------------------------------------

class TestChaining:
    """Derived facts chain through strata: level 0 -> 1 -> 2 -> a rule reading level 2."""

    ready = Case(ownership=Ownership(employee_pct=60), service=Service(staff_count=10))
    not_ready = Case(ownership=Ownership(employee_pct=40, board_control="community"),
                     service=Service(staff_count=10))

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    def test_three_levels_true(self, mini_pack: Pack, backend: Backend) -> None:
        """A small staff-led case derives through every level and fires the level-3 rule."""
        result = evaluate(mini_pack, self.ready, dt.date(2021, 1, 1), backend)

        assert {"D0-STAFF-YES", "D0-SMALL", "D1-READY", "D2-SCORE-HIGH",
                "L3-FAVOUR-ALPHA"} <= result.fired
        assert {"staff_led": True, "size_band": "small", "mutual_ready": True,
                "readiness_score": 10} == dict(result.derived)
        assert 10 == result.view["readiness_score"]

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    def test_three_levels_false(self, mini_pack: Pack, backend: Backend) -> None:
        """The false branch chains too (derived false values feed negative tests)."""
        result = evaluate(mini_pack, self.not_ready, dt.date(2021, 1, 1), backend)

        assert {"D0-STAFF-NO", "D0-SMALL", "D1-NOT-READY", "D2-SCORE-LOW",
                "L3-LOW-SCORE"} <= result.fired
        assert {"staff_led": False, "size_band": "small", "mutual_ready": False,
                "readiness_score": 2.5} == dict(result.derived)

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    def test_unknown_breaks_the_chain(self, mini_pack: Pack, backend: Backend) -> None:
        """With the staff count unknown, mutual_ready cannot be concluded either way..."""
        case = Case(ownership=Ownership(employee_pct=60))
        result = evaluate(mini_pack, case, dt.date(2021, 1, 1), backend)

        assert {"staff_led": True} == dict(result.derived)
        assert set() == {r for r in result.fired if r[:2] in ("D1", "D2", "L3")}

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    def test_negative_test_needs_a_false_derivation(self, mini_pack: Pack,
                                                    backend: Backend) -> None:
        """...but a large organisation is not ready whatever staff_led is (``or`` short-cut)."""
        case = Case(service=Service(staff_count=500))
        result = evaluate(mini_pack, case, dt.date(2021, 1, 1), backend)

        assert {"size_band": "large", "mutual_ready": False,
                "readiness_score": 2.5} == dict(result.derived)

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    def test_conflicting_derivations(self, tmp_path: Path, backend: Backend) -> None:
        """Two rules deriving different values: the lowest id wins and the conflict is listed."""
        pack = write_pack(tmp_path, '[[fact]]\nname = "band"\nkind = "enum"\n'
                          'values = ["low", "high"]\n'
                          + rule_toml("B-LOW", "service.staff_count > 0",
                                      'derive = { band = "low" }')
                          + rule_toml("A-HIGH", "service.staff_count > 5",
                                      'derive = { band = "high" }')
                          + rule_toml("C-READ", 'band == "high"'))
        result = evaluate(pack, Case(service=Service(staff_count=10)), dt.date(2021, 1, 1),
                          backend)

        assert {"A-HIGH", "B-LOW", "C-READ"} == result.fired
        assert {"band": "high"} == dict(result.derived)
        assert (("band", ("A-HIGH", "B-LOW")),) == result.conflicts


# --- validity dates --------------------------------------------------------------------------

class TestValidity:
    """A rule fires only on dates when it is in force (both ends inclusive)."""

    @pytest.mark.slow  # a long property run: in the full suite (CI)
    @given(data=st.data())
    def test_fired_rules_are_in_force(self, mini_pack: Pack, builtin_pack: Pack,
                                      data: st.DataObject) -> None:
        """Every rule the engine fires is in force on as_of."""
        for pack in (mini_pack, builtin_pack):
            case_strategy, as_of_strategy = inputs_for(pack)
            as_of = data.draw(as_of_strategy)
            fired = evaluate(pack, data.draw(case_strategy), as_of).fired

            assert [] == [r for r in sorted(fired) if not pack.rule(r).in_force(as_of)]

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    @pytest.mark.parametrize(("as_of", "expected"), [
        (dt.date(2006, 1, 30), set()),
        (dt.date(2006, 1, 31), {"DT-OLD"}),
        (dt.date(2014, 9, 30), {"DT-OLD"}),
        (dt.date(2014, 10, 1), {"DT-NEW"}),
        (dt.date(2020, 2, 28), {"DT-NEW"}),
        (dt.date(2020, 2, 29), {"DT-NEW", "DT-WINDOW"}),
        (dt.date(2022, 2, 28), {"DT-NEW", "DT-WINDOW"}),
        (dt.date(2022, 3, 1), {"DT-NEW"}),
    ])
    def test_dated_rules_switch_on_the_boundaries(self, mini_pack: Pack, backend: Backend,
                                                  as_of: dt.date, expected: set[str]) -> None:
        """The old rule stops and the new one starts on exactly the dates in the pack."""
        case = Case(ownership=Ownership(employee_pct=30))
        fired = evaluate(mini_pack, case, as_of, backend).fired

        assert expected == {r for r in fired if r.startswith("DT-")}

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    def test_as_of_condition(self, mini_pack: Pack, backend: Backend) -> None:
        """A condition on as_of switches on the date it names."""
        case = Case(money=Money(charitable_status=True))

        assert ["no", "yes"] == [
            "yes" if "OP-AS-OF" in evaluate(mini_pack, case, d, backend).fired else "no"
            for d in (dt.date(2016, 4, 17), dt.date(2016, 4, 18))]


class TestYearsSince:
    """years_since() in the engine: the third anniversary, including from 29 February."""

    @pytest.mark.parametrize("backend", BACKEND_PARAMS)
    @pytest.mark.parametrize(("award", "as_of", "fires"), [
        (dt.date(2019, 6, 15), dt.date(2022, 6, 14), True),
        (dt.date(2019, 6, 15), dt.date(2022, 6, 15), False),
        (dt.date(2020, 2, 29), dt.date(2023, 2, 27), True),
        (dt.date(2020, 2, 29), dt.date(2023, 2, 28), False),
        (dt.date(2025, 1, 1), dt.date(2024, 1, 1), True),  # an award after as_of: negative
    ])
    def test_reserved_award_less_than_3_years_ago(self, mini_pack: Pack, backend: Backend,
                                                  award: dt.date, as_of: dt.date,
                                                  fires: bool) -> None:
        """``years_since(d) < 3`` fires the day before the third anniversary, not on it."""
        case = Case(procurement=Procurement(prior_reserved_award_date=award))

        assert fires == ("OP-YEARS-SINCE" in evaluate(mini_pack, case, as_of, backend).fired)


# --- determinism and isolation ---------------------------------------------------------------

@pytest.mark.slow  # a long property run: in the full suite (CI)
@given(case=cases(), as_of=as_of_dates)
def test_deterministic(mini_pack: Pack, builtin_pack: Pack, case: Case, as_of: dt.date) -> None:
    """The same case and date give the same Evaluation every time, on each pack."""
    for pack in (mini_pack, builtin_pack):
        assert evaluate(pack, case, as_of) == evaluate(pack, case, as_of)


def variant_of_mini(tmp_path: Path) -> Pack:
    """The mini pack with one threshold changed: same rule ids, different content."""
    shutil.copytree(MINI_PACK, tmp_path / "variant")
    facts = tmp_path / "variant" / "facts.toml"
    facts.write_text(facts.read_text(encoding="utf-8").replace(
        "when = 'service.staff_count < 50'", "when = 'service.staff_count < 5'"),
        encoding="utf-8")
    return load_pack(tmp_path / "variant")


def test_two_packs_in_one_process(mini_pack: Pack, builtin_pack: Pack, tmp_path: Path) -> None:
    """Packs used in turn each give their own answers, even with the same rule ids."""
    variant = variant_of_mini(tmp_path)
    case = Case(ownership=Ownership(employee_pct=60), service=Service(staff_count=10))
    day = dt.date(2021, 1, 1)
    runs = [(p, evaluate(p, case, day)) for p in (mini_pack, variant, builtin_pack,
                                                  mini_pack, variant, builtin_pack)]

    assert mini_pack.digest != variant.digest
    assert "D0-SMALL" in runs[0][1].fired
    assert "D0-SMALL" not in runs[1][1].fired
    assert [evaluate(p, case, day, Backend.PYTHON) for p, _ in runs] == [e for _, e in runs]
    assert runs[:3] == runs[3:]


def work_items(count: int) -> list[tuple[Case, dt.date]]:
    """A deterministic variety of cases and dates (no randomness)."""
    combos = itertools.product(
        [None, 10, 50, 51, 100], [None, 3, 49, 50, 500], [None, "employees", "community"],
        [None, True, False], [None, [], ["health_care"], ["it_services", "social_care"]],
        [None, dt.date(2020, 2, 29)])
    items = []
    for i, (pct, staff, board, charity, cats, award) in enumerate(combos):
        case = Case(ownership=Ownership(employee_pct=pct, board_control=board),
                    service=Service(staff_count=staff, categories=cats),
                    money=Money(charitable_status=charity),
                    procurement=Procurement(prior_reserved_award_date=award),
                    transfer=Transfer(pension_schemes=["lgps"] if i % 3 else None))
        items.append((case, dt.date(2006 + i % 25, 1 + i % 12, 1 + i % 28)))
        if len(items) == count:
            break
    return items


@pytest.mark.parametrize("threads", [2, 8])
def in_threads(work: Sequence[Any], threads: int) -> list[Evaluation]:
    """Evaluate ``(pack, case, as_of)`` items on ``threads`` threads that start together."""
    start = threading.Barrier(threads)

    def run(chunk: Sequence[Any]) -> list[Evaluation]:
        """One thread's share of the work, started with the others."""
        start.wait(timeout=30)
        return [evaluate(p, c, d) for p, c, d in chunk]

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(run, [work[i::threads] for i in range(threads)]))
    ordered: list[Any] = [None] * len(work)
    for i, chunk_results in enumerate(results):
        ordered[i::threads] = chunk_results
    return ordered


@pytest.mark.parametrize("threads", [2, 8])
def test_threads_give_the_serial_results(mini_pack: Pack, builtin_pack: Pack,
                                         threads: int) -> None:
    """Threads evaluating different cases (on two packs) at once get the serial answers."""
    work = [(pack, case, day) for case, day in work_items(200)
            for pack in (mini_pack, builtin_pack)]
    serial = [evaluate(p, c, d) for p, c, d in work]

    assert serial == in_threads(work, threads)


def test_threads_race_to_compile_a_new_pack(tmp_path: Path) -> None:
    """8 threads first using, at once, a pack the engine has never seen get correct answers."""
    pack = variant_of_mini(tmp_path)  # not yet compiled in this process
    work = [(pack, case, day) for case, day in work_items(80)]

    assert [evaluate(p, c, d, Backend.PYTHON) for p, c, d in work] == in_threads(work, 8)


def test_no_state_leaks_past_the_live_state_cap(mini_pack: Pack) -> None:
    """3,000 evaluations (the engine holds at most 1,024 live states) all succeed and agree."""
    work = work_items(300)
    expected = [evaluate(mini_pack, c, d, Backend.PYTHON) for c, d in work]

    results = [evaluate(mini_pack, c, d) for _ in range(10) for c, d in work]

    assert 3_000 == len(results)
    assert expected * 10 == results


# --- regressions: engine bugs found by this suite and fixed ---------------------------------

@pytest.mark.parametrize("schemes", [["lgps"], []])
def test_set_fact_known_agrees(tmp_path: Path, schemes: list[str]) -> None:
    """``is known`` / ``is unknown`` on a set fact give the same answer on both backends."""
    pack = write_pack(tmp_path, rule_toml("KNOWN", "transfer.pension_schemes is known")
                      + rule_toml("UNKNOWN", "transfer.pension_schemes is unknown"))
    durable, python = both(pack, Case(transfer=Transfer(pension_schemes=schemes)),
                           dt.date(2021, 1, 1))

    assert {"KNOWN"} == python.fired
    assert python.fired == durable.fired


@pytest.mark.parametrize("pct", [1e-05, 3e-05, 2e-07, 5e-324])
def test_tiny_float_evaluates(mini_pack: Pack, pct: float) -> None:
    """A tiny but valid percentage evaluates on the engine as in the Python evaluator."""
    case = Case(ownership=Ownership(private_partner_pct=pct))
    durable, python = both(mini_pack, case, dt.date(2021, 1, 1))

    assert python == durable


def test_engine_accepts_every_condition_the_loader_accepts(tmp_path: Path) -> None:
    """A condition the loader accepts (well under MAX_ATOMS) can be run by the engine."""
    when = " and ".join(f"service.staff_count != {i}" for i in range(14))
    pack = write_pack(tmp_path, rule_toml("MANY-NE", when))
    durable, python = both(pack, Case(service=Service(staff_count=99)), dt.date(2021, 1, 1))

    assert {"MANY-NE"} == python.fired == durable.fired


def test_condition_at_the_engine_limit_runs(tmp_path: Path) -> None:
    """The largest condition the loader accepts (15 and/or groups) runs on the engine."""
    when = " or ".join(f"(service.staff_count > {i} and procurement.term_years < {i})"
                       for i in range(1, 14))
    pack = write_pack(tmp_path, rule_toml("AT-LIMIT", when))
    case = Case(service=Service(staff_count=5), procurement=Procurement(term_years=3))
    durable, python = both(pack, case, dt.date(2021, 1, 1))

    assert {"AT-LIMIT"} == python.fired == durable.fired


@settings(max_examples=40)
@given(condition=typed_conditions(max_leaves=40), data=st.data())
def test_engine_compiles_every_condition_under_its_limit(condition: Condition,
                                                         data: st.DataObject) -> None:
    """Any typed condition within the loader's engine limit compiles and runs on durable."""
    pack = pack_of([condition], name="near-limit")
    case = data.draw(cases(names=False, hints=literal_hints(pack)))
    durable, python = both(pack, case, dt.date(2021, 1, 1))

    assert python.fired == durable.fired


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_far_future_date_evaluates(mini_pack: Pack, backend: Backend) -> None:
    """A procurement date of 9999-12-31 (an 'open-ended' sentinel) evaluates."""
    case = Case(procurement=Procurement(start_date=dt.date(9999, 12, 31)))

    assert "OP-DATE-FLOAT" not in evaluate(mini_pack, case, dt.date(2021, 1, 1), backend).fired


class TestBackendRegistry:
    """One table of backends: the built-in names, and a new one found by name alone."""

    def test_every_built_in_backend_is_registered(self) -> None:
        """Backend names exactly the built-in entries of BACKENDS."""
        assert {str(b) for b in Backend} == set(BACKENDS)

    def test_a_registered_backend_is_found_by_name(self, mini_pack: Pack,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """A new engine is one module and one line in BACKENDS; advise finds it by name."""
        monkeypatch.setitem(BACKENDS, "replay", BACKENDS[Backend.PYTHON])
        case = Case(service=Service(staff_count=5))
        expected = formselect.advise(case, "2024-03-01", mini_pack, backend="python")
        assert expected == formselect.advise(case, "2024-03-01", mini_pack, backend="replay")

    def test_an_unknown_backend_names_the_registered_ones(self) -> None:
        """A typo is refused, listing what is registered."""
        with pytest.raises(FormselectError,
                           match="expected one of 'durable', 'compiled', 'python'"):
            formselect.advise(Case(), "2024-03-01", backend="durabel")
