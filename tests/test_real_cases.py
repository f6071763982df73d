"""Agreement with real public service mutuals (tests/scenarios/real): how often formselect's
first (and second) form family is the family the organisation really registered, and whether
its route matches the route the public body used.

Each file is also a golden scenario (the plugin runs it): it holds the facts an adviser could
have known at the time, each with its source, and the actual outcome, never read as a fact.
Run ``python -m tests.test_real_cases`` for the table the README reports.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from formselect import Status, advise
from formselect.advice import Advice
from formselect.scenarios import family_rank

REAL = Path(__file__).resolve().parent / "scenarios" / "real"
TOP1_TARGET = 0.75
TOP2_TARGET = 0.95
SECTORS_REQUIRED = {"nhs_community_services", "council_adult_services",
                    "council_childrens_services", "libraries_leisure_culture", "youth_services",
                    "worker_cooperative", "joint_venture"}


def load() -> list[tuple[Path, dict[str, Any], Advice]]:
    """Every real case with its advice."""
    found = []
    for path in sorted(REAL.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        case = {**data["case"], "name": data["name"]}
        found.append((path, data, advise(case, as_of=data["as_of"])))
    return found


@pytest.fixture(scope="module")
def cases() -> list[tuple[Path, dict[str, Any], Advice]]:
    return load()


def measured(cases: list[tuple[Path, dict[str, Any], Advice]]
             ) -> list[tuple[Path, dict[str, Any], Advice]]:
    """The cases agreement is measured on: the actual form's family is verified, and the date
    is within the rule pack's coverage."""
    return [(p, d, a) for p, d, a in cases if d.get("actual_family_verified", True)
            and a.status is not Status.OUT_OF_COVERAGE]


def agreement(cases: list[tuple[Path, dict[str, Any], Advice]]) -> dict[str, float]:
    rows = measured(cases)
    ranks = [family_rank(a, d["actual_form"]) for _, d, a in rows]
    routed = [(d, a) for _, d, a in rows if a.pack is not None
              and d["actual_route"] in {r.id for r in a.pack.routes}]
    return {"cases": len(rows),
            "top1": sum(r == 1 for r in ranks) / len(rows),
            "top2": sum(r is not None and r <= 2 for r in ranks) / len(rows),
            "routes": len(routed),
            "route_agreement": (sum(a.procurement.recommended_route == d["actual_route"]
                                    for d, a in routed) / len(routed)) if routed else 0.0,
            # the actual route is the recommended one, or one of its "if ... then" alternatives
            "route_reached": (sum(d["actual_route"] in {a.procurement.recommended_route,
                                                        *(c.route for c in
                                                          a.procurement.conditional)}
                                  for d, a in routed) / len(routed)) if routed else 0.0}


def test_the_set_is_real_and_large_enough(cases: list[tuple[Path, dict[str, Any], Advice]]
                                          ) -> None:
    assert len(cases) >= 30
    sectors = Counter(d["sector"] for _, d, _ in cases)
    assert SECTORS_REQUIRED <= set(sectors), sectors
    for path, data, _ in cases:
        assert data["sources"], path.name
        assert all(s["url"].startswith(("https://", "http://")) for s in data["sources"])


def test_every_fact_cites_a_source_in_its_file() -> None:
    """Each fact line in a [case.*] table has a comment above it (shared by consecutive facts)
    naming a source number that the file's `sources` list holds."""
    for path in sorted(REAL.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        numbers = {s["n"] for s in tomllib.loads(text)["sources"]}
        lines = text.splitlines()
        section = ""
        for i, line in enumerate(lines):
            if line.startswith("["):
                section = line
                continue
            if not section.startswith("[case.") or not re.match(r"[a-z_]+ = ", line):
                continue
            comments: list[str] = []
            for above in reversed(lines[:i]):
                if above.startswith("#"):
                    comments.append(above)
                elif comments or not re.match(r"[a-z_]+ = ", above):
                    break
            cited = {int(n) for c in comments for n in re.findall(r"\[(\d+)\]", c)}
            assert cited, f"{path.name}:{i + 1}: {line!r} has no [n] source comment"
            assert cited <= numbers, f"{path.name}:{i + 1}: cites {cited - numbers}"


def test_the_outcome_is_never_a_fact() -> None:
    """No case fact restates the registered form: the case sections hold no key naming a
    form, and `actual_*` keys sit outside them."""
    for path in sorted(REAL.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for section, facts in data["case"].items():
            for value in facts.values():
                assert value != data["actual_form"], (path.name, section)


def test_agreement_meets_the_targets(cases: list[tuple[Path, dict[str, Any], Advice]]) -> None:
    result = agreement(cases)
    assert result["cases"] >= 30
    assert result["top1"] >= TOP1_TARGET, result
    assert result["top2"] >= TOP2_TARGET, result


def test_no_recommendation_is_left_to_the_alphabet(
        cases: list[tuple[Path, dict[str, Any], Advice]]) -> None:
    for path, _, advice in cases:
        if advice.status is Status.TIE:
            assert advice.tie_break is not None, path.name
            assert "prior" == advice.tie_break.by, path.name
            assert advice.recommended == advice.tie_break.tied[0], path.name


def test_a_spin_out_before_the_pack_is_out_of_coverage(
        cases: list[tuple[Path, dict[str, Any], Advice]]) -> None:
    early = [(p, a) for p, d, a in cases if d["as_of"] < a.pack.coverage_start]  # type: ignore[union-attr]
    assert early, "the set should hold a spin-out from before the pack's coverage"
    for path, advice in early:
        assert Status.OUT_OF_COVERAGE == advice.status, path.name


def table(cases: list[tuple[Path, dict[str, Any], Advice]]) -> str:
    """The agreement table in Markdown, one row per case."""
    lines = ["| case | sector | as of | actual form | formselect | family rank | route "
             "(actual / formselect) |", "|---|---|---|---|---|---|---|"]
    for path, data, advice in cases:
        rank = family_rank(advice, data["actual_form"])
        shown = advice.recommended or advice.status.value
        if advice.status is Status.TIE:
            shown += " (tie, prior)"
        counted = "" if data.get("actual_family_verified", True) else " (not counted)"
        lines.append(f"| {path.stem} | {data['sector']} | {data['as_of']} | "
                     f"{data['actual_form']}{counted} | {shown} | {rank or '-'} | "
                     f"{data['actual_route']} / {advice.procurement.recommended_route} |")
    result = agreement(cases)
    lines.append("")
    lines.append(f"Measured on {result['cases']} cases: top-1 family {result['top1']:.0%}, "
                 f"top-2 family {result['top2']:.0%}; route on {result['routes']} cases with a "
                 f"known route: {result['route_agreement']:.0%} recommended, "
                 f"{result['route_reached']:.0%} recommended or offered as \"if ... then\".")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(load()))
