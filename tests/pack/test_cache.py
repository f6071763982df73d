"""The installation's cache of the checked built-in pack: the same pack as loading the rule
files, a fresh key for any change, and never an error when it cannot be used."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from formselect import installation
from formselect.case.model import Case, Service
from formselect.engine import Backend, evaluate
from formselect.pack.cache import cached_pack, source_key
from formselect.pack.load import load_pack
from tests.conftest import BUILTIN_RULES, MINI_PACK


def test_a_cached_pack_is_the_loaded_pack(tmp_path: Path) -> None:
    """The first call stores an entry, the second reads it: both equal the loaded pack, and
    the cached compiled conditions fire the same rules."""
    first = cached_pack(BUILTIN_RULES, "1.0", tmp_path)
    [entry] = tmp_path.iterdir()
    second = cached_pack(BUILTIN_RULES, "1.0", tmp_path)
    loaded = load_pack(BUILTIN_RULES)

    assert entry.name.startswith("builtin-")
    assert first == second == loaded
    assert second.digest == loaded.digest
    assert second.program.source == loaded.program.source
    case = Case(service=Service(staff_count=120))
    assert evaluate(loaded, case, loaded.rules[0].valid_from, Backend.PYTHON) == evaluate(
        second, case, loaded.rules[0].valid_from, Backend.COMPILED)


def test_the_key_follows_every_file_the_version_and_python(tmp_path: Path) -> None:
    """Editing a rule file, another formselect version: another key, so no stale entry."""
    rules = tmp_path / "rules"
    shutil.copytree(MINI_PACK, rules)
    before = source_key(rules, "1.0")
    path = next(rules.rglob("*.toml"))
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")

    assert before != source_key(rules, "1.0") != source_key(rules, "1.1")


def test_a_damaged_entry_is_ignored(tmp_path: Path) -> None:
    """An entry that is not a pickled pack (damaged, truncated) is passed over: the pack is
    loaded from its files and the entry written again."""
    cached_pack(MINI_PACK, "1.0", tmp_path)
    [entry] = tmp_path.iterdir()
    entry.write_bytes(b"not a pickle")

    assert load_pack(MINI_PACK) == cached_pack(MINI_PACK, "1.0", tmp_path)
    assert entry.read_bytes() != b"not a pickle"


def test_a_read_only_installation_has_no_cache(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Where this process may not write (a system-wide install read by another user), no
    entry is made and nothing fails; a write that fails half-way leaves nothing either."""
    monkeypatch.setattr(installation.os, "access", lambda path, mode: False)

    assert load_pack(MINI_PACK) == cached_pack(MINI_PACK, "1.0", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()

    monkeypatch.undo()

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    # the entry is written to a temporary file, then renamed: fail at the rename
    monkeypatch.setattr(installation.os, "replace", full_disk)
    assert load_pack(MINI_PACK) == cached_pack(MINI_PACK, "1.0", tmp_path / "cache")
    assert [] == list((tmp_path / "cache").iterdir())


def test_a_missing_cache_folder_that_cannot_be_made_is_no_error(tmp_path: Path) -> None:
    """A cache folder under a file (so it can never be made) is no error either."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")

    assert load_pack(MINI_PACK) == cached_pack(MINI_PACK, "1.0", blocker / "cache")
