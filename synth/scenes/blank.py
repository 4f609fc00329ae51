"""Text-free pages (negative samples): paper, rules, boxes and fills, but no character at all.

HunyuanOCR answers an image without text with "没有文字"; a model only learns that answer (and
to not invent text in rules and borders) from images that really hold none. `generate` draws
a configurable share of its samples from this scene (`no_text:` in the run config).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.page import Page
from synth.render import PRINT_INKS, PageSpec, RenderContext, apply_background, sample_background
from synth.scenes.kit import draw_graphics


def _graphics(rng: np.random.Generator, w: int, h: int) -> list[dict[str, Any]]:
    """A few rules, frames and fills like an empty form, a blank ruled sheet or a border."""
    out: list[dict[str, Any]] = []
    for _ in range(int(rng.integers(0, 9))):
        kind = ("line", "rect", "fill", "dashes")[int(rng.integers(4))]
        ink = [int(c) for c in PRINT_INKS[int(rng.integers(len(PRINT_INKS)))]]
        x0, x1 = sorted(float(v) for v in rng.uniform(0.04, 0.96, 2) * w)
        y0, y1 = sorted(float(v) for v in rng.uniform(0.04, 0.96, 2) * h)
        if kind in ("line", "dashes"):
            out.append({"kind": kind, "points": [[round(x0, 1), round(y0, 1)],
                                                 [round(x1, 1), round(y0, 1)]],
                        "colour": ink, "thickness": int(rng.integers(1, 3))})
        elif kind == "rect":
            out.append({"kind": "rect", "box": [round(v, 1) for v in (x0, y0, x1, y1)],
                        "colour": ink, "thickness": int(rng.integers(1, 3))})
        else:
            grey = [int(v) for v in rng.integers(200, 246, 3)]
            out.append({"kind": "fill", "box": [round(v, 1) for v in (x0, y0, x1, y1)],
                        "colour": grey})
    return out


def sample(spec: PageSpec, rng: np.random.Generator, ctx: RenderContext) -> dict[str, Any]:
    info = ctx.language(spec.language)
    w, h = int(spec.width), int(spec.height)
    return {
        "scene": "blank",
        "language": info.code,
        "script": info.script,
        "direction": info.direction,
        "width": w,
        "height": h,
        "background": sample_background(rng, w, h),  # no user images: they may hold text
        "graphics": _graphics(rng, w, h),
    }


def apply(record: dict[str, Any], ctx: RenderContext) -> Page:
    w, h = int(record["width"]), int(record["height"])
    canvas = apply_background(record["background"], w, h)
    draw_graphics(canvas, record["graphics"])
    return Page(image=canvas, language=record["language"], script=record["script"],
                direction=record["direction"], scene="blank")
