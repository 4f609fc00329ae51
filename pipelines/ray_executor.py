"""Ray executor: one task per shard, results streamed back with `ray.wait`, live row progress.

Generic over the shard function (`generate` and `variants` both use it): a task receives the
shared inputs (put once in the object store), its ShardJob and the output target, and returns
the shard's result entry. Workers report rows done per shard to a tiny progress actor (absolute
counts, so a retried shard restarts its count instead of double counting); the driver polls it
between waits, so the bar shows samples/s and ETA at row granularity.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from pipelines.errors import PolyglyphError

from .driver import ShardFn
from .guard import install_signal_handlers, sigterm_guarded
from .manifest import ShardJob
from .storage import first_line, redact, split_secrets, storage_env
from .worker_setup import worker_env

POLL_SECONDS = 0.5
SNAPSHOT_SECONDS = 5.0  # the progress bar's answer; past it the bar keeps its last count
MAX_RETRIES = 3
ROW_SECONDS = 10.0  # a row's worst healthy time, for the stall window when rows are not reported


class StallWatch:
    """The run's total-wait bound: the time since anything moved (a shard finished, or a
    running shard reported a row) may not pass the window, or the run stops with one line
    naming what is stuck. Rows are only reported when the progress bar is shown (the progress
    actor costs a worker process); without them the window is at least ROW_SECONDS for each
    row of the largest shard, so one slow healthy shard never looks stuck."""

    def __init__(self, timeout: float, jobs: list[ShardJob], rows_reported: bool) -> None:
        biggest = max(job.rows for job in jobs)
        self.window = timeout if rows_reported else max(timeout, ROW_SECONDS * biggest)
        self.timeout = timeout
        self.rows_reported = rows_reported
        self.moved = time.monotonic()
        self.seen: dict[int, int] = {}

    def tick(self, finished_now: bool, in_flight: dict[int, int]) -> bool:
        """True when the window has passed with nothing moving."""
        now = time.monotonic()
        if finished_now or in_flight != self.seen:
            self.moved = now
            self.seen = dict(in_flight)
        return now - self.moved > self.window

    def error(self, waiting: list[ShardJob], done: int, target: str) -> PolyglyphError:
        """One line: how long, which shards (and whether they made any row), what is kept."""
        shown = []
        for job in waiting[:3]:
            rows = self.seen.get(job.index)
            state = (f"{rows} of {job.rows} rows" if rows is not None
                     else "no row" if self.rows_reported else f"{job.rows} rows")
            shown.append(f"{job.name} ({state})")
        more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
        return PolyglyphError(
            f"Ray shard tasks made no progress for {self.window:g} s (--stall-timeout "
            f"{self.timeout:g}): still waiting for {', '.join(shown)}{more}, so a task is hung "
            f"or the cluster never started it; the {done} finished shard(s) in {redact(target)} "
            "are kept, and the same command resumes"
        )


class _Progress:
    """Rows done per shard index (the latest attempt's count)."""

    def __init__(self) -> None:
        self.done: dict[int, int] = {}

    def report(self, shard: int, rows: int) -> None:
        self.done[shard] = rows

    def snapshot(self) -> dict[int, int]:
        return dict(self.done)


# A Ray worker process makes about this many rows, then Ray starts a fresh one: a worker's
# native heap creeps over a long run (fragmentation in FreeType, HarfBuzz, OpenCV and numpy:
# +30 MiB over 800 rows, bench/longrun_memory.py) and only a new process gives it back. One
# restart (imports, font registry, ~3-5 CPU-s) per ~1024 rows (~200 CPU-s) costs ~2 %.
RECYCLE_ROWS = 1024


def tasks_per_worker(jobs: list[ShardJob]) -> int:
    """Ray's `max_calls`: the shard tasks one worker process runs before it exits (at least
    one; whole shards, so a process never stops inside a shard)."""
    largest = max((job.rows for job in jobs), default=1)
    return max(1, RECYCLE_ROWS // max(1, largest))


def task_cause(exc: Exception) -> str:
    """The worker's own exception in one line (type and message), not Ray's wrapper and
    traceback: an object store's OSError carries no errno, only its text (NoSuchBucket,
    connection refused, access denied)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {first_line(cause)}"
    return first_line(exc)


def _task(fn: ShardFn, shared: Any, job: ShardJob, target: str, progress: Any,
          secrets: dict[str, str]) -> dict:
    from pipelines.storage import apply_secrets
    from pipelines.worker_setup import setup_worker

    apply_secrets(secrets)  # storage credentials of the driver, before any filesystem opens
    setup_worker()  # once per worker process: allocator, GC, one OpenCV thread per Ray CPU
    count = [0]

    def on_row() -> None:
        count[0] += 1
        if progress is not None and (count[0] % 4 == 0 or count[0] == job.rows):
            progress.report.remote(job.index, count[0])

    return fn(shared, job, target, on_row)


JOB_CONFIG_ENV = "RAY_JOB_CONFIG_JSON_ENV_VAR"  # set by Ray for a `ray job submit` driver


def job_env_vars(wanted: dict[str, str]) -> dict[str, str]:
    """`wanted` less the variables a submitted job's own runtime_env sets already: Ray refuses
    a driver's runtime_env that names one of them again ("Failed to merge the Job's runtime
    env"), and the job's value is the one its driver and workers run with anyway."""
    raw = os.environ.get(JOB_CONFIG_ENV)
    if not raw:
        return wanted
    try:
        job_env = (json.loads(raw).get("runtime_env") or {}).get("env_vars") or {}
    except (ValueError, AttributeError):
        return wanted
    return {k: v for k, v in wanted.items() if k not in job_env}


def job_secrets() -> dict[str, str]:
    """The driver's storage credentials for its tasks (less those a submitted job's own
    runtime_env already gives every worker)."""
    _, secret = split_secrets(storage_env())
    return job_env_vars(secret)


CONNECT_SECONDS = 10.0
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
"""The client preface of HTTP/2 and an empty SETTINGS frame: what a gRPC client sends first."""


def check_reachable(address: str, source: str) -> None:
    """Refuse a cluster address nothing answers at, or where something other than Ray answers,
    in one line and within about 2 x CONNECT_SECONDS: ray.init on an unreachable `host:port`
    retried for minutes, and on a port held by another server (a web server, the dashboard's
    8265) it waited over 400 s (killed by `timeout 400`), printing Ray's own multi-line warnings.
    Ray's GCS and client server speak gRPC, so an HTTP/2 SETTINGS frame is the expected answer
    to the HTTP/2 preface; with RAY_USE_TLS that is not checked (the handshake is TLS).
    `auto` is checked at the address Ray would take for it (a dead cluster's address file
    left by `ray start` made ray.init wait as long); other forms are left to Ray."""
    spec = address.removeprefix("ray://")
    shown = address
    if spec == "auto":
        try:
            resolved = auto_address()
        except ConnectionError as exc:  # no cluster: said here, before the progress bar
            raise PolyglyphError(f"{source} {address}: cannot join the Ray cluster: "
                                 f"{first_line(exc)}") from None
        if resolved is None:
            return  # Ray's lookup changed: left to ray.init
        spec, shown = resolved, f"{address} ({resolved})"
    if spec != "local" and "://" not in spec and ":" not in spec:  # Ray: "Invalid address format"
        raise PolyglyphError(f"{source} {address}: give host:port (the head's GCS, default "
                             "6379), ray://host:port or auto")
    host, sep, port = spec.rpartition(":")
    if "://" in spec or not sep or not host or not port.isdigit():
        return
    try:
        conn = socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise PolyglyphError(
            f"{source} {shown}: no Ray cluster answers there ({reason}); start it with "
            "`ray start --head`, or check the host, the port and the firewall"
        ) from None
    with conn:
        if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
            return
        answer = _http2_answer(conn)
    if len(answer) < 9 or answer[3] != 0x04:  # a frame header of type SETTINGS
        said = answer[:40].decode("latin-1").splitlines()[0] if answer.strip() else "nothing"
        raise PolyglyphError(
            f"{source} {shown}: something answers there but not a Ray cluster (it said "
            f"{said!r} to a gRPC greeting within {CONNECT_SECONDS:g} s); give the port of "
            "the head's GCS (default 6379) or of its client server (ray://, default 10001)"
        )


def auto_address() -> str | None:
    """`host:port` that `auto` means to Ray here (RAY_ADDRESS, a GCS process running on this
    machine, the address file of the last `ray start`); ConnectionError (Ray's own words) when
    Ray finds none; None when its lookup changed (a private function of Ray's: never fatal)."""
    try:
        from ray._private.services import canonicalize_bootstrap_address

        found = canonicalize_bootstrap_address("auto")
    except ConnectionError:
        raise
    except Exception:  # noqa: BLE001 (Ray's API moved: ray.init decides)
        return None
    return found if isinstance(found, str) and found else None


def _http2_answer(conn: socket.socket) -> bytes:
    """The first bytes the server sends after our HTTP/2 preface (b"" on silence or a close)."""
    deadline = time.monotonic() + CONNECT_SECONDS
    answer = b""
    try:
        conn.sendall(HTTP2_PREFACE)
        while len(answer) < 9 and (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            chunk = conn.recv(64)
            if not chunk:
                break
            answer += chunk
    except OSError:  # a reset, or silence past the deadline (socket.timeout is an OSError)
        pass
    return answer


def _snapshot(progress: Any, last: dict[int, int]) -> dict[int, int]:
    """Rows made so far in each running shard, by the progress actor; a late answer (a busy
    or lost actor) keeps the last one: the bar waits, the run does not."""
    if progress is None:
        return {}
    import ray
    from ray.exceptions import GetTimeoutError, RayError

    try:
        return ray.get(progress.snapshot.remote(), timeout=SNAPSHOT_SECONDS)
    except (GetTimeoutError, RayError):
        return last


def _connect(ray_address: str | None, workers: int) -> bool:
    """ray.init unless already connected; True when this call started the connection."""
    import ray

    if ray.is_initialized():
        return False
    address = ray_address or os.environ.get("RAY_ADDRESS")  # set by `ray job submit`
    guarded = sigterm_guarded()  # ray.init replaces it with a stack dump + abort: put it back
    # workers start with Arrow's allocator chosen (pipelines.worker_setup.worker_env) and the
    # storage settings this driver sees (pipelines.storage.storage_env): a node started by
    # `ray start` elsewhere has neither, and would not reach the bucket of --out or --corpus
    # (credentials go with the tasks instead, through the object store: see run_ray)
    settings, _ = split_secrets(storage_env())
    runtime_env = {"env_vars": job_env_vars({**worker_env(), **settings})}
    if address:
        try:
            ray.init(address=address, logging_level="WARNING", log_to_driver=True,
                     runtime_env=runtime_env)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            # ConnectionError is an OSError: the driver would blame --out ("cannot write to")
            flag = "--ray-address" if ray_address else "RAY_ADDRESS"
            raise PolyglyphError(f"{flag} {address}: cannot join the Ray cluster: "
                                 f"{first_line(exc)}") from None
    else:
        # Ray starts task workers at nice 15, so next to any other busy process (the driver,
        # Ray's own daemons, a neighbour's job) they got a fraction of a core while the local
        # executor runs at nice 0: the two were not compared on equal terms, and a shared
        # machine starved the Ray run. Shard tasks are the whole point of this cluster.
        # address="local": a new instance of our own even when another Ray runs on this
        # machine (ray.init() would join the latest one, which refuses num_cpus)
        ray.init(address="local", num_cpus=workers, include_dashboard=False,
                 logging_level="WARNING", _system_config={"worker_niceness": 0},
                 runtime_env=runtime_env)
    if guarded:
        install_signal_handlers()
    return True


def run_ray(
    fn: ShardFn,
    shared: Any,
    jobs: list[ShardJob],
    target: str,
    on_result: Callable[[dict[str, Any]], None],
    bar: tqdm,
    ray_address: str | None,
    workers: int,
    stall_timeout: float,
) -> None:
    """Every job as a Ray task; `on_result` per finished shard. Stops (tasks cancelled, the
    finished shards kept) when nothing moves for the stall window: see StallWatch."""
    import ray
    from ray.exceptions import RayError, RayTaskError

    if not jobs:
        return
    started_here = _connect(ray_address, workers)
    try:
        cpus = float(ray.cluster_resources().get("CPU", 0))
        if cpus < 1:  # each shard task asks for one CPU: on such a cluster it would wait forever
            raise PolyglyphError(f"the Ray cluster at {ray_address or 'this machine'} has "
                                 f"{cpus:g} CPUs; a shard task needs 1 (start nodes with --num-cpus)")
        task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES,
                          max_calls=tasks_per_worker(jobs))(_task)
        # the progress actor is a whole worker process (~190 MB, ~1.5 s CPU to start, and it
        # takes one of the workers Ray pre-starts, so the second shard task waited for a fresh
        # one): only worth it when someone watches the bar
        progress = None if bar.disable else ray.remote(num_cpus=0)(_Progress).remote()
        shared_ref = ray.put(shared)
        # storage credentials travel in the object store, never in runtime_env (logged)
        secrets_ref = ray.put(job_secrets())
        pending = [task.remote(fn, shared_ref, job, target, progress, secrets_ref)
                   for job in jobs]
        waiting = dict(zip(pending, jobs, strict=True))
        watch = StallWatch(stall_timeout, jobs, progress is not None)
        finished_rows = 0
        finished: set[int] = set()
        in_flight: dict[int, int] = {}
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=POLL_SECONDS)
            for ref in done:
                try:
                    entry = ray.get(ref)
                except RayTaskError as exc:
                    cause = getattr(exc, "cause", None)
                    if isinstance(cause, PolyglyphError):
                        raise PolyglyphError(str(cause)) from None
                    if isinstance(cause, OSError) and cause.errno is not None:
                        raise OSError(cause.errno, cause.strerror, cause.filename) from None
                    raise PolyglyphError(f"a shard task failed: {task_cause(exc)}") from None
                except RayError as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise PolyglyphError(f"a Ray shard task failed for good: {first}") from None
                on_result(entry)
                finished.add(entry["index"])
                finished_rows += entry["planned_rows"]
                waiting.pop(ref, None)
            in_flight = _snapshot(progress, in_flight)
            if watch.tick(bool(done), in_flight):
                for ref in pending:  # a hung task on a shared cluster would hold its CPU
                    try:
                        ray.cancel(ref, force=True)
                    except RayError:
                        pass  # finished or gone meanwhile: nothing left to free
                raise watch.error(list(waiting.values()), len(finished), target)
            shown = finished_rows + sum(n for k, n in in_flight.items() if k not in finished)
            if shown != bar.n:
                bar.n = shown
                bar.refresh()
    finally:
        if started_here:
            ray.shutdown()
