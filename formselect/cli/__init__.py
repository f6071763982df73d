"""The ``formselect`` command line. Errors print one located line each, never a traceback.

Exit codes: 0 success; 1 bad input (case, rules, dates, scenario files), a batch with rows
in error, or a scenario that failed; 2 bad usage; 3 engine failure.

Each command is a parser (``_parser``) and a handler (``_handlers``) returning the text for
standard output, or the text and an exit code. ``batch`` and ``test`` live in their own
modules (``cli/batch.py``, ``cli/scenarios.py``, ``cli/interview.py``) and are wired in
here; options they share are in ``cli/options.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from formselect import examples
from formselect.api import advise, load_rules, version
from formselect.case.io import load_case
from formselect.errors import (
    EngineError,
    FormselectError,
    ProblemsError,
    RulePackError,
    escape_controls,
)
from formselect.pack.builtin import builtin_rules_dir
from formselect.pack.check import validity_warnings
from formselect.pack.model import Pack
from formselect.report import FORMATS, render

from . import batch as batch_cli
from . import interview as interview_cli
from . import scenarios as scenarios_cli
from .options import UsageError, chosen_pack, date_argument, rules_options
from .show import show

__all__ = ["main"]

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_ENGINE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C

Handler = Callable[[argparse.Namespace], "str | tuple[str, int]"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="formselect", description="Legal form and contract route for a public service "
        "mutual, with the law behind every step. Decision support, not legal advice.")
    parser.add_argument("--version", action="version", version=f"formselect {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    adv = commands.add_parser("advise", help="advise on a case file")
    which = adv.add_mutually_exclusive_group(required=True)
    which.add_argument("case", type=Path, nargs="?", help="case file (.toml or .json)")
    which.add_argument("--example", metavar="NAME",
                       help="one of the example cases that ship with formselect, instead of a "
                       "file (a unique beginning is enough: "
                       f"{', '.join(examples.names())})")
    adv.add_argument("--as-of", type=date_argument, help="date the law is applied (default: the "
                     "case's own as_of, then its procurement.start_date)")
    adv.add_argument("--format", choices=tuple(FORMATS), default="text")
    adv.add_argument("--depth", choices=("summary", "full"), default="summary",
                     help="full adds the audit trace of every rule")
    rules_options(adv)

    rules = commands.add_parser("rules", help="list, show or check rule packs")
    rule_commands = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    listing = rule_commands.add_parser(
        "list", help="list the rules (or the forms, routes or facts that conditions and "
        "why-not questions name)")
    what = listing.add_mutually_exclusive_group()
    for flag, text in (("--forms", "the legal forms: id, family and name"),
                       ("--routes", "the procurement routes: id, burden and name"),
                       ("--facts", "the facts a condition may read: case facts, derived facts "
                        "and the CPV lists' facts, with their kinds and values")):
        what.add_argument(flag, action="store_true", help=text)
    rules_options(listing)
    show = rule_commands.add_parser(
        "show", help="show one rule, or one form with its properties and the rules that "
        "can favour it or rule it out")
    show.add_argument("rule_id", metavar="RULE_OR_FORM")
    rules_options(show)
    check = rule_commands.add_parser("check", help="check rule files; exit 1 on any problem")
    check.add_argument("paths", type=Path, nargs="+", help="rule files or folders")
    check.add_argument("--strict", action="store_true",
                       help="treat warnings (validity dates later than the law) as problems")
    check.add_argument("--replace-rules", action="store_true",
                       help="check the files as a pack of their own, without the built-in "
                       "pack (as advise --replace-rules applies them); by default they are "
                       "checked together with it, as advise --rules applies them")

    batch_cli.add_parser(commands)
    scenarios_cli.add_parser(commands)
    interview_cli.add_parser(commands)
    return parser


def _advise(args: argparse.Namespace) -> str:
    path = args.case if args.example is None else examples.path(args.example)
    case = load_case(path)
    if args.as_of is None and case.as_of is None and case.procurement.start_date is None:
        raise FormselectError(f"{path}: no date to apply the law at: the case has neither "
                              "as_of nor procurement.start_date; pass --as-of YYYY-MM-DD")
    advice = advise(case, as_of=args.as_of, rules=chosen_pack(args))
    return render(advice, args.format, args.depth)


def _rules(args: argparse.Namespace) -> str:
    if args.rules_command == "check":
        builtin = builtin_rules_dir().resolve()
        inside = any(p.resolve() == builtin or builtin in p.resolve().parents
                     for p in args.paths)  # the built-in files themselves: not twice
        pack = load_rules(*args.paths, builtin=not (args.replace_rules or inside))
        warnings = validity_warnings(pack)
        if warnings and args.strict:
            raise RulePackError(warnings)
        for warning in warnings:
            print(f"formselect: warning: {warning}", file=sys.stderr)
        return f"ok: {len(pack.rules)} rules, {len(pack.forms)} forms, {len(pack.routes)} " \
               f"routes, {len(pack.derived)} derived facts ({pack.name}#{pack.digest})\n"
    pack = chosen_pack(args)
    if args.rules_command == "list":
        return _listing(pack, args)
    return show(pack, args.rule_id)


def _listing(pack: Pack, args: argparse.Namespace) -> str:
    """``rules list``: rules, or with a flag the forms, routes or facts, tab-separated."""
    if args.forms:
        return "".join(f"{o.id}\t{o.family}\t{o.name}\n" for o in pack.forms)
    if args.routes:
        return "".join(f"{o.id}\tburden {o.burden}\t{o.name}\n" for o in pack.routes)
    if args.facts:
        lines = []
        for name, spec in pack.fact_specs().items():
            values = ", ".join(spec.info.values) if spec.info.values else ""
            origin = "derived" if spec.derived else \
                "cpv list" if name in pack.cpv_facts else "case"
            lines.append(f"{name}\t{origin}\t{spec.info.kind}\t{values}\n")
        return "".join(lines)
    return "".join(f"{r.id}\t{r.valid_from}..{r.valid_until or ''}\t{r.title}\n"
                   for r in pack.rules)


def _handlers() -> dict[str, Handler]:
    return {
        "advise": _advise,
        "rules": _rules,
        "batch": lambda args: batch_cli.run(args, chosen_pack(args)),
        "test": lambda args: scenarios_cli.run(
            args, chosen_pack(args) if args.rules or args.replace_rules else None),
        "interview": interview_cli.run,
    }


def _say(kind: str, message: object) -> None:
    """One line on stderr: control characters in a file, a key or a title are escaped so
    that they cannot forge lines or drive the terminal."""
    print(f"formselect: {kind}: {escape_controls(str(message))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        result = _handlers()[args.command](args)
        output, code = result if isinstance(result, tuple) else (result, EXIT_OK)
        # a case name or a rule title cannot drive the terminal: ESC, BEL, CR shown escaped
        _write_stdout(escape_controls(output, keep="\n\t"))
    except ProblemsError as exc:
        for problem in exc.problems:
            _say("error", problem)
        return EXIT_INPUT
    except EngineError as exc:
        _say("engine error", exc)
        return EXIT_ENGINE
    except UsageError as exc:
        _say("error", exc)
        return EXIT_USAGE
    except FormselectError as exc:
        _say("error", exc)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("formselect: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()  # the reader left (| head): nothing more to say, no traceback
        return EXIT_INPUT
    except OSError as exc:  # a full disk, a device that refuses writes
        _quiet_stdout()
        _say("error", f"cannot write the output: {exc.strerror or exc}")
        return EXIT_INPUT
    return code


def _write_stdout(text: str) -> None:
    """Write ``text`` to standard output, every byte or an OSError: a buffered write that
    the disk cuts short (a full disk, a file size limit) can otherwise vanish in silence."""
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a stream without a file (tests, IDEs)
        fd = -1
    if fd < 0 or os.linesep != "\n":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    data = memoryview(text.encode(sys.stdout.encoding or "utf-8",
                                  sys.stdout.errors or "strict"))
    while data:
        data = data[os.write(fd, data):]


def _quiet_stdout() -> None:
    """Point stdout at nothing, so that the interpreter's last flush of what is still
    buffered for a closed pipe or a full disk raises nothing at exit."""
    with contextlib.suppress(OSError, ValueError):
        sink = os.open(os.devnull, os.O_WRONLY)
        os.dup2(sink, sys.stdout.fileno())
        os.close(sink)
