"""Where formselect keeps what it worked out once, for later processes: a ``_cache`` folder
inside the installed package, written only by a process that may write there (whoever
installed formselect), so reading it trusts no one new. Nothing that uses it may fail when
the folder is missing or read-only."""

from __future__ import annotations

from pathlib import Path

__all__ = ["CACHE_DIR"]

CACHE_DIR = Path(__file__).resolve().parent / "_cache"
