"""`game-ui`: a game screen's interface over a procedural scene — HUD numbers (score, coins,
level, timer), health/mana bars, a dialogue box with a speaker name, a menu and an item tooltip.

Numbers are drawn strings (digits of the page's numeral system where the fonts have them); bars,
portraits, slots and panels are region labels with their values (`value`, `max`) as attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.scenes import kit
from synth.scenes.builder import Builder
from synth.scenes.stage import apply_stage

PANELS = ((20, 24, 40), (40, 24, 16), (16, 40, 30), (30, 30, 30))
GOLD = (250, 210, 80)


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    width = max(int(spec.width), int(spec.height))
    height = int(round(width * 9 / 16))
    b = Builder(spec, rng, ctx, width, height, spec.font_style or "sans")
    background = {"kind": "field", "seed": int(rng.integers(0, 2**31 - 1)),
                  "colour": [int(v) for v in rng.integers(40, 170, 3)], "cells": int(rng.integers(3, 7)),
                  "spread": float(rng.uniform(30, 70)), "blocks": int(rng.integers(4, 14)),
                  "blur": round(float(rng.uniform(0.5, 3)), 2)}
    panel = kit.pick(rng, PANELS)
    size = float(np.clip(height / rng.uniform(22, 30), 14, 60))
    _hud(b, rng, size, panel)
    parts = [p for p in ("dialogue", "menu", "tooltip") if rng.random() < 0.6] or ["dialogue"]
    if "dialogue" in parts:
        _dialogue(b, rng, size, panel)
    if "menu" in parts:
        _menu(b, rng, size, panel)
    if "tooltip" in parts:
        _tooltip(b, rng, size, panel)
    return b.record(background, parts=parts, scene_group="game")


def _hud(b: Builder, rng: np.random.Generator, size: float, panel: list[int]) -> None:
    """Top-left bars with their numbers, top-right score and timer."""
    x, y = size, size
    bar_w = b.width * 0.22
    indices = []
    for name, colour in (("hp", (220, 50, 50)), ("mp", (50, 110, 230))):
        if name == "mp" and rng.random() < 0.4:
            continue
        top = int(rng.integers(50, 1000))
        value = int(rng.integers(0, top + 1))
        box = kit.box(x, y, x + bar_w, y + size * 1.2)
        b.shape("round", box=box, radius=size * 0.3, colour=[20, 20, 20])
        inner = kit.box(x + 3, y + 3, x + 3 + (bar_w - 6) * value / top, y + size * 1.2 - 3)
        if inner[2] > inner[0] + 1:
            b.shape("round", box=inner, radius=size * 0.25, colour=list(colour))
        b.region("bar", box, stat=name, value=value, max=top)
        text = b.digits(f"{value}/{top}")
        indices.append(b.text(text, x + bar_w + size * 0.4, y + size * 1.0, size * 0.8, colour=[250, 250, 250],
                              role="caption", bold=True, fx={"outline": [1, [0, 0, 0]]}))
        y += size * 1.6
    b.block("caption", indices)
    score = b.digits(f"{int(rng.integers(0, 10**int(rng.integers(2, 8)))):,}".replace(",", " "))
    right = b.width - size
    b.shape("circle", centre=[right - size * 0.6, size * 1.6], radius=size * 0.6, colour=list(GOLD))
    b.region("icon", kit.box(right - size * 1.2, size, right, size * 2.2), shape="coin")
    b.block("caption", [b.text(score, right - size * 1.6, size * 2.0, size * 1.2, anchor="right",
                               colour=list(GOLD), role="caption", bold=True, fx={"outline": [2, [30, 20, 0]]})])
    if rng.random() < 0.6:
        t = int(rng.integers(0, 3600))
        b.block("caption", [b.text(b.digits(f"{t // 60:02d}:{t % 60:02d}"), b.width / 2, size * 2.0, size * 1.1,
                                   anchor="center", colour=[250, 250, 250], role="caption", bold=True,
                                   fx={"shadow": [2, 2, [0, 0, 0]]})])


def _dialogue(b: Builder, rng: np.random.Generator, size: float, panel: list[int]) -> None:
    h = size * 5.2
    box = kit.box(b.width * 0.08, b.height - h - size, b.width * 0.92, b.height - size)
    b.shape("veil", box=box, colour=panel, alpha=0.85)
    b.shape("round", box=box, radius=size * 0.4, colour=list(GOLD), thickness=2)
    b.region("dialogue", box)
    portrait = kit.box(box[0] + size * 0.5, box[1] + size * 0.5, box[0] + size * 4.7, box[3] - size * 0.5)
    b.shape("fill", box=portrait, colour=[int(v) for v in rng.integers(60, 200, 3)])
    b.region("portrait", portrait)
    x = portrait[2] + size * 0.8
    a, d = b.metrics(size)
    name = b.text(b.fit(b.source.person_name(), size, box[2] - x), x, box[1] + size * 0.4 + a, size,
                  colour=list(GOLD), role="heading", bold=True)
    indices = [name]
    y = box[1] + size * 0.4 + a + d + size * 0.3
    for text in b.wrap(b.sentence(18), size, box[2] - x - size)[:2]:
        y += a
        indices.append(b.text(text, x, y, size, colour=[245, 245, 245], role="paragraph"))
        y += d + size * 0.2
    b.block("paragraph", indices)


def _menu(b: Builder, rng: np.random.Generator, size: float, panel: list[int]) -> None:
    count = int(rng.integers(3, 6))
    a, d = b.metrics(size)
    row = (a + d) * 1.5
    w = b.width * 0.24
    x0, y0 = b.width * 0.68, b.height * 0.22
    box = kit.box(x0, y0, x0 + w, y0 + row * count + size)
    b.shape("veil", box=box, colour=panel, alpha=0.8)
    b.shape("rect", box=box, colour=[200, 200, 210], thickness=2)
    b.region("menu", box)
    chosen = int(rng.integers(count))
    indices = []
    for k in range(count):
        top = y0 + size * 0.5 + k * row
        if k == chosen:
            b.shape("fill", box=kit.box(x0 + 4, top, x0 + w - 4, top + row), colour=[90, 90, 140])
            b.shape("poly", points=[[x0 + size * 0.5, top + row * 0.3], [x0 + size * 1.0, top + row / 2],
                                    [x0 + size * 0.5, top + row * 0.7]], colour=list(GOLD))
        indices.append(b.text_box(b.fit(b.word(), size, w - size * 2), kit.box(x0 + size * 1.4, top, x0 + w, top + row),
                                  size, colour=[240, 240, 240], role="list-item"))
    b.block("list-item", indices)


def _tooltip(b: Builder, rng: np.random.Generator, size: float, panel: list[int]) -> None:
    s = size * 0.85
    a, d = b.metrics(s)
    w = b.width * 0.26
    x0, y0 = b.width * float(rng.uniform(0.3, 0.4)), b.height * float(rng.uniform(0.2, 0.3))
    rarity = kit.pick(rng, ((240, 240, 240), (80, 200, 80), (80, 140, 250), (190, 90, 250), (250, 160, 40)))
    lines = [(b.fit(b.source.item_name(), s * 1.1, w - s, bold=True), s * 1.1, rarity, True)]
    for _ in range(int(rng.integers(1, 4))):
        stat = b.fit(b.word(), s, w * 0.6)
        lines.append((f"{stat} +{b.digits(str(int(rng.integers(1, 99))))}", s, [200, 230, 200], False))
    lines.append((b.fit(b.sentence(6), s * 0.9, w - s), s * 0.9, [170, 170, 170], False))
    h = sum((a + d) * 1.35 * ls / s for _, ls, _, _ in lines) + s
    box = kit.box(x0, y0, x0 + w, y0 + h)
    b.shape("veil", box=box, colour=[10, 10, 14], alpha=0.9)
    b.shape("rect", box=box, colour=rarity, thickness=2)
    b.region("tooltip", box)
    y = y0 + s * 0.5
    indices = []
    for text, ls, colour, bold in lines:
        la, ld = b.metrics(ls)
        y += la
        indices.append(b.text(text, x0 + s * 0.5, y, ls, colour=colour, role="paragraph", bold=bold))
        y += ld + (la + ld) * 0.35
    b.block("paragraph", indices)


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return apply_stage(record, ctx)
