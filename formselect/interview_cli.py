"""``formselect interview``: ask the most decisive questions in turn, save a case file."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from .api import advise
from .case import Case
from .case_io import load_case
from .questions import Interview, Question
from .render import render_text

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``interview`` command."""
    parser = commands.add_parser("interview", help="answer questions, most decisive first; "
                                 "saves a case file")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="case file to write (.toml)")
    parser.add_argument("--start", type=Path, help="case file with the answers so far")
    parser.add_argument("--as-of", type=dt.date.fromisoformat,
                        help="date the law is applied (default: today)")
    parser.add_argument("--max-questions", type=int, default=40)


def run(args: argparse.Namespace, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> str:
    """Run the interview on the given streams; returns the closing summary text."""
    case = load_case(args.start) if args.start else Case()
    # the command line is the one place a default "today" makes sense (UK time)
    today = dt.datetime.now(dt.UTC).date()
    as_of = args.as_of or case.as_of or case.procurement.start_date or today
    interview = Interview(case, as_of)
    print(f"formselect interview, law as at {as_of.isoformat()}. Answer each question; "
          "type 'don't know' (or just Enter) to skip, 'stop' to finish.", file=stdout)

    def ask(question: Question) -> str:
        print(f"\n{question.text}\n  ({' / '.join(question.answers)}) [{question.fact}]",
              file=stdout)
        print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        return "stop" if line == "" else line.rstrip("\n")  # end of input ends the interview

    def tell(message: str) -> None:
        print(message, file=stdout)

    interview.run(ask, tell, args.max_questions)
    interview.save(args.output)
    advice = advise(interview.case, as_of=as_of)
    return f"\nSaved the answers to {args.output}.\n\n" + render_text(advice)
