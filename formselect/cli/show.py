"""``formselect rules show``: one rule, or one legal form with its cited properties and every
rule that can favour it or rule it out."""

from __future__ import annotations

from formselect.decide import preference_text
from formselect.errors import FormselectError, did_you_mean
from formselect.pack.model import Option, Pack, Rule

__all__ = ["show"]


def show(pack: Pack, name: str) -> str:
    """The text for a rule id or a form id (a FormselectError with a suggestion otherwise)."""
    if name in pack.by_id:
        return _rule(pack, pack.rule(name))
    form = next((f for f in pack.forms if f.id == name), None)
    if form is not None:
        return _form(pack, form)
    known = [r.id for r in pack.rules] + [f.id for f in pack.forms]
    hint = did_you_mean(name, known)
    raise FormselectError(f"no rule or form {name!r} in {pack.name}"
                          + (f"; {hint}" if hint else ""))


def _rule(pack: Pack, rule: Rule) -> str:
    lines = [f"{rule.id}: {rule.title}", f"  when: {rule.when}",
             f"  in force: {rule.valid_from} to {rule.valid_until or 'open'}",
             f"  source: {rule.source}"]
    if rule.analysis:
        lines.insert(1, "  (analysis: formselect's reading of the law)")
    if rule.prefer:
        forms = ", ".join(f for f in rule.favour if f in {o.id for o in pack.forms})
        lines.append(f"  prefers: {preference_text(pack, rule)} (+{rule.weight}: {forms})")
        if rule.weight_note:
            lines.append(f"  {rule.weight_note}")
    if rule.override_note:
        lines.append(f"  {rule.override_note}")
    lines += ["", rule.explanation, ""]
    if rule.caveat:
        lines.append(f"Caveat: {rule.caveat}")
    lines += [f"Law: {ref}" for ref in rule.references]
    return "\n".join(lines) + "\n"


def _form(pack: Pack, form: Option) -> str:
    lines = [f"{form.id}: {form.name}"]
    if form.family:
        lines.append(f"  family: {form.family}")
    if pack.prior is not None:
        lines.append(f"  how common (prior): {pack.prior.rank(form.id)} of "
                     f"{len(pack.prior.order)} ({pack.prior.title}, {pack.prior.date})")
    if form.description:
        lines += ["", form.description]
    if form.properties:
        lines += ["", "Properties:"]
    for prop_id, value_id in sorted(form.properties.items()):
        prop = pack.property_named(prop_id)
        value = prop.value(value_id) if prop else None
        label = prop.name if prop else prop_id
        lines.append(f"  {label}: {value_id.replace('_', ' ')}"
                     + (" (analysis)" if value is not None and value.analysis else ""))
        if value is not None:
            lines.append(f"    {value.description}")
            lines += [f"    Law: {ref}" for ref in value.references]
    favouring = [r for r in pack.rules if form.id in r.favour]
    excluding = [r for r in pack.rules if form.id in r.exclude]
    lines += ["", "Preferences that can favour it:" if favouring else
              "No rule can favour it."]
    for rule in sorted(favouring, key=lambda r: (-r.favour[form.id], r.id)):
        why = preference_text(pack, rule) if rule.prefer else "names the form"
        lines.append(f"  +{rule.favour[form.id]} {rule.id} ({why}): {rule.title}")
        lines.append(f"      when: {rule.when}")
    lines += ["", "Rules that can rule it out:" if excluding else "No rule can rule it out."]
    lines += [f"  {rule.id}: {rule.title}" for rule in sorted(excluding, key=lambda r: r.id)]
    return "\n".join(lines) + "\n"
