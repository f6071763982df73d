"""What a pip user gets: the licence, the metadata, the examples and the listing commands."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

import formselect
from formselect.cli import main
from formselect.errors import UnknownNameError

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_licence_file_is_the_mit_licence_the_metadata_declares() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert PROJECT["license"] == {"text": "MIT"}
    assert "License :: OSI Approved :: MIT License" in PROJECT["classifiers"]
    hatch = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]
    assert "LICENSE" in hatch["build"]["targets"]["sdist"]["include"]


def test_the_metadata_has_authors_keywords_and_classifiers() -> None:
    assert PROJECT["authors"][0]["name"]
    assert "public service mutual" in PROJECT["keywords"]
    prefixes = {c.split(" :: ")[0] for c in PROJECT["classifiers"]}
    assert {"Development Status", "Intended Audience", "License", "Operating System",
            "Topic", "Programming Language", "Typing"} <= prefixes


def test_examples_are_found_by_name_or_a_beginning() -> None:
    assert formselect.examples.path("epic_cic_kensington") == formselect.examples.path("epic")
    assert formselect.examples.path("epic").is_file()
    assert "mycsp" in formselect.examples.names()
    advice = formselect.advise(formselect.examples.path("epic"))
    assert advice.recommended == formselect.advise(
        REPO / "examples" / "epic_cic_kensington.toml").recommended
    with pytest.raises(UnknownNameError, match="no example 'xyz'"):
        formselect.examples.path("xyz")


def test_advise_an_example_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["advise", "--example", "epic", "--format", "json"]) == 0
    assert '"recommended"' in capsys.readouterr().out
    with pytest.raises(SystemExit) as caught:  # a file and an example: usage error
        main(["advise", "x.toml", "--example", "epic"])
    assert caught.value.code == 2


def test_rules_list_forms_routes_and_facts(capsys: pytest.CaptureFixture[str]) -> None:
    pack = formselect.builtin_pack()
    assert main(["rules", "list", "--forms"]) == 0
    forms = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [f[0] for f in forms] == [o.id for o in pack.forms]
    assert main(["rules", "list", "--routes"]) == 0
    routes = capsys.readouterr().out.splitlines()
    assert routes[0].split("\t")[:2] == [pack.routes[0].id, f"burden {pack.routes[0].burden}"]
    assert main(["rules", "list", "--facts"]) == 0
    facts = {line.split("\t")[0]: line.split("\t")[1:] for line in
             capsys.readouterr().out.splitlines()}
    assert facts["ownership.employee_pct"][:2] == ["case", "number"]
    assert facts["regime"][0] == "derived"
    assert {d.name for d in pack.derived} <= set(facts)


@pytest.mark.slow
def test_the_wheel_and_sdist_carry_the_licence_examples_and_stub(tmp_path: Path) -> None:
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            str(tmp_path), str(REPO)], capture_output=True, text=True,
                           timeout=600, check=False)
    if build.returncode != 0:
        pytest.skip(f"the wheel could not be built here: {build.stderr[-400:]}")
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "formselect/_examples/epic_cic_kensington.toml" in names
    assert "formselect/case/model.pyi" in names


def test_ci_installs_exactly_the_declared_minimum_versions() -> None:
    """.ci/minimum-versions.txt pins each runtime dependency at its declared floor."""
    floors = {}
    for requirement in PROJECT["dependencies"]:
        name, _, rest = requirement.partition(">=")
        if rest:
            floors[name.strip()] = rest.split(";")[0].split(",")[0].strip()
    pinned = {}
    for line in (REPO / ".ci" / "minimum-versions.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.strip()] = version.strip()
    assert floors == {"attrs": "23.2", "cattrs": "23.2.1", "tomli-w": "1.0"}
    assert {k: Version(v) for k, v in pinned.items()} == {k: Version(v)
                                                         for k, v in floors.items()}
