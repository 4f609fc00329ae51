"""Scenes: each module turns a sampled record into a Page (see `synth.render.SCENES`).

Helpers shared by scenes live here, so every scene draws a line (printed, handwriting font, or
imitated handwriting) and labels it the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from synth.page import Line, Page, Polygon, box_polygon, map_page_geometry
from synth.text import LineLayout, TextEngine, TextStyle, face_name

HAND_POLYGON_STEP = 6.0  # px between points when a handwriting map bends a polygon


def sample_hand(rng: np.random.Generator, size: float, has_font: bool) -> dict[str, Any] | None:
    """How a handwritten line is made: a handwriting font, else imitation, else None."""
    if has_font:
        from synth.render import ACCENT_INKS, pick

        return {"kind": "font", "ink": pick(rng, ((20, 40, 140), (25, 50, 170), (25, 25, 30),
                                                    ACCENT_INKS[0]))}
    try:
        from synth.handwriting import sample_handwriting
    except ImportError:
        return None
    return {"kind": "imitation", "params": sample_handwriting(rng, size)}


def draw_labelled_line(
    engine: TextEngine,
    canvas: np.ndarray,
    layout: LineLayout,
    origin: tuple[float, float],
    *,
    colour: Sequence[int],
    role: str,
    line_index: int,
    hand: dict[str, Any] | None = None,
    line_seed: int = 0,
) -> Line:
    """Draw one laid-out line and return its label (`style` says printed or handwritten).

    Imitated handwriting draws the line into a coverage mask, distorts it with
    `synth.handwriting.apply_handwriting`, and moves the word polygons with the very point map
    that moved the ink; `line_seed` varies the distortion from line to line deterministically.
    """
    if hand is None or hand["kind"] == "font":
        ink = colour if hand is None else hand["ink"]
        geometry = engine.draw_line(canvas, layout, origin, colour=ink)
        line = engine.line_label(layout, geometry, role=role, line_index=line_index,
                                 style="printed" if hand is None else "handwritten")
        return line
    from synth.handwriting import apply_handwriting, composite_ink

    params = dict(hand["params"])
    params["jitter_seed"] = int(params["jitter_seed"]) + int(line_seed)
    geometry = engine.line_geometry(layout, origin)
    x0, y0, x1, y1 = geometry.box
    pad = 2
    ox, oy = math.floor(x0) - pad, math.floor(y0) - pad
    mask = np.zeros((math.ceil(y1) - oy + pad, math.ceil(x1) - ox + pad), np.uint8)
    engine.draw_line(mask, layout, (origin[0] - ox, origin[1] - oy), colour=(255,))
    out, forward = apply_handwriting(mask, params)
    centre = np.array([[mask.shape[1] / 2, mask.shape[0] / 2]])
    shift = np.round(forward(centre)[0] - centre[0])
    px, py = int(ox - shift[0]), int(oy - shift[1])
    composite_ink(canvas, out, params["ink"], px, py)

    label = engine.line_label(layout, geometry, role=role, line_index=line_index,
                              style="handwritten")
    label.polygon = geometry.polygon
    # the line and its words move with the ink through the one label mapper, as a warp moves them
    here = np.array([ox, oy], np.float64)
    there = np.array([px, py], np.float64)
    alone = Page(image=canvas, language=label.language, script=label.script,
                 direction=label.direction, scene="", lines=[label])
    return map_page_geometry(alone, canvas, lambda pts: forward(pts - here) + there,
                             HAND_POLYGON_STEP).lines[0]


def render_text_block(
    engine: TextEngine,
    paragraphs: Sequence[str],
    style: TextStyle,
    width: int,
    *,
    margin: int = 24,
    line_gap: float = 0.6,
    colour: Sequence[int] = (0, 0, 0),
    background: Sequence[int] = (255, 255, 255),
) -> tuple[np.ndarray, list[Line]]:
    """Paragraphs wrapped to `width` on a plain canvas sized to fit: the cleanest possible render.

    For checks that need text with nothing else on the page (OCR read-back, benchmarks).
    """
    ascent, descent = engine.text_extent(" ".join(paragraphs)[:200], style)
    pitch = (ascent + descent) * (1.0 + line_gap)
    texts = [t for p in paragraphs for t in engine.wrap(p, style, width - 2 * margin)]
    height = int(margin * 2 + pitch * len(texts)) + 1
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = np.asarray(background, np.uint8)
    lines = []
    for index, text in enumerate(texts):
        layout = engine.layout_line(text, style)
        x = width - margin - layout.advance if style.direction == "rtl" else margin
        baseline = margin + pitch * index + ascent
        geometry = engine.draw_line(canvas, layout, (x, baseline), colour=colour)
        lines.append(engine.line_label(layout, geometry, line_index=index))
    return canvas, lines


def union_box(polygons: Sequence[Polygon]) -> Polygon:
    """Axis box around several polygons (block outlines)."""
    pts = np.asarray([p for poly in polygons for p in poly], np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return []
    return box_polygon(pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())


__all__ = ["draw_labelled_line", "face_name", "render_text_block", "sample_hand", "union_box",
           "Line"]
