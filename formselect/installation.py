"""The installation itself: its package folder, its version, and where formselect keeps what
it worked out once for later processes.

The cache is a ``_cache`` folder inside the installed package, written only by a process that
may write there (whoever installed formselect), so reading it trusts no one new. Nothing that
uses it may fail when the folder is missing or read-only.

Read without ``importlib.resources`` and ``importlib.metadata``: between them they import
about sixty modules (email, zipfile, tempfile, ...), a fifth of a cold start's import time,
for two answers that a file-system install gives directly. Anything unusual (an entry of
``sys.path`` that is an archive, a metadata file without a version) is left to
``importlib.metadata``, which then answers as it always did.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

__all__ = ["CACHE_DIR", "PACKAGE_DIR", "can_keep", "keep_in_cache", "metadata_version",
           "write_atomically"]

# the package's own folder, as importlib.resources.files("formselect") gives it for a package
# on the file system (the folder of the loader's path, not resolved)
PACKAGE_DIR = Path(__file__).parent

CACHE_DIR = Path(__file__).resolve().parent / "_cache"


def metadata_version(name: str) -> str | None:
    """The ``Version`` of the distribution ``name`` (a plain lower-case name, such as
    ``formselect``), from the first ``<name>-*.dist-info`` or ``.egg-info`` folder on
    ``sys.path``: the one importlib.metadata reads. None when this cannot say for sure, and
    the caller should ask importlib.metadata."""
    for entry in sys.path:
        if not isinstance(entry, str):  # a Path or bytes put there by hand: not read here
            return None
        folder = entry or "."
        if entry.endswith(".egg") or os.path.isfile(folder):  # an archive: not read here
            return None
        try:
            children = os.listdir(folder)
        except OSError:  # a folder that does not exist holds no distribution
            continue
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")) \
                    and low.rpartition(".")[0].partition("-")[0] == name:
                return _version_header(Path(folder, child))
    return None


def _version_header(info: Path) -> str | None:
    """The Version header of a metadata folder's METADATA (or PKG-INFO), or None."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            text = (info / filename).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for line in text.splitlines():
            if not line.strip():  # the headers end at the first blank line
                return None
            key, colon, value = line.partition(":")
            if colon and key.lower() == "version":
                return value.strip() or None
        return None
    return None


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` so that no reader ever sees part of it: a unique temporary file beside
    it, then a rename (raises OSError; leaves no temporary file behind)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def can_keep(path: Path) -> bool:
    """Whether this process may write ``path``'s cache folder (or create it in its parent):
    asked before making what would be stored when that costs something."""
    folder = path.parent
    return os.access(folder if folder.is_dir() else folder.parent, os.W_OK)


def keep_in_cache(path: Path, data: bytes) -> bool:
    """Store ``data`` at ``path`` in a cache folder, best effort: only where this process may
    write the folder (or create it in its parent), atomically, and never failing the caller.
    Whether it was stored."""
    if not can_keep(path):
        return False
    try:
        path.parent.mkdir(exist_ok=True)
        write_atomically(path, data)
    except OSError:  # read-only after all, a full disk, a folder removed meanwhile
        return False
    return True
