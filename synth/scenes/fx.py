"""Display text: outlines, shadows, gradient fills, and lines bent along arcs, waves or angles.

A line with effects is drawn by the text engine into a flat coverage mask (the same shaped
pieces a plain line gets), then optionally moved into the page by one analytic point map
(`path`: arc, wave or rotate) whose exact inverse drives `cv2.remap`, so pixels and polygons
move together; the label polygons are the flat ink boxes (grown by the outline) densified and
mapped by the forward map, so they follow the curved baseline. Effects are composited shadow,
outline, fill — the label covers the glyphs and their outline, not the soft shadow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from synth.geometry import map_rings
from synth.opencv import cv2
from synth.page import Line, Word, box_polygon, min_area_quad
from synth.text.paint import blend_colour

PATH_STEP = 4.0  # px between polygon points on a bent line
Map = Callable[[np.ndarray], np.ndarray]


def path_maps(path: dict[str, Any], anchor: tuple[float, float]) -> tuple[Map, Map]:
    """(forward, backward) point maps of a path: flat line coordinates (x along the baseline,
    y down) to page coordinates and back. `anchor` is the flat point that stays put (the middle
    of the baseline)."""
    ax, ay = anchor
    kind = path["kind"]
    if kind == "arc":  # signed radius: > 0 arches up (centre below), < 0 sags (centre above)
        radius = float(path["radius"])
        cx, cy = ax, ay + radius

        def forward(pts: np.ndarray) -> np.ndarray:
            pts = np.asarray(pts, np.float64).reshape(-1, 2)
            theta = (pts[:, 0] - ax) / radius
            r = radius - (pts[:, 1] - ay)
            return np.stack([cx + r * np.sin(theta), cy - r * np.cos(theta)], axis=1)

        def backward(pts: np.ndarray) -> np.ndarray:
            pts = np.asarray(pts, np.float64).reshape(-1, 2)
            dx, dy = pts[:, 0] - cx, pts[:, 1] - cy
            r = math.copysign(1.0, radius) * np.hypot(dx, dy)
            safe = np.where(np.abs(r) < 1e-9, 1e-9, r)
            theta = np.arctan2(dx / safe, -dy / safe)
            return np.stack([ax + theta * radius, ay + radius - r], axis=1)

        return forward, backward
    if kind == "wave":
        amp, length, phase = float(path["amplitude"]), float(path["wavelength"]), float(path["phase"])

        def offset(x: np.ndarray) -> np.ndarray:
            return amp * np.sin(2 * math.pi * (x - ax) / length + phase)

        def forward(pts: np.ndarray) -> np.ndarray:
            pts = np.asarray(pts, np.float64).reshape(-1, 2)
            return np.stack([pts[:, 0], pts[:, 1] + offset(pts[:, 0])], axis=1)

        def backward(pts: np.ndarray) -> np.ndarray:
            pts = np.asarray(pts, np.float64).reshape(-1, 2)
            return np.stack([pts[:, 0], pts[:, 1] - offset(pts[:, 0])], axis=1)

        return forward, backward
    if kind == "rotate":
        angle = math.radians(float(path["angle"]))
        c, s = math.cos(angle), math.sin(angle)

        def forward(pts: np.ndarray) -> np.ndarray:
            d = np.asarray(pts, np.float64).reshape(-1, 2) - (ax, ay)
            return np.stack([ax + c * d[:, 0] - s * d[:, 1], ay + s * d[:, 0] + c * d[:, 1]], axis=1)

        def backward(pts: np.ndarray) -> np.ndarray:
            d = np.asarray(pts, np.float64).reshape(-1, 2) - (ax, ay)
            return np.stack([ax + c * d[:, 0] + s * d[:, 1], ay - s * d[:, 0] + c * d[:, 1]], axis=1)

        return forward, backward
    raise ValueError(f"unknown text path {kind!r}")


def _grown(box: tuple[float, float, float, float], by: float) -> list[list[float]]:
    x0, y0, x1, y1 = box
    return box_polygon(x0 - by, y0 - by, x1 + by, y1 + by)


def draw_fx_line(engine: Any, canvas: np.ndarray, layout: Any, origin: tuple[float, float],
                 order: dict[str, Any], line_index: int) -> Line:
    """Draw a line with `order["fx"]` effects and/or `order["path"]`; return its label."""
    fx = order.get("fx") or {}
    outline = int(fx.get("outline", [0])[0])
    shadow = fx.get("shadow")
    geometry = engine.line_geometry(layout, origin)
    label = engine.line_label(layout, geometry, role=order["role"], line_index=line_index)
    sdx, sdy = (int(shadow[0]), int(shadow[1])) if shadow else (0, 0)
    pad = outline + max(abs(sdx), abs(sdy)) + 3
    x0, y0, x1, y1 = geometry.box
    ox, oy = math.floor(x0) - pad, math.floor(y0) - pad
    mask = np.zeros((math.ceil(y1) - oy + pad, math.ceil(x1) - ox + pad), np.uint8)
    engine.draw_line(mask, layout, (origin[0] - ox, origin[1] - oy), colour=(255,))
    polys = [_grown(geometry.box, outline)]
    polys += [_grown((p[0][0], p[0][1], p[2][0], p[2][1]), outline) for p in
              (w.polygon for w in label.words)]
    local = [[[x - ox, y - oy] for x, y in poly] for poly in polys]
    path = order.get("path")
    if path:
        anchor = (origin[0] + layout.advance / 2 - ox, origin[1] - oy)
        forward, backward = path_maps(path, anchor)
        mask, (mx, my) = _remap(mask, forward, backward)
        bent, _ = map_rings(local, forward, None, PATH_STEP)  # the one point mapper
        moved = [[[round(x + ox, 2), round(y + oy, 2)] for x, y in ring] for ring, _ in bent]
        ox, oy = ox + mx, oy + my
    else:
        moved = [[[x + ox, y + oy] for x, y in poly] for poly in local]
    _composite(canvas, mask, ox, oy, order, outline, (sdx, sdy))
    polygon, *word_polys = moved
    label.polygon, label.quad = polygon, min_area_quad(polygon)
    label.words = [Word(text=w.text, polygon=p, line_index=line_index)
                   for w, p in zip(label.words, word_polys, strict=True)]
    return label


def _remap(mask: np.ndarray, forward: Map, backward: Map) -> tuple[np.ndarray, tuple[int, int]]:
    """The flat mask moved by the path: the output mask and its top-left in flat coordinates."""
    h, w = mask.shape
    edge = np.concatenate([
        np.stack([np.linspace(0, w, 24), np.zeros(24)], 1), np.stack([np.linspace(0, w, 24), np.full(24, h)], 1),
        np.stack([np.zeros(12), np.linspace(0, h, 12)], 1), np.stack([np.full(12, w), np.linspace(0, h, 12)], 1),
    ])
    out = forward(edge)
    bx0, by0 = np.floor(out.min(axis=0)).astype(int) - 2
    bx1, by1 = np.ceil(out.max(axis=0)).astype(int) + 2
    gx, gy = np.meshgrid(np.arange(bx0, bx1, dtype=np.float64), np.arange(by0, by1, dtype=np.float64))
    src = backward(np.stack([gx.ravel(), gy.ravel()], 1)).astype(np.float32)
    map_x = src[:, 0].reshape(gx.shape)
    map_y = src[:, 1].reshape(gx.shape)
    moved = cv2.remap(mask, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return moved, (int(bx0), int(by0))


def _composite(canvas: np.ndarray, mask: np.ndarray, ox: int, oy: int, order: dict[str, Any],
               outline: int, shadow: tuple[int, int]) -> None:
    fx = order.get("fx") or {}
    if fx.get("shadow"):
        soft = cv2.GaussianBlur(mask, (0, 0), 1.2)
        _blend(canvas, soft, ox + shadow[0], oy + shadow[1], fx["shadow"][2])
    if outline > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * outline + 1, 2 * outline + 1))
        _blend(canvas, cv2.dilate(mask, kernel), ox, oy, fx["outline"][1])
    gradient = fx.get("gradient")
    if gradient:
        _blend_gradient(canvas, mask, ox, oy, gradient[0], gradient[1])
    else:
        _blend(canvas, mask, ox, oy, order["colour"])


def _clip(canvas: np.ndarray, mask: np.ndarray, x: int, y: int) -> tuple[np.ndarray, int, int] | None:
    ih, iw = canvas.shape[:2]
    mh, mw = mask.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(iw, x + mw), min(ih, y + mh)
    if x1 <= x0 or y1 <= y0:
        return None
    return np.ascontiguousarray(mask[y0 - y : y1 - y, x0 - x : x1 - x]), x0, y0


def _blend(canvas: np.ndarray, mask: np.ndarray, x: int, y: int, colour: Any) -> None:
    cut = _clip(canvas, mask, x, y)
    if cut is not None:
        blend_colour(canvas, cut[1], cut[2], cut[0], [int(c) for c in colour])


def _blend_gradient(canvas: np.ndarray, mask: np.ndarray, x: int, y: int, top: Any, bottom: Any) -> None:
    """Fill colour running from `top` to `bottom` over the rows of the ink."""
    cut = _clip(canvas, mask, x, y)
    if cut is None:
        return
    alpha, x0, y0 = cut
    rows = np.nonzero(alpha.max(axis=1))[0]
    if len(rows) == 0:
        return
    t = np.clip((np.arange(alpha.shape[0]) - rows[0]) / max(1, rows[-1] - rows[0]), 0, 1)[:, None, None]
    colour = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    region = canvas[y0 : y0 + alpha.shape[0], x0 : x0 + alpha.shape[1]].astype(np.float32)
    canvas[y0 : y0 + alpha.shape[0], x0 : x0 + alpha.shape[1]] = np.clip(
        region * (1 - a) + colour * a + 0.5, 0, 255).astype(np.uint8)
