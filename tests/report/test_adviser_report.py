"""The report an adviser hands over: facts given, plain questions, words not ids, what to ask
next, styles that survive a notebook, JSON by depth, a clean graph, and a real browser."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tomllib
from pathlib import Path

import pytest

import formselect as fs
from formselect.case.vocabulary import case_facts
from formselect.report.dot import to_svg

REPO = Path(__file__).resolve().parents[2]
EPIC = REPO / "examples" / "epic_cic_kensington.toml"


@pytest.fixture(scope="module")
def advice() -> fs.Advice:
    return fs.advise(EPIC)


def test_the_facts_given_are_in_every_report(advice: fs.Advice) -> None:
    description = case_facts()["ownership.employee_pct"].description.rstrip(".")
    text = advice.render("text")
    assert "Facts given" in text
    assert f"  - {description}: 100 (ownership.employee_pct)" in text
    assert "What happens to surpluses: reinvest all (money.profit_distribution)" in text
    html = advice.render("html")
    assert "<h2>Facts given</h2>" in html
    assert "<code>ownership.employee_pct</code></span></td><td>100</td>" in html
    assert "## Facts given" in advice.render("markdown")


def test_unknowns_are_plain_questions(advice: fs.Advice) -> None:
    fact = "money.asset_lock"
    assert fact in advice.unknown_facts
    asked = case_facts()[fact].question
    assert f"  - {asked} ({fact})" in advice.render("text")
    assert f"<li>{asked} <span class='muted'><code>{fact}</code>" in advice.render("html")


def test_statuses_and_regimes_in_words(advice: fs.Advice) -> None:
    html = advice.render("html")
    assert "available_with_risk" not in html
    assert "not_available" not in html
    assert "available with risk" in html
    assert advice.procurement.regime == "pcr2006"
    assert "Regime: <b>Public Contracts Regulations 2006 (pcr2006)</b>" in html
    assert "(regime: Public Contracts Regulations 2006 (pcr2006))" in advice.render("text")


def test_what_to_ask_next_lists_unknown_facts_that_matter(advice: fs.Advice) -> None:
    text = advice.render("text")
    section = text.split("What to ask next\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert 1 <= len(section) <= 5
    facts = [line.rsplit("(", 1)[1].rstrip(")") for line in section]
    assert set(facts) <= set(advice.unknown_facts)
    assert advice.confidence is not None
    assert facts[0] == advice.confidence.could_overturn[0]
    assert "<h2>What to ask next</h2>" in advice.render("html")


def test_the_notebook_fragment_carries_scoped_styles(advice: fs.Advice) -> None:
    fragment = advice._repr_html_()
    assert fragment.startswith("<div class='formselect'><style>")
    assert "div.formselect table td,div.formselect table th{" in fragment
    assert "text-align:left" in fragment
    assert "<html" not in fragment


def test_json_honours_the_depth(advice: fs.Advice) -> None:
    summary = json.loads(advice.render("json", "summary"))
    full = advice.render("json", "full")
    assert summary["depth"] == "summary"
    assert [s["rule_id"] for s in summary["trace"]] == list(advice.fired)
    assert len(advice.render("json", "summary")) < len(full) / 3
    assert "depth" not in json.loads(full)
    assert fs.advice_from_json(full) == advice
    back = fs.advice_from_json(advice.render("json", "summary"))
    assert back.recommended == advice.recommended
    assert [s.rule_id for s in back.trace] == list(advice.fired)


def test_the_command_line_json_honours_depth(capsys: pytest.CaptureFixture[str]) -> None:
    from formselect.cli import main  # noqa: PLC0415 (the command line, as a user runs it)
    assert main(["advise", str(EPIC), "--format", "json"]) == 0
    summary = capsys.readouterr().out
    assert main(["advise", str(EPIC), "--format", "json", "--depth", "full"]) == 0
    assert len(capsys.readouterr().out) > 3 * len(summary)


def test_the_graph_has_each_edge_once_and_the_reports_words(advice: fs.Advice) -> None:
    dot = advice.to_dot()
    lines = [line for line in dot.splitlines() if "->" in line]
    assert len(lines) == len(set(lines))
    categories = [line for line in lines if line.endswith('-> "PB-03";')
                  and "service.categories" in line]
    assert len(categories) == 1
    assert "= None" not in dot
    assert "= True" not in dot
    assert "= False" not in dot
    assert "['" not in dot
    assert '"regime = pcr2006"' in dot
    assert 'size="11,8"' in dot


def test_the_graphviz_extra_exists_and_is_the_one_named() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["optional-dependencies"]["graphviz"] == ["graphviz>=0.20"]


def test_to_svg_names_the_extra_when_graphviz_is_missing(advice: fs.Advice,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "graphviz", None)  # as if not installed
    with pytest.raises(fs.FormselectError, match=r"pip install 'formselect\[graphviz\]'"):
        to_svg(advice)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine (apt-get install chromium): the headless "
                "screenshot test of the HTML report did not run")


def test_the_html_report_renders_in_a_headless_browser(advice: fs.Advice,
                                                       tmp_path: Path) -> None:
    browser = _browser()
    page = tmp_path / "epic.html"
    page.write_text(advice.render("html"), encoding="utf-8")
    shot = tmp_path / "epic.png"
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
              f"--user-data-dir={tmp_path / 'profile'}", "--disable-dev-shm-usage"]
    run = subprocess.run([*common, f"--screenshot={shot}", "--window-size=1280,2400",
                          page.as_uri()], capture_output=True, text=True, timeout=180,
                         check=False)
    assert shot.is_file(), run.stderr[-2000:]
    data = shot.read_bytes()
    assert _png_size(data) == (1280, 2400)
    assert len(data) > 50_000  # a page of text and tables, not a blank one
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=180, check=False).stdout
    for heading in ("Facts given", "Assumptions and unknowns", "Procurement route",
                    "What to ask next", "Sources"):
        assert f"<h2>{heading}</h2>" in dom
