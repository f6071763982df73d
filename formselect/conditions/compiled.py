"""A pack's conditions compiled to Python functions: the ``compiled`` engine (the default
wherever durable_rules does not import), bulk work, and each rule's outcome in the trace.

Each stratum becomes one generated function that returns the rules whose condition is
*definitely true* on a fact view (Kleene's strong logic: a comparison on an unknown fact is
unknown, and only definitely true conditions fire), and the whole pack one more that returns
the rules in force whose condition is definitely false. The source is generated from the parsed
conditions only: every fact name and every compared value enters it as a generated name
(``_v12``) bound to the value itself, so the source holds no text from a rule file at all —
only those names, rule positions, operators and keywords (the tests check its grammar).

Numbers compare as whole thousandths (:func:`quantise`), exactly as in the engine and the
three-valued evaluator; the view is quantised once per case.
"""

from __future__ import annotations

import datetime as dt
import marshal
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from formselect.case.kinds import quantise

from .kleene import years_since_key
from .syntax import All, Any_, Compare, Condition, Not

__all__ = ["SOURCE_NAME", "Program", "TestFn", "quantised", "rule_tests"]

SOURCE_NAME = "<formselect compiled conditions>"  # the generated code's file name

# a stratum's function: (quantised view, as_of) -> indexes (into pack.rules) of rules that fire
LayerFn = Callable[[Mapping[str, object], dt.date], list[int]]

_COMPARE = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Source:
    """Collects generated lines and the values they name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.values: dict[str, object] = {}
        self._names: dict[tuple[type, object], str] = {}

    def value(self, value: object) -> str:
        """A name bound to ``value`` (one name per distinct value and type)."""
        key = (type(value), value)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = f"_v{len(self._names)}"
            self.values[name] = value
        return name

    def true(self, node: Condition, negate: bool = False) -> str:
        """A Python expression over ``g`` (the view's ``get``) that is True exactly when the
        node is definitely true (definitely false when ``negate``)."""
        if isinstance(node, Not):
            return self.true(node.item, not negate)
        if isinstance(node, All | Any_):
            conjunction = isinstance(node, All) != negate  # De Morgan holds in Kleene logic
            joiner = " and " if conjunction else " or "
            return "(" + joiner.join(self.true(item, negate) for item in node.items) + ")"
        return self._atom(node.negated() if negate else node)

    def _atom(self, atom: Compare) -> str:
        key = years_since_key(atom.fact) if atom.measure == "years_since" else atom.fact
        read = f"g({self.value(key)})"
        if atom.op == "known":
            return f"({read} is not None)"
        if atom.op == "unknown":
            return f"({read} is None)"
        if atom.op in ("in", "not in"):
            values = atom.value if isinstance(atom.value, tuple) else (atom.value,)
            name = self.value(frozenset(quantise(v) for v in values))
            if atom.op == "in":  # an unknown fact (None) is in no list
                return f"({read} in {name})"
            return f"((x := {read}) is not None and x not in {name})"
        if atom.op in ("contains", "not contains"):
            name = self.value(quantise(atom.value))
            negation = "not " if atom.op == "not contains" else ""
            return f"((x := {read}) is not None and {name} {negation}in x)"
        name = self.value(quantise(atom.value))
        if atom.op == "==":  # no compared value is None, so an unknown fact never equals
            return f"({read} == {name})"
        return f"((x := {read}) is not None and x {_COMPARE[atom.op]} {name})"


class Program:
    """One pack's conditions as generated functions."""

    def __init__(self, rules: Sequence[Any], strata: int,
                 parts: tuple[str, dict[str, object], bytes] | None = None) -> None:
        """Generate and compile the program, or (``parts``, from :attr:`parts` of an equal
        pack in the pack cache) take the generated source, its values and its code."""
        if parts is None:
            source, values = _generate(rules, strata)
            code = compile(source, SOURCE_NAME, "exec")
            parts = (source, values, marshal.dumps(code))
        else:
            source, values = parts[0], parts[1]
            code = marshal.loads(parts[2])  # our own bytes, from the installer-owned cache
        self.parts = parts
        self.source = source
        namespace: dict[str, Any] = dict(values)
        # generated from parsed conditions only (see the module's docstring)
        exec(code, namespace)
        self.strata: tuple[LayerFn, ...] = tuple(namespace[f"stratum_{k}"]
                                                 for k in range(strata))
        # (quantised view, as_of) -> indexes of the rules in force whose condition is
        # definitely false, in no particular order
        self.definitely_false: LayerFn = namespace["definitely_false"]


def _generate(rules: Sequence[Any], strata: int) -> tuple[str, dict[str, object]]:
    """The program's source and the values its names stand for."""
    source = _Source()
    lines = source.lines
    index = {id(r): i for i, r in enumerate(rules)}

    def function(name: str, members: Sequence[Any], negate: bool) -> None:
        lines.extend([f"def {name}(view, day):", "    g = view.get", "    out = []",
                      "    add = out.append"])
        # rules in force over the same days share one test of the day, so a rule out of
        # force costs nothing
        windows: dict[tuple[Any, Any], list[Any]] = {}
        for rule in members:
            windows.setdefault((rule.valid_from, rule.valid_until), []).append(rule)
        for (valid_from, valid_until), found in windows.items():
            valid = f"{source.value(valid_from)} <= day"
            if valid_until is not None:
                valid += f" <= {source.value(valid_until)}"
            lines.append(f"    if {valid}:")
            for rule in found:
                lines.append(f"        if {source.true(rule.condition, negate)}:")
                lines.append(f"            add({index[id(rule)]})")
        lines.append("    return out")

    for stratum in range(strata):
        function(f"stratum_{stratum}", [r for r in rules if r.stratum == stratum], False)
    function("definitely_false", rules, True)
    return "\n".join(lines), source.values


TestFn = Callable[[Callable[[str], object]], bool]  # a quantised view's ``get`` -> holds?


def rule_tests(conditions: Sequence[Condition]) -> tuple[tuple[TestFn, ...], str]:
    """One generated function per condition, in order, with the source they came from: given
    a quantised view's ``get``, each is True exactly when its condition is definitely true
    (the test a stratum function makes). For callers that test a few rules many times,
    such as the trials of ``next_questions``; generated like :class:`Program`, from the
    parsed conditions only."""
    source = _Source()
    for k, condition in enumerate(conditions):
        source.lines += [f"def rule_{k}(g):", f"    return {source.true(condition)}"]
    text = "\n".join(source.lines)
    namespace: dict[str, Any] = dict(source.values)
    exec(compile(text, SOURCE_NAME, "exec"), namespace)  # see the module's docstring
    return tuple(namespace[f"rule_{k}"] for k in range(len(conditions))), text


def quantised(view: Mapping[str, object]) -> dict[str, object]:
    """The view with every number as whole thousandths (as every comparison reads it)."""
    return {k: quantise(v) for k, v in view.items()}
