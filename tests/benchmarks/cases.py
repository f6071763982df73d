"""Seeded, realistic random cases for the benchmarks (no Hypothesis: plain ``random.Random``).

Every fact comes from the vocabulary (``formselect.case.vocabulary.case_facts``), so a fact added to
the model is generated without touching this file. Each fact is unknown with probability
``unknown`` (default 0.25); values are what an adviser would type (money log-uniform between
£10,000 and £50m, dates 2000-2030, ownership stakes adding up to at most 100%), and the
cross-field contradictions of ``vocabulary.cross_field_problems`` are avoided, so every
generated case is valid.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from formselect.case.io import case_from_dict
from formselect.case.kinds import FactKind
from formselect.case.model import Case
from formselect.case.vocabulary import FactSpec, case_facts

__all__ = ["AS_OF_DATES", "case_data", "case_stream", "cases", "cases_with_unknowns"]

STAKES = ("ownership.employee_pct", "ownership.community_pct", "ownership.public_body_pct",
          "ownership.private_partner_pct")
# Assessment dates spread over every procurement regime the rules know (2006 to 2030).
AS_OF_DATES = tuple(dt.date(2006, 2, 1) + dt.timedelta(days=173 * i) for i in range(52))
_DAY0 = dt.date(2000, 1, 1).toordinal()
_DAYS = dt.date(2030, 12, 31).toordinal() - _DAY0


def _value(rng: random.Random, name: str, spec: FactSpec) -> object:
    kind = spec.kind
    if kind is FactKind.BOOL:
        return rng.random() < 0.5
    if kind is FactKind.ENUM:
        return rng.choice(spec.values)
    if kind is FactKind.SET:
        members = [v for v in spec.values if v != "none"]
        if "none" in spec.values and rng.random() < 0.2:
            return ["none"]
        return sorted(rng.sample(members, rng.randint(1, min(3, len(members)))))
    if kind is FactKind.DATE:
        return dt.date.fromordinal(_DAY0 + rng.randrange(_DAYS))
    if kind is FactKind.CODES:
        return [f"{rng.randrange(10_000_000, 99_999_999)}" for _ in range(rng.randint(1, 3))]
    if kind is FactKind.INT:
        high = min(int(spec.maximum or 1_000), 5_000)
        return rng.randint(int(spec.minimum or 0), high)
    if kind is FactKind.NUMBER:
        if spec.unit == "£":  # money: log-uniform between £10,000 and £50m, whole pounds
            return float(round(math.exp(rng.uniform(math.log(1e4), math.log(5e7)))))
        return round(rng.uniform(spec.minimum or 0.0, spec.maximum or 100.0), 2)
    return ""


def case_data(rng: random.Random, unknown: float = 0.25) -> dict[str, Any]:
    """One case in the case-file layout (plain data; unknown facts left out)."""
    values: dict[str, object] = {}
    for name, spec in case_facts().items():
        if name in STAKES or rng.random() < unknown:
            continue
        values[name] = _value(rng, name, spec)
    left = 100.0
    for name in rng.sample(STAKES, len(STAKES)):
        if rng.random() < unknown:
            continue
        stake = round(rng.uniform(0.0, left), 2) if rng.random() < 0.8 else 0.0
        left -= stake
        values[name] = stake
    # avoid the contradictions of vocabulary.cross_field_problems
    if values.get("transfer.staff_transfer") is False:
        values.pop("transfer.compulsory_transfer", None)
    if values.get("money.profit_distribution") == "reinvest_all":
        values["money.investor_payout_pct"] = 0.0
    data: dict[str, Any] = {}
    for name, value in values.items():
        section, _, field = name.partition(".")
        data.setdefault(section, {})[field] = value
    return data


def case_stream(seed: int, unknown: float = 0.25) -> Iterator[tuple[Case, dt.date]]:
    """An endless stream of (case, as_of) pairs, the same for the same seed."""
    rng = random.Random(seed)
    while True:
        yield case_from_dict(case_data(rng, unknown)), rng.choice(AS_OF_DATES)


def cases(n: int, seed: int = 1, unknown: float = 0.25) -> list[tuple[Case, dt.date]]:
    """``n`` (case, as_of) pairs."""
    stream = case_stream(seed, unknown)
    return [next(stream) for _ in range(n)]


def cases_with_unknowns(n_unknown: int, prefer: Sequence[str], seed: int = 7) -> Case:
    """A case with exactly ``n_unknown`` unknown facts, every other fact known.

    The unknown facts are taken first from ``prefer`` (the facts the pack's rules read, so
    that each is a real question), then from the rest of the vocabulary.
    """
    rng = random.Random(seed)
    names = [n for n in case_facts() if n != "service.cpv_codes"]
    chosen = [n for n in prefer if n in names][:n_unknown]
    rest = [n for n in names if n not in chosen]
    rng.shuffle(rest)
    chosen += rest[: n_unknown - len(chosen)]
    while True:
        data = case_data(rng, unknown=0.0)
        data.setdefault("service", {})["cpv_codes"] = ["85000000"]
        for name in chosen:
            section, _, field = name.partition(".")
            data.get(section, {}).pop(field, None)
        try:
            case = case_from_dict(data)
        except Exception:  # a rare contradiction: draw again
            continue
        unknown = [n for n in case_facts() if case.get(n) is None]
        if len(unknown) == n_unknown:
            return case
