"""One pass for a run of consecutive light steps (`warping.lighting` terms).

Affine maps compose, so a run is composed in record order on a coarse lattice into one gain
and one lift, enlarged once and applied to the page once: one rounding and one saturation
instead of one per step, which is also what a camera does (light adds up before the sensor
clips). Terms that only touch the paper (crease shading) or only the table (the drop shadow)
are pure gains; with no lift before them they commute to the front of the run, where each
side's product meets the page coverage at full size: both stop exactly at the page edge (a
pixel takes the side that covers at least half of it). A side term after a lift (wild's
glare, on the paper, after backlight's lift) splits the rest of the run into a paper and a
table affine map; those meet the page coverage the same way, band by band.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from warping.lighting import TERMS, Field, LightTerm, ShadingContext, has_table

__all__ = ["apply_light"]


def _on_lattice(field: Field, shape: tuple[int, int]) -> Field:
    """A field moved to a lattice of `shape`: cell-centred when that lattice is m times finer
    (both are ceil(size / k) lattices of one page), else stretched corner to corner."""
    if not isinstance(field, np.ndarray) or field.shape == shape:
        return field
    rows, cols = field.shape
    m = max(1, round(shape[0] / rows))
    if rows * m - m < shape[0] <= rows * m and cols * m - m < shape[1] <= cols * m:
        wide = cv2.resize(field, (cols * m, rows * m), interpolation=cv2.INTER_LINEAR)
        return wide[: shape[0], : shape[1]]
    return cv2.resize(field, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


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
    owned = bool(getattr(ctx, "owned_frame", False))
    for run in _split_runs(records):
        made = _apply_run(image, run, ctx, owned)
        owned = owned or made is not image  # a run's output is this pass's own
        image = made
    return image


Affine = tuple[Field, Field]  # (gain, lift)
Front = tuple[tuple[Field, ...], tuple[Field, ...]]  # (paper, table) gains applied first


def _apply_run(
    image: np.ndarray, run: list[dict[str, Any]], ctx: ShadingContext, owned: bool = False
) -> np.ndarray:
    h, w = image.shape[:2]
    terms = [t for rec in run for t in _as_terms(TERMS[rec["step"]](rec, ctx, w, h))]
    if not terms:
        return image
    alpha = ctx.page_alpha if has_table(ctx) else None
    colour = np.ones(3)
    for term in terms:
        if term.colour is not None:
            colour *= term.colour
    if alpha is None:  # no table in view: paper terms apply everywhere, table terms nowhere
        terms = [t for t in terms if t.side != "table"]
    first_lift = next((i for i, t in enumerate(terms) if not _scalar(t.lift, 0.0)), len(terms))
    hoisted = [i for i, t in enumerate(terms) if i < first_lift and t.side != "all"]
    front = (_product(terms, hoisted, "paper", w, h), _product(terms, hoisted, "table", w, h))
    rest = [t for i, t in enumerate(terms) if i not in hoisted]
    paper: Affine = (1.0, 0.0)
    table: Affine | None = None
    if rest:
        shape = _lattice(min(t.reduce for t in rest), w, h)
        paper, table = _compose(rest, shape, alpha is not None)
        if alpha is None or (_same(paper[0], table[0]) and _same(paper[1], table[1])):
            table = None  # one map for the whole frame
    return _affine(image, paper, colour, front, alpha, table, owned)


def _as_terms(made: LightTerm | tuple[LightTerm, ...] | None) -> tuple[LightTerm, ...]:
    return () if made is None else made if isinstance(made, tuple) else (made,)


def _product(
    terms: list[LightTerm], picked: list[int], side: str, w: int, h: int
) -> tuple[Field, ...]:
    """The picked terms of one side, multiplied per lattice (coarsest first): a coarse factor
    then joins the coarse gain on its own lattice instead of being enlarged on its own."""
    mine = [terms[i] for i in picked if terms[i].side == side]
    out = []
    for reduce in sorted({t.reduce for t in mine}, reverse=True):
        shape = _lattice(reduce, w, h)
        gain: Field = 1.0
        for term in mine:
            if term.reduce == reduce:  # the first factor as it is: no lattice-size copy
                factor = _on_lattice(term.gain, shape)
                gain = factor if _scalar(gain, 1.0) else gain * factor
        out.append(gain)
    return tuple(out)


def _lattice(reduce: int, w: int, h: int) -> tuple[int, int]:
    return -(-h // reduce), -(-w // reduce)


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


def _same(a: Field, b: Field) -> bool:
    if a is b:
        return True
    return not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray) and float(a) == float(b)


def _scalar(field: Field, value: float) -> bool:
    return not isinstance(field, np.ndarray) and float(field) == value


def _affine(
    image: np.ndarray,
    affine: Affine,
    colour: np.ndarray,
    front: Front = ((), ()),
    alpha: np.ndarray | None = None,
    table_affine: Affine | None = None,
    owned: bool = False,
) -> np.ndarray:
    """clip(colour_c * (gain * front * x_c + lift)) per channel c; `front` is the paper's
    front gain where the page covers (alpha >= 128) and the table's elsewhere, and so is
    (gain, lift) when the table has an affine map of its own (`table_affine`).

    A separate table map used to be blended with the paper's by the coverage at full size in
    float32 (two page-size fields enlarged, ~28 MB each at 7 MP, plus a page-size uint16 gain:
    ~16 ms a wild row); now each band takes a pixel's side as the front does, so the maps meet
    at the same edge and only the one-pixel anti-aliased rim of the page differs.

    Band by band of `_BAND` rows, so every temporary stays in cache and the output is the only
    page-size buffer (on this VM a fresh page-size buffer costs ~1 ms per MB in page faults).
    Per band the page is multiplied by a three-channel uint8 gain and added a three-channel
    uint8 lift: the fields are enlarged in uint16 (keeping their fraction) and multiplied
    there, then rounded once per channel into uint8, scaled so that the gain's bound is 255.
    A pixel is within a level or two of a float evaluation. Lattices are enlarged cell-centred
    (cell i of a 1/k lattice centred on pixel k i + (k - 1) / 2, as `kernels.shrink` makes
    them).
    """
    h, w = image.shape[:2]
    if alpha is None:
        table_affine = None
    gain, lift = affine
    table_gain, table_lift = table_affine or affine
    cols = [float(c) for c in colour]
    paper, table = front
    sided = alpha is not None and (bool(paper or table) or table_affine is not None)
    gain_peak = max(_peak(gain), _peak(table_gain))
    front_peak = max(_peaks(paper), _peaks(table) if sided else 0.0)
    bound = gain_peak * front_peak * max(cols)  # >= every pixel's gain in every channel
    if bound <= 0.0:
        return np.zeros_like(image)
    # the gain goes into each side's front on the front's (finer) lattice, so a band enlarges
    # one or two fields; gain16 = gain * front * _UNIT / (gain_peak * front_peak)
    unit = _UNIT / (gain_peak * front_peak)
    fronts = (_side_rows(paper, gain, unit, w, h),
              _side_rows(table, table_gain, unit, w, h) if sided else None)  # fmt: skip
    factors = [c * 255.0 / (_UNIT * max(cols)) for c in cols]  # channel c of gain16
    lifts = (_lift_rows(lift, w, h),
             None if _same(lift, table_lift) else _lift_rows(table_lift, w, h))  # fmt: skip
    # each band reads only its own rows of the page before writing them: an owned frame
    # (`owned`) takes the result in place, one 13-21 MB frame less
    out = image if owned and image.flags.writeable else np.empty_like(image)
    band3 = np.empty((min(_BAND, h), w, 3), np.uint8)
    for y0 in range(0, h, _BAND):
        y1 = min(h, y0 + _BAND)
        three = band3[: y1 - y0]
        _three(_front_band(fronts, alpha, y0, y1, w), factors, three)
        cv2.multiply(image[y0:y1], three, dst=out[y0:y1], scale=bound / 255.0)
        if any(rows is not None and _nonzero(rows, y0, y1) for rows in lifts):
            _three(_front_band(lifts, alpha, y0, y1, w), [c / 256.0 for c in cols], three)
            cv2.add(out[y0:y1], three, dst=out[y0:y1])
    return out


def _lift_rows(lift: Field, w: int, h: int) -> Rows:
    """A lift as uint16 rows in 1/256 levels (a zero lift: the value 0, no lattice)."""
    return (0, 0) if _scalar(lift, 0.0) else _rows16(lift, 256.0, w, h)


def _front_band(
    fronts: tuple[Rows, Rows | None], alpha: np.ndarray | None, y0: int, y1: int, w: int
) -> np.ndarray:
    """Rows y0..y1 of the gain: the paper side's where the page covers at least half of a
    pixel, the table side's elsewhere (one masked copy; blending the anti-aliased edge pixels
    took five page-size uint16 ops for a one-pixel seam no one sees)."""
    if fronts[1] is None:
        return _band(fronts[0], y0, y1, w)
    assert alpha is not None
    cover = alpha[y0:y1]
    least, most = cv2.minMaxLoc(cover)[:2]
    if most < 128 or least >= 128:  # a band all table (above or below the page) or all page
        return _band(fronts[1] if most < 128 else fronts[0], y0, y1, w)
    paper = _band(fronts[0], y0, y1, w)
    off_page = cv2.compare(cover, 128, cv2.CMP_LT)
    return cv2.copyTo(_band(fronts[1], y0, y1, w), off_page, dst=paper)


_UNIT = 65535.0  # a gain field's bound in its uint16 rows
_BAND = 192
"""Rows per band of the light pass: small enough that a band's temporaries stay in cache, large
enough that the ~10 OpenCV calls a band makes do not dominate on ~2000 px wide wild frames (the
measured sweep is in the commit that set it). With power-of-two reduce factors (every built-in
term, and the curl's grid step at its default 8) each band's fields are enlarged from the same
lattice rows whatever the band height, so the bytes do not depend on it."""

Rows = tuple[np.ndarray | int, int]  # a uint16 lattice (or one value) and its reduce k


def _peak(field: Field) -> float:
    return float(field.max()) if isinstance(field, np.ndarray) else float(field)


def _peaks(factors: tuple[Field, ...]) -> float:
    """A bound of the factors' product."""
    return float(np.prod([_peak(f) for f in factors]))


def _side_rows(factors: tuple[Field, ...], gain: Field, unit: float, w: int, h: int) -> Rows:
    """gain * the factors (coarsest first) in uint16 rows: every factor but the finest joins
    the gain on the finer lattice of the two, the finest in `_rows16`'s one rounding op."""
    if not factors:
        return _rows16(gain, unit, w, h)
    for factor in factors[:-1]:
        gain = _times(gain, factor)
    return _rows16(factors[-1], unit, w, h, gain)


def _times(a: Field, b: Field) -> Field:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.size < b.size:
            a, b = b, a
        return a * _on_lattice(b, a.shape)
    return a * b


def _rows16(field: Field, scale: float, w: int, h: int, times: Field = 1.0) -> Rows:
    """`field * times * scale` (>= 0: gains and lifts are) as a uint16 lattice, with its
    reduce; the product is formed on the finer lattice of the two."""
    if not isinstance(field, np.ndarray) and not isinstance(times, np.ndarray):
        return min(65535, max(0, round(float(field) * float(times) * scale))), 0
    if isinstance(field, np.ndarray) and isinstance(times, np.ndarray):
        if field.size < times.size:
            field, times = times, field
    elif not isinstance(field, np.ndarray):
        field, times = times, field
    field = np.asarray(field, np.float32)
    if isinstance(times, np.ndarray):  # rounded, saturated
        small = _times16(field, np.asarray(times, np.float32), scale)
    else:
        small = cv2.multiply(field, scale * float(times), dtype=cv2.CV_16U)
    rows, cols = small.shape
    k = max(1, round(h / rows))
    if k > 1 and _lattice(k, w, h) == (rows, cols):
        return small, k
    if (rows, cols) != (h, w):  # not a 1/k lattice: enlarged at once, stretched to the page
        small = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    return small, 1


def _times16(field: np.ndarray, times: np.ndarray, scale: float) -> np.ndarray:
    """`field * times * scale` as uint16 on `field`'s lattice, `times` (a coarser lattice of
    the same page) enlarged to it band by band: the whole enlarged lattice was a float32
    array of a quarter page (4 MB on a 4 MP frame, a fresh mapping faulted in every row).
    Same values: a band enlarges the coarse rows around it, one more each side, as `_band`."""
    rows, cols = field.shape
    if times.shape == field.shape:
        return cv2.multiply(field, times, scale=scale, dtype=cv2.CV_16U)
    m = max(1, round(rows / times.shape[0]))
    t_rows, t_cols = times.shape
    if not (t_rows * m - m < rows <= t_rows * m and t_cols * m - m < cols <= t_cols * m):
        wide = _on_lattice(times, field.shape)  # stretched corner to corner: at once
        return cv2.multiply(field, wide, scale=scale, dtype=cv2.CV_16U)
    out = np.empty((rows, cols), np.uint16)
    step = max(m, _BAND // m * m)
    for y0 in range(0, rows, step):
        y1 = min(rows, y0 + step)
        r0, r1 = max(0, y0 // m - 1), min(t_rows, -(-y1 // m) + 1)
        slab = times[r0:r1]
        wide = cv2.resize(slab, (t_cols * m, (r1 - r0) * m), interpolation=cv2.INTER_LINEAR)
        cv2.multiply(field[y0:y1], wide[y0 - r0 * m : y1 - r0 * m, :cols], scale=scale,
                     dtype=cv2.CV_16U, dst=out[y0:y1])
    return out


def _nonzero(rows: Rows, y0: int, y1: int) -> bool:
    """Whether the field has a non-zero value near rows y0..y1 (a glare's lift is zero, in
    uint16, away from its spot: those bands skip the lift)."""
    values, k = rows
    if not isinstance(values, np.ndarray):
        return values != 0
    if k == 1:
        return bool(values[y0:y1].any())
    return bool(values[max(0, y0 // k - 1) : -(-y1 // k) + 1].any())


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
