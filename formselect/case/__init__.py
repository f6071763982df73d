"""What the adviser knows: the case, its enums, fact kinds, vocabulary and case files.

The first stage: a case file, dict or :class:`Case` comes in; ``engine.view`` reads it next.
"""

from formselect.deprecated import moved_attribute

from .model import (
    Case,
    Membership,
    Money,
    Ownership,
    Procurement,
    Service,
    Transfer,
    cross_field_problems,
)

__all__ = [
    "Case",
    "Membership",
    "Money",
    "Ownership",
    "Procurement",
    "Service",
    "Transfer",
    "cross_field_problems",
]


def __getattr__(name: str) -> object:
    """A name the old ``formselect.case`` module held, from ``case.model`` (deprecated)."""
    return moved_attribute(__name__, name)
