"""What the adviser knows: the case, its enums, fact kinds, vocabulary and case files.

The first stage: a case file, dict or :class:`Case` comes in; ``engine.view`` reads it next.
"""

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
