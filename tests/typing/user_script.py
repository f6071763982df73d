"""An adviser's script as a user writes it, checked by ``mypy --strict`` (tests/typing and CI).

Plain strings and lists where the model holds enums, sets and dates, as the README shows;
mypy must accept them, and must still see the attributes' real types when they are read.
"""

from __future__ import annotations

import datetime as dt

import formselect
from formselect import (
    Advice,
    Case,
    Money,
    Ownership,
    ParentBody,
    ProcurementFacts,
    Service,
    ServiceCategory,
    Transfer,
)


def leeds_libraries() -> Case:
    """A case written in Python with the plain values an adviser types."""
    return Case(
        name="Leeds libraries",
        service=Service(parent_body="council", jurisdiction="england",
                        categories=["libraries_and_archives",
                                    ServiceCategory.LEISURE_CULTURE_SPORT],
                        cpv_codes=["92511000"], staff_count=120),
        ownership=Ownership(employee_pct=60, community_pct=40, board_control="shared"),
        money=Money(asset_lock="required", profit_distribution="reinvest_all"),
        procurement=ProcurementFacts(start_date="2026-04-01", value_gbp_inc_vat=4_500_000.0,
                                     term_years=5),
        transfer=Transfer(staff_transfer=True, pension_schemes={"lgps"}),
    )


def summary(advice: Advice) -> str:
    """Reading the data back: the attributes have the model's types."""
    body: ParentBody | None = advice.case.service.parent_body
    start: dt.date | None = advice.case.procurement.start_date
    route = advice.procurement.recommended_route or "no route"
    return f"{advice.recommended} by {route} ({body}, from {start})"


def main() -> None:
    """Advise on the case and print a one-line summary."""
    advice = formselect.advise(leeds_libraries())
    print(summary(advice))


if __name__ == "__main__":
    main()
