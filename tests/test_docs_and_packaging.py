"""The README cannot drift from the model; the public API and the packaged rules are sound."""

from __future__ import annotations

import re
from pathlib import Path

import formselect
from formselect.case.vocabulary import vocabulary_markdown
from formselect.pack.builtin import builtin_rules_dir
from formselect.pack.load import load_pack

REPO = Path(__file__).resolve().parents[1]


def test_readme_fact_vocabulary_matches_the_model() -> None:
    """The README's fact table is exactly the one generated from formselect/case/model.py."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- vocabulary:start -->\n(.*?)\n<!-- vocabulary:end -->", readme,
                      re.S)

    assert table is not None
    assert vocabulary_markdown() == table.group(1)


def test_every_public_name_imports() -> None:
    """Everything in __all__ exists, and nothing in __all__ is private."""
    missing = [name for name in formselect.__all__ if not hasattr(formselect, name)]

    assert [] == missing
    assert sorted(formselect.__all__) == sorted(set(formselect.__all__))


def test_builtin_rules_are_found_and_match_the_repository() -> None:
    """The installed package finds its rules (in a wheel: formselect/_rules), and they are
    the repository's rules: the same content hash."""
    installed = builtin_rules_dir()

    assert installed.is_dir()
    assert load_pack(REPO / "rules").digest == load_pack(installed).digest


def test_every_example_loads_and_has_a_date() -> None:
    """Each example case file loads and can be advised without an explicit date."""
    for path in sorted((REPO / "examples").glob("*.toml")):
        case = formselect.load_case(path)

        assert case.as_of or case.procurement.start_date, path.name
        assert formselect.advise(case).status in set(formselect.Status)
