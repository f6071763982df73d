"""The example cases that ship with formselect, found the same way from a wheel or a checkout.

    >>> import formselect
    >>> formselect.examples.path("epic_cic_kensington").name
    'epic_cic_kensington.toml'
    >>> formselect.examples.path("epic").name  # a unique beginning is enough
    'epic_cic_kensington.toml'
"""

from __future__ import annotations

from pathlib import Path

from formselect.errors import unknown_name
from formselect.installation import PACKAGE_DIR

__all__ = ["directory", "names", "path"]


def directory() -> Path:
    """The folder of the example cases (``formselect/_examples`` in a wheel, ``examples/``
    in a checkout or an editable install)."""
    packaged = PACKAGE_DIR / "_examples"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "examples"


def names() -> tuple[str, ...]:
    """Every example's name (its file name without ``.toml``), sorted."""
    return tuple(sorted(p.stem for p in directory().glob("*.toml")))


def path(name: str) -> Path:
    """The file of one example, by its name or a unique beginning of it (``"epic"``); an
    :class:`~formselect.errors.UnknownNameError` suggests the nearest names."""
    known = names()
    stem = name.removesuffix(".toml")
    if stem not in known:
        starts = [n for n in known if n.startswith(stem)]
        if len(starts) != 1 or not stem:
            raise unknown_name("example", name, starts or known,
                               f"the examples ({', '.join(known)})")
        stem = starts[0]
    return directory() / f"{stem}.toml"
