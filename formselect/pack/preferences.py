"""Preferences over form properties: the checks and the expansion into per-form weights.

A form is described by cited properties (``[[property]]`` tables, values set on each
``[[form]]``). A rule with ``prefer = { property = [values] }`` and a ``weight`` favours every
form whose properties take one of the listed values (all listed properties must match), so
the ranking follows from what each form *is*, not from a list of form names. The expansion
happens once, when the pack is loaded: the rule's ``favour`` then holds the forms and weights,
and every later stage (engine, ranking, certainty, why-not) reads it unchanged.

An extension pack can change a preference's weight with a ``[[weight]]`` table; the change and
its reason are kept on the rule and shown in the trace. ``[prior]`` gives how common each form
is in practice, used only to order forms the facts leave level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from formselect.errors import Problem, did_you_mean

from .check import check_references
from .model import Option, Prior, Property, PropertyValue, Reference, Rule
from .schema import RawPrior, RawProperty, RawReference, RawRule, RawWeight, located

__all__ = ["MAX_WEIGHT", "apply_weight_changes", "build_prior", "build_properties",
           "check_form_properties", "expand_preferences", "note_weight_changes"]

MAX_WEIGHT = 10  # a preference's weight; exclusions, not weights, express what the law forbids


def _references(raw: Sequence[RawReference]) -> tuple[Reference, ...]:
    return tuple(Reference(r.instrument, r.provision, r.url, r.note) for r in raw)


def build_properties(raw: Sequence[tuple[RawProperty, str]],
                     problems: list[Problem]) -> tuple[Property, ...]:
    """The declared properties, each once, with their values."""
    found: dict[str, tuple[Property, str]] = {}
    for item, source in raw:
        if item.id in found:
            problems.append(Problem("$.property.id", "property declared twice", item.id,
                                    "a unique id", f"first declared in {found[item.id][1]}",
                                    source=source))
            continue
        values: list[PropertyValue] = []
        for value in item.value:
            if any(v.id == value.id for v in values):
                problems.append(Problem("$.property.value.id", "value declared twice",
                                        value.id, f"unique values of property {item.id!r}",
                                        source=source))
                continue
            if not value.references:
                problems.append(Problem("$.property.value.references", "no reference",
                                        f"{item.id} = {value.id}", "at least one reference "
                                        "to the law that gives forms this value",
                                        source=source))

            def report(path: str, message: str, found: object = None, expected: str = "",
                       where: str = f"$.property.{item.id}.value.{value.id}",
                       source: str = source) -> None:
                problems.append(Problem(where + path, message, found, expected,
                                        source=source))

            check_references(value.references, report)
            values.append(PropertyValue(value.id, value.description.strip(),
                                        _references(value.references), value.analysis))
        if not values:
            problems.append(Problem("$.property.value", "a property without values", item.id,
                                    "one or more [[property.value]] tables", source=source))
        found[item.id] = (Property(item.id, item.name, item.description.strip(),
                                   tuple(values)), source)
    return tuple(sorted((p for p, _ in found.values()), key=lambda p: p.id))


def check_form_properties(options: Mapping[str, tuple[Option, str]],
                          properties: Sequence[Property], problems: list[Problem]) -> None:
    """Every form gives a declared value for every declared property; routes give none."""
    by_id = {p.id: p for p in properties}
    for option, source in options.values():
        if option.kind == "route":
            if option.properties or option.family:
                problems.append(Problem(f"$.route.{option.id}", "a route has no properties "
                                        "or family", option.id, "properties and family only "
                                        "on [[form]] tables", source=source))
            continue
        for name, value in option.properties.items():
            prop = by_id.get(name)
            if prop is None:
                problems.append(Problem(f"$.form.{option.id}.properties.{name}",
                                        "unknown property", name,
                                        "a property declared by [[property]]",
                                        did_you_mean(name, list(by_id)), source=source))
            elif prop.value(value) is None:
                known = [v.id for v in prop.values]
                problems.append(Problem(f"$.form.{option.id}.properties.{name}",
                                        "unknown property value", value,
                                        "one of " + ", ".join(known),
                                        did_you_mean(value, known), source=source))
        missing = sorted(set(by_id) - set(option.properties))
        if missing:
            problems.append(Problem(f"$.form.{option.id}.properties", "form lacks properties",
                                    ", ".join(missing), "a value for every declared property "
                                    "(preferences compare every form)", source=source))


def apply_weight_changes(rules: list[tuple[RawRule, str, int, str]],
                         changes: Sequence[tuple[RawWeight, str]],
                         problems: list[Problem]) -> dict[str, str]:
    """Set each changed preference's weight in place; return the note for each changed rule."""
    index = {raw.id: i for i, (raw, *_rest) in enumerate(rules)}
    notes: dict[str, str] = {}
    for change, source in changes:
        where = "$.weight"
        if change.rule not in index:
            problems.append(Problem(f"{where}.rule", "unknown rule", change.rule,
                                    "the id of a rule with `prefer`",
                                    did_you_mean(change.rule, list(index)), source=source,
                                    rule=change.rule))
            continue
        raw, rule_source, i, text = rules[index[change.rule]]
        if not raw.prefer:
            problems.append(Problem(f"{where}.rule", "not a preference", change.rule,
                                    "the id of a rule with `prefer`", source=source,
                                    rule=change.rule))
            continue
        if change.rule in notes:
            problems.append(Problem(f"{where}.rule", "weight changed twice", change.rule,
                                    "one [[weight]] table per rule", source=source,
                                    rule=change.rule))
            continue
        if not change.reason.strip():
            problems.append(Problem(f"{where}.reason", "no reason", change.rule,
                                    "why the weight differs (shown in the trace)",
                                    source=source, rule=change.rule))
        notes[change.rule] = (f"weight {change.weight} (the pack's weight was {raw.weight}), "
                              f"changed by {source}: {change.reason.strip()}")
        rules[index[change.rule]] = (attrs.evolve(raw, weight=change.weight), rule_source, i,
                                     text)
    return notes


def expand_preferences(rules: list[tuple[RawRule, str, int, str]],
                       options: Mapping[str, Option], properties: Sequence[Property],
                       problems: list[Problem]) -> None:
    """Give each preference rule the forms its properties match, in place, at its weight."""
    by_id = {p.id: p for p in properties}
    forms = [o for o in options.values() if o.kind == "form"]
    for i, (raw, source, index, text) in enumerate(rules):
        if not raw.prefer and not raw.weight:
            continue
        where = f"$.rule[{index}]"
        at = located(source, text, "rule", index)

        def report(path: str, message: str, found: object, expected: str,
                   suggestion: str = "", raw: RawRule = raw, where: str = where,
                   source: str = at) -> None:
            problems.append(Problem(f"{where}{path}", message, found, expected, suggestion,
                                    source=source, rule=raw.id))

        if not raw.prefer:
            report(".weight", "a weight without a preference", raw.weight,
                   "`prefer` with the weight, or no weight")
            continue
        if not 1 <= raw.weight <= MAX_WEIGHT:
            report(".weight", "weight out of range", raw.weight, f"1 to {MAX_WEIGHT}")
        well_formed = True
        for name, values in raw.prefer.items():
            prop = by_id.get(name)
            if prop is None:
                report(f".prefer.{name}", "unknown property", name,
                       "a property declared by [[property]]", did_you_mean(name, list(by_id)))
                well_formed = False
                continue
            if not values:
                report(f".prefer.{name}", "no values", name, "one or more property values")
                well_formed = False
            known = [v.id for v in prop.values]
            for value in values:
                if value not in known:
                    report(f".prefer.{name}", "unknown property value", value,
                           "one of " + ", ".join(known), did_you_mean(value, known))
                    well_formed = False
        if not well_formed:
            continue
        matched = [f.id for f in forms
                   if all(f.properties.get(k) in v for k, v in raw.prefer.items())]
        if not matched:
            report(".prefer", "no form has these property values",
                   ", ".join(f"{k} in {list(v)}" for k, v in raw.prefer.items()),
                   "values that at least one form has")
            continue
        favour = dict(raw.favour)
        for form in matched:
            favour[form] = favour.get(form, 0) + raw.weight
        rules[i] = (attrs.evolve(raw, favour=favour), source, index, text)


def note_weight_changes(rules: list[Rule], notes: Mapping[str, str]) -> list[Rule]:
    """The rules, with the note of each weight an extension pack changed."""
    return [attrs.evolve(r, weight_note=notes[r.id]) if r.id in notes else r for r in rules]


def build_prior(raw: Sequence[tuple[RawPrior, str]], options: Mapping[str, Option],
                problems: list[Problem]) -> Prior | None:
    """The pack's prior: the last file's ``[prior]`` wins, so an extension pack can replace
    the built-in one."""
    if not raw:
        return None
    item, source = raw[-1]
    forms = [o.id for o in options.values() if o.kind == "form"]
    seen: set[str] = set()
    for form in item.order:
        if form not in forms:
            problems.append(Problem("$.prior.order", "unknown form", form,
                                    "a form declared by [[form]]", did_you_mean(form, forms),
                                    source=source))
        elif form in seen:
            problems.append(Problem("$.prior.order", "form listed twice", form,
                                    "each form once, most common first", source=source))
        seen.add(form)
    if not item.references:
        problems.append(Problem("$.prior.references", "no reference", item.title,
                                "the survey or register the order comes from", source=source))

    def report(path: str, message: str, found: object = None, expected: str = "") -> None:
        problems.append(Problem("$.prior" + path, message, found, expected, source=source))

    check_references(item.references, report)
    return Prior(item.title, item.date, item.explanation.strip(), tuple(item.order),
                 _references(item.references), item.analysis, item.caveat.strip())
