"""Install one Python version from Debian's unstable binary packages into a private folder.

    python3 .ci/debian_python.py 3.14 DEST      # prints DEST/usr/bin/python3.14 when it works

CI tests formselect on every current Python. Where neither pyenv nor the PATH has a version
and no prebuilt interpreter can be downloaded (this machine reaches Debian's archive and PyPI,
nothing else), Debian unstable's own build of it is used: its packages and the libraries they
need (the C library included, since unstable's is newer than the host's) are unpacked into
DEST, and the interpreter is pointed at DEST's loader and libraries with patchelf. Nothing is
installed on the system; only DEST is written. Every package's SHA-256 is checked against the
archive's index. The interpreter has no pip of its own: ``python -m venv --without-pip`` then
``DEST/pip.whl/pip install pip`` (pip runs from its wheel) gives a venv that works as usual.
"""

from __future__ import annotations

import hashlib
import lzma
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
SUITE = "sid"
ARCH = "amd64"
# Data the interpreter does not need to run the test suite (the host provides time zones
# and certificates; the rest is configuration of a real Debian system).
SKIP = {"media-types", "mime-support", "netbase", "tzdata", "ca-certificates", "debconf",
        "python3-setuptools-whl", "readline-common", "libc-bin", "libdb5.3t64", "base-files"}


def parse_index(text: str) -> dict[str, dict[str, str]]:
    """Package name -> its fields (first entry wins), from a Debian Packages file."""
    packages: dict[str, dict[str, str]] = {}
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields:
            packages.setdefault(fields["Package"], fields)
    return packages


def closure(roots: list[str], index: dict[str, dict[str, str]]) -> list[str]:
    """The roots and every package they depend on (Depends, Pre-Depends), alternatives
    resolved to the first one the index has."""
    wanted: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in wanted or name in SKIP:
            continue
        if name not in index:
            raise SystemExit(f"{name} is not in Debian {SUITE}'s index")
        wanted.append(name)
        fields = index[name]
        for relation in ("Depends", "Pre-Depends"):
            for clause in filter(None, fields.get(relation, "").split(",")):
                options = [re.sub(r"[\s(:].*", "", option.strip()) for option in clause.split("|")]
                todo.append(next((option for option in options if option in index), options[0]))
    return wanted


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (a fixed mirror)
        data: bytes = response.read()
        return data


def main(version: str, dest: Path) -> Path:
    dest = dest.resolve()
    python = dest / "usr" / "bin" / f"python{version}"
    if python.exists():
        return python
    index = parse_index(lzma.decompress(
        fetch(f"{MIRROR}/dists/{SUITE}/main/binary-{ARCH}/Packages.xz")).decode())
    names = closure([f"python{version}", f"python{version}-venv"], index)
    debs = dest.parent / f"{dest.name}-debs"
    debs.mkdir(parents=True, exist_ok=True)
    for name in sorted(names):
        fields = index[name]
        data = fetch(f"{MIRROR}/{fields['Filename']}")
        if hashlib.sha256(data).hexdigest() != fields["SHA256"]:
            raise SystemExit(f"{fields['Filename']}: SHA-256 differs from the index")
        deb = debs / Path(fields["Filename"]).name
        deb.write_bytes(data)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True)
    # Debian unstable has merged /usr: the loader and libc live under usr/lib.
    libdirs = [dest / "usr" / "lib" / "x86_64-linux-gnu", dest / "lib" / "x86_64-linux-gnu"]
    loader = next(path for path in (dest / "usr" / "lib64" / "ld-linux-x86-64.so.2",
                                    dest / "lib64" / "ld-linux-x86-64.so.2",
                                    libdirs[0] / "ld-linux-x86-64.so.2") if path.exists())
    rpath = ":".join(str(path) for path in libdirs if path.exists())
    # DT_RPATH (not RUNPATH) is searched for the libraries of extension modules too.
    subprocess.run(["patchelf", "--set-interpreter", str(loader.resolve()), "--force-rpath",
                    "--set-rpath", rpath, str(python)], check=True)
    wheel = next((dest / "usr" / "share" / "python-wheels").glob("pip-*.whl"))
    shutil.copyfile(wheel, dest / "pip.whl")
    subprocess.run([str(python), "-c", "import ssl, sqlite3, ctypes, lzma, zlib"], check=True)
    return python


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    os.umask(0o022)
    print(main(sys.argv[1], Path(sys.argv[2])))
