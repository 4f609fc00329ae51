"""One pass for a run of consecutive light steps (`warping.lighting` terms).

Affine maps compose, so a run is composed in record order on a coarse lattice into one gain
and one lift, enlarged once and applied to the page once: one rounding and one saturation
instead of one per step, which is also what a camera does (light adds up before the sensor
clips). Terms that only touch the paper (crease shading) or only the table (the drop shadow)
are composed per side; the paper side is blended with the page coverage on its lattice (the
edge blends over one cell, as crease shading always did), the table-only drop shadow is
applied at full size so it stops exactly at the page edge.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from warping.lighting import TERMS, Field, LightTerm, ShadingContext, has_table, shrink

__all__ = ["apply_light"]


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


def apply_light(
    image: np.ndarray, records: list[dict[str, Any]], ctx: ShadingContext
) -> np.ndarray:
    """Consecutive light steps, in record order, composed and applied once per run."""
    for run in _split_runs(records):
        image = _apply_run(image, run, ctx)
    return image


def _apply_run(image: np.ndarray, run: list[dict[str, Any]], ctx: ShadingContext) -> np.ndarray:
    h, w = image.shape[:2]
    terms = [t for rec in run if (t := TERMS[rec["step"]](rec, ctx, w, h)) is not None]
    if not terms:
        return image
    alpha = ctx.page_alpha if has_table(ctx) else None
    colour = np.ones(3)
    for term in terms:
        if term.colour is not None:
            colour *= term.colour
    # A table-only term (the drop shadow) must stop exactly at the page edge. It is a pure
    # gain: with no lift before it, it commutes to the front and darkens the table with the
    # page coverage at full size (`shade`); otherwise the two sides are blended at full size
    # in float.
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
    return _affine(image, gain, lift, colour, shade, alpha)


def _table_shade(terms: list[LightTerm], alpha: np.ndarray) -> np.ndarray:
    """Darkening 1 - gain of the table-only gains, on their lattice (applied off the page)."""
    h, w = alpha.shape
    shape = _lattice(min(t.reduce for t in terms), w, h)
    gain: Field = 1.0
    for term in terms:
        gain = gain * _on_lattice(term.gain, shape)
    return np.float32(1.0) - _full(gain, shape[1], shape[0])


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
    if not coarse or first_lift <= last_fine:  # a lift before (or in) a fine term
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
        small = shrink(alpha, k)
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
    alpha: np.ndarray | None = None,
) -> np.ndarray:
    """clip(colour_c * (gain * (1 - shade * (1 - alpha / 255)) * x_c + lift)) per channel c.

    Band by band of `_BAND` rows, so every temporary stays in cache and the output is the only
    page-size buffer (on this VM a fresh page-size buffer costs ~1 ms per MB in page faults).
    Per band the page is multiplied by a three-channel uint8 gain and added a three-channel
    uint8 lift: each field is enlarged in uint16 (keeping its fraction), darkened by the shade,
    then rounded once per channel into uint8, the gain scaled so its largest value is 255. A
    pixel is within a level or two of a float evaluation. Lattices are enlarged cell-centred
    (cell i of a 1/k lattice centred on pixel k i + (k - 1) / 2, as `shrink` makes them).
    """
    h, w = image.shape[:2]
    cols = [float(c) for c in colour]
    peak = _peak(gain)
    if peak * max(cols) <= 0.0:
        return np.zeros_like(image)
    scale = 255.0 / (peak * max(cols))  # the gain's largest value times the largest channel
    gain_rows = _rows16(gain, _UNIT / peak, w, h)
    gain_factors = [c * scale * peak / _UNIT for c in cols]
    lift_rows = None if _scalar(lift, 0.0) else _rows16(lift, 256.0, w, h)
    shade_rows = None if shade is None else _rows16(shade, _UNIT, w, h)
    out = np.empty_like(image)
    band3 = np.empty((min(_BAND, h), w, 3), np.uint8)
    for y0 in range(0, h, _BAND):
        y1 = min(h, y0 + _BAND)
        three = band3[: y1 - y0]
        gain16 = _band(gain_rows, y0, y1, w)
        if shade_rows is not None:  # gain * (1 - shade * (1 - alpha)), alpha from the page
            assert alpha is not None
            dark = _band(shade_rows, y0, y1, w)
            off_page = cv2.bitwise_not(alpha[y0:y1]).astype(np.uint16)
            dark = cv2.multiply(dark, off_page, scale=1.0 / 255.0)
            cv2.subtract(gain16, cv2.multiply(gain16, dark, scale=1.0 / _UNIT), dst=gain16)
        _three(gain16, gain_factors, three)
        cv2.multiply(image[y0:y1], three, dst=out[y0:y1], scale=1.0 / scale)
        if lift_rows is not None:
            _three(_band(lift_rows, y0, y1, w), [c / 256.0 for c in cols], three)
            cv2.add(out[y0:y1], three, dst=out[y0:y1])
    return out


_UNIT = 65535.0  # a gain field's largest value in its uint16 rows
_BAND = 96  # rows per band: a band's buffers (~1 MB at 1131 px wide) stay in cache

Rows = tuple[np.ndarray | int, int]  # a uint16 lattice (or one value) and its reduce k


def _peak(field: Field) -> float:
    return float(field.max()) if isinstance(field, np.ndarray) else float(field)


def _rows16(field: Field, scale: float, w: int, h: int) -> Rows:
    """`field * scale` (>= 0: gains and lifts are) as a uint16 lattice, with its reduce."""
    if not isinstance(field, np.ndarray):
        return min(65535, max(0, round(float(field) * scale))), 0
    small = cv2.multiply(np.asarray(field, np.float32), scale, dtype=cv2.CV_16U)  # rounded
    rows, cols = small.shape
    k = max(1, round(h / rows))
    if k > 1 and _lattice(k, w, h) == (rows, cols):
        return small, k
    if (rows, cols) != (h, w):  # not a 1/k lattice: enlarged at once, stretched to the page
        small = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return small, 1


def _band(rows: Rows, y0: int, y1: int, w: int) -> np.ndarray:
    """Rows y0..y1 of the field enlarged to the page, as a fresh uint16 array: the lattice
    rows around them (one more each side, so nothing clamps inside) enlarged k times."""
    values, k = rows
    if not isinstance(values, np.ndarray):
        return np.full((y1 - y0, w), values, np.uint16)
    if k == 1:
        return values[y0:y1].copy()
    r0, r1 = max(0, y0 // k - 1), min(values.shape[0], -(-y1 // k) + 1)
    slab = values[r0:r1]
    wide = cv2.resize(slab, (slab.shape[1] * k, (r1 - r0) * k), interpolation=cv2.INTER_LINEAR)
    return wide[y0 - r0 * k : y1 - r0 * k, :w]


def _three(plane: np.ndarray, factors: list[float], dst: np.ndarray) -> np.ndarray:
    """uint8 channels plane * factor_c (rounded, saturated), as one three-channel image."""
    first = cv2.convertScaleAbs(plane, alpha=factors[0])
    if all(f == factors[0] for f in factors):
        return cv2.cvtColor(first, cv2.COLOR_GRAY2RGB, dst=dst)
    planes = [first, *(cv2.convertScaleAbs(plane, alpha=f) for f in factors[1:])]
    return cv2.merge(planes, dst=dst)
