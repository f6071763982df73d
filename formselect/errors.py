"""Typed errors. Each carries every problem found, located, with what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import attrs

from .deprecated import renamed

__all__ = ["CaseError", "EngineError", "FormselectError", "Problem", "ProblemsError",
           "RulePackError", "Shown",
           "did_you_mean"]


class Shown(str):
    """A found value already written as the reader should see it (as the file has it, or
    described in words): shown without further quoting."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


@attrs.frozen
class Problem:
    """One located problem in a case, a rule file or a scenario.

    ``where`` is a path such as ``ownership.employee_pct`` or ``$.rule[3].when``; ``source``
    names the file (or row) it came from, ``rule`` the rule id when there is one.
    """

    where: str
    message: str
    found: object = None
    expected: str = ""
    suggestion: str = ""
    source: str = ""
    rule: str = ""

    def __str__(self) -> str:
        head = ": ".join(p for p in (self.source, self.where) if p)
        text = f"{head}: " if head else ""
        if self.rule:
            text += f"rule {self.rule!r}: "
        text += self.message
        details = []
        if self.found is not None:
            details.append(f"found {self.found!r}")
        if self.expected:
            details.append(f"expected {self.expected}")
        if details:
            text += f" ({'; '.join(details)})"
        if self.suggestion:
            text += f"; {self.suggestion}"
        return text


class FormselectError(Exception):
    """Base class of every error formselect raises on purpose."""


class ProblemsError(FormselectError):
    """An error that holds every problem found in one pass."""

    kind = "input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in {self.kind}:\n{lines}")


class CaseError(ProblemsError):
    """A case (file, dict or row) has facts that are unknown, mistyped or out of range."""

    kind = "the case"


class RulePackError(ProblemsError):
    """A rule pack failed to load: syntax, schema, condition or cross-rule problems."""

    kind = "the rule pack"


class EngineError(FormselectError):
    """The rule engine failed while evaluating a case (never a silent partial result)."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A suggestion such as ``did you mean 'employee_pct'?``, or ``""``."""
    pool = list(candidates)
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not matches:
        # a fact written without its section, or in the wrong section
        tail = word.rpartition(".")[2]
        matches = [c for c in pool if c.rpartition(".")[2] == tail][:1]
    return f"did you mean {matches[0]!r}?" if matches else ""


def __getattr__(name: str) -> object:
    """``_ProblemsError``, the old name of :class:`ProblemsError` (deprecated)."""
    return renamed(__name__, name)
