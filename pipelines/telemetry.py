"""Worker telemetry for stats.json: CPU seconds, peak RSS, and (opt-in) where memory goes.

What a shard cost the process that made it is reported with the shard: Ray workers are not
children the driver waits for, so the driver's rusage never sees them. The cheap figures
(rusage, /proc/self/status) are always taken; reading /proc/self/smaps(_rollup) for the split by
kind of memory (anonymous, fonts, Ray's libraries) is opt-in: set POLYGLYPH_MEMORY_TELEMETRY=1
(the benchmarks do), the driver passes it on to Ray workers.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

TELEMETRY_ENV = "POLYGLYPH_MEMORY_TELEMETRY"


def memory_telemetry_on() -> bool:
    return os.environ.get(TELEMETRY_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class Usage:
    """CPU and involuntary context switches of the calling thread alone, at one moment."""

    thread_cpu: float
    involuntary_switches: int

    @staticmethod
    def now() -> Usage:
        return Usage(time.thread_time(), resource.getrusage(resource.RUSAGE_THREAD).ru_nivcsw)


_RSS_AT_FIRST_SHARD: list[float] = []
"""RSS of this process when it entered its first shard (runtime and imports, no pages made yet;
the local executor has also loaded the font registry by then): for a Ray worker that is Ray's
own footprint plus our imports, which its peak RSS also counts."""
_PEAK_REPORTED = [0.0]
"""The peak RSS this process reported last: the by-mapping split of memory (~20 ms of smaps
reading) is taken only at the end of shards that raised it, where the peak's makeup is."""


def worker_measurements(
    cpu_started: float, context_seconds: float, started_at: float, usage: Usage | None = None
) -> dict[str, Any]:
    """What this shard cost the worker process: CPU seconds of all its threads, its peak RSS so
    far (ru_maxrss: anonymous and file-backed pages), with telemetry on its memory by kind
    (`memory_now`), who it was and when (wall clock, to see
    how busy the workers were). Ray workers are not children the driver waits for, so the
    driver's rusage never sees them.

    Beside the process CPU: the CPU of the thread that made the rows (the rest is other
    threads: Ray's core worker, Arrow's pools) and how often that thread was preempted
    (involuntary context switches: other processes on a full machine, whose cache traffic makes
    the same work cost more CPU)."""
    end = Usage.now()  # before the smaps reading below, like cpu_seconds
    cpu_seconds = time.process_time() - cpu_started
    peak = peak_rss_mib()
    new_peak = peak > _PEAK_REPORTED[0]
    _PEAK_REPORTED[0] = max(peak, _PEAK_REPORTED[0])
    measured = {
        "span": [round(started_at, 3), round(time.time(), 3)],
        "cpu_seconds": round(cpu_seconds, 3),
        "context_seconds": round(context_seconds, 3),
        "peak_rss_mib": peak,
        "rss_at_first_shard_mib": _RSS_AT_FIRST_SHARD[0] if _RSS_AT_FIRST_SHARD else 0.0,
        "nice": os.getpriority(os.PRIO_PROCESS, 0),  # Ray's default for workers is 15
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }
    if memory_telemetry_on():
        measured["memory_mib"] = memory_now(by_mapping=new_peak)
    if usage is not None:
        measured["thread_cpu_seconds"] = round(end.thread_cpu - usage.thread_cpu, 3)
        measured["involuntary_switches"] = end.involuntary_switches - usage.involuntary_switches
    return measured


def peak_rss_mib() -> float:
    """This process's own peak RSS (MiB): VmHWM, the high-water mark of its memory since it
    started its program; ru_maxrss where /proc is missing.

    Not ru_maxrss on Linux: exec keeps the high-water mark of the memory it replaces, so a
    process spawned by `subprocess` (vfork, then exec) reports its parent's RSS as its own
    floor. Measured: a child of a Python process holding 500 MiB had ru_maxrss 511 MiB and
    VmHWM 10.9 MiB. A worker's figure must be the worker's memory alone."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mib() -> float:
    """VmRSS of this process now (Linux); 0.0 elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
_SMAPS_LINE = re.compile(r"^([0-9a-f]+-[0-9a-f]+ .*)$|^(Rss|Pss|Anonymous):\s+(\d+)", re.M)


def memory_now(by_mapping: bool = False) -> dict[str, float]:
    """This process's memory now (Linux): RSS, PSS (shared pages divided among their users),
    anonymous (heap, arrays) and file-backed; {} elsewhere.

    `by_mapping` also splits the file-backed part (full /proc/self/smaps, ~20 ms): font files,
    the part of those in a file's second and later mappings (RSS counts a page once per
    mapping, and Pillow at each size, FreeType and HarfBuzz each map a font file: those pages
    add RSS but no memory), and Ray's own libraries (`ray/` in the path)."""
    if not by_mapping:
        return _memory_rollup()
    kib = Counter[str]()
    seen_fonts: set[str] = set()
    kinds: tuple[str, ...] = ()
    try:
        with open("/proc/self/smaps") as f:
            text = f.read()
    except OSError:
        return {}
    for header, field, value in _SMAPS_LINE.findall(text):
        if header:
            parts = header.split(maxsplit=5)
            name = parts[5].strip() if len(parts) > 5 else ""
            if name.endswith(FONT_SUFFIXES):
                kinds = ("fonts", "fonts_mapped_again") if name in seen_fonts else ("fonts",)
                seen_fonts.add(name)
            else:
                kinds = ("ray_libraries",) if f"{os.sep}ray{os.sep}" in name else ()
            continue
        kib[field] += int(value)
        if field == "Rss":
            for kind in kinds:
                kib[kind] += int(value)
    mib = {key.lower(): round(kib[key] / 1024, 1) for key in
           ("Rss", "Pss", "Anonymous", "fonts", "fonts_mapped_again", "ray_libraries")}
    mib["file_backed"] = round((kib["Rss"] - kib["Anonymous"]) / 1024, 1)
    return mib


def _memory_rollup() -> dict[str, float]:
    try:
        with open("/proc/self/smaps_rollup") as f:
            kib = {p[0].rstrip(":"): int(p[1]) for p in (ln.split() for ln in f)
                   if len(p) == 3 and p[2] == "kB"}
    except OSError:
        return {}
    rss, anon = kib.get("Rss", 0), kib.get("Anonymous", 0)
    return {"rss": round(rss / 1024, 1), "pss": round(kib.get("Pss", 0) / 1024, 1),
            "anonymous": round(anon / 1024, 1), "file_backed": round((rss - anon) / 1024, 1)}


def mark_first_shard() -> None:
    """Note this process's RSS on entering its first shard (runtime and imports only)."""
    if not _RSS_AT_FIRST_SHARD:
        _RSS_AT_FIRST_SHARD.append(current_rss_mib())
