"""Small HTML tables and DataFrames for the notebook views of sweeps, grids, diffs and packs.

The ``<style>`` is scoped to ``div.formselect`` and travels inside the fragment: Jupyter
keeps a fragment's styles, and its own table styles (right-aligned cells) would otherwise win.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from formselect.errors import FormselectError

__all__ = ["NOTEBOOK_CSS", "html_table", "notebook_fragment", "records_frame", "shown_cell"]

MAX_HTML_ROWS = 200  # a notebook cell shows the first rows; to_frame() has them all

# Scoped to the fragment's div: "div.formselect td" outranks JupyterLab's ".jp-... td".
NOTEBOOK_CSS = (
    "div.formselect{font:14px/1.45 system-ui,sans-serif;color:#222;max-width:100%}"
    "div.formselect h1{font-size:1.3em}div.formselect h2{font-size:1.1em;"
    "border-bottom:1px solid #ccc;margin-top:1.2em}"
    "div.formselect table{border-collapse:collapse;margin:.3em 0}"
    "div.formselect table td,div.formselect table th{border:1px solid #ddd;"
    "padding:.25em .5em;text-align:left;vertical-align:top}"
    "div.formselect table th{background:#f4f4f4}div.formselect .muted{color:#666}"
    "div.formselect .sev-critical,div.formselect .sev-high{color:#a00;font-weight:bold}"
    "div.formselect .sev-medium{color:#a60}div.formselect .fired{background:#eef8ee}"
    "div.formselect .analysis{font-style:italic;color:#555}"
)


def shown_cell(value: object) -> str:
    """A cell as an adviser reads it: "" for None, lists joined, True/False as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def notebook_fragment(body: str) -> str:
    """An HTML fragment for a notebook cell, with its scoped styles."""
    return f"<div class='formselect'><style>{NOTEBOOK_CSS}</style>{body}</div>"


def html_table(columns: Sequence[str], rows: Iterable[Mapping[str, object]],
               caption: str = "") -> str:
    """A notebook fragment with one table (at most :data:`MAX_HTML_ROWS` rows shown)."""
    rows = list(rows)
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(shown_cell(row.get(c)))}</td>"
                                    for c in columns) + "</tr>"
                   for row in rows[:MAX_HTML_ROWS])
    more = (f"<p class='muted'>{len(rows) - MAX_HTML_ROWS:,} more rows: use to_frame()</p>"
            if len(rows) > MAX_HTML_ROWS else "")
    title = f"<p><b>{escape(caption)}</b></p>" if caption else ""
    return notebook_fragment(f"{title}<table><tr>{head}</tr>{body}</table>{more}")


def records_frame(records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Any:
    """A pandas DataFrame of the records (needs ``formselect[pandas]``)."""
    try:
        pandas = importlib.import_module("pandas")
    except ImportError:
        raise FormselectError("this needs the optional pandas package: "
                              "pip install 'formselect[pandas]'") from None
    return pandas.DataFrame.from_records(list(records), columns=list(columns))
