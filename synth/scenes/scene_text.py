"""`scene-text`: street views — shop signs, street-name plates, licence plates and posters on a
wall, each a flat plane seen in perspective; some signs carry text bent along an arc.

The street is procedural (a wall of bricks or plaster over a pavement, blurred blocks for the
distance) unless the run has user images (`--backgrounds`, `synth.backgrounds`). Each sign is drawn flat
with the ordinary text engine and put into the page by its homography (`stage.draw_plane`),
which moves its polygons by the same map; arc text inside a sign keeps its curved polygons.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.backgrounds import backgrounds_of
from synth.scenes import kit
from synth.scenes.builder import Builder
from synth.scenes.stage import apply_stage

SIGN_COLOURS = ((250, 250, 250), (30, 60, 140), (170, 30, 40), (20, 110, 70), (250, 200, 40), (30, 30, 30))


def _background(rng: np.random.Generator, spec: Any, ctx: Any, width: int, height: int) -> dict[str, Any]:
    source = backgrounds_of(spec, ctx)  # user photos (--backgrounds): 70 % of the streets
    if source is not None and rng.random() < 0.7:
        return source.sample(rng, width, height, zoom=(1.0, 1.3))
    if rng.random() < 0.5:
        return {"kind": "bricks", "seed": int(rng.integers(0, 2**31 - 1)),
                "colour": [int(v) for v in rng.integers([120, 50, 40], [190, 100, 80])],
                "mortar": [int(v) for v in rng.integers(150, 200, 3)],
                "brick_w": round(float(rng.uniform(0.06, 0.1)) * width, 2),
                "brick_h": round(float(rng.uniform(0.025, 0.04)) * width, 2)}
    return {"kind": "field", "seed": int(rng.integers(0, 2**31 - 1)),
            "colour": [int(v) for v in rng.integers(70, 190, 3)], "cells": int(rng.integers(3, 6)),
            "spread": float(rng.uniform(20, 50)), "blocks": int(rng.integers(3, 10)),
            "blur": round(float(rng.uniform(1, 6)) * width / 1024, 2)}


def _quad(rng: np.random.Generator, x0: float, y0: float, w: float, h: float) -> list[list[float]]:
    """Where a w x h plane lands: a mild perspective (one side nearer) and a small roll."""
    yaw = float(rng.uniform(-0.18, 0.18))  # relative height change from left to right edge
    roll = float(rng.uniform(-0.05, 0.05))
    shrink_l, shrink_r = max(0.0, -yaw) * h, max(0.0, yaw) * h
    quad = [[x0, y0 + shrink_l / 2], [x0 + w, y0 + shrink_r / 2],
            [x0 + w, y0 + h - shrink_r / 2], [x0, y0 + h - shrink_l / 2]]
    cx, cy = x0 + w / 2, y0 + h / 2
    c, s = np.cos(roll), np.sin(roll)
    return [[round(cx + c * (x - cx) - s * (y - cy), 2), round(cy + s * (x - cx) + c * (y - cy), 2)] for x, y in quad]


def _sign(b: Builder, rng: np.random.Generator, kind: str, w: float, size: float) -> dict[str, Any] | None:
    """A flat sign: its own background, shapes and line orders (plane coordinates)."""
    colour = kit.pick(rng, SIGN_COLOURS)
    light = sum(colour) > 450
    ink = kit.pick(rng, ((20, 20, 20), (160, 20, 30), (20, 50, 120))) if light else [250, 250, 250]
    sub = Builder(b.spec, rng, b.ctx, int(w), 10, b.font)
    sub.source, sub.label = b.source, b.label
    if kind == "plate":  # licence plate: letters and digits, always Latin-ish letters
        text = "".join(chr(65 + int(i)) for i in rng.integers(0, 26, 2)) + " " + b.digits(
            str(int(rng.integers(100, 9999)))) + " " + "".join(chr(65 + int(i)) for i in rng.integers(0, 26, 2))
        colour, ink = [245, 245, 240], [15, 15, 15]
    else:
        text = b.source.company() if kind == "shop" else b.sentence(3) if kind == "poster" else b.source.city()
    text = sub.fit(text, size, w * 0.9, bold=True)
    a, d = sub.metrics(size)
    lines_h = a + d
    second = ""
    if kind in ("shop", "poster") and rng.random() < 0.6:
        second = sub.fit(b.source.phone() if kind == "shop" else b.sentence(5), size * 0.55, w * 0.9)
    a2, d2 = sub.metrics(size * 0.55)
    pad = size * 0.5
    h = pad * 2 + lines_h + (a2 + d2 + size * 0.2 if second else 0)
    arc = kind in ("shop", "poster") and rng.random() < 0.3
    if arc:
        h += size * 0.8
    sub.height = int(h)
    first = sub.text(text, w / 2, pad + a + (size * 0.8 if arc else 0), size, anchor="center", colour=ink,
                     role="title", bold=True,
                     path={"kind": "arc", "radius": round(float(rng.uniform(2.0, 4.0)) * w, 1)} if arc else None)
    indices = [first]
    if second:
        indices.append(sub.text(second, w / 2, pad + lines_h + (size * 0.8 if arc else 0) + size * 0.2 + a2,
                                size * 0.55, anchor="center", colour=ink, role="paragraph"))
    if kind != "plate" and rng.random() < 0.5:
        sub.shape("rect", box=kit.box(pad * 0.3, pad * 0.3, w - pad * 0.3, h - pad * 0.3), colour=ink, thickness=2)
    rec = sub.record({"kind": "flat", "colour": list(colour)})
    return {"width": int(w), "height": int(h), "background": rec["background"], "graphics": rec["graphics"],
            "lines": rec["lines"], "regions": [{"kind": kind if kind != "poster" else "poster",
                                                 "box": kit.box(0, 0, w, h), "text": "", "attributes": {}}],
            "arc": arc, "count": len(indices)}


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    width, height = int(spec.width), int(spec.height)
    if height > width * 1.1 and rng.random() < 0.6:  # street photos are mostly landscape
        width, height = height, width
    b = Builder(spec, rng, ctx, width, height, spec.font_style or kit.pick(rng, ("sans", "serif")))
    background = _background(rng, spec, ctx, width, height)
    planes: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    taken: list[tuple[float, float, float, float]] = []
    count = int(rng.integers(1, 4))
    line_count = 0
    for _ in range(count * 4):
        if len(planes) >= count:
            break
        kind = kit.pick(rng, ("shop", "shop", "street", "plate", "poster"))
        w = width * float(rng.uniform(0.3, 0.75)) * (0.45 if kind == "plate" else 1.0)
        size = float(np.clip(w / (rng.uniform(4.5, 6) if kind == "plate" else rng.uniform(7, 12)), 18, 140))
        sign = _sign(b, rng, kind, w, size)
        x0 = float(rng.uniform(0.02, 0.98)) * (width - w)
        y0 = float(rng.uniform(0.03, 0.97)) * max(1.0, height - sign["height"])
        box = (x0 - 10, y0 - 10, x0 + w + 10, y0 + sign["height"] + 10)
        if any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in taken):
            continue
        taken.append(box)
        sign["quad"] = _quad(rng, x0, y0, w, sign["height"])
        planes.append(sign)
        blocks.append({"role": "title", "lines": list(range(line_count, line_count + sign["count"]))})
        line_count += sign["count"]
    if planes:  # reading order: top to bottom
        order = sorted(range(len(planes)), key=lambda k: min(p[1] for p in planes[k]["quad"]))
        planes = [planes[k] for k in order]
        blocks, first = [], 0
        for plane in planes:
            blocks.append({"role": "title", "lines": list(range(first, first + plane["count"]))})
            first += plane["count"]
    art = [i for i, p in enumerate(planes) if p["arc"]]
    return {"scene": spec.scene, "language": b.code, "width": width, "height": height,
            "background": background, "graphics": [], "lines": [], "planes": planes, "blocks": blocks,
            "regions": [], "scene_group": "scene", "extras": {"curved_planes": art}}


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return apply_stage(record, ctx)
