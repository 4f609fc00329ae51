"""The local executor's stall bound: `--stall-timeout` means the same as on Ray.

A run on the local executor (`--workers 1`, `--executor local`) makes its shards in this
process, so a row that never ends (a pathological input looping in Python, a C call that never
returns) used to hang the run for good. `StallGuard` watches it from a daemon thread: each row
made and each shard finished restarts the clock; when the window passes with nothing moving:

1. soft stop: the thread marks the stall and sends SIGALRM to the main thread, whose handler
   raises `Stalled` (a BaseException, so no `except Exception` of a sample swallows it; a
   sleep or a blocking read is woken by the signal). The shard being written is aborted by
   its writer (its `*.tmp` removed), the executor turns `Stalled` into one PolyglyphError
   line, and the finished shards stay in the manifest: the same command resumes.
2. hard stop, when the main thread has not left the run within GRACE_SECONDS after that (stuck
   inside a C call that never returns to the interpreter, or the executor is not on the main
   thread so no handler could be installed): the thread removes the run's `*.tmp` files,
   prints the same one line and ends the process with exit status 1 (`os._exit`: the stuck
   thread cannot be unwound). The manifest, rewritten atomically after each shard, lists
   every finished one; the run lock is an flock the kernel drops.

Rows are always counted here (the progress callback runs whether or not the bar is shown), so
unlike Ray's `--quiet` case the window is exactly the timeout. Nothing here touches a row's
bytes: it only watches.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from types import FrameType, TracebackType
from typing import Any

GRACE_SECONDS = 20.0  # after the soft stop, before the process is ended from the watch thread
POLL_SECONDS = 1.0
CLEANUP_SECONDS = 10.0  # the hard stop's cleanup (a remote listing) at most this long


class Stalled(BaseException):  # noqa: N818 (like KeyboardInterrupt: a stop, not an error)
    """Raised in the main thread when the stall window passed; never caught by a sample."""


class StallGuard:
    """Context manager around a local run: `moved()` on every row and finished shard."""

    def __init__(self, timeout: float, describe: Any, cleanup: Any, command: str) -> None:
        """`describe()` -> the one-line message (called once, at the stall); `cleanup()`
        removes the run's temporary files before a hard stop; `command` names the
        subcommand in the line printed on a hard stop (`polyglyph generate: error: …`)."""
        self.timeout = timeout
        self._describe = describe
        self._cleanup = cleanup
        self._command = command
        self._moved = time.monotonic()
        self._stop = threading.Event()
        self._closed = False
        self.message: str | None = None
        self._thread: threading.Thread | None = None
        self._handler_installed = False
        self._old_handler: Any = None
        self._main_ident = threading.main_thread().ident

    def moved(self) -> None:
        """A row was made or a shard finished: the window starts again (one float store)."""
        self._moved = time.monotonic()

    def __enter__(self) -> StallGuard:
        if threading.current_thread() is threading.main_thread():
            self._old_handler = signal.signal(signal.SIGALRM, self._on_alarm)
            self._handler_installed = True
        self._moved = time.monotonic()
        self._thread = threading.Thread(target=self._watch, name="polyglyph-stall-guard",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._closed = True  # a late SIGALRM is ignored from here on
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._handler_installed:
            signal.signal(signal.SIGALRM, self._old_handler)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self.message is not None and not self._closed:
            raise Stalled(self.message)
        if callable(self._old_handler):  # someone else's alarm (pytest-timeout's, say)
            self._old_handler(signum, frame)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            if time.monotonic() - self._moved <= self.timeout:
                continue
            try:
                message = self._describe()
            except Exception as exc:  # noqa: BLE001 (the stop must happen whatever describe does)
                message = f"no row made for {self.timeout:.0f} s ({exc})"
            if time.monotonic() - self._moved <= self.timeout:
                continue  # a row finished while the message was made: not a stall
            self.message = message
            if self._handler_installed and self._main_ident is not None:
                signal.pthread_kill(self._main_ident, signal.SIGALRM)
                if self._stop.wait(GRACE_SECONDS):
                    return  # the main thread left the run: it reports the stall itself
            self._hard_stop()
            return

    def _hard_stop(self) -> None:
        """Clean up within CLEANUP_SECONDS whatever the cleanup does (it may raise, or block on
        a remote target), then end the process: a stuck run must never outlive its bound."""
        try:
            worker = threading.Thread(target=self._quiet_cleanup, name="polyglyph-stall-cleanup",
                                      daemon=True)
            worker.start()
            worker.join(CLEANUP_SECONDS)
        finally:
            try:
                print(f"polyglyph {self._command}: error: {self.message}", file=sys.stderr,
                      flush=True)
            finally:
                os._exit(1)

    def _quiet_cleanup(self) -> None:
        try:
            self._cleanup()
        except BaseException:  # noqa: BLE001, S110 (the next run clears stale temporaries)
            pass
