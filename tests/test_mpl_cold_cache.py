"""A worker on a fresh machine (no matplotlib font cache) must not spike its memory when the
first chart or formula imports matplotlib (issue 22): matplotlib then lists every system font
(~5,000 faces with the whole pool installed) to build its cache. Measured in a subprocess with
an empty MPLCONFIGDIR, after the worker's own settings (`setup_worker`), as a worker meets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLD_GROWTH_MIB = 150  # measured 2026-12-07: +23 MiB peak for 5,044 faces (a prior note: 1,309)

PROBE = """
import json, resource
from pipelines.worker_setup import apply_process_env, setup_worker
apply_process_env(); setup_worker()
import synth.chart, synth.formula  # what a worker has loaded before its first chart
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from matplotlib import font_manager
faces = len(font_manager.fontManager.ttflist)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"before": before, "after": after, "faces": faces}))
"""


def test_cold_matplotlib_font_cache_does_not_spike_a_worker(tmp_path: Path) -> None:
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=600, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert list(tmp_path.glob("fontlist-*.json")), "the cache was not cold: nothing was built"
    assert figures["faces"] > 0
    assert figures["after"] - figures["before"] < COLD_GROWTH_MIB, figures
