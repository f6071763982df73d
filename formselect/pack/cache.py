"""The checked built-in pack, kept beside the installed package so that later processes skip
reading and checking its rule files (and compiling its conditions).

* **Where:** a ``_cache`` folder inside the installed ``formselect`` package, beside its own
  code, written only when this process may write there — in practice by whoever installed
  formselect (a virtual environment's owner, or root for a system-wide install). Whoever can
  change that folder can already change formselect's code, so reading it trusts no one new.
  A read-only installation simply has no cache; nothing here ever fails the caller.
* **Key:** a SHA-256 of every built-in rule file (its path and bytes), the formselect
  version, the Python version and formselect's own code (the modules that load, check and
  hold a pack), so an edited rule, another release, another Python or a changed model
  (a new field of a rule, a loader that builds rules differently) never reads a stale entry.
* **What:** the checked :class:`Pack` and its compiled conditions (source, values, code).
* Only the built-in pack is cached: packs an adviser writes are always read and checked.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import pickle
import sys
from pathlib import Path
from typing import Any

from formselect.conditions.compiled import Program
from formselect.installation import CACHE_DIR, can_keep, keep_in_cache

from .model import Pack

__all__ = ["CACHE_DIR", "cached_pack", "code_key", "load_files", "source_key"]

_FORMAT = 1  # the layout of a cache entry


def source_key(folder: Path, version: str) -> str:
    """The cache key of the rule files under ``folder``."""
    digest = hashlib.sha256(f"{_FORMAT}|{version}|{sys.version}".encode())
    digest.update(code_key().encode())
    for path in sorted(folder.rglob("*.toml")):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


@functools.cache
def code_key() -> str:
    """A digest of the code whose objects an entry holds or whose checks made them: a
    development install keeps its version number while this code changes."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for sub in ("pack", "conditions", "case", "engine"):
        for path in sorted((package / sub).glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cached_pack(folder: Path, version: str, cache_dir: Path = CACHE_DIR) -> Pack:
    """The checked pack of ``folder``: from the cache when an entry for exactly these files
    exists, else loaded (and, where the cache folder is writable, stored)."""
    try:
        entry = cache_dir / f"builtin-{source_key(folder, version)}.pickle"
    except OSError:  # a rule file that cannot be read: let the loader say which
        return load_files(folder)
    found = _read(entry)
    if found is not None:
        return found
    pack = load_files(folder)
    _write(entry, pack)
    return pack


def load_files(*paths: str | Path) -> Pack:
    """The pack loaded and checked from rule files or folders (``pack.load.load_pack``). The
    loader (the raw schema, the checks, cattrs) is imported on the first call: a process that
    reads the cached built-in pack never needs it."""
    pack: Pack = importlib.import_module("formselect.pack.load").load_pack(*paths)
    return pack


def _read(entry: Path) -> Pack | None:
    try:
        data = entry.read_bytes()
    except OSError:  # no entry yet
        return None
    try:
        pack, parts = pickle.loads(data)  # our own bytes, see the docstring
        if not isinstance(pack, Pack):
            return None
        # the compiled conditions go with the pack (the cached property's own slot)
        object.__setattr__(pack, "program", Program(pack.rules, pack.strata, parts))
    except Exception:  # a damaged or foreign entry: ignore it, the pack is loaded instead
        return None
    return pack


def _write(entry: Path, pack: Pack) -> None:
    """Store the pack, atomically; any failure (read-only, full disk) leaves no entry."""
    if not can_keep(entry):  # a read-only installation: not even the pickling
        return
    with contextlib.suppress(pickle.PicklingError, TypeError, AttributeError):
        data: Any = (pack, pack.program.parts)
        keep_in_cache(entry, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
