"""The lock parallel workers take on a cold cache, with a total wait.

Workers on a cold machine serialise one expensive scan (every font file, every language's
coverage) on an flock in the cache dir, so the others read its result instead of repeating it.
The lock only saves work: the cache files are written atomically and a scan without it is
correct, only slower. So a holder that never lets go (a stopped `polyglyph` in a terminal,
Ctrl-Z; a process hung on a network filesystem) must not hang every later run: after
LOCK_WAIT_SECONDS the waiter says so in one line and scans without the lock.
"""

from __future__ import annotations

import fcntl
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_WAIT_SECONDS = 600.0  # a cold scan of every font takes ~1-2 minutes on a slow disk
POLL_SECONDS = 0.2


@contextmanager
def waited_lock(path: Path, what: str) -> Iterator[bool]:
    """Hold an exclusive flock on `path` for the block; yields False (and holds nothing) when
    locking is impossible here or the lock was not free within LOCK_WAIT_SECONDS."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")  # noqa: SIM115  # closed below
    except OSError:
        yield False
        return
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    print(f"polyglyph: note: {path} held by another process for over "
                          f"{LOCK_WAIT_SECONDS:g} s; building the {what} without it",
                          file=sys.stderr)
                    yield False
                    return
                time.sleep(POLL_SECONDS)
            except OSError:  # a filesystem without flock: go on without it
                yield False
                return
        yield True
    finally:
        handle.close()  # releases the lock
