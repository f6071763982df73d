"""A small notebook, executed headless as a notebook user runs it: every cell runs, displays
stay small, and tables carry their own styles. Needs the ``notebook`` extra (nbclient,
nbformat, ipykernel); skipped, saying so, without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CELLS = [
    "import formselect\nadvice = formselect.advise(formselect.examples.path('epic'))\nadvice",
    "formselect.builtin_pack()",
    "rows = formselect.sweep(advice.case, 'ownership.employee_pct', [10, 50, 90],"
    " as_of=advice.as_of)\nrows",
    "rows.to_frame()",
    "table = formselect.grid(advice.case, {'ownership.employee_pct': [10, 90],"
    " 'money.asset_lock': ['required', None]}, as_of=advice.as_of)\ntable",
    "later = formselect.advise(advice.case, as_of='2026-06-01')\n"
    "changes = formselect.diff(advice, later)\nchanges",
    "advice.why_not('cio')",
    "print(len(repr(advice)))",
]


def test_a_notebook_runs_and_its_displays_stay_small(tmp_path: Path) -> None:
    nbformat = pytest.importorskip(
        "nbformat", reason="the notebook extra is not installed (pip install "
        "'formselect[notebook]'): the notebook test did not run")
    nbclient = pytest.importorskip(
        "nbclient", reason="the notebook extra is not installed (pip install "
        "'formselect[notebook]'): the notebook test did not run")
    pytest.importorskip("ipykernel", reason="no ipykernel (pip install "
                        "'formselect[notebook]'): the notebook test did not run")
    pytest.importorskip("pandas", reason="the notebook uses to_frame(), which needs pandas")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(REPO)}})
    client.execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert all(o.output_type != "error" for cell in outputs for o in cell)
    advice_display = outputs[0][0]["data"]
    assert advice_display["text/plain"].startswith("<Advice 'Epic CIC")
    assert len(advice_display["text/plain"]) < 300
    assert advice_display["text/html"].startswith("<div class='formselect'><style>")
    assert outputs[1][0]["data"]["text/plain"].startswith("<Pack formselect-uk@")
    assert "<table>" in outputs[2][0]["data"]["text/html"]
    assert "ownership.employee_pct" in outputs[3][0]["data"]["text/plain"]
    assert "<th>money.asset_lock</th>" in outputs[4][0]["data"]["text/html"]
    assert "<th>what</th>" in outputs[5][0]["data"]["text/html"]
    assert outputs[6][0]["data"]["text/plain"].startswith("<WhyNot cio")
    assert int(outputs[7][0]["text"]) < 300
    saved = tmp_path / "tour.ipynb"
    nbformat.write(notebook, saved)
    # the 18-cell notebook of the review was 1.16 MB, nearly all of it reprs
    assert saved.stat().st_size < 400_000, json.dumps(
        {i: len(json.dumps(o)) for i, o in enumerate(outputs)})
