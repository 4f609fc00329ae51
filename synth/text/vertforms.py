"""Vertical forms a face lacks, made from its own horizontal glyph (UTR #50's fallbacks).

Why: an upright run is shaped by HarfBuzz in the `ttb` direction, which takes each
character's vertical form from the face's `vert` feature. Many hand faces have none for some
characters (AR PL UKai: 「」（）ー，; Nanum Pen: ー and small kana; Klee One: ―“”; UnGungseo:
every one), and HarfBuzz then draws the horizontal glyph upright: 「 as ┌ and ー as a bar
across the column, which no vertical writing does. A fallback face of the chain has the form,
but a printed bracket in the middle of a handwritten column is not what a writer makes; the
face's own glyph, turned or moved the way UTR #50 and the CJK fonts' `vert` forms do, is:

* `rotate`: Vertical_Orientation Tr (brackets, ー, 〜, ＿, ｜, ￣...) and the few R characters
  that stand in an upright run (width A: ―, …, ‥, quotes, ＝): turned a quarter clockwise
  about the centre of the glyph's em cell (Tr's fallback is the rotated glyph). ： turns too
  in Japanese (as Japanese fonts' `vert` turns it); Chinese vertical colons stand upright.
* `raise`: Tu marks that sit low and left in the em (、。，．, small kana, ゛゜): moved to the
  upper right (their ink box mirrored through the cell centre, the glyph itself unturned), as
  Japanese, Simplified Chinese and Korean vertical forms sit. A face that draws its marks
  centred (a Traditional design) keeps them centred: mirrored they would move a pixel at most.
* `centre`: 、。，． in Traditional Chinese (Taiwan, Hong Kong) sit in the middle of the
  cell, as Noto Sans CJK TC draws them in both directions. A face whose `vert` raises them
  (LXGW WenKai, Klee One: one convention for every language) has its horizontal mark
  centred instead; marks drawn centred already (UKai, Noto TC) are left exactly as they are.

Otherwise only glyphs HarfBuzz left as the character's nominal glyph are touched (the face has
no vertical form for it), so faces with their own forms draw exactly as before. The advance is
the glyph's vertical advance either way: layout and labels do not move.
"""

from __future__ import annotations

import numpy as np

from synth.text.paint import Ink

# UTR #50 (VerticalOrientation.txt, revision 17) Tr characters of the CJK and fullwidth blocks
_TR = ("\u2329\u232a" + "".join(map(chr, range(0x3008, 0x3012)))
       + "".join(map(chr, range(0x3014, 0x3020))) + "\u3030\u30a0\u30fc"
       + "".join(map(chr, range(0xFE59, 0xFE5F))) + "\uff08\uff09\uff3b\uff3d\uff3f"
       + "".join(map(chr, range(0xFF5B, 0xFF61))) + "\uffe3")
# R characters that `synth.text.vertical.upright` puts in upright runs and CJK fonts' `vert`
# turns (Noto Sans CJK JP does all of these): dashes, leaders, quotes, ＝
_R_UPRIGHT = "\u2014\u2015\u2025\u2026\u2018\u2019\u201c\u201d\uff1d"
ROTATE = frozenset(_TR + _R_UPRIGHT)
COLON = "\uff1a"  # ：
# Tu: the marks and small kana whose vertical forms move to the upper right
MARKS = frozenset("、。，．﹐﹑﹒")
RAISE = frozenset(MARKS | set("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ゛゜")
                  | {chr(c) for c in range(0x31F0, 0x3200)})
NEEDS_FORM = ROTATE | RAISE | {COLON}
# language subtags whose marks are centred (Traditional Chinese as Taiwan and Hong Kong set it)
CENTRED_SUBTAGS = frozenset({"hant", "hani", "tw", "hk", "mo"})
CENTRED = 0.12  # ems a mark's ink centre may sit off its cell's centre and count as centred


def may_need(text: str) -> bool:
    """Whether any character of `text` has a vertical form (the cheap test before shaping)."""
    return not NEEDS_FORM.isdisjoint(text)


def centred_marks(language: str) -> bool:
    """Whether `language` centres 、。，． in their cell (Traditional Chinese: the script or
    region subtag says so; `yue` here is written in Simplified characters)."""
    return not CENTRED_SUBTAGS.isdisjoint(language.lower().replace("_", "-").split("-")[1:])


def fallback(char: str, language: str) -> str | None:
    """How to draw `char`'s vertical form from its horizontal glyph: rotate, raise, centre, or
    None (it stands as it is)."""
    if char in ROTATE:
        return "rotate"
    if char == COLON:  # Japanese turns it; Chinese vertical colons stand (Noto SC/TC/HK)
        return "rotate" if language.lower().split("-")[0] == "ja" else None
    if char in RAISE:
        return "centre" if char in MARKS and centred_marks(language) else "raise"
    return None


def centred(ink: Ink, cx: float, cy: float, em: float) -> bool:
    """Whether the ink's box is centred on (cx, cy) within CENTRED ems (no ink: True)."""
    if ink.mask is None:
        return True
    h, w = ink.mask.shape
    return max(abs(ink.x + w / 2 - cx), abs(ink.y + h / 2 - cy)) <= CENTRED * em


def place(ink: Ink, how: str, cx: float, cy: float, em: float) -> Ink:
    """`ink` (a horizontal glyph placed in its upright cell) as its vertical form; (cx, cy) is
    the cell's centre in the same coordinates (y down), `em` the font size in px."""
    if ink.mask is None:
        return ink
    h, w = ink.mask.shape
    if how in ("centre", "raise") and centred(ink, cx, cy, em):
        return ink  # drawn centred (a Traditional face's marks): left exactly as they are
    if how == "rotate":  # a quarter turn clockwise on the page: (dx, dy) -> (-dy, dx)
        turned = np.ascontiguousarray(np.rot90(ink.mask, k=-1))
        return Ink(turned, int(round(cx - (ink.y + h - cy))), int(round(cy + ink.x - cx)))
    if how == "raise":  # the ink box mirrored through the cell centre, the glyph unturned
        return Ink(ink.mask, int(round(2 * cx - ink.x - w)), int(round(2 * cy - ink.y - h)))
    if how == "centre":
        return Ink(ink.mask, int(round(cx - w / 2)), int(round(cy - h / 2)))
    raise ValueError(f"unknown vertical fallback {how!r}; use rotate, raise or centre")
