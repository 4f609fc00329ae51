"""`polyglyph render --out x.png` also writes x.json: it replaced a user's own x.json (say
`package.json` for `--out package.png`) without a word. An earlier render's files are still
replaced; anything else is kept unless --overwrite, checked before the page is drawn."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _render(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "render", "--language", "en",
                           "--width", "128", "--height", "128", "--out", str(out), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_users_json_beside_the_png_is_kept(tmp_path: Path) -> None:
    mine = tmp_path / "package.json"
    mine.write_text('{"name": "my-project"}')
    refused = _render(tmp_path / "package.png")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert str(mine) in refused.stderr and "--overwrite" in refused.stderr
    assert mine.read_text() == '{"name": "my-project"}'
    assert not (tmp_path / "package.png").exists()
    forced = _render(tmp_path / "package.png", "--overwrite")
    assert forced.returncode == 0, forced.stderr
    assert "lines" in json.loads(mine.read_text())


def test_an_earlier_render_is_replaced_and_a_non_png_kept(tmp_path: Path) -> None:
    page = tmp_path / "page.png"
    assert _render(page).returncode == 0
    again = _render(page, "--seed", "7")
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "page.json").read_text())["lines"]
    notes = tmp_path / "notes.png"
    notes.write_text("not an image")
    kept = _render(notes)
    assert kept.returncode == 1 and "not an earlier render" in kept.stderr, kept.stderr
    assert notes.read_text() == "not an image" and not (tmp_path / "notes.json").exists()
