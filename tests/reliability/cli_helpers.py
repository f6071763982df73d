"""Helpers for the issue 16 regression tests: run the command line in a child process (as
an adviser would) and check that every problem is one located line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SMALL_CSV = ("name,as_of,service.parent_body,ownership.employee_pct,transfer.pension_schemes\n"
             "Epic CIC,2025-03-01,council,100,lgps;nhs\n"
             "Second,2026-06-01,nhs_trust,60,nhs\n")
REFERENCE = 'references = [{ instrument = "Guide", provision = "p", url = "https://example.org/" }]'


def env() -> dict[str, str]:
    """The environment of a child formselect: this source tree first on the path."""
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else ""),
            "PYTHONUNBUFFERED": "1"}


def formselect(*args: str | Path, cwd: Path, timeout: float = 120, stdin: str | None = None,
               preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m formselect ARGS`` in ``cwd``; stdout and stderr as text."""
    return subprocess.run(
        [sys.executable, "-m", "formselect", *map(str, args)], cwd=cwd, env=env(),
        input=stdin, capture_output=True, text=True, encoding="utf-8",
        errors="backslashreplace", timeout=timeout, preexec_fn=preexec, check=False)


def start(*args: str | Path, cwd: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    """``python -m formselect ARGS`` started in the background, in its own process group."""
    return subprocess.Popen([sys.executable, "-m", "formselect", *map(str, args)], cwd=cwd,
                            env=env(), start_new_session=True, **kwargs)  # type: ignore[call-overload]


def python(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run Python code in a child process (so that a hang or a crash cannot take the test
    run with it)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env(),
                          capture_output=True, text=True, encoding="utf-8",
                          errors="backslashreplace", timeout=timeout, check=False)


def assert_clean_errors(stderr: str) -> None:
    """Every stderr line is formselect's own one-line message: no traceback, no stray line."""
    assert "Traceback" not in stderr, stderr
    for line in stderr.splitlines():
        # argparse's usage lines come before its one-line error (exit 2)
        assert line.startswith(("formselect", "usage:", " ")), \
            f"not a formselect line: {line!r}\n{stderr}"


def write_pack(folder: Path, rules: Sequence[str], forms: Sequence[str] = ("alpha", "beta"),
               name: str = "pack.toml") -> Path:
    """A rule file of the forms named and the ``[[rule]]`` bodies given (without the
    references line, which is added)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(f'[[form]]\nid = "{f}"\nname = "{f.title()}"\n\n' for f in forms)
    text += "".join(f"[[rule]]\n{body.strip()}\n{REFERENCE}\n\n" for body in rules)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rule(rule_id: str, when: str, effect: str, valid_from: str = "2000-01-01",
         title: str = "t", extra: str = "") -> str:
    """The body of one ``[[rule]]``."""
    return (f'id = "{rule_id}"\ntitle = "{title}"\nwhen = \'{when}\'\n{effect}\n'
            f'explanation = "e"\nvalid_from = {valid_from}\n{extra}')


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"
