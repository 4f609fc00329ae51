"""Light on the paper: shading along creases and curls, cast shadows, illumination gradients,
glare, backlight and colour cast. Pixels change, labels don't.

Every light step is a per-pixel affine map of intensity, `out = gain * x + lift` (a multiply is
lift 0, a screen towards white is gain k, lift 255 (1 - k)), and affine maps compose. So a run
of consecutive light steps is composed on a coarse lattice (the fields are smooth) into one
gain and one lift, enlarged once and applied to the page in one pass: one rounding and one
saturation instead of one per step, which is also what a camera does (light adds up before the
sensor clips). Steps that only touch the paper (crease shading) or only the table (the drop
shadow) are composed twice, once per side, and blended with the page coverage at full size, so
the page edge stays sharp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import albumentations.augmentations.pixel.functional as apixel
import cv2
import numpy as np

from warping import params as P
from warping.grid import CoarseGrid, upsample_nodes
from warping.params import Ranges

Field = np.ndarray | float  # a lattice (rows, cols) float32, or one value for the whole page


@dataclass(frozen=True)
class ShadingContext:
    """What the geometric stage knows about the paper surface (None when nothing moved)."""

    grid: CoarseGrid | None = None
    creases: tuple[np.ndarray, ...] = ()
    slope: np.ndarray | None = None
    page_alpha: np.ndarray | None = None  # HxW uint8: 255 where the warped page covers


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


def crease_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm | None:
    """Dark crease lines and one-sided tilt along folds, light fall-off across a curl.

    The surface fields are smooth, so they are interpolated from the grid at half resolution
    and the (sharper) shading is computed there; the thinnest crease line is ~1 px at half size.
    Paper only: the table under the page is not folded.
    """
    if ctx.grid is None or (not ctx.creases and ctx.slope is None):
        return None
    factor: np.ndarray | None = None
    # float32 half-size planes, updated in place (each temporary was a fresh 2 MB buffer)
    for nodes in ctx.creases:
        t = upsample_nodes(ctx.grid, nodes, reduce=2)
        line = t * np.float32(1.0 / rec["width"])
        np.square(line, out=line)
        np.negative(line, out=line)
        np.exp(line, out=line)  # exp(-(t / width)^2)
        line *= np.float32(-rec["dark"])
        line += np.float32(1.0)  # 1 - dark * line
        sign = np.sign(t)
        side = np.abs(t, out=t)
        np.negative(side, out=side)
        np.exp(side, out=side)
        side *= sign  # sign(t) exp(-|t|)
        side *= np.float32(rec["tilt"])
        side += np.float32(1.0)
        line *= side
        factor = line if factor is None else np.multiply(factor, line, out=factor)
    if ctx.slope is not None:
        slope = upsample_nodes(ctx.grid, ctx.slope, reduce=2)
        fall = np.cos(slope)
        fall -= np.float32(1.0)
        fall *= np.float32(rec["curl_dark"])
        fall += np.float32(1.0)  # 1 - curl_dark (1 - cos)
        np.sin(slope, out=slope)
        slope *= np.float32(0.5 * rec["tilt"])
        fall += slope
        factor = fall if factor is None else np.multiply(factor, fall, out=factor)
    return LightTerm(2, gain=factor, side="paper")


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
    k = 4  # draw and blur at quarter resolution: a soft shadow has no fine detail
    small = np.zeros((-(-h // k), -(-w // k)), np.float32)
    poly = np.round(np.asarray(rec["polygon"], np.float64) / k * 16).astype(np.int32)
    cv2.fillPoly(small, [poly], 1.0, lineType=cv2.LINE_AA, shift=4)
    sigma = max(0.5, rec["softness"] * min(h, w) / k)
    small = cv2.GaussianBlur(small, (0, 0), sigma)
    return LightTerm(k, gain=1.0 - rec["intensity"] * small)


def sample_lighting(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    kind = P.choice(rng, list(r["kind"]))
    rec: dict[str, Any] = {"kind": kind, "intensity": P.signed(rng, r["intensity"], 3)}
    if kind == "linear":
        rec["angle"] = P.uniform(rng, [0.0, 2 * np.pi], 4)
    elif kind == "gaussian":
        rec["center"] = [P.uniform(rng, [0.0, 1.0], 3), P.uniform(rng, [0.0, 1.0], 3)]
        rec["sigma"] = P.uniform(rng, [0.2, 0.8], 3)
    else:
        rec["corner"] = P.integer(rng, [0, 3])
    return rec


def lighting_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    """albumentations' illumination fields, evaluated on a 1/8 lattice of ones (the fields are
    smooth; running them on the full float image costs ~10x more)."""
    ones = np.ones((-(-h // 8), -(-w // 8), 3), np.float32)
    if rec["kind"] == "linear":
        gain = apixel.apply_linear_illumination(ones, rec["intensity"], rec["angle"])
    elif rec["kind"] == "gaussian":
        gain = apixel.apply_gaussian_illumination(
            ones, rec["intensity"], tuple(rec["center"]), rec["sigma"]
        )
    else:
        gain = apixel.apply_corner_illumination(ones, rec["intensity"], rec["corner"])
    return LightTerm(8, gain=np.ascontiguousarray(np.asarray(gain, np.float32)[..., 0]))


def sample_glare(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    return {
        "center": [P.uniform(rng, [0.15, 0.85], 3), P.uniform(rng, [0.15, 0.85], 3)],
        "radius": P.uniform(rng, r["radius"], 3),
        "aspect": P.uniform(rng, [0.4, 1.0], 3),
        "angle": P.uniform(rng, [0.0, np.pi], 3),
        "strength": P.uniform(rng, r["strength"], 3),
    }


def glare_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    """A bright spot that washes ink out: a screen towards white."""
    xx, yy = low_res_grid(w, h)
    dx, dy = xx - rec["center"][0] * w, yy - rec["center"][1] * h
    c, s = np.cos(rec["angle"]), np.sin(rec["angle"])
    rad = rec["radius"] * min(w, h)
    d2 = ((dx * c + dy * s) / rad) ** 2 + ((-dx * s + dy * c) / (rad * rec["aspect"])) ** 2
    core = np.exp(-0.5 * d2)
    return _screen(rec["strength"] * np.minimum(1.0, 1.3 * core), 8)


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
    """
    if not _has_table(ctx):
        return None
    assert ctx.page_alpha is not None
    k = 4  # a soft shadow has no fine detail: work at quarter size
    small = _shrink(ctx.page_alpha, k).astype(np.float32) / 255.0
    short = min(w, h) / k
    shift = np.float32([[1, 0, rec["offset"][0] * short], [0, 1, rec["offset"][1] * short]])
    cast = cv2.warpAffine(small, shift, (small.shape[1], small.shape[0]))
    cast = cv2.GaussianBlur(cast, (0, 0), max(0.5, rec["softness"] * short))
    return LightTerm(k, gain=1.0 - rec["intensity"] * cast, side="table")


def _shrink(plane: np.ndarray, k: int) -> np.ndarray:
    """Area-average by an integer factor to the ceil(size / k) lattice. The edge is padded to a
    whole cell first: INTER_AREA at an exact integer factor is ~4x faster than at a fractional
    one."""
    h, w = plane.shape[:2]
    padded = cv2.copyMakeBorder(plane, 0, -h % k, 0, -w % k, cv2.BORDER_REPLICATE)
    return cv2.resize(padded, (-(-w // k), -(-h // k)), interpolation=cv2.INTER_AREA)


def colour_cast_term(rec: dict[str, Any], ctx: ShadingContext, w: int, h: int) -> LightTerm:
    red, green, blue = (float(g) for g in rec["gains"])
    return LightTerm(8, colour=(red, green, blue))


TermFn = Callable[[dict[str, Any], ShadingContext, int, int], LightTerm | None]

TERMS: dict[str, TermFn] = {
    "crease_shading": crease_term,
    "shadow": shadow_term,
    "lighting_gradient": lighting_term,
    "glare": glare_term,
    "drop_shadow": drop_shadow_term,
    "backlight": backlight_term,
    "color_cast": colour_cast_term,
}


# ---- composing and applying -----------------------------------------------------------------


def _has_table(ctx: ShadingContext) -> bool:
    return ctx.page_alpha is not None and int(ctx.page_alpha.min()) < 255


def _on_lattice(field: Field, shape: tuple[int, int]) -> Field:
    if isinstance(field, np.ndarray) and field.shape != shape:
        return cv2.resize(field, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
    return field


def _enlarge(field: Field, width: int, height: int) -> Field:
    if isinstance(field, np.ndarray):
        field = np.asarray(field, np.float32)
        if field.shape != (height, width):
            return cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)
    return field


def _split_runs(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Runs to compose in one pass. A colour cast closes its run: a per-channel gain followed
    by a lift no longer factors into one gain field times three channel gains."""
    runs: list[list[dict[str, Any]]] = [[]]
    for rec in records:
        runs[-1].append(rec)
        if rec["step"] == "color_cast":
            runs.append([])
    return [run for run in runs if run]


def apply_light(image: np.ndarray, records: list[dict[str, Any]], ctx: ShadingContext) -> np.ndarray:
    """Consecutive light steps, in record order, composed and applied once per run."""
    for run in _split_runs(records):
        image = _apply_run(image, run, ctx)
    return image


def _apply_run(image: np.ndarray, run: list[dict[str, Any]], ctx: ShadingContext) -> np.ndarray:
    h, w = image.shape[:2]
    terms = [t for rec in run if (t := TERMS[rec["step"]](rec, ctx, w, h)) is not None]
    if not terms:
        return image
    alpha = ctx.page_alpha if _has_table(ctx) else None
    colour = np.ones(3)
    for term in terms:
        if term.colour is not None:
            colour *= term.colour
    # A table-only term (the drop shadow) must stop exactly at the page edge. It is a pure
    # gain: with no lift before it, it commutes to the front and darkens the table at full
    # size in uint8 (`shade`); otherwise the two sides are blended at full size in float.
    shade = None
    last_table = max((i for i, t in enumerate(terms) if t.side == "table"), default=-1)
    if alpha is not None and last_table >= 0:
        if all(_scalar(t.lift, 0.0) for t in terms[:last_table]):
            shade = _table_shade([t for t in terms if t.side == "table"], alpha)
            terms = [t for t in terms if t.side != "table"]
    sharp = any(t.side == "table" for t in terms)
    if terms:
        paper, table = _compose_run(terms, w, h, alpha is not None)
    else:
        paper = table = (1.0, 0.0)
    # paper-only shading blends over one lattice cell at the page edge, as it always did
    coverage: dict[tuple[int, int], np.ndarray] = {}
    gain = _blend_sides(paper[0], table[0], alpha, coverage, sharp)
    lift = _blend_sides(paper[1], table[1], alpha, coverage, sharp)
    return _affine(image, gain, lift, colour, shade)


def _table_shade(terms: list[LightTerm], alpha: np.ndarray) -> np.ndarray:
    """Full-size uint8 darkening 255 * (1 - gain) of the table-only gains, zero on the page."""
    h, w = alpha.shape
    shape = _lattice(min(t.reduce for t in terms), w, h)
    gain: Field = 1.0
    for term in terms:
        gain = gain * _on_lattice(term.gain, shape)
    dark = cv2.convertScaleAbs(1.0 - _full(gain, shape[1], shape[0]), alpha=255.0)
    dark = cv2.resize(dark, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.multiply(dark, cv2.bitwise_not(alpha), scale=1.0 / 255.0)


Affine = tuple[Field, Field]  # (gain, lift)


def _lattice(reduce: int, w: int, h: int) -> tuple[int, int]:
    return -(-h // reduce), -(-w // reduce)


def _compose_run(terms: list[LightTerm], w: int, h: int, sided: bool) -> tuple[Affine, Affine]:
    """(paper, table) affine maps of a run, each on the coarsest lattice that holds it.

    The finest terms (crease shading, half size) are pure gains; when no lift comes before
    them they commute out of everything else: the rest is composed on its own coarser lattice
    and only the product of gains is formed at the fine one.
    """
    fine = min(t.reduce for t in terms)
    coarse = [t for t in terms if t.reduce > fine]
    first_lift = next((i for i, t in enumerate(terms) if not _scalar(t.lift, 0.0)), len(terms))
    last_fine = max(i for i, t in enumerate(terms) if t.reduce == fine)
    if not coarse or first_lift < last_fine:
        return _compose(terms, _lattice(fine, w, h), sided)
    paper, table = _compose(coarse, _lattice(min(t.reduce for t in coarse), w, h), sided)
    fine_shape = _lattice(fine, w, h)
    sides = []
    for side, (gain, lift) in (("paper", paper), ("table", table)):
        for term in terms:
            if term.reduce == fine and term.side in ("all", side) and (side == "paper" or sided):
                gain = _on_lattice(gain, fine_shape) * term.gain
        sides.append((gain, lift))
    return sides[0], sides[1]


def _compose(terms: list[LightTerm], shape: tuple[int, int], sided: bool) -> tuple[Affine, Affine]:
    """Record-order composition of `terms` on one lattice, per side (paper, table)."""
    paper: Affine = (1.0, 0.0)
    table = paper
    for term in terms:
        gain, lift = _on_lattice(term.gain, shape), _on_lattice(term.lift, shape)
        before = paper
        if term.side in ("all", "paper"):
            paper = _then(paper, gain, lift)
        if sided and term.side in ("all", "table"):
            if term.side == "all" and table is before:  # equal sides: composed once
                table = paper
            elif term.side == "all" and table[1] is before[1]:  # equal lifts: the lift once
                table = (table[0] * gain, paper[1])
            else:
                table = _then(table, gain, lift)
    return paper, table


def _then(affine: Affine, gain: Field, lift: Field) -> Affine:
    """`affine` followed by (gain, lift); a zero lift stays a plain zero (no lift pass)."""
    before_gain, before_lift = affine
    carried = 0.0 if _scalar(before_lift, 0.0) else before_lift * gain
    return before_gain * gain, lift if _scalar(carried, 0.0) else carried + lift


def _full(field: Field, width: int, height: int) -> np.ndarray:
    field = _enlarge(field, width, height)
    if isinstance(field, np.ndarray):
        return field
    return np.full((height, width), field, np.float32)


def _same(a: Field, b: Field) -> bool:
    if a is b:
        return True
    return not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray) and float(a) == float(b)


def _blend_sides(
    paper: Field,
    table: Field,
    alpha: np.ndarray | None,
    coverage: dict[tuple[int, int], np.ndarray],
    sharp: bool,
) -> Field:
    """One field: the paper's where the page covers, the table's elsewhere.

    `sharp`: at full size with the page coverage itself (anti-aliased edge pixels blend).
    Otherwise on the finer lattice of the two with the coverage area-averaged to it (cached
    per lattice in `coverage`): the edge then blends over one cell, ~4 ms a page cheaper.
    """
    if alpha is None or _same(paper, table):
        return paper
    arrays = [f for f in (paper, table) if isinstance(f, np.ndarray)]
    shape = max((f.shape for f in arrays), key=lambda s: s[0] * s[1])
    paper, table = _on_lattice(paper, shape), _on_lattice(table, shape)
    if sharp:
        h, w = alpha.shape
        diff = _full(paper - table, w, h)
        cv2.multiply(diff, alpha, dst=diff, scale=1.0 / 255.0, dtype=cv2.CV_32F)
        return cv2.add(_full(table, w, h), diff, dst=diff)
    if shape not in coverage:
        coverage[shape] = _coverage(alpha, shape)
    return table + (paper - table) * coverage[shape]


def _coverage(alpha: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Page coverage 0..1 averaged onto a lattice of `shape`."""
    h, w = alpha.shape
    k = max(1, round(h / shape[0]))
    if _lattice(k, w, h) == shape:
        small = _shrink(alpha, k)
    else:
        small = cv2.resize(alpha, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) * np.float32(1.0 / 255.0)


def _scalar(field: Field, value: float) -> bool:
    return not isinstance(field, np.ndarray) and float(field) == value


def _affine(
    image: np.ndarray,
    gain: Field,
    lift: Field,
    colour: np.ndarray,
    shade: np.ndarray | None = None,
) -> np.ndarray:
    """clip(colour_c * (gain * (x_c * (1 - shade / 255)) + lift)) per channel c.

    Channel planes times the one-channel gain, in place (no three-channel float field, no
    fresh page-size buffers: on this VM a page fault costs ~3 us, ~14 ms a page here). The
    lift (>= 0: screens only brighten) is enlarged and added in uint8, so a pixel may be off
    by one or two levels from a float evaluation.
    """
    h, w = image.shape[:2]
    cols = [float(c) for c in colour]
    if not isinstance(gain, np.ndarray) and shade is None:
        lit = cv2.multiply(image, (*(float(gain) * c for c in cols), 0.0), dtype=cv2.CV_8U)
        if _scalar(lift, 0.0):
            return lit
        planes = list(cv2.split(lit))
    else:
        planes = list(cv2.split(image))
        if shade is not None:
            scratch = np.empty_like(shade)
            for plane in planes:
                cv2.multiply(plane, shade, dst=scratch, scale=1.0 / 255.0)
                cv2.subtract(plane, scratch, dst=plane)
        factor = _full(gain, w, h) if isinstance(gain, np.ndarray) else None
        for plane, c in zip(planes, cols, strict=True):
            if factor is not None:
                cv2.multiply(plane, factor, dst=plane, scale=c, dtype=cv2.CV_8U)
            elif float(gain) * c != 1.0:
                cv2.multiply(plane, float(gain) * c, dst=plane)
    if not _scalar(lift, 0.0):
        if isinstance(lift, np.ndarray):
            lift8 = cv2.convertScaleAbs(lift)
            if lift8.shape != (h, w):
                lift8 = cv2.resize(lift8, (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            lift8 = np.full((h, w), min(255, round(float(lift))), np.uint8)
        for plane, c in zip(planes, cols, strict=True):
            if c == 1.0:
                cv2.add(plane, lift8, dst=plane)
            else:
                cv2.addWeighted(plane, 1.0, lift8, c, 0.0, dst=plane)
    return cv2.merge(planes)
