"""Three-valued (Kleene) evaluation of conditions, and the calendar arithmetic of years_since."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formselect.case.model import Case
from formselect.conditions.kleene import (
    AtomResult,
    compare,
    compiled,
    explain,
    truth,
    years_since_key,
)
from formselect.conditions.syntax import Condition, parse
from formselect.engine.view import case_view, years_between
from tests.strategies import as_of_dates, cases, typed_conditions

T, F, U = True, False, None


def view_of(**values: object) -> dict[str, object]:
    """A fact view; a value of None means the fact is unknown (absent from the view)."""
    return {k: v for k, v in values.items() if v is not None}


# --- Kleene truth tables -------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "expected"), [
    (T, T, T), (T, F, F), (T, U, U),
    (F, T, F), (F, F, F), (F, U, F),
    (U, T, U), (U, F, F), (U, U, U),
])
def test_and_truth_table(a: bool | None, b: bool | None, expected: bool | None) -> None:
    """``and`` is false if either side is false, unknown if either is unknown, else true."""
    assert expected is truth(parse("a and b"), view_of(a=a, b=b))


@pytest.mark.parametrize(("a", "b", "expected"), [
    (T, T, T), (T, F, T), (T, U, T),
    (F, T, T), (F, F, F), (F, U, U),
    (U, T, T), (U, F, U), (U, U, U),
])
def test_or_truth_table(a: bool | None, b: bool | None, expected: bool | None) -> None:
    """``or`` is true if either side is true, unknown if either is unknown, else false."""
    assert expected is truth(parse("a or b"), view_of(a=a, b=b))


@pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U)])
def test_not_truth_table(a: bool | None, expected: bool | None) -> None:
    """``not`` swaps true and false and keeps unknown unknown."""
    assert expected is truth(parse("not a"), view_of(a=a))


@given(st.sampled_from([T, F, U]), st.sampled_from([T, F, U]), st.sampled_from([T, F, U]))
def test_de_morgan_holds(a: bool | None, b: bool | None, c: bool | None) -> None:
    """De Morgan's laws hold in Kleene logic, so negations can be pushed inwards."""
    view = view_of(a=a, b=b, c=c)

    assert truth(parse("not (a or b) and c"), view) is \
        truth(parse("(not a and not b) and c"), view)
    assert truth(parse("not (a and (b or c))"), view) is \
        truth(parse("not a or (not b and not c)"), view)


def test_long_and_with_one_false_is_false_despite_unknowns() -> None:
    """A conjunction with one definite false is false however many items are unknown."""
    node = parse("a and b and c and d")

    assert truth(node, view_of(a=None, b=None, c=False, d=None)) is False


def test_long_or_with_one_true_is_true_despite_unknowns() -> None:
    """A disjunction with one definite true is true however many items are unknown."""
    node = parse("a or b or c or d")

    assert truth(node, view_of(a=None, b=None, c=True, d=None)) is True


# --- unknown versus false -----------------------------------------------------------------

class TestUnknownIsNotFalse:
    """An unknown fact is neither true nor false: a rule never fires on a guess."""

    def test_negated_unknown_boolean_is_unknown(self) -> None:
        """``not x`` is unknown (so does not fire) when x is unknown..."""
        assert truth(parse("not x"), {}) is None

    def test_negated_false_boolean_is_true(self) -> None:
        """...and true when x is known to be false."""
        assert truth(parse("not x"), {"x": False}) is True

    @pytest.mark.parametrize("text", [
        "x == 5", "x != 5", "x < 5", "x <= 5", "x > 5", "x >= 5", "x in [1, 5]",
        "x not in [1, 5]", 's contains "a"', 's does not contain "a"',
        "years_since(d) < 3", "not (x > 5)", "not (x != 5)",
    ])
    def test_comparison_on_unknown_is_unknown(self, text: str) -> None:
        """Every comparison, and its negation, on an unknown fact is unknown."""
        assert truth(parse(text), {}) is None

    def test_is_known_and_is_unknown_are_never_unknown(self) -> None:
        """``is known`` / ``is unknown`` are always definite, whatever the fact."""
        assert (False, True) == (truth(parse("x is known"), {}), truth(parse("x is unknown"), {}))
        assert (True, False) == (truth(parse("x is known"), {"x": False}),
                                 truth(parse("x is unknown"), {"x": False}))

    def test_not_greater_fires_only_on_a_known_small_value(self) -> None:
        """``not (x > 5)`` is true only when x is known and at most 5."""
        node = parse("not (x > 5)")

        assert [None, True, True, False] == [truth(node, v) for v in
                                             ({}, {"x": 4}, {"x": 5}, {"x": 6})]

    def test_zero_and_false_are_known_values(self) -> None:
        """0 and false are known values, not unknown."""
        assert truth(parse("x == 0"), {"x": 0}) is True
        assert truth(parse("x is known"), {"x": 0}) is True
        assert truth(parse("b == false"), {"b": False}) is True

    def test_empty_set_is_known(self) -> None:
        """An empty set is a known value: it contains nothing."""
        view = {"s": frozenset()}

        assert (False, True, True) == (truth(parse('s contains "a"'), view),
                                       truth(parse('s does not contain "a"'), view),
                                       truth(parse("s is known"), view))


# --- each operator on known values -----------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "expected"), [
    ("x == 5", 5, True), ("x == 5", 5.0, True), ("x == 5", 6, False),
    ("x != 5", 6, True), ("x != 5", 5, False),
    ("x < 5", 4.99, True), ("x < 5", 5, False),
    ("x <= 5", 5, True), ("x <= 5", 5.01, False),
    ("x > 5", 5.01, True), ("x > 5", 5, False),
    ("x >= 5", 5, True), ("x >= 5", 4.99, False),
    ('x in ["a", "b"]', "b", True), ('x in ["a", "b"]', "c", False),
    ('x not in ["a", "b"]', "c", True), ('x not in ["a", "b"]', "a", False),
    ('x == "a"', "a", True), ('x is not "a"', "a", False),
    ("x == true", True, True), ("x == true", False, False), ("x", True, True),
    ("x < 2020-01-01", dt.date(2019, 12, 31), True),
    ("x < 2020-01-01", dt.date(2020, 1, 1), False),
    ("x >= 2020-01-01", dt.date(2020, 1, 1), True),
    ('x contains "a"', frozenset({"a", "b"}), True),
    ('x contains "c"', frozenset({"a", "b"}), False),
    ('x does not contain "c"', frozenset({"a"}), True),
    ('x does not contain "a"', frozenset({"a"}), False),
    ('x contains any ["c", "a"]', frozenset({"a"}), True),
    ('x contains any ["c", "d"]', frozenset({"a"}), False),
])
def test_operator_on_known_value(text: str, value: object, expected: bool) -> None:
    """Each operator gives a definite answer on a known value."""
    assert expected is truth(parse(text), {"x": value})


def test_years_since_reads_its_own_key() -> None:
    """``years_since(d)`` reads the view's years_since(d) entry, not d itself."""
    node = parse("years_since(p.d) < 3")
    view = {"p.d": dt.date(2020, 1, 1), years_since_key("p.d"): 2.99}

    assert "years_since(p.d)" == years_since_key("p.d")
    assert truth(node, view) is True
    assert truth(node, {"p.d": dt.date(2020, 1, 1)}) is None


class TestResolution:
    """Numbers compare to a thousandth, identically in both backends."""

    @pytest.mark.parametrize(("text", "value", "expected"), [
        ("x == 50", 50.0004, True),
        ("x > 50", 50.0004, False),
        ("x > 50", 50.0006, True),
        ("x >= 663_540", 663_539.9996, True),
        ("x < 0.001", 0.0004, True),
        ("x == 0", 5e-324, True),
        ('x in [1, 2.5]', 2.5004, True),
    ])
    def test_numbers_compare_to_a_thousandth(self, text: str, value: float,
                                             expected: bool) -> None:
        """Differences below half a thousandth do not count; larger ones do."""
        assert expected is truth(parse(text), {"x": value})

    def test_years_since_days_stay_distinct(self) -> None:
        """A day is more than a thousandth of a year, so the anniversary boundary survives."""
        before = years_between(dt.date(2020, 3, 1), dt.date(2024, 2, 29))

        assert truth(parse("years_since(p.d) < 4"), {"years_since(p.d)": before}) is True


@pytest.mark.slow  # a long run: in the full suite (CI)
@given(typed_conditions(), cases(names=False), as_of_dates)
def test_compiled_agrees_with_truth(node: Condition, case: Case, as_of: dt.date) -> None:
    """compiled(node).truth(view) (used by the engine's Python backend) equals truth()."""
    view = case_view(case, as_of)
    fast = compiled(node)

    assert truth(node, view) is fast.truth(view)
    assert [r.result for r in explain(node, view)] == fast.results(view)
    assert fast is compiled(node)


def test_compare_unknown_value_is_none() -> None:
    """compare() on None is None for every value operator."""
    atom = parse("x > 1")

    assert compare(atom, None) is None  # type: ignore[arg-type]


def test_explain_lists_each_atom_with_its_value() -> None:
    """explain() gives each comparison, the value it read and its own truth."""
    node = parse("a > 1 and (b == 2 or years_since(d.e) < 3)")
    view = {"a": 5, "d.e": dt.date(2020, 1, 1), "years_since(d.e)": 4.5}

    expected = (AtomResult("a > 1", "a", 5, True), AtomResult("b == 2", "b", None, None),
                AtomResult("years_since(d.e) < 3", "d.e", 4.5, False))

    assert expected == explain(node, view)


# --- years_since: calendar years ----------------------------------------------------------

class TestYearsBetween:
    """years_between(earlier, later): whole anniversaries plus the fraction of the next year."""

    @pytest.mark.parametrize(("earlier", "later", "expected"), [
        (dt.date(2020, 5, 1), dt.date(2020, 5, 1), 0.0),
        (dt.date(2020, 5, 1), dt.date(2023, 5, 1), 3.0),
        (dt.date(2021, 3, 1), dt.date(2022, 3, 1), 1.0),
        (dt.date(2019, 1, 1), dt.date(2019, 7, 2), 182 / 365),
        (dt.date(2020, 1, 1), dt.date(2020, 7, 1), 182 / 366),
    ])
    def test_exact_values(self, earlier: dt.date, later: dt.date, expected: float) -> None:
        """Anniversaries give whole numbers; days in between give a fraction of that year."""
        assert expected == pytest.approx(years_between(earlier, later), abs=1e-12)

    def test_anniversary_is_the_boundary(self) -> None:
        """``< 3`` holds the day before the third anniversary and not on it."""
        award = dt.date(2019, 6, 15)

        assert years_between(award, dt.date(2022, 6, 14)) < 3
        assert 3.0 == years_between(award, dt.date(2022, 6, 15))
        assert years_between(award, dt.date(2022, 6, 16)) > 3

    def test_29_february_anniversary_is_28_february_in_a_common_year(self) -> None:
        """An award on 29 February reaches its anniversary on 28 February of a common year."""
        award = dt.date(2020, 2, 29)

        assert years_between(award, dt.date(2023, 2, 27)) < 3
        assert 3.0 == years_between(award, dt.date(2023, 2, 28))
        assert years_between(award, dt.date(2023, 3, 1)) > 3

    def test_29_february_anniversary_in_a_leap_year(self) -> None:
        """In a leap year the anniversary of 29 February is 29 February itself."""
        award = dt.date(2020, 2, 29)

        assert years_between(award, dt.date(2024, 2, 28)) < 4
        assert 4.0 == years_between(award, dt.date(2024, 2, 29))

    def test_from_28_february_across_a_leap_day(self) -> None:
        """From 28 February, the leap day is inside the year, not an anniversary."""
        award = dt.date(2023, 2, 28)

        assert years_between(award, dt.date(2024, 2, 27)) < 1
        assert 1.0 == years_between(award, dt.date(2024, 2, 28))
        assert years_between(award, dt.date(2024, 2, 29)) > 1

    def test_future_date_is_negative(self) -> None:
        """A date after as_of gives minus the years to it."""
        assert -2.0 == years_between(dt.date(2022, 1, 1), dt.date(2020, 1, 1))

    def test_year_9999(self) -> None:
        """A date in year 9999 (a common 'no end date' sentinel) still gives a number."""
        assert years_between(dt.date(2020, 1, 1), dt.date(9999, 12, 31)) > 7979

    @given(st.dates(), st.dates())
    def test_antisymmetric(self, a: dt.date, b: dt.date) -> None:
        """Swapping the dates negates the result."""
        assert years_between(a, b) == -years_between(b, a)

    @given(st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
           st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)), st.integers(1, 30))
    def test_monotonic(self, start: dt.date, later: dt.date, days: int) -> None:
        """A later as_of never gives fewer years."""
        assert years_between(start, later) <= years_between(
            start, later + dt.timedelta(days=days))

    @given(st.dates(dt.date(1950, 1, 1), dt.date(2040, 12, 31)),
           st.dates(dt.date(1950, 1, 1), dt.date(2060, 12, 31)), st.integers(1, 10))
    def test_less_than_n_exactly_before_the_nth_anniversary(self, award: dt.date,
                                                             as_of: dt.date, n: int) -> None:
        """``years_between(d, as_of) < n`` iff as_of is before the n-th anniversary of d."""
        try:
            anniversary = award.replace(year=award.year + n)
        except ValueError:  # 29 February in a common year
            anniversary = award.replace(year=award.year + n, day=28)

        assert (as_of < anniversary) == (years_between(award, as_of) < n)

    @given(st.dates(dt.date(1950, 1, 1), dt.date(2060, 12, 31)),
           st.dates(dt.date(1950, 1, 1), dt.date(2060, 12, 31)))
    def test_whole_part_counts_anniversaries(self, award: dt.date, as_of: dt.date) -> None:
        """For as_of after the award, the whole part is the number of anniversaries passed."""
        if as_of < award:
            award, as_of = as_of, award
        years = years_between(award, as_of)
        whole = int(years)

        assert 0 <= years - whole < 1
        assert whole == sum(1 for n in range(1, 120)
                            if _anniversary(award, award.year + n) <= as_of)


def _anniversary(day: dt.date, year: int) -> dt.date:
    """The anniversary of ``day`` in ``year`` (28 February for a 29 February in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)
