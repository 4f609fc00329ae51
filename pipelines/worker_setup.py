"""Process settings of a polyglyph worker, in one place: the executors call `setup_worker` once
per process before its first shard, the CLI calls `apply_process_env` before anything imports
pyarrow, and Ray workers get `worker_env()` through the job's runtime_env.

Nothing here runs at import: `import pipelines` (or any core package) leaves `os.environ`, the
GC and the import system as they were.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"
GC_THRESHOLD = (50_000, 20, 20)
_DONE: list[bool] = []


def worker_env() -> dict[str, str]:
    """Environment a worker process must start with (a user's own setting wins).

    Arrow picks its allocator when pyarrow is imported, and only this variable can change it
    for everything (pa.set_memory_pool leaves Arrow's C++ internals such as the Parquet writer
    on the default): mimalloc kept ~16 MiB of freed Arrow memory per worker (peak RSS of 64
    wild rows, local 340 -> 324 MiB, Ray 2 workers 418-432 -> 400-408 MiB; Parquet bytes do not
    depend on the allocator)."""
    from .telemetry import TELEMETRY_ENV

    env = {ARROW_POOL_ENV: os.environ.get(ARROW_POOL_ENV, "system")}
    if os.environ.get(TELEMETRY_ENV):
        env[TELEMETRY_ENV] = os.environ[TELEMETRY_ENV]
    return env


def apply_process_env() -> None:
    """For the CLI process (the local executor's worker): set `worker_env()` before pyarrow is
    imported; later it would not take effect, so this is the first thing `polyglyph` does."""
    for key, value in worker_env().items():
        os.environ.setdefault(key, value)


def setup_worker() -> None:
    """Settings for a process that makes many rows; once per process.

    - Arrow's Python-side pool is the system allocator: mimalloc kept what a shard's tables and
      Parquet write freed for itself, beside glibc's heap where the next pages' arrays go (peak
      RSS of 8 shards x 8 wild rows: mean 541 -> 522 MiB over 3 runs, CPU the same).
    - pandas stays out of the worker (`keep_pandas_out_of_arrow`).
    - glibc serves large blocks (a row group's columns, Parquet buffers, page-size planes) with
      mmap again, so they go back to the system when freed, and keeps smaller ones in its
      heap for the next row (`fixed_mmap_threshold`).
    - Fewer cyclic-GC passes: a page's labels are ~10^4 small lists, and with the default gen-0
      threshold (700) the collector re-walked a shard's rows over and over (~5 % of CPU).
    - One thread for OpenCV: one worker per core, and OpenCV's own pool only adds spin time
      and fights the other workers.
    """
    if _DONE:
        return
    import pyarrow as pa

    from synth.opencv import cv2

    keep_pandas_out_of_arrow()
    pa.set_memory_pool(pa.system_memory_pool())
    fixed_mmap_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    cv2.setNumThreads(1)
    _DONE.append(True)


def collect_between_rows() -> None:
    """A young-generation GC pass between two rows (the shard loop calls it after each row).

    The collector's cost is the live young objects it walks, not the garbage it frees, and in
    the middle of a row those are the page's labels (~10^4 lists and words), which the pass then
    promotes into the older generations for later passes to walk again. Between rows the page
    is gone and what is left is new cache entries and the row's cyclic garbage (pyparsing's
    backtracking exceptions in a formula parse: ~25,000 objects in frame/traceback cycles),
    so the same garbage is freed for less work and the automatic pass (GC_THRESHOLD) no longer
    fires inside a row. Rows 16-63 of the end-to-end config, one process, alternating runs:
    GC CPU 3.2-4.9 -> 2.4-3.4 ms/row (means 4.1 -> 2.9 over 6 and 9 runs); `generate --num
    512 --workers 1 --executor local`, both runs side by side: identical shards, worker CPU
    72.7 -> 71.8 s, peak RSS 385.2 -> 373.6 MiB (cycles freed a row sooner). Nothing a row
    contains depends on when the collector runs."""
    gc.collect(0)


MMAP_THRESHOLD = 4 * 1024 * 1024
TRIM_THRESHOLD = 32 * 1024 * 1024
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers
_M_MMAP_THRESHOLD = -3


def fixed_mmap_threshold() -> None:
    """Blocks of 4 MiB and more from mmap, always, and up to 32 MiB of free heap top kept
    (glibc only; a no-op elsewhere).

    glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB),
    so after the first row groups, a worker's large Arrow buffers came from the heap, where
    freed ones stayed resident between smaller live blocks. Setting the threshold fixes it
    (and stops the raising). Peak RSS of generate --num 512 --shard-rows 512, one local
    worker, with a writer that joined row groups column by column: 801 MiB, and 436 MiB with
    MALLOC_MMAP_THRESHOLD_=131072 (one pair of runs; with one 64-row row group the peak is
    the same order either way, and it varies by tens of MiB from run to run here).

    Why 4 MiB and not 128 KiB: every mmapped block is fresh memory the kernel faults in and
    zeroes, and on this VM that costs ~0.4 ms per MB in 4 KiB pages. With 128 KiB, the warp's
    many band-sized buffers (0.2-4 MB: a light band, a remap band's map, a resized field) were
    each a new mapping: ~62,000 page faults and ~150 ms of system CPU per wild row, 38 % of its
    CPU. Blocks from 4 MiB (page-size planes) still come from mmap, where numpy asks for huge
    pages. glibc's trim threshold stays at 128 KiB once the mmap threshold is set, so the
    freed heap top went back to the kernel after every row and was faulted in again: it is
    kept up to 32 MiB. Rows 16-63 of the end-to-end config in one process, two runs each,
    alternating, load ~11: system CPU 149 -> 24 ms/row, total 373-379 -> 237-244 ms/row,
    peak RSS 502-503 -> 531-532 MiB (128 KiB vs 4 MiB + trim 32 MiB; 1 MiB + 32 MiB gave
    54 ms/row of system CPU and 511 MiB)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    except (OSError, AttributeError):
        pass  # not glibc (musl has no mallopt): its own policy stands


RELEASE_FREE_HEAP_BYTES = 24 * 1024 * 1024


def release_free_heap(min_free: int = RELEASE_FREE_HEAP_BYTES) -> bool:
    """Give the free pages inside glibc's heap back to the kernel (`malloc_trim(0)`) when more
    than `min_free` bytes of it are free; True when it trimmed. glibc only (mallinfo2, glibc
    2.33+); a no-op elsewhere. Pixels, labels and bytes are untouched: only where freed memory
    sits changes.

    Why: a worker's peak RSS comes on the big wild frames, in the warp's photometric steps,
    whose page-size frames come from mmap (`fixed_mmap_threshold`), beside a heap that the
    render left fragmented (at the peak of a default run, 22-28 MiB free in holes between live
    blocks, resident but unused). Called once a row, between the render and the warp
    (`pipelines.sample.make_page`), where the render's temporaries are gone. It trades CPU for
    memory: the pages given back are faulted in again by the next row (a few ms of system time
    a row; the figures are in the commit that added it and in bench/RESULTS.md), so it runs
    only when the holes are large, never after every row."""
    libc = _libc()
    if libc is None or libc.mallinfo2().fordblks < min_free:
        return False
    libc.malloc_trim(0)
    return True


FONT_FILE_SUFFIXES = (b".ttf", b".otf", b".ttc", b".otc", b".pfb", b".pfa", b".woff", b".woff2",
                      b".dfont")  # lower case, as /proc/self/maps paths are compared
_MADV_DONTNEED = 4


RELEASE_FILE_PAGES_BYTES = 16 * 1024 * 1024
_FILE_PAGES_LEFT = [0]  # file-backed resident pages right after the last release (or fewer)


def release_font_pages(min_growth: int = RELEASE_FILE_PAGES_BYTES,
                       suffixes: tuple[bytes, ...] = FONT_FILE_SUFFIXES) -> int:
    """Unmap the resident pages of every read-only font file mapping of this process
    (`madvise(MADV_DONTNEED)`); returns how many mappings it advised. Linux only.

    Why: HarfBuzz, FreeType and Pillow each map a font file whole and RSS counts each mapping's
    resident pages, and the kernel maps 64 KiB around every page fault (fault-around, which
    `MADV_RANDOM` does not stop): drawing one Chinese page left 50 MiB of CJK font files
    resident (NotoSerifCJK 19.5, uming 17.9, NotoSerifCJK-Bold 12.7 MiB), on top of which the
    warp made its page-size frames. The pages stay in the page cache (shared, clean), so the
    next row that reads them takes a minor fault, no disk read and no zeroing; nothing drawn
    changes. Writable mappings are never touched (a private copy would be lost).

    Font files only, by name: a shared library's read-only mappings include its RELRO segment,
    pages the loader wrote (relocations) and then made read-only, and dropping those lost the
    relocations (a worker that advised every read-only file mapping died at once). FreeType,
    HarfBuzz and Pillow map fonts read-only and never write them.

    The pages a later row reads again are faulted back in (minor faults, 64 KiB each), and
    reading /proc/self/maps costs ~2 ms (~800 mappings), so it runs only once the process's
    file-backed RSS grew by `min_growth` since the last release: a Latin page reads a few MiB,
    a CJK page 20-50. End-to-end config (wild, 10 languages, rows 8-72 in one process, arms
    side by side): 8 MiB cost +2.3 % CPU a row (+5-10 ms, twice), 16 MiB +0-1.2 % (3 pairs)
    for the same peak (358 vs 362 MiB, base 381-384), 32 MiB kept most of the fonts (379)."""
    libc = _libc()
    if libc is None:
        return 0
    now = _file_pages()
    _FILE_PAGES_LEFT[0] = min(now, _FILE_PAGES_LEFT[0])  # a file unmapped since: count from now
    if (now - _FILE_PAGES_LEFT[0]) * os.sysconf("SC_PAGE_SIZE") < min_growth:
        return 0
    advised = 0
    with open("/proc/self/maps", "rb") as maps:
        for line in maps:
            parts = line.split(None, 5)
            if len(parts) < 6 or b"w" in parts[1]:
                continue
            path = parts[5].rstrip().lower()
            if not path.endswith(suffixes):
                continue
            start, end = (int(x, 16) for x in parts[0].split(b"-"))
            if libc.madvise(start, end - start, _MADV_DONTNEED) == 0:
                advised += 1
    _FILE_PAGES_LEFT[0] = _file_pages()
    return advised


def _file_pages() -> int:
    """Resident file-backed (and shared) pages of this process: /proc/self/statm's third field,
    a ~20 us read, against ~2 ms for /proc/self/maps."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[2])


_LIBC: list[Any] = []


def _libc() -> Any:
    """glibc with `mallinfo2` typed, or None (not Linux, not glibc)."""
    if _LIBC:
        return _LIBC[0]
    libc = None
    if sys.platform.startswith("linux"):
        import ctypes
        import ctypes.util

        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in (
                "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                "uordblks", "fordblks", "keepcost")]

        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            if hasattr(libc, "mallinfo2") and hasattr(libc, "malloc_trim"):
                libc.mallinfo2.restype = MallInfo2
                libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
            else:
                libc = None
        except OSError:
            libc = None
    _LIBC.append(libc)
    return libc


def freeze_loaded() -> None:
    """After fonts and corpus are loaded (once per config): move them out of every later GC
    pass; they live as long as the process."""
    gc.freeze()


class _NoPandas:
    """Import hook that makes `import pandas` fail (installed only for one pyarrow call)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas":
            raise ImportError("pandas is kept out of polyglyph workers")


def keep_pandas_out_of_arrow() -> None:
    """pyarrow imports pandas (if installed) the first time it converts a Python list, only to
    ask whether the list is a pandas object: +48 MiB of RSS in every worker, which never uses
    pandas. Let that one probe fail while nothing has loaded pandas yet; pyarrow then skips
    the check for lists, and still imports pandas on its own when an explicit pandas call
    (`to_pandas`, `from_pandas`) needs it, so nothing else changes."""
    import pyarrow as pa

    if "pandas" in sys.modules:
        return
    hook = _NoPandas()
    sys.meta_path.insert(0, hook)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(hook)
