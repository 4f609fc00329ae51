"""What lies around the page in a photo: a table-top colour or texture, or a user's image.

Textures are procedural (no downloaded data) and drawn from the seed in the record, so the
same record always yields the same background.
"""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth.opencv import cv2
from synth.rng import sample_rng

KINDS = ("solid", "wood", "fabric", "stone", "image")


def _base_colour(tone: float, hue: float, saturation: float) -> np.ndarray:
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, 0.15 + 0.8 * tone)
    return np.array([r, g, b], dtype=np.float32) * 255


def _smooth_noise(rng: np.random.Generator, w: int, h: int, cell: int) -> np.ndarray:
    """Unit-variance noise smoothed over `cell` pixels. Per-pixel grain (cell 1) is uniform,
    not Gaussian: 120k normal draws took 1.1 ms a page, uniform float32 ones 0.2 ms, and a
    one-pixel grain at a few percent of the shade looks the same either way."""
    if cell <= 1:
        grain = rng.random((max(2, h), max(2, w)), dtype=np.float32)
        grain -= np.float32(0.5)
        grain *= np.float32(np.sqrt(12.0))
        return grain[:h, :w] if (h, w) != grain.shape else grain
    small = rng.standard_normal((max(2, h // cell), max(2, w // cell))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def render_background(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    """H x W x 3 uint8 background for a `place` record's `background`.

    Textures are drawn at half or quarter resolution and enlarged: the table is out of the
    page's focus plane anyway, and full-resolution drawing cost ~100 ms a page.
    """
    out = np.empty((height, width, 3), np.uint8)
    Background(spec, width, height).paint(out, 0, height, 0, width)
    return out


class Background:
    """A background that paints any rectangle of the frame, each pixel what the whole frame
    would hold there: the warp lays the page over it and paints only what the page does not
    cover (enlarging the whole texture was ~6-8 ms a wild frame, most of it then covered).

    Textures are enlarged exactly k times (k = 2 or 4, cell-centred) and cropped to the frame,
    so a rectangle is enlarged from the lattice cells around it alone (one more each side:
    nothing clamps inside) and gets the whole enlargement's bytes."""

    def __init__(self, spec: dict[str, Any], width: int, height: int) -> None:
        self.width, self.height = width, height
        self.colour: np.ndarray | None = None
        self.full: np.ndarray | None = None
        self.small: np.ndarray | None = None
        self.k = 1
        kind = spec["kind"]
        if kind == "image" and "digest" in spec:  # a run's user image (`--backgrounds`)
            from synth.backgrounds import draw_image_background

            self.full = draw_image_background(spec, width, height)
        elif kind == "image":
            self.full = _image_background(spec["path"], width, height)
        elif kind == "solid":
            colour = _base_colour(float(spec.get("tone", 0.5)), float(spec.get("hue", 0.1)), 0.06)
            self.colour = colour.astype(np.uint8)
        else:
            # the weave has a ~4 px period and needs half size; wood and stone are drawn at
            # quarter size with every length halved (the same texture at full size, a quarter
            # of the work)
            self.k, scale = (2, 1.0) if kind == "fabric" else (4, 0.5)
            self.small = _texture(spec, -(-width // self.k), -(-height // self.k), scale)

    def paint(self, out: np.ndarray, y0: int, y1: int, x0: int, x1: int) -> None:
        """Fill frame rows y0..y1, columns x0..x1 of `out` (H x W x 3) with the background."""
        if y0 >= y1 or x0 >= x1:
            return
        dst = out[y0:y1, x0:x1]
        if self.colour is not None:  # one row tiled, rows copied whole (a (3,) broadcast
            # walks a 3-wide inner loop: ~8 ms a frame)
            rows = dst.view()
            rows.shape = (y1 - y0, (x1 - x0) * 3)  # a view always: each row is contiguous
            rows[:] = np.tile(self.colour, x1 - x0)
        elif self.full is not None:
            dst[:] = self.full[y0:y1, x0:x1]
        else:
            assert self.small is not None
            k, small = self.k, self.small
            r0, r1 = max(0, y0 // k - 1), min(small.shape[0], -(-y1 // k) + 1)
            c0, c1 = max(0, x0 // k - 1), min(small.shape[1], -(-x1 // k) + 1)
            wide = cv2.resize(small[r0:r1, c0:c1], ((c1 - c0) * k, (r1 - r0) * k),
                              interpolation=cv2.INTER_LINEAR)
            dst[:] = wide[y0 - r0 * k: y1 - r0 * k, x0 - c0 * k: x1 - c0 * k]


def _texture(spec: dict[str, Any], width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """The texture on a lattice of `scale` pixels per half-size pixel (lengths below are in
    half-size pixels)."""
    rng = sample_rng(int(spec.get("seed", 0)))
    kind = spec["kind"]
    tone, hue = float(spec.get("tone", 0.5)), float(spec.get("hue", 0.1))
    f = scale

    def cell(n: int) -> int:
        return max(1, round(n * f))

    if kind == "wood":
        colour = _base_colour(tone * 0.7, 0.05 + 0.06 * hue, 0.55)
        ys = np.arange(height, dtype=np.float32)[:, None]
        wobble = _smooth_noise(rng, width, height, cell(64)) * np.float32(12 * f)
        grain = np.sin((ys + wobble) * np.float32(2 * np.pi / ((9 + 10 * hue) * f)))
        fine = _smooth_noise(rng, width, height, cell(2)) * 0.15
        shade = (
            1.0 + 0.12 * grain + fine * 0.3 + _smooth_noise(rng, width, height, cell(256)) * 0.08
        )
    elif kind == "fabric":
        colour = _base_colour(tone, hue, 0.35)
        xs = np.arange(width, dtype=np.float32)
        ys = np.arange(height, dtype=np.float32)
        weave = np.sin(ys * 3.0)[:, None] * np.sin(xs * 3.0)[None, :]  # separable: an outer product
        # 1 + 0.06 weave + 0.06 noise in one OpenCV pass (numpy's four passes: ~3 ms a frame)
        shade = cv2.addWeighted(weave, 0.06, _smooth_noise(rng, width, height, 64), 0.06, 1.0)
    else:  # stone
        colour = _base_colour(tone, hue, 0.08)
        mottle = _smooth_noise(rng, width, height, cell(48))
        mottle += 0.5 * _smooth_noise(rng, width, height, cell(12))
        shade = 1.0 + 0.06 * mottle + _smooth_noise(rng, width, height, cell(2)) * 0.03
    # per channel on contiguous planes, then one merge: numpy's (h, w, 1) * (3,) broadcast
    # walks a 3-wide inner loop and cost more than drawing the texture; convertScaleAbs
    # scales, rounds and saturates in one pass (4x numpy's multiply + clip + astype; its abs
    # never bites: every shade stays well above 0)
    shade = np.asarray(shade, dtype=np.float32)
    planes = [cv2.convertScaleAbs(shade, alpha=float(c)) for c in colour]
    return cv2.merge(planes)


def _image_background(path: str, width: int, height: int) -> np.ndarray:
    from PIL import Image

    from synth.image_read import rgb_pixels

    try:
        with Image.open(path) as im:
            rgb = rgb_pixels(im)  # 16-bit grey scaled, transparency over white
    except OSError as exc:
        raise PolyglyphError(f"background image {path!r} cannot be read: {exc}") from exc
    h, w = rgb.shape[:2]
    scale = max(width / w, height / h)
    resized = cv2.resize(rgb, (max(width, round(w * scale)), max(height, round(h * scale))))
    y0 = (resized.shape[0] - height) // 2
    x0 = (resized.shape[1] - width) // 2
    return np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])
