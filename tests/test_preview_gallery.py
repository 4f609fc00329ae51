"""`polyglyph preview` writes a gallery that a real browser opens from disk with every image shown."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipelines.cli import main as cli_main
from pipelines.errors import PolyglyphError
from warping import preview

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
N = 3


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("preview") / "gallery"
    code = preview.main(
        [
            "--profile",
            "wild",
            "--languages",
            "ar,hi,ja",
            "--n",
            str(N),
            "--seed",
            "3",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    return out


def test_gallery_files(gallery: Path) -> None:
    html = (gallery / "index.html").read_text("utf-8")
    srcs = re.findall(r"<img src='([^']+)'", html)
    assert len(srcs) == 2 * N
    for src in srcs:
        assert not src.startswith(("/", "http")), "paths must be relative"
        with Image.open(gallery / src) as im:
            assert im.size[0] > 100
    assert html.count('<svg class="overlay"') == N
    assert len(re.findall(r"<polygon class=\"line", html)) >= N
    assert html.count("&quot;geometric&quot;") == N  # the warp record as JSON, per sample
    with Image.open(gallery / "contact.png") as sheet:
        arr = np.asarray(sheet.convert("RGB"))
    assert arr.shape[1] > 2 * preview.THUMB_WIDTH and arr.std() > 10
    assert not [p for p in gallery.parent.iterdir() if p.name.startswith(".")], "temp dir left"


def _chromium(*args: str) -> str:
    profile_dir = tempfile.mkdtemp(prefix="chromium-profile-")
    try:
        result = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                f"--user-data-dir={profile_dir}", "--virtual-time-budget=10000", *args,
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        return result.stdout
    finally:
        shutil.rmtree(profile_dir, ignore_errors=True)


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium')"
)
def test_every_image_shows_in_headless_chromium(gallery: Path) -> None:
    dom = _chromium("--dump-dom", (gallery / "index.html").as_uri())
    title = re.search(r"<title>([^<]*)</title>", dom)
    assert title is not None, dom[:500]
    assert title.group(1) == f"loaded {2 * N}/{2 * N}"


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium')"
)
def test_a_missing_image_is_noticed_by_the_browser_check(gallery: Path, tmp_path: Path) -> None:
    """The browser check can fail: drop one image from a copy and the count drops."""
    copy = tmp_path / "copy"
    shutil.copytree(gallery, copy)
    next((copy / "img").glob("*_after.jpg")).unlink()
    dom = _chromium("--dump-dom", (copy / "index.html").as_uri())
    assert f"loaded {2 * N - 1}/{2 * N}" in dom


def test_unknown_language_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "g"
    with pytest.raises(PolyglyphError, match="xx-nope"):
        preview.main(["--languages", "ar,xx-nope", "--n", "1", "--out", str(out)])
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_a_bad_profile_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["preview", "--profile", "nope", "--n", "1", "--out", str(tmp_path / "g")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "'nope'" in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


def test_out_must_be_empty_or_an_earlier_preview(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    with pytest.raises(PolyglyphError, match="not an earlier preview"):
        preview.main(["--n", "1", "--out", str(precious)])
    assert (precious / "keep.txt").read_text() == "mine"
    (precious / "index.html").write_text("<html>my own site</html>")  # a user's page, not ours
    with pytest.raises(PolyglyphError, match="not an earlier preview"):
        preview.main(["--n", "1", "--out", str(precious)])
    assert (precious / "keep.txt").read_text() == "mine"
    (precious / "keep.txt").unlink()
    with pytest.raises(PolyglyphError, match="not an earlier preview"):
        preview.main(["--n", "1", "--out", str(precious)])  # index.html alone: still theirs
    assert (precious / "index.html").read_text() == "<html>my own site</html>"

    again = tmp_path / "again"
    for seed in ("1", "2"):  # a second run replaces the first gallery
        assert (
            preview.main(["--n", "1", "--languages", "en", "--seed", seed, "--out", str(again)])
            == 0
        )
    assert "seed 2." in (again / "index.html").read_text("utf-8")
    assert sorted(p.name for p in (again / "img").iterdir()) == [
        "0000_after.jpg",
        "0000_before.jpg",
    ]
    (again / "notes.txt").write_text("mine")  # a user's file put into an earlier gallery
    with pytest.raises(PolyglyphError, match="not an earlier preview"):
        preview.main(["--n", "1", "--languages", "en", "--out", str(again)])
    assert (again / "notes.txt").read_text() == "mine" and (again / "index.html").is_file()


def test_a_blank_out_is_refused_before_any_page(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`preview --out "$OUT"` with OUT unset was `.`: run inside an earlier gallery it drew
    every page, then removed the current folder and failed on the rename. One line now, before
    anything is drawn, and the folder is untouched."""
    gallery = tmp_path / "gallery"
    assert preview.main(["--n", "1", "--languages", "en", "--width", "64", "--height", "64",
                         "--out", str(gallery)]) == 0
    before = sorted(p.name for p in gallery.rglob("*"))
    monkeypatch.chdir(gallery)
    for blank in ("", "  "):
        with pytest.raises(PolyglyphError, match="--out is empty"):
            preview.main(["--n", "1", "--languages", "en", "--out", blank])
    assert sorted(p.name for p in gallery.rglob("*")) == before
