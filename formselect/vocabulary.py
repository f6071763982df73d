"""The fact vocabulary: every case fact with its kind, allowed values, range and wording.

Built from the attrs model in ``case`` so that the condition checker, the README table,
the interview and the loaders can never drift from the model.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any

import attrs

from .case import Case
from .enums import PensionScheme, ProfitDistribution
from .errors import Problem
from .facttypes import FactKind, TypeInfo, type_info

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


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A suggestion such as ``did you mean 'employee_pct'?``, or ``""``."""
    pool = list(candidates)
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not matches:
        # a fact written without its section, or in the wrong section
        tail = word.rpartition(".")[2]
        matches = [c for c in pool if c.rpartition(".")[2] == tail][:1]
    return f"did you mean {matches[0]!r}?" if matches else ""


def cross_field_problems(case: Case) -> list[Problem]:
    """Facts that are each valid but contradict one another."""
    problems: list[Problem] = []
    own = case.ownership
    stakes = [own.employee_pct, own.community_pct, own.public_body_pct, own.private_partner_pct]
    total = sum(s for s in stakes if isinstance(s, int | float) and not isinstance(s, bool))
    if total > 100.000_1:
        problems.append(Problem(
            "ownership", "the stakes add up to more than 100%", found=round(total, 4),
            expected="employee_pct + community_pct + public_body_pct + private_partner_pct "
            "<= 100", suggestion="check each holder's percentage of the votes"))
    tr = case.transfer
    if tr.compulsory_transfer is True and tr.staff_transfer is False:
        problems.append(Problem(
            "transfer.compulsory_transfer", "a compulsory transfer needs staff to transfer",
            found=True, expected="false or unknown while transfer.staff_transfer is false"))
    schemes = tr.pension_schemes
    if isinstance(schemes, frozenset) and PensionScheme.NONE in schemes and len(schemes) > 1:
        problems.append(Problem(
            "transfer.pension_schemes", "'none' cannot be combined with a scheme",
            found=sorted(str(s) for s in schemes), expected="either ['none'] or the schemes"))
    money = case.money
    payout = money.investor_payout_pct
    if money.profit_distribution is ProfitDistribution.REINVEST_ALL and isinstance(
            payout, int | float) and payout > 0:
        problems.append(Problem(
            "money.investor_payout_pct", "investors cannot be paid when all profit is "
            "reinvested", found=payout,
            expected="0 or unknown while money.profit_distribution is 'reinvest_all'"))
    return problems


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
