"""Importing the core packages has no side effects on the process (no os.environ changes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# OpenCV's own loader (cv2/__init__.py) prepends its lib64 to LD_LIBRARY_PATH on import ("for
# sub-processes only"): that change is the library's, so cv2 is imported before the snapshot.
CHECK = """
import os, sys
import cv2  # noqa: F401
before = dict(os.environ)
import synth.render, warping, qa_factory.views, fonts_manifest.registry  # noqa: E401,F401
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
assert not changed, f"importing core packages changed os.environ: {changed}"
assert not [m for m in sys.modules if m.split('.')[0] == 'pipelines'], "core imported pipelines"
"""


def test_importing_core_packages_changes_no_environment() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
