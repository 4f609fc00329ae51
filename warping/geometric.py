"""The geometric stage: all of a sample's steps composed into one backward grid.

Steps are recorded in forward order (paper deformations first, then rotation, camera, scene);
the backward map evaluates them in reverse. From the grid come the float pixel maps and,
by numerical inversion of the very same bilinear function, the point map for labels.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth.opencv import cv2
from synth.page import Page, densify, map_page_geometry
from synth.rng import child_rng
from warping import camera, framing, grid, remap, scene, spread, surface, tear  # noqa: F401  (camera, spread, surface, tear: register the built-in steps)
from warping.steps import GEOMETRIC, HOMOGRAPHY, GeometricStep, SurfaceFields

STEPS = GEOMETRIC  # name -> step object, every registered geometric step
# Fixed-point steps per fold/crumple in the label guess. Newton on the grid finishes the job
# either way, and every point converged with 1 step as with 6; more steps cost more guessing
# than they save Newton (figures: commit ca0439c).
LABEL_GUESS_ITERATIONS = 1
# Labels: an edge gets `densify_step` points only where its warped outline leaves the chord by
# more than this (px); straight stretches keep their ends. Stored in each record as
# "label_tolerance" (records without it densify every edge at `densify_step`). 0.025, not
# 0.05: chords sit inside convex bends, and at 0.05 the smallest shapes' IoU p5 fell ~0.003;
# at 0.025 outlines stay as close to a 0.5 px reference as the 6 px dense ones, at about the
# cost of 0.05 (figures: commit e49bcf9).
LABEL_TOLERANCE = 0.025
SCANNER_LID = {"kind": "solid", "tone": 0.97, "hue": 0.0, "seed": 0}


def sample_geometric(
    steps: list[dict[str, Any]],
    width: int,
    height: int,
    rng: np.random.Generator,
    text_px: float = 0.0,
    rigid: bool = False,
    two_pages: bool = False,
    backgrounds: Any = None,
) -> dict[str, Any]:
    """Draw every geometric step of a profile; each step sees the frame size before it.
    `text_px`: the page's small-text line height, for a `place` step's `min_text_px`.
    `rigid`: a card or plastic that does not bend: paper deformations (fold, curl, crumple)
    are left out; every other step draws what it would have drawn (own streams).
    `two_pages`: the page is a joined spread (`warping.spread`): its `book` step is drawn
    without a coin (the pipeline's coin made the spread); without it, never.
    `backgrounds`: the run's user images (`synth.backgrounds.BackgroundSource`): a page put
    into a scene (`place`) lies on one of them, drawn at the final frame size from a stream of
    its own (the record keeps which image, zoom and crop), instead of a procedural table."""
    records: list[dict[str, Any]] = []
    w, h = width, height
    background = dict(SCANNER_LID)
    placed = False
    for i, cfg in enumerate(steps):
        name = cfg["step"]
        if rigid and (name in surface.STEPS or name in tear.STEPS):
            continue
        if hasattr(GEOMETRIC[name], "paper_mask") and i != 0:
            raise PolyglyphError(f"warp step {name!r} must be the first geometric step "
                                 "(it cuts the flat page)")
        step_rng = child_rng(rng, f"geometric:{i}:{name}")
        coin = step_rng.random()
        if name in spread.STEPS:
            if not two_pages:
                continue
        elif coin >= cfg["p"]:
            continue
        step = GEOMETRIC[name]
        ranges = {k: v for k, v in cfg.items() if k not in ("step", "p")}
        record = {"step": name, **step.sample(ranges, step_rng, w, h), "frame": [w, h]}
        record, scene_background = step.split_background(record)
        if scene_background is not None:
            background, placed = scene_background, True
        if "min_text_px" in cfg:  # a step that frames the page (place) may aim for text size
            record = _framed(record, records, cfg, text_px)
        w, h = step.output_frame(record)
        records.append(record)
    if placed and backgrounds is not None and len(backgrounds):
        background = backgrounds.sample(child_rng(rng, "geometric:backgrounds"), w, h)
    return {"steps": records, "output_size": [w, h], "background": background}


def _framed(
    place: dict[str, Any], before: list[dict[str, Any]], cfg: dict[str, Any], text_px: float
) -> dict[str, Any]:
    """The place record magnified so the page's small text reaches `min_text_px`."""
    aim = float(cfg["min_text_px"][0])
    if aim <= 0 or text_px <= 0:
        return place
    w, h = (before[0]["frame"] if before else place["frame"])
    scale = framing.vertical_scale(lambda p: forward_points(before, p, 2), w, h) if before else 1.0
    return framing.magnify_place(place, text_px, aim, scale)


Run = tuple[GeometricStep, Any]


def _camera_runs(records: list[dict[str, Any]]) -> list[Run]:
    """(step, record) pairs, with each run of consecutive projective steps (rotate,
    perspective, place) merged into one forward matrix: one projection of every point instead
    of two or three. Within a run at most one matrix is projective (rotate and place are
    affine), so the merged projection divides by the same depth, and clamps the same points at
    the horizon."""
    out: list[Run] = []
    for rec in records:
        step = GEOMETRIC[rec["step"]]
        if step.projective:
            matrix = step.homography(rec)  # type: ignore[attr-defined]
            if out and out[-1][0] is HOMOGRAPHY:
                matrix = matrix @ out[-1][1]
                out.pop()
            out.append((HOMOGRAPHY, matrix))
        else:
            out.append((step, rec))
    return out


def backward_points(
    records: list[dict[str, Any]], pts: np.ndarray
) -> tuple[np.ndarray, SurfaceFields]:
    """Output points -> points on the flat input page, plus the surface fields met on the way."""
    out = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    creases: list[np.ndarray] = []
    slope: np.ndarray | None = None
    for step, rec in reversed(_camera_runs(records)):
        out, fields = step.backward(rec, out)
        if fields is not None:
            creases.extend(fields.creases)
            if fields.slope is not None:
                slope = fields.slope if slope is None else slope + fields.slope
    return out, SurfaceFields(creases, slope)


def forward_points(
    records: list[dict[str, Any]], pts: np.ndarray, displacement_iterations: int = 6
) -> np.ndarray:
    """Flat page points -> output points, step by step (analytic or fixed-point inverses).

    Close to, but not exactly, the inverse of the pixel grid (which is bilinear between
    nodes): labels use it only as the starting point of the exact Newton inverse, with one
    fixed-point step for folds and crumple (`LABEL_GUESS_ITERATIONS`).
    """
    return forward_runs(_camera_runs(records), pts, displacement_iterations)


def forward_runs(runs: list[Run], pts: np.ndarray, displacement_iterations: int = 6) -> np.ndarray:
    """`forward_points` on steps already merged by `_camera_runs` (the label guess runs three
    batches a page through the same steps; their matrices are built once)."""
    out = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    for step, rec in runs:
        out = step.forward(rec, out, displacement_iterations)
    return out


def grid_pad(records: list[dict[str, Any]], width: int, height: int, grid_step: int) -> int:
    """Nodes of lattice beyond the frame: as far as the page reaches past it (labels of a
    partly cropped page invert there), plus three nodes for the rough forward guess, at most
    15 % of the frame's long side. A page inside the frame needs only the pixel map's margin;
    the fixed 15 % pad doubled the nodes every grid evaluated.
    """
    cap = max(2, int(np.ceil(0.15 * max(width, height) / grid_step)))
    page_w, page_h = records[0]["frame"]
    border = densify([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], 4 * grid_step)
    reach = forward_points(records, border, LABEL_GUESS_ITERATIONS)
    beyond = np.max(
        [-reach[:, 0].min(), -reach[:, 1].min(), reach[:, 0].max() - width,
         reach[:, 1].max() - height, 0.0]
    )  # fmt: skip
    if not np.isfinite(beyond):
        return cap
    return int(min(cap, max(2, np.ceil(beyond / grid_step) + 3)))


def build(geo: dict[str, Any], grid_step: int) -> tuple[grid.CoarseGrid, SurfaceFields]:
    """The coarse backward grid of a geometric record and the surface fields on its nodes."""
    w, h = geo["output_size"]
    pad = grid_pad(geo["steps"], w, h, grid_step)
    captured: list[SurfaceFields] = []

    def backward(pts: np.ndarray) -> np.ndarray:
        src, fields = backward_points(geo["steps"], pts)
        captured.append(fields)
        return src

    coarse = grid.build_grid(backward, w, h, grid_step, pad)
    shape = coarse.source.shape[:2]
    fields = captured[0]
    return coarse, SurfaceFields(
        [c.reshape(shape) for c in fields.creases],
        None if fields.slope is None else fields.slope.reshape(shape),
    )


def paper_mask(steps: list[dict[str, Any]], shape: tuple[int, int]) -> np.ndarray | None:
    """The flat page's paper mask (255 paper, 0 torn away or punched out) from the steps that
    cut it (`warping.tear`), or None when none does."""
    out: np.ndarray | None = None
    for rec in steps:
        cut = getattr(GEOMETRIC[rec["step"]], "paper_mask", None)
        if cut is not None:
            mask = cut(rec, shape)
            out = mask if out is None else np.minimum(out, mask)
    return out


def warp_image(
    image: np.ndarray | list[np.ndarray], coarse: grid.CoarseGrid, background: dict[str, Any],
    paper: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Remap the page with an alpha channel and lay it over the background. `paper` (flat
    page, uint8) is the page's own alpha: the background shows where it is 0 (holes, tears).

    Returns the composite and the page coverage (alpha, uint8) for shading that must stay on
    the paper. Outside the window the page can reach, the composite is the background itself.

    Band by band (`remap.remap_bands`): each band of the remapped RGBA window goes into the
    composite and the coverage and is let go, so the window is never held whole as RGBA,
    alpha and RGB copies (~8 bytes a window pixel: ~40 MB on a wild frame). Every step is
    per pixel, so the bytes are those of the whole-window version.

    `image` may be a one-item list the caller hands over (`apply_geometric` with
    `release_input`): it is emptied, and the flat RGB page is let go once its RGBA copy is
    made, before the output frame exists (~17 MB less at the remap's peak on a wild page).
    """
    handed = isinstance(image, list)
    flat = image.pop() if handed else image
    del image
    flat_h, flat_w = flat.shape[:2]
    rgba = cv2.cvtColor(flat, cv2.COLOR_RGB2RGBA)  # alpha 255 (split + merge took ~7 ms)
    del flat  # the caller's reference, if any, keeps it; a handed frame goes now
    if paper is not None:
        cv2.insertChannel(paper, rgba, 3)
    alpha = np.zeros((coarse.height, coarse.width), np.uint8)
    reach = remap.reach_cells(coarse, flat_w, flat_h)
    box = remap.reach_box(coarse, reach, 0, coarse.height)
    if box is None:
        return scene.render_background(background, coarse.width, coarse.height), alpha
    x0, y0, x1, y1 = box
    whole = (x1 - x0, y1 - y0) == (coarse.width, coarse.height)
    # a page filling the frame needs no background unless it has holes or soft edges: its
    # RGB goes into a plain frame first; otherwise each band lands on the background, which
    # is painted only where the band's page does not cover every row (`scene.Background`)
    width, height = coarse.width, coarse.height
    out = np.empty((height, width, 3), np.uint8)
    table = None if whole else scene.Background(background, width, height)
    if table is not None:
        table.paint(out, 0, y0, 0, width)
        table.paint(out, y1, height, 0, width)
    opaque = True
    # a frame-filling page is remapped across the box (every pixel of `out` is written);
    # otherwise each band only across the columns its rows of the page can reach
    for top, bottom, left, band in remap.remap_bands(
        rgba, coarse, box, None if table is None else reach
    ):
        right = left + band.shape[1]
        if table is None:
            # OpenCV channel ops, not numpy slicing copies: a strided (..., :3) copy took
            # ~8 ms; written straight into the coverage and the frame: no band copies
            cover = cv2.extractChannel(band, 3, dst=alpha[top:bottom, x0:x1])
            cv2.cvtColor(band, cv2.COLOR_RGBA2RGB, dst=out[top:bottom])
            opaque = opaque and cv2.minMaxLoc(cover)[0] == 255
        elif left == right:  # no page in these rows
            table.paint(out, top, bottom, 0, width)
        else:
            cover = cv2.extractChannel(band, 3, dst=alpha[top:bottom, left:right])
            a, b = _covered_span(cover)
            table.paint(out, top, bottom, 0, left + a)
            table.paint(out, top, bottom, left + b, width)
            _band_over(band, cover, out[top:bottom, left:right], a, b)
        del band
    del rgba
    if whole and not opaque:  # holes or edges in a frame-filling page: now the background
        rgb, out = out, scene.render_background(background, coarse.width, coarse.height)
        _lay_over(rgb, alpha, out)
    return out, alpha


def _covered_span(cover: np.ndarray) -> tuple[int, int]:
    """Columns a..b of a band that the page covers in every row (alpha 255 throughout), or
    (0, 0) when those columns are not one run (holes, tears): only outside them does the
    band need the background under it. (numpy's column minimum: cv2.reduce's took ~0.5 ms a
    256-row band, numpy's ~0.03.)"""
    full = np.flatnonzero(cover.min(axis=0) == 255)
    if not len(full) or full[-1] - full[0] + 1 != len(full):
        return 0, 0
    return int(full[0]), int(full[-1]) + 1


def _band_over(band: np.ndarray, cover: np.ndarray, window: np.ndarray, a: int, b: int) -> None:
    """A remapped RGBA band laid over the background in `window`, in place: columns a..b
    (covered in every row) are the page's RGB, converted straight into the frame; only the
    columns beside them blend (`_lay_over`): the same bytes as blending the whole band."""
    parts = [(0, band.shape[1])]
    if a < b:
        cv2.cvtColor(band[:, a:b], cv2.COLOR_RGBA2RGB, dst=window[:, a:b])
        parts = [(0, a), (b, band.shape[1])]
    for c0, c1 in parts:
        if c0 < c1:
            rgb = cv2.cvtColor(band[:, c0:c1], cv2.COLOR_RGBA2RGB)
            _lay_over(rgb, cover[:, c0:c1], window[:, c0:c1])


def _lay_over(rgb: np.ndarray, cover: np.ndarray, window: np.ndarray) -> None:
    """Composite remapped pixels over the background in `window`, in place.

    remap blended towards (0,0,0,0) outside the page, so RGB is premultiplied by alpha:
    composite = rgb + bg * (255 - alpha) / 255. Where alpha is 255 that is rgb, where it is 0
    it is bg (rgb is 0 there too), so only the antialiased rim needs the arithmetic (the
    whole-window version cost ~4 ms of 3-channel passes)."""
    found = cv2.findNonZero(cv2.inRange(cover, 1, 254))  # 5x faster than np.nonzero
    xy = np.zeros((0, 2), np.intp) if found is None else found.reshape(-1, 2)
    rim = (xy[:, 1], xy[:, 0])
    bg_rim = window[rim].reshape(-1, 1, 3)
    cv2.copyTo(rgb, cover, window)
    if len(rim[0]):
        keep = (255 - cover[rim]).reshape(-1, 1, 1).repeat(3, axis=2)
        under = cv2.multiply(bg_rim, keep, scale=1 / 255.0)
        window[rim] = cv2.add(rgb[rim].reshape(-1, 1, 3), under).reshape(-1, 3)


def released(image: np.ndarray) -> np.ndarray:
    """A read-only stand-in for a page image whose pixels are no longer needed: same shape and
    dtype (so `Page.width`/`height` hold), one pixel of memory."""
    return np.broadcast_to(np.zeros((1,) * image.ndim, image.dtype), image.shape)


def label_map(geo: dict[str, Any], coarse: grid.CoarseGrid) -> grid.GridInverse:
    """Flat page -> output points: the exact inverse of the pixel grid, started from the
    steps' own (rough) forward maps."""
    runs = _camera_runs(geo["steps"])
    return grid.GridInverse(coarse, guess=lambda p: forward_runs(runs, p, LABEL_GUESS_ITERATIONS))


def apply_geometric(
    page: Page, geo: dict[str, Any], grid_step: int, densify_step: float, record: dict[str, Any],
    release_input: bool = False,
) -> tuple[Page, grid.CoarseGrid | None, SurfaceFields | None, np.ndarray | None]:
    """Move pixels and every label with one grid; returns the grid for shading and dewarp.
    `release_input` (as in `warping.apply_warp`): when the page moves, `page.image` becomes a
    same-shape stand-in and the flat pixels are freed inside the remap (`warp_image`)."""
    if not geo["steps"]:
        return replace(page, warp=record), None, None, None
    coarse, fields = build(geo, grid_step)
    paper = paper_mask(geo["steps"], page.image.shape[:2])
    flat: np.ndarray | list[np.ndarray] = page.image
    if release_input:
        flat, page.image = [page.image], released(page.image)
    image, alpha = warp_image(flat, coarse, geo["background"], paper)
    del flat
    moved = map_page_geometry(page, image, label_map(geo, coarse), densify_step, record)
    return moved, coarse, fields, alpha
