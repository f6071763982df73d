"""The advice as text, Markdown, HTML or JSON (and as a DOT graph or a DataFrame).

Reads an :class:`~formselect.advice.Advice` (made by ``decide``); nothing reads the reports.
A new format is one new module with a ``render_<format>(advice, depth)`` function and one
line in :data:`FORMATS`; ``formselect.render``, ``Advice.render`` and the command line's
``--format`` all read this table.
"""

from __future__ import annotations

from collections.abc import Callable

from formselect.advice import Advice

from .html import render_html
from .json import render_json
from .text import render_markdown, render_text

__all__ = ["FORMATS", "Renderer", "render"]

Renderer = Callable[[Advice, str], str]
"""A report format: the advice and a depth (``summary`` or ``full``) in, the text out."""

FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}


def render(advice: Advice, fmt: str = "text", depth: str = "summary") -> str:
    """The advice in one of the :data:`FORMATS` (``text``, ``markdown``, ``html``, ``json``)."""
    renderer = FORMATS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return renderer(advice, depth)
