"""Is the running Python package set the one `requirements/lock.txt` pins?

Shard bytes depend on the exact versions of numpy, OpenCV, Pillow, pyarrow and friends
(`provenance.environment()` lists those that do). The lock pins every package that `make
demo`/`make test`/the Dockerfile install; this module compares the installed distributions with
it so `polyglyph doctor` and each run's manifest can say when a machine drifted from the lock
(another day's `pip install`, a hand upgrade) before it writes shards that differ from a
colleague's.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.version import InvalidVersion, Version

LOCK_ENV = "POLYGLYPH_LOCK"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


@dataclass
class LockReport:
    """What the lock says against what is installed; `path` is None when no lock was found."""

    path: Path | None
    sha256: str = ""
    pinned: int = 0
    differs: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (locked, installed)

    @property
    def matches(self) -> bool:
        return self.path is not None and not self.differs

    def summary(self) -> dict[str, object]:
        """For the manifest: the lock's digest and every package that differs from it."""
        return {
            "path": str(self.path) if self.path else None,
            "sha256": self.sha256,
            "pinned": self.pinned,
            "matches": self.matches,
            "differs": {k: {"locked": a, "installed": b} for k, (a, b) in self.differs.items()},
        }


def default_lock_path() -> Path | None:
    """`$POLYGLYPH_LOCK`, else `requirements/lock.txt` of the source tree this code runs from."""
    named = os.environ.get(LOCK_ENV)
    if named:
        return Path(named)
    candidate = Path(__file__).resolve().parent.parent / "requirements" / "lock.txt"
    return candidate if candidate.is_file() else None


def parse_lock(text: str) -> dict[str, str]:
    """`name==version` pins of a pip requirements file (hashes, markers, comments ignored)."""
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[_normal(match.group(1))] = match.group(3)
    return pins


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _same(locked: str, installed: str) -> bool:
    """PEP 440 equality (`2.000` is `2.0`), falling back to the strings for odd versions."""
    try:
        return Version(locked) == Version(installed)
    except InvalidVersion:
        return locked == installed


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def check_lock(path: Path | None = None) -> LockReport:
    """Compare every pinned package with the installed distribution of the same name."""
    path = path if path is not None else default_lock_path()
    if path is None or not path.is_file():
        return LockReport(None)
    data = path.read_bytes()
    pins = parse_lock(data.decode("utf-8", errors="replace"))
    differs = {}
    for name, locked in sorted(pins.items()):
        installed = _installed(name)
        if not _same(locked, installed):
            differs[name] = (locked, installed)
    return LockReport(path, hashlib.sha256(data).hexdigest(), len(pins), differs)
