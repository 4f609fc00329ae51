"""Framing: how much of the frame the page takes, and how small its text may get.

A phone photo has far more pixels than a rendered page at 100 dpi: real photos of documents
show body text 20-40 px tall. Placing the rendered page at `zoom` [0.7, 1] in a canvas of its
own size after a tilted camera shrank wild lines to a median of ~15 px (the smallest 10 %
under 11 px), below what anyone reads once blur is added.

A `place` step may state `min_text_px`: the short side of the smallest lines (the page's
10th-percentile line band, measured on the flat page and passed in as `text_px`) should come
out at least this many pixels tall. The page's share of the frame (`zoom` over `canvas`) stays
as drawn; when the text would come out smaller, canvas, zoom and offset are all multiplied by
one factor: the camera has more pixels, the framing is the same. The factor is capped
(`MAX_MAGNIFY`, the output's long side at `MAX_SIDE` and its area at `MAX_PIXELS`) so a
worker's memory stays bounded: the warp holds ~35 bytes a pixel at its peak, so a 9.7 MP wild
frame added ~330 MiB to a worker while 6 MP adds ~200 (7 MP since the bench's pages got
smaller text: at 6 MP 77-82 % of wild lines reached 20 px, at 7 MP with wild's page filling
more of the frame 91-93 %; ~+35 MiB a worker at the peak). The local
scale of the steps before `place` (curl, fold, camera tilt) is measured on a lattice of the
flat page; its 10th percentile stands for the page's most shrunk text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

MAX_MAGNIFY = 2.5
MAX_SIDE = 4096  # px, the output's long side after magnifying
MAX_PIXELS = 7_000_000  # the output's area after magnifying (a 12 MP phone photo, ~halved)
_LATTICE = 9  # points per side of the flat page where the local scale is measured
_PROBE = 4.0  # px on the flat page between the two points of a scale probe


def vertical_scale(
    forward: Callable[[np.ndarray], np.ndarray], width: int, height: int
) -> float:
    """10th percentile over a lattice of the flat page of how much the map stretches a short
    vertical step (the direction across text lines)."""
    xs = np.linspace(0.1, 0.9, _LATTICE) * width
    ys = np.linspace(0.1, 0.9, _LATTICE) * height
    gx, gy = np.meshgrid(xs, ys)
    top = np.stack([gx.ravel(), gy.ravel()], axis=1)
    moved = forward(np.concatenate([top, top + [0.0, _PROBE]]))
    n = len(top)
    stretch = np.hypot(*(moved[n:] - moved[:n]).T) / _PROBE
    stretch = stretch[np.isfinite(stretch)]
    return float(np.percentile(stretch, 10)) if len(stretch) else 1.0


def magnify_place(
    place: dict[str, Any], text_px: float, min_text_px: float, before_scale: float
) -> dict[str, Any]:
    """The place record with canvas, zoom and offset scaled so text of `text_px` (flat page,
    shrunk by `before_scale` before placing) comes out at least `min_text_px` tall."""
    out_px = text_px * before_scale * float(place["zoom"])
    if min_text_px <= 0 or text_px <= 0 or out_px <= 0 or out_px >= min_text_px:
        return place
    cw, ch = place["canvas"]
    factor = min(min_text_px / out_px, MAX_MAGNIFY, MAX_SIDE / max(cw, ch, 1),
                 (MAX_PIXELS / max(cw * ch, 1)) ** 0.5)
    if factor <= 1.0:
        return place
    return {
        **place,
        "canvas": [int(round(cw * factor)), int(round(ch * factor))],
        "zoom": round(float(place["zoom"]) * factor, 4),
        "offset": [round(float(v) * factor, 2) for v in place["offset"]],
        "magnify": round(factor, 4),
    }


def page_text_px(rings: list[list[list[float]]]) -> float:
    """10th percentile of the band thickness of a page's line polygons (0 without lines)."""
    from warping.legibility import band_thickness

    bands = band_thickness(rings)
    bands = bands[bands > 0]
    return float(np.percentile(bands, 10)) if len(bands) else 0.0
