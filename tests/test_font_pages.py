"""`release_font_pages` (issue 22): font file pages leave the worker's RSS, the font reads back
the same, and nothing it must not touch (a written private mapping, a small growth) is touched."""

from __future__ import annotations

import mmap
from pathlib import Path

import freetype
import numpy as np
import pytest

from pipelines.worker_setup import _libc, release_font_pages

# a 5 MB face: its pages are not resident in this process beforehand
FONT = Path("/usr/share/fonts/truetype/noto/NotoSansSignWriting-Regular.ttf")
CJK = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")

pytestmark = pytest.mark.skipif(
    _libc() is None or not FONT.exists() or not Path("/proc/self/smaps").exists(),
    reason="Linux glibc with /proc and Debian Noto fonts")


def _resident_kib(path: Path) -> int:
    """Rss of every mapping of `path` in this process (smaps)."""
    mine, rss = False, 0
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                mine = len(head) > 5 and head[5] == str(path)
            elif mine and head[0] == "Rss:":
                rss += int(head[1])
    return rss


def _read_all(view: mmap.mmap) -> int:
    return sum(view[i] for i in range(0, len(view), mmap.PAGESIZE))


def test_font_pages_leave_rss_and_read_back_the_same() -> None:
    with FONT.open("rb") as f:
        view = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # read-only, like FreeType's
    try:
        digest = _read_all(view)
        size_kib = FONT.stat().st_size // 1024
        assert _resident_kib(FONT) >= 0.9 * size_kib
        assert release_font_pages(min_growth=1 << 60) == 0  # the gate: not that much growth
        assert _resident_kib(FONT) >= 0.9 * size_kib
        assert release_font_pages(min_growth=0) >= 1
        assert _resident_kib(FONT) < 0.05 * size_kib  # gone from this process's RSS
        assert _read_all(view) == digest  # and the same bytes come back from the page cache
    finally:
        view.close()


def test_a_written_private_mapping_keeps_its_bytes() -> None:
    with FONT.open("rb") as f:
        view = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    try:
        view[0] = (view[0] + 1) % 256  # a private copy (the mapping is writable: rw-p)
        changed = view[0]
        release_font_pages(min_growth=0)
        assert view[0] == changed  # MADV_DONTNEED would have dropped the copy
    finally:
        view.close()


@pytest.mark.skipif(not CJK.exists(), reason="Noto CJK")
def test_freetype_draws_the_same_glyphs_after_a_release() -> None:
    face = freetype.Face(str(CJK), 0)
    face.set_pixel_sizes(0, 40)

    def draw(char: str) -> np.ndarray:
        face.load_char(char, freetype.FT_LOAD_RENDER)
        bitmap = face.glyph.bitmap
        return np.array(bitmap.buffer, np.uint8).reshape(bitmap.rows, bitmap.width)

    before = [draw(c) for c in "漢字書法龍鳳"]
    assert release_font_pages(min_growth=0) >= 1
    after = [draw(c) for c in "漢字書法龍鳳"]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
