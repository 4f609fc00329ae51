"""A large Parquet corpus through `polyglyph generate`: streamed (bounded worker memory), the
same shard bytes with one worker or two Ray workers, its digest in the manifest, its
distinct characters and words in stats.json.

The corpus is POLYGLYPH_TEST_CORPUS_MB big (default 24; the issue's figure is 200)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.cli import main as cli_main

pytestmark = pytest.mark.slow
SIZE_MB = int(os.environ.get("POLYGLYPH_TEST_CORPUS_MB", "24"))
CONFIG = """\
page_sizes: [[320, 420]]
scenes: {document: 1}
profiles: {clean: 1}
languages: [en]
shard_rows: 2
text: {sources: {corpus: 3, vocab: 1}}
"""


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "en.parquet"
    base = ("Row {i}: the quarterly invoice lists {i} crates of apples, shipped on time "
            "to the harbour warehouse and signed by the night clerk. ")
    per_row = len(base) * 4
    rows = SIZE_MB * (1 << 20) // per_row
    writer = None
    step = 20_000
    for start in range(0, rows, step):
        texts = [(base.format(i=i)) * 4 for i in range(start, min(rows, start + step))]
        table = pa.table({"text": texts})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema, compression="none")
        writer.write_table(table, row_group_size=step)
    assert writer is not None
    writer.close()
    return path


def _run(out: Path, config: Path, corpus: Path, workers: int) -> dict:
    code = cli_main(["generate", "--config", str(config), "--num", "4", "--out", str(out),
                     "--workers", str(workers), "--corpus", f"en={corpus}", "--quiet"])
    assert code == 0
    return json.loads((out / "manifest.json").read_text())


def _shards(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "data").glob("part-*.parquet"))
            or sorted(out.glob("part-*.parquet"))}


def test_big_parquet_corpus_streams_the_same_with_one_or_two_workers(
        big_parquet: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    one = _run(tmp_path / "one", config, big_parquet, 1)
    two = _run(tmp_path / "two", config, big_parquet, 2)
    assert _shards(tmp_path / "one") and _shards(tmp_path / "one") == _shards(tmp_path / "two")
    source = one["config"]["corpus"]["en"]
    assert source["sha256"] == hashlib.sha256(b"text\0" + b"en.parquet\0"
                                              + big_parquet.read_bytes()).hexdigest()
    assert source["rows"] > 10_000 and two["config"]["corpus"] == one["config"]["corpus"]
    stats = json.loads((tmp_path / "one" / "stats.json").read_text())
    ray = json.loads((tmp_path / "two" / "stats.json").read_text())["throughput"]
    assert ray["worker_processes"] >= 1 and ray["worker_peak_rss_mib"] <= 400  # own processes
    assert stats["text_by_language"]["en"]["distinct_words"] > 50
    drawn = "\n".join(pq.read_table(p, columns=["text"]).column(0).to_pylist()[0]
                      for p in sorted((tmp_path / "one").rglob("part-*.parquet")))
    assert "crates of apples" in drawn  # the corpus rows are on the pages
