"""Radial lens distortion: barrel (cheap wide lenses, webcams) or pincushion (tele adapters).

One radial term about the frame centre, written in the backward direction so the pixel grid
is a closed form: a point at normalised radius r of the output comes from radius
r (1 + k1 r^2) of the frame before (r = distance / half-diagonal). k1 > 0 bows straight lines
outwards (barrel), k1 < 0 inwards (pincushion). The map stays injective while
1 + 3 k1 r^2 > 0 over every point the grid evaluates (|k1| <= 0.15 and r < 1.4 keep it); the
forward map (the start of the labels' exact inverse) solves the cubic by fixed point.
Labels follow through the stage's one grid, like every geometric step.
"""

from __future__ import annotations

import numpy as np

from warping import params as P
from warping.params import Ranges
from warping.steps import GeometricStep, Record, SurfaceFields, register


def _centre_and_scale(record: Record) -> tuple[np.ndarray, float]:
    w, h = record["frame"]
    return np.array([w / 2.0, h / 2.0]), float(np.hypot(w, h)) / 2.0


class Lens(GeometricStep):
    """Barrel or pincushion distortion about the frame centre."""

    name = "lens"
    defaults = {"k1": [0.0, 0.06]}

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return {"k1": P.signed(rng, ranges["k1"], 4)}

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        centre, half = _centre_and_scale(record)
        d = (np.asarray(pts, np.float64).reshape(-1, 2) - centre) / half
        r2 = (d * d).sum(axis=1, keepdims=True)
        return centre + d * (1.0 + float(record["k1"]) * r2) * half, None

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        centre, half = _centre_and_scale(record)
        src = (np.asarray(pts, np.float64).reshape(-1, 2) - centre) / half
        k = float(record["k1"])
        out = src.copy()
        for _ in range(max(2, iterations) * 2):  # out (1 + k |out|^2) = src
            r2 = (out * out).sum(axis=1, keepdims=True)
            out = src / (1.0 + k * r2)
        return centre + out * half


STEPS = {"lens": Lens()}
register(STEPS["lens"])
