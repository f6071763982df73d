"""Issue 16, D5 and D12: outputs that are safe to open in a spreadsheet, a terminal and a
browser.

Review rows 23 (CSV formula injection), 60, 61, 73 (control characters in what is printed),
65, 74, 84 (raw HTML and non-http links in Markdown and HTML).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.reliability.cli_helpers import (
    assert_clean_errors,
    formselect,
    python,
    rule,
    write_pack,
)

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F)]


def no_control(text: str) -> None:
    """No control character but the newline (and no ESC, BEL, CR) in printed text."""
    found = sorted({repr(c) for c in text if c in CONTROL})
    assert not found, f"control characters printed: {found}"


class TestCsvFormulas:
    def test_cells_that_a_spreadsheet_would_run_are_neutralised(self, tmp_path: Path) -> None:
        names = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1+1",
                 "-1+1", "\t=1+1", "\r=1+1"]
        source = tmp_path / "fx.csv"
        with source.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["name", "as_of", "service.parent_body"])
            writer.writerows([name, "2026-06-01", "council"] for name in names)
            writer.writerow(["x", "=1+1", "council"])
        out = tmp_path / "fx_out.csv"
        done = formselect("batch", source, "-o", out, cwd=tmp_path)
        assert done.returncode == 1  # the last row's as_of is not a date
        with out.open(encoding="utf-8", newline="") as file:
            rows = list(csv.reader(file))
        cells = [cell for row in rows[1:] for cell in row]
        assert not [c for c in cells if c.startswith(DANGEROUS_START)]
        # the text is kept, behind the quote a spreadsheet hides (CSV cells are trimmed)
        assert [r[1] for r in rows[1:8]] == [f"'{name.strip()}" for name in names]

    def test_jsonl_output_keeps_the_text(self, tmp_path: Path) -> None:
        source = tmp_path / "fx.csv"
        source.write_text("name,as_of\n=1+1,2026-06-01\n", encoding="utf-8")
        out = tmp_path / "fx_out.jsonl"
        done = formselect("batch", source, "-o", out, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(out.read_text(encoding="utf-8"))["name"] == "=1+1"


class TestControlCharacters:
    def test_case_name_in_text_advice(self, tmp_path: Path) -> None:
        case = tmp_path / "esc.json"
        case.write_text(json.dumps({"name": "\x1b]0;PWNED\x07\x1b[2J\x1b[31mFAKE: "
                                            "Recommended form: charity\x1b[0m\rX",
                                    "as_of": "2026-06-01"}), encoding="utf-8")
        done = formselect("advise", case, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        no_control(done.stdout)
        assert "\\x1b]0;PWNED\\x07" in done.stdout  # shown, escaped

    def test_unknown_key_in_an_error_line(self, tmp_path: Path) -> None:
        case = tmp_path / "k.json"
        case.write_text(json.dumps({"as_of": "2026-06-01", "x\rformselect: ok, no problems "
                                    "found\x1b[K\nformselect: (forged line)": 1}),
                        encoding="utf-8")
        done = formselect("advise", case, cwd=tmp_path)
        assert done.returncode == 1
        no_control(done.stderr)
        assert len(done.stderr.splitlines()) == 1, done.stderr
        assert_clean_errors(done.stderr)

    def test_rule_titles_in_rule_listings_and_advice(self, tmp_path: Path) -> None:
        title = "\\u001b[2J\\u001b]0;T\\u0007\\nLF-99\\t2000-01-01..\\tForged rule"
        pack = write_pack(tmp_path / "pack", [
            rule("R1", "ownership.employee_pct > 50", "favour = { alpha = 1 }", title=title)])
        listing = formselect("rules", "list", "--replace-rules", "--rules", pack, cwd=tmp_path)
        if listing.returncode == 0:
            no_control(listing.stdout.replace("\t", " "))
            assert len(listing.stdout.splitlines()) == 1, listing.stdout
        else:  # refused when the pack is loaded: also acceptable
            assert listing.returncode == 1
            assert_clean_errors(listing.stderr)
            no_control(listing.stderr)
            return
        case = tmp_path / "case.toml"
        case.write_text("as_of = 2026-06-01\n[ownership]\nemployee_pct = 100\n",
                        encoding="utf-8")
        done = formselect("advise", case, "--depth", "full", "--replace-rules", "--rules", pack,
                          cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        no_control(done.stdout)


class TestLinksAndMarkup:

    def test_markdown_escapes_html_in_a_case_name(self, tmp_path: Path) -> None:
        case = tmp_path / "m.json"
        case.write_text(json.dumps({"name": "<img src=x onerror=alert(1)>",
                                    "as_of": "2026-06-01"}), encoding="utf-8")
        done = formselect("advise", case, "--format", "markdown", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "<img" not in done.stdout

    def test_reference_urls_cannot_break_out_of_a_markdown_link(self, tmp_path: Path) -> None:
        url = ("https://example.org/) <img src=x onerror=alert(1)> "
               "[click me](javascript:alert(document.domain)")
        pack = write_pack(tmp_path / "pack", [
            rule("R1", "ownership.employee_pct > 50", "favour = { alpha = 1 }")])
        pack.write_text(pack.read_text(encoding="utf-8").replace(
            "https://example.org/", url), encoding="utf-8")
        case = tmp_path / "case.toml"
        case.write_text("as_of = 2026-06-01\n[ownership]\nemployee_pct = 100\n",
                        encoding="utf-8")
        done = formselect("advise", case, "--format", "markdown", "--depth", "full",
                          "--replace-rules", "--rules", pack, cwd=tmp_path)
        if done.returncode == 1:  # refused by the loader
            assert "url" in done.stderr
            assert_clean_errors(done.stderr)
            return
        assert "<img" not in done.stdout
        assert "](javascript:" not in done.stdout

    def test_html_from_json_only_links_http(self, tmp_path: Path) -> None:
        done = python("""
            import json, formselect as f
            a = f.advise({"as_of": "2026-06-01", "ownership": {"employee_pct": 100}})
            text = f.advice_to_json(a)
            text = text.replace('"https://', '"javascript:alert(1)//')
            try:
                b = f.advice_from_json(text)
            except f.FormselectError as exc:
                print("refused", exc)
            else:
                html = b.render("html", "full")
                print("links", html.count("href='javascript:") + html.count('href="javascript:'))
            """, tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(("refused", "links 0")), done.stdout
