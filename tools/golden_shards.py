"""Golden shard digests: the same lock (and fonts) on any machine writes byte-identical shards.

`python tools/golden_shards.py --record` runs a small fixed `polyglyph generate` (the config in
CONFIG: four scripts, every built-in profile, both image formats' paths) and writes each shard's
sha256 to tests/data/golden_shards.json, together with what the bytes depend on: the lock file's
digest, the byte-affecting library versions and the installed fonts' fingerprint.
`tests/test_golden.py` makes the same run and compares. Re-record (`make golden`) only when a
change is meant to change output bytes, and say so in that commit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden_shards.json"
ARGS = ["--num", "12", "--shard-rows", "4", "--seed", "2024", "--languages", "en,ar,zh-Hans,hi",
        "--profile", "clean=1,scan=1,photo=1,wild=1", "--workers", "1", "--quiet"]  # fmt: skip


def make_run(out: Path) -> dict[str, Any]:
    """Generate the fixed run into `out` and return what its digests depend on."""
    cmd = [sys.executable, "-m", "pipelines.cli", "generate", *ARGS, "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"generate failed: {done.stderr.strip()[-2000:]}")
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    from fonts_manifest.registry import FontRegistry

    return {
        "args": ARGS,
        # by file name: the digests do not depend on the folder the shards sit in
        "shards": {Path(s["file"]).name: s["sha256"] for s in manifest["shards"]},
        "lock_sha256": manifest["lock"]["sha256"],
        "environment": manifest["environment"],
        "fonts": FontRegistry.load().fingerprint,
    }


def explain(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Every difference, and the dependencies that moved (the likely causes)."""
    lines = [f"{name}: {expected['shards'].get(name)} -> {got['shards'].get(name)}"
             for name in sorted(set(expected["shards"]) | set(got["shards"]))
             if expected["shards"].get(name) != got["shards"].get(name)]  # fmt: skip
    if not lines:
        return []
    if expected["lock_sha256"] != got["lock_sha256"]:
        lines.append("requirements/lock.txt changed since the digests were recorded")
    for key in sorted(set(expected["environment"]) | set(got["environment"])):
        a, b = expected["environment"].get(key), got["environment"].get(key)
        if a != b:
            lines.append(f"{key}: recorded with {a}, running {b}")
    if expected["fonts"] != got["fonts"]:
        lines.append("the installed fonts differ from the recording (Debian font packages)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help=f"write {GOLDEN.name}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="golden-shards-") as tmp:
        got = make_run(Path(tmp) / "out")
    if args.record:
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", "utf-8")
        print(f"golden: {len(got['shards'])} shard digests recorded in {GOLDEN}")
        return 0
    diffs = explain(json.loads(GOLDEN.read_text("utf-8")), got)
    print("\n".join(diffs) or f"golden: {len(got['shards'])} shards identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
