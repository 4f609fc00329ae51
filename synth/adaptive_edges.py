"""Adaptive label densification: map only the edge points a warp's bends need.

`synth.geometry.densify` puts a point every `step` px along every edge; mapping and keeping all
of them through a numerical inverse costs more than the rest of the labels. Here those points are
candidates, mapped and kept only where the mapped outline leaves a chord by more than a
tolerance (`map_rings_adaptive`); `map_page_geometry` uses it when the warp record carries a
`label_tolerance`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from synth.geometry import PointMap, Polygon


def ring_points(polygons: list[Polygon], count: int) -> np.ndarray:
    """All rings' points as one (count, 2) array: one conversion (per-ring np.asarray +
    concatenate cost ~3 us a ring; fromiter over the flattened floats is 2x a nested list)."""
    flat = itertools.chain.from_iterable(itertools.chain.from_iterable(polygons))
    return np.fromiter(flat, np.float64, count=2 * count).reshape(-1, 2)


def _edge_points(
    pts: np.ndarray, delta: np.ndarray, counts: np.ndarray, edge: np.ndarray, k: np.ndarray
) -> np.ndarray:
    """Point k of n along each edge, computed exactly as `_densify_concat` places it."""
    return pts[edge] + delta[edge] * (k / counts[edge])[:, None]


def _chord_distance(m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each point m from the segment a-b (from a when the segment is empty)."""
    ax, ay = a[:, 0], a[:, 1]
    abx, aby = b[:, 0] - ax, b[:, 1] - ay
    amx, amy = m[:, 0] - ax, m[:, 1] - ay
    length2 = abx * abx
    length2 += aby * aby
    t = amx * abx
    t += amy * aby
    np.divide(t, length2, out=t, where=length2 > 0)  # an empty chord has t = 0 already
    np.clip(t, 0.0, 1.0, out=t)
    abx *= t
    aby *= t
    amx -= abx
    amy -= aby
    return np.hypot(amx, amy)


def _inside(points: np.ndarray, frame: tuple[float, float]) -> bool:
    return bool(
        len(points) == 0
        or (points.min() >= 0 and points[:, 0].max() <= frame[0] and points[:, 1].max() <= frame[1])
    )


def _bend(
    m: np.ndarray, a: np.ndarray, b: np.ndarray, frame: tuple[float, float] | None
) -> np.ndarray:
    """How far m lies off the chord a-b, also after clamping all three onto the frame (labels
    are clamped there, so an edge leaving the frame bends where it is clamped). Callers pass
    no frame when every point involved lies inside it."""
    dist = _chord_distance(m, a, b)
    if frame is None or not len(m):
        return dist
    box = np.array(frame, dtype=np.float64)
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
    pts = ring_points(polygons, int(sizes.sum()))
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
    clamp_frame = frame
    if frame is not None and _inside(mapped, frame):
        frame = None  # nothing to clamp among these: one test here, not one per comparison
    bent_sample = _bend(sample, vertex[edge_s], vertex[nxt[edge_s]], frame) > tolerance
    bent = np.zeros(len(pts), bool)
    bent[edge_s[bent_sample]] = True
    kept = bent[edge_s]
    edge_2, k_2 = _candidates(counts, np.flatnonzero(bent), 4, 2)
    skip = k_2 == counts[edge_2] // 2  # already mapped as the middle one
    edge_2, k_2 = edge_2[~skip], k_2[~skip]
    sample_2 = np.zeros((0, 2))
    if len(edge_2):  # a straight map bends no edge: no second call
        sample_2 = np.asarray(
            point_map(_edge_points(pts, delta, counts, edge_2, k_2)), dtype=np.float64
        ).reshape(-1, 2)
    if frame is None and clamp_frame is not None and not _inside(sample_2, clamp_frame):
        frame = clamp_frame
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
        if frame is None and clamp_frame is not None and not _inside(mid, clamp_frame):
            frame = clamp_frame
        off = _bend(mid, node_p[:-1][gap], node_p[1:][gap], frame) > tolerance
        keys.append(e_g[off] * key_span + k_g[off])
        points.append(mid[off])

    all_keys = np.concatenate(keys)
    order = np.argsort(all_keys, kind="stable")
    ring_of_vertex = np.repeat(np.arange(len(sizes)), sizes)
    ring_sizes = np.bincount(ring_of_vertex[all_keys // key_span], minlength=len(sizes))
    return np.concatenate(points)[order], ring_sizes
