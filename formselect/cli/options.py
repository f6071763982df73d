"""Options shared by several commands: one reading of a date, and of the rule-pack options."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from formselect.api import builtin_pack, load_rules
from formselect.errors import FormselectError
from formselect.pack.model import Pack

__all__ = ["UsageError", "chosen_pack", "date_argument", "rules_options"]


class UsageError(FormselectError):
    """A command line that cannot be run as given (exit 2): the message says what to
    change."""


def date_argument(text: str) -> dt.date:
    """A command-line date (YYYY-MM-DD), or argparse's error naming the text."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") \
            from None


def rules_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--rules`` and ``--replace-rules`` to a command."""
    parser.add_argument("--rules", type=Path, action="append", default=[], metavar="PATH",
                        help="extra rule file or folder (repeatable)")
    parser.add_argument("--replace-rules", action="store_true",
                        help="use only the --rules packs, not the built-in one")


def chosen_pack(args: argparse.Namespace) -> Pack:
    """The pack the rule-pack options name (the built-in pack by default)."""
    if args.replace_rules and not args.rules:
        raise UsageError("--replace-rules needs at least one --rules PATH (the packs that "
                         "replace the built-in one)")
    if args.rules or args.replace_rules:
        return load_rules(*args.rules, builtin=not args.replace_rules)
    return builtin_pack()
