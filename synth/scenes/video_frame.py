"""`video-frame`: subtitles over a film/TV frame, plus a channel logo and on-screen captions.

The frame is a procedural out-of-focus colour field with blocks (people, furniture, buildings
at a distance) and a vignette; subtitles are one or two languages (the second one smaller,
below), at the bottom or top, outlined, shadowed or on a translucent box. Subtitle lines have
role `subtitle`: the "Extract the subtitles from the image." view answers with exactly those
lines, joined by newlines, in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.backgrounds import backgrounds_of
from synth.rng import child_rng
from synth.scenes import kit
from synth.scenes.builder import Builder
from synth.scenes.stage import apply_stage, background_preview, band_luminance

STYLES = ("outline", "outline", "box", "shadow")
BRIGHT = 80.0  # luma (0-255) of the frame behind a subtitle above which it gets a box
SECOND = {"en": "zh-Hans", "zh-Hans": "en", "zh-Hant": "en", "ja": "en", "ko": "en"}


def _frame(rng: np.random.Generator, width: int, height: int) -> dict[str, Any]:
    """A film frame: mostly mid to dark tones (day 40-180, night 10-80) with a lens vignette."""
    night = rng.random() < 0.4
    colour = [int(v) for v in (rng.integers(10, 80, 3) if night else rng.integers(40, 180, 3))]
    return {"kind": "field", "seed": int(rng.integers(0, 2**31 - 1)), "colour": colour,
            "cells": int(rng.integers(3, 7)), "spread": float(rng.uniform(20, 55)),
            "blocks": int(rng.integers(2, 9)), "blur": round(float(rng.uniform(4, 14)) * width / 1280, 2),
            "vignette": round(float(rng.uniform(0.2, 0.7)), 3)}


def _second_language(rng: np.random.Generator, ctx: Any, code: str) -> str | None:
    """A second subtitle language the corpus and fonts have (English under most, Chinese under
    English), or None."""
    other = SECOND.get(code, "en")
    if other == code or rng.random() < 0.55:
        return None
    try:
        ctx.text(other)
        ctx.language(other)
    except Exception:  # noqa: BLE001 - not in this build's corpus or fonts: one language only
        return None
    return other


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    width = int(spec.width) if spec.width >= spec.height else int(spec.height)
    width = max(320, width)
    height = int(round(width * 9 / 16))
    b = Builder(spec, rng, ctx, width, height, spec.font_style or "sans")
    background = _frame(child_rng(rng, "frame"), width, height)
    source = backgrounds_of(spec, ctx)  # user photos (--backgrounds) as the frame: 70 %
    if source is not None and rng.random() < 0.7:
        background = source.sample(child_rng(rng, "photo"), width, height, zoom=(1.0, 1.2))
    drawn_style = kit.pick(rng, STYLES)
    style = kit.option(spec, "subtitle_style", drawn_style, STYLES)
    where = kit.option(spec, "position", "top" if rng.random() < 0.15 else "bottom", ("top", "bottom"))
    # subtitle cap: 1/14 to 1/20 of the frame height (broadcast guides: ~1/15-1/20), never
    # under 24 px, where outlined strokes of dense CJK and Devanagari letters still stay apart
    size = float(np.clip(height / rng.uniform(14, 20), 24, 80))
    ink = kit.pick(rng, ((255, 255, 255), (255, 255, 255), (250, 230, 80), (240, 240, 240)))
    other = _second_language(rng, ctx, b.code)
    bar = _vignette(b, rng)
    if where == "bottom":  # top subtitles are used when the bottom holds burnt-in text
        _logo(b, rng, size)
        _caption(b, rng, size)
    main_lines = b.wrap(b.sentence(14), size, width * 0.82)[: int(rng.integers(1, 3))] or [b.word()]
    blocks: list[tuple[str, list[str], float]] = [(b.code, main_lines, size)]
    if other is not None:
        side = Builder(kit_spec(spec, other), child_rng(rng, "second"), ctx, width, height, b.font)
        small = size * 0.8
        blocks.append((side.code, side.wrap(side.sentence(12), small, width * 0.82)[:1] or [side.word()], small))
    rows = [(code, text, s) for code, texts, s in blocks for text in texts]
    placed = _place(ctx, b, rows, where)
    alpha = round(float(rng.uniform(0.55, 0.85)), 2)
    if "subtitle_style" not in (spec.options or {}) and style != "box":
        # outlined or shadowed white text over a bright part of the frame is what subtitle
        # guides switch to a box for: the eye (and OCR) lose the letters in the highlights
        preview = background_preview(background, width, height)
        if bar:  # the letterbox bars are black
            cut = int(bar * preview.shape[0] / height)
            preview[:cut] = 0
            preview[preview.shape[0] - cut :] = 0
        top = min(y - a for _, _, _, y, a, _ in placed)
        bottom = max(y + d for _, _, _, y, _, d in placed)
        half = max(kit.width_of(ctx, code, text, s, b.font) for code, text, s, *_ in placed) / 2
        if band_luminance(preview, width, height, top, bottom, width / 2 - half, width / 2 + half) > BRIGHT:
            style = "box"
    fx = _fx(style, size)
    indices = []
    for code, text, s, y, a, d in placed:
        if style == "box":
            w = kit.width_of(ctx, code, text, s, b.font)
            b.shape("veil", box=kit.box(width / 2 - w / 2 - s * 0.4, y - a - s * 0.15, width / 2 + w / 2 + s * 0.4,
                                        y + d + s * 0.15), colour=[0, 0, 0], alpha=alpha)
        indices.append(b.text(text, width / 2, y, s, anchor="center", colour=ink, role="subtitle",
                              language=code if code != b.code else None, fx=fx))
    b.block("subtitle", indices)
    return b.record(background, style=style, drawn_style=drawn_style, position=where,
                    second_language=other, scene_group="video")


def _place(ctx: Any, b: Builder, rows: list[tuple[str, str, float]], where: str
           ) -> list[tuple[str, str, float, float, float, float]]:
    """(language, fitted text, size, baseline, ascent, descent) of each subtitle row."""
    pitches = []
    for code, _, s in rows:
        a, d = kit.metrics(ctx, code, s, b.font)
        pitches.append((a, d, s * 0.35))
    total = sum(a + d + g for a, d, g in pitches)
    y = b.height * 0.06 if where == "top" else b.height * 0.93 - total
    out = []
    for (code, text, s), (a, d, g) in zip(rows, pitches, strict=True):
        y += a
        out.append((code, kit.fit(ctx, code, text, s, b.width * 0.9, b.font), s, y, a, d))
        y += d + g
    return out


def kit_spec(spec: Any, language: str) -> Any:
    """The spec of the second subtitle language (content drawn in that language)."""
    from synth.render import PageSpec

    return PageSpec(**{**spec.to_dict(), "language": language, "backgrounds": tuple(spec.backgrounds),
                       "font_size": tuple(spec.font_size) if spec.font_size else None})


def _fx(style: str, size: float) -> dict[str, Any] | None:
    if style == "outline":
        return {"outline": [max(1, int(round(size / 24))), [0, 0, 0]]}
    if style == "shadow":
        offset = max(1, int(round(size / 18)))
        return {"shadow": [offset, offset, [0, 0, 0]]}
    return None


def _vignette(b: Builder, rng: np.random.Generator) -> float:
    """Letterbox bars (their height, or 0)."""
    bar = 0.0
    if rng.random() < 0.5:  # letterbox bars
        bar = b.height * float(rng.uniform(0.04, 0.1))
        b.shape("fill", box=kit.box(0, 0, b.width, bar), colour=[0, 0, 0])
        b.shape("fill", box=kit.box(0, b.height - bar, b.width, b.height), colour=[0, 0, 0])
        b.region("bar", kit.box(0, 0, b.width, bar), role="letterbox")
        b.region("bar", kit.box(0, b.height - bar, b.width, b.height), role="letterbox")
    return bar


def _logo(b: Builder, rng: np.random.Generator, size: float) -> None:
    """A channel logo in a top corner: a shape, sometimes with a short bold word."""
    if rng.random() < 0.3:
        return
    s = size * 0.75
    x0, y0 = b.width * 0.03, b.height * 0.05
    word = b.fit(b.word(), s, b.width * 0.2, bold=True)
    w = b.width_of(word, s, bold=True) + s * 2.2
    box = kit.box(x0, y0, x0 + w, y0 + s * 1.8)
    b.shape("veil", box=box, colour=[0, 0, 0], alpha=round(float(rng.uniform(0.35, 0.6)), 2))
    b.shape("round", box=box, radius=s * 0.3, colour=[255, 255, 255], thickness=2)
    b.shape("circle", centre=[x0 + s * 0.8, y0 + s * 0.9], radius=s * 0.45, colour=kit.pick(rng, ((230, 40, 40), (40, 120, 230), (250, 200, 0))))
    index = b.text_box(word, kit.box(x0 + s * 1.6, y0, x0 + w, y0 + s * 1.8), s, colour=[255, 255, 255], role="caption",
                       bold=True, fx={"shadow": [1, 1, [0, 0, 0]]})
    b.region("logo", box, text=word)
    b.block("caption", [index])


def _caption(b: Builder, rng: np.random.Generator, size: float) -> None:
    """A lower-third / news caption: a coloured strip with a name or headline."""
    if rng.random() < 0.6:
        return
    s = size * 0.7
    y0 = b.height * float(rng.uniform(0.12, 0.3))
    text = b.fit(b.source.person_name() if rng.random() < 0.5 else b.sentence(5), s, b.width * 0.45)
    w = b.width_of(text, s) + s * 1.6
    colour = kit.pick(rng, ((200, 20, 30), (20, 60, 160), (20, 20, 20)))
    box = kit.box(b.width * 0.05, y0, b.width * 0.05 + w, y0 + s * 1.9)
    b.shape("fill", box=box, colour=colour)
    b.region("bar", box, role="lower-third")
    b.block("caption", [b.text_box(text, [box[0] + s * 0.8, *box[1:]], s, colour=[255, 255, 255], role="caption")])


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return apply_stage(record, ctx)
