"""Polygon helpers and the one geometry path for labels (`map_page_geometry`).

Everything that moves pixels moves labels only through `map_page_geometry`, so every polygon a
page holds (lines, words, blocks, cells, fields, regions of any kind) goes through the same point
map as the pixels.
Polygons are closed rings (first point not repeated), clockwise in image coordinates (y down).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from synth.adaptive_edges import map_rings_adaptive, ring_points
from synth.opencv import cv2

if TYPE_CHECKING:
    from synth.page import Page

Polygon = list[list[float]]
PointMap = Callable[[np.ndarray], np.ndarray]
"""Maps an (N, 2) float array of (x, y) source points to (N, 2) destination points."""


def box_polygon(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """Axis-aligned box as a clockwise ring (top-left, top-right, bottom-right, bottom-left)."""
    return [[float(x0), float(y0)], [float(x1), float(y0)], [float(x1), float(y1)], [float(x0), float(y1)]]


def densify(polygon: Polygon, step: float) -> np.ndarray:
    """Insert points along each edge so no edge is longer than `step` pixels.

    Needed before a non-linear map: a curl bends a straight baseline, and only the inserted
    points let the mapped polygon follow the bend.
    """
    if len(polygon) == 0:
        return np.zeros((0, 2), dtype=np.float64)
    return densify_many([polygon], step)[0]


def min_area_quad(polygon: Polygon | np.ndarray) -> Polygon:
    """The min-area rectangle of a polygon, clockwise from the corner nearest the top-left."""

    pts = np.asarray(polygon, dtype=np.float32).reshape(-1, 2)
    if len(pts) == 0:
        return []
    rect = cv2.minAreaRect(pts)
    corners = cv2.boxPoints(rect).astype(np.float64)
    return order_clockwise(corners).tolist()


def order_clockwise(corners: np.ndarray) -> np.ndarray:
    """Order 4 points clockwise (image coords) starting at the one nearest the top-left."""
    c = corners.mean(axis=0)
    ang = np.arctan2(corners[:, 1] - c[1], corners[:, 0] - c[0])
    ordered = corners[np.argsort(ang)]  # increasing angle = clockwise when y points down
    start = int(np.argmin(ordered[:, 0] + ordered[:, 1]))
    return np.roll(ordered, -start, axis=0)


def polygon_area(polygon: Polygon | np.ndarray) -> float:
    pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 3:
        return 0.0
    x, y = pts[:, 0], pts[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def make_clockwise(pts: np.ndarray) -> np.ndarray:
    """Signed area > 0 means clockwise when y points down; flip the ring otherwise."""
    return pts if polygon_area(pts) >= 0 else pts[::-1]


def axis_box(polygon: Polygon | np.ndarray) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a polygon's points ([[x, y], ...], or any array of x, y pairs).

    A label polygon (a list of a few points) is boxed in plain Python: the views box every
    spotted line and layout region, ~110 polygons a row, and an array for each cost ~8 us
    against ~1. The same floats either way; a NaN takes the array path (its min keeps NaN)."""
    if isinstance(polygon, list) and polygon and isinstance(polygon[0], (list, tuple)) \
            and len(polygon[0]) == 2:
        xs = [float(p[0]) for p in polygon]
        ys = [float(p[1]) for p in polygon]
        total = sum(xs) + sum(ys)
        if total == total:  # no NaN (nor inf - inf): min and max are numpy's
            return min(xs), min(ys), max(xs), max(ys)
    pts = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def clip_polygon_to_frame(pts: np.ndarray, width: int, height: int) -> tuple[np.ndarray, float]:
    """Clip a ring to the image frame; return the clipped ring and the visible area fraction."""

    pts = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    area = abs(polygon_area(pts))
    frame = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    inside = (pts[:, 0] >= 0) & (pts[:, 0] <= width) & (pts[:, 1] >= 0) & (pts[:, 1] <= height)
    if inside.all():
        return pts, 1.0
    if area <= 0:
        return np.clip(pts, [0, 0], [width, height]), 0.0
    hull = cv2.convexHull(pts.astype(np.float32))
    inter_area, inter = cv2.intersectConvexConvex(hull, frame)
    hull_area = abs(cv2.contourArea(hull))
    fraction = float(inter_area / hull_area) if hull_area > 0 else 0.0
    if inter is None or len(inter) < 3:
        return np.clip(pts, [0, 0], [width, height]), 0.0
    # Keep the detailed ring where it is inside, clamp the rest onto the frame.
    clipped = np.clip(pts, [0, 0], [width, height])
    return clipped, float(min(1.0, max(0.0, fraction)))


def _densify_concat(polygons: list[Polygon], step: float) -> tuple[np.ndarray, np.ndarray]:
    """Every ring densified, all in one (N, 2) array, plus the point count of each ring."""
    sizes = np.array([len(p) for p in polygons], dtype=np.int64)
    if not len(sizes) or not sizes.sum():
        return np.zeros((0, 2), dtype=np.float64), sizes
    pts = ring_points(polygons, int(sizes.sum()))
    if step <= 0:
        return pts, sizes
    ends = np.cumsum(sizes)
    starts = ends - sizes
    nxt_index = np.arange(len(pts)) + 1
    nxt_index[ends - 1] = starts  # close each ring
    delta = pts[nxt_index] - pts
    counts = np.maximum(1, np.ceil(np.hypot(delta[:, 0], delta[:, 1]) / step).astype(np.int64))
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    # a + (b - a) * k / n per edge, with np.repeat rather than fancy-index gathers (2.5x faster)
    out = np.repeat(pts, counts, axis=0)
    out += np.repeat(delta, counts, axis=0) * (k / np.repeat(counts, counts))[:, None]
    return out, np.add.reduceat(counts, starts)


def densify_many(polygons: list[Polygon], step: float) -> list[np.ndarray]:
    """`densify` of many rings in one vectorised pass (same points, same order)."""
    if step <= 0 or not polygons:
        return [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in polygons]
    pts, sizes = _densify_concat(polygons, step)
    return np.split(pts, np.cumsum(sizes)[:-1])


def order_clockwise_many(corners: np.ndarray) -> np.ndarray:
    """`order_clockwise` of (N, 4, 2) corner sets at once (same order, same start)."""
    c = corners.mean(axis=1, keepdims=True)
    ang = np.arctan2(corners[..., 1] - c[..., 1], corners[..., 0] - c[..., 0])
    ordered = np.take_along_axis(corners, np.argsort(ang, axis=1)[..., None], axis=1)
    start = np.argmin(ordered[..., 0] + ordered[..., 1], axis=1)
    roll = (np.arange(4)[None, :] + start[:, None]) % 4
    return np.take_along_axis(ordered, roll[..., None], axis=1)


def _visible_fraction(ring: np.ndarray, width: int, height: int, twice_area: float) -> float:
    """The visible fraction `clip_polygon_to_frame` gives a ring with points off the frame,
    with the ring's area already known (its numpy area and roll cost more than the clip)."""

    if twice_area == 0:
        return 0.0
    frame = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    hull = cv2.convexHull(ring.astype(np.float32))
    inter_area, inter = cv2.intersectConvexConvex(hull, frame)
    hull_area = abs(cv2.contourArea(hull))
    if inter is None or len(inter) < 3 or hull_area <= 0:
        return 0.0
    return float(min(1.0, max(0.0, inter_area / hull_area)))


def _quads(rings: list[np.ndarray]) -> list[Polygon]:
    """`min_area_quad` of many rings: OpenCV per ring, the corner ordering in one numpy pass."""

    if not rings:
        return []
    boxes = [cv2.boxPoints(cv2.minAreaRect(r.astype(np.float32))) for r in rings]
    return order_clockwise_many(np.asarray(boxes, dtype=np.float64)).tolist()


def _with(obj: Any, **changes: Any) -> Any:
    """`dataclasses.replace` for plain label dataclasses, without re-running `__init__`
    (replace cost ~15 us per object, a few thousand objects a page)."""
    new = object.__new__(type(obj))
    fields = obj.__dict__.copy()  # copy + update: ~25 % less than {**a, **b}
    fields.update(changes)
    new.__dict__ = fields
    return new


def _moved_words(words: list[Any], slots: range, moved: list[tuple[Polygon, float]]) -> list[Any]:
    """`_with(word, polygon=..., visible=...)` for a line's words, without keyword packing
    (~0.3 us a word instead of ~0.9; a page has a few hundred words)."""
    out = []
    for wd, (polygon, fraction) in zip(words, moved[slots.start : slots.stop], strict=True):
        fields = wd.__dict__.copy()
        fields["polygon"] = polygon
        fields["visible"] = round(wd.visible * fraction, 4)
        new = object.__new__(type(wd))
        new.__dict__ = fields
        out.append(new)
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a page's label lists are made.

    A page's labels are ~10k new point lists, all alive at the end: with the collector on,
    each 700 allocations start a young collection that walks them again and promotes them,
    and every tenth of those an older one (on the wild bench page, 10 records: labels 9.5 ms
    a page with the collector paused, 18 ms median with it on). Paused, the allocations still
    count, so one young collection after the page walks them once. Nothing here makes cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _without_gc(fn: Callable[..., Page]) -> Callable[..., Page]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Page:
        with _gc_paused():
            return fn(*args, **kwargs)

    return wrapper


def map_rings(
    polygons: list[Polygon],
    point_map: PointMap,
    frame: tuple[int, int] | None,
    densify_step: float = 0.0,
    tolerance: float | None = None,
) -> tuple[list[tuple[Polygon, float]], list[np.ndarray | None]]:
    """The one point mapper: every ring densified, mapped in one call, turned clockwise.

    Returns, per input polygon, (mapped ring as a list of [x, y] rounded to 0.01 px, visible
    fraction) and the same ring as an array (None for empty polygons). With a `frame` (w, h)
    rings are clamped onto it and their visible fraction measured; without one they are left
    where the map put them (visible 1). `tolerance` (px, needs a frame) densifies adaptively
    (`map_rings_adaptive`); without one every edge gets every `densify_step` point.
    """
    moved: list[tuple[Polygon, float]] = [([], 0.0)] * len(polygons)
    arrays: list[np.ndarray | None] = [None] * len(polygons)
    present = [i for i, p in enumerate(polygons) if p]
    if not present:
        return moved, arrays
    rings = [polygons[i] for i in present]
    if tolerance is not None and densify_step > 0 and frame is not None:
        mapped, sizes = map_rings_adaptive(
            rings, densify_step, float(tolerance), point_map, (float(frame[0]), float(frame[1]))
        )
    else:
        pts, sizes = _densify_concat(rings, densify_step)
        mapped = np.asarray(point_map(pts), dtype=np.float64).reshape(-1, 2)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    x, y = mapped[:, 0], mapped[:, 1]
    nxt = np.arange(len(mapped)) + 1
    nxt[ends - 1] = starts
    twice_area = np.add.reduceat(x * y[nxt] - y * x[nxt], starts)
    flip = twice_area < 0
    if flip.any():  # counter-clockwise rings run backwards: index -> start + end - 1 - index
        ring_of = np.repeat(np.arange(len(sizes)), sizes)
        order = np.arange(len(mapped))
        back = flip[ring_of]
        order[back] = (starts + ends - 1)[ring_of[back]] - order[back]
        mapped = mapped[order]
    vis = np.ones(len(present))
    if frame is not None:
        w, h = frame
        inside = (x >= 0) & (x <= w) & (y >= 0) & (y <= h)
        off = np.flatnonzero(~np.logical_and.reduceat(inside, starts))
        if len(off):
            # a ring wholly on the far side of one frame edge shows nothing (its hull meets
            # the frame in no area: `_visible_fraction` gives 0.0); on cropped wild pages
            # those are ~90 % of the rings off the frame, ~10 us of OpenCV calls each
            far = (
                (np.maximum.reduceat(x, starts) <= 0)
                | (np.maximum.reduceat(y, starts) <= 0)
                | (np.minimum.reduceat(x, starts) >= w)
                | (np.minimum.reduceat(y, starts) >= h)
            )[off]
            vis[off[far]] = 0.0
            for j in off[~far].tolist():
                vis[j] = _visible_fraction(mapped[starts[j] : ends[j]], w, h, twice_area[j])
        # clamping onto the frame leaves points inside untouched, so it can run on all of them
        rounded = np.clip(mapped, [0, 0], [w, h]).round(2)
    else:
        rounded = mapped.round(2)
    flat = rounded.tolist()
    for i, s, e, v in zip(present, starts.tolist(), ends.tolist(), vis.tolist(), strict=True):
        moved[i] = (flat[s:e], v)
        arrays[i] = rounded[s:e]
    return moved, arrays


@_without_gc
def map_page_geometry(
    page: Page,
    image: np.ndarray,
    point_map: PointMap,
    densify_step: float = 0.0,
    warp_record: dict[str, Any] | None = None,
    tolerance: float | None = None,
) -> Page:
    """Return a new Page with `image` and every polygon moved by `point_map`.

    This is the one geometry path for labels. All polygons of the page are densified (when a
    step is given, so curved maps keep curved outlines) and mapped together, so a costly map
    (a numerical inverse) is set up once per page, not once per polygon. `densify_step` is the
    finest edge spacing; with a `tolerance` (px; by default `warp_record["label_tolerance"]`
    when the record has one) edges are densified adaptively (`map_rings_adaptive`): an edge
    gets `densify_step` points only where its mapped outline leaves the chord by more than
    `tolerance`, and straight stretches keep their end points alone. Without one, every edge
    gets every `densify_step` point (records made before the tolerance existed). Rings come back
    clockwise; quads are refit as min-area rectangles; labels pushed out of the frame are
    clamped and carry a `visible` fraction. The per-ring work runs on the concatenated points
    (a page has ~500 rings): Python lists are made once, at the end.
    """
    h, w = image.shape[:2]
    polygons: list[Polygon] = []

    def slot(poly: Polygon) -> int:
        polygons.append(poly)
        return len(polygons) - 1

    # a line and its words take consecutive slots: the words' as a range (a page has ~700
    # words; a call per word cost ~1 us each)
    line_slots: list[tuple[int, range]] = []
    for ln in page.lines:
        first = len(polygons)
        polygons.append(ln.polygon)
        polygons.extend([wd.polygon for wd in ln.words])
        line_slots.append((first, range(first + 1, len(polygons))))
    block_slots = [slot(b.polygon) for b in page.blocks]
    table_slots = [(slot(t.polygon), [slot(c.polygon) for c in t.cells]) for t in page.tables]
    field_slots = [(slot(f.key_polygon), slot(f.value_polygon)) for f in page.fields]
    region_slots = [slot(r.polygon) for r in page.regions]

    if tolerance is None and warp_record is not None:
        tolerance = warp_record.get("label_tolerance")
    moved, arrays = map_rings(polygons, point_map, (w, h), densify_step, tolerance)
    line_rings = {ls: arrays[ls] for ls, _ in line_slots if arrays[ls] is not None}
    quads = dict(zip(line_rings, _quads(list(line_rings.values())), strict=True))

    lines = []
    for ln, (ls, ws) in zip(page.lines, line_slots, strict=True):
        poly, vis_line = moved[ls]
        words = _moved_words(ln.words, ws, moved)
        lines.append(
            _with(
                ln,
                polygon=poly,
                quad=quads.get(ls, []),
                visible=round(ln.visible * vis_line, 4),
                words=words,
            )
        )
    blocks = [_with(b, polygon=moved[s][0]) for b, s in zip(page.blocks, block_slots, strict=True)]
    tables = [
        _with(t, polygon=moved[ts][0],
              cells=[_with(c, polygon=moved[s][0]) for c, s in zip(t.cells, cs, strict=True)])
        for t, (ts, cs) in zip(page.tables, table_slots, strict=True)
    ]
    flds = [
        _with(f, key_polygon=moved[ks][0], value_polygon=moved[vs][0])
        for f, (ks, vs) in zip(page.fields, field_slots, strict=True)
    ]
    regions = [
        _with(r, polygon=moved[s][0], visible=round(r.visible * moved[s][1], 4))
        for r, s in zip(page.regions, region_slots, strict=True)
    ]
    return replace(
        page,
        image=image,
        lines=lines,
        blocks=blocks,
        tables=tables,
        fields=flds,
        regions=regions,
        warp=warp_record if warp_record is not None else page.warp,
    )
