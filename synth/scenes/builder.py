"""`Builder`: collects the drawing orders of a stage record while a scene lays itself out.

Scenes write positions as if the page ran left to right; `Builder.record` mirrors every x
(shapes, regions, line anchors) on right-to-left pages, so an Arabic screen has its back arrow,
avatars and bubbles on the other side, while text itself is shaped right to left by the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.linebreak import phrase_spans
from synth.money import money_format
from synth.rng import child_rng
from synth.scenes import kit
from synth.scenes.form import make_content
from synth.scenes.stage import region_order

MIRROR_ANCHOR = {"left": "right", "right": "left", "center": "center"}


class Builder:
    """Orders of one page: shapes, lines (in reading order), regions, blocks, fields."""

    def __init__(self, spec: Any, rng: np.random.Generator, ctx: Any, width: int, height: int,
                 font: str = "sans") -> None:
        info = ctx.language(spec.language)
        self.ctx, self.rng, self.spec = ctx, rng, spec
        self.code, self.script, self.rtl = info.code, info.script, info.direction == "rtl"
        self.width, self.height, self.font = int(width), int(height), font
        self.graphics: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        self.regions: list[dict[str, Any]] = []
        self.blocks: list[dict[str, Any]] = []
        self.fields: list[dict[str, Any]] = []
        self.source, self.label = make_content(spec, child_rng(rng, "builder"), ctx, font)
        self.money = money_format(self.code, self.script, rng, self.source.digits)

    # -- measuring -----------------------------------------------------------------------
    def metrics(self, size: float, font: str | None = None) -> tuple[int, int]:
        return kit.metrics(self.ctx, self.code, size, font or self.font)

    def width_of(self, text: str, size: float, bold: bool = False, font: str | None = None) -> float:
        return kit.width_of(self.ctx, self.code, text, size, font or self.font, bold)

    def fit(self, text: str, size: float, max_width: float, bold: bool = False, font: str | None = None) -> str:
        return kit.fit(self.ctx, self.code, text, size, max(8.0, max_width), font or self.font, bold)

    def wrap(self, text: str, size: float, max_width: float, font: str | None = None) -> list[str]:
        style = kit.style_for(self.ctx, self.code, size, font or self.font)
        return [t for t in self.ctx.engine.wrap(text, style, max(16.0, max_width)) if t.strip()]

    def sentence(self, max_words: int = 12) -> str:
        """A run of whole corpus words (ICU's breaks in scripts without spaces, its dictionary
        words for Han and Japanese, so a Thai or Chinese phrase never starts or ends inside a
        word): drawn text, so a truthful label."""
        for _ in range(4):  # prefer a body paragraph over a short "Article 5" heading
            text = kit.paragraph(self.ctx, self.code, kit.paragraph_index(self.rng, self.ctx, self.code))
            if len(text) > 40:
                break
        spans = phrase_spans(text, self.code, self.script)
        if not spans:
            return text.strip()
        start = int(self.rng.integers(0, max(1, len(spans) - 2)))
        count = int(self.rng.integers(2, max_words + 1))
        end = spans[min(len(spans), start + count) - 1][1]
        return text[spans[start][0] : end].strip(" ,;:，、；：")

    def word(self) -> str:
        return self.source.word()

    def digits(self, text: str) -> str:
        return self.source.number(text)

    # -- emitting ------------------------------------------------------------------------
    def text(self, text: str, x: float, baseline: float, size: float, *, anchor: str = "left",
             colour: Any = (20, 20, 20), role: str = "paragraph", bold: bool = False,
             font: str | None = None, **extra: Any) -> int:
        """One line order; returns its index (empty text is skipped: returns -1)."""
        if not text.strip():
            return -1
        order = kit.line_order(text, x, baseline, size, anchor=anchor, font=font or self.font,
                               colour=colour, role=role, bold=bold)
        order.update({k: v for k, v in extra.items() if v is not None})
        self.lines.append(order)
        return len(self.lines) - 1

    def text_box(self, text: str, box: list[float], size: float, *, anchor: str = "left", **kw: Any) -> int:
        """A line vertically centred in `box` (x0, y0, x1, y1), anchored left, right or centre."""
        ascent, descent = self.metrics(size, kw.get("font"))
        baseline = (box[1] + box[3]) / 2 + (ascent - descent) / 2
        x = {"left": box[0], "right": box[2], "center": (box[0] + box[2]) / 2}[anchor]
        return self.text(text, x, baseline, size, anchor=anchor, **kw)

    def shape(self, kind: str, **order: Any) -> None:
        self.graphics.append({"kind": kind, **order})

    def region(self, kind: str, box: list[float], text: str = "", **attributes: Any) -> None:  # noqa: D102
        self.regions.append(region_order(kind, box, text=text, **attributes))

    def block(self, role: str, indices: list[int]) -> None:
        kept = [i for i in indices if i >= 0]
        if kept:
            self.blocks.append({"role": role, "lines": kept})

    def field(self, key_line: int, value_line: int, kind: str = "text") -> None:
        if key_line >= 0 and value_line >= 0:
            self.fields.append({"key": self.lines[key_line]["text"], "value": self.lines[value_line]["text"],
                                "key_line": key_line, "value_line": value_line, "kind": kind})
            self.block("field", [key_line, value_line])

    # -- the record ----------------------------------------------------------------------
    def record(self, background: dict[str, Any], **more: Any) -> dict[str, Any]:
        graphics, lines, regions = self.graphics, self.lines, self.regions
        if self.rtl:
            graphics = [mirror_shape(g, self.width) for g in graphics]
            lines = [dict(o, x=round(self.width - o["x"], 2), anchor=MIRROR_ANCHOR[o["anchor"]]) for o in lines]
            regions = [dict(r, box=mirror_box(r["box"], self.width)) if "box" in r else r for r in regions]
        return {"scene": self.spec.scene, "language": self.code, "width": self.width,
                "height": self.height, "background": background, "graphics": graphics,
                "lines": lines, "regions": regions, "blocks": self.blocks, "fields": self.fields,
                "mirrored": self.rtl, **more}


def mirror_box(box: list[float], width: float) -> list[float]:
    return kit.box(width - box[2], box[1], width - box[0], box[3])


def mirror_shape(g: dict[str, Any], width: float) -> dict[str, Any]:
    out = dict(g)
    if "box" in g:
        out["box"] = mirror_box(g["box"], width)
    if "centre" in g:
        out["centre"] = [round(width - g["centre"][0], 2), g["centre"][1]]
    if "points" in g:
        out["points"] = [[round(width - x, 2), y] for x, y in g["points"]]
        if g["kind"] == "dashes":  # drawn from the left end
            out["points"] = sorted(out["points"])
    return out


def grey(theme: dict[str, Any]) -> list[int]:
    return list(theme["muted"])
