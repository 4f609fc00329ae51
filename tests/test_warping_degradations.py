"""New degradations (issue 18, part 4): fingers over the page hide labels (their `visible`
drops by the share covered, and with it `legible`), low light amplifies noise, moire takes
contrast; every record re-applies to the same bytes."""

from __future__ import annotations

import numpy as np
import pytest

import warping
from synth.page import Line, Page, Word, box_polygon
from synth.rng import sample_rng
from warping.hiding import covered_share
from warping.legibility import CONTRAST, box_contrast
from warping.occlusion import finger_cover


def _page(w: int = 600, h: int = 400) -> Page:
    image = np.full((h, w, 3), 235, np.uint8)
    lines = []
    for k, y in enumerate(range(30, h - 40, 34)):
        image[y + 4 : y + 18, 30 : w - 30 : 7] = 25
        poly = box_polygon(30, y, w - 30, y + 22)
        words = [Word("ab", box_polygon(30, y, w / 2, y + 22), k),
                 Word("cd", box_polygon(w / 2, y, w - 30, y + 22), k)]  # fmt: skip
        lines.append(Line("ab cd", poly, poly, "en", "Latn", "ltr", size=22.0, words=words))
    return Page(image=image, language="en", script="Latn", direction="ltr", scene="document",
                lines=lines)  # fmt: skip


def _profile(photometric: list[dict]) -> dict:
    return warping.validate_profile({"geometric": [], "photometric": photometric})


def test_fingers_hide_the_labels_they_cover() -> None:
    page = _page()
    prof = _profile([{"step": "fingers", "count": [3, 3], "reach": [0.3, 0.4]}])
    hidden_any = False
    for seed in range(4):
        record = warping.sample_warp(prof, page.width, page.height, sample_rng(seed))
        out = warping.apply_warp(page, record)
        assert np.array_equal(out.image, warping.apply_warp(page, record).image)
        mask = finger_cover(record["photometric"][0], (page.height, page.width))
        cover = covered_share([ln.polygon for ln in page.lines], mask)
        for ln, c, before in zip(out.lines, cover, page.lines, strict=True):
            assert ln.visible == round(before.visible * (1 - c), 4)
            if c > 0.2:  # a fifth of a line under a finger: it cannot be read whole
                assert not ln.legible
                hidden_any = True
        changed = np.any(out.image != page.image, axis=2)
        assert changed.any()
        assert all(ln.visible == 1.0 for ln in page.lines)  # the input page is not touched
    assert hidden_any


def test_a_finger_hides_only_where_its_skin_wipes_the_ink_out() -> None:
    """A finger is drawn out of focus: at its outline the skin's alpha is 0.5 and the text
    under it shows at half contrast. A word the soft edge only reaches (its outline over a
    seventh of the word, the alpha there under `WIPES`) keeps its ink's contrast, stays
    visible and legible; a word under the finger's body is hidden. (Counting the hard
    outline, the first word was 0.86 visible and illegible: Tesseract read such words whole.)"""
    w, h = 1200, 800
    image = np.full((h, w, 3), 235, np.uint8)
    words = []
    for x0, x1 in ((476, 504), (560, 640), (900, 980)):
        image[204:218, x0 + 2 : x1 - 1 : 5] = 25  # strokes of ink
        words.append(Word("ab", box_polygon(x0, 200, x1, 222), 0))
    poly = box_polygon(476, 200, 980, 222)
    line = Line("ab ab ab", poly, poly, "en", "Latn", "ltr", size=22.0, words=words)
    page = Page(image=image, language="en", script="Latn", direction="ltr", scene="document",
                lines=[line])  # fmt: skip
    prof = _profile([{"step": "fingers", "count": [1, 1]}])
    record = warping.sample_warp(prof, w, h, sample_rng(0))
    # the outline's edge at x = 500, 4 px (half a sigma: 2.0 * 800 / 200 = 8 px) into word 1
    ring = [[500.0, -40.0], [700.0, -40.0], [700.0, 400.0], [500.0, 400.0]]
    record["photometric"][0] = {"step": "fingers", "fingers": [ring],
                                "skin": [221, 176, 145], "blur": 2.0}  # fmt: skip
    out = warping.apply_warp(page, record)
    edge, body, clear = out.lines[0].words
    assert box_contrast(out.image.mean(axis=2).astype(np.uint8), edge.polygon) >= CONTRAST[1]
    assert edge.visible >= 0.99 and edge.legible
    assert body.visible < 0.05 and not body.legible
    assert clear.visible == 1.0 and clear.legible
    assert not out.lines[0].legible  # the line cannot be read whole


def test_low_light_and_moire_cost_legibility_and_reapply_exactly() -> None:
    page = _page()
    base = warping.warp_page(page, _profile([]), sample_rng(0))
    for step in ({"step": "low_light", "exposure": [0.05, 0.05], "read": [3.0, 3.0]},
                 {"step": "moire", "strength": [0.9, 0.9]}):  # fmt: skip
        prof = _profile([step])
        record = warping.sample_warp(prof, page.width, page.height, sample_rng(1))
        out = warping.apply_warp(page, record)
        assert np.array_equal(out.image, warping.apply_warp(page, record).image)
        assert not np.array_equal(out.image, base.image)
        assert np.mean([ln.legibility for ln in out.lines]) < np.mean(
            [ln.legibility for ln in base.lines]
        ), step["step"]


def test_lens_distortion_moves_labels_with_the_pixels() -> None:
    """A dark block near a corner: after barrel and pincushion distortion its label's box is
    where its pixels are (within a pixel and a half), and it has moved."""
    page = _page()
    page.image[:] = 235
    page.image[40:100, 420:560] = 20
    block = box_polygon(420, 40, 560, 100)
    page.lines = [Line("block", block, block, "en", "Latn", "ltr", size=40.0)]
    for k1 in (0.12, -0.12):
        prof = warping.validate_profile({"geometric": [{"step": "lens", "k1": [abs(k1)] * 2}],
                                         "photometric": []})  # fmt: skip
        for seed in range(6):
            record = warping.sample_warp(prof, page.width, page.height, sample_rng(seed))
            if np.sign(record["geometric"][0]["k1"]) == np.sign(k1):
                break
        out = warping.apply_warp(page, record)
        ys, xs = np.nonzero(out.image[..., 0] < 128)
        poly = np.asarray(out.lines[0].polygon)
        assert abs(poly[:, 0].min() - xs.min()) < 1.5 and abs(poly[:, 0].max() - xs.max() - 1) < 1.5
        assert abs(poly[:, 1].min() - ys.min()) < 1.5 and abs(poly[:, 1].max() - ys.max() - 1) < 1.5
        assert abs(poly[:, 0].max() - 560) > 3  # it moved


def test_fingers_blend_in_row_bands_gives_the_whole_box_bytes(monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:  # fmt: skip
    """The skin is blended 64 rows at a time (issue 22: the box's float temporaries); the
    bytes are those of one pass over each finger's whole box."""
    from warping import occlusion

    rng = np.random.default_rng(5)
    frame = rng.integers(0, 256, (900, 700, 3), dtype=np.uint8)
    prof = _profile([{"step": "fingers", "count": [3, 3], "reach": [0.3, 0.4]}])
    rec = warping.sample_warp(prof, 700, 900, sample_rng(2))["photometric"][0]
    banded = occlusion.apply_fingers(frame.copy(), rec)
    monkeypatch.setattr(occlusion, "_BLEND_ROWS", 10**6)
    whole = occlusion.apply_fingers(frame.copy(), rec)
    assert np.array_equal(banded, whole) and not np.array_equal(whole, frame)
