"""``[[override]]``: an extension pack switches off or replaces a rule of another pack by id.

An adviser who disagrees with one built-in rule need not replace the whole pack. The
override names the rule, says why and cites the law or policy relied on; every problem is
reported with its file and line. In the file that holds the ``[[override]]``:

- a ``[[rule]]`` with the same id *replaces* the other pack's rule;
- no such rule *switches the rule off*: it stays in the trace, never fires, and its
  conclusion reads "switched off: overridden by ...".
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from formselect.conditions.syntax import All, Compare
from formselect.errors import Problem, did_you_mean

from .model import Reference, Rule
from .schema import RawOverride, RawRule

__all__ = ["Override", "apply_overrides", "switch_off"]


@attrs.frozen
class Override:
    """A checked override: the rule, the note the trace shows, and the references cited."""

    rule: str
    note: str
    references: tuple[Reference, ...]
    replaced: bool


def apply_overrides(rules: list[tuple[RawRule, str, int, str]],
                    overrides: Sequence[tuple[RawOverride, str, str]],
                    problems: list[Problem]) -> dict[str, Override]:
    """Check each override (``(raw, located source, file)``) and drop, in place, the rules
    its file replaces; return the overrides by rule id."""
    found: dict[str, Override] = {}
    for raw, where, file in overrides:
        def report(path: str, message: str, found_value: object = None, expected: str = "",
                   suggestion: str = "", rule: str = raw.rule, source: str = where) -> None:
            problems.append(Problem(f"$.override{path}", message, found_value, expected,
                                    suggestion, source=source, rule=rule))

        own = [i for i, (r, source, *_) in enumerate(rules) if r.id == raw.rule
               and source == file]
        others = [i for i, (r, source, *_) in enumerate(rules) if r.id == raw.rule
                  and source != file]
        count = len(problems)
        if not others:
            report(".rule", "no rule of another pack to override", raw.rule,
                   "the id of a rule in the built-in pack or an earlier file",
                   did_you_mean(raw.rule, [r.id for r, *_ in rules]))
        if raw.rule in found:
            report(".rule", "rule overridden twice", raw.rule, "one [[override]] per rule")
        if not raw.reason.strip():
            report(".reason", "no reason", expected="why the rule does not apply (shown in "
                   "the trace)")
        if not raw.references:
            report(".references", "no citation", expected="at least one reference "
                   "(instrument, provision, url) for the law or policy relied on")
        for j, ref in enumerate(raw.references):
            if not ref.url.startswith("https://"):
                report(f".references[{j}].url", "not an https link", ref.url,
                       "https://...")
        if len(problems) > count:
            continue
        replaced_from = rules[others[0]][1]
        verb = "replaced" if own else "overridden"
        note = f"{verb} by {file}: {raw.reason.strip()} (the rule of {replaced_from})"
        found[raw.rule] = Override(
            raw.rule, note, tuple(Reference(r.instrument, r.provision, r.url, r.note)
                                  for r in raw.references), bool(own))
        if own:
            for i in sorted(others, reverse=True):
                del rules[i]
    return found


def switch_off(rule: Rule, override: Override) -> Rule:
    """The rule as overridden: a replacement keeps its effects and shows the note; a rule
    switched off keeps its place in the trace, has no effect and never fires (its condition
    also requires a day before it came into force)."""
    references = (*rule.references, *override.references)
    # the trace prints a rule's caveat whatever its outcome: the note goes there too
    caveat = "; ".join(c for c in (override.note, rule.caveat) if c)
    if override.replaced:
        return attrs.evolve(rule, override_note=override.note, references=references,
                            caveat=caveat)
    never = Compare("as_of", "<", rule.valid_from)
    return attrs.evolve(
        rule, condition=All((rule.condition, never)), exclude=(), favour={}, derive={},
        prefer={}, weight=0, risk=None, step=None, override_note=override.note,
        switched_off=True, references=references, caveat=caveat,
        explanation=f"Switched off: {override.note}.\n\n{rule.explanation}")
