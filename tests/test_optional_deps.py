"""The default install runs `generate --workers 1` without Ray (an extra, `polyglyph[ray]`) and
without albumentations (a test oracle only): both imports are made to fail in a subprocess, as
if the packages were not installed, and the run must still write its rows. Asking for more
workers without Ray is a one-line error naming the extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
TINY = "page_sizes: [[256, 320]]\nscenes: {document: 1}\nprofiles: {wild: 1}\nlanguages: [en]\n"
BLOCKED = ("ray", "albumentations", "albucore")
RUN = """
import importlib.abc, sys

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return None

BLOCKED = set(sys.argv[1].split(","))
sys.meta_path.insert(0, Absent())
from pipelines.cli import main
code = main(sys.argv[2:])
leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print("LEAKED", ",".join(leaked), file=sys.stderr)
sys.exit(code)
"""


def _generate(tmp_path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    argv = ["generate", "--config", str(config), "--num", "4", "--shard-rows", "2",
            "--out", str(out), "--quiet", *extra]
    return subprocess.run([sys.executable, "-c", RUN, ",".join(BLOCKED), *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env=env)


def test_generate_with_one_worker_needs_neither_ray_nor_albumentations(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    done = _generate(tmp_path, out, "--workers", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "LEAKED \n" in done.stderr + "\n"  # nothing of them was imported, even partly
    rows = [r for p in sorted((out / "data").glob("part-*.parquet"))
            for r in pq.read_table(p, columns=["index", "profile"]).to_pylist()]
    assert [r["index"] for r in rows] == [0, 1, 2, 3] and {r["profile"] for r in rows} == {"wild"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["executor"]["kind"] == "local"


def test_more_workers_without_ray_is_one_line_naming_the_extra(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    done = _generate(tmp_path, out, "--workers", "2")
    assert done.returncode == 1
    lines = [ln for ln in done.stderr.strip().splitlines() if not ln.startswith("LEAKED")]
    assert len(lines) == 1 and "polyglyph[ray]" in lines[0] and "--workers 1" in lines[0]
    assert not list(out.rglob("part-*.parquet"))
