"""Issue 18: a word with one letter wholly hidden cannot be read, whatever share of its area
that is (`warping.glyphs`); a word only grazed along its edge stays legible. Real warps with
real finger records (ltr, rtl, ttb), and the frame edge and a tear through the one sampler."""

from __future__ import annotations

import numpy as np
import pytest

import warping
from synth.page import Line, Page, Word, box_polygon
from synth.rng import sample_rng
from warping.glyphs import char_cells, least_visible_stretch

CELL = 30  # px a character
N = 15  # characters of the long word
WORDS = {"ltr": ("ΟΙΚΟΥΜΕΝΙΚΟΤΗΤΑ", "el", "Grek"), "rtl": ("ולהשתמשותםבהםשם", "he", "Hebr"),
         "ttb": ("東京都渋谷区神宮前一丁目二番三号", "ja", "Jpan")}  # fmt: skip


def _page(direction: str, w: int = 900, h: int = 900) -> Page:
    """Two copies of a 15-character word (ink strokes in every cell): at y (x for ttb) 100
    and 400, each 30 px a character, 36 px thick."""
    text, lang, script = WORDS[direction]
    text = text[:N]
    image = np.full((h, w, 3), 235, np.uint8)
    lines = []
    for k, at in enumerate((100, 400)):
        if direction == "ttb":
            box = (at, 60, at + 36, 60 + N * CELL)
            for c in range(N):
                image[60 + c * CELL + 6 : 60 + c * CELL + 24, at + 6 : at + 30 : 5] = 25
        else:
            box = (60, at, 60 + N * CELL, at + 36)
            for c in range(N):
                image[at + 6 : at + 30, 60 + c * CELL + 4 : 60 + c * CELL + 26 : 5] = 25
        poly = box_polygon(*box)
        lines.append(Line(text, poly, poly, lang, script, direction, size=36.0,
                          words=[Word(text, poly, k)]))  # fmt: skip
    return Page(image=image, language=lang, script=script, direction=direction,
                scene="document", lines=lines)  # fmt: skip


def _with_fingers(page: Page, rings: list[list[list[float]]]) -> Page:
    """`page` through a real warp whose only step is fingers with these outlines (opaque
    inside: the soft edge is ~1 px)."""
    prof = warping.validate_profile({"geometric": [],
                                     "photometric": [{"step": "fingers", "count": [1, 1]}]})
    record = warping.sample_warp(prof, page.width, page.height, sample_rng(0))
    record["photometric"][0] = {"step": "fingers", "fingers": rings, "skin": [221, 176, 145],
                                "blur": 0.2}  # fmt: skip
    return warping.apply_warp(page, record)


def _box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


@pytest.mark.parametrize("direction", ["ltr", "rtl", "ttb"])
def test_one_letter_under_a_finger_makes_a_long_word_illegible(direction: str) -> None:
    """Word 0: the 7th character cell wholly under a fingertip (~8 % of the word's area: it
    stays ~0.92 visible, which the area rule alone calls legible). Word 1: a finger grazes
    its whole length (the outer 2 px of its 36 px thickness) and covers 40 % of one letter's
    height at a corner: every letter is mostly there, and the word stays legible."""
    page = _page(direction)
    at = 60 + 6 * CELL
    if direction == "ttb":  # fingers from the left and right borders
        hidden = _box(-50, at - 3, 140, at + CELL + 3)
        graze = _box(434, 60, 950, 60 + N * CELL)
        corner = _box(421, at, 950, at + CELL)
    else:  # fingers from the top and bottom borders
        hidden = _box(at - 3, -50, at + CELL + 3, 140)
        graze = _box(60, 434, 60 + N * CELL, 950)
        corner = _box(at, 421, at + CELL, 950)
    out = _with_fingers(page, [hidden, graze, corner])
    cut, grazed = out.lines[0].words[0], out.lines[1].words[0]
    assert 0.9 <= cut.visible < 0.97  # by area, most of the word is there
    assert not cut.legible and cut.legibility < 0.05
    assert not out.lines[0].legible  # the line follows its word
    assert 0.85 < grazed.visible < 0.97
    assert grazed.legible and out.lines[1].legible
    clear = _with_fingers(page, [])
    assert all(ln.legible for ln in clear.lines)  # the ink and size alone read fine


def test_the_frame_edge_and_a_tear_cut_off_one_letter() -> None:
    """The one sampler sees every occluder: a point map that pushes the word's last letter
    past the frame's right edge, and a paper mask torn through one letter, each leave that
    letter's stretch ~0 visible; a tear along the word's bottom edge (a sixth of its
    thickness) leaves every stretch ~5/6 visible."""
    page = _page("ltr")
    page.lines[0].words[0].visible = 0.93  # what the map and the mask measure by area
    page.lines[1].words[0].visible = 0.83
    right = 60 + N * CELL
    shift = 900 - (right - CELL)  # the last cell lands just past x = 900

    def moved(p: np.ndarray) -> np.ndarray:
        return p + [shift, 0.0]

    edge = least_visible_stretch(page, page, moved, (900, 900))
    assert edge[0] < 0.05 and edge[1] < 0.05
    paper = np.full((900, 900), 255, np.uint8)
    paper[:300, 60 + 3 * CELL - 2 : 60 + 4 * CELL + 2] = 0  # a tear through word 0's 4th letter
    paper[400 + 30 :, :] = 0  # and along the bottom sixth of word 1
    torn = least_visible_stretch(page, page, None, (900, 900), paper=paper)
    assert torn[0] < 0.05
    assert torn[1] == pytest.approx(5 / 6, abs=0.02)
    clear = least_visible_stretch(page, page, None, (900, 900))
    assert clear.tolist() == [1.0, 1.0]


def test_characters_that_take_a_cell() -> None:
    assert char_cells("ΟΙΚΟΥΜΕΝΙΚΗ") == 11
    assert char_cells("नमस्ते") == 4  # virama and vowel sign draw no cell of their own
    assert char_cells("東京都") == 3
    assert char_cells("مُحَمَّد") == 4  # harakat
    assert char_cells("$x^2$") == 1 and char_cells("") == 1
