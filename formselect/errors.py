"""Typed errors. Each carries every problem found, located, with what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import attrs

from .deprecated import renamed

__all__ = ["CaseError", "EngineError", "FormselectError", "Problem", "ProblemsError",
           "RulePackError", "Shown", "UnknownNameError", "did_you_mean", "escape_controls",
           "has_controls", "unknown_name"]

# C0 controls, DEL and C1 controls: a terminal acts on them (ESC sequences set titles and
# clear screens, CR and LF forge lines), so printed text shows them as escapes instead
_CONTROL_CODES = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_ESCAPES = {c: (repr(chr(c))[1:-1] if c >= 0x20 or chr(c) in "\t\n\r"
                else f"\\x{c:02x}") for c in _CONTROL_CODES}


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with every control character written as an escape (``\\x1b``, ``\\n``),
    except those in ``keep`` (such as a newline in multi-line output)."""
    table = {c: e for c, e in _ESCAPES.items() if chr(c) not in keep} if keep else _ESCAPES
    return text.translate(table)


def has_controls(text: str, allowed: str = "") -> bool:
    """Whether ``text`` holds a control character other than those ``allowed``."""
    return any(ord(c) in _ESCAPES and c not in allowed for c in text)


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
        return escape_controls(text)  # one line, whatever a file or a key held


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


class UnknownNameError(FormselectError, KeyError):
    """No rule, form, route or fact of that name (a KeyError too, for code that expects one).
    The message names what was asked for and suggests the nearest name."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def unknown_name(kind: str, name: str, candidates: Iterable[str], where: str = "") -> \
        UnknownNameError:
    """An :class:`UnknownNameError` such as ``no rule 'XX-1' in formselect-uk; did you mean
    'XY-1'?``."""
    hint = did_you_mean(name, candidates)
    text = f"no {kind} {name!r}" + (f" in {where}" if where else "") + (f"; {hint}" if hint
                                                                        else "")
    return UnknownNameError(text, name)


def _normal(word: str) -> str:
    return "_".join(word.strip().lower().replace("-", " ").split())


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A suggestion such as ``did you mean 'employee_pct'?``, or ``""``.

    Tried in turn: the word as an id (``County Council`` -> ``county_council``); ids it
    begins (``cic`` -> ``cic_limited_by_shares``, not the near-spelling ``cio``) or has as a
    word (``teckal`` -> ``in_house_teckal``); the nearest
    spelling; an id that is one of its words (``county_council`` -> ``council``); the same
    name in another section.
    """
    pool = list(dict.fromkeys(candidates))
    norm = _normal(word)
    if norm != word and norm in pool:
        return f"did you mean {norm!r}?"
    heads = [c for c in pool if len(norm) >= 2 and c.rpartition(".")[2].startswith(norm + "_")]
    if not heads and len(norm) >= 4:  # a word of the id: "teckal" -> "in_house_teckal"
        heads = [c for c in pool if norm in c.rpartition(".")[2].split("_")]
    if heads:
        shown = " or ".join(repr(c) for c in heads[:3])
        return f"did you mean {shown}?"
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not matches and norm != word:
        matches = difflib.get_close_matches(norm, pool, n=1, cutoff=0.6)
    if not matches:
        words = set(norm.split("_"))
        matches = [c for c in pool if c in words][:1]
    if not matches:
        # a fact written without its section, or in the wrong section
        tail = word.rpartition(".")[2]
        matches = [c for c in pool if c.rpartition(".")[2] == tail][:1]
    return f"did you mean {matches[0]!r}?" if matches else ""


def __getattr__(name: str) -> object:
    """``_ProblemsError``, the old name of :class:`ProblemsError` (deprecated)."""
    return renamed(__name__, name)
