"""Polygon helpers and the one geometry path for labels (`map_page_geometry`).

Everything that moves pixels moves labels only through `map_page_geometry`, so every polygon a
page holds (lines, words, blocks, cells, fields) goes through the same point map as the pixels.
Polygons are closed rings (first point not repeated), clockwise in image coordinates (y down).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

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


def _ring_points(polygons: list[Polygon], count: int) -> np.ndarray:
    """All rings' points as one (count, 2) array: one conversion (per-ring np.asarray +
    concatenate cost ~3 us a ring; fromiter over the flattened floats is 2x a nested list)."""
    flat = itertools.chain.from_iterable(itertools.chain.from_iterable(polygons))
    return np.fromiter(flat, np.float64, count=2 * count).reshape(-1, 2)


def _densify_concat(polygons: list[Polygon], step: float) -> tuple[np.ndarray, np.ndarray]:
    """Every ring densified, all in one (N, 2) array, plus the point count of each ring."""
    sizes = np.array([len(p) for p in polygons], dtype=np.int64)
    if not len(sizes) or not sizes.sum():
        return np.zeros((0, 2), dtype=np.float64), sizes
    pts = _ring_points(polygons, int(sizes.sum()))
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


def _edge_points(
    pts: np.ndarray, delta: np.ndarray, counts: np.ndarray, edge: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """Point k of n along each edge, computed exactly as `_densify_concat` places it."""
    return pts[edge] + delta[edge] * (k / counts[edge])[:, None]


def _chord_distance(m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each point m from the segment a-b (from a when the segment is empty)."""
    abx, aby = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    amx, amy = m[:, 0] - a[:, 0], m[:, 1] - a[:, 1]
    length2 = abx * abx + aby * aby
    t = (amx * abx + amy * aby) / np.where(length2 > 0, length2, 1.0)
    np.clip(t, 0.0, 1.0, out=t)
    return np.hypot(amx - abx * t, amy - aby * t)


def _bend(
    m: np.ndarray, a: np.ndarray, b: np.ndarray, frame: tuple[float, float] | None
) -> np.ndarray:
    """How far m lies off the chord a-b, also after clamping all three onto the frame (labels
    are clamped there, so an edge leaving the frame bends where it is clamped)."""
    dist = _chord_distance(m, a, b)
    if frame is None or not len(m):
        return dist
    box = np.array(frame, dtype=np.float64)
    if all(v.min() >= 0 and (v.max(axis=0) <= box).all() for v in (m, a, b)):
        return dist  # nothing to clamp (the usual case): skip the second pass
    clamped = [np.clip(v, 0.0, box) for v in (m, a, b)]
    return np.maximum(dist, _chord_distance(*clamped))


def _candidates(
    counts: np.ndarray, edges: np.ndarray, every: int, offset: int
) -> tuple[np.ndarray, np.ndarray]:
    """(edge, k) of candidates k = offset + every * j, 0 < k < n, on the given edges."""
    first_k = offset if offset > 0 else every
    per_edge = np.maximum(0, (counts[edges] - 1 - first_k) // every + 1)
    edge = np.repeat(edges, per_edge)
    j = np.arange(len(edge)) - np.repeat(np.cumsum(per_edge) - per_edge, per_edge)
    return edge, first_k + every * j


def map_rings_adaptive(
    polygons: list[Polygon],
    step: float,
    tolerance: float,
    point_map: PointMap,
    frame: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Map rings through `point_map`, keeping only the edge points the map needs.

    `densify` at `step` gives each edge n = ceil(length / step) candidate points; mapping and
    keeping all of them (~20k on a text page) costs the inverse and, worse, thousands of
    Python lists later. Here every 4th candidate of each edge and its middle one are mapped
    first: if all lie within `tolerance` px of the mapped chord the edge stays straight
    (perspective and rotation give 4-point boxes); otherwise every even candidate is mapped
    and kept, and each odd one between two of them is mapped and kept when it lies more than
    `tolerance` off their chord. So a bent edge has `densify`'s spacing where it bends most and
    at most twice it elsewhere; every emitted point is one of `densify`'s points, mapped as
    before (a bend narrower than 4 candidates can hide between the first samples). With
    `frame` (w, h), bends that clamping onto the frame makes count too (labels are clamped).
    Returns the mapped points of all rings in ring order and the point count of each ring.
    """
    sizes = np.array([len(p) for p in polygons], dtype=np.int64)
    if not len(sizes) or not sizes.sum():
        return np.zeros((0, 2), dtype=np.float64), sizes
    pts = _ring_points(polygons, int(sizes.sum()))
    ends = np.cumsum(sizes)
    starts = ends - sizes
    nxt = np.arange(len(pts)) + 1
    nxt[ends - 1] = starts
    delta = pts[nxt] - pts
    counts = np.maximum(1, np.ceil(np.hypot(delta[:, 0], delta[:, 1]) / step).astype(np.int64))

    # first every 4th candidate and each edge's middle one; on edges found bent, every 2nd
    edge_s, k_s = _candidates(counts, np.arange(len(pts)), 4, 0)
    has_mid = (counts >= 2) & ((counts // 2) % 4 != 0)
    edge_s = np.concatenate([edge_s, np.flatnonzero(has_mid)])
    k_s = np.concatenate([k_s, counts[has_mid] // 2])
    sample_src = _edge_points(pts, delta, counts, edge_s, k_s)
    mapped = np.asarray(point_map(np.concatenate([pts, sample_src])), np.float64).reshape(-1, 2)
    vertex, sample = mapped[: len(pts)], mapped[len(pts) :]
    bent_sample = _bend(sample, vertex[edge_s], vertex[nxt[edge_s]], frame) > tolerance
    bent = np.zeros(len(pts), bool)
    bent[edge_s[bent_sample]] = True
    kept = bent[edge_s]
    edge_2, k_2 = _candidates(counts, np.flatnonzero(bent), 4, 2)
    skip = k_2 == counts[edge_2] // 2  # already mapped as the middle one
    edge_2, k_2 = edge_2[~skip], k_2[~skip]
    sample_2 = np.asarray(
        point_map(_edge_points(pts, delta, counts, edge_2, k_2)), dtype=np.float64
    ).reshape(-1, 2)
    edge_s = np.concatenate([edge_s[kept], edge_2])
    k_s = np.concatenate([k_s[kept], k_2])
    sample = np.concatenate([sample[kept], sample_2])
    key_span = int(counts.max()) + 1  # sort key edge * key_span + k: ring, then edge order
    keys = [np.arange(len(pts)) * key_span]
    points = [vertex]

    # odd candidates between neighbouring kept points of bent edges
    e_k, k_k, p_k = edge_s, k_s, sample
    ends_e = np.flatnonzero(bent)
    nodes = np.argsort(
        np.concatenate([ends_e * key_span, e_k * key_span + k_k, ends_e * key_span + counts[ends_e]]),
        kind="stable",
    )
    node_e = np.concatenate([ends_e, e_k, ends_e])[nodes]
    node_k = np.concatenate([np.zeros(len(ends_e), np.int64), k_k, counts[ends_e]])[nodes]
    node_p = np.concatenate([vertex[ends_e], p_k, vertex[nxt[ends_e]]])[nodes]
    # a smooth bend's sag over half a chord is a quarter of it: where the kept point between
    # two neighbours lies within 2 tolerances of their chord, the odd points beside it lie
    # within half a tolerance and are not mapped (a crease shows up as a large local bend)
    inner = np.flatnonzero((node_e[1:-1] == node_e[:-2]) & (node_e[1:-1] == node_e[2:])) + 1
    local = np.full(len(node_e) + 1, np.inf)
    local[inner] = _bend(node_p[inner], node_p[inner - 1], node_p[inner + 1], frame)
    steep = local > 2 * tolerance
    gap = (node_e[:-1] == node_e[1:]) & (node_k[1:] - node_k[:-1] == 2)
    gap &= steep[:-2] | steep[1:-1]
    # every other sample may go where it lies within the tolerance of its neighbours' chord
    # and no odd point is tried beside it (alternate ones, so no two neighbours go)
    starts_n = np.flatnonzero(node_k == 0)
    position = np.arange(len(node_e)) - np.repeat(starts_n, np.diff(np.append(starts_n, len(node_e))))
    near_gap = np.zeros(len(node_e), bool)
    near_gap[:-1] |= gap
    near_gap[1:] |= gap
    drop = (local[:-1] <= tolerance) & (position % 2 == 1) & ~near_gap
    emit = (node_k > 0) & (node_k < counts[node_e]) & ~drop
    keys.append(node_e[emit] * key_span + node_k[emit])
    points.append(node_p[emit])
    if gap.any():
        e_g, k_g = node_e[:-1][gap], node_k[:-1][gap] + 1
        mid_src = _edge_points(pts, delta, counts, e_g, k_g)
        mid = np.asarray(point_map(mid_src), dtype=np.float64).reshape(-1, 2)
        off = _bend(mid, node_p[:-1][gap], node_p[1:][gap], frame) > tolerance
        keys.append(e_g[off] * key_span + k_g[off])
        points.append(mid[off])

    all_keys = np.concatenate(keys)
    order = np.argsort(all_keys, kind="stable")
    ring_of_vertex = np.repeat(np.arange(len(sizes)), sizes)
    ring_sizes = np.bincount(ring_of_vertex[all_keys // key_span], minlength=len(sizes))
    return np.concatenate(points)[order], ring_sizes


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
    new.__dict__ = {**obj.__dict__, **changes}
    return new


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

    line_slots = [(slot(ln.polygon), [slot(wd.polygon) for wd in ln.words]) for ln in page.lines]
    block_slots = [slot(b.polygon) for b in page.blocks]
    table_slots = [(slot(t.polygon), [slot(c.polygon) for c in t.cells]) for t in page.tables]
    field_slots = [(slot(f.key_polygon), slot(f.value_polygon)) for f in page.fields]

    present = [i for i, p in enumerate(polygons) if p]
    moved: list[tuple[Polygon, float]] = [([], 0.0)] * len(polygons)
    line_rings: dict[int, np.ndarray] = {}
    if tolerance is None and warp_record is not None:
        tolerance = warp_record.get("label_tolerance")
    if present:
        rings = [polygons[i] for i in present]
        if tolerance is not None and densify_step > 0:
            mapped, sizes = map_rings_adaptive(
                rings, densify_step, float(tolerance), point_map, (float(w), float(h))
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
        inside = (x >= 0) & (x <= w) & (y >= 0) & (y <= h)
        all_inside = np.logical_and.reduceat(inside, starts)
        flip = twice_area < 0
        if flip.any():  # counter-clockwise rings run backwards: index -> start + end - 1 - index
            ring_of = np.repeat(np.arange(len(sizes)), sizes)
            order = np.arange(len(mapped))
            back = flip[ring_of]
            order[back] = (starts + ends - 1)[ring_of[back]] - order[back]
            mapped = mapped[order]
        vis = np.ones(len(present))
        for j in np.flatnonzero(~all_inside):
            vis[j] = _visible_fraction(mapped[starts[j] : ends[j]], w, h, twice_area[j])
        # clamping onto the frame leaves points inside untouched, so it can run on all of them
        rounded = np.clip(mapped, [0, 0], [w, h]).round(2)
        flat = rounded.tolist()
        ring_of_slot = {}
        for j, (i, s, e, v) in enumerate(
            zip(present, starts.tolist(), ends.tolist(), vis.tolist(), strict=True)
        ):
            moved[i] = (flat[s:e], v)
            ring_of_slot[i] = j
        for ls, _ in line_slots:
            if ls in ring_of_slot:
                j = ring_of_slot[ls]
                line_rings[ls] = rounded[starts[j] : ends[j]]
    quads = dict(zip(line_rings, _quads(list(line_rings.values())), strict=True))

    lines = []
    for ln, (ls, ws) in zip(page.lines, line_slots, strict=True):
        poly, vis_line = moved[ls]
        words = [
            _with(wd, polygon=moved[s][0], visible=round(wd.visible * moved[s][1], 4))
            for wd, s in zip(ln.words, ws, strict=True)
        ]
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
    return replace(
        page,
        image=image,
        lines=lines,
        blocks=blocks,
        tables=tables,
        fields=flds,
        warp=warp_record if warp_record is not None else page.warp,
    )
