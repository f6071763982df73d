"""The condition language of rule files: parsed into a small AST, never passed to ``eval``.

A condition reads like the law it encodes::

    ownership.employee_pct > 50 and money.asset_lock is "required"
    not money.charitable_status and years_since(procurement.prior_reserved_award_date) < 3
    service.parent_body in ["council", "combined_authority"]
    transfer.pension_schemes contains "lgps"
    ownership.private_partner_pct is unknown

Grammar (informal)::

    expr     := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | "(" expr ")" | test
    test     := operand [op literal | "is" ["not"] (literal | "known" | "unknown")
                | ["not"] "in" list | "contains" (literal | "any" list)
                | "does" "not" "contain" literal]
    operand  := fact | "years_since" "(" fact ")"
    literal  := number | "text" | true | false | YYYY-MM-DD ;  list := "[" literal, ... "]"

A bare boolean fact (``money.charitable_status``) means ``money.charitable_status is true``.
Comparisons are always between one fact and literals: facts are never compared with facts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import TypeAlias

import attrs

__all__ = [
    "MAX_ATOMS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "All",
    "Any_",
    "Compare",
    "Condition",
    "ConditionSyntaxError",
    "Literal",
    "Not",
    "atoms",
    "facts_read",
    "parse",
]

MAX_LENGTH = 4_000  # characters in one condition
MAX_DEPTH = 24  # nesting of and / or / not / parentheses
# comparisons in one condition, counting each value of an `in` list: a bound of the language,
# set by the engine (durable_rules corrupts its heap when more than 64 alternatives hold for
# one fact; see engine/durable.py, STACK_BUDGET)
MAX_ATOMS = 48

Scalar: TypeAlias = bool | int | float | str | dt.date
Literal: TypeAlias = Scalar | tuple[Scalar, ...]

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
           "in": "not in", "not in": "in", "contains": "not contains",
           "not contains": "contains", "known": "unknown", "unknown": "known"}


class ConditionSyntaxError(ValueError):
    """A condition could not be parsed; ``column`` is 1-based within the condition."""

    def __init__(self, message: str, column: int, expected: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.expected = expected


@attrs.frozen(cache_hash=True)
class Compare:
    """``fact op value``; ``measure`` is ``"value"`` or ``"years_since"`` (years before as_of)."""

    fact: str
    op: str
    value: Literal = None  # type: ignore[assignment]  # unused for known / unknown
    measure: str = "value"
    column: int = attrs.field(default=0, eq=False)  # where it was written, not what it means

    def negated(self) -> Compare:
        """The comparison that is definitely true exactly when this one is definitely false."""
        return attrs.evolve(self, op=NEGATED[self.op])

    def __str__(self) -> str:
        left = f"years_since({self.fact})" if self.measure == "years_since" else self.fact
        if self.op in ("known", "unknown"):
            return f"{left} is {self.op}"
        op = "does not contain" if self.op == "not contains" else self.op
        return f"{left} {op} {render_literal(self.value)}"


@attrs.frozen(cache_hash=True)
class All:
    """Every item holds."""

    items: tuple[Condition, ...]

    def __str__(self) -> str:
        return " and ".join(_wrap(i) for i in self.items)


@attrs.frozen(cache_hash=True)
class Any_:
    """At least one item holds."""

    items: tuple[Condition, ...]

    def __str__(self) -> str:
        return " or ".join(_wrap(i) for i in self.items)


@attrs.frozen(cache_hash=True)
class Not:
    """The item does not hold."""

    item: Condition

    def __str__(self) -> str:
        return f"not ({self.item})"


Condition: TypeAlias = Compare | All | Any_ | Not


def _wrap(node: Condition) -> str:
    return f"({node})" if isinstance(node, All | Any_) else str(node)


def render_literal(value: Literal) -> str:
    """A literal as it is written in a rule file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(render_literal(v) for v in value) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # every digit, never an exponent (the tokenizer reads plain decimals only)
        text = format(Decimal(repr(value)), "f")
        return text if "." in text or not value.is_integer() else text + ".0"
    return str(value)


def atoms(node: Condition) -> Iterator[Compare]:
    """Every comparison in a condition, left to right."""
    if isinstance(node, Compare):
        yield node
    elif isinstance(node, Not):
        yield from atoms(node.item)
    else:
        for item in node.items:
            yield from atoms(item)


def facts_read(node: Condition) -> tuple[str, ...]:
    """The facts a condition reads, in first-use order, without repeats."""
    return tuple(dict.fromkeys(a.fact for a in atoms(node)))


# --- tokenizer -------------------------------------------------------------------------

# digits are ASCII only: \d would also read Arabic-Indic or full-width digits as 50, one
# number shown to the reader and another meant
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}(?![\w.]))
  | (?P<number>-?[0-9][0-9_]*(\.[0-9]+)?(?![\w.]))
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
""", re.VERBOSE)

KEYWORDS = {"and", "or", "not", "in", "is", "contains", "does", "contain", "any", "known",
            "unknown", "true", "false", "years_since"}


@attrs.frozen
class _Token:
    kind: str
    text: str
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ConditionSyntaxError(f"unexpected character {text[pos]!r}", pos + 1,
                                       "a fact name, a literal or an operator")
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "name" and "__" in value:
            # double underscores are how Python reaches its internals; no fact uses them
            raise ConditionSyntaxError(f"names may not contain '__' ({value!r})", pos + 1,
                                       "a fact name such as ownership.employee_pct")
        if kind != "space":
            tokens.append(_Token(kind, value, pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


# --- parser ----------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0
        self.count = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.token
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        if self.token.text == text and self.token.kind in ("name", "op"):
            self.index += 1
            return True
        return False

    def expect(self, text: str, what: str) -> None:
        if not self.accept(text):
            self.fail(f"expected {what}", what)

    def fail(self, message: str, expected: str) -> None:
        found = self.token.text or "the end of the condition"
        raise ConditionSyntaxError(f"{message}, found {found!r}", self.token.column, expected)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionSyntaxError(f"condition nested more than {MAX_DEPTH} levels deep",
                                       self.token.column, "a flatter condition")

    def expr(self) -> Condition:
        self.nest()
        items = [self.conjunction()]
        while self.accept("or"):
            items.append(self.conjunction())
        self.depth -= 1
        return items[0] if len(items) == 1 else Any_(tuple(items))

    def conjunction(self) -> Condition:
        items = [self.negation()]
        while self.accept("and"):
            items.append(self.negation())
        return items[0] if len(items) == 1 else All(tuple(items))

    def negation(self) -> Condition:
        if self.accept("not"):
            self.nest()
            negated = Not(self.negation())
            self.depth -= 1
            return negated
        if self.accept("("):
            node = self.expr()
            self.expect(")", "')'")
            return node
        return self.test()

    def operand(self) -> tuple[str, str, int]:
        token = self.token
        if token.kind == "name" and token.text == "years_since":
            self.take()
            self.expect("(", "'(' after years_since")
            fact = self.fact_name()
            self.expect(")", "')'")
            return fact, "years_since", token.column
        return self.fact_name(), "value", token.column

    def fact_name(self) -> str:
        token = self.token
        if token.kind != "name" or token.text in KEYWORDS:
            self.fail("expected a fact name", "a fact such as ownership.employee_pct")
        self.take()
        return token.text

    def test(self) -> Condition:
        self.count += 1
        if self.count > MAX_ATOMS:
            raise ConditionSyntaxError(f"more than {MAX_ATOMS} comparisons in one condition",
                                       self.token.column, "a shorter condition")
        fact, measure, column = self.operand()

        def node(op: str, value: Literal | None = None) -> Compare:
            return Compare(fact, op, value, measure, column)  # type: ignore[arg-type]

        token = self.token
        if token.kind == "op" and token.text in COMPARISONS:
            self.take()
            return node(token.text, self.literal())
        if self.accept("is"):
            negate = self.accept("not")
            if self.accept("known"):
                return node("unknown" if negate else "known")
            if self.accept("unknown"):
                return node("known" if negate else "unknown")
            return node("!=" if negate else "==", self.literal())
        if self.accept("not"):
            self.expect("in", "'in' after 'not'")
            return node("not in", self.literal_list())
        if self.accept("in"):
            return node("in", self.literal_list())
        if self.accept("contains"):
            if self.accept("any"):
                values = self.literal_list()
                if len(values) == 1:
                    return node("contains", values[0])
                return Any_(tuple(node("contains", v) for v in values))
            return node("contains", self.literal())
        if self.accept("does"):
            self.expect("not", "'not' after 'does'")
            self.expect("contain", "'contain'")
            return node("not contains", self.literal())
        # a bare fact: true when the (boolean) fact is true
        return node("==", True)

    def literal(self) -> Scalar:
        token = self.take()
        if token.kind == "number":
            text = token.text.replace("_", "")
            return float(text) if "." in text else int(text)
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "date":
            try:
                return dt.date.fromisoformat(token.text)
            except ValueError:
                raise ConditionSyntaxError(f"{token.text!r} is not a real date", token.column,
                                           "a date such as 2025-02-24") from None
        if token.kind == "name" and token.text in ("true", "false"):
            return token.text == "true"
        self.index -= 1
        self.fail("expected a value", 'a number, "text", true, false or a date')
        raise AssertionError  # unreachable: fail() raises

    def literal_list(self) -> tuple[Scalar, ...]:
        self.expect("[", "'[' to start a list")
        values = [self.literal()]
        while self.accept(","):
            values.append(self.literal())
            self.count += 1  # each value is an alternative the engine tests
            if self.count > MAX_ATOMS:
                raise ConditionSyntaxError(f"more than {MAX_ATOMS} comparisons in one "
                                           "condition (list values count)",
                                           self.token.column, "a shorter condition")
        self.expect("]", "']' to end the list")
        return tuple(values)


def parse(text: str) -> Condition:
    """Parse a condition; raises :class:`ConditionSyntaxError` with a column."""
    if len(text) > MAX_LENGTH:
        raise ConditionSyntaxError(f"condition longer than {MAX_LENGTH} characters", 1,
                                   "a shorter condition (split it into derived facts)")
    if not text.strip():
        raise ConditionSyntaxError("empty condition", 1, "a condition such as "
                                   "money.charitable_status is true")
    parser = _Parser(text)
    node = parser.expr()
    if parser.token.kind != "end":
        parser.fail("expected 'and', 'or' or the end of the condition", "'and' or 'or'")
    return node
