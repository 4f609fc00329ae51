"""The dependency lock: parsed as pip reads it, and drift from it reported, never hidden."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from pipelines.lockcheck import check_lock, parse_lock

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"


def test_lock_pins_every_runtime_dependency_with_hashes() -> None:
    text = LOCK.read_text()
    pins = parse_lock(text)
    for name in ("numpy", "opencv-python-headless", "pillow", "pyarrow", "ray", "uharfbuzz",
                 "albumentations", "pytest", "datasets"):  # fmt: skip
        assert name in pins, name
    blocks = [b for b in text.split("\n") if "==" in b and not b.startswith("#")]
    assert len(blocks) == len(pins)
    assert text.count("--hash=sha256:") >= len(pins)  # every pin carries its hashes


def test_lock_matches_this_install() -> None:
    """`make test` installed from the lock: the running set is the locked set."""
    report = check_lock(LOCK)
    assert report.path == LOCK and report.pinned > 50
    assert report.matches, report.differs


def test_drift_is_named(tmp_path: Path) -> None:
    numpy_now = version("numpy")
    lock = tmp_path / "lock.txt"
    lock.write_text(
        f"numpy=={numpy_now} \\\n    --hash=sha256:00\n"
        "pyarrow==0.0.1 \\\n    --hash=sha256:00\n"
        "no-such-package-polyglyph==1.0 ; python_version >= '3.11'\n"
    )
    report = check_lock(lock)
    assert report.pinned == 3 and not report.matches
    assert report.differs == {
        "pyarrow": ("0.0.1", version("pyarrow")),
        "no-such-package-polyglyph": ("1.0", "absent"),
    }
    summary = report.summary()
    assert summary["matches"] is False and len(str(summary["sha256"])) == 64


def test_doctor_reports_byte_versions_and_lock_drift(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("numpy==0.0.1\n")
    env = {"POLYGLYPH_LOCK": str(lock), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "doctor"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    out = done.stdout
    assert "versions that change output bytes" in out and f"numpy {version('numpy')}" in out
    assert f"[warn] dependency lock: 1 differ from {lock}: numpy {version('numpy')} (lock 0.0.1)" in out
