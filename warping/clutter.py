"""Things on and around the page: table clutter (pens, cups, phones) and ink smudges.

Both run in the frame's coordinates after the camera (photometric steps by where they run),
and both hide text, so labels learn of them (`warping.hiding`): each step has a `cover`
giving the mask of what it hides, and every line, word and region loses that share from
`visible` (and with it `legible`). Profiles put them before the light terms: clutter and
smudges are lit like the page, and the ink contrast `warping.legibility` reads is measured
after them (a smear lowers it where it lies).

- **clutter**: objects lying on the table, partly over the page's edges: a pen (a capsule with
  a tip and a clip), a cup seen from above (rim, coffee, handle), a phone (a rounded slab with
  a dark screen). Each enters from one border of the frame (the page fills the middle, so an
  object near a border lies over the page's margin and text) and casts one soft shadow, the
  same direction for all (one light). Objects hide what is under them.
- **ink_smudge**: smears of wet ink on the paper: an elongated soft patch where the ink is
  pulled along one direction and the paper darkened towards the ink colour, lowering local
  contrast. Only the paper smudges (the table, where the page mask says so, stays). Text hides
  only where the smear wipes it out (`SMEAR_WIPES`); elsewhere the contrast it leaves, measured
  after it, is what `warping.legibility` scores.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from synth.opencv import cv2
from warping import params as P
from warping.bands import band_rows, direct_filter
from warping.kernels import motion_kernel, wide_blur
from warping.legibility import WIPES
from warping.lighting import drawable, has_table
from warping.params import Ranges
from warping.steps import PhotometricStep, Record, register

KINDS = ("pen", "cup", "phone")
PEN_COLOURS = [(30, 60, 160), (25, 25, 30), (170, 30, 30), (190, 192, 198), (40, 120, 60)]
CUP_COLOURS = [(238, 236, 230), (200, 60, 50), (60, 90, 150), (235, 220, 180)]
PHONE_COLOURS = [(28, 28, 32), (200, 200, 205), (70, 60, 75)]
_CIRCLE = 40  # points on a circle's outline

Part = tuple[np.ndarray, tuple[int, int, int]]  # (outline (N, 2) in frame px, RGB)


def _circle(cx: float, cy: float, r: float) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, _CIRCLE, endpoint=False)
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)


def _capsule(x0: float, x1: float, half: float) -> np.ndarray:
    """A horizontal capsule from x0 to x1, `half` wide each side of y = 0."""
    t = np.linspace(-np.pi / 2, np.pi / 2, _CIRCLE // 2)
    right = np.stack([x1 + half * np.cos(t), half * np.sin(t)], axis=1)
    left = np.stack([x0 - half * np.cos(t), -half * np.sin(t)], axis=1)
    return np.concatenate([right, left])


def _rounded(w: float, h: float, r: float) -> np.ndarray:
    """A rounded rectangle centred on 0."""
    pts = []
    for cx, cy, a0 in ((w / 2 - r, h / 2 - r, 0), (-w / 2 + r, h / 2 - r, 90),
                       (-w / 2 + r, -h / 2 + r, 180), (w / 2 - r, -h / 2 + r, 270)):  # fmt: skip
        t = np.deg2rad(np.linspace(a0, a0 + 90, 8))
        pts.append(np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1))
    return np.concatenate(pts)


def object_parts(obj: Record) -> list[Part]:
    """The outlines and colours of one object, bottom part first, in frame px."""
    s = float(obj["size"])
    colour = tuple(int(v) for v in obj["colour"])
    if obj["kind"] == "pen":
        body = _capsule(-0.5 * s, 0.42 * s, 0.028 * s)
        tip = np.array([[0.42 * s, -0.02 * s], [0.52 * s, 0.0], [0.42 * s, 0.02 * s]])
        clip = np.array([[-0.42 * s, -0.04 * s], [-0.2 * s, -0.04 * s],
                         [-0.2 * s, -0.025 * s], [-0.42 * s, -0.025 * s]])  # fmt: skip
        dark = tuple(int(v * 0.55) for v in colour)
        local = [(body, colour), (tip, (40, 40, 40)), (clip, dark)]
    elif obj["kind"] == "cup":
        r = 0.5 * s
        handle = _capsule(0.85 * r, 1.45 * r, 0.13 * r)
        local = [(handle, colour), (_circle(0, 0, r), colour),
                 (_circle(0, 0, 0.82 * r), (72, 44, 28))]  # fmt: skip
    else:  # phone
        body = _rounded(0.5 * s, s, 0.07 * s)
        screen = _rounded(0.44 * s, 0.88 * s, 0.04 * s)
        local = [(body, colour), (screen, (14, 16, 20))]
    a = np.deg2rad(float(obj["angle"]))
    turn = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    centre = np.asarray(obj["centre"], np.float64)
    return [(pts @ turn.T + centre, col) for pts, col in local]


def sample_clutter(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    """1-3 objects, each centred near one border of the frame (partly out of it)."""
    short = float(min(w, h))
    kinds = list(r["kind"])
    objects = []
    for _ in range(P.integer(rng, r["count"])):
        kind = P.choice(rng, kinds)
        size = P.uniform(rng, r["size"], 4) * short * {"pen": 1.6, "cup": 0.8, "phone": 1.0}[kind]
        side = P.integer(rng, [0, 3])
        along = P.uniform(rng, [0.1, 0.9], 3)
        depth = P.uniform(rng, r["reach"], 3) * size  # centre's distance inside the border
        x, y = {0: (along * w, depth), 1: (w - depth, along * h), 2: (along * w, h - depth),
                3: (depth, along * h)}[side]  # fmt: skip
        palette = {"pen": PEN_COLOURS, "cup": CUP_COLOURS, "phone": PHONE_COLOURS}[kind]
        objects.append({"kind": kind, "centre": [round(x, 2), round(y, 2)],
                        "size": round(size, 2), "angle": P.uniform(rng, [0.0, 360.0], 2),
                        "colour": list(P.choice(rng, palette))})  # fmt: skip
    a = P.uniform(rng, [0.0, 360.0], 2)
    reach = P.uniform(rng, r["shadow"], 4) * short
    return {"objects": objects,
            "shadow": [round(reach * float(np.cos(np.deg2rad(a))), 2),
                       round(reach * float(np.sin(np.deg2rad(a))), 2)],
            "darkness": P.uniform(rng, r["darkness"], 3),
            "blur": P.uniform(rng, r["blur"], 3)}  # fmt: skip


def _box(pts: np.ndarray, pad: float, w: int, h: int) -> tuple[int, int, int, int] | None:
    x0, y0 = np.floor(pts.min(axis=0) - pad).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0) + pad).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def clutter_cover(rec: Record, shape: tuple[int, int], ctx: Any = None) -> np.ndarray:
    """255 where an object lies (what it hides), 0 elsewhere."""
    mask = np.zeros(shape, np.uint8)
    for obj in rec["objects"]:
        for pts, _ in object_parts(obj):
            cv2.fillPoly(mask, [np.round(pts * 4).astype(np.int32)], 255, cv2.LINE_8, shift=2)
    return mask


def apply_clutter(img: np.ndarray, rec: Record, ctx: Any = None) -> np.ndarray:
    """Per object, in its own box: its shadow (one light direction for all), then its parts,
    soft edged (the objects stand nearer the lens than the page).

    Each soft mask is drawn, blurred and blended only in the part of the object's box it can
    reach (`_blurred`: its outline's box plus the blur's reach): a pen's tip and clip are a
    few percent of the pen's box, and outside that reach the mask is exactly 0, where the
    blend keeps the pixel. The blends are OpenCV float32 ops on three channels (numpy's
    (h, w, 1) broadcast walked a 3-wide inner loop): same IEEE products and sums, same bytes
    as the whole-box numpy version, half the time (21 -> 10 ms a call on wild frames)."""
    h, w = img.shape[:2]
    out = drawable(img, ctx)
    sigma = max(0.6, float(rec["blur"]))
    dx, dy = rec["shadow"]
    spread = max(1.0, 0.4 * float(np.hypot(dx, dy)))
    for obj in rec["objects"]:
        parts = object_parts(obj)
        every = np.concatenate([pts for pts, _ in parts])
        box = _box(np.concatenate([every, every + [dx, dy]]), 3 * max(spread, sigma) + 2, w, h)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        shape = (y1 - y0, x1 - x0)
        crop = out[y0:y1, x0:x1].astype(np.float32)
        rings = [np.round((pts + [dx, dy] - (x0, y0)) * 4).astype(np.int32) for pts, _ in parts]
        made = _blurred(shape, rings, spread)
        if made is not None:
            (r0, r1, c0, c1), shadow = made
            _darken(crop[r0:r1, c0:c1], 1.0 - float(rec["darkness"]) * shadow)
        for pts, colour in parts:
            made = _blurred(shape, [np.round((pts - (x0, y0)) * 4).astype(np.int32)], sigma)
            if made is not None:
                (r0, r1, c0, c1), alpha = made
                _paint(crop[r0:r1, c0:c1], alpha, colour)
        crop += np.float32(0.5)
        np.clip(crop, 0, 255, out=crop)
        out[y0:y1, x0:x1] = crop  # truncated, as astype(uint8) does
    return out


_ROWS = 64  # rows per blend band: the three-channel float temporaries stay a few MB


def _darken(here: np.ndarray, factor: np.ndarray) -> None:
    """here *= factor (one value a pixel, every channel), in place."""
    for r in range(0, len(here), _ROWS):
        band = here[r : r + _ROWS]
        cv2.multiply(band, cv2.cvtColor(factor[r : r + _ROWS], cv2.COLOR_GRAY2RGB), dst=band)


def _paint(here: np.ndarray, alpha: np.ndarray, colour: tuple[int, int, int]) -> None:
    """here = here * (1 - alpha) + colour * alpha, in place."""
    scalar = (*(float(c) for c in colour), 0.0)  # a bare number would be (v, 0, 0, 0)
    for r in range(0, len(here), _ROWS):
        band, a = here[r : r + _ROWS], alpha[r : r + _ROWS]
        paint = cv2.multiply(cv2.cvtColor(a, cv2.COLOR_GRAY2RGB), scalar)  # colour * alpha
        cv2.multiply(band, cv2.cvtColor(1.0 - a, cv2.COLOR_GRAY2RGB), dst=band)
        cv2.add(band, paint, dst=band)


def _blurred(
    shape: tuple[int, int], rings: list[np.ndarray], sigma: float
) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """The union of `rings` (box px, fixed point 2 bits, drawn anti-aliased) blurred by
    `sigma`, in the sub-box of a `shape` box it can reach: ((r0, r1, c0, c1), mask), or None
    when it reaches none of the box.

    The sub-box keeps more than the blur kernel's radius of zeros around the outlines on each
    side where it does not meet the box's own edge, so its border reflection brings in zeros
    as the whole box's did, and beyond it the whole box's mask is exactly 0: the values are
    those of drawing and blurring in the whole box. The rings move by whole pixels (exact in
    fixed point), so they rasterise the same."""
    every = np.concatenate(rings)
    reach = int(np.ceil(4 * sigma)) + 2  # OpenCV's float kernel: radius round(4 sigma)
    c0, r0 = every.min(axis=0) // 4 - 1 - reach
    c1, r1 = -(-every.max(axis=0) // 4) + 2 + reach
    r0, c0 = max(0, int(r0)), max(0, int(c0))
    r1, c1 = min(shape[0], int(r1)), min(shape[1], int(c1))
    if r1 <= r0 or c1 <= c0:
        return None
    mask = np.zeros((r1 - r0, c1 - c0), np.float32)
    for ring in rings:
        drawn = np.zeros_like(mask)
        cv2.fillPoly(drawn, [ring - [4 * c0, 4 * r0]], 1.0, cv2.LINE_AA, shift=2)
        np.maximum(mask, drawn, out=mask)
    return (r0, r1, c0, c1), cv2.GaussianBlur(mask, (0, 0), sigma)


# A smear of strength m keeps (1 - m) of the ink's contrast (`apply_smudge`: the page times
# 1 - m, plus a streak far longer than a glyph). The cover marks only where even common print
# is wiped out: where (1 - m) of TYPICAL_INK falls from the contrast term's "can" end to its
# "cannot" end. A lighter smear is a loss of contrast, not a hidden word (the first ramp,
# 0.35 -> 0.7, called words hidden that Tesseract read at CER 0.00-0.20: bench_legibility
# dumps). `warping.legibility` measures contrast after the smear, but as a box's p95 - p5,
# which a smear's own edge can keep high: pale print under a middling smear is not scored
# lower, and the ramp is set for common print.
SMEAR_WIPES = WIPES  # ~0.73, ~0.92 (`warping.legibility.WIPES`, shared with fingers' soft edge)


def sample_smudge(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    short = float(min(w, h))
    smudges = []
    for _ in range(P.integer(rng, r["count"])):
        length = P.uniform(rng, r["size"], 4) * short
        smudges.append({"centre": [P.uniform(rng, [0.15 * w, 0.85 * w], 2),
                                   P.uniform(rng, [0.15 * h, 0.85 * h], 2)],
                        "axes": [round(length, 2), round(length * P.uniform(rng, [0.3, 0.6]), 2)],
                        "angle": P.uniform(rng, [0.0, 180.0], 2),
                        "strength": P.uniform(rng, r["strength"], 3),
                        "seed": P.integer(rng, [0, 2**31 - 1])})  # fmt: skip
    return {"smudges": smudges, "ink": list(P.choice(rng, [(35, 35, 45), (30, 45, 110)]))}


def _smear_mask(sm: Record, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, ...]]:
    """A smear's strength (0-1) in its box, and the box (x0, y0, x1, y1), read-only.

    The applier and the cover (`smudge_cover`, right after the photometric stage) each need
    it: the last two are kept, keyed by the smear's record and the frame (a pure function of
    both), as the mask took ~30 ms of a big smear's ~100 on a wild frame (a long motion kernel
    over per-pixel noise, a wide blur); the cover drops them once it is made."""
    key = (tuple(sm["centre"]), tuple(sm["axes"]), float(sm["angle"]), float(sm["strength"]),
           int(sm["seed"]), tuple(shape))
    return _smear_mask_of(key)


@functools.lru_cache(maxsize=2)  # a record's smears (1-2 by default) until its cover is made
def _smear_mask_of(key: tuple[Any, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    (cx, cy), (a, b), angle, strength, seed, (h, w) = key
    sm = {"centre": [cx, cy], "axes": [a, b], "angle": angle, "strength": strength, "seed": seed}
    mask, box = _draw_smear_mask(sm, (h, w))
    mask.setflags(write=False)
    return mask, box


def _draw_smear_mask(sm: Record, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, ...]]:
    h, w = shape
    a, b = sm["axes"]
    cx, cy = sm["centre"]
    pad = int(a) + 4
    x0, y0, x1, y1 = max(0, int(cx) - pad), max(0, int(cy) - pad), min(w, int(cx) + pad), min(h, int(cy) + pad)
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), np.float32), (0, 0, 0, 0)
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.ellipse(mask, (round(cx - x0), round(cy - y0)), (max(1, round(a / 2)), max(1, round(b / 2))),
                float(sm["angle"]), 0, 360, 1.0, -1, cv2.LINE_AA)  # fmt: skip
    streak = np.random.default_rng(int(sm["seed"])).random(mask.shape, dtype=np.float32)
    k = motion_kernel(max(3, int(a / 3) | 1), float(sm["angle"]), 0.0)
    streak = cv2.filter2D(streak, -1, k / k.sum())
    mask = wide_blur(mask, max(1.0, b / 6)) * (0.9 + 1.5 * (streak - 0.5))
    return np.clip(mask * float(sm["strength"]), 0.0, 1.0), (x0, y0, x1, y1)


def _paper(mask: np.ndarray, box: tuple[int, ...], ctx: Any) -> np.ndarray:
    if ctx is None or not has_table(ctx):
        return mask
    x0, y0, x1, y1 = box
    return mask * (ctx.page_alpha[y0:y1, x0:x1].astype(np.float32) / 255.0)


def apply_smudge(img: np.ndarray, rec: Record, ctx: Any = None) -> np.ndarray:
    """Each smear: the ink pulled along its direction, the paper darkened towards the ink."""
    out = drawable(img, ctx)
    ink = np.asarray(rec["ink"], np.float32)
    for sm in rec["smudges"]:
        mask, box = _smear_mask(sm, img.shape[:2])
        if not mask.size:
            continue
        mask = _paper(mask, box, ctx)
        x0, y0, x1, y1 = box
        k = motion_kernel(max(3, int(sm["axes"][0] / 4) | 1), float(sm["angle"]), 0.0)
        # only where the smear is (the box is 2 axes square; the blurred ellipse ends well
        # inside it, ~40 % of the box): the pull reads its kernel's reach around that, clamped
        # to the box, so every pixel it writes sees the neighbours (and box edges) it saw
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if not len(rows):
            continue
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        reach = max(k.shape) // 2 + 1
        e0, f0 = max(0, r0 - reach), max(0, c0 - reach)
        e1, f1 = min(y1 - y0, r1 + reach), min(x1 - x0, c1 + reach)
        wide = out[y0 + e0 : y0 + e1, x0 + f0 : x0 + f1].astype(np.float32)
        # the pull and the blend in bands of rows (a band's pull reads `wide` around it): a
        # big smear's box-sized float32 RGB temporaries (~27 MB each, five at once) were the
        # largest transient of a wild row; per element the arithmetic is the same
        # (a kernel OpenCV applies through a DFT is applied to the whole box: its rounding
        # depends on the size; `direct_filter`)
        kernel, half = k / k.sum(), k.shape[0] // 2
        whole = None if direct_filter(kernel) else cv2.filter2D(wide, -1, kernel)
        step = band_rows(wide.strides[0])
        for a in range(r0 - e0, r1 - e0, step):
            b = min(r1 - e0, a + step)
            if whole is None:
                lo = max(0, a - half)
                pulled = cv2.filter2D(wide[lo : b + half], -1, kernel)[a - lo : b - lo]
            else:
                pulled = whole[a:b]
            pulled = pulled[:, c0 - f0 : c1 - f0]
            crop = wide[a:b, c0 - f0 : c1 - f0]
            here = mask[a + e0 : b + e0, c0:c1, None]
            tinted = pulled * 0.6 + ink * 0.4
            out[y0 + e0 + a : y0 + e0 + b, x0 + c0 : x0 + c1] = np.clip(
                crop * (1 - here) + tinted * here + 0.5, 0, 255).astype(np.uint8)
    return out



def smudge_cover(rec: Record, shape: tuple[int, int], ctx: Any = None) -> np.ndarray:
    """Where the smear is heavy enough to wipe the text out (`SMEAR_WIPES`, smoothly)."""
    cover = np.zeros(shape, np.uint8)
    lo, hi = SMEAR_WIPES
    for sm in rec["smudges"]:
        mask, box = _smear_mask(sm, shape)
        if not mask.size:
            continue
        t = np.clip((_paper(mask, box, ctx) - lo) / (hi - lo), 0.0, 1.0)
        x0, y0, x1, y1 = box
        here = (t * t * (3 - 2 * t) * 255 + 0.5).astype(np.uint8)
        np.maximum(cover[y0:y1, x0:x1], here, out=cover[y0:y1, x0:x1])
    _smear_mask_of.cache_clear()  # the row is done with its smears (frame-sized masks)
    return cover


class CoverStep(PhotometricStep):
    """A photometric step that hides text: `cover(record, (h, w), ctx)` is its mask."""

    def __init__(self, name: str, defaults: Ranges, sampler: Any, applier: Any, cover: Any,
                 choices: frozenset[str] = frozenset(), integers: frozenset[str] = frozenset()
                 ) -> None:  # fmt: skip
        self.name, self.defaults, self.choices, self.integers = name, defaults, choices, integers
        self._sampler, self._applier, self._cover = sampler, applier, cover

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return self._sampler(ranges, rng, width, height)

    def apply(self, image: np.ndarray, record: Record, ctx: Any) -> np.ndarray:
        return self._applier(image, record, ctx)

    def cover(self, record: Record, shape: tuple[int, int], ctx: Any = None) -> np.ndarray:
        return self._cover(record, shape, ctx)


STEPS = {
    "clutter": CoverStep(
        "clutter",
        {"count": [1, 2], "kind": list(KINDS), "size": [0.22, 0.34], "reach": [-0.1, 0.3],
         "shadow": [0.006, 0.02], "darkness": [0.25, 0.5], "blur": [0.6, 1.6]},
        sample_clutter, apply_clutter, clutter_cover,
        choices=frozenset({"kind"}), integers=frozenset({"count"}),
    ),
    "ink_smudge": CoverStep(
        "ink_smudge",
        {"count": [1, 2], "size": [0.08, 0.22], "strength": [0.4, 0.95]},
        sample_smudge, apply_smudge, smudge_cover, integers=frozenset({"count"}),
    ),
}
for _step in STEPS.values():
    register(_step)
