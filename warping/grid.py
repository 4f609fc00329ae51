"""One coarse backward grid per sample: the pixel map and the exact label map both come from it.

Coordinates are continuous pixel coordinates (pixel i covers [i, i+1), its centre is i + 0.5),
the convention of the label tree. Grid node (row r, col c) sits at output point
((c - pad + 0.5) * step, (r - pad + 0.5) * step) and holds the source point the composed backward
map sends it to. Between nodes the map is bilinear. That bilinear function *is* the pixel map:
`cv2.resize` (float, INTER_LINEAR) reproduces it exactly at full resolution because the node
positions are chosen to match resize's pixel-centre convention. Labels use the numerical inverse
of the same bilinear function (per-point Newton), so pixels and polygons cannot drift apart.

The grid extends `pad` nodes beyond the output frame on each side, so points that leave the frame
(partial crops) still invert to positions outside it instead of being clamped.

This module holds the grid and its label side (evaluation, the Newton inverse); pulling pixels
through it (the window the page reaches, band by band) is `warping.remap`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synth.opencv import cv2

BackwardMap = Callable[[np.ndarray], np.ndarray]
CONVERGED = 1e-9  # px: a point stops iterating once both residual components are below this


@dataclass(frozen=True)
class CoarseGrid:
    """Source positions of a padded lattice of output points (the composed backward map)."""

    step: int
    pad: int
    width: int  # output frame size in pixels
    height: int
    source: np.ndarray  # (rows, cols, 2) float64 source x, y per node

    @property
    def frame_nodes(self) -> tuple[int, int]:
        """Nodes covering the frame: (rows, cols) = ceil(size / step)."""
        return -(-self.height // self.step), -(-self.width // self.step)

    def frame_source(self) -> np.ndarray:
        """The in-frame nodes only: the 1/step resolution backward map (for dewarp labels)."""
        rows, cols = self.frame_nodes
        p = self.pad
        return self.source[p : p + rows, p : p + cols]


def node_positions(count: int, pad: int, step: int) -> np.ndarray:
    return (np.arange(count, dtype=np.float64) - pad + 0.5) * step


def build_grid(backward: BackwardMap, width: int, height: int, step: int, pad: int) -> CoarseGrid:
    """Evaluate the backward map on the padded lattice of one output frame."""
    rows = -(-height // step) + 2 * pad
    cols = -(-width // step) + 2 * pad
    xs = node_positions(cols, pad, step)
    ys = node_positions(rows, pad, step)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    src = np.asarray(backward(pts), dtype=np.float64).reshape(rows, cols, 2)
    return CoarseGrid(step=step, pad=pad, width=width, height=height, source=src)


def upsample_nodes(grid: CoarseGrid, values: np.ndarray, reduce: int = 1) -> np.ndarray:
    """Per-node values (rows, cols[, c]) -> frame resolution / `reduce`, bilinear like the
    pixel map (at reduce=1 exactly the function the labels invert).

    One node of margin on each side lets resize interpolate (never clamp) at the frame edge.
    """
    if grid.pad < 1:
        raise ValueError("upsampling needs at least one node of padding")
    if grid.step % reduce:
        raise ValueError(f"reduce {reduce} must divide the grid step {grid.step}")
    rows, cols = grid.frame_nodes
    s, p = grid.step // reduce, grid.pad
    sub = np.ascontiguousarray(values[p - 1 : p + rows + 1, p - 1 : p + cols + 1], np.float32)
    full = cv2.resize(sub, ((cols + 2) * s, (rows + 2) * s), interpolation=cv2.INTER_LINEAR)
    h, w = -(-grid.height // reduce), -(-grid.width // reduce)
    return np.ascontiguousarray(full[s : s + h, s : s + w])


def cell_coefficients(
    grid: CoarseGrid, rows: slice = slice(None), cols: slice = slice(None)
) -> np.ndarray:
    """Per cell, the bilinear patch as p0 + a*pa + b*pb + a*b*pab: (cells, 8) float64; with
    `rows`/`cols` (cell index slices) only for that window of cells, row-major.

    One gather of 8 numbers per point instead of four gathers of corner values.
    """
    r0, r1, _ = rows.indices(grid.source.shape[0] - 1)
    c0, c1, _ = cols.indices(grid.source.shape[1] - 1)
    src = grid.source[r0 : r1 + 1, c0 : c1 + 1]
    v00, v01, v10, v11 = src[:-1, :-1], src[:-1, 1:], src[1:, :-1], src[1:, 1:]
    coef = np.concatenate([v00, v01 - v00, v10 - v00, v11 - v10 - v01 + v00], axis=2)
    return np.ascontiguousarray(coef.reshape(-1, 8))


def planar_cell_coefficients(grid: CoarseGrid, rows: slice, cols: slice) -> np.ndarray:
    """`cell_coefficients(grid, rows, cols).T` as a contiguous (8, cells) table, written plane
    by plane (same arithmetic, same bits): the (cells, 8) concatenate and its transposed copy
    cost ~2.8 ms on a whole wild lattice, this ~0.4."""
    r0, r1, _ = rows.indices(grid.source.shape[0] - 1)
    c0, c1, _ = cols.indices(grid.source.shape[1] - 1)
    src = np.moveaxis(grid.source[r0 : r1 + 1, c0 : c1 + 1], 2, 0)  # (2, rows + 1, cols + 1)
    v00, v01, v10, v11 = src[:, :-1, :-1], src[:, :-1, 1:], src[:, 1:, :-1], src[:, 1:, 1:]
    out = np.empty((4, 2, r1 - r0, c1 - c0))
    out[0] = v00
    np.subtract(v01, v00, out=out[1])
    np.subtract(v10, v00, out=out[2])
    np.subtract(v11, v10, out=out[3])
    out[3] -= v01
    out[3] += v00
    return out.reshape(8, -1)


def _evaluate_with_jacobian(
    grid: CoarseGrid, q: np.ndarray, coef: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear value and Jacobian (N, 2 [src x, y], 2 [d/dx, d/dy]) at output points q.

    Local cell coordinates may leave [0, 1] beyond the lattice: the outermost cells extrapolate.
    """
    coef = cell_coefficients(grid) if coef is None else coef
    rows, cols = grid.source.shape[:2]
    u = q[:, 0] / grid.step - 0.5 + grid.pad
    v = q[:, 1] / grid.step - 0.5 + grid.pad
    i = np.clip(np.floor(u), 0, cols - 2).astype(np.int64)
    j = np.clip(np.floor(v), 0, rows - 2).astype(np.int64)
    a, b = (u - i)[:, None], (v - j)[:, None]
    c = coef[j * (cols - 1) + i]
    p0, pa, pb, pab = c[:, 0:2], c[:, 2:4], c[:, 4:6], c[:, 6:8]
    value = p0 + a * pa + b * pb + (a * b) * pab
    jac = np.stack([pa + b * pab, pb + a * pab], axis=2) / grid.step
    return value, jac


def evaluate(grid: CoarseGrid, q: np.ndarray) -> np.ndarray:
    """The bilinear backward map at arbitrary output points (N, 2) -> source points (N, 2)."""
    value, _ = _evaluate_with_jacobian(grid, np.asarray(q, dtype=np.float64).reshape(-1, 2))
    return value


class GridInverse:
    """Forward point map: for source points p, the output points q with grid(q) = p.

    Newton steps on the bilinear map, started from `guess(p)` (the steps' own forward maps,
    already within a fraction of a pixel) or, without a guess and for any point that does not
    converge, from the nearest nodes of a KD-tree over every other node's source position.
    """

    def __init__(
        self,
        grid: CoarseGrid,
        iterations: int = 12,
        tolerance: float = 1e-3,
        guess: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.grid = grid
        self.iterations = iterations
        self.tolerance = tolerance
        self.guess = guess
        # coefficients of the window of cells the first points start in (plus a margin),
        # or of every cell once a point leaves it: the whole padded lattice took ~1.1 ms a
        # page to tabulate, about twice what the labels' cells need
        self._coef: np.ndarray | None = None
        self._window = (0, 0, 0, 0)  # first cell row, first cell col, rows, cols
        self._tree: Any = None
        self.last_max_residual = 0.0
        self.last_fallbacks = 0

    def _nodes(self) -> tuple[Any, np.ndarray]:
        if self._tree is None:
            from scipy.spatial import cKDTree

            rows, cols = self.grid.source.shape[:2]
            xs = node_positions(cols, self.grid.pad, self.grid.step)
            ys = node_positions(rows, self.grid.pad, self.grid.step)
            gx, gy = np.meshgrid(xs[::2], ys[::2])
            self._node_out = np.stack([gx.ravel(), gy.ravel()], axis=1)
            self._tree = cKDTree(self.grid.source[::2, ::2].reshape(-1, 2))
        return self._tree, self._node_out

    def _tabulate(self, q: np.ndarray | None) -> None:
        """Coefficients for the cells around points q (None: for every cell)."""
        g = self.grid
        rows, cols = g.source.shape[0] - 1, g.source.shape[1] - 1
        if q is None or not len(q):
            r0, c0, r1, c1 = 0, 0, rows, cols
        else:
            margin = 3  # cells: Newton from a sub-pixel guess stays in or next to its cell
            u = q[:, 0] / g.step - 0.5 + g.pad
            v = q[:, 1] / g.step - 0.5 + g.pad
            c0 = int(np.clip(np.floor(np.nanmin(u)) - margin, 0, cols - 1))
            c1 = int(np.clip(np.floor(np.nanmax(u)) + margin + 1, c0 + 1, cols))
            r0 = int(np.clip(np.floor(np.nanmin(v)) - margin, 0, rows - 1))
            r1 = int(np.clip(np.floor(np.nanmax(v)) + margin + 1, r0 + 1, rows))
        # planar (8, cells): `take` of whole columns gives contiguous rows to compute with
        self._coef = planar_cell_coefficients(g, slice(r0, r1), slice(c0, c1))
        self._window = (r0, c0, r1 - r0, c1 - c0)

    def _newton(self, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Newton on the points still above `CONVERGED` only (most converge in two steps from
        the guess), on compact per-coordinate arrays; the bilinear patch and its Jacobian come
        from the cell's 8 coefficients."""
        g = self.grid
        rows, cols = g.source.shape[:2]
        inv_step, shift = 1.0 / g.step, g.pad - 0.5
        limit = 2.0 * g.step  # damp huge steps (a near-singular cell) to at most two cells
        out = np.array(q, dtype=np.float64)
        resid_norm = np.zeros(len(p))
        active = np.arange(len(p))
        qx, qy = out[:, 0].copy(), out[:, 1].copy()
        px, py = p[:, 0].copy(), p[:, 1].copy()
        # points already recorded but still carried (not yet compacted away); their further
        # steps change nothing recorded: numpy works element by element
        retired: np.ndarray | None = None
        for it in range(self.iterations + 1):
            u = qx * inv_step
            u += shift
            v = qy * inv_step
            v += shift
            i = np.clip(np.floor(u), 0, cols - 2)
            j = np.clip(np.floor(v), 0, rows - 2)
            a, b = u - i, v - j
            r0, c0, w_rows, w_cols = self._window
            if (
                self._coef is None
                or i.min() < c0 or i.max() >= c0 + w_cols
                or j.min() < r0 or j.max() >= r0 + w_rows
            ):  # fmt: skip
                self._tabulate(None)  # a point left the window: every cell from now on
                r0, c0, w_rows, w_cols = self._window
            j -= r0
            j *= w_cols
            j += i
            j -= c0
            c = self._coef.take(j.astype(np.intp), axis=1)  # (8, n): x0 y0 xa ya xb yb xab yab
            ab = a * b
            rx = c[0] + a * c[2] + b * c[4] + ab * c[6] - px
            ry = c[1] + a * c[3] + b * c[5] + ab * c[7] - py
            done = np.maximum(np.abs(rx), np.abs(ry)) < CONVERGED
            if it == self.iterations:
                done[:] = True
            if retired is not None:
                done &= ~retired
            if done.any():
                finished = active[done]
                resid_norm[finished] = np.hypot(rx[done], ry[done])
                out[finished, 0], out[finished, 1] = qx[done], qy[done]
                keep = ~done if retired is None else ~(done | retired)
                left = int(np.count_nonzero(keep))
                if left == 0:
                    break
                if left * 8 < len(keep) * 7:
                    active = active[keep]
                    qx, qy, px, py = qx[keep], qy[keep], px[keep], py[keep]
                    a, b, rx, ry, c = a[keep], b[keep], rx[keep], ry[keep], c[:, keep]
                    retired = None
                else:  # a few finished: carrying them costs less than compacting every array
                    retired = ~keep
            # Jacobian d(src)/d(q) = [[xa + b xab, xb + a xab], [ya + b yab, yb + a yab]] / step
            j00 = c[2] + b * c[6]
            j01 = c[4] + a * c[6]
            j10 = c[3] + b * c[7]
            j11 = c[5] + a * c[7]
            det = (j00 * j11 - j01 * j10) * (inv_step * inv_step)
            if np.abs(det).min() < 1e-12:  # rare: skip the pass otherwise
                det = np.where(np.abs(det) < 1e-12, 1e-12, det)
            dx = (j11 * rx - j01 * ry) * inv_step / det
            dy = (j00 * ry - j10 * rx) * inv_step / det
            if max(-dx.min(), dx.max(), -dy.min(), dy.max()) > limit / np.sqrt(2.0):
                norm = np.hypot(dx, dy)  # damping, only when some step may exceed the limit
                scale = np.where(norm > limit, limit / np.maximum(norm, 1e-12), 1.0)
                dx *= scale
                dy *= scale
            qx -= dx
            qy -= dy
        return out, resid_norm

    def __call__(self, points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(p) == 0:
            return p.copy()
        if self.guess is not None:
            start = np.asarray(self.guess(p), np.float64)
            start = np.where(np.isfinite(start), start, 0.0)
        else:
            tree, nodes = self._nodes()
            start = nodes[tree.query(p, k=1)[1]]
        if self._coef is None:
            self._tabulate(start if self.guess is not None else None)
        best_q, best_r = self._newton(p, start.copy())
        bad = np.flatnonzero(best_r > self.tolerance)
        self.last_fallbacks = len(bad)
        if len(bad):  # retry from the nearest nodes
            tree, nodes = self._nodes()
            _, idx = tree.query(p[bad], k=4)
            for attempt in range(4):
                q, r = self._newton(p[bad], nodes[idx[:, attempt]].copy())
                better = r < best_r[bad]
                best_q[bad[better]], best_r[bad[better]] = q[better], r[better]
        self.last_max_residual = float(best_r.max(initial=0.0))
        return best_q
