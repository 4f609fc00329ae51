"""A run that fails before any shard is written leaves `--out` as the user gave it: a folder the
run created is gone, an empty one stays empty, a previous run's manifest keeps its bytes.

The failures are real, through the command line: a Ray address the early reachability probe
lets through (`host:abc`, no numeric port to probe) that `ray.init` then refuses, and a
`validate` input shard that is Parquet but not a polyglyph dataset (no `image` column)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
BAD_RAY = "127.0.0.1:abc"  # passes check_reachable (no digit port), ray.init: ValueError


def _fails(args: list[str], *words: str) -> None:
    done = subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert all(w in done.stderr for w in words), done.stderr


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(root.rglob("*"))}


def test_generate_ray_failure_removes_the_folders_it_created(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    out = tmp_path / "new" / "out"
    _fails(["generate", "--num", "1", "--languages", "en", "--ray-address", BAD_RAY,
            "--out", str(out)], "cannot join the Ray cluster")
    assert not (tmp_path / "new").exists()  # was: new/out/manifest.json


def test_generate_ray_failure_leaves_an_empty_folder_empty(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    _fails(["generate", "--num", "1", "--languages", "en", "--ray-address", BAD_RAY,
            "--out", str(tmp_path)], "cannot join the Ray cluster")
    assert list(tmp_path.iterdir()) == []


def test_generate_ray_failure_keeps_the_previous_manifest(tmp_path: Path) -> None:
    """A resumed run that fails before its first shard: the earlier run's manifest, card and
    stats keep their bytes (the manifest was rewritten as `complete: false`)."""
    pytest.importorskip("ray")
    args = ["generate", "--num", "2", "--shard-rows", "1", "--languages", "en", "--seed", "3",
            "--out", str(tmp_path)]
    done = subprocess.run([POLYGLYPH, *args, "--executor", "local", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    (tmp_path / "data" / "part-00001.parquet").unlink()
    before = _tree(tmp_path)
    _fails([*args, "--ray-address", BAD_RAY], "cannot join the Ray cluster")
    assert _tree(tmp_path) == before


def test_variants_ray_failure_removes_the_folder_it_created(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    pytest.importorskip("warping.profiles")
    from PIL import Image

    src = tmp_path / "icdar"
    (src / "images").mkdir(parents=True)
    (src / "gt").mkdir()
    Image.new("RGB", (80, 40), (250, 250, 250)).save(src / "images" / "img_1.jpg")
    (src / "gt" / "gt_img_1.txt").write_text("5,5,60,5,60,30,5,30,Hello\n", "utf-8")
    out = tmp_path / "out"
    _fails(["variants", "--input", str(src), "--format", "icdar2015", "--profile", "scan",
            "--ray-address", BAD_RAY, "--quiet", "--out", str(out)],
           "cannot join the Ray cluster")
    assert not out.exists()


def test_validate_failure_on_first_shard_removes_the_folder_it_created(tmp_path: Path) -> None:
    (tmp_path / "in" / "data").mkdir(parents=True)
    pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "in" / "data" / "part-00000.parquet")
    out = tmp_path / "out"
    _fails(["validate", "--input", str(tmp_path / "in"), "--no-progress", "--out", str(out)],
           "part-00000.parquet", "no 'image' column")
    assert not out.exists()
