"""The package's floors: no import cycles, no private names across modules, one durable door.

Read from the source with ``ast`` (nothing is imported), so a late import inside a function,
or one under ``TYPE_CHECKING``, counts like any other: a cycle hidden that way is still a
cycle. ruff guards the same ground where it can: ``PLC0415`` (no imports inside functions)
is on. Its private-import rule (``PLC2701``, a preview rule) skips imports within the
package itself, so these tests are the guard for private names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "formselect"


def module_name(path: Path) -> str:
    """``formselect.case.model`` for formselect/case/model.py (a package by its folder)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    """Whether the module is a package (its file is an ``__init__.py``)."""
    return MODULES[name].name == "__init__.py"


def imports(name: str) -> Iterator[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every import in a module."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    here = name if is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                yield node.lineno, module, alias.name


def edges(name: str) -> set[str]:
    """The formselect modules one module imports (a submodule when a name is one)."""
    found = set()
    for _, module, imported in imports(name):
        submodule = f"{module}.{imported}"
        if imported and submodule in MODULES:
            found.add(submodule)
        elif module in MODULES:
            found.add(module)
    return found - {name}


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph = {name: edges(name) for name in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def test_the_package_has_no_import_cycle() -> None:
    """Every import points down a floor: no two modules reach each other."""
    assert [] == cycles()


def test_the_cycle_check_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself can fail: a made-up upward import closes a cycle."""
    real = edges

    def with_upward(name: str) -> set[str]:
        return real(name) | ({"formselect.api"} if name == "formselect.advice" else set())

    monkeypatch.setitem(globals(), "edges", with_upward)
    assert any("formselect.advice" in c and "formselect.api" in c for c in cycles())


def private_imports() -> list[str]:
    """Imports of a private name (or private module) from another formselect module."""
    found = []
    for name, path in MODULES.items():
        for line, module, imported in imports(name):
            if not module.startswith("formselect"):
                continue
            private = [p for p in (*module.split("."), imported or "")
                       if p.startswith("_") and not p.startswith("__")]
            if private:
                found.append(f"{path}:{line}: {module} {imported}")
    return found


def test_no_private_name_is_imported_across_modules() -> None:
    """Private means used in one module only; a second user makes the name public."""
    assert [] == private_imports()


def test_only_the_engine_imports_durable_rules() -> None:
    """durable_rules stays behind the adapter in formselect/engine/."""
    outside = [f"{MODULES[name]}:{line}" for name in MODULES for line, module, _ in imports(name)
               if module.split(".")[0] in ("durable", "durable_rules_engine")
               and not name.startswith("formselect.engine")]
    assert [] == outside
