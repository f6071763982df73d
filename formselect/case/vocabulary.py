"""The fact vocabulary: every case fact with its kind, allowed values, range and wording.

Built from the attrs model in ``case`` so that the condition checker, the README table,
the interview and the loaders can never drift from the model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import attrs

from formselect.errors import did_you_mean

from .kinds import FactKind, TypeInfo, type_info
from .model import Case, cross_field_problems

__all__ = ["FactSpec", "case_facts", "cross_field_problems", "did_you_mean", "fact_spec",
           "vocabulary_markdown"]

SECTIONS = ("service", "ownership", "money", "membership", "procurement", "transfer")


@attrs.frozen
class FactSpec:
    """One fact a condition may read: a case fact (``section.field``) or a derived fact."""

    name: str
    info: TypeInfo
    description: str = ""
    question: str = ""
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    derived: bool = False

    @property
    def kind(self) -> FactKind:
        """The kind of value the fact holds."""
        return self.info.kind

    @property
    def values(self) -> tuple[str, ...]:
        """Allowed values of an enumeration or set fact."""
        return self.info.values

    @property
    def section(self) -> str:
        """The case section (``ownership``), or ``""`` for a derived fact."""
        return "" if self.derived else self.name.partition(".")[0]


def _section_class(section: str) -> type:
    cls = attrs.fields_dict(Case)[section].type
    assert isinstance(cls, type)
    return cls


@cache
def case_facts() -> Mapping[str, FactSpec]:
    """Every case fact by dotted name, in model order."""
    specs: dict[str, FactSpec] = {}
    for section in SECTIONS:
        for field in attrs.fields(_section_class(section)):
            meta = field.metadata
            name = f"{section}.{field.name}"
            specs[name] = FactSpec(
                name=name, info=type_info(field.type), description=meta["description"],
                question=meta["question"], unit=meta.get("unit", ""),
                minimum=meta.get("min"), maximum=meta.get("max"))
    return specs


def fact_spec(name: str) -> FactSpec | None:
    """The spec of a case fact, or None."""
    return case_facts().get(name)


def section_fields(section: str) -> Iterator[attrs.Attribute[Any]]:
    """The attrs fields of one case section."""
    yield from attrs.fields(_section_class(section))


def vocabulary_markdown() -> str:
    """The fact vocabulary as a Markdown table (used for the README)."""
    lines = ["| fact | kind | allowed values | meaning |", "|---|---|---|---|"]
    for spec in case_facts().values():
        if spec.values:
            allowed = ", ".join(f"`{v}`" for v in spec.values)
        elif spec.minimum is not None:
            allowed = f"{spec.minimum:g} to {spec.maximum:g} {spec.unit}".strip()
        else:
            allowed = ""
        kind = {FactKind.SET: "list", FactKind.CODES: "list of codes"}.get(spec.kind,
                                                                          str(spec.kind))
        lines.append(f"| `{spec.name}` | {kind} | {allowed} | {spec.description} |")
    return "\n".join(lines)
