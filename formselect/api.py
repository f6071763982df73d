"""The public entry points: ``advise``, ``load_rules`` and the built-in pack."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

from .advice import Advice
from .case.io import case_from_dict, load_case
from .case.model import Case
from .decide import Standing, decide, standing
from .engine import BACKENDS, DEFAULT_BACKEND, Backend, evaluate
from .errors import FormselectError
from .installation import metadata_version
from .pack.builtin import builtin_rules_dir
from .pack.cache import cached_pack, load_files
from .pack.model import Pack

__all__ = ["CaseLike", "DateLike", "RulesLike", "advise", "assess", "builtin_pack", "load_rules",
           "resolve_as_of", "resolve_case", "resolve_rules", "version"]

CaseLike: TypeAlias = Case | Mapping[str, Any] | str | Path
RulesLike: TypeAlias = Pack | str | Path | Sequence[str | Path] | None



@cache
def version() -> str:
    """The installed formselect version."""
    found = metadata_version("formselect")  # what importlib.metadata reads, read quicker
    if found is not None:
        return found
    metadata = importlib.import_module("importlib.metadata")
    try:
        return str(metadata.version("formselect"))
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


@cache
def builtin_pack() -> Pack:
    """The built-in rule pack, loaded and checked once per process (from the installation's
    pack cache when it has an entry for exactly these rules: see ``pack/cache.py``)."""
    return cached_pack(builtin_rules_dir(), version())


def load_rules(*paths: str | Path, builtin: bool = True) -> Pack:
    """A pack of the built-in rules plus extra rule files or folders (``builtin=False``:
    only the given ones, replacing the built-in pack)."""
    sources = [builtin_rules_dir(), *paths] if builtin else list(paths)
    if not sources:
        raise FormselectError("load_rules needs at least one rule file or folder when "
                              "builtin=False")
    return load_files(*sources)


MAX_CACHED_PACKS = 16  # packs loaded by path and kept; the least recently used goes first
_PACKS: OrderedDict[tuple[object, ...], Pack] = OrderedDict()
_PACKS_LOCK = threading.Lock()


def _fingerprint(paths: tuple[str, ...]) -> tuple[object, ...]:
    """What a pack loaded from ``paths`` depends on: every rule file's path, size and
    modification time (an edit, a new file or a deletion gives a new fingerprint)."""
    entries: list[object] = []
    for name in paths:
        path = Path(name)
        files = sorted(path.rglob("*.toml")) if path.is_dir() else [path]
        entries.append(name)
        for file in files:
            try:
                info = file.stat()
            except OSError:
                entries.append((str(file), None))
                continue
            entries.append((str(file), info.st_size, info.st_mtime_ns))
    return tuple(entries)


def _pack_at(paths: tuple[str, ...]) -> Pack:
    """The pack at ``paths``, loaded again whenever a rule file changes."""
    key = _fingerprint(paths)
    with _PACKS_LOCK:
        pack = _PACKS.get(key)
        if pack is not None:
            _PACKS.move_to_end(key)
            return pack
    pack = load_files(*paths)
    with _PACKS_LOCK:
        _PACKS[key] = pack
        while len(_PACKS) > MAX_CACHED_PACKS:
            _PACKS.popitem(last=False)
    return pack


def resolve_rules(rules: RulesLike) -> Pack:
    """The pack to apply: a loaded pack, rule files or folders (loaded once), or None for
    the built-in pack."""
    if rules is None:
        return builtin_pack()
    if isinstance(rules, Pack):
        return rules
    paths = (rules,) if isinstance(rules, str | Path) else tuple(rules)
    return _pack_at(tuple(str(Path(p).resolve()) for p in paths))


def resolve_case(case: CaseLike) -> Case:
    """The case from a :class:`Case`, a dict in the case-file layout, or a case file."""
    if isinstance(case, Case):
        return case
    if isinstance(case, str | Path):
        return load_case(case)
    return case_from_dict(case)


DateLike: TypeAlias = dt.date | str | None


def resolve_as_of(as_of: DateLike, case: Case) -> dt.date:
    """The date to apply the law at: ``as_of`` (a date or YYYY-MM-DD), else the case's own
    ``as_of``, else its ``procurement.start_date``."""
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError:
            raise FormselectError(f"as_of {as_of!r} is not a date; expected YYYY-MM-DD") \
                from None
    # a datetime is a date to Python, but the law is applied on a day, not at an hour
    if as_of is not None and (not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime)):
        raise FormselectError(f"as_of {as_of!r} is a {type(as_of).__name__}; expected a "
                              "datetime.date or YYYY-MM-DD text")
    day = as_of or case.as_of or case.procurement.start_date
    if day is None:
        raise FormselectError("as_of is needed: the case has neither as_of nor "
                              "procurement.start_date; pass as_of=YYYY-MM-DD (the date "
                              "the law is applied)")
    return day


def advise(case: CaseLike, as_of: dt.date | str | None = None, rules: RulesLike = None, *,
           backend: Backend | str | None = None) -> Advice:
    """Advise on a case as at a date.

    ``case`` is a :class:`Case`, a dict in the case-file layout, or a path to a case file.
    ``as_of`` is the date the law is applied — for procurement, the date the procurement
    starts; it defaults to the case's own ``as_of``, then its ``procurement.start_date``.
    ``rules`` is a loaded :class:`Pack`, a rule folder or file (or several), or None for the
    built-in pack. ``backend`` picks the engine (``"durable"``, ``"compiled"`` or
    ``"python"``; by default durable_rules where it imports, else the compiled evaluator):
    every engine gives the same advice, and ``Advice.engine`` names the one that ran.
    """
    the_case = resolve_case(case)
    notes = []
    start = the_case.procurement.start_date
    as_of = resolve_as_of(as_of, the_case)
    if start is not None and start != as_of:
        notes.append(f"Assessed as at {as_of.isoformat()}, as if the procurement started "
                     f"then; the case records a start date of {start.isoformat()}.")
    pack = resolve_rules(rules)
    if pack.rules and not any(rule.in_force(as_of) for rule in pack.rules):
        earliest = min(rule.valid_from for rule in pack.rules)
        notes.append(f"No rule of {pack.name} is in force on {as_of.isoformat()} (the "
                     f"earliest applies from {earliest.isoformat()}): nothing here reflects "
                     "the law on that date.")
    evaluation = evaluate(pack, the_case, as_of, _backend(backend))
    return decide(pack, the_case, as_of, evaluation, formselect_version=version(),
                  notes=notes)


def assess(case: CaseLike, as_of: DateLike = None, rules: RulesLike = None, *,
           backend: Backend | str | None = None) -> Standing:
    """The outcome of :func:`advise` without the trace, certainty or explanations: status,
    ranking, routes, risks, steps, fired rules and derived facts. For batches and grids."""
    the_case = resolve_case(case)
    day = resolve_as_of(as_of, the_case)
    pack = resolve_rules(rules)
    return standing(pack, evaluate(pack, the_case, day, _backend(backend)))


def _backend(name: Backend | str | None) -> str:
    if name is None:
        return DEFAULT_BACKEND
    if name not in BACKENDS:
        raise FormselectError(f"backend {name!r} is not known; expected one of "
                              + ", ".join(repr(str(b)) for b in BACKENDS))
    return name
