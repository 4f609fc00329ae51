"""Licences of Debian-packaged fonts whose name table says nothing: the package's
machine-readable `copyright` file (DEP-5) names the licence of each file pattern."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from pathlib import Path

DPKG_INFO = Path("/var/lib/dpkg/info")
DOC = Path("/usr/share/doc")


def owners(paths: Iterable[str], info: Path = DPKG_INFO) -> dict[str, str]:
    """{font path: Debian package} for the paths dpkg installed (one pass over `*.list`)."""
    wanted = set(paths)
    found: dict[str, str] = {}
    if not wanted or not info.is_dir():
        return found
    for listing in info.glob("*.list"):
        try:
            lines = listing.read_text("utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if line in wanted:
                found[line] = listing.stem.split(":")[0]
    return found


def stanzas(text: str) -> list[tuple[list[str], str]]:
    """(file patterns, licence name) of each DEP-5 `Files:` stanza, in order."""
    out = []
    for block in text.split("\n\n"):
        files: list[str] = []
        licence = ""
        for line in block.splitlines():
            if line.startswith("Files:"):
                files = line[6:].split()
            elif line.startswith("License:") and not licence:
                licence = line[8:].strip()
        if files and licence:
            out.append((files, licence))
    return out


def file_licence(path: str, package: str, doc: Path = DOC) -> str:
    """Licence of one installed file per its package's DEP-5 copyright ('' when unknown): the
    last matching stanza wins, as DEP-5 says."""
    try:
        text = (doc / package / "copyright").read_text("utf-8", errors="replace")
    except OSError:
        return ""
    name = Path(path).name
    chosen = ""
    for patterns, licence in stanzas(text):
        if any(p == "*" or fnmatch.fnmatch(name, Path(p).name) for p in patterns):
            chosen = licence
    return chosen


def package_licences(paths: Iterable[str]) -> dict[str, str]:
    """{font path: 'licence (package)'} for the paths Debian packages installed."""
    result = {}
    for path, package in owners(paths).items():
        licence = file_licence(path, package)
        if licence:
            result[path] = f"{licence} ({package})"
    return result
