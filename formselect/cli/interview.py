"""``formselect interview``: ask the most decisive questions in turn, save a case file."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from formselect.api import advise
from formselect.case.io import UNKNOWN, load_case
from formselect.case.model import Case
from formselect.errors import FormselectError
from formselect.explain.questions import Interview, Question
from formselect.report.text import render_text

from .options import date_argument

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``interview`` command."""
    parser = commands.add_parser("interview", help="answer questions, most decisive first; "
                                 "saves a case file")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="case file to write (.toml)")
    parser.add_argument("--start", type=Path, help="case file with the answers so far")
    parser.add_argument("--as-of", type=date_argument,
                        help="date the law is applied (default: today)")
    parser.add_argument("--max-questions", type=int, default=40)
    parser.add_argument("--name", help="the case's name in the saved file (default: the "
                        "--start case's name, else the output file's name)")
    parser.add_argument("--plain", action="store_true",
                        help="read answers line by line, without line editing or completion "
                        "(the default where the optional prompt_toolkit is not installed or "
                        "the input is not a terminal)")


def _marked_unknown(path: Path) -> set[str]:
    """Facts a saved case file records as asked and answered "don't know"."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return set()  # load_case has already reported anything wrong with the file
    return {f"{section}.{name}" for section, facts in data.items() if isinstance(facts, dict)
            for name, value in facts.items() if value == UNKNOWN}


EXIT_INTERRUPTED = 130


def _check_output(path: Path) -> None:
    """Refuse an output that cannot be written before any question is asked."""
    if path.is_dir():
        raise FormselectError(f"{path}: is a folder; expected a case file name such as "
                              "answers.toml")
    if not path.parent.is_dir():
        raise FormselectError(f"{path}: cannot write here: No such file or directory")


def _save(interview: Interview, path: Path, name: str = "") -> None:
    try:
        interview.save(path, name)
    except OSError as exc:
        raise FormselectError(f"{path}: cannot save the answers: {exc.strerror}") from None


def _line_editor(stdin: TextIO, plain: bool) -> Callable[[str, Sequence[str]], str] | None:
    """prompt_toolkit's prompt (line editing, history, completion of the answers) when it is
    installed (``formselect[interview]``) and the input is a terminal; else None."""
    if plain or not stdin.isatty():
        return None
    try:
        shortcuts = importlib.import_module("prompt_toolkit.shortcuts")
        completion = importlib.import_module("prompt_toolkit.completion")
        history = importlib.import_module("prompt_toolkit.history").InMemoryHistory()
    except ImportError:
        return None
    session = shortcuts.PromptSession(history=history)

    def prompt(text: str, answers: Sequence[str]) -> str:
        completer = completion.WordCompleter(list(answers), ignore_case=True, sentence=True)
        return str(session.prompt(text, completer=completer))

    return prompt


def run(args: argparse.Namespace, stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout) -> str | tuple[str, int]:
    """Run the interview on the given streams; returns the closing summary text (and exit
    code 130 when interrupted). The answers are saved after each one, so neither Ctrl-C nor
    a crash loses them."""
    _check_output(args.output)
    case = load_case(args.start) if args.start else Case()
    # the command line is the one place a default "today" makes sense (UK time)
    today = dt.datetime.now(dt.UTC).date()
    as_of = args.as_of or case.as_of or case.procurement.start_date or today
    interview = Interview(case, as_of)
    if args.start:  # questions answered "don't know" before are not asked again
        interview.dont_know |= _marked_unknown(args.start)
    editor = _line_editor(stdin, args.plain)
    print(f"formselect interview, law as at {as_of.isoformat()}. Answer each question; "
          "type 'don't know' (or just Enter) to skip, 'stop' to finish; Ctrl-C saves and "
          "stops.", file=stdout)

    _save(interview, args.output, args.name or "")  # writable, before the first question

    def ask(question: Question) -> str:
        _save(interview, args.output, args.name or "")  # every answer so far
        print(f"\n{question.text}\n  ({' / '.join(question.answers)}) [{question.fact}]",
              file=stdout, flush=True)
        if editor is not None:
            try:
                return editor("> ", [a for a in question.answers if not a.startswith("(")])
            except EOFError:
                return "stop"
        print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        return "stop" if line == "" else line.rstrip("\n")  # end of input ends the interview

    def tell(message: str) -> None:
        print(message, file=stdout)

    try:
        interview.run(ask, tell, args.max_questions)
    except KeyboardInterrupt:
        _save(interview, args.output, args.name or "")
        print(f"\nformselect: interrupted; the answers so far are saved in {args.output} "
              f"(continue with --start {args.output})", file=sys.stderr)
        return "", EXIT_INTERRUPTED
    _save(interview, args.output, args.name or "")
    advice = advise(interview.case, as_of=as_of)
    return f"\nSaved the answers to {args.output}.\n\n" + render_text(advice), 0
