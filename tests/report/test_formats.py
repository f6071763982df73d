"""The format registry: every way to ask for a report reads FORMATS, and only FORMATS."""

from __future__ import annotations

import pytest

import formselect
from formselect.advice import Advice
from formselect.cli import main
from formselect.report import FORMATS, render

EXAMPLE = "examples/epic_cic_kensington.toml"


@pytest.fixture(scope="module")
def advice() -> Advice:
    """One example's advice, as at a date under the Procurement Act 2023."""
    return formselect.advise(EXAMPLE, as_of="2026-06-01")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_route_to_a_format_gives_the_same_text(advice: Advice, fmt: str) -> None:
    """formselect.report.render, Advice.render and the registry's own function agree."""
    expected = FORMATS[fmt](advice, "full")
    assert expected == render(advice, fmt, "full")
    assert expected == advice.render(fmt, "full")


def test_an_unknown_format_names_the_known_ones(advice: Advice) -> None:
    """A typo is refused with the list of formats, in the registry's order."""
    with pytest.raises(ValueError, match="unknown format 'pdf'; expected one of "
                       "text, markdown, html, json"):
        advice.render("pdf")


def test_a_registered_format_is_offered_everywhere(advice: Advice,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """One line in FORMATS is all a new format needs, down to the command line."""
    monkeypatch.setitem(FORMATS, "shout", lambda a, depth: f"{a.recommended}!".upper())
    assert f"{advice.recommended}!".upper() == advice.render("shout")
    assert 0 == main(["advise", EXAMPLE, "--as-of", "2026-06-01", "--format", "shout"])
    assert f"{advice.recommended}!".upper() == capsys.readouterr().out


def test_notebook_display_is_the_html_fragment(advice: Advice) -> None:
    """_repr_html_ is the HTML report without its page; _repr_markdown_ the Markdown one."""
    assert advice._repr_html_() == formselect.render_html(advice, fragment=True)
    assert advice._repr_markdown_() == render(advice, "markdown")
