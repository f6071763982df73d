"""Old import paths and old names keep working for one release, each with a warning."""

from __future__ import annotations

import importlib
import sys

import pytest

import formselect
from formselect.advice import Comparison, ProcurementAdvice
from formselect.batch.run import PARALLEL_MIN
from formselect.deprecated import MOVED
from formselect.engine.durable import MAX_RULES, engine_message
from formselect.errors import ProblemsError
from formselect.report.text import render_text


def fresh_import(name: str) -> object:
    """Import an old path as a first import would (the warning comes once per path)."""
    sys.modules.pop(name, None)
    return importlib.import_module(name)


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_module_path_warns_and_reads_the_new_module(old: str, new: str) -> None:
    """``import formselect.render`` names the new path and serves its names."""
    with pytest.warns(DeprecationWarning, match=rf"{old} is now {new}"):
        module = fresh_import(old)
    public = getattr(importlib.import_module(new), "__all__", ())
    for name in public:
        assert getattr(importlib.import_module(new), name) is getattr(module, name)


def test_old_paths_serve_names_that_moved_elsewhere() -> None:
    """A name that left its module is found where it went."""
    with pytest.warns(DeprecationWarning, match="formselect.pack_io is now"):
        pack_io = fresh_import("formselect.pack_io")
    with pytest.warns(DeprecationWarning, match="formselect.facts is now"):
        facts = fresh_import("formselect.facts")
    with pytest.warns(DeprecationWarning, match="formselect.render is now"):
        render = fresh_import("formselect.render")
    assert MAX_RULES == pack_io.MAX_RULES  # type: ignore[attr-defined]
    assert engine_message is facts.engine_message  # type: ignore[attr-defined]
    assert render_text is render.render_text  # type: ignore[attr-defined]


def test_an_unknown_name_on_an_old_path_is_an_attribute_error() -> None:
    """The shim invents nothing."""
    with pytest.warns(DeprecationWarning, match="formselect.render is now"):
        render = fresh_import("formselect.render")
    with pytest.raises(AttributeError):
        _ = render.no_such_name  # type: ignore[attr-defined]


@pytest.mark.parametrize(("module", "old", "new"), [
    ("formselect", "Test", Comparison),
    ("formselect", "Procurement", ProcurementAdvice),
    ("formselect.advice", "Test", Comparison),
    ("formselect.advice", "Procurement", ProcurementAdvice),
    ("formselect.errors", "_ProblemsError", ProblemsError),
])
def test_a_renamed_class_answers_to_its_old_name_with_a_warning(module: str, old: str,
                                                                new: type) -> None:
    """The old name is the same class, and the warning names the new one."""
    with pytest.warns(DeprecationWarning, match=new.__name__):
        assert new is getattr(importlib.import_module(module), old)


def test_a_name_an_old_module_held_is_read_from_its_package_with_a_warning() -> None:
    """``formselect.batch`` was a module; its names not re-exported still resolve."""
    with pytest.warns(DeprecationWarning, match="formselect.batch.PARALLEL_MIN"):
        assert PARALLEL_MIN == formselect.batch.PARALLEL_MIN  # type: ignore[attr-defined]


def test_an_old_module_read_as_an_attribute_is_imported_with_a_warning() -> None:
    """``formselect.render.render_text`` worked without an import; it still does."""
    sys.modules.pop("formselect.render", None)
    vars(formselect).pop("render", None)
    with pytest.warns(DeprecationWarning, match="formselect.render is now"):
        module = formselect.render  # type: ignore[attr-defined]
    assert render_text is module.render_text


def test_importing_an_old_path_leaves_the_new_names_alone() -> None:
    """The old ``grid`` module path does not replace ``formselect.grid``, the function."""
    grid = formselect.grid
    with pytest.warns(DeprecationWarning, match="formselect.grid is now"):
        fresh_import("formselect.grid")
    assert callable(formselect.grid)
    assert grid is formselect.grid
