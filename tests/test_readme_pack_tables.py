"""The README documents every table a rule file may hold and every derived fact of the
built-in pack, exactly as the loader and the pack have them."""

from __future__ import annotations

import re
from pathlib import Path

import attrs

import formselect
from formselect.pack import schema

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def derived_markdown(pack: formselect.Pack) -> str:
    """The README's table of derived facts, from the pack."""
    lines = ["| fact | kind | values | meaning |", "|---|---|---|---|"]
    for fact in sorted(pack.derived, key=lambda d: d.name):
        values = ", ".join(f"`{v}`" for v in fact.values) or ("yes / no" if fact.kind == "bool"
                                                                else "")
        meaning = " ".join(fact.description.split()).replace("|", "/")
        lines.append(f"| `{fact.name}` | {fact.kind} | {values} | {meaning} |")
    return "\n".join(lines)


def test_readme_derived_facts_match_the_builtin_pack() -> None:
    """Regenerate with: python -c "from tests.test_readme_pack_tables import derived_markdown
    as d; import formselect; print(d(formselect.builtin_pack()))"."""
    table = re.search(r"<!-- derived:start -->\n(.*?)\n<!-- derived:end -->", README, re.S)
    assert table is not None
    assert derived_markdown(formselect.builtin_pack()) == table.group(1)


def test_readme_documents_every_key_of_every_table() -> None:
    tables = {"[pack]": schema.RawMeta, "[[form]] / [[route]]": schema.RawOption,
              "[[fact]]": schema.RawFact, "[[override]]": schema.RawOverride,
              "[[weight]]": schema.RawWeight, "[prior]": schema.RawPrior}
    section = README.split("### The tables of a rule file", 1)[1].split("\n## ", 1)[0]
    for heading, cls in tables.items():
        assert f"`{heading.split(' / ')[0]}`" in section, heading
        for field in attrs.fields(cls):
            assert f"`{field.name}`" in section, (heading, field.name)
