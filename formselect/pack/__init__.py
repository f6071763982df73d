"""Rule files in, a checked :class:`Pack` out: the model, the raw schema, loading and checks.

Reads ``case`` (the fact vocabulary) and ``conditions``; ``engine`` runs the pack it makes.
"""

from .model import (
    DerivedFact,
    Option,
    Pack,
    Reference,
    Risk,
    Rule,
    Severity,
    Step,
    merge_derivations,
)

__all__ = [
    "DerivedFact",
    "Option",
    "Pack",
    "Reference",
    "Risk",
    "Rule",
    "Severity",
    "Step",
    "merge_derivations",
]
