"""The top-level guard of the `polyglyph` command: every failure a user can cause or meet is one
line naming its culprit, and a real bug is still told apart from them.

- `UsageError` → exit 2; `PolyglyphError` → exit 1 (raised by the code that knows the culprit).
- `OSError` (disk full, quota, file too large, permission denied, read-only filesystem, a file
  gone, too many open files…) → exit 1, one line: the path and the system's reason. These are
  the machine's state, not polyglyph's logic, wherever in the code they surface.
- Malformed JSON (`json.JSONDecodeError`) and pyarrow's errors about a file (`ArrowException`:
  not Parquet, a foreign schema, a truncated footer) → exit 1, one line.
- SIGINT/SIGTERM → exit 130/143 with "interrupted; … resume with the same command" (finished
  shards are complete files and the manifest lists them; a rerun makes only the rest). Ray's
  driver installs a C-level handler that dumps a stack and aborts on SIGTERM, so
  `install_signal_handlers` runs again right after `ray.init`.
- stdout's reader gone (`polyglyph text ... | head`) → exit 141 and no message, as `cat` does.
- Anything else is a bug: one line "internal error (a bug)" with the exception, the path of a
  file holding the full traceback, exit 70 (BSD `EX_SOFTWARE`). `--debug` anywhere on the
  command line (or `POLYGLYPH_DEBUG=1`) lets every exception through with its traceback.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from types import FrameType

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 70  # sysexits.h EX_SOFTWARE: an internal error, not the user's input
EXIT_PIPE = 128 + int(signal.SIGPIPE)  # 141, as a shell reports a reader gone (`| head`)
RESUMED = "; finished shards are kept: resume with the same command"
AFTER_INTERRUPT = {  # what a user does next, said in the one line an interrupted command prints
    "generate": RESUMED, "variants": RESUMED, "validate": RESUMED,
    # an export is not resumed: what it wrote is removed (pipelines.export.cli.discard_partial)
    "export": "; the partial export was removed: rerun the same command",
}


class Terminated(KeyboardInterrupt):
    """SIGTERM as an exception, so `finally` blocks (lock, temp files, Ray) run on the way out.

    A KeyboardInterrupt subclass: code that already treats Ctrl-C as "stop now" treats it alike."""

    signum = int(signal.SIGTERM)


_received: list[int] = []  # the signal that stopped the run (Ray re-raises a plain KeyboardInterrupt)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM kills, even mid-cleanup
    _received.append(signum)
    raise Terminated()


def install_signal_handlers() -> None:
    """SIGTERM raises `Terminated` in the main thread (no-op elsewhere: signals go there)."""
    if _main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def sigterm_guarded() -> bool:
    """True when SIGTERM is ours (the CLI installed it), so a library re-installs it only then."""
    return signal.getsignal(signal.SIGTERM) is _on_sigterm


def take_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Remove `--debug` from the command line; no subcommand has a flag of that name."""
    debug = "--debug" in argv or os.environ.get("POLYGLYPH_DEBUG", "") not in ("", "0")
    return [a for a in argv if a != "--debug"], debug


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else ""


def describe_os_error(exc: OSError) -> str:
    """`PATH: reason` — the file the system named, or the error's own words when it named none."""
    reason = exc.strerror or _first_line(str(exc)) or type(exc).__name__
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


def _arrow_error() -> type[BaseException] | None:
    if "pyarrow" not in sys.modules:  # never imported: no pyarrow error can have been raised
        return None
    import pyarrow as pa

    return pa.ArrowException


def _save_traceback(exc: BaseException) -> str | None:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        fd, path = tempfile.mkstemp(prefix="polyglyph-traceback-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(" ".join(sys.argv) + "\n\n" + text)
    except OSError:
        return None
    return path


def run_guarded(name: str, call: Callable[[], int], debug: bool) -> int:
    """Run a subcommand; map what it raises to (one stderr line, exit status)."""
    prefix = f"polyglyph {name}"
    before = signal.getsignal(signal.SIGTERM)
    install_signal_handlers()
    try:
        return _classify(prefix, name, call, debug)
    finally:  # in-process callers (tests, notebooks) get their own handler back
        if before is not None and _main_thread():
            signal.signal(signal.SIGTERM, before)


def _classify(prefix: str, name: str, call: Callable[[], int], debug: bool) -> int:
    from pipelines.errors import PolyglyphError, UsageError

    try:
        return call()
    except UsageError as exc:  # a bad command line: argparse's exit status
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except PolyglyphError as exc:
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", _received[-1] if _received else int(signal.SIGINT))
        what = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        tail = AFTER_INTERRUPT.get(name, "")
        print(f"{prefix}: interrupted ({what}){tail}", file=sys.stderr)
        return 128 + signum
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_gone():  # not a judge's pipe
            _silence_stdout()
            return EXIT_PIPE
        if debug:
            raise
        return _report(prefix, exc)
    finally:  # what is still buffered goes now: a reader gone is met here, not at exit
        _flush_stdout()


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except (OSError, ValueError, AttributeError):
        pass


def _stdout_gone() -> bool:
    """True when stdout is a pipe whose reader has closed it (poll says POLLERR)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real stdout (a test's capture)
        return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit does not print
    "Exception ignored ... BrokenPipeError" after all."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _report(prefix: str, exc: Exception) -> int:
    arrow = _arrow_error()
    if isinstance(exc, OSError):
        print(f"{prefix}: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(exc, json.JSONDecodeError):
        print(f"{prefix}: error: malformed JSON: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if arrow is not None and isinstance(exc, arrow):
        print(f"{prefix}: error: unreadable Parquet/Arrow data: {_first_line(str(exc))}",
              file=sys.stderr)
        return EXIT_ERROR
    saved = _save_traceback(exc)
    where = f"traceback in {saved}" if saved else "rerun with --debug for the traceback"
    print(f"{prefix}: internal error (a bug, please report it): {type(exc).__name__}: "
          f"{_first_line(str(exc))} ({where}; --debug prints it)", file=sys.stderr)
    return EXIT_BUG
