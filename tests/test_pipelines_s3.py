"""Output to an object store URI: a real S3-compatible HTTP server (moto) on 127.0.0.1."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from s3_server import bucket_uri, moto_bucket

from pipelines.cli import main as cli_main
from pipelines.output import Output, sha256

TINY = "page_sizes: [[256, 320]]\nscenes: {document: 1}\nprofiles: {clean: 1}\nlanguages: [en, he]\n"


@pytest.fixture(scope="module")
def s3_uri() -> Iterator[str]:
    with moto_bucket("polyglyph-test") as endpoint:
        yield bucket_uri(endpoint, "polyglyph-test/ds")


def test_generate_to_s3_then_resume(s3_uri: str, tmp_path: Path) -> None:
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    argv = ["generate", "--config", str(cfg), "--num", "4", "--shard-rows", "2", "--out", s3_uri,
            "--workers", "1", "--quiet"]
    assert cli_main(argv) == 0
    out = Output(s3_uri)
    assert out.list_names() == ["README.md", "data/part-00000.parquet", "data/part-00001.parquet",
                                "manifest.json", "stats.json"]
    manifest = json.loads(out.read_bytes("manifest.json"))
    for shard in manifest["shards"]:
        data = out.read_bytes(shard["file"])
        assert sha256(data) == shard["sha256"]
        table = pq.read_table(io.BytesIO(data))
        assert table.num_rows == 2 and table.schema.metadata[b"huggingface"]
    assert cli_main(argv) == 0
    stats = json.loads(out.read_bytes("stats.json"))
    assert stats["throughput"]["shards_kept"] == 2 and stats["rows"] == 4


def test_generate_to_an_fsspec_only_scheme(tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    uri = "memory://polyglyph-test/ds"
    assert cli_main(["generate", "--config", str(cfg), "--num", "2", "--out", uri,
                     "--workers", "1", "--quiet"]) == 0
    mem = fsspec.filesystem("memory")
    names = sorted(p.removeprefix("/polyglyph-test/ds/")
                   for p in mem.find("/polyglyph-test/ds", detail=False))
    assert names == ["README.md", "data/part-00000.parquet", "manifest.json", "stats.json"]
    manifest = json.loads(mem.cat("/polyglyph-test/ds/manifest.json"))
    data = mem.cat("/polyglyph-test/ds/data/part-00000.parquet")
    assert sha256(data) == manifest["shards"][0]["sha256"]
