"""The condition language of rule files: syntax, type checking, satisfiability, Kleene truth.

Rule files' ``when`` text is parsed here (never evaluated as Python); ``pack`` loads rules
with the parsed conditions, and ``engine`` evaluates them.
"""

from formselect.deprecated import moved_attribute

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


def __getattr__(name: str) -> object:
    """A name the old ``formselect.conditions`` module held, from ``conditions.syntax``
    (deprecated)."""
    return moved_attribute(__name__, name)
