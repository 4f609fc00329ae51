"""`polyglyph render --out x.png` also writes x.json: it replaced a user's own x.json (say
`package.json` for `--out package.png`) without a word, and any PNG at x.png (a photo of the
user's). Now an existing file at either path is kept unless --overwrite, an earlier render
too (as export and inspect do), checked before the page is drawn."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from pipelines.cli import main as cli_main


class Done(NamedTuple):
    """How a `polyglyph render` call ended: its exit status and its stderr."""

    returncode: int
    stderr: str


@pytest.fixture()
def render(capfd: pytest.CaptureFixture[str]) -> Callable[..., Done]:
    """`polyglyph render` of a small page through `pipelines.cli.main` in this process (capfd
    sees fd 2): a process a call made this file 10 s of the suite; test_synth_render runs the
    command as a real process."""

    def run(out: Path, *extra: str) -> Done:
        capfd.readouterr()
        code = cli_main(["render", "--language", "en", "--width", "128", "--height", "128",
                         "--out", str(out), *extra])
        return Done(code, capfd.readouterr().err)

    return run


def test_a_users_json_beside_the_png_is_kept(tmp_path: Path, render: Callable[..., Done]) -> None:
    mine = tmp_path / "package.json"
    mine.write_text('{"name": "my-project"}')
    refused = render(tmp_path / "package.png")
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert str(mine) in refused.stderr and "--overwrite" in refused.stderr
    assert mine.read_text() == '{"name": "my-project"}'
    assert not (tmp_path / "package.png").exists()
    forced = render(tmp_path / "package.png", "--overwrite")
    assert forced.returncode == 0, forced.stderr
    assert "lines" in json.loads(mine.read_text())


def test_an_existing_png_is_kept_unless_overwrite(tmp_path: Path,
                                                  render: Callable[..., Done]) -> None:
    """A PNG of the user's at --out was replaced without a word (any PNG passed for ours)."""
    from PIL import Image

    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(photo)
    before = photo.read_bytes()
    refused = render(photo)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert str(photo) in refused.stderr and "--overwrite" in refused.stderr
    assert photo.read_bytes() == before and not (tmp_path / "photo.json").exists()
    page = tmp_path / "page.png"
    assert render(page).returncode == 0
    first = page.read_bytes(), (tmp_path / "page.json").read_bytes()
    again = render(page, "--seed", "7")  # an earlier render is kept too
    assert again.returncode == 1 and "--overwrite" in again.stderr, again.stderr
    assert (page.read_bytes(), (tmp_path / "page.json").read_bytes()) == first
    forced = render(page, "--seed", "7", "--overwrite")
    assert forced.returncode == 0, forced.stderr
    assert page.read_bytes() != first[0] and not list(tmp_path.glob("*.tmp"))
    folder = tmp_path / "dir.png"
    folder.mkdir()
    assert "is a folder" in render(folder, "--overwrite").stderr
