"""The exact bound on durable_rules' stack that cuts strata into stages (pure Python: runs
on every Python, whether or not durable_rules imports)."""

from __future__ import annotations

from formselect.conditions.syntax import parse
from formselect.engine import durable
from formselect.pack.model import Pack


def bound(*conditions: str) -> int:
    """The stack bound of one stage holding a rule per condition (all valid from one day)."""
    network = durable._Network()
    for text in conditions:
        pattern = durable.compile_condition(parse(text))
        parts = pattern["$and"] if set(pattern) == {"$and"} else [pattern]
        network.add({"$and": [{"stage": 0}, {"$gte": {"as_of": 730120}}, *parts]})
    return network.bound


def test_alternatives_that_hold_together_wait_together() -> None:
    """32 alternatives that can all hold, in each of two rules: 64 entries, the most the
    engine's stack holds (the boundary the hostile-pack tests run on the engine)."""
    one = " or ".join(f"service.staff_count > {j}" for j in range(32))
    two = " or ".join(f"service.staff_count > {100 + j}" for j in range(32))

    assert 32 == bound(one)
    assert 64 == bound(one, two)


def test_equal_values_of_one_fact_wait_as_one() -> None:
    """A fact has one value: the values of an 'in' list, or rules testing one fact for
    different values, put one entry on the stack however many there are."""
    rules = [f"service.category == '{c}'" for c in ("adult_social_care", "community_health",
                                                     "public_health", "leisure")]

    assert 1 == bound("service.category in ['adult_social_care', 'leisure', "
                      "'public_health']")
    assert 1 == bound(*rules)


def test_shared_tests_are_counted_once() -> None:
    """Rules that begin with the same test share its node (the engine's compiler does)."""
    assert 2 == bound("service.staff_count > 5 and money.asset_lock",
                      "service.staff_count > 5 and money.charitable_status",
                      "service.staff_count > 5")


def test_the_built_in_pack_needs_few_stages(builtin_pack: Pack) -> None:
    """Every stage of every span's ruleset of the built-in pack fits the budget, and the
    strata are cut only where the bound requires: far fewer stages than a sum over the
    rules would make."""
    plan = durable._Plan(builtin_pack)
    for span in plan.spans.spans:
        ruleset = durable._Ruleset(builtin_pack, plan, span)
        for stage, indexes in enumerate(ruleset.stages):
            network = durable._Network()
            for index in indexes:
                network.add(ruleset.pattern(index, stage))
            assert network.bound <= durable.STACK_BUDGET

        strata = len({builtin_pack.rules[p].stratum for p in span.rules})
        assert strata <= len(ruleset.stages) <= 2 * strata
