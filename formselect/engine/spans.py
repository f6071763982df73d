"""Validity spans: a pack's days, grouped so that on any one day the durable engine holds
little more than the rules in force on it.

A rule is in force from its ``valid_from`` to its ``valid_until`` (both inclusive, or for
ever). The days on which some rule starts or stops being in force (each ``valid_from``, and
the day after each ``valid_until``) cut time into *epochs*: on every day of one epoch the
same rules are in force. A ruleset per epoch would hold exactly the rules in force, but a
pack has many epochs (the built-in pack 49) whose rule sets differ by a rule or two, and
every ruleset costs the engine megabytes. So consecutive epochs are joined into one *span*
while the rules in force on some day of the span are at most 5/4 of the rules in force on
each of its days: a case then meets at most a quarter more rules than are in force on its
date (built-in pack: 8 spans holding 1,131 rules in all, against 49 epochs holding 7,170).
Days on which no rule is in force belong to no span.

A pack never has more than ``MAX_SPANS`` spans: where 5/4 would make more, the spans are
joined more loosely (``SLACKS``), and at the last one span holds every day, as one ruleset
held the whole pack before spans. So the engine's ``MAX_COMPILED`` rulesets can hold every
span of the pack in use, and cases spread over many dates never make it create a ruleset
again.

Days are proleptic ordinals (``date.toordinal()``), as the engine compares them.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import attrs

from formselect.pack.model import Rule

__all__ = ["MAX_SPANS", "SLACKS", "Span", "Spans", "validity_spans"]

# a span holds at most 5/4 of the rules in force on any of its days, unless that makes more
# than MAX_SPANS spans: then 3/2, then twice, then one span holds every day
SLACKS = ((5, 4), (3, 2), (2, 1))
MAX_SPANS = 12


@attrs.frozen
class Span:
    """Consecutive days and the rules in force on at least one of them."""

    first: int  # the first day
    last: int | None  # the last day; None: no end
    rules: tuple[int, ...]  # the rules' positions in the pack, ascending

    def always(self, rule: Rule) -> tuple[bool, bool]:
        """Whether ``rule`` (one of the span's) is in force from the span's first day on,
        and until its last day: where not, its pattern keeps that end of its validity."""
        starts = rule.valid_from.toordinal() <= self.first
        ends = rule.valid_until is None or (
            self.last is not None and rule.valid_until.toordinal() >= self.last)
        return starts, ends


@attrs.frozen
class Spans:
    """A pack's spans in order, found by day."""

    spans: tuple[Span, ...]
    firsts: tuple[int, ...]  # each span's first day, for bisection

    def at(self, day: int) -> Span | None:
        """The span holding ``day``; None when no rule is in force on it."""
        index = bisect.bisect_right(self.firsts, day) - 1
        if index < 0:
            return None
        span = self.spans[index]
        return span if span.last is None or day <= span.last else None


def validity_spans(rules: Sequence[Rule]) -> Spans:
    """The spans of ``rules`` (positions are indexes into ``rules``): joined within the first
    of ``SLACKS`` that makes at most ``MAX_SPANS``, else one span from the first day any
    rule is in force."""
    for slack in SLACKS:
        spans = _joined(rules, slack)
        if len(spans) <= MAX_SPANS:
            return Spans(spans, tuple(s.first for s in spans))
    first = min(r.valid_from.toordinal() for r in rules)
    return Spans((Span(first, None, tuple(range(len(rules)))),), (first,))


def _joined(rules: Sequence[Rule], slack: tuple[int, int]) -> tuple[Span, ...]:
    """The epochs of ``rules`` joined while a span holds at most ``slack`` (a fraction) of
    the rules in force on each of its days."""
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}  # by the first day a rule is no longer in force
    for position, rule in enumerate(rules):
        starts.setdefault(rule.valid_from.toordinal(), []).append(position)
        if rule.valid_until is not None:
            ends.setdefault(rule.valid_until.toordinal() + 1, []).append(position)
    spans: list[Span] = []
    in_force: set[int] = set()
    first = 0
    held: set[int] = set()  # the rules of the span being built
    fewest = 0  # the fewest rules in force on one of its days
    more, than = slack
    for day in sorted(starts.keys() | ends.keys()):
        in_force.difference_update(ends.get(day, ()))
        in_force.update(starts.get(day, ()))
        if held and (not in_force or than * len(held | in_force)
                     > more * min(fewest, len(in_force))):
            spans.append(Span(first, day - 1, tuple(sorted(held))))
            held = set()
        if in_force:
            if not held:
                first, fewest = day, len(in_force)
            held |= in_force
            fewest = min(fewest, len(in_force))
    if held:
        spans.append(Span(first, None, tuple(sorted(held))))
    return tuple(spans)
