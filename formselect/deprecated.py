"""Old import paths and old names, kept for one release with a DeprecationWarning.

The modules moved into sub-packages (see the README's "How it works"), and a few names
were renamed. ``import formselect.render`` still works, and so do ``formselect.Test`` and
``formselect.errors._ProblemsError``; each warns once with the new name. In the next
release, delete this module and the lines that call it (``grep -rn deprecated formselect``).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ["MOVED", "RENAMED", "install", "moved_attribute", "renamed"]

MOVED: dict[str, str] = {
    "formselect.enums": "formselect.case.enums",
    "formselect.facttypes": "formselect.case.kinds",
    "formselect.vocabulary": "formselect.case.vocabulary",
    "formselect.case_io": "formselect.case.io",
    "formselect.typecheck": "formselect.conditions.typecheck",
    "formselect.satisfiable": "formselect.conditions.satisfiable",
    "formselect.evaluate": "formselect.conditions.kleene",
    "formselect.pack_io": "formselect.pack.load",
    "formselect.pack_check": "formselect.pack.check",
    "formselect.resources": "formselect.pack.builtin",
    "formselect.facts": "formselect.engine.view",
    "formselect._durable": "formselect.engine.durable",
    "formselect.search": "formselect.explain.search",
    "formselect.whynot": "formselect.explain.whynot",
    "formselect.whatif": "formselect.explain.whatif",
    "formselect.questions": "formselect.explain.questions",
    "formselect.render": "formselect.report.text",
    "formselect.report_html": "formselect.report.html",
    "formselect.serialize": "formselect.report.json",
    "formselect.graph": "formselect.report.dot",
    "formselect.frames": "formselect.report.frames",
    "formselect.batch_io": "formselect.batch.io",
    "formselect.grid": "formselect.batch.grid",
    "formselect.progress": "formselect.batch.progress",
    "formselect.batch_cli": "formselect.cli.batch",
    "formselect.interview_cli": "formselect.cli.interview",
    "formselect.scenarios_cli": "formselect.cli.scenarios",
}
"""Old module path -> new module path."""

# The old modules that are packages now: a name they held, and the package no longer
# re-exports, is read from the module that holds the old module's code.
_PACKAGES = {
    "formselect.case": "formselect.case.model",
    "formselect.conditions": "formselect.conditions.syntax",
    "formselect.pack": "formselect.pack.model",
    "formselect.batch": "formselect.batch.run",
}

# Names that went to another module than the rest of their old module.
_ELSEWHERE = {
    ("formselect.facts", "engine_key"): "formselect.engine.durable",
    ("formselect.facts", "engine_value"): "formselect.engine.durable",
    ("formselect.facts", "engine_message"): "formselect.engine.durable",
    ("formselect.pack_io", "MAX_RULES"): "formselect.engine.durable",
    ("formselect.pack_io", "MAX_FACT_KEYS"): "formselect.engine.durable",
    ("formselect.pack_io", "engine_keys_needed"): "formselect.engine.durable",
    ("formselect.pack_io", "located"): "formselect.pack.schema",
    ("formselect.pack_io", "make_rule"): "formselect.pack.schema",
    ("formselect.pack_io", "table_lines"): "formselect.pack.schema",
    ("formselect.pack_io", "check_severity"): "formselect.pack.schema",
    ("formselect.pack_check", "MAX_RULES_PER_NODE"): "formselect.engine.durable",
    ("formselect.pack_check", "MAX_IDENTICAL_PATTERNS"): "formselect.engine.durable",
}

RENAMED: dict[tuple[str, str], tuple[str, str]] = {
    ("formselect", "Test"): ("formselect.advice", "Comparison"),
    ("formselect", "Procurement"): ("formselect.advice", "ProcurementAdvice"),
    ("formselect.advice", "Test"): ("formselect.advice", "Comparison"),
    ("formselect.advice", "Procurement"): ("formselect.advice", "ProcurementAdvice"),
    ("formselect.errors", "_ProblemsError"): ("formselect.errors", "ProblemsError"),
}
"""(module, old name) -> (module, new name)."""


def _warn(old: str, new: str) -> None:
    warnings.warn(f"{old} is now {new}; the old name will be removed in the next release",
                  DeprecationWarning, stacklevel=4)


def renamed(module: str, name: str) -> object:
    """A module ``__getattr__``: the renamed object, with a warning (else AttributeError)."""
    target = RENAMED.get((module, name))
    if target is None and f"{module}.{name}" in MOVED:  # an old module read as an attribute
        return importlib.import_module(f"{module}.{name}")
    if target is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    _warn(f"{module}.{name}", ".".join(target))
    return getattr(importlib.import_module(target[0]), target[1])


def moved_attribute(package: str, name: str) -> object:
    """A package ``__getattr__``: a name its old module held, with a warning."""
    home = _ELSEWHERE.get((package, name), _PACKAGES.get(package, MOVED.get(package, "")))
    value = getattr(importlib.import_module(home), name, None) if home else None
    if value is None or isinstance(value, types.ModuleType) or name.startswith("__"):
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    _warn(f"{package}.{name}", f"{home}.{name}")
    return value


class _OldPath(types.ModuleType):
    """An old module path: every name is read from where it lives now."""

    def __getattr__(self, name: str) -> object:
        home = _ELSEWHERE.get((self.__name__, name), MOVED[self.__name__])
        return getattr(importlib.import_module(home), name)

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(MOVED[self.__name__]))


class _Finder:
    """Finds the old module paths (after every real module), warning once per path. A finder
    and loader by its methods: the ABCs of ``importlib.abc`` would import
    ``importlib.resources`` (and tempfile, shutil, ...) into every process."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, cast("Loader", self))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        warnings.warn(f"{spec.name} is now {MOVED[spec.name]}; the old path will be removed "
                      "in the next release", DeprecationWarning, stacklevel=2)
        return _OldPath(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _Package(types.ModuleType):
    """The ``formselect`` package: an old module path, once imported, does not become its
    attribute, so ``formselect.grid`` stays the function although ``formselect.grid`` was
    also a module (the import system binds each submodule on its parent)."""

    def __setattr__(self, name: str, value: object) -> None:
        if not isinstance(value, _OldPath):
            super().__setattr__(name, value)


def install(package: types.ModuleType) -> None:
    """Let the old module paths under ``package`` be imported (idempotent)."""
    package.__class__ = _Package
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
