"""Byte-identical output across machines: shards of a fixed small run against recorded digests.

The digests in tests/data/golden_shards.json were made with requirements/lock.txt installed and
the Debian fonts of tools/apt-packages.txt. A fresh machine installing the same lock must write
the same bytes; when it does not, the failure names the shards and what differs from the
recording (lock, library versions, fonts). `make golden` re-records after an intended change.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import golden_shards  # noqa: E402


def test_fixed_run_writes_the_recorded_shard_bytes(tmp_path: Path) -> None:
    expected = json.loads(golden_shards.GOLDEN.read_text("utf-8"))
    got = golden_shards.make_run(tmp_path / "out")
    assert len(got["shards"]) == 3
    diffs = golden_shards.explain(expected, got)
    assert not diffs, "shards differ from tests/data/golden_shards.json:\n" + "\n".join(diffs)


def test_explain_names_the_moved_dependency() -> None:
    recorded = {"shards": {"part-00000.parquet": "a"}, "lock_sha256": "l1",
                "environment": {"numpy": "2.4.6"}, "fonts": "f"}  # fmt: skip
    now = {"shards": {"part-00000.parquet": "b"}, "lock_sha256": "l2",
           "environment": {"numpy": "2.5.0"}, "fonts": "f"}  # fmt: skip
    lines = golden_shards.explain(recorded, now)
    assert lines[0] == "part-00000.parquet: a -> b"
    assert "numpy: recorded with 2.4.6, running 2.5.0" in lines
    assert golden_shards.explain(recorded, recorded) == []
