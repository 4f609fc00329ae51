"""A Ray cluster with no CPU for shard tasks: one line at once, not a wait without end."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main as cli_main

TINY = "page_sizes: [[256, 320]]\nscenes: {document: 1}\nprofiles: {clean: 1}\nlanguages: [en]\n"


def test_a_cluster_without_cpus_is_one_line_error(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("another test left Ray connected")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY)
    ray.init(address="local", num_cpus=0, include_dashboard=False, logging_level="ERROR")
    try:
        code = cli_main(["generate", "--config", str(cfg), "--num", "2", "--executor", "ray",
                         "--workers", "2", "--out", str(tmp_path / "out"), "--quiet"])
    finally:
        ray.shutdown()
    err = capsys.readouterr().err.strip()
    assert code == 1 and "has 0 CPUs" in err and len(err.splitlines()) == 1, err
    assert not list((tmp_path / "out").rglob("part-*.parquet"))
