"""`polyglyph doctor`: the machine checks of `fonts_manifest.doctor` plus the dependency lock.

The lock check lives up here because it reads the run's provenance (which versions change
bytes); the font and shaping checks stay with the fonts they inspect.
"""

from __future__ import annotations

from fonts_manifest.doctor import Check, report, run_checks
from fonts_manifest.errors import ArgParser

from .lockcheck import check_lock
from .provenance import environment

LOCK_FIX = "make test (or: pip install --require-hashes --no-deps -r requirements/lock.txt)"


def lock_check() -> Check:
    """Drift from the lock is a warning: the run works, but its bytes may differ from others'."""
    lock = check_lock()
    if lock.path is None:
        return Check(True, "dependency lock", "no requirements/lock.txt beside this install "
                     "(installed as a library; set POLYGLYPH_LOCK to check one)", fatal=False)
    if lock.matches:
        return Check(True, "dependency lock", f"all {lock.pinned} pinned packages match {lock.path}")
    shown = ", ".join(f"{n} {i} (lock {lk})" for n, (lk, i) in list(lock.differs.items())[:6])
    more = f" and {len(lock.differs) - 6} more" if len(lock.differs) > 6 else ""
    return Check(False, "dependency lock", f"{len(lock.differs)} differ from {lock.path}: "
                 f"{shown}{more}; shards may not match other machines'", LOCK_FIX, fatal=False)


def byte_versions() -> Check:
    env = environment()
    return Check(True, "versions that change output bytes",
                 ", ".join(f"{k} {v}" for k, v in env.items()))


def main(argv: list[str] | None = None) -> int:
    parser = ArgParser(
        prog="polyglyph doctor",
        description="Check shaping (raqm), fonts, Tesseract, Ray and the dependency lock; "
        "exit 1 with a fix line per problem.",
        examples=["polyglyph doctor"],
    )
    parser.parse_args(argv)
    return report([*run_checks(), byte_versions(), lock_check()])
