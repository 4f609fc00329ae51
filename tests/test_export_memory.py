"""`polyglyph export` streams: what it holds does not grow with the dataset.

Three ways it grew, each measured without a clock: Arrow memory while reading a shard (the
whole shard was buffered by `iter_batches` over all row groups), Python memory while writing
COCO (every annotation was kept until the end), and the TRL row groups (64 conversations of
large PNG pages each, about three copies of each alive at the peak). Peak RSS figures of whole
exports: bench/export_memory.py.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipelines.export.base import open_rows


def _shard(path: Path, rows: list[dict[str, Any]], group: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=group, compression="none")


def test_reading_holds_one_row_group_of_arrow_memory(tmp_path: Path) -> None:
    """48 rows of 1 MB in row groups of 4: Arrow held the whole 48 MB shard while its rows
    were read (export and validate alike), now about one row group."""
    from pipelines.validate_shard import _row_batches

    rows = [{"id": str(n), "image": {"bytes": os.urandom(1 << 20), "path": None},
             "lines": []} for n in range(48)]
    _shard(tmp_path / "ds" / "data" / "part-00000.parquet", rows, group=4)
    del rows
    # Arrow's pool is the process's: what earlier tests still hold is the baseline
    base = pa.total_allocated_bytes()
    live = []
    for row in open_rows(tmp_path / "ds").rows(["id", "image"]):
        live.append(pa.total_allocated_bytes() - base)
        assert row["image"]["bytes"]
    assert len(live) == 48 and max(live) < 16 << 20, max(live)
    live.clear()
    handle = pq.ParquetFile(tmp_path / "ds" / "data" / "part-00000.parquet")
    for batch in _row_batches(handle, 8, "shard"):
        live.append(pa.total_allocated_bytes() - base)
        assert len(batch) == 8
    assert len(live) == 6 and max(live) < 24 << 20, max(live)


def _page(n: int, lines: int) -> dict[str, Any]:
    """A row of `lines` lines with 40-point polygons on a small real PNG."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buf, "PNG")
    polygon = [[float(i), float(i % 7)] for i in range(40)]
    line = {"text": "polyglyph", "polygon": polygon, "quad": polygon[:4], "legible": True}
    return {"id": f"r{n}", "image": {"bytes": buf.getvalue(), "path": None}, "width": 64,
            "height": 48, "lines": [line] * lines, "words": []}


def _coco_peak(tmp_path: Path, rows: int) -> tuple[int, dict[str, Any]]:
    from pipelines.export.formats.detection import write_coco

    _shard(tmp_path / f"ds{rows}" / "data" / "part-00000.parquet",
           [_page(n, 150) for n in range(rows)], group=4)
    out = tmp_path / f"coco{rows}"
    out.mkdir()
    source = open_rows(tmp_path / f"ds{rows}")
    tracemalloc.start()
    try:
        write_coco(source, out, argparse.Namespace(illegible="mark", runs=True), False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sorted(p.name for p in out.iterdir()) == ["coco_text.json", "images", "index.jsonl"]
    return peak, json.loads((out / "coco_text.json").read_text("utf-8"))


def test_coco_memory_is_flat_in_the_rows(tmp_path: Path) -> None:
    """Python's peak while writing 32 pages is about that of 8 (all 4,800 annotations were
    kept as dicts before: ~4x); the document is complete and numbered in order."""
    small, _ = _coco_peak(tmp_path, 8)
    large, data = _coco_peak(tmp_path, 32)
    assert large < 1.5 * small, (small, large)
    assert [a["id"] for a in data["annotations"]] == list(range(1, 32 * 150 + 1))
    assert [i["id"] for i in data["images"]] == list(range(1, 33))
    assert data["annotations"][-1]["image_id"] == 32


@pytest.mark.parametrize("lists", [([], []), ([{"a": "ü", "b": [1.5, None]}], [0, "x"]),
                                   ([1, 2, 3], [])])
def test_spooled_document_is_json_dumps_byte_for_byte(tmp_path: Path,
                                                      lists: tuple[list[Any], list[Any]]) -> None:
    from pipelines.export.spool import JsonListSpool, write_document

    first, second = JsonListSpool(tmp_path, "one"), JsonListSpool(tmp_path, "two")
    for item in lists[0]:
        first.add(item)
    for item in lists[1]:
        second.add(item)
    write_document(tmp_path / "doc.json", [("info", {"k": "ß"}), ("one", first), ("two", second)])
    expected = json.dumps({"info": {"k": "ß"}, "one": lists[0], "two": lists[1]},
                          ensure_ascii=False) + "\n"
    assert (tmp_path / "doc.json").read_text("utf-8") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]  # spools removed


def test_trl_row_groups_are_bounded_and_keep_pages_whole(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """12 pages of ~1 MB noise PNG, 3 tasks each, with a 4 MB group cap: no row group holds
    more than the cap plus one page, no page is split over two groups, each page is stored
    once (Parquet's 1 MiB dictionary limit stored one page of every group twice), and
    `datasets` loads every conversation with its image."""
    import datasets

    from pipelines.cli import main as cli_main
    from pipelines.export.formats import vlm

    monkeypatch.setattr(vlm, "TRL_GROUP_BYTES", 4 << 20, raising=False)
    rng = np.random.default_rng(7)
    rows, sizes = [], {}
    for n in range(12):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (340, 1000, 3), dtype=np.uint8)).save(buf, "PNG")
        sizes[f"p{n}"] = len(buf.getvalue())
        tasks = [{"task": t, "prompt": f"{t}?", "answer": f"{t} {n}", "meta": "{}"}
                 for t in ("spotting", "parsing", "counting")]
        rows.append({"id": f"p{n}", "image": {"bytes": buf.getvalue(), "path": None},
                     "lines": [], "tasks": tasks})
    _shard(tmp_path / "ds" / "data" / "part-00000.parquet", rows, group=4)
    out = tmp_path / "trl"
    assert cli_main(["export", "--input", str(tmp_path / "ds"), "--format", "trl", "--out",
                     str(out), "--quiet"]) == 0
    handle = pq.ParquetFile(next((out / "data").glob("*.parquet")))
    seen: set[str] = set()
    stored = 0
    for group in range(handle.metadata.num_row_groups):
        ids = set(handle.read_row_group(group, columns=["id"])["id"].to_pylist())
        assert not ids & seen, ids & seen
        seen |= ids
        assert sum(sizes[i] for i in ids) <= (4 << 20) + max(sizes.values())
        meta = handle.metadata.row_group(group)
        stored += next(meta.column(c).total_compressed_size for c in range(meta.num_columns)
                       if meta.column(c).path_in_schema.endswith("bytes"))
    assert seen == set(sizes) and stored < 1.02 * sum(sizes.values()), (stored, sizes)
    loaded = datasets.load_dataset(str(out), split="train")
    assert len(loaded) == 36 and loaded[35]["images"][0].size == (1000, 340)


def test_coco_stopped_midway_leaves_no_spool(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while annotations are spooled: the export's folder goes, hidden spools with it."""
    from pipelines.export import cli as export_cli
    from pipelines.export.formats import detection

    _shard(tmp_path / "ds" / "data" / "part-00000.parquet", [_page(n, 20) for n in range(6)],
           group=2)
    real, calls = detection.coco_annotation, []

    def stop_at_50(*args: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 50:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(detection, "coco_annotation", stop_at_50)
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new" / "coco", tmp_path / "empty"):
        calls.clear()
        with pytest.raises(KeyboardInterrupt):
            export_cli.main(["--input", str(tmp_path / "ds"), "--format", "coco", "--out",
                             str(out), "--quiet"])
        assert len(calls) == 50
    assert not (tmp_path / "new").exists() and not list((tmp_path / "empty").iterdir())
