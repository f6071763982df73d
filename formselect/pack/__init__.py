"""Rule files in, a checked :class:`Pack` out: the model, the raw schema, loading and checks.

Reads ``case`` (the fact vocabulary) and ``conditions``; ``engine`` runs the pack it makes.
"""

from formselect.deprecated import moved_attribute

from .model import (
    DerivedFact,
    Option,
    Pack,
    Prior,
    Property,
    PropertyValue,
    Reference,
    Risk,
    Rule,
    Severity,
    Step,
    WeightChange,
    merge_derivations,
)

__all__ = [
    "DerivedFact",
    "Option",
    "Pack",
    "Prior",
    "Property",
    "PropertyValue",
    "Reference",
    "Risk",
    "Rule",
    "Severity",
    "Step",
    "WeightChange",
    "merge_derivations",
]


def __getattr__(name: str) -> object:
    """A name the old ``formselect.pack`` module held, from ``pack.model`` (deprecated)."""
    return moved_attribute(__name__, name)
