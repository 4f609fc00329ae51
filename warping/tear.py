"""Torn edges and holes: the paper itself loses pieces, and the text on them.

A geometric step by its nature (what it removes is on the flat page and moves with it) that
moves no point: its backward and forward maps are the identity, and it gives the stage a
`paper_mask` on the flat page (255 paper, 0 gone). The stage lays that mask into the page's
alpha, so the table (or the scanner lid) shows through holes and beyond torn edges, and light
steps that stay on the paper stay off them. Every line, word and region loses the share of its
flat outline that is gone from `visible` (`warping.hiding`), and with it `legible`.

Cuts (clockwise rings, flat page px, recorded): punched binder holes (2-3 circles along one
edge), ragged holes (a jagged blob) and torn corners (a jagged tear from one edge to the
next). The step must be the first geometric step, so its frame is the flat page.
"""

from __future__ import annotations

import numpy as np

from synth.opencv import cv2
from synth.page import make_clockwise
from warping import params as P
from warping.params import Ranges
from warping.steps import GeometricStep, Record, SurfaceFields, register

KINDS = ("punch", "hole", "corner")


def _ring(pts: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 2), round(float(y), 2)] for x, y in make_clockwise(pts)]


def _punches(rng: np.random.Generator, w: int, h: int, short: float) -> list[list[list[float]]]:
    side = P.integer(rng, [0, 3])
    count = P.integer(rng, [2, 3])
    r = P.uniform(rng, [0.012, 0.02]) * short
    inset = P.uniform(rng, [0.03, 0.05]) * short
    length = w if side in (0, 2) else h
    t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    out = []
    for k in range(count):
        along = length * (0.5 + (k - (count - 1) / 2) * 0.3)
        cx, cy = {0: (along, inset), 1: (w - inset, along), 2: (along, h - inset),
                  3: (inset, along)}[side]  # fmt: skip
        out.append(_ring(np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)))
    return out


def _ragged(rng: np.random.Generator, w: int, h: int, short: float) -> list[list[float]]:
    r = P.uniform(rng, [0.02, 0.06]) * short
    cx, cy = P.uniform(rng, [0.1 * w, 0.9 * w], 2), P.uniform(rng, [0.1 * h, 0.9 * h], 2)
    t = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    radius = r * (1.0 + 0.35 * (rng.random(20) - 0.5))
    return _ring(np.stack([cx + radius * np.cos(t), cy + radius * np.sin(t)], axis=1))


def _corner(rng: np.random.Generator, w: int, h: int, short: float) -> list[list[float]]:
    """A corner torn off along a jagged line from one edge to the adjacent one."""
    corner = P.integer(rng, [0, 3])
    a, b = (P.uniform(rng, [0.08, 0.3]) * short for _ in range(2))
    cx, cy = [(0, 0), (w, 0), (w, h), (0, h)][corner]
    sx, sy = [(1, 1), (-1, 1), (-1, -1), (1, -1)][corner]
    start, end = np.array([cx + sx * a, cy]), np.array([cx, cy + sy * b])
    n = 14
    s = np.linspace(0, 1, n)[1:-1, None]
    path = start + (end - start) * s
    normal = np.array([-(end - start)[1], (end - start)[0]]) / max(np.hypot(*(end - start)), 1e-6)
    jag = (rng.random(n - 2) - 0.5) * 0.12 * min(a, b)
    path = path + jag[:, None] * normal
    return _ring(np.vstack([[cx, cy], start, path, end]))


def sample_tear(r: Ranges, rng: np.random.Generator, w: int, h: int) -> Record:
    short = float(min(w, h))
    kinds = list(r["kind"])
    cuts: list[list[list[float]]] = []
    drawn = []
    for _ in range(P.integer(rng, r["count"])):
        kind = P.choice(rng, kinds)
        drawn.append(kind)
        if kind == "punch":
            cuts.extend(_punches(rng, w, h, short))
        elif kind == "hole":
            cuts.append(_ragged(rng, w, h, short))
        else:
            cuts.append(_corner(rng, w, h, short))
    return {"kinds": drawn, "cuts": cuts}


def cut_mask(record: Record, shape: tuple[int, int]) -> np.ndarray:
    """255 where the paper is gone (flat page px), 0 where it is."""
    mask = np.zeros(shape, np.uint8)
    rings = [np.round(np.asarray(c, np.float64) * 4).astype(np.int32) for c in record["cuts"]]
    if rings:
        cv2.fillPoly(mask, rings, 255, cv2.LINE_AA, shift=2)
    return mask


class Tear(GeometricStep):
    """Holes and torn edges: the identity map plus a paper mask (see the module doc)."""

    name = "tear"
    defaults = {"count": [1, 2], "kind": list(KINDS)}
    choices = frozenset({"kind"})
    integers = frozenset({"count"})

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return sample_tear(ranges, rng, width, height)

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        return np.asarray(pts, np.float64).reshape(-1, 2), None

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        return np.asarray(pts, np.float64).reshape(-1, 2)

    def paper_mask(self, record: Record, shape: tuple[int, int]) -> np.ndarray:
        return cv2.bitwise_not(cut_mask(record, shape))


STEPS = {"tear": Tear()}
register(STEPS["tear"])
