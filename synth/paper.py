"""Procedural paper: the background every scene draws on.

Sample then apply: `sample_paper` draws a small JSON record (colours, amplitudes and integer
seeds), `apply_paper` turns it into pixels. All noise comes from Generators seeded by the
record, so the same record gives the same image on any machine. Noise is made at low
resolution and upsampled with cv2.resize, which keeps a 1024x1448 page at a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth.opencv import cv2

RULING_KINDS = ("none", "ruled", "grid", "dotted")

# Paper base colours (RGB): white office paper, cream, recycled grey, faint blue, thermal white.
_TINTS = (
    (250, 250, 248),
    (248, 243, 228),
    (236, 235, 230),
    (242, 246, 250),
    (252, 252, 252),
    (245, 238, 222),
)
_RULE_COLOURS = ((150, 180, 220), (170, 200, 225), (190, 190, 190), (140, 170, 150))
# The page is finished band by band (GRAIN_TILE rows at a time): each band's temporaries stay in
# the CPU cache, where page-size temporaries cost ~2-3 ms of page faults each on a 1024x1448 page.
GRAIN_TILE = 128


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


def sample_paper(
    rng: np.random.Generator,
    width: int,
    height: int,
    *,
    ruling: str | None = None,
    ruling_spacing: float | None = None,
    backgrounds: Sequence[str] = (),
    background_probability: float = 0.5,
) -> dict[str, Any]:
    """Draw a paper record.

    `ruling` forces a ruling kind (the handwriting-note scene wants "ruled" and then writes on
    the drawn lines, so it reads `ruling.spacing`/`ruling.offset` back from the record).
    `backgrounds` are user image paths; one is used with `background_probability`.
    """
    if ruling is not None and ruling not in RULING_KINDS:
        raise PolyglyphError(f"unknown paper ruling {ruling!r}; use one of {', '.join(RULING_KINDS)}")
    base = np.array(_TINTS[int(rng.integers(len(_TINTS)))], dtype=np.float64)
    base = np.clip(base + rng.normal(0.0, 3.0, 3), 200, 255)
    kind = ruling if ruling is not None else str(
        rng.choice(RULING_KINDS, p=[0.82, 0.08, 0.06, 0.04])
    )
    short = min(width, height)
    spacing = float(ruling_spacing) if ruling_spacing else float(rng.uniform(0.028, 0.045) * short)
    rule = {
        "kind": kind,
        "spacing": round(spacing, 2),
        "offset": round(float(rng.uniform(0.05, 0.1) * height), 2),
        "colour": [int(c) for c in _RULE_COLOURS[int(rng.integers(len(_RULE_COLOURS)))]],
        "alpha": round(float(rng.uniform(0.35, 0.75)), 3),
        "thickness": int(rng.integers(1, 3)),
        "margin_x": round(float(rng.uniform(0.08, 0.14) * width), 2) if rng.random() < 0.5 else None,
    }
    n_stains = int(rng.choice([0, 0, 0, 1, 2, 3]))
    record: dict[str, Any] = {
        "tint": [round(float(c), 2) for c in base],
        "mottle": {"amplitude": round(float(rng.uniform(0.0, 0.035)), 4), "seed": _seed(rng)},
        "grain": {"amplitude": round(float(rng.uniform(0.0, 0.04)), 4), "seed": _seed(rng)},
        "fibres": {
            "count": int(rng.integers(0, 120)) if rng.random() < 0.6 else 0,
            "darkness": round(float(rng.uniform(6, 22)), 2),
            "seed": _seed(rng),
        },
        "stains": [
            {
                "cx": round(float(rng.uniform(0, 1)), 4),
                "cy": round(float(rng.uniform(0, 1)), 4),
                "radius": round(float(rng.uniform(0.04, 0.18)), 4),
                "strength": round(float(rng.uniform(0.04, 0.14)), 4),
                "colour": [int(c) for c in rng.integers([120, 80, 30], [180, 130, 80])],
                "seed": _seed(rng),
            }
            for _ in range(n_stains)
        ],
        "ruling": rule,
        "vignette": round(float(rng.uniform(0.0, 0.08)), 4) if rng.random() < 0.4 else 0.0,
        "background": None,
    }
    if backgrounds and rng.random() < background_probability:
        record["background"] = {
            "path": str(backgrounds[int(rng.integers(len(backgrounds)))]),
            "crop_x": round(float(rng.uniform(0, 1)), 4),
            "crop_y": round(float(rng.uniform(0, 1)), 4),
            "zoom": round(float(rng.uniform(1.0, 1.6)), 4),
            "fade": round(float(rng.uniform(0.3, 0.7)), 4),
        }
    return record


def _low_noise(seed: int, low_w: int, low_h: int, cell: int) -> np.ndarray:
    """Zero-mean noise with features about `cell` low-res pixels wide, at the low-res size."""
    gen = np.random.Generator(np.random.PCG64(seed))
    small = gen.standard_normal((max(2, low_h // cell + 2), max(2, low_w // cell + 2)))
    return cv2.resize(small.astype(np.float32), (low_w, low_h), interpolation=cv2.INTER_CUBIC)


def _grain_band(seed: int, width: int) -> np.ndarray:
    """GRAIN_TILE rows of pixel-level grain, a 128x128 tile repeated across `width`; the page
    adds it band after band (repetition is invisible at grain amplitudes)."""
    gen = np.random.Generator(np.random.PCG64(seed))
    tile = gen.standard_normal((GRAIN_TILE, GRAIN_TILE)).astype(np.float32)
    return cv2.repeat(tile, 1, width // GRAIN_TILE + 1)[:, :width]


def _upsampled_rows(low: np.ndarray, top: int, count: int) -> np.ndarray:
    """Rows [top, top + count) of `low` (one or more channels) resized 4x (cv2.INTER_LINEAR),
    without making the whole upsampled image.

    At an exact 4x scale output row r samples source row (r + 0.5) / 4 - 0.5, so resizing a
    block of source rows gives the same rows as resizing everything, as long as the block
    reaches one row past each side of what the band reads (edge clamping then only touches
    rows that are thrown away); `top` is a multiple of 4.
    """
    low_h, low_w = low.shape[:2]
    first = max(0, top // 4 - 1)
    last = min(low_h, (top + count) // 4 + 2)
    block = cv2.resize(low[first:last], (low_w * 4, (last - first) * 4),
                       interpolation=cv2.INTER_LINEAR)
    start = top - first * 4
    return block[start : start + count]


def _fibres(record: dict[str, Any], width: int, height: int) -> np.ndarray:
    """Darkening map (0..255) with short curved fibres drawn anti-aliased."""
    layer = np.zeros((height, width), np.uint8)
    count = int(record["count"])
    if count <= 0:
        return layer
    gen = np.random.Generator(np.random.PCG64(int(record["seed"])))
    short = min(width, height)
    x = gen.uniform(0, width, count)[:, None]
    y = gen.uniform(0, height, count)[:, None]
    angle = gen.uniform(0, np.pi, count)[:, None]
    step = (gen.uniform(0.006, 0.03, count) * short / 6)[:, None]
    bend = gen.normal(0, 0.8, count)[:, None]
    shade = gen.integers(0, 3, count)
    t = np.linspace(-0.5, 0.5, 6)[None, :]
    a = angle + bend * t
    pts = np.stack([x + np.cumsum(np.cos(a), 1) * step, y + np.cumsum(np.sin(a), 1) * step], 2)
    pts = np.round(pts).astype(np.int32)
    darkness = float(record["darkness"])
    for level in range(3):  # three shades, one polylines call each
        chosen = [p for p, s in zip(pts, shade, strict=True) if s == level]
        if chosen:
            value = int(darkness * (0.4 + 0.3 * level))
            cv2.polylines(layer, chosen, False, value, 1, cv2.LINE_AA)
    return layer


def _stain_boxes(stains: list[dict[str, Any]], low_w: int, low_h: int
                 ) -> list[tuple[dict[str, Any], np.ndarray, tuple[int, int, int, int]]]:
    """(stain, low-res wobble, low-res box) of every stain that reaches the page.

    A blob tints only where d < 1.35 (its rim is exp(-0.35^2/0.01) < 1e-5 beyond), so the box
    is that disc widened by the wobble's lowest value and the blur's reach.
    """
    out = []
    for stain in stains:
        gen = np.random.Generator(np.random.PCG64(int(stain["seed"])))
        r = max(float(stain["radius"]) * min(low_w, low_h), 1.0)
        wobble = cv2.resize(gen.standard_normal((6, 6)).astype(np.float32), (low_w, low_h)) * 0.25
        cx, cy = float(stain["cx"]) * low_w, float(stain["cy"]) * low_h
        reach = r * (1.35 - float(wobble.min())) + 4
        x0, x1 = max(0, int(cx - reach)), min(low_w, int(np.ceil(cx + reach)) + 1)
        y0, y1 = max(0, int(cy - reach)), min(low_h, int(np.ceil(cy + reach)) + 1)
        if x1 > x0 and y1 > y0:
            out.append((stain, wobble, (x0, y0, x1, y1)))
    return out


def _stain_multiplier(stains: list[dict[str, Any]], low_w: int, low_h: int
                      ) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Per-channel multiplier (low-res, 0..1) of all stains, soft blobs with a darker rim, over
    the low-res box (x0, y0, x1, y1) they reach (1 everywhere outside); None if none does."""
    boxes = _stain_boxes(stains, low_w, low_h)
    if not boxes:
        return None
    ux0, uy0 = min(b[0] for _, _, b in boxes), min(b[1] for _, _, b in boxes)
    ux1, uy1 = max(b[2] for _, _, b in boxes), max(b[3] for _, _, b in boxes)
    mult = np.ones((uy1 - uy0, ux1 - ux0, 3), np.float32)
    for stain, wobble, (x0, y0, x1, y1) in boxes:
        r = max(float(stain["radius"]) * min(low_w, low_h), 1.0)
        cx, cy = float(stain["cx"]) * low_w, float(stain["cy"]) * low_h
        dx = np.arange(x0, x1, dtype=np.float32) - np.float32(cx)
        dy = np.arange(y0, y1, dtype=np.float32) - np.float32(cy)
        d = np.hypot(dx[None, :], dy[:, None]) / np.float32(r) + wobble[y0:y1, x0:x1]
        blob = np.clip(1.0 - d, 0.0, 1.0) * 0.5 + np.exp(-((d - 1.0) ** 2) / 0.01) * 0.6
        s = np.clip(cv2.GaussianBlur(blob, (0, 0), 1.0) * (float(stain["strength"]) * 4.0), 0, 0.6)
        absorb = 1.0 - np.asarray(stain["colour"], np.float32) / 255.0  # what the stain filters out
        mult[y0 - uy0 : y1 - uy0, x0 - ux0 : x1 - ux0] *= 1.0 - s[..., None] * absorb
    return mult, (ux0, uy0, ux1, uy1)


def _apply_stains(image: np.ndarray, stains: list[dict[str, Any]], low_w: int, low_h: int
                  ) -> None:
    """Multiply the stains into `image` (in place), only over the box where they tint: away
    from the stains the multiplier is 1, so the rest of the page stays as it is."""
    found = _stain_multiplier(stains, low_w, low_h)
    if found is None:
        return
    mult, (lx0, ly0, lx1, ly1) = found
    height, width = image.shape[:2]
    sx, sy = width / low_w, height / low_h
    x0, x1 = int(round(lx0 * sx)), min(width, int(round(lx1 * sx)))
    y0, y1 = int(round(ly0 * sy)), min(height, int(round(ly1 * sy)))
    if x1 <= x0 or y1 <= y0:
        return
    mult_u8 = np.round(mult * 255).astype(np.uint8)
    h, w = y1 - y0, x1 - x0
    if (h, w) == (mult_u8.shape[0] * 4, mult_u8.shape[1] * 4):  # no region-size temporary
        for top in range(0, h, GRAIN_TILE):
            rows = _upsampled_rows(mult_u8, top, min(GRAIN_TILE, h - top))
            view = image[y0 + top : y0 + top + rows.shape[0], x0:x1]
            cv2.multiply(view, rows, dst=view, scale=1.0 / 255.0)
    else:
        view = image[y0:y1, x0:x1]
        cv2.multiply(view, cv2.resize(mult_u8, (w, h)), dst=view, scale=1.0 / 255.0)


def _draw_ruling(image: np.ndarray, rule: dict[str, Any]) -> None:
    """Draw ruling into a uint8 image in place, blended at the record's alpha.

    The lines are drawn into a copy of the page and the copy is blended back; the copy is made
    band by band, each band widened by the reach of the anti-aliased lines, so every band sees
    the same lines and crossings a whole-page copy would (pixels away from the lines blend to
    themselves exactly) and no page-size copy is made.
    """
    kind = rule["kind"]
    if kind == "none":
        return
    h, w = image.shape[:2]
    colour = tuple(int(c) for c in rule["colour"])
    spacing = max(4.0, float(rule["spacing"]))
    ys = [int(round(y)) for y in np.arange(float(rule["offset"]), h, spacing)]
    xs = [int(round(x)) for x in np.arange(float(rule["offset"]) % spacing, w, spacing)]
    th = int(rule["thickness"])
    margin = int(round(float(rule["margin_x"]))) if rule.get("margin_x") and kind == "ruled" else None
    alpha = float(rule["alpha"])
    reach = 2 * th + 4  # rows an anti-aliased line or dot of this thickness can touch
    for top in range(0, h, GRAIN_TILE):
        bottom = min(h, top + GRAIN_TILE)
        y0, y1 = max(0, top - reach), min(h, bottom + reach)
        overlay = image[y0:y1].copy()
        near = [y for y in ys if top - reach <= y < bottom + reach]
        if kind in ("ruled", "grid"):
            for y in near:
                cv2.line(overlay, (0, y - y0), (w - 1, y - y0), colour, th, cv2.LINE_AA)
        if kind == "grid":
            for x in xs:
                cv2.line(overlay, (x, -y0), (x, h - 1 - y0), colour, th, cv2.LINE_AA)
        if kind == "dotted":
            for y in near:
                for x in xs:
                    cv2.circle(overlay, (x, y - y0), th, colour, -1, cv2.LINE_AA)
        if margin is not None:
            cv2.line(overlay, (margin, -y0), (margin, h - 1 - y0), (215, 120, 120), th, cv2.LINE_AA)
        core = slice(top - y0, bottom - y0)
        part = image[top:bottom]  # rows of a C-ordered image: written in place
        cv2.addWeighted(overlay[core], alpha, part, 1.0 - alpha, 0.0, dst=part)


def ruling_baselines(record: dict[str, Any], height: int) -> list[float]:
    """The y of every drawn ruling line (empty unless the paper is ruled or a grid)."""
    rule = record["ruling"]
    if rule["kind"] not in ("ruled", "grid"):
        return []
    return [float(y) for y in np.arange(float(rule["offset"]), height, max(4.0, float(rule["spacing"])))]


def _background(bg: dict[str, Any], width: int, height: int) -> np.ndarray:
    from PIL import Image

    from synth.image_read import rgb_pixels

    try:
        with Image.open(bg["path"]) as im:
            src = rgb_pixels(im)  # 16-bit grey scaled, transparency over white
    except (OSError, ValueError) as exc:
        raise PolyglyphError(f"cannot read background image {bg['path']}: {exc}") from exc
    sh, sw = src.shape[:2]
    scale = max(width / sw, height / sh) * float(bg["zoom"])
    rw, rh = max(width, int(np.ceil(sw * scale))), max(height, int(np.ceil(sh * scale)))
    resized = cv2.resize(src, (rw, rh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    x0 = int(round(float(bg["crop_x"]) * (rw - width)))
    y0 = int(round(float(bg["crop_y"]) * (rh - height)))
    crop = resized[y0 : y0 + height, x0 : x0 + width].astype(np.float32)
    fade = float(bg["fade"])  # blend toward white so text stays legible
    return crop * (1.0 - fade) + 255.0 * fade


def apply_paper(record: dict[str, Any], width: int, height: int) -> np.ndarray:
    """Render a paper record to an H x W x 3 uint8 RGB image.

    Smooth parts (mottle, vignette, stains) are computed at 1/4 resolution and upsampled; grain,
    tint, fibres and ruling touch full-resolution pixels band by band (GRAIN_TILE rows), so the
    only page-size arrays are the luminance and the image itself.
    """
    low_w, low_h = max(8, width // 4), max(8, height // 4)
    low = np.ones((low_h, low_w), np.float32)
    mottle = float(record["mottle"]["amplitude"])
    if mottle > 0:
        low += mottle * _low_noise(int(record["mottle"]["seed"]), low_w, low_h, 12)
    vignette = float(record.get("vignette", 0.0))
    if vignette > 0:
        col = 1.0 - vignette * np.linspace(-1, 1, low_w, dtype=np.float32) ** 2
        row = 1.0 - vignette * np.linspace(-1, 1, low_h, dtype=np.float32) ** 2
        low *= row[:, None] * col[None, :]
    background = record.get("background")
    banded = not background and low_w * 4 == width and low_h * 4 == height
    lum = None if banded else cv2.resize(low, (width, height), interpolation=cv2.INTER_LINEAR)
    grain = float(record["grain"]["amplitude"])
    grain_band = _grain_band(int(record["grain"]["seed"]), width) if grain > 0 else None
    tint = [float(c) for c in record["tint"]]
    image = np.empty((height, width, 3), np.uint8)
    for y in range(0, height, GRAIN_TILE):
        rows = _upsampled_rows(low, y, GRAIN_TILE) if lum is None else lum[y : y + GRAIN_TILE]
        if grain_band is not None:
            cv2.scaleAdd(grain_band[: rows.shape[0]], grain, rows, dst=rows)
        if not background:
            cv2.merge([cv2.convertScaleAbs(rows, alpha=c) for c in tint], dst=image[y : y + GRAIN_TILE])
    if background:
        base = _background(background, width, height) * lum[..., None]
        image = np.clip(base, 0, 255).astype(np.uint8)
    if record["stains"]:
        _apply_stains(image, record["stains"], low_w, low_h)
    if record["fibres"]["count"] > 0:
        fibres = _fibres(record["fibres"], width, height)
        for y in range(0, height, GRAIN_TILE):
            band = fibres[y : y + GRAIN_TILE]
            if cv2.countNonZero(band):
                part = image[y : y + GRAIN_TILE]
                cv2.subtract(part, cv2.cvtColor(band, cv2.COLOR_GRAY2RGB), dst=part)
    _draw_ruling(image, record["ruling"])
    return image


def make_paper(rng: np.random.Generator, width: int, height: int, **options: Any) -> tuple[dict[str, Any], np.ndarray]:
    """Sample and apply in one call; returns (record, image)."""
    record = sample_paper(rng, width, height, **options)
    return record, apply_paper(record, width, height)
