"""The interview as an adviser meets it: a file ``advise`` reads back, forgiving answers,
Ctrl-C that keeps the answers, line editing where prompt_toolkit is installed, no question
made pointless by an earlier "don't know", and errors that name the command line's flags."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import sys
import tomllib
from pathlib import Path

import pytest

import formselect
from formselect.cli import main
from formselect.explain.questions import Interview, parse_answer, parse_number, relevant

from .test_interview import EPIC, Terminal

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
COMMAND = [sys.executable, "-m", "formselect", "interview"]


def test_money_is_read_as_an_adviser_types_it() -> None:
    assert parse_number("£4.5m") == 4_500_000
    assert parse_number("4,500,000") == 4_500_000
    assert parse_number("250k") == 250_000
    assert parse_number("1.2bn") == 1_200_000_000
    assert parse_number("3 million") == 3_000_000
    assert parse_number("40%") == 40
    assert parse_answer("procurement.value_gbp_inc_vat", "£4.5m") == 4_500_000
    with pytest.raises(ValueError, match=r"'yes' is not a number \(write it as"):
        parse_answer("ownership.employee_pct", "yes")


def test_answers_get_did_you_mean_and_forgiving_spelling() -> None:
    assert parse_answer("service.parent_body", "Council") == "council"
    with pytest.raises(ValueError, match=r"'libraries' is not one of the answers for "
                       r"service.categories; did you mean 'libraries_and_archives'\?"):
        parse_answer("service.categories", "libraries")
    assert parse_answer("service.categories", "Libraries and archives, health_care") == [
        "libraries_and_archives", "health_care"]
    with pytest.raises(ValueError, match=r"did you mean 'reinvest_all'\?"):
        parse_answer("money.profit_distribution", "reinvest_al")


def test_a_fact_that_matters_only_with_an_unknown_one_is_not_asked() -> None:
    pack = formselect.builtin_pack()
    # whether the authority caused the urgency matters only for a direct award on the
    # ground of urgency: once the ground is "don't know", the question is pointless
    fact = "procurement.urgency_attributable_to_authority"
    assert relevant(pack, fact, set())
    assert not relevant(pack, fact, {"procurement.direct_award_ground"})
    case = formselect.Case(procurement=formselect.ProcurementFacts(planned_route="direct_award"))
    day = dt.date(2026, 6, 1)
    ranked = [q.fact for q in formselect.next_questions(case, day)]
    # every question ranked before it answered "don't know", the ground among them: without
    # the check it would be asked next
    ahead = set(ranked[:ranked.index(fact)])
    assert "procurement.direct_award_ground" in ahead
    interview = Interview(case, day)
    interview.dont_know |= ahead
    following = interview.next()
    assert following is None or following.fact != fact


def test_the_saved_file_has_a_name_and_date_and_advise_reads_it(tmp_path: Path) -> None:
    out = tmp_path / "new_case.toml"
    interview = Interview(formselect.Case(), dt.date(2026, 6, 1))
    interview.answer("service.parent_body", "council")
    interview.save(out)
    data = tomllib.loads(out.read_text(encoding="utf-8"))
    assert (data["name"], data["as_of"]) == ("new_case", dt.date(2026, 6, 1))
    assert main(["advise", str(out)]) == 0  # no --as-of needed: the file says


def test_a_missing_date_names_the_command_line_flag(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    case = tmp_path / "undated.toml"
    case.write_text('[service]\nparent_body = "council"\n', encoding="utf-8")
    assert main(["advise", str(case)]) == 1
    err = capsys.readouterr().err
    assert "pass --as-of YYYY-MM-DD" in err
    assert "as_of=" not in err


@POSIX
def test_ctrl_c_saves_the_answers_and_exits_cleanly(tmp_path: Path) -> None:
    out = tmp_path / "resumed.toml"
    term = Terminal([*COMMAND, "-o", str(out), "--start", str(EPIC), "--plain",
                     "--name", "Resumed case"])
    term.read_until("> ")
    term.type("no")  # the first question: does the organisation want to be a charity?
    term.read_until("> ")
    term.process.send_signal(signal.SIGINT)
    rest = term.read_until("(continue with")
    code = term.close()
    assert 130 == code
    assert "Traceback" not in rest
    assert f"interrupted; the answers so far are saved in {out}" in rest
    saved = formselect.load_case(out)
    assert saved.money.charitable_status is False
    assert saved.name == "Resumed case"


@POSIX
def test_line_editing_with_prompt_toolkit(tmp_path: Path) -> None:
    if importlib.util.find_spec("prompt_toolkit") is None:
        pytest.skip("prompt_toolkit is not installed (pip install 'formselect[interview]'): "
                    "the line-editing test did not run")
    out = tmp_path / "edited.toml"
    term = Terminal([*COMMAND, "-o", str(out), "--start", str(EPIC)],
                    env={"PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"})
    ready = "\x1b[?2004h"  # prompt_toolkit is waiting for a line (bracketed paste on)
    term.read_until("[money.charitable_status]")
    term.read_until(ready)
    # "o", a Left-arrow press, "n": line editing makes it "no" (a plain read would keep
    # the escape code and not understand the answer)
    os.write(term.master, b"o\x1b[Dn\r")
    asked = term.read_until(ready)
    assert "not understood" not in asked
    os.write(term.master, b"stop\r")
    term.read_until("formselect advice:")
    assert 0 == term.close()
    assert formselect.load_case(out).money.charitable_status is False
