"""Issue 16, "Smaller" and D11, D13, D14: the interview keeps every answer, API calls
raise formselect's own errors, the advice says when no rule is in force, and usage errors
exit 2.

Review rows 57, 82, 83, 86-88, 92.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.reliability.cli_helpers import assert_clean_errors, env, formselect, python

CASE = "as_of = 2026-06-01\n[ownership]\nemployee_pct = 100\n"


class TestInterview:

    def test_a_missing_folder_is_refused_before_any_question(self, tmp_path: Path) -> None:
        done = formselect("interview", "-o", "nodir/x.toml", "--as-of", "2026-06-01",
                          cwd=tmp_path, stdin="", timeout=60)
        assert done.returncode in (1, 2)
        assert "nodir" in done.stderr
        assert_clean_errors(done.stderr)
        assert "?" not in done.stdout  # no question was asked

    def test_a_directory_is_refused_before_any_question(self, tmp_path: Path) -> None:
        (tmp_path / "outdir").mkdir()
        done = formselect("interview", "-o", "outdir", "--as-of", "2026-06-01",
                          cwd=tmp_path, stdin="", timeout=60)
        assert done.returncode in (1, 2)
        assert_clean_errors(done.stderr)
        assert "?" not in done.stdout

    def test_answers_are_saved_as_they_are_given(self, tmp_path: Path) -> None:
        out = tmp_path / "answers.toml"
        with subprocess.Popen(
                [sys.executable, "-m", "formselect", "interview", "-o", str(out), "--as-of",
                 "2026-06-01"], cwd=tmp_path, env=env(), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True) as child:
            assert child.stdin is not None
            assert child.stdout is not None
            try:
                for _ in range(4):  # four "don't know" answers, then Ctrl-C
                    while not child.stdout.read1(4096).rstrip().endswith(b">"):
                        pass
                    child.stdin.write(b"don't know\n")
                    child.stdin.flush()
                while not child.stdout.read1(4096).rstrip().endswith(b">"):
                    pass
                deadline = time.monotonic() + 10
                while not out.exists() and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert out.exists(), "nothing saved while the interview runs"
                child.send_signal(signal.SIGINT)
                _, err = child.communicate(timeout=60)
            finally:
                if child.poll() is None:
                    os.kill(child.pid, signal.SIGKILL)
                    child.wait()
        assert child.returncode == 130
        text = err.decode()
        assert "Traceback" not in text
        saved = tomllib.loads(out.read_text(encoding="utf-8"))
        unknown = [v for s in saved.values() if isinstance(s, dict) for v in s.values()]
        assert unknown.count("unknown") == 4


class TestApi:

    @pytest.mark.slow  # a long run: in the full suite (CI)
    def test_why_not_at_the_first_years(self, tmp_path: Path) -> None:
        done = python("""
            import formselect as f
            for day in ("0001-01-01", "0003-12-31"):
                a = f.advise({"as_of": day,
                              "procurement": {"prior_reserved_award_date": "0001-01-01"}})
                for r in a.procurement.routes[:2]:  # each asks the search for dates
                    try:
                        a.why_not(r.id)
                    except f.FormselectError:
                        pass
            print("ok")
            """, tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "ok"

    def test_advice_from_json_raises_formselect_errors(self, tmp_path: Path) -> None:
        done = python("""
            import formselect as f
            for text in ("1", '"x"', "null", "[]", "[" * 100000, '{"case": 1}'):
                try:
                    f.advice_from_json(text)
                except f.FormselectError:
                    print("refused")
            """, tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["refused"] * 6

    def test_no_rule_in_force_is_said(self) -> None:
        import formselect

        advice = formselect.advise({"as_of": "1900-01-01"})
        assert any("no rule" in note.lower() for note in advice.notes), advice.notes

    def test_a_date_with_rules_in_force_has_no_such_note(self) -> None:
        import formselect

        advice = formselect.advise({"as_of": "2026-06-01"})
        assert not any("no rule" in note.lower() for note in advice.notes)


class TestUsage:
    def test_replace_rules_without_rules_is_a_usage_error(self, tmp_path: Path) -> None:
        case = tmp_path / "c.toml"
        case.write_text(CASE, encoding="utf-8")
        done = formselect("advise", case, "--replace-rules", cwd=tmp_path)
        assert done.returncode == 2
        assert "--rules" in done.stderr
