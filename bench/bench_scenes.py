"""Per-scene throughput, end to end, each scene on its default warp profile (`scene_profiles`).

Runs the real `polyglyph generate --scenes S --workers 1` per scene over six languages and reads
what the worker measured itself (stats.json): rows per CPU-second of the worker (= pages/s on one
core, the figure a shared machine does not distort) and milliseconds per row by stage. Issue 17's
target is >= 5 pages/s/core for every new scene. Last stdout line: JSON.

    .venv/bin/python bench/bench_scenes.py --num 40
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
SCENES = ("screenshot", "video-frame", "ticket", "scene-text", "poster", "game-ui")
LANGS = "en,ar,zh-Hans,hi,th,ru"


def measure(scene: str, num: int, timeout: float = 900.0) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        cmd = [POLYGLYPH, "generate", "--scenes", scene, "--num", str(num), "--out", str(out),
               "--workers", "1", "--languages", LANGS, "--seed", "17", "--quiet"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{scene}: generate failed: {proc.stderr.strip()[-400:]}")
        stats = json.loads((out / "stats.json").read_text())
    tp = stats["throughput"]
    cpu = float(tp["worker_cpu_seconds"])
    return {"scene": scene, "rows": stats["rows"], "profiles": stats["by_profile"],
            "pages_per_cpu_second": round(stats["rows"] / cpu, 2) if cpu else None,
            "ms_per_row_by_stage": tp["ms_per_row_by_stage"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=40, help="rows per scene (1..10000)")
    parser.add_argument("--scenes", default=",".join(SCENES))
    args = parser.parse_args()
    if not 1 <= args.num <= 10000:
        parser.error("--num must be in 1..10000")
    results = [measure(s, args.num) for s in args.scenes.split(",")]
    print("| scene | pages/s/core | render ms | warp ms | profiles |")
    print("|---|---|---|---|---|")
    for r in results:
        st = r["ms_per_row_by_stage"]
        print(f"| {r['scene']} | {r['pages_per_cpu_second']} | {st.get('render')} | {st.get('warp')} | "
              f"{', '.join(f'{k} {v}' for k, v in r['profiles'].items())} |")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
