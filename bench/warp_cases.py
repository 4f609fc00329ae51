"""The warp stage alone on captured wild rows: CPU, peak memory and output digests (issues 14, 22).

`capture` runs `make_row` on the profile_steps config (wild, ten languages, seed 7) and pickles
each row's flat page and warp record as the pipeline hands them to `warping.apply_warp`;
`run` replays them (as the pipeline calls it: `release_input`, no JPEG decode) in this
checkout and prints per case the CPU ms of `apply_warp`, its peak RSS above the RSS before it
(a thread polling /proc/self/statm every 0.5 ms) and a digest of the image, JPEG bytes and
labels, so two checkouts can be compared case by case (byte-identical or not).

    PYTHONPATH=$PWD .venv/bin/python bench/warp_cases.py capture --dir /tmp/cases --rows 48
    PYTHONPATH=$PWD .venv/bin/python bench/warp_cases.py run --dir /tmp/cases [--repeat 3] [--largest 8]

`run`'s peak is above the RSS before each case: memory a change keeps between calls is not in it,
so compare /proc/self/status VmHWM (absolute) too when a change holds buffers across rows.

Tried and not kept (issue 14, 2026-12-07): a per-process pool of the remap's frame-size
temporaries (the flat page's RGBA copy, `window_map`'s band buffer, the coverage plane), one
buffer a kind reused from row to row instead of fresh mmapped blocks (numpy asks for huge pages
for them, so few faults but each zeroes 2 MB). 24 captured wild rows (seed 7, rows 16..39), one
process, malloc_trim before each call, 4 rounds of back-to-back pooled / fresh pairs of each
row, load ~4: `warp_image` 4.5 CPU ms a row less with all three (median 2.9, sem 1.2; ~890
fewer faults), 1.5 ms (median 1.1, sem 0.9) with the coverage plane alone; end to end
(profile_steps, 24 rows, 4 alternating pairs) warp.remap 47.9 -> 44.4 ms and 2,120 -> 1,420
faults a row, the row total lost in the noise (paired differences -12, +17, -6, -38 ms). Same
bytes. But the pooled buffers sit idle at the photometric peak: absolute VmHWM per case (2 runs
a side) +11 MiB mean and +12 to +13 MiB at the highest case with all three, +2 to +5 MiB with
the coverage plane alone (its buffer sized by the previous frame), with a worker already at its
~390 MiB budget. What the pool saves is the zeroing of the very pages it keeps resident.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import pickle
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PAGE = resource.getpagesize()
LANGS = ["en", "ar", "hi", "ja", "ru", "th", "he", "zh-Hans", "ko", "el"]


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Peak(threading.Thread):
    """Polls RSS every 0.5 ms; `take()` returns the highest value since the last call."""

    def __init__(self, where: bool = False) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.where = where  # keep the main thread's stack at each new peak
        self.stack = ""
        self.main = threading.main_thread().ident

    def run(self) -> None:
        while True:
            now = rss_mib()
            if now > self.peak:
                self.peak = now
                if self.where:
                    frame = sys._current_frames().get(self.main)
                    self.stack = " < ".join(
                        f"{Path(f.f_code.co_filename).stem}.{f.f_code.co_name}:{f.f_lineno}"
                        for f in _frames(frame))
            time.sleep(0.0005)

    def take(self) -> tuple[float, str]:
        peak, stack = max(self.peak, rss_mib()), self.stack
        self.peak, self.stack = 0.0, ""
        return peak, stack


def _trim() -> None:
    """Free heap pages go back to the kernel, so the next case faults its memory in afresh."""
    import ctypes

    ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_hwm() -> None:
    with open("/proc/self/clear_refs", "w") as f:  # 5: reset the peak RSS (VmHWM)
        f.write("5")


def _hwm_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _frames(frame: Any) -> list[Any]:
    out = []
    while frame is not None and len(out) < 6:
        out.append(frame)
        frame = frame.f_back
    return out


def capture(folder: Path, first: int, rows: int) -> None:
    import warping
    from pipelines.config import build_config, config_hash, resolve_config
    from pipelines.sample import make_row, worker_context
    from pipelines.worker_setup import apply_process_env, setup_worker

    apply_process_env()
    setup_worker()
    config = build_config(None, {"languages": LANGS, "profiles": {"wild": 1.0}, "seed": 7,
                                 "num": first + rows})
    resolved = resolve_config(config)
    ctx = worker_context(resolved, config_hash(resolved))
    folder.mkdir(parents=True, exist_ok=True)
    real = warping.apply_warp
    index = [0]

    def grab(page: Any, record: dict[str, Any], *a: Any, **kw: Any) -> Any:
        with open(folder / f"{index[0]:04d}.pkl", "wb") as f:
            pickle.dump((copy.deepcopy(page), record), f, protocol=5)
        return real(page, record, *a, **kw)

    warping.apply_warp = grab  # type: ignore[assignment]
    for i in range(first, first + rows):
        index[0] = i
        make_row(resolved, i, ctx)


def digest(page: Any) -> str:
    h = hashlib.sha256()
    h.update(memoryview(np.ascontiguousarray(page.image)).cast("B"))
    h.update(page.extras.get("image_jpeg", b""))
    for line in page.lines:
        h.update(json.dumps([line.polygon, line.visible, getattr(line, "legibility", None),
                             getattr(line, "legible", None),
                             [[w.polygon, getattr(w, "legibility", None), getattr(w, "legible", None),
                               w.visible] for w in line.words]],
                            default=str).encode())
    for region in page.regions:
        h.update(json.dumps([region.polygon, getattr(region, "visible", None)], default=str).encode())
    return h.hexdigest()[:16]


def run(folder: Path, repeat: int, largest: int, only: list[str], where: bool,
        trim: bool = True) -> None:
    import warping
    from pipelines.worker_setup import apply_process_env, setup_worker

    apply_process_env()
    setup_worker()
    cases = _pick(folder, largest, only)
    peak = Peak(where)
    peak.start()
    out: dict[str, Any] = {}
    for _ in range(repeat):
        for c in cases:
            with open(c, "rb") as f:
                page, record = pickle.load(f)
            if trim:
                _trim()
            _reset_hwm()
            before = rss_mib()
            peak.take()
            t0 = time.process_time()
            moved = warping.apply_warp(page, record, decode_jpeg=False, release_input=True)
            cpu = time.process_time() - t0
            top, stack = peak.take()
            top = max(top, _hwm_mib())
            w, h = record["output_size"]
            entry = out.setdefault(c.stem, {"mp": round(w * h / 1e6, 2), "cpu_ms": [],
                                            "peak_mib": [], "digest": digest(moved)})
            if entry["digest"] != digest(moved):
                entry["digest"] = "NOT-DETERMINISTIC"
            entry["cpu_ms"].append(round(1000 * cpu, 1))
            entry["peak_mib"].append(round(top - before, 1))
            if where:
                entry.setdefault("at", []).append(stack)
            del moved, page
    for name, e in out.items():
        print(json.dumps({"case": name, **e}))
    n = len(out)
    print(json.dumps({"mean_cpu_ms": round(sum(min(e["cpu_ms"]) for e in out.values()) / n, 1),
                      "mean_cpu_ms_all": round(sum(sum(e["cpu_ms"]) / len(e["cpu_ms"])
                                                   for e in out.values()) / n, 1),
                      "mean_peak_mib": round(sum(min(e["peak_mib"]) for e in out.values()) / n, 1),
                      "max_peak_mib": max(min(e["peak_mib"]) for e in out.values())}))


PHASES: list[tuple[str, float, float]] = []  # (phase, traced MiB at its start, its peak)


def _phase(fn: Any, label: str) -> Any:
    import functools
    import tracemalloc

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES.append((label, start / 2**20, tracemalloc.get_traced_memory()[1] / 2**20))
            tracemalloc.reset_peak()
    return wrapper


WRAPPED = [("warping", "apply_geometric"), ("warping.geometric", "warp_image"),
           ("warping.geometric", "build"), ("synth.page", "map_page_geometry"),
           ("warping", "hide"), ("warping", "cover_of"), ("warping", "least_visible_stretch"),
           ("warping", "assess_page"), ("warping.photometric", "jpeg_bytes"),
           ("warping.legibility", "box_contrasts"), ("warping.lightpass", "_apply_run")]


def memory(folder: Path, largest: int, only: list[str]) -> None:
    """Python-traced bytes (numpy and OpenCV's returned arrays) per phase of the largest cases:
    which step holds the most at once."""
    import importlib
    import tracemalloc

    import warping
    from pipelines.worker_setup import apply_process_env, setup_worker
    from warping.steps import PHOTOMETRIC

    apply_process_env()
    setup_worker()
    for module, name in WRAPPED:
        mod = importlib.import_module(module)
        original = getattr(mod, name)
        wrapped = _phase(original, name)
        for m in list(sys.modules.values()):
            for attr, value in list(getattr(m, "__dict__", {}).items()):
                if value is original:
                    setattr(m, attr, wrapped)
    for name, step in PHOTOMETRIC.items():
        step.apply_run = _phase(step.apply_run, f"photo.{step.fuse or name}")  # type: ignore[method-assign]
    cases = _pick(folder, largest, only)
    tracemalloc.start(1)
    worst: dict[str, float] = {}
    for c in cases:
        with open(c, "rb") as f:
            page, record = pickle.load(f)
        PHASES.clear()
        base = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.reset_peak()
        moved = warping.apply_warp(page, record, decode_jpeg=False, release_input=True)
        whole = tracemalloc.get_traced_memory()[1] / 2**20
        del moved, page
        top = sorted(PHASES, key=lambda p: -p[2])[:5]
        print(json.dumps({"case": c.stem, "mp": round(record["output_size"][0]
                                                      * record["output_size"][1] / 1e6, 2),
                          "peak_above_input": round(whole - base, 1),
                          "top": [(p, round(a - base, 1), round(b - base, 1)) for p, a, b in top],
                          "steps": [r["step"] for r in record["photometric"]]}))
        for p, _, b in PHASES:
            worst[p] = max(worst.get(p, -1e9), b - base)
    print(json.dumps({"phase_peaks_above_input": {k: round(v, 1) for k, v in
                                                  sorted(worst.items(), key=lambda kv: -kv[1])}}))


def _pick(folder: Path, largest: int, only: list[str]) -> list[Path]:
    cases = sorted(folder.glob("*.pkl"))
    if only:
        cases = [c for c in cases if c.stem in only]
    if largest:
        sizes = {}
        for c in cases:
            with open(c, "rb") as f:
                _, rec = pickle.load(f)
            sizes[c] = rec["output_size"][0] * rec["output_size"][1]
        cases = sorted(cases, key=lambda c: -sizes[c])[:largest]
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["capture", "run", "memory"])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--first", type=int, default=16)
    parser.add_argument("--rows", type=int, default=48)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--largest", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--where", action="store_true", help="the stack at each case's peak")
    parser.add_argument("--no-trim", action="store_true",
                        help="no malloc_trim before each case (CPU as in a worker's heap)")
    args = parser.parse_args()
    if args.mode == "capture":
        capture(Path(args.dir), args.first, args.rows)
    elif args.mode == "memory":
        memory(Path(args.dir), args.largest, args.only)
    else:
        run(Path(args.dir), args.repeat, args.largest, args.only, args.where, not args.no_trim)
    return 0


if __name__ == "__main__":
    sys.exit(main())
