"""What a worker reports about itself: memory split by mapping, thread CPU, first-shard RSS."""

from __future__ import annotations

import mmap
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.telemetry import (
    TELEMETRY_ENV,
    Usage,
    current_rss_mib,
    memory_now,
    worker_measurements,
)

# a 5 MB face no other test opens: its pages are not resident in this process beforehand, and
# the 0.1 MiB rounding of the figures stays small beside it
FONT = Path("/usr/share/fonts/truetype/noto/NotoSansSignWriting-Regular.ttf")
ROUNDING = 0.2  # two figures, each rounded to 0.1 MiB


def _touch(view: mmap.mmap) -> int:
    return sum(view[i] for i in range(0, len(view), mmap.PAGESIZE))


@pytest.mark.skipif(not Path("/proc/self/smaps").exists() or not FONT.exists(),
                    reason="Linux /proc and Debian Noto fonts")
def test_a_font_file_mapped_twice_counts_its_pages_again() -> None:
    before = memory_now(by_mapping=True)
    with FONT.open("rb") as f:
        first = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        second = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        _touch(first)
        _touch(second)
        after = memory_now(by_mapping=True)
    finally:
        first.close()
        second.close()
    size_mib = FONT.stat().st_size / 2**20
    again = after["fonts_mapped_again"] - before["fonts_mapped_again"]
    assert again >= 0.9 * size_mib - ROUNDING  # the second mapping's pages, counted once more
    assert after["fonts"] - before["fonts"] >= 1.9 * size_mib - ROUNDING  # both mappings are font RSS
    assert after["rss"] >= after["fonts"] + after["anonymous"] - 0.1
    assert after["file_backed"] == pytest.approx(after["rss"] - after["anonymous"], abs=0.11)
    assert set(memory_now()) == {"rss", "pss", "anonymous", "file_backed"}  # the cheap rollup


def test_thread_cpu_and_first_shard_rss_in_a_shard_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TELEMETRY_ENV, raising=False)
    assert "memory_mib" not in worker_measurements(time.process_time(), 0.0, time.time())
    monkeypatch.setenv(TELEMETRY_ENV, "1")  # smaps reading is opt-in
    cpu_started, usage = time.process_time(), Usage.now()
    deadline = time.thread_time() + 0.2
    while time.thread_time() < deadline:  # this thread's own work
        sum(range(1000))
    report = worker_measurements(cpu_started, 0.0, time.time(), usage)
    assert 0.2 <= report["thread_cpu_seconds"] <= report["cpu_seconds"] + 0.01
    assert report["involuntary_switches"] >= 0
    assert 0 < current_rss_mib() <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 + 1
    assert report["peak_rss_mib"] >= report["memory_mib"]["rss"] - 1


def test_importing_core_packages_leaves_the_environment_alone() -> None:
    # OpenCV's own loader sets LD_LIBRARY_PATH when cv2 is first imported: not ours to judge
    code = ("import os, cv2; e = dict(os.environ); import pipelines.shard, pipelines.run, "
            "synth.render, warping, qa_factory.views; assert dict(os.environ) == e, "
            "set(os.environ.items()) ^ set(e.items())")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True,
                   cwd=Path(__file__).resolve().parents[1])


@pytest.mark.parametrize(("preset", "expected"), [(None, "system"), ("mimalloc", "mimalloc")])
def test_the_cli_gives_arrow_the_system_allocator(preset: str | None, expected: str) -> None:
    """The CLI sets the worker environment before pyarrow is imported: Arrow then allocates
    with malloc everywhere (mimalloc kept freed Parquet buffers resident); a user's own
    setting wins."""
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if preset:
        env["ARROW_DEFAULT_MEMORY_POOL"] = preset
    code = ("import sys; from pipelines.cli import COMMANDS, main; "
            "COMMANDS['pool'] = ('pool_probe', ''); sys.modules['pool_probe'] = type(sys)('p'); "
            "sys.modules['pool_probe'].main = lambda argv: print(__import__('pyarrow')"
            ".default_memory_pool().backend_name); main(['pool'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == expected


def test_peak_rss_is_the_process_own_not_its_spawner() -> None:
    """A process started by `subprocess` from a big one keeps the parent's RSS as its
    ru_maxrss floor (exec keeps the old high-water mark); the worker figure must not."""
    big = bytearray(300 * 2**20)
    big[:: 4096] = b"\1" * len(big[:: 4096])  # resident, 300 MiB
    code = ("import resource; from pipelines.telemetry import peak_rss_mib; "
            "print(peak_rss_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    del big
    own, inherited = float(out[0]), float(out[1])
    assert own < 150, (own, inherited)  # an interpreter's own memory (ru_maxrss: ~300+ MiB)


def test_release_free_heap_trims_only_a_fragmented_heap() -> None:
    from pipelines.worker_setup import _libc, release_free_heap

    if _libc() is None:
        return  # not glibc: nothing to release, and nothing is claimed
    assert release_free_heap(min_free=1 << 60) is False  # never that much free
    blocks = [bytearray(64 * 1024) for _ in range(800)]  # heap blocks (below mmap threshold)
    del blocks[::2]  # holes: ~25 MiB free between live blocks
    assert release_free_heap(min_free=1 << 20) is True
    del blocks


def test_a_row_cyclic_garbage_is_gone_before_the_next_row(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """The shard loop runs a young-generation GC pass after every row (`collect_between_rows`),
    so what a row left in reference cycles (pyparsing's backtracking exceptions) is freed then,
    not in the middle of a later row whose page is alive. Here each row leaves a cycle and
    fails; the automatic collector is off, so only the loop's pass can free it."""
    import gc
    import weakref

    import pipelines.shard as shard_module
    from pipelines.manifest import ShardJob

    class Node:
        pass

    left: list[weakref.ref] = []
    alive_at_start: list[bool] = []

    def row_leaving_a_cycle(config, index, ctx, clock):  # noqa: ANN001, ANN202
        alive_at_start.append(any(ref() is not None for ref in left))
        node = Node()
        node.me = node  # a cycle: refcounting alone never frees it
        left.append(weakref.ref(node))
        raise ValueError("this sample fails")

    monkeypatch.setattr(shard_module, "worker_context", lambda config, config_hash: None)
    monkeypatch.setattr(shard_module, "make_row", row_leaving_a_cycle)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        report = shard_module.make_shard({"font_dirs": []}, "hash", ShardJob(0, 0, 3),
                                         str(tmp_path))
    finally:
        if was_enabled:
            gc.enable()
    assert len(report["failures"]) == 3
    assert alive_at_start == [False, False, False]
    assert all(ref() is None for ref in left)
