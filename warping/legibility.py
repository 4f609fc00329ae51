"""Can this line be read? A score from the physics the warp sampled, not from a judge.

Every line and word gets `legibility` in [0, 1] and `legible` (score >= LEGIBLE), from:

- **size**: the x-height in output pixels. The flat page's drawn size (`Line.size`, the font
  size in px) times the local scale of the one point map at that label, measured as the ratio
  of the label band's thickness after and before the warp (thickness of a band = the short
  side of the rectangle with its area and perimeter, so a curled line is not counted as tall
  as its bounding quad). Scripts differ in how much of the em carries detail (`DETAIL`).
- **blur**: the Gaussian-equivalent sigma (output px) of the optics the record applied: motion
  blur, defocus, low resolution, ink bleed, plus the camera's resampling - relative to the
  x-height.
- **contrast**: ink against paper after lighting (glare, backlight, shadows, creases): p5 vs
  p95 grey of the label's box in the lit image, before optics, sensor and codec.
- **noise**: that contrast over the sensor noise's std at mid-grey (`warping.noise`, and the
  amplified noise of `low_light`), pooled along the strokes (bigger text shrugs off more
  noise: `SNR_DETAIL_PX`); moire and low light's gain take their share of contrast.
- **JPEG**: low quality costs small text only.
- **visibility**: the fraction of the label inside the frame and not under a finger, clutter,
  a heavy smear or a tear (`warping.hiding`); a line half out of frame cannot be read whole,
  whatever its pixels. For words also the visible share of their least visible stretch one
  character wide (`warping.glyphs`, `GLYPH_VISIBLE`): a long word with one letter wholly
  under a fingertip or cut off by the frame is ~0.9 visible by area, yet that letter is gone.

A line's label is its words, so a line scores at most its lowest word with a letter or digit
(a lone dash or bullet is not needed to read the rest): a finger over one word
of ten leaves the line's box 90 % visible, a smear lowers the contrast of one word's box only,
yet the label cannot be read whole (on `wild`, seed 3, 10 of 704 lines flagged legible had an
illegible word; 8 of them read at CER 0.16-1.0). Views show such a line as its runs of words
(`qa_factory.runs`: readable runs as text, hidden ones `###`); its words
keep their own flags (a partly hidden line's hidden words read at ~0.9 of their characters
missed, its other words at ~0.1: `bench_legibility`'s by-word figure).

Regions (stamps, formulas, charts, UI elements...) are scored the same way from the same
records: their em is `attributes["size"]` when the region records one (formulas), else a
kind's share of the region's flat band thickness (`REGION_EM`: a stamp's text is ~0.45 of
its height), times the map's scale at the region.

Each term is a smooth step between a "cannot" and a "can" end; the score is their product.
The ends were set against Tesseract reading rectified line crops (`bench/bench_legibility.py`,
--psm 7, en/ru/el/vi, 2,188 lines of `wild` and `photo` rows). The x-height over blur is the
term that separates: lines read at median CER 0.00 up to a blur of ~0.13 x-height and at
0.5-0.9 past ~0.25. The first ends (size 2.5-4.5 px, blur 0.2-0.12, contrast 18-55) flagged
16 % / 9 % of sampled wild / photo lines illegible, but those read at median CER 0.37 / 0.46
(issue 18 asks >= 0.5): too many readable lines went to `###`. The ends below, fitted on
those reads, give legible 0.00 / 0.00 and illegible 0.59 / 0.58; on fresh pages (seed 2,
100 + 100 rows) legible 0.017 / 0.000 and illegible 0.72 / 0.91. The flag is conservative on
purpose: benchmarks mark text "don't care" only when nobody could read it.
"""

from __future__ import annotations

import copy
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from synth.page import Line, Page, Polygon
from warping import sensor
from warping.contrast import (  # noqa: F401  (box_contrast(s), _SAMPLE_PIXELS: re-exported)
    _SAMPLE_PIXELS,
    Contrasts,
    _flat_rings,
    box_contrast,
    box_contrasts,
)
from warping.noise import NOISE_STEPS, noise_std

LEGIBLE = 0.5
DONT_CARE_ROLE = "dont-care"  # benchmark regions their annotators could not read (variants)
# share of the em that carries the detail a reader must resolve (x-height for Latin-like
# scripts); dense scripts need more pixels for the same em
DETAIL: dict[str, float] = {"Hani": 0.36, "Hans": 0.36, "Hant": 0.36, "Jpan": 0.4, "Kore": 0.42,
                            "Hang": 0.42, "Arab": 0.42, "Tibt": 0.4, "Mymr": 0.42}
DEFAULT_DETAIL = 0.5
BAND_PER_EM = 0.95  # a line band is ~0.95 em thick (measured on rendered pages): rows without sizes
# smooth-step ends (cannot, can) of each term
SIZE_PX = (3.5, 6.0)  # x-height, output px
BLUR_RATIO = (0.32, 0.2)  # blur sigma over x-height
CONTRAST = (10.0, 35.0)  # grey levels, p95 - p5
# An overlay of opacity a over the page (a smear's tint, a finger's soft edge) keeps (1 - a)
# of the ink's contrast. It wipes common print out where (1 - a) of TYPICAL_INK falls from the
# contrast term's "can" end to its "cannot" end: the opacity ramp, in [0, 1], over which the
# covers of `warping.clutter` (smudges) and `warping.occlusion` (fingers) count text hidden.
TYPICAL_INK = 128.0  # median p95 - p5 grey of line boxes in lit `wild` images (seed 3, 792 lines)
WIPES = (1.0 - CONTRAST[1] / TYPICAL_INK, 1.0 - CONTRAST[0] / TYPICAL_INK)  # ~0.73, ~0.92
SNR = (1.2, 3.5)  # contrast over noise std, pooled over the x-height (SNR_DETAIL_PX)
# per-pixel (white) noise averages out along a stroke, whose length grows with the x-height:
# the SNR a reader sees grows as sqrt(x-height / this); at this x-height it is the per-pixel
# SNR. Low light at 13-29 px x-height read at CER 0.00-0.25 with per-pixel SNR
# 2.2-2.8 and was flagged illegible (wild seed 4); 11-14 px lines at SNR 1.3-2.2 read at
# 0.38-1.0 and stay so.
SNR_DETAIL_PX = 12.0
JPEG_QUALITY = (12.0, 45.0)
JPEG_SMALL_PX = (4.0, 9.0)  # x-heights above this shrug off JPEG blocks
VISIBLE = (0.8, 0.97)
# a word's least visible stretch one character wide (`warping.glyphs`): a letter more than
# ~4/5 hidden is gone, whatever share of the word's area that is; half of it left, the word
# still reads (a graze along the top or bottom of every letter never gets this low before the
# area term above has flagged the word)
GLYPH_VISIBLE = (0.2, 0.5)
# em of a region's text as a share of its flat band thickness, when it records no size; a
# stamp is its text plus padding and a border (~2.2 em tall); other kinds carry small print
REGION_EM: dict[str, float] = {"stamp": 0.45}
DEFAULT_REGION_EM = 0.1


@dataclass(frozen=True)
class Optics:
    """What the photometric record did to every label alike."""

    blur_sigma: float  # output px
    noise: float  # std at mid-grey, grey levels
    jpeg: int | None  # quality of the final JPEG, if any
    contrast: float = 1.0  # share of the lit contrast left by later steps (moire, low light)


def smoothstep(value: np.ndarray | float, lo: float, hi: float) -> np.ndarray:
    """0 at `lo`, 1 at `hi` (either order), smooth in between."""
    t = np.clip((np.asarray(value, np.float64) - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def optics_of(records: list[dict[str, Any]]) -> Optics:
    """Blur, noise and JPEG quality of a photometric record list."""
    var = 0.35**2  # the camera's bilinear resampling of the page
    for rec in records:
        step = rec["step"]
        if step == "motion_blur":
            k = float(rec["kernel"])
            var += (k * k - 1.0) / 12.0  # a uniform streak k px long
        elif step == "defocus":
            var += (float(rec["radius"]) / 2.0) ** 2 + float(rec["alias_blur"]) ** 2
        elif step == "low_resolution":
            f = 1.0 / max(float(rec["scale"]), 1e-3)
            var += ((f - 1.0) / 2.0) ** 2 + (f * f - 1.0) / 6.0  # anti-alias + bilinear pitch
        elif step == "ink_bleed":
            var += (0.7 * float(rec["radius"]) * float(rec["strength"])) ** 2
    noise_records = [r for r in records if r["step"] in NOISE_STEPS]
    noise = float(noise_std(noise_records)[128]) if noise_records else 0.0
    noise = math.hypot(noise, sensor.noise_of(records))
    jpeg = next((int(r["quality"]) for r in reversed(records) if r["step"] == "jpeg"), None)
    return Optics(math.sqrt(var), noise, jpeg, sensor.contrast_factor(records))


def band_thickness(rings: list[Polygon]) -> np.ndarray:
    """Thickness of each ring read as a band: the short side of the rectangle with the ring's
    area and perimeter (a bent line band keeps its thickness, unlike its bounding quad)."""
    out = np.zeros(len(rings))
    keep, sizes, pts = _flat_rings(rings)
    if not keep:
        return out
    ends = np.cumsum(sizes)
    starts = ends - sizes
    nxt = np.arange(len(pts)) + 1
    nxt[ends - 1] = starts
    x, y = pts[:, 0], pts[:, 1]
    area = np.abs(np.add.reduceat(x * y[nxt] - y * x[nxt], starts)) / 2.0
    perimeter = np.add.reduceat(np.hypot(x[nxt] - x, y[nxt] - y), starts)
    out[keep] = (perimeter - np.sqrt(np.maximum(perimeter**2 - 16.0 * area, 0.0))) / 4.0
    return out


def score(
    detail_px: np.ndarray,
    contrast: np.ndarray,
    visible: np.ndarray,
    optics: Optics,
) -> np.ndarray:
    """Legibility of labels with these x-heights, contrasts and visible fractions."""
    detail_px = np.maximum(np.asarray(detail_px, np.float64), 1e-3)
    contrast = np.asarray(contrast, np.float64) * optics.contrast
    q = smoothstep(detail_px, *SIZE_PX)
    q = q * smoothstep(optics.blur_sigma / detail_px, *BLUR_RATIO)
    q = q * smoothstep(contrast, *CONTRAST)
    if optics.noise > 0:  # a reader pools a stroke's pixels: bigger text shrugs off noise
        pooled = np.sqrt(detail_px / SNR_DETAIL_PX)
        q = q * smoothstep(contrast / optics.noise * pooled, *SNR)
    if optics.jpeg is not None:
        codec = smoothstep(optics.jpeg, *JPEG_QUALITY)
        q = q * (1.0 - (1.0 - codec) * (1.0 - smoothstep(detail_px, *JPEG_SMALL_PX)))
    return q * smoothstep(np.asarray(visible, np.float64), *VISIBLE)


@dataclass(frozen=True)
class LabelTerms:
    """Per label (lines, or all words in reading order): what `score` reads."""

    detail_px: np.ndarray  # x-height (or its script's equivalent) in output px
    contrast: np.ndarray  # p95 - p5 grey after lighting
    visible: np.ndarray  # fraction inside the frame


def label_terms(flat: Page, warped: Page, lit_gray: np.ndarray | Contrasts
                ) -> tuple[LabelTerms, LabelTerms]:  # fmt: skip
    """The size, contrast and visibility terms of every line and every word of `warped`."""
    line_scale = _band_ratio([ln.polygon for ln in flat.lines], [ln.polygon for ln in warped.lines])
    word_scale = _band_ratio([wd.polygon for wd in flat.words], [wd.polygon for wd in warped.words])
    line_em, word_em = [], []
    k = 0
    for i, ln in enumerate(warped.lines):
        detail = DETAIL.get(ln.script, DEFAULT_DETAIL)
        line_em.append(_em(ln.size, *line_scale[i]) * detail)
        for j in range(len(ln.words)):
            word_em.append(_em(ln.size, *word_scale[k + j]) * detail)
        k += len(ln.words)
    lines = LabelTerms(
        np.array(line_em),
        _contrasts(lit_gray, "lines", [ln.polygon for ln in warped.lines]),
        np.array([ln.visible for ln in warped.lines], np.float64),
    )
    words = LabelTerms(
        np.array(word_em),
        _contrasts(lit_gray, "words", [wd.polygon for wd in warped.words]),
        np.array([wd.visible for wd in warped.words], np.float64),
    )
    return lines, words


def _contrasts(lit: np.ndarray | Contrasts, kind: str, rings: list[Polygon]) -> np.ndarray:
    """The contrast term of `rings`: read off the lit grey image, or as read when it was made."""
    if isinstance(lit, Contrasts):
        return lit.of_kind(kind, len(rings))
    return box_contrasts(lit, rings)


def _band_ratio(flat: list[Polygon], out: list[Polygon]) -> list[tuple[float, float]]:
    return list(zip(band_thickness(flat).tolist(), band_thickness(out).tolist(), strict=True))


def assess_page(
    flat: Page,
    warped: Page,
    lit_gray: np.ndarray | Contrasts,
    photometric: list[dict[str, Any]],
    trace: dict[str, Any] | None = None,
    glyph: np.ndarray | None = None,
) -> Page:
    """`warped` with legibility on every line and word (new Line/Word objects; `flat` and the
    objects it shares with `warped` are not changed). `flat` is the same page before the warp:
    its label bands give the scale of the point map at each label. `glyph` is each word's
    least visible stretch one character wide (`warping.glyphs.least_visible_stretch`; None:
    all in view). A `trace` dict gets the terms ("optics", "lines", "words", "glyph") for
    calibration, and "glyph_flips": the words and lines that rule alone made illegible."""
    if not warped.lines and not warped.regions:
        return warped
    optics = optics_of(photometric)
    regions = assess_regions(flat, warped, lit_gray, optics)
    if not warped.lines:
        out = copy.copy(warped)
        out.regions = regions
        return out
    line_terms, word_terms = label_terms(flat, warped, lit_gray)
    line_q = score(line_terms.detail_px, line_terms.contrast, line_terms.visible, optics).tolist()
    by_area = score(word_terms.detail_px, word_terms.contrast, word_terms.visible, optics)
    glyph = np.ones(len(by_area)) if glyph is None else np.asarray(glyph, np.float64)
    word_q = (by_area * smoothstep(glyph, *GLYPH_VISIBLE)).tolist()
    if trace is not None:
        trace.update(optics=optics, lines=line_terms, words=word_terms, glyph=glyph,
                     glyph_flips=_flips(warped, line_q, by_area.tolist(), word_q))
    lines: list[Line] = []
    k = 0
    for ln, q in zip(warped.lines, line_q, strict=True):
        own = word_q[k : k + len(ln.words)]
        k += len(ln.words)
        # a line's label is its words: it reads whole only if every word does (a smear or a
        # finger over one word hides that word, whatever the line's box says on average).
        # Words with no letter or digit (a dash, a bullet) are left out: their tiny boxes
        # score low contrast by nature, and a reader does not need them to read the line
        q = min([q, *(wq for wd, wq in zip(ln.words, own, strict=True) if has_content(wd.text))])
        new = _rated(ln, 0.0 if ln.role == DONT_CARE_ROLE else q)
        new.words = [_rated(wd, wq) for wd, wq in zip(ln.words, own, strict=True)]
        lines.append(new)
    out = copy.copy(warped)
    out.lines = lines
    out.regions = regions
    return out


def _flips(page: Page, line_q: list[float], before: list[float], after: list[float]
           ) -> dict[str, list[int]]:  # fmt: skip
    """Indices of the words, and of the lines, that the glyph rule alone turns illegible."""
    words = [k for k, (b, a) in enumerate(zip(before, after, strict=True))
             if b >= LEGIBLE > a]  # fmt: skip
    lines, k = [], 0
    for i, (ln, q) in enumerate(zip(page.lines, line_q, strict=True)):
        own = range(k, k + len(ln.words))
        k += len(ln.words)
        content = [j for j in own if has_content(ln.words[j - own.start].text)]
        if ln.role != DONT_CARE_ROLE and min([q, *(before[j] for j in content)]) >= LEGIBLE > min(
                [q, *(after[j] for j in content)]):
            lines.append(i)
    return {"words": words, "lines": lines}


def region_terms(flat: Page, warped: Page, lit_gray: np.ndarray | Contrasts) -> LabelTerms:
    """Size, contrast and visibility of every region of `warped` (see `REGION_EM`)."""
    scale = _band_ratio([r.polygon for r in flat.regions], [r.polygon for r in warped.regions])
    em = []
    for r, (flat_band, out_band) in zip(warped.regions, scale, strict=True):
        size = r.attributes.get("size") if isinstance(r.attributes, dict) else None
        if not isinstance(size, int | float) or size <= 0:
            size = flat_band * REGION_EM.get(r.kind, DEFAULT_REGION_EM)
        em.append(_em(float(size), flat_band, out_band) * DEFAULT_DETAIL)
    return LabelTerms(
        np.array(em, np.float64),
        _contrasts(lit_gray, "regions", [r.polygon for r in warped.regions]),
        np.array([r.visible for r in warped.regions], np.float64),
    )


def assess_regions(flat: Page, warped: Page, lit_gray: np.ndarray | Contrasts, optics: Optics
                   ) -> list[Any]:  # fmt: skip
    """Copies of `warped`'s regions with `legibility` and `legible` from the same physics as
    lines (regions the frame or an occluder hides lose it with `visible`)."""
    if not warped.regions:
        return []
    terms = region_terms(flat, warped, lit_gray)
    q = score(terms.detail_px, terms.contrast, terms.visible, optics).tolist()
    return [_rated(r, v) for r, v in zip(warped.regions, q, strict=True)]


def has_content(text: str) -> bool:
    """A letter or digit in the text (else punctuation or symbols only)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def _em(size: float, flat_band: float, out_band: float) -> float:
    """The label's em in output px: its drawn size times the map's scale across the band."""
    if size > 0 and flat_band > 0:
        return float(size) * out_band / flat_band
    return out_band / BAND_PER_EM


def _rated(label: Any, value: float) -> Any:
    """A copy of a label dataclass with its score (a __dict__ copy: ~4x cheaper than
    copy.copy, and a page has hundreds of words)."""
    new = object.__new__(type(label))
    fields = label.__dict__.copy()
    fields["legibility"] = round(float(value), 4)
    fields["legible"] = bool(value >= LEGIBLE)
    new.__dict__ = fields
    return new
