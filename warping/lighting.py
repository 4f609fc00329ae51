"""Light on the paper: shading along creases and curls, cast shadows, illumination gradients,
glare, backlight and colour cast. Pixels change, labels don't.

Every light step is drawn here as a record and turned into a `LightTerm`: a per-pixel affine
map of intensity, `out = gain * x + lift`, on a coarse lattice (the fields are smooth); a
multiply is lift 0, a screen towards white is gain k, lift 255 (1 - k). `warping.lightpass`
composes consecutive terms and applies them to the page in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synth.opencv import cv2
from warping import params as P
from warping.grid import CoarseGrid, upsample_nodes
from warping.kernels import corner_illumination, gaussian_illumination, linear_illumination, shrink
from warping.params import Ranges

Field = np.ndarray | float  # a lattice (rows, cols) float32, or one value for the whole page


@dataclass(frozen=True)
class ShadingContext:
    """What the geometric stage knows about the paper surface (None when nothing moved)."""

    grid: CoarseGrid | None = None
    creases: tuple[np.ndarray, ...] = ()
    slope: np.ndarray | None = None
    page_alpha: np.ndarray | None = None  # HxW uint8: 255 where the warped page covers
    # the frame a step gets is the photometric stage's own (made by the step before, or
    # handed over by the caller): a step that changes a few boxes may draw into it instead of
    # copying a 13-21 MB frame first (`warping.photometric.apply_photometric` sets it)
    owned_frame: bool = False


def drawable(image: np.ndarray, ctx: Any) -> np.ndarray:
    """The frame a box-drawing step may write into: `image` itself when the stage owns it
    (`ShadingContext.owned_frame`), else a copy (a caller's pixels are never changed)."""
    return image if getattr(ctx, "owned_frame", False) else image.copy()


@dataclass(frozen=True)
class LightTerm:
    """One light step as `out = gain * x + lift` on a 1/`reduce` lattice of the page.

    `side` limits it to the paper or the table around it; `colour` is a per-channel gain
    (colour cast), applied with the gain.
    """

    reduce: int
    gain: Field = 1.0
    lift: Field = 0.0
    side: str = "all"  # "all" | "paper" | "table"
    colour: tuple[float, float, float] | None = None


def low_res_grid(width: int, height: int, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (full-resolution units) of a 1/k lattice, for smooth fields."""
    ys = (np.arange(-(-height // k), dtype=np.float32) + 0.5) * k
    xs = (np.arange(-(-width // k), dtype=np.float32) + 0.5) * k
    return np.meshgrid(xs, ys)


def _screen(amount: np.ndarray, reduce: int, exposure: float = 1.0) -> LightTerm:
    """Brighten towards white by `amount` (0..1) after scaling by `exposure`."""
    keep = 1.0 - np.clip(amount, 0.0, 1.0)
    return LightTerm(reduce, gain=keep * exposure, lift=255.0 * (1.0 - keep))


# ---- samplers and terms, one pair per step ------------------------------------------------


def sample_crease(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "dark": P.uniform(rng, r["dark"], 3),
        "width": P.uniform(rng, r["width"], 3),
        "tilt": P.signed(rng, r["tilt"], 3),
        "curl_dark": P.uniform(rng, r["curl_dark"], 3),
    }


def crease_term(
    rec: dict[str, Any], ctx: ShadingContext, w: int, h: int
) -> LightTerm | tuple[LightTerm, ...] | None:
    """Dark crease lines and one-sided tilt along folds, light fall-off across a curl.

    The surface fields are smooth, so they are interpolated from the grid at half resolution
    and the (sharper) crease shading is computed there (`_crease_lines`); the thinnest crease
    line is ~1 px at half size. The curl's fall-off is as smooth as the slope it follows: it
    is computed on the grid's own nodes, a second term on that lattice (half-size pixels
    would only interpolate it). Paper only: the table under the page is not folded.
    """
    if ctx.grid is None or (not ctx.creases and ctx.slope is None):
        return None
    factor = _crease_lines(ctx.grid, ctx.creases, rec) if ctx.creases else None
    if ctx.slope is None:
        return None if factor is None else LightTerm(2, gain=factor, side="paper")
    step = ctx.grid.step
    slope = upsample_nodes(ctx.grid, ctx.slope, reduce=step)  # the in-frame nodes
    fall = np.float32(1.0) - np.float32(rec["curl_dark"]) * (np.float32(1.0) - np.cos(slope))
    fall += np.float32(0.5 * rec["tilt"]) * np.sin(slope)
    curl = LightTerm(step, gain=fall, side="paper")
    return curl if factor is None else (LightTerm(2, gain=factor, side="paper"), curl)


_REACH = 7.0  # crease distances (in falloffs) past which a crease shades < 0.03 levels
_CHUNK = 64  # half-size rows per window


def _crease_lines(
    grid: CoarseGrid, creases: tuple[np.ndarray, ...], rec: dict[str, Any]
) -> np.ndarray | None:
    """Half-size product of the creases' shading, 1 where every crease is past `_REACH`.

    A crease shades a strip along itself (tilt * exp(-|t|) is < 1.2e-4 past 7 falloffs, ~36 %
    of a page is nearer on average), so each is evaluated only in windows of `_CHUNK` rows
    spanning the columns whose grid nodes are nearer; inside a window the distances are the
    exact bilinear values `upsample_nodes(grid, nodes, 2)` gives.
    """
    rows, cols = grid.frame_nodes
    s, p = grid.step // 2, grid.pad
    h2, w2 = -(-grid.height // 2), -(-grid.width // 2)
    factor: np.ndarray | None = None
    for nodes in creases:
        sub = np.ascontiguousarray(nodes[p - 1 : p + rows + 1, p - 1 : p + cols + 1], np.float32)
        near = np.abs(sub) < np.float32(_REACH + 1.0)  # a node step moves t by << 1
        for y0 in range(0, h2, _CHUNK):
            y1 = min(h2, y0 + _CHUNK)
            hit = np.flatnonzero(near[max(0, y0 // s) : -(-(y1 + s) // s) + 1].any(axis=0))
            if not len(hit):
                continue
            x0, x1 = max(0, (int(hit[0]) - 2) * s), min(w2, (int(hit[-1]) + 2) * s)
            if x0 >= x1:
                continue
            if factor is None:
                factor = np.ones((h2, w2), np.float32)
            factor[y0:y1, x0:x1] *= _crease_shading(_window(sub, s, y0, y1, x0, x1), rec)
    return factor


def _window(sub: np.ndarray, s: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    """Frame pixels [y0, y1) x [x0, x1) of `sub` (frame nodes plus one each side) enlarged s
    times, from the nodes around them only (one more each side: nothing clamps inside)."""
    ya, yb, xa, xb = y0 + s, y1 + s, x0 + s, x1 + s  # in the enlarged sub's pixels
    r0, r1 = max(0, ya // s - 1), min(sub.shape[0], -(-yb // s) + 1)
    c0, c1 = max(0, xa // s - 1), min(sub.shape[1], -(-xb // s) + 1)
    slab = sub[r0:r1, c0:c1]
    big = cv2.resize(slab, ((c1 - c0) * s, (r1 - r0) * s), interpolation=cv2.INTER_LINEAR)
    return big[ya - r0 * s : yb - r0 * s, xa - c0 * s : xb - c0 * s]


def _crease_shading(t: np.ndarray, rec: dict[str, Any]) -> np.ndarray:
    """(1 - dark exp(-(t / width)^2)) (1 + tilt sign(t) exp(-|t|)) in float32, bit for bit the
    op-by-op product, in fewer passes: the line term only where |t| < `_line_reach` (past it
    the line factor is exactly 1.0; that box was ~8 % of the windows on wild rows), and
    sign(t) exp(-|t|) as a masked negation (t == 0, sign 0, lies in that box) instead of a
    `np.sign` array and a multiply: fewer full-window passes on the biggest frames."""
    side = np.abs(t)
    reach = _line_reach(rec)
    near_line = cv2.compare(side, reach, cv2.CMP_LT) if reach > 0.0 else None
    np.negative(side, out=side)
    np.exp(side, out=side)  # exp(-|t|)
    if near_line is None:
        side *= np.sign(t)
    else:
        cv2.subtract(0.0, side, dst=side, mask=cv2.compare(t, 0.0, cv2.CMP_LT))
    x, y, w, h = cv2.boundingRect(near_line) if near_line is not None else (0, 0, 0, 0)
    near = t[y : y + h, x : x + w]
    if near_line is not None and w and h:  # t == 0 (sign 0) can only be near the line
        zero = near == 0
        if zero.any():
            side[y : y + h, x : x + w][zero] = 0.0
    side *= np.float32(rec["tilt"])
    side += np.float32(1.0)
    if not w or not h:
        return side
    line = near * np.float32(1.0 / rec["width"])
    np.square(line, out=line)
    np.negative(line, out=line)
    np.exp(line, out=line)  # exp(-(t / width)^2)
    line *= np.float32(-rec["dark"])
    line += np.float32(1.0)  # 1 - dark * line
    line *= side[y : y + h, x : x + w]
    side[y : y + h, x : x + w] = line
    return side


def _line_reach(rec: dict[str, Any]) -> float:
    """|t| past which 1 - dark exp(-(t / width)^2) is exactly 1.0 in float32 (0: dark is 0):
    (t / width)^2 > 18.5 + max(0, ln|dark|) keeps |dark| exp(..) under 2^-26 (ln 2^26 =
    18.02), below half an ulp of 1, with room for float32 rounding of t / width and exp."""
    dark = abs(float(rec["dark"]))
    if dark == 0.0:
        return 0.0
    return abs(float(rec["width"])) * math.sqrt(18.5 + max(0.0, math.log(dark))) * 1.01


def sample_shadow(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    """A soft blob (hand, phone, lamp arm) entering from one border."""
    side = P.integer(rng, [0, 3])
    depth = P.uniform(rng, r["reach"], 3)
    n = P.integer(rng, [5, 9])
    along = np.sort(rng.uniform(-0.2, 1.2, n))
    reach = depth * (0.6 + 0.4 * rng.random(n))
    pts = []
    for a, d in zip(along, reach, strict=True):
        x, y = {0: (a, d), 1: (1 - d, a), 2: (a, 1 - d), 3: (d, a)}[side]
        pts.append([round(float(x) * w, 1), round(float(y) * h, 1)])
    base = {
        0: [[1.2, -0.2], [-0.2, -0.2]],
        1: [[1.2, 1.2], [1.2, -0.2]],
        2: [[1.2, 1.2], [-0.2, 1.2]],
        3: [[-0.2, 1.2], [-0.2, -0.2]],
    }[side]
    pts += [[x * w, y * h] for x, y in base]
    return {
        "polygon": pts,
        "intensity": P.uniform(rng, r["intensity"], 3),
        "softness": P.uniform(rng, r["softness"], 4),
    }


def shadow_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    k = 8  # draw and blur on the 1/8 lattice: even the sharpest edge (softness 0.01) spans >1 cell
    small = np.zeros((-(-h // k), -(-w // k)), np.float32)
    poly = np.round(np.asarray(rec["polygon"], np.float64) / k * 16).astype(np.int32)
    cv2.fillPoly(small, [poly], 1.0, lineType=cv2.LINE_AA, shift=4)
    sigma = max(0.5, rec["softness"] * min(h, w) / k)
    small = cv2.GaussianBlur(small, (0, 0), sigma)
    return LightTerm(k, gain=1.0 - rec["intensity"] * small)


def sample_lighting(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    """The fields only darken (gains clipped to <= 1): the linear ramp darkens either side, so
    its sign is random; a gaussian darkens only with a negative intensity and a corner only
    with a positive one, so those are drawn with the sign that shows. The linear ramp's
    `angle` is in degrees, as the field reads it (until 2026-11-23 it was drawn from
    [0, 2 pi] and so ran within ~6 degrees of left to right)."""
    kind = P.choice(rng, list(r["kind"]))
    strength = P.uniform(rng, r["intensity"], 3)
    rec: dict[str, Any] = {"kind": kind}
    if kind == "linear":
        rec["intensity"] = strength if rng.random() < 0.5 else -strength
        rec["angle"] = P.uniform(rng, [0.0, 360.0], 2)
    elif kind == "gaussian":
        rec["intensity"] = -strength
        rec["center"] = [P.uniform(rng, [0.0, 1.0], 3), P.uniform(rng, [0.0, 1.0], 3)]
        rec["sigma"] = P.uniform(rng, [0.2, 0.8], 3)
    else:
        rec["intensity"] = strength
        rec["corner"] = P.integer(rng, [0, 3])
    return rec


def lighting_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    """An illumination gradient on the 1/8 lattice (the fields are smooth; `warping.kernels`).

    The lattice, not the page, is the fields' frame: positions and distances are in lattice
    cells. The linear kind reads the record's `angle` in degrees, as albumentations (which
    computed these fields until 2026-11) did."""
    rows, cols = -(-h // 8), -(-w // 8)
    if rec["kind"] == "linear":
        gain = linear_illumination(rows, cols, rec["intensity"], rec["angle"])
    elif rec["kind"] == "gaussian":
        center = (rec["center"][0], rec["center"][1])
        gain = gaussian_illumination(rows, cols, rec["intensity"], center, rec["sigma"])
    else:
        gain = corner_illumination(rows, cols, rec["intensity"], rec["corner"])
    return LightTerm(8, gain=gain)


def sample_glare(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "center": [P.uniform(rng, [0.15, 0.85], 3), P.uniform(rng, [0.15, 0.85], 3)],
        "radius": P.uniform(rng, r["radius"], 3),
        "aspect": P.uniform(rng, [0.4, 1.0], 3),
        "angle": P.uniform(rng, [0.0, np.pi], 3),
        "strength": P.uniform(rng, r["strength"], 3),
    }


def glare_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    """A bright spot that washes ink out: a screen towards white, on the paper only (a
    specular reflection of the glossy sheet; glare blobs on the table around it were a
    shortcut a model could learn: "bright spot = background")."""
    xx, yy = low_res_grid(w, h)
    dx, dy = xx - rec["center"][0] * w, yy - rec["center"][1] * h
    c, s = np.cos(rec["angle"]), np.sin(rec["angle"])
    rad = rec["radius"] * min(w, h)
    d2 = ((dx * c + dy * s) / rad) ** 2 + ((-dx * s + dy * c) / (rad * rec["aspect"])) ** 2
    core = np.exp(-0.5 * d2)
    term = _screen(rec["strength"] * np.minimum(1.0, 1.3 * core), 8)
    return LightTerm(term.reduce, gain=term.gain, lift=term.lift, side="paper")


def sample_backlight(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "exposure": P.uniform(rng, r["exposure"], 3),
        "bloom": P.uniform(rng, r["bloom"], 3),
        "reach": P.uniform(rng, r["reach"], 3),
        "side": P.integer(rng, [0, 3]),
    }


def backlight_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    """Strong light behind the subject: the page is under-exposed, one side blooms to white."""
    xx, yy = low_res_grid(w, h)
    along = {0: yy / h, 1: xx / w, 2: 1 - yy / h, 3: 1 - xx / w}[rec["side"]]
    bloom = rec["bloom"] * np.exp(-along / max(rec["reach"], 1e-3))
    return _screen(bloom, 8, exposure=rec["exposure"])


def sample_drop_shadow(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    angle = P.uniform(rng, [0.0, 2 * np.pi], 4)
    reach = P.uniform(rng, r["offset"], 4)
    return {
        "offset": [round(reach * float(np.cos(angle)), 4), round(reach * float(np.sin(angle)), 4)],
        "softness": P.uniform(rng, r["softness"], 4),
        "intensity": P.uniform(rng, r["intensity"], 3),
    }


def drop_shadow_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm | None:
    """The page's own shadow on the table: its coverage shifted, blurred, outside the page only.

    Needs the page coverage from the geometric stage; a page that was not placed is unchanged.
    A soft shadow has no fine detail: it is drawn at quarter size, or at eighth size when its
    blur spans two or more cells there (the blur is the slow part: 8x less work; enlarged
    from cells of two sigma the blurred edge is within 0.5 % of its curve, a level or so).
    """
    if not has_table(ctx):
        return None
    assert ctx.page_alpha is not None
    k = 8 if rec["softness"] * min(w, h) >= 16.0 else 4
    small = shrink(ctx.page_alpha, k).astype(np.float32) * np.float32(1.0 / 255.0)
    short = min(w, h) / k
    shift = np.float32([[1, 0, rec["offset"][0] * short], [0, 1, rec["offset"][1] * short]])
    cast = cv2.warpAffine(small, shift, (small.shape[1], small.shape[0]))
    cast = cv2.GaussianBlur(cast, (0, 0), max(0.5, rec["softness"] * short))
    return LightTerm(k, gain=1.0 - rec["intensity"] * cast, side="table")


def colour_cast_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    red, green, blue = (float(g) for g in rec["gains"])
    return LightTerm(8, colour=(red, green, blue))


# a step's term(s): crease shading gives two (the creases at half size, the curl on the grid)
TermFn = Callable[
    [dict[str, Any], ShadingContext, int, int], LightTerm | tuple[LightTerm, ...] | None
]

TERMS: dict[str, TermFn] = {
    "crease_shading": crease_term,
    "shadow": shadow_term,
    "lighting_gradient": lighting_term,
    "glare": glare_term,
    "drop_shadow": drop_shadow_term,
    "backlight": backlight_term,
    "color_cast": colour_cast_term,
}


def has_table(ctx: ShadingContext) -> bool:
    return ctx.page_alpha is not None and int(ctx.page_alpha.min()) < 255
