"""The geometric stage: all of a sample's steps composed into one backward grid.

Steps are recorded in forward order (paper deformations first, then rotation, camera, scene);
the backward map evaluates them in reverse. From the grid come the float pixel maps and,
by numerical inversion of the very same bilinear function, the point map for labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from synth.page import Page, densify, map_page_geometry
from synth.rng import child_rng
from warping import camera, grid, scene, surface
from warping.params import StepDef

STEPS: dict[str, StepDef] = {**surface.STEPS, **camera.STEPS}
# Fixed-point steps per fold/crumple in the label guess. Newton on the grid finishes the job
# either way; measured on 12 wild pages (19.9k label points): 6 steps = guess 5.7 + Newton
# 4.8 ms, 1 step = 2.0 + 5.6 ms, every point converged in both.
LABEL_GUESS_ITERATIONS = 1
# Labels: an edge gets `densify_step` points only where its warped outline leaves the chord by
# more than this (px); straight stretches keep their ends. Stored in each record as
# "label_tolerance" (records without it densify every edge at `densify_step`). 0.025, not
# 0.05: chords sit inside convex bends, and at 0.05 the smallest shapes' IoU p5 fell ~0.003;
# at 0.025 outlines stay as close to a 0.5 px reference as the 6 px dense ones (wild page:
# labels 16.5 ms dense, 12.2 at 0.05, 12.6 at 0.025).
LABEL_TOLERANCE = 0.025
SCANNER_LID = {"kind": "solid", "tone": 0.97, "hue": 0.0, "seed": 0}


@dataclass(frozen=True)
class SurfaceFields:
    """Per grid node: signed crease distances (in falloffs) and paper slope, for shading."""

    creases: list[np.ndarray]
    slope: np.ndarray | None


def sample_geometric(
    steps: list[dict[str, Any]], width: int, height: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Draw every geometric step of a profile; each step sees the frame size before it."""
    records: list[dict[str, Any]] = []
    w, h = width, height
    background = dict(SCANNER_LID)
    for i, cfg in enumerate(steps):
        name = cfg["step"]
        step_rng = child_rng(rng, f"geometric:{i}:{name}")
        if step_rng.random() >= cfg["p"]:
            continue
        ranges = {k: v for k, v in cfg.items() if k not in ("step", "p")}
        record = {"step": name, **STEPS[name].sample(ranges, step_rng, w, h), "frame": [w, h]}
        if name == "place":
            background = record.pop("background")
            w, h = camera.output_frame(record)
        records.append(record)
    return {"steps": records, "output_size": [w, h], "background": background}


def _camera_runs(records: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """The steps with each run of consecutive projective steps (rotate, perspective, place)
    merged into one forward matrix: one projection of every point instead of two or three.
    Within a run at most one matrix is projective (rotate and place are affine), so the merged
    projection divides by the same depth, and clamps the same points at the horizon."""
    out: list[tuple[str, Any]] = []
    for rec in records:
        if rec["step"] in camera.STEPS:
            matrix = camera.homography(rec)
            if out and out[-1][0] == "camera":
                matrix = matrix @ out[-1][1]
                out.pop()
            out.append(("camera", matrix))
        else:
            out.append((rec["step"], rec))
    return out


def backward_points(
    records: list[dict[str, Any]], pts: np.ndarray
) -> tuple[np.ndarray, SurfaceFields]:
    """Output points -> points on the flat input page, plus the surface fields met on the way."""
    out = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    creases: list[np.ndarray] = []
    slope: np.ndarray | None = None
    for name, rec in reversed(_camera_runs(records)):
        if name == "camera":
            out = camera.apply_homography(np.linalg.inv(rec), out)
        elif name == "curl":
            out, s = surface.curl_backward(rec, out)
            slope = s if slope is None else slope + s
        elif name == "fold":
            out, fields = surface.fold_backward(rec, out)
            creases.extend(fields)
        elif name == "crumple":
            out = surface.crumple_backward(rec, out)
        else:
            raise KeyError(name)
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


def forward_runs(
    runs: list[tuple[str, Any]], pts: np.ndarray, displacement_iterations: int = 6
) -> np.ndarray:
    """`forward_points` on steps already merged by `_camera_runs` (the label guess runs three
    batches a page through the same steps; their matrices are built once)."""
    out = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    for name, rec in runs:
        if name == "camera":
            out = camera.apply_homography(rec, out)
        elif name == "curl":
            out = surface.curl_forward(rec, out)
        elif name == "fold":
            out = surface.fold_forward(rec, out, displacement_iterations)
        elif name == "crumple":
            out = surface.crumple_forward(rec, out, displacement_iterations)
        else:
            raise KeyError(name)
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


def warp_image(
    image: np.ndarray, coarse: grid.CoarseGrid, background: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """Remap the page and lay it over the background.

    Returns the composite and the page coverage (alpha, uint8) for shading that must stay on
    the paper. Outside the window the page can reach, the composite is the background itself.
    """
    box, rgb, page_alpha, rim = remap_with_coverage(image, coarse)
    alpha = np.zeros((coarse.height, coarse.width), np.uint8)
    if box is None or rgb is None or page_alpha is None or rim is None:
        return scene.render_background(background, coarse.width, coarse.height), alpha
    x0, y0, x1, y1 = box
    alpha[y0:y1, x0:x1] = page_alpha
    if (x1 - x0, y1 - y0) == (coarse.width, coarse.height) and page_alpha.min() == 255:
        return rgb, alpha
    # a fresh array per call: the composite is written into it
    out = scene.render_background(background, coarse.width, coarse.height)
    window = out[y0:y1, x0:x1]
    # remap blended towards 0 outside the page, so RGB is premultiplied by alpha:
    # composite = rgb + bg * (255 - alpha) / 255. Where alpha is 255 that is rgb, where it is
    # 0 it is bg (rgb is 0 there too), so only the antialiased rim needs the arithmetic
    # (the whole-window version cost ~4 ms of 3-channel passes).
    bg_rim = window[rim].reshape(-1, 1, 3)
    cv2.copyTo(rgb, page_alpha, window)
    if len(rim[0]):
        keep = (255 - page_alpha[rim]).reshape(-1, 1, 1).repeat(3, axis=2)
        under = cv2.multiply(bg_rim, keep, scale=1 / 255.0)
        window[rim] = cv2.add(rgb[rim].reshape(-1, 1, 3), under).reshape(-1, 3)
    return out, alpha


Rim = tuple[np.ndarray, np.ndarray]  # (rows, cols) of the window pixels with 0 < alpha < 255


def remap_with_coverage(
    image: np.ndarray, coarse: grid.CoarseGrid
) -> tuple[tuple[int, int, int, int] | None, np.ndarray | None, np.ndarray | None, Rim | None]:
    """The page's pixels in the window it can reach, its coverage there and the antialiased
    rim of that coverage: (box, rgb, alpha, rim), all None when the page is out of frame.

    Bit-identical to remapping the page with an opaque alpha channel (what this did before),
    at less cost: the RGB remap runs on three channels (no RGBA copy in, no split out), and
    the coverage, which is 255 wherever a sample's taps all lie on the page and 0 wherever
    they all lie a pixel or more past it, is remapped only on the thin rim in between
    (`cv2.remap` of an opaque plane at just those map entries, so its rounding is remap's own).
    """
    h, w = image.shape[:2]
    box = grid.page_window(coarse, w, h)
    if box is None:
        return None, None, None, None
    pixel_map = grid.window_map(coarse, box)
    rgb = cv2.remap(
        image, pixel_map, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    return box, rgb, *page_coverage(coarse, box, pixel_map, w, h)


def rim_coverage(at: np.ndarray, width: int, height: int) -> np.ndarray:
    """Coverage (uint8) of remap samples `at` ((n, 1, 2) float32) on a width x height page:
    `cv2.remap` of an opaque plane, but of a 6 x 6 one. Remap's coverage depends only on
    which taps lie on the page and on the rounded fractions, so each coordinate moves by a
    whole number of pixels (exact in float32 here, and 32x that is even, so remap's
    round-half-even fixed point moves by exactly as much) to where a 6-pixel plane has the
    same taps on and off: near the far edge by size - 6, in between to 2 + its fraction. A
    page-size plane cost ~1 ms a page in page faults (or memory, kept)."""
    if min(width, height) < 16:
        plane, local = np.full((height, width), 255, np.uint8), at
    else:
        plane, local = np.full((6, 6), 255, np.uint8), at.copy()
        for axis, size in ((0, width), (1, height)):
            v = local[..., axis]
            far = v > size - 3
            between = (v >= 2) & ~far
            v[far] -= np.float32(size - 6)
            v[between] -= np.floor(v[between]) - np.float32(2)
    return cv2.remap(
        plane, local, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    ).ravel()


# px: a cell whose corners all clear a coverage bound by this much has every pixel clear it
# (the upsampled map is a float32 convex combination of the corners: rounding is ~1e-4 px)
COVERAGE_MARGIN = 0.01


def page_coverage(
    coarse: grid.CoarseGrid,
    box: tuple[int, int, int, int],
    pixel_map: np.ndarray,
    width: int,
    height: int,
) -> tuple[np.ndarray, Rim]:
    """The remap of an opaque page plane through `pixel_map` (uint8, the window `box`),
    decided per lattice cell where it can be: 255 in cells whose corners all map to
    [0, size - 1] (every tap on the page), 0 in cells whose corners all map a pixel or more
    past one edge (every weighted tap off it). Only the pixels of the cells in between are
    looked at: 255/0 by the same bounds, and the rim between them remapped exactly
    (`cv2.remap` of an opaque plane at just those map entries, so its rounding is remap's).
    Two whole-window `inRange` passes over the float map cost ~3-4 ms a cold page. Also
    returns the rim (pixels strictly between 0 and 255), which only those cells can hold,
    for the composite (a whole-window search for it cost ~0.6-1 ms)."""
    x0, y0, x1, y1 = box
    s, p = coarse.step, coarse.pad
    if p < 1:
        raise ValueError("coverage by cells needs at least one node of padding")
    o = s // 2  # output pixel X lies in lattice cell (X - s // 2) // s + p
    cx0, cy0 = (x0 - o) // s + p, (y0 - o) // s + p
    cx1, cy1 = (x1 - 1 - o) // s + p, (y1 - 1 - o) // s + p
    nodes = np.asarray(coarse.source[cy0 : cy1 + 2, cx0 : cx1 + 2] - 0.5, np.float32)
    nx, ny = nodes[..., 0], nodes[..., 1]
    e = COVERAGE_MARGIN
    inner = grid.all_corners(
        (nx >= e) & (nx <= width - 1 - e) & (ny >= e) & (ny <= height - 1 - e)
    )
    outer = (
        grid.all_corners(nx <= -1 - e)
        | grid.all_corners(ny <= -1 - e)
        | grid.all_corners(nx >= width + e)
        | grid.all_corners(ny >= height + e)
    )
    cells = np.where(inner, 255, 0).astype(np.uint8)
    ox, oy = (cx0 - p) * s + o, (cy0 - p) * s + o  # output pixel of upsampled pixel 0
    if s & (s - 1) == 0:  # nearest resize by a power of two repeats each cell exactly
        big = cv2.resize(cells, (cells.shape[1] * s, cells.shape[0] * s),
                         interpolation=cv2.INTER_NEAREST)  # fmt: skip
    else:
        big = cells.repeat(s, axis=0).repeat(s, axis=1)
    alpha = np.ascontiguousarray(big[y0 - oy : y1 - oy, x0 - ox : x1 - ox])
    r, c = np.nonzero(~inner & ~outer)
    if not len(r):
        return alpha, (np.zeros(0, np.intp), np.zeros(0, np.intp))
    dy, dx = np.divmod(np.arange(s * s), s)
    ys = ((r * s + oy - y0)[:, None] + dy).ravel()
    xs = ((c * s + ox - x0)[:, None] + dx).ravel()
    on = (ys >= 0) & (ys < y1 - y0) & (xs >= 0) & (xs < x1 - x0)
    ys, xs = ys[on], xs[on]
    if not len(ys):  # every cell of the window holds a pixel of it, so this never happens
        return alpha, (ys, xs)
    at = pixel_map[ys, xs].reshape(-1, 1, 2)
    # source x in [0, w-1] rounds to a tap pair on the page (or one tap at w-1 with weight 1);
    # x <= -1 or x >= w: every tap with weight lies off the page (remap gives exactly 0)
    values = cv2.inRange(at, (0.0, 0.0), (width - 1.0, height - 1.0)).ravel()
    reach = cv2.inRange(at, (-1.0, -1.0), (float(width), float(height))).ravel()
    rim = np.flatnonzero(reach != values)
    if len(rim):
        values[rim] = rim_coverage(at[rim], width, height)
    alpha[ys, xs] = values
    partial = (values > 0) & (values < 255)
    return alpha, (ys[partial], xs[partial])


def label_map(geo: dict[str, Any], coarse: grid.CoarseGrid) -> grid.GridInverse:
    """Flat page -> output points: the exact inverse of the pixel grid, started from the
    steps' own (rough) forward maps."""
    runs = _camera_runs(geo["steps"])
    return grid.GridInverse(coarse, guess=lambda p: forward_runs(runs, p, LABEL_GUESS_ITERATIONS))


def apply_geometric(
    page: Page, geo: dict[str, Any], grid_step: int, densify_step: float, record: dict[str, Any]
) -> tuple[Page, grid.CoarseGrid | None, SurfaceFields | None, np.ndarray | None]:
    """Move pixels and every label with one grid; returns the grid for shading and dewarp."""
    if not geo["steps"]:
        return replace(page, warp=record), None, None, None
    coarse, fields = build(geo, grid_step)
    image, alpha = warp_image(page.image, coarse, geo["background"])
    moved = map_page_geometry(page, image, label_map(geo, coarse), densify_step, record)
    return moved, coarse, fields, alpha
