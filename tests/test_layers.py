"""Importing the core packages has no side effects on the process (no os.environ changes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The issue's own check, verbatim (issue 12): OpenCV's loader adds its lib64 to LD_LIBRARY_PATH
# when cv2 is imported, so every core module imports it through synth.opencv, which puts the
# environment back.
ISSUE_CHECK = ("import os; e=dict(os.environ); import synth.render, warping, qa_factory.views; "
               "assert dict(os.environ)==e")

CHECK = """
import os, sys
before = dict(os.environ)
import synth.render, warping, qa_factory.views, fonts_manifest.registry  # noqa: E401,F401
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
assert not changed, f"importing core packages changed os.environ: {changed}"
assert not [m for m in sys.modules if m.split('.')[0] == 'pipelines'], "core imported pipelines"
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ARROW_DEFAULT_MEMORY_POOL", "LD_LIBRARY_PATH")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_importing_core_packages_changes_no_environment() -> None:
    result = _run(CHECK)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_issue_one_liner_passes_in_a_fresh_process() -> None:
    result = _run(ISSUE_CHECK)
    assert result.returncode == 0, result.stderr[-2000:]


def test_plain_cv2_import_does_change_it() -> None:
    """The check above can fail: cv2 imported directly still adds its library path."""
    result = _run("import os; e=dict(os.environ); import cv2; assert dict(os.environ)==e")
    assert result.returncode != 0 and "AssertionError" in result.stderr


def test_restore_environ_undoes_added_and_changed_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.opencv import restore_environ

    monkeypatch.setenv("POLYGLYPH_TEST_KEEP", "a")
    before = dict(os.environ)
    os.environ["POLYGLYPH_TEST_KEEP"] = "b"
    os.environ["POLYGLYPH_TEST_ADDED"] = "c"
    restore_environ(before)
    assert os.environ["POLYGLYPH_TEST_KEEP"] == "a" and "POLYGLYPH_TEST_ADDED" not in os.environ


def test_core_modules_import_cv2_through_synth_opencv() -> None:
    """A bare `import cv2` in any core module brings the environment change back (new modules
    of other branches did, after synth.opencv came)."""
    import re

    bare = re.compile(r"^\s*import cv2\s*$", re.M)
    found = [str(path.relative_to(ROOT))
             for package in ("synth", "warping", "qa_factory", "fonts_manifest", "pipelines")
             for path in sorted((ROOT / package).rglob("*.py"))
             if path.name != "opencv.py" and bare.search(path.read_text("utf-8"))]
    assert not found, f"import cv2 through synth.opencv in: {found}"
