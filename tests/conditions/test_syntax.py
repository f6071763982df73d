"""The condition language: parsing, precedence, errors with columns, limits and rendering."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from formselect.conditions.syntax import (
    MAX_ATOMS,
    MAX_DEPTH,
    MAX_LENGTH,
    All,
    Any_,
    Compare,
    Condition,
    ConditionSyntaxError,
    Not,
    atoms,
    facts_read,
    parse,
    render_literal,
)


def bare(node: Condition) -> Condition:
    """The same AST with every column set to 0 (columns say where, not what)."""
    if isinstance(node, Compare):
        return attrs.evolve(node, column=0)
    if isinstance(node, Not):
        return Not(bare(node.item))
    return type(node)(tuple(bare(i) for i in node.items))


def C(fact: str, op: str, value: Any = None, measure: str = "value") -> Compare:
    """A comparison without a column, for comparing with ``bare(parse(...))``."""
    return Compare(fact, op, value, measure)


def syntax_error(text: str) -> ConditionSyntaxError:
    """The error parse() raises for ``text`` (fails the test if it parses)."""
    with pytest.raises(ConditionSyntaxError) as info:
        parse(text)
    return info.value


# --- the grammar -------------------------------------------------------------------------

class TestComparisons:
    """Each operator parses to the comparison it names."""

    @pytest.mark.parametrize(("text", "expected"), [
        ("a.b == 1", C("a.b", "==", 1)),
        ("a.b != 1", C("a.b", "!=", 1)),
        ("a.b < 1", C("a.b", "<", 1)),
        ("a.b <= 1", C("a.b", "<=", 1)),
        ("a.b > 1", C("a.b", ">", 1)),
        ("a.b >= 1", C("a.b", ">=", 1)),
        ('a.b in ["x", "y"]', C("a.b", "in", ("x", "y"))),
        ('a.b not in ["x"]', C("a.b", "not in", ("x",))),
        ('a.b contains "x"', C("a.b", "contains", "x")),
        ('a.b does not contain "x"', C("a.b", "not contains", "x")),
        ("a.b is known", C("a.b", "known")),
        ("a.b is unknown", C("a.b", "unknown")),
        ("a.b is not known", C("a.b", "unknown")),
        ("a.b is not unknown", C("a.b", "known")),
        ('a.b is "x"', C("a.b", "==", "x")),
        ('a.b is not "x"', C("a.b", "!=", "x")),
        ("a.b is true", C("a.b", "==", True)),
        ("a.b is not false", C("a.b", "!=", False)),
        ("years_since(a.b) < 3", C("a.b", "<", 3, "years_since")),
        ("as_of >= 2016-04-18", C("as_of", ">=", dt.date(2016, 4, 18))),
        ("regime == \"pa2023\"", C("regime", "==", "pa2023")),
    ])
    def test_operator(self, text: str, expected: Compare) -> None:
        """Every comparison operator and ``is``/``is not`` form parses to one Compare."""
        assert expected == bare(parse(text))

    def test_bare_boolean_means_is_true(self) -> None:
        """A fact on its own means ``fact == true``."""
        assert C("money.charitable_status", "==", True) == bare(parse("money.charitable_status"))

    def test_not_bare_boolean(self) -> None:
        """``not fact`` negates the bare-boolean comparison."""
        expected = Not(C("money.charitable_status", "==", True))

        assert expected == bare(parse("not money.charitable_status"))

    def test_contains_any_is_an_or_of_contains(self) -> None:
        """``contains any [..]`` is the disjunction of one ``contains`` per value."""
        expected = Any_((C("s.c", "contains", "x"), C("s.c", "contains", "y"),
                         C("s.c", "contains", "z")))

        assert expected == bare(parse('s.c contains any ["x", "y", "z"]'))

    def test_columns_point_at_each_operand(self) -> None:
        """Each comparison records the 1-based column where its fact starts."""
        node = parse("a.b > 1 and  years_since(c.d) < 2")

        assert [1, 14] == [a.column for a in atoms(node)]


class TestLiterals:
    """Numbers, text, booleans, dates and lists."""

    @pytest.mark.parametrize(("literal", "value"), [
        ("663_540", 663540),
        ("1_000_000", 1_000_000),
        ("-3", -3),
        ("0", 0),
        ("80.5", 80.5),
        ("-0.25", -0.25),
        ("1_000.5", 1000.5),
        ('"text"', "text"),
        ("'single'", "single"),
        (r'"say \"hi\""', 'say "hi"'),
        ("true", True),
        ("false", False),
        ("2024-02-29", dt.date(2024, 2, 29)),
    ])
    def test_literal_value(self, literal: str, value: object) -> None:
        """Each literal is read to its Python value (underscores dropped from numbers)."""
        node = parse(f"x == {literal}")

        assert isinstance(node, Compare)
        assert value == node.value
        assert type(value) is type(node.value)

    def test_list_of_mixed_literals(self) -> None:
        """A list keeps its literals in order, as a tuple."""
        node = parse("x in [1, 2.5, \"a\", true, 2020-01-01]")

        assert isinstance(node, Compare)
        assert (1, 2.5, "a", True, dt.date(2020, 1, 1)) == node.value

    def test_impossible_date_is_rejected_at_its_column(self) -> None:
        """A date that does not exist (30 February) is a syntax error at the date."""
        error = syntax_error("as_of >= 2023-02-29")

        assert 10 == error.column
        assert "'2023-02-29' is not a real date" == error.message


class TestPrecedence:
    """``not`` binds tighter than ``and``, which binds tighter than ``or``."""

    def test_and_binds_tighter_than_or(self) -> None:
        """``a or b and c`` is ``a or (b and c)``."""
        expected = Any_((C("a", "==", True), All((C("b", "==", True), C("c", "==", True)))))

        assert expected == bare(parse("a or b and c"))

    def test_and_before_or_on_the_left(self) -> None:
        """``a and b or c`` is ``(a and b) or c``."""
        expected = Any_((All((C("a", "==", True), C("b", "==", True))), C("c", "==", True)))

        assert expected == bare(parse("a and b or c"))

    def test_not_binds_tighter_than_and(self) -> None:
        """``not a and b`` is ``(not a) and b``."""
        expected = All((Not(C("a", "==", True)), C("b", "==", True)))

        assert expected == bare(parse("not a and b"))

    def test_parentheses_override(self) -> None:
        """``(a or b) and c`` keeps the disjunction inside the conjunction."""
        expected = All((Any_((C("a", "==", True), C("b", "==", True))), C("c", "==", True)))

        assert expected == bare(parse("(a or b) and c"))

    def test_not_applies_to_a_parenthesised_group(self) -> None:
        """``not (a or b)`` negates the whole group."""
        expected = Not(Any_((C("a", "==", True), C("b", "==", True))))

        assert expected == bare(parse("not (a or b)"))

    def test_chains_are_flat(self) -> None:
        """``a and b and c`` is one conjunction of three, not a nested pair."""
        expected = All((C("a", "==", True), C("b", "==", True), C("c", "==", True)))

        assert expected == bare(parse("a and b and c"))

    def test_double_negation_is_kept(self) -> None:
        """``not not a`` is two Not nodes (nothing is simplified away)."""
        assert Not(Not(C("a", "==", True))) == bare(parse("not not a"))


class TestHelpers:
    """atoms(), facts_read() and Compare.negated()."""

    def test_atoms_left_to_right(self) -> None:
        """atoms() yields every comparison in reading order, through not and groups."""
        node = parse("a > 1 or not (b == 2 and c is known)")

        assert ["a", "b", "c"] == [a.fact for a in atoms(node)]

    def test_facts_read_without_repeats(self) -> None:
        """facts_read() lists each fact once, in first-use order."""
        node = parse("b > 1 or a < 2 or b < 0 or years_since(d.e) > 1")

        assert ("b", "a", "d.e") == facts_read(node)

    @pytest.mark.parametrize(("op", "negated"), [
        ("==", "!="), ("!=", "=="), ("<", ">="), (">=", "<"), (">", "<="), ("<=", ">"),
        ("in", "not in"), ("not in", "in"), ("contains", "not contains"),
        ("not contains", "contains"), ("known", "unknown"), ("unknown", "known"),
    ])
    def test_negated(self, op: str, negated: str) -> None:
        """negated() swaps each operator for its complement and keeps the rest."""
        atom = Compare("a.b", op, 1, "value", 7)

        assert Compare("a.b", negated, 1, "value", 7) == atom.negated()


# --- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "column", "fragment"), [
    ("", 1, "empty condition"),
    ("   ", 1, "empty condition"),
    ("a >", 4, "expected a value, found 'the end of the condition'"),
    ("a > > 1", 5, "expected a value, found '>'"),
    ("a in []", 7, "expected a value, found ']'"),
    ("a in 1", 6, "expected '[' to start a list"),
    ("(a", 3, "expected ')'"),
    ("a)", 2, "expected 'and', 'or' or the end of the condition, found ')'"),
    ("a b", 3, "found 'b'"),
    ("a.b.c", 4, "unexpected character '.'"),
    ("and", 1, "expected a fact name, found 'and'"),
    ("true", 1, "expected a fact name, found 'true'"),
    ("a is", 5, "expected a value"),
    ('a does contain "x"', 8, "expected 'not' after 'does'"),
    ('a does not "x"', 12, "expected 'contain'"),
    ("a not 1", 7, "expected 'in' after 'not'"),
    ("years_since a", 13, "expected '(' after years_since"),
    ("years_since(a", 14, "expected ')'"),
    ('x == "abc', 6, "unexpected character '\"'"),
    ("x == @", 6, "unexpected character '@'"),
    ("a and", 6, "expected a fact name"),
    ("a or or b", 6, "expected a fact name, found 'or'"),
    ('a contains any "x"', 16, "expected '[' to start a list"),
    ('a contains any ["x",]', 21, "expected a value, found ']'"),
    ("a == b", 6, "expected a value, found 'b'"),
    ("x == 1e5", 6, "unexpected character '1'"),
    ("x == .5", 6, "unexpected character '.'"),
    ("x = 1", 3, "unexpected character '='"),
    ("x == 1 &&  y", 8, "unexpected character '&'"),
])
def test_syntax_error_column(text: str, column: int, fragment: str) -> None:
    """A malformed condition raises ConditionSyntaxError at the 1-based column of the fault."""
    error = syntax_error(text)

    assert column == error.column
    assert fragment in error.message


def test_syntax_error_says_what_was_expected() -> None:
    """The error carries an ``expected`` hint for the author."""
    error = syntax_error("a in 1")

    assert "'[' to start a list" == error.expected


class TestLimits:
    """Length, nesting and size limits protect the parser and the engine."""

    def test_longest_condition_parses(self) -> None:
        """A condition of exactly MAX_LENGTH characters is accepted."""
        text = "a" + " " * (MAX_LENGTH - 1)

        assert C("a", "==", True) == bare(parse(text))

    def test_too_long(self) -> None:
        """One character more than MAX_LENGTH is rejected at column 1."""
        error = syntax_error("a" + " " * MAX_LENGTH)

        assert 1 == error.column
        assert f"longer than {MAX_LENGTH} characters" in error.message

    def test_deepest_parentheses_parse(self) -> None:
        """MAX_DEPTH - 1 nested parentheses (plus the top level) are accepted."""
        depth = MAX_DEPTH - 1

        assert C("a", "==", True) == bare(parse("(" * depth + "a" + ")" * depth))

    def test_too_deep_parentheses(self) -> None:
        """MAX_DEPTH nested parentheses are rejected, at the parenthesis that goes too deep."""
        error = syntax_error("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)

        assert MAX_DEPTH + 1 == error.column
        assert f"nested more than {MAX_DEPTH} levels deep" in error.message

    def test_too_deep_negation(self) -> None:
        """A chain of MAX_DEPTH ``not`` is too deep; one fewer is accepted."""
        parse("not " * (MAX_DEPTH - 1) + "a")
        error = syntax_error("not " * MAX_DEPTH + "a")

        assert f"nested more than {MAX_DEPTH} levels deep" in error.message

    def test_most_atoms_parse(self) -> None:
        """MAX_ATOMS comparisons in one condition are accepted."""
        node = parse(" and ".join(["a"] * MAX_ATOMS))

        assert MAX_ATOMS == len(list(atoms(node)))

    def test_too_many_atoms(self) -> None:
        """One comparison more than MAX_ATOMS is rejected at that comparison."""
        error = syntax_error(" and ".join(["a"] * (MAX_ATOMS + 1)))

        assert 1 + 6 * MAX_ATOMS == error.column
        assert f"more than {MAX_ATOMS} comparisons" in error.message


class TestNoPython:
    """Conditions are data: nothing that reaches Python's internals is accepted."""

    @pytest.mark.parametrize(("text", "column"), [
        ("ownership__employee_pct > 1", 1),
        ("ownership.employee__pct > 1", 1),
        ("a > 1 and __x", 11),
        ("__import__('os')", 1),
        ("x.__class__", 1),
        ("__builtins__", 1),
    ])
    def test_double_underscore_names_rejected(self, text: str, column: int) -> None:
        """Any name containing ``__`` is rejected where it starts."""
        error = syntax_error(text)

        assert column == error.column
        assert "may not contain '__'" in error.message

    @pytest.mark.parametrize("text", [
        "{0.__init__}",
        'f"{x}"',
        "f'{__import__(\"os\").system(\"true\")}'",
        "lambda: 1",
        'eval("1")',
        "().__class__",
        "x.y.__globals__",
        "a if b else c",
        "[x for x in y]",
        "open('/etc/passwd')",
        "a; b",
        "a # comment",
    ])
    def test_python_expressions_rejected(self, text: str) -> None:
        """Python syntax that could reach code is a syntax error, never evaluated."""
        syntax_error(text)

    def test_parse_never_calls_eval_exec_or_compile(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Parsing works with eval, exec and compile removed: no code is ever executed."""
        def forbidden(*_: object, **__: object) -> None:
            """Stands in for eval/exec/compile and fails the test if called."""
            raise AssertionError("the parser executed code")

        for name in ("eval", "exec", "compile"):
            monkeypatch.setattr(builtins, name, forbidden)
        node = parse('x.y in ["__import__(\'os\')"] and not z.w')

        assert C("x.y", "in", ("__import__('os')",)) == bare(node).items[0]  # type: ignore[union-attr]


# --- rendering -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "a.b > 1",
    'a.b == "x" and c.d != "y" or not e.f',
    "not (a or b) and (c or d)",
    "(a and b) and c",
    "a or (b or c)",
    'years_since(p.d) >= 3 and as_of < 2024-10-28 and q.r is unknown and q.s is known',
    's.c contains any ["x", "y"] and s.c contains "z"',
    'x.y in [1, 2.5, -3] and x.z not in ["a", "b"]',
    "x == 663_540",
    "x > 80.5",
    'x == "it\'s"',
    "x == 'say \"hi\"'",
])
def test_render_reparses_to_equal_ast(text: str) -> None:
    """``str(parse(x))`` parses back to the same AST (columns aside)."""
    node = parse(text)

    assert bare(node) == bare(parse(str(node)))


@pytest.mark.parametrize(("value", "text"), [
    (True, "true"), (False, "false"), (3, "3"), (-2, "-2"), (2.5, "2.5"),
    ("x", '"x"'), ('a"b', '"a\\"b"'), (dt.date(2024, 2, 29), "2024-02-29"),
    ((1, "a"), '[1, "a"]'),
])
def test_render_literal(value: Any, text: str) -> None:
    """Literals render as they are written in a rule file."""
    assert text == render_literal(value)


def test_render_does_not_contain_reparses() -> None:
    """``does not contain`` renders in its own syntax and parses back."""
    node = parse('s.c does not contain "z"')

    assert 's.c does not contain "z"' == str(node)
    assert bare(node) == bare(parse(str(node)))


def test_render_float_keeps_every_digit() -> None:
    """A float literal renders with all its digits, so the condition keeps its meaning."""
    node = parse("procurement.value_gbp_inc_vat > 663540.5")

    assert "procurement.value_gbp_inc_vat > 663540.5" == str(node)


def test_render_large_float_reparses() -> None:
    """A rendered float of seven or more digits can be parsed again."""
    node = parse("procurement.value_gbp_inc_vat > 1234567.5")

    assert bare(node) == bare(parse(str(node)))


def test_render_backslash_text_reparses() -> None:
    """Text containing a backslash survives render and re-parse."""
    node = parse(r'x.y == "a\\b"')

    assert isinstance(node, Compare)
    assert "a\\b" == node.value
    assert bare(node) == bare(parse(str(node)))


# --- rendering, property-based ---------------------------------------------------------------

FACT_NAMES = st.sampled_from(["a", "regime", "ownership.employee_pct", "s.c", "x_1.y_2"])
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
# text without line breaks (a condition is one line); quotes and backslashes included
TEXT = st.text(st.characters(min_codepoint=32, blacklist_categories=("Cs",)), max_size=12)
SCALARS = st.one_of(st.booleans(), st.integers(-10**12, 10**12), FLOATS, TEXT,
                    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))


@st.composite
def compares(draw: st.DrawFn) -> Compare:
    """One comparison of any operator."""
    fact = draw(FACT_NAMES)
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains",
                               "not contains", "known", "unknown"]))
    measure = draw(st.sampled_from(["value", "value", "years_since"]))
    if op in ("known", "unknown"):
        return Compare(fact, op, None, measure)
    if op in ("in", "not in"):
        return Compare(fact, op, tuple(draw(st.lists(SCALARS, min_size=1, max_size=4))),
                       measure)
    return Compare(fact, op, draw(SCALARS), measure)


def nesting(node: Condition) -> int:
    """How deep the rendered text of ``node`` nests (``not (`` counts twice, ``(`` once)."""
    if isinstance(node, Compare):
        return 0
    if isinstance(node, Not):
        return 2 + nesting(node.item)
    return max(nesting(i) + isinstance(i, All | Any_) for i in node.items)


conditions = st.recursive(
    compares(),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: All(tuple(xs))),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: Any_(tuple(xs))),
    ),
    max_leaves=12,
).filter(lambda node: nesting(node) < MAX_DEPTH)


@given(conditions)
def test_rendered_ast_reparses_to_itself(node: Condition) -> None:
    """For any AST, ``parse(str(ast))`` is the same AST and renders to the same text."""
    text = str(node)
    again = parse(text)

    assert bare(node) == bare(again)
    assert text == str(again)


@given(st.text(max_size=60))
def test_parse_raises_only_syntax_errors(text: str) -> None:
    """Any text either parses or raises ConditionSyntaxError with a column inside it."""
    result: Condition | ConditionSyntaxError
    try:
        result = parse(text)
    except ConditionSyntaxError as error:
        result = error

    if isinstance(result, ConditionSyntaxError):
        assert 1 <= result.column <= len(text) + 1
        assert result.message
    else:
        assert list(atoms(result))
