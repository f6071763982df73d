"""The condition language of rule files: syntax, type checking, satisfiability, Kleene truth.

Rule files' ``when`` text is parsed here (never evaluated as Python); ``pack`` loads rules
with the parsed conditions, and ``engine`` evaluates them.
"""

from .syntax import (
    MAX_ATOMS,
    MAX_DEPTH,
    MAX_LENGTH,
    All,
    Any_,
    Compare,
    Condition,
    ConditionSyntaxError,
    Literal,
    Not,
    atoms,
    facts_read,
    parse,
)

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
