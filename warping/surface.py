"""Deformations of the paper itself: curl / book bend, fold creases, crumple.

Each is defined as a backward map (output point -> point on the flat page) that is injective by
construction: curl is a monotone 1-D profile inverted by table lookup; folds and crumple are
displacements with Lipschitz constant < 1 (so `p -> p + d(p)` can never fold over itself).
Besides the source point, each also reports the surface quantity the photometric shading
needs (signed distance to a crease, slope of the bent paper).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from warping import params as P
from warping.params import Ranges
from warping.steps import GeometricStep, Record, SurfaceFields, register

TABLE_SIZE = 4097
MAX_LIPSCHITZ = 0.6  # fold/crumple displacement gradient bound (< 1 keeps the map injective)


# --- curl / book bend --------------------------------------------------------------------------


def _canonical(side: int, w: float, h: float) -> tuple[float, float]:
    """(length across the bend, length along it) for the curled side 0=right 1=left 2=bottom 3=top."""
    return (w, h) if side < 2 else (h, w)


def _to_canonical(pts: np.ndarray, side: int, w: float, h: float) -> np.ndarray:
    x, y = pts[:, 0], pts[:, 1]
    u, v = {0: (x, y), 1: (w - x, y), 2: (y, x), 3: (h - y, x)}[side]
    return np.stack([u, v], axis=1)


def _from_canonical(uv: np.ndarray, side: int, w: float, h: float) -> np.ndarray:
    u, v = uv[:, 0], uv[:, 1]
    x, y = {0: (u, v), 1: (w - u, v), 2: (v, u), 3: (v, h - u)}[side]
    return np.stack([x, y], axis=1)


def curl_profile(record: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """Arc length u -> (projected u', depth z, slope phi) tables for a bent page.

    The paper is flat up to `start` of its length, then bends (constant curvature for a
    cylinder, growing curvature for a book page) to `angle_deg` at the edge; beyond the edge the
    tangent plane continues so the map stays defined (and monotone) over the background.
    Cached per parameter set: a page asks for the same tables 3-4 times (grid, grid pad, label
    guess), ~0.4 ms each.
    """
    w, h = record["frame"]
    key = (record["kind"], int(record["side"]), float(record["start"]),
           float(record["angle_deg"]), bool(record["toward"]), float(record["focal"]),
           float(w), float(h))  # fmt: skip
    return _curl_tables(key)


@functools.lru_cache(maxsize=16)
def _curl_tables(key: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
    kind, side, start, angle_deg, toward, focal, w, h = key
    length, _ = _canonical(side, w, h)
    u0 = start * length
    u = np.linspace(-length, 2 * length, TABLE_SIZE)
    t = np.clip((u - u0) / max(length - u0, 1.0), 0.0, 1.0)
    angle = np.deg2rad(angle_deg)
    phi = angle * (t if kind == "cylinder" else t * t)
    du = u[1] - u[0]
    x = u[0] + np.concatenate([[0.0], np.cumsum((np.cos(phi[1:]) + np.cos(phi[:-1])) * du / 2)])
    z = np.concatenate([[0.0], np.cumsum((np.sin(phi[1:]) + np.sin(phi[:-1])) * du / 2)])
    z *= -1.0 if toward else 1.0  # toward the camera = closer = magnified
    f = focal * float(np.hypot(w, h))
    centre = length / 2
    projected = centre + (x - centre) * f / (f + z)
    for table in (u, projected, z, phi):
        table.flags.writeable = False  # shared by every caller of the cache
    return u, projected, z, phi, f


def _interp_extrapolate(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    out = np.interp(x, xp, fp)
    if x.min() < xp[0]:  # the table spans three page lengths: rarely left
        lo = x < xp[0]
        out[lo] = fp[0] + (x[lo] - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0])
    if x.max() > xp[-1]:
        hi = x > xp[-1]
        out[hi] = fp[-1] + (x[hi] - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return out


def curl_backward(record: dict[str, Any], pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Source points and the paper slope (radians, signed toward the camera) at each point."""
    w, h = record["frame"]
    side = record["side"]
    _, breadth = _canonical(side, w, h)
    u, projected, z, phi, f = curl_profile(record)
    uv = _to_canonical(pts, side, w, h)
    src_u = _interp_extrapolate(uv[:, 0], projected, u)
    # u is uniform: depth and slope share one index computation (two np.interp binary
    # searches over 4097 entries cost ~1 ms each on a grid); clamped at the ends like interp
    # (in place, with the tables' steps differenced once: ~30k grid nodes per page)
    frac = src_u - u[0]
    frac *= (len(u) - 1) / (u[-1] - u[0])
    np.clip(frac, 0.0, len(u) - 1.0, out=frac)
    k = frac.astype(np.intp)
    np.minimum(k, len(u) - 2, out=k)
    frac -= k
    depth = z.take(k)
    depth += frac * np.diff(z).take(k)
    vc = breadth / 2
    src_v = vc + (uv[:, 1] - vc) * (f + depth) / f
    slope = phi.take(k)
    slope += frac * np.diff(phi).take(k)
    if not record["toward"]:
        slope *= -1.0
    return _from_canonical(np.stack([src_u, src_v], axis=1), side, w, h), slope


def curl_forward(record: dict[str, Any], pts: np.ndarray) -> np.ndarray:
    """Flat page -> bent page as seen (the inverse of `curl_backward`, up to table spacing)."""
    w, h = record["frame"]
    side = record["side"]
    _, breadth = _canonical(side, w, h)
    u, projected, z, _, f = curl_profile(record)
    uv = _to_canonical(np.asarray(pts, np.float64).reshape(-1, 2), side, w, h)
    # u is uniform: one index computation serves both tables (np.interp binary-searches each)
    x = uv[:, 0]
    pos = np.clip((x - u[0]) * ((len(u) - 1) / (u[-1] - u[0])), 0.0, len(u) - 1.0)
    k = np.minimum(pos.astype(np.intp), len(u) - 2)
    frac = pos - k
    out_u = projected[k] + frac * (projected[k + 1] - projected[k])
    lo, hi = x < u[0], x > u[-1]  # beyond the table: extend its end slopes, as backward does
    out_u[lo] = projected[0] + (x[lo] - u[0]) * (projected[1] - projected[0]) / (u[1] - u[0])
    out_u[hi] = projected[-1] + (x[hi] - u[-1]) * (projected[-1] - projected[-2]) / (u[-1] - u[-2])
    depth = z[k] + frac * (z[k + 1] - z[k])
    vc = breadth / 2
    out_v = vc + (uv[:, 1] - vc) * f / (f + depth)
    return _from_canonical(np.stack([out_u, out_v], axis=1), side, w, h)


def invert_displacement(
    backward: Callable[[np.ndarray], np.ndarray], pts: np.ndarray, iterations: int = 6
) -> np.ndarray:
    """q with backward(q) = p when backward(q) = q + d(q) and d has Lipschitz constant < 1:
    the fixed point of q = p - d(q), converging geometrically (0.6^6 < 0.05 of the shift);
    good enough as a start for the exact Newton inverse on the grid."""
    q = np.asarray(pts, np.float64).reshape(-1, 2).copy()
    for _ in range(iterations):
        q = pts - (backward(q) - q)
    return q


def fold_forward(record: dict[str, Any], pts: np.ndarray, iterations: int = 6) -> np.ndarray:
    out = np.asarray(pts, np.float64).reshape(-1, 2)
    for crease in record["creases"]:  # backward undoes the last crease first
        single = {"creases": [crease]}
        out = invert_displacement(lambda q, c=single: fold_backward(c, q)[0], out, iterations)
    return out


def crumple_forward(record: dict[str, Any], pts: np.ndarray, iterations: int = 6) -> np.ndarray:
    return invert_displacement(lambda q: crumple_backward(record, q), pts, iterations)


def _curl_is_monotone(record: dict[str, Any]) -> bool:
    _, projected, _, _, _ = curl_profile(record)
    return bool(np.all(np.diff(projected) > 1e-6))


def _sample_curl(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    rec = {
        "kind": P.choice(rng, list(r["kind"])),
        "side": P.choice(rng, [int(s) for s in r["side"]]),
        "start": P.uniform(rng, r["start"], 3),
        "angle_deg": P.uniform(rng, r["angle_deg"], 2),
        "toward": bool(rng.random() < P.uniform(rng, r["toward"], 3)),
        "focal": P.uniform(rng, r["focal"], 3),
        "frame": [w, h],
    }
    while not _curl_is_monotone(rec) and rec["angle_deg"] > 1:
        rec["angle_deg"] = round(rec["angle_deg"] * 0.8, 2)
    return rec


# --- folds (DocUNet-style creases) -------------------------------------------------------------


def crease_geometry(crease: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point on the crease, unit normal, unit displacement direction)."""
    a = np.deg2rad(crease["angle_deg"])
    normal = np.array([-np.sin(a), np.cos(a)])
    d = np.deg2rad(crease["angle_deg"] + 90.0 + crease["direction_deg"])
    return np.asarray(crease["point"], float), normal, np.array([np.cos(d), np.sin(d)])


def fold_backward(record: dict[str, Any], pts: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Creases one after another; each shifts points by shift * falloff / (|t| + falloff)."""
    fields = []
    x = np.array(pts[:, 0], dtype=np.float64)  # column-wise: no (N,2) @ (2,) product
    y = np.array(pts[:, 1], dtype=np.float64)
    for crease in reversed(record["creases"]):
        point, normal, direction = crease_geometry(crease)
        falloff = crease["falloff"]
        t = (x - point[0]) * normal[0] + (y - point[1]) * normal[1]
        fields.append(t / falloff)
        weight = np.abs(t)
        weight += falloff
        np.divide(crease["shift"] * falloff, weight, out=weight)
        x += weight * direction[0]
        y += weight * direction[1]
    return np.stack([x, y], axis=1), fields[::-1]


def _sample_fold(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    short = float(min(w, h))
    creases = []
    for _ in range(P.integer(rng, r["count"])):
        vertical = rng.random() < 0.5
        diagonal = rng.random() < P.uniform(rng, r["diagonal"], 3)
        pos = P.uniform(rng, r["position"], 3)
        point = (
            [w * pos, h * float(rng.uniform(0.2, 0.8))]
            if vertical
            else [
                w * float(rng.uniform(0.2, 0.8)),
                h * pos,
            ]
        )
        angle = (90.0 if vertical else 0.0) + P.signed(rng, r["tilt_deg"], 2)
        if diagonal:
            angle += P.signed(rng, [30.0, 60.0], 2)
        falloff = P.uniform(rng, r["falloff"], 4) * short
        shift = min(P.uniform(rng, r["shift"], 4) * short, MAX_LIPSCHITZ * falloff)
        creases.append(
            {
                "point": [round(point[0], 2), round(point[1], 2)],
                "angle_deg": round(angle, 2),
                "shift": round(shift, 3) * (1 if rng.random() < 0.5 else -1),
                "direction_deg": P.signed(rng, r["direction_deg"], 2),
                "falloff": round(falloff, 3),
            }
        )
    return {"creases": creases, "frame": [w, h]}


# --- crumple (smooth random field) -------------------------------------------------------------


def crumple_backward(record: dict[str, Any], pts: np.ndarray) -> np.ndarray:
    """Sum of sine displacements. Phases are float64, their sines float32: numpy's float32
    sin is ~30x faster (35k points: 0.02 vs 0.57 ms a mode) and off by < 4e-6, i.e. < 3e-5 px
    at the largest amplitudes; labels invert the grid built from these values, so they stay
    exact. Column-wise with in-place buffers (no (N,2) @ (2,) product, no (N,2) temporaries)."""
    x = np.ascontiguousarray(pts[:, 0], dtype=np.float64)
    y = np.ascontiguousarray(pts[:, 1], dtype=np.float64)
    out_x, out_y = x.copy(), y.copy()
    phase, term = np.empty_like(x), np.empty_like(x)
    sine = np.empty(len(x), np.float32)
    for m in record["modes"]:
        wave_x, wave_y = m["wave"]
        shift_x, shift_y = m["shift"]
        np.multiply(x, 2 * np.pi * wave_x, out=phase)
        phase += np.multiply(y, 2 * np.pi * wave_y, out=term)
        phase += m["phase"]
        np.sin(phase.astype(np.float32), out=sine)
        out_x += np.multiply(sine, shift_x, out=term)
        out_y += np.multiply(sine, shift_y, out=term)
    return np.stack([out_x, out_y], axis=1)


def _sample_crumple(r: Ranges, rng: np.random.Generator, w: int, h: int) -> dict[str, Any]:
    short = float(min(w, h))
    modes, slope = [], 0.0
    for _ in range(P.integer(rng, r["modes"])):
        wavelength = P.uniform(rng, r["wavelength"], 4) * short
        theta = float(rng.uniform(0, 2 * np.pi))
        amp = P.uniform(rng, r["amplitude"], 5) * short
        psi = float(rng.uniform(0, 2 * np.pi))
        wave = np.array([np.cos(theta), np.sin(theta)]) / wavelength
        modes.append(
            {"wave": wave, "phase": float(rng.uniform(0, 2 * np.pi)), "amp": amp, "psi": psi}
        )
        slope += amp * 2 * np.pi / wavelength
    scale = min(1.0, MAX_LIPSCHITZ / slope) if slope > 0 else 1.0
    return {
        "modes": [
            {
                "wave": [round(float(m["wave"][0]), 7), round(float(m["wave"][1]), 7)],
                "phase": round(m["phase"], 4),
                "shift": [
                    round(m["amp"] * scale * float(np.cos(m["psi"])), 3),
                    round(m["amp"] * scale * float(np.sin(m["psi"])), 3),
                ],
            }
            for m in modes
        ],
        "frame": [w, h],
    }


class Curl(GeometricStep):
    """Cylinder or book bend of one side of the page (a monotone 1-D profile)."""

    name = "curl"
    defaults = {
        "kind": ["cylinder", "book"],
        "side": [0, 1, 2, 3],
        "start": [0.45, 0.8],
        "angle_deg": [15.0, 60.0],
        "toward": [0.5, 0.5],
        "focal": [1.5, 3.0],
    }
    choices = frozenset({"kind", "side"})

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return _sample_curl(ranges, rng, width, height)

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        out, slope = curl_backward(record, pts)
        return out, SurfaceFields([], slope)

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        return curl_forward(record, pts)


class Fold(GeometricStep):
    """Fold creases: a displacement across each crease line, with its signed distance field."""

    name = "fold"
    defaults = {
        "count": [1, 3],
        "position": [0.3, 0.7],
        "tilt_deg": [0.0, 4.0],
        "diagonal": [0.0, 0.2],
        "shift": [0.004, 0.015],
        "falloff": [0.03, 0.12],
        "direction_deg": [0.0, 30.0],
    }
    integers = frozenset({"count"})

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return _sample_fold(ranges, rng, width, height)

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        out, creases = fold_backward(record, pts)
        return out, SurfaceFields(list(creases), None)

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        return fold_forward(record, pts, iterations)


class Crumple(GeometricStep):
    """Low-frequency crumple: a sum of smooth displacement modes."""

    name = "crumple"
    defaults = {"modes": [4, 10], "wavelength": [0.15, 0.6], "amplitude": [0.001, 0.005]}
    integers = frozenset({"modes"})

    def sample(self, ranges: Ranges, rng: np.random.Generator, width: int, height: int) -> Record:
        return _sample_crumple(ranges, rng, width, height)

    def backward(self, record: Record, pts: np.ndarray) -> tuple[np.ndarray, SurfaceFields | None]:
        return crumple_backward(record, pts), None

    def forward(self, record: Record, pts: np.ndarray, iterations: int = 6) -> np.ndarray:
        return crumple_forward(record, pts, iterations)


STEPS = {step.name: step for step in (Curl(), Fold(), Crumple())}
for _step in STEPS.values():
    register(_step)
