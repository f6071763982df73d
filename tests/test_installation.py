"""What the installation says about itself, read without importlib.metadata and
importlib.resources (issue 13, cold start): the same answers those give, or none."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import os
import subprocess
import sys
from pathlib import Path

import pytest

import formselect
from formselect import api, installation
from formselect.installation import CACHE_DIR, PACKAGE_DIR, metadata_version, write_atomically
from formselect.pack.builtin import builtin_rules_dir
from formselect.pack.cache import source_key
from tests.conftest import REPO


def test_the_version_is_the_one_importlib_metadata_reads() -> None:
    assert importlib.metadata.version("formselect") == metadata_version("formselect")
    assert importlib.metadata.version("formselect") == formselect.version()


def test_the_package_folder_is_the_one_importlib_resources_gives() -> None:
    assert Path(str(importlib.resources.files("formselect"))) == PACKAGE_DIR


def _distribution(folder: Path, name: str, metadata: str | None,
                  filename: str = "METADATA") -> None:
    info = folder / name
    info.mkdir(parents=True)
    if metadata is not None:
        (info / filename).write_text(metadata, encoding="utf-8")


def test_the_first_distribution_on_the_path_gives_the_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As importlib.metadata finds it: the first folder of sys.path that holds one; a
    header named like Version but not Version is not read."""
    _distribution(tmp_path / "a", "other-1.0.dist-info", "Version: 9\n")
    _distribution(tmp_path / "b", "Formselect-2.0.dist-info",
                  "Metadata-Version: 2.1\nName: formselect\nVersion: 2.0\n\nVersion: 3\n")
    _distribution(tmp_path / "c", "formselect-4.0.dist-info", "Version: 4.0\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(tmp_path / "a"),
                                      str(tmp_path / "b"), str(tmp_path / "c")])

    assert "2.0" == metadata_version("formselect")
    assert "2.0" == importlib.metadata.version("formselect")


def test_an_egg_info_folder_gives_its_version(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _distribution(tmp_path, "formselect.egg-info", "Name: formselect\nVersion: 5.1\n",
                  filename="PKG-INFO")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])

    assert "5.1" == metadata_version("formselect") == importlib.metadata.version("formselect")


@pytest.mark.parametrize("metadata", [None, "Name: formselect\n", "Name: x\n\nVersion: 1\n"])
def test_metadata_without_a_version_is_left_to_importlib_metadata(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metadata: str | None) -> None:
    _distribution(tmp_path, "formselect-1.0.dist-info", metadata)
    monkeypatch.setattr(sys, "path", [str(tmp_path)])

    assert metadata_version("formselect") is None


def test_an_archive_on_the_path_is_left_to_importlib_metadata(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"")
    _distribution(tmp_path / "later", "formselect-1.0.dist-info", "Version: 1.0\n")
    monkeypatch.setattr(sys, "path", [str(archive), str(tmp_path / "later")])
    assert metadata_version("formselect") is None

    monkeypatch.setattr(sys, "path", [tmp_path / "later"])  # not text: not read here either
    assert metadata_version("formselect") is None


def test_without_an_answer_the_version_comes_from_importlib_metadata(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "metadata_version", lambda name: None)
    assert importlib.metadata.version("formselect") == api.version.__wrapped__()

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert "0+unknown" == api.version.__wrapped__()


def test_a_file_is_written_whole_or_not_at_all(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "entry"
    write_atomically(target, b"first")
    write_atomically(target, b"second")
    assert b"second" == target.read_bytes()

    def fails(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(installation.os, "replace", fails)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, b"third")
    assert [target] == list(tmp_path.iterdir())  # no temporary file is left behind
    assert b"second" == target.read_bytes()


COLD = """
import sys
import formselect
formselect.advise(formselect.load_case({case!r}), as_of="2025-06-01")
print(" ".join(sorted(sys.modules)))
"""

# what a first advice does not need, and what importing it would cost a cold start
NOT_NEEDED = ("formselect.report", "formselect.pack.load", "formselect.pack.schema",
              "formselect.explain", "formselect.batch", "formselect.cli",
              "cattrs", "importlib.metadata", "importlib.resources", "tempfile", "email")


def test_a_first_advice_imports_only_what_it_needs() -> None:
    """A fresh process that advises on a case file with the built-in pack (read from the
    installation's cache, stored here first) loads no report format, no rule-file loader,
    no cattrs and none of the standard library's heavy readers."""
    formselect.builtin_pack()  # stores the cache entry where the installation allows
    entry = CACHE_DIR / f"builtin-{source_key(builtin_rules_dir(), formselect.version())}.pickle"
    if not entry.exists():
        pytest.skip("this installation cannot keep the pack cache (read-only)")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = COLD.format(case=str(REPO / "examples" / "epic_cic_kensington.toml"))
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)
    loaded = done.stdout.split()

    assert "formselect.api" in loaded
    assert [] == [m for m in loaded if m.startswith(NOT_NEEDED)]
