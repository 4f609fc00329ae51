"""Long local runs make their shards in child processes, each retired after ~RECYCLE_ROWS rows.

Over a long run a process's native heap creeps (+30 MiB per 800 rows after the warm-up, not
free heap: it stays after malloc_trim; bench/longrun_memory.py), and only a new process gives
it back. Ray workers are recycled for this (`pipelines.ray_executor.RECYCLE_ROWS`, `max_calls`);
the local executor does the same when a run has more rows than that: whole shards, so a process
never stops inside one, the same number of shards per process as a Ray worker runs
(`tasks_per_worker`), and the same bytes (every random choice comes from the per-sample
Generators, never from process state). Runs of up to RECYCLE_ROWS rows stay in-process: no
fork, nothing changes for them.

The child is forked from the driver (imports, config and worker settings inherited, no pickling
of the shard function), reports each row and each finished shard over a pipe, and the driver
records them as before (manifest after every shard). What the driver's run promised stays:
- an error in a shard reaches the driver as the same exception (one line, exit status);
- Ctrl-C, SIGTERM, a stall or a refused result in the driver kill the child and remove the
  shard it was writing (`*.tmp`); finished shards stay listed and the same command resumes;
- kill -9 of the driver takes the child with it (PR_SET_PDEATHSIG): no orphan keeps writing.
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from pipelines.errors import PolyglyphError

from .driver import ShardFn
from .manifest import ShardJob
from .output import Output

_PR_SET_PDEATHSIG = 1


def wanted(jobs: list[ShardJob]) -> bool:
    """Recycle only runs longer than one process's share, and only where fork exists."""
    from .ray_executor import RECYCLE_ROWS

    return sys.platform.startswith("linux") and sum(job.rows for job in jobs) > RECYCLE_ROWS


def batches(jobs: list[ShardJob]) -> list[list[ShardJob]]:
    """The shards of each process, in order: whole shards, as many as a Ray worker runs."""
    from .ray_executor import tasks_per_worker

    size = tasks_per_worker(jobs)
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def run_recycled(fn: ShardFn, shared: Any, target: str, jobs: list[ShardJob],
                 started: Callable[[ShardJob], None], on_row: Callable[[], None],
                 on_result: Callable[[dict[str, Any]], None]) -> None:
    """Each batch of shards in a fresh forked process; results recorded in the driver."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    driver = os.getpid()
    for batch in batches(jobs):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=(fn, shared, target, batch, send, driver),
                                name="polyglyph-local-worker", daemon=True)
        child.start()
        send.close()
        done = False
        try:
            _relay(receive, child, batch, started, on_row, on_result)
            done = True
        finally:
            receive.close()
            if done:  # its last result is in: let it exit on its own
                child.join(timeout=30)
            if child.is_alive():
                child.kill()
            child.join()
            if not done:  # the shard in flight was killed mid-write: its *.tmp goes
                Output(target).remove_stale_tmp()


def _relay(receive: Connection, child: Any, batch: list[ShardJob],
           started: Callable[[ShardJob], None], on_row: Callable[[], None],
           on_result: Callable[[dict[str, Any]], None]) -> None:
    """The child's rows, results and error, in the driver, until its batch is done."""
    for job in batch:
        started(job)
        while True:
            try:
                kind, value = receive.recv()
            except EOFError:
                child.join()
                raise PolyglyphError(
                    f"the local worker process ended (exit status {child.exitcode}) while "
                    f"making {job.name}; the finished shards are kept, and the same command "
                    "resumes") from None
            if kind == "row":
                on_row()
            elif kind == "shard":
                on_result(value)
                break
            else:
                raise value


def _child(fn: ShardFn, shared: Any, target: str, batch: list[ShardJob],
           send: Connection, driver: int) -> None:
    """In the forked process: make the shards, report rows and results; never returns with
    an exception (the driver re-raises it with its traceback attached as a note)."""
    _die_with_parent(driver)
    try:
        for job in batch:
            send.send(("shard", fn(shared, job, target, lambda: send.send(("row", None)))))
    except BaseException as exc:  # noqa: BLE001 (sent to the driver, raised there)
        exc.add_note("in the local worker process:\n" + traceback.format_exc())
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 (an exception that does not pickle: its line)
            exc = PolyglyphError(f"{type(exc).__name__}: {exc}")
        try:
            send.send(("error", exc))
        except OSError:
            pass  # the driver is gone
    finally:
        send.close()


def _die_with_parent(driver: int) -> None:
    """SIGKILL this process when the driver dies (kill -9 leaves the driver no time)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != driver:  # the driver died before prctl took effect
        os._exit(1)
