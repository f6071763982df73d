"""Generate a portfolio of synthetic cases as CSV, for trying out ``formselect batch``.

    python examples/generate_portfolio.py 10000 -o portfolio.csv --malformed 3
    formselect batch portfolio.csv -o advice.csv

Every fact of the vocabulary gets a column (dotted name), known in about 70% of rows; the
cases are valid (stakes add up to at most 100%, no contradictions) except for the rows that
``--malformed`` spoils on purpose, which the batch must report by row number and skip. The
same ``--seed`` always gives the same file. The cases are random, not realistic: they are
for load and robustness, not for legal conclusions.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from formselect import case_facts
from formselect.case.kinds import FactKind

CPV_CODES = ("85000000-9", "85310000-5", "80000000-4", "92000000-1", "98000000-3")
FIRST_DAY = dt.date(2016, 1, 1)
LAST_DAY = dt.date(2026, 12, 31)
STAKES = ("ownership.employee_pct", "ownership.community_pct", "ownership.public_body_pct",
          "ownership.private_partner_pct")
SPOILERS: tuple[tuple[str, str], ...] = (
    ("ownership.employee_pct", "most of it"),
    ("service.parent_body", "councill"),
    ("as_of", "2025-02-30"),
    ("transfer.pension_schemes", "lgps;gold_plated"),
)


def columns() -> list[str]:
    """The CSV header: name, as_of, then every fact in vocabulary order."""
    return ["name", "as_of", *case_facts()]


def _value(rng: random.Random, name: str) -> Any:
    spec = case_facts()[name]
    kind = spec.kind
    if kind is FactKind.BOOL:
        return rng.random() < 0.5
    if kind is FactKind.ENUM:
        return rng.choice(spec.values)
    if kind is FactKind.SET:
        chosen = rng.sample(spec.values, rng.randint(1, min(3, len(spec.values))))
        return [v for v in chosen if v != "none"] or ["none"]  # 'none' stands alone
    if kind is FactKind.CODES:
        return rng.sample(CPV_CODES, rng.randint(1, 2))
    if kind is FactKind.DATE:
        return FIRST_DAY + dt.timedelta(rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    if spec.unit == "£":
        return round(10 ** rng.uniform(3, 8))
    if kind is FactKind.INT:
        high = spec.maximum if spec.maximum is not None else 500
        return rng.randint(int(spec.minimum or 0), int(min(high, 500)))
    low, high = spec.minimum or 0.0, min(spec.maximum or 100.0, 100.0)
    return round(rng.uniform(low, high), 1)


def _stakes(rng: random.Random, facts: dict[str, Any]) -> None:
    """Ownership stakes that add up to at most 100%."""
    known = [s for s in STAKES if rng.random() < 0.7]
    weights = [rng.random() for _ in known]
    total = sum(weights) or 1.0
    share = rng.choice((100.0, 100.0, 90.0, 60.0))  # often fully allocated
    for stake, weight in zip(known, weights, strict=True):
        facts[stake] = float(int(share * weight / total))


def case_facts_for(rng: random.Random, known: float = 0.7) -> dict[str, Any]:
    """Random valid facts (dotted names) for one case: ranges respected, and the
    cross-field contradictions of ``vocabulary.cross_field_problems`` avoided."""
    facts: dict[str, Any] = {}
    for name in case_facts():
        if name not in STAKES and rng.random() < known:
            facts[name] = _value(rng, name)
    _stakes(rng, facts)
    facts["procurement.start_date"] = _value(rng, "procurement.start_date")  # as_of default
    if facts.get("transfer.compulsory_transfer") is True:
        facts["transfer.staff_transfer"] = True
    if facts.get("money.profit_distribution") == "reinvest_all":
        facts.pop("money.investor_payout_pct", None)
    # checking each case here would double the time; the tests check that only the spoiled
    # rows of a generated portfolio are errors
    return facts


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def spoiled_rows(count: int, malformed: int) -> dict[int, tuple[str, str]]:
    """Which rows (1-based) are spoiled, and how: spread evenly through the file."""
    if malformed <= 0 or count <= 0:
        return {}
    step = max(count // malformed, 1)
    rows = [min(1 + step // 2 + i * step, count) for i in range(malformed)]
    return {row: SPOILERS[i % len(SPOILERS)] for i, row in enumerate(rows)}


def rows(count: int, seed: int = 1, malformed: int = 0) -> Iterator[list[str]]:
    """The data rows of a portfolio of ``count`` cases."""
    rng = random.Random(seed)
    spoiled = spoiled_rows(count, malformed)
    header = columns()
    for row in range(1, count + 1):
        facts = case_facts_for(rng)
        facts["name"] = f"Case {row:06d}"
        if rng.random() < 0.3:
            facts["as_of"] = _value(rng, "procurement.start_date")
        if row in spoiled:
            column, bad = spoiled[row]
            facts[column] = bad
        yield [_cell(facts.get(column)) for column in header]


def write(path: Path | str, count: int, seed: int = 1, malformed: int = 0) -> Path:
    """Write a portfolio CSV; returns its path."""
    out = Path(path)
    with out.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(columns())
        writer.writerows(rows(count, seed, malformed))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate_portfolio.py N -o FILE [--seed S] [--malformed K]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("count", type=int, help="number of cases")
    parser.add_argument("-o", "--output", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--malformed", type=int, default=0,
                        help="spoil this many rows on purpose (spread through the file)")
    args = parser.parse_args(argv)
    write(args.output, args.count, args.seed, args.malformed)
    for row, (column, bad) in spoiled_rows(args.count, args.malformed).items():
        print(f"row {row}: {column} = {bad!r} (spoiled on purpose)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
