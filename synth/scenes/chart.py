"""Chart scene: one plot (bar, line, pie, scatter) or flowchart on paper, cropped close to it.

Plots come from `synth.chart` (matplotlib), flowcharts from `synth.flowchart` (boxes and arrows
drawn here, texts by the text engine). Every text of the chart is a label line (role
`chart-...`), the chart itself one Region of kind "chart" whose attributes hold the data and the
target (a Markdown table, or Mermaid for a flowchart), and one Block of role "chart"/"flowchart"
holding its lines. `place_chart` is shared with the document scene, which puts charts between
paragraphs with a caption.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np

from synth.chart import CHART_TYPES, chart_markdown, draw_chart, sample_chart
from synth.linebreak import break_segments, grapheme_clusters
from synth.page import Block, Line, Page, Region, Word, min_area_quad
from synth.render import PageSpec, RenderContext, apply_background, pick, sample_background
from synth.text import clean_text, face_name

KINDS = (*CHART_TYPES, "flowchart")


CJK_SCRIPTS = frozenset({"Hans", "Hant", "Hani", "Jpan", "Hira", "Kana"})
UNSPACED_SCRIPTS = frozenset({"Thai", "Laoo", "Khmr", "Mymr", "Tibt"})


def _letters(text: str) -> list[str]:
    """Runs of letters and marks (punctuation, digits and spaces split them)."""
    runs, current = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LM":
            current.append(ch)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def chart_words(ctx: RenderContext, code: str, limit: int = 80) -> list[str]:
    """Words of the language's corpus that its script face draws alone (letters only, 2-12
    characters), in corpus order; cached per worker. Han and kana runs, written without
    spaces, are cut into two-character pieces."""
    key = ("chart-words", code)
    if key in ctx.memo:
        return ctx.memo[key]
    face = ctx.chain(code, "sans")[0]
    script = ctx.language(code).script
    cjk = script in CJK_SCRIPTS
    words: list[str] = []
    for paragraph in ctx.text(code).paragraphs[:60]:
        text = clean_text(paragraph)
        if cjk:
            pieces = [run[i: i + 2] for run in _letters(text) for i in range(0, len(run) - 1, 2)]
        elif script in UNSPACED_SCRIPTS:  # dictionary breaks (Thai, Lao, Khmer, Myanmar...)
            pieces = [w for seg in break_segments(text, code) for w in _letters(seg)]
        else:
            pieces = _letters(text)
        for word in pieces:
            clusters = grapheme_clusters(word)
            if not 2 <= len(clusters) <= 12 or word in words:
                continue
            if all(ctx.registry.covers(face, c) for c in clusters):
                words.append(word)
        if len(words) >= limit:
            break
    ctx.memo[key] = words
    return words


def number_face(ctx: RenderContext, code: str) -> Any:
    """The first face of the language's chain that draws ASCII digits, '.', '%' and space."""
    for face in ctx.chain(code, "sans"):
        if all(ctx.registry.covers(face, c) for c in "0123456789.% "):
            return face
    return ctx.chain("en", "sans")[0]


def sample_chart_record(rng: np.random.Generator, ctx: RenderContext, code: str, width: int,
                        kind: str | None = None) -> dict[str, Any]:
    """Everything one chart needs: kind, data and texts, pixel size, text size."""
    kind = kind or pick(rng, KINDS)
    height = int(width * rng.uniform(0.55, 0.8))
    words = chart_words(ctx, code)
    if kind == "flowchart":
        from synth.flowchart import sample_flowchart

        data = sample_flowchart(rng, words)
    else:
        data = sample_chart(rng, words, kind)
        word_face = ctx.chain(code, "sans")[0]
        data["percent_in_label"] = all(ctx.registry.covers(word_face, c) for c in "0123456789% ")
    return {"kind": kind, "data": data, "width": int(width), "height": height,
            "text_size": round(float(rng.uniform(9.0, 13.0)) * width / 560, 1)}


def place_chart(canvas: np.ndarray, ctx: RenderContext, code: str, chart: dict[str, Any],
                origin: tuple[int, int], first_line: int) -> tuple[list[Line], Region, Block]:
    """Draw `chart` with its top-left at `origin`; its lines are numbered from `first_line`."""
    info = ctx.language(code)
    x, y = origin
    if chart["kind"] == "flowchart":
        from synth.flowchart import draw_flowchart

        lines, target = draw_flowchart(canvas, ctx, code, chart, origin, first_line)
    else:
        word_face, num_face = ctx.chain(code, "sans")[0], number_face(ctx, code)
        rgba, texts = draw_chart(chart["data"], chart["width"], chart["height"],
                                 (word_face.path, word_face.index),
                                 (num_face.path, num_face.index), chart["text_size"])
        _composite(canvas, rgba, x, y)
        texts.sort(key=lambda t: (t.role != "title", round(t.polygon[0][1] / 8), t.polygon[0][0]))
        lines = []
        for k, t in enumerate(texts):
            polygon = [[px + x, py + y] for px, py in t.polygon]
            face = word_face if t.words_font else num_face
            lines.append(Line(
                text=t.text, polygon=polygon, quad=min_area_quad(polygon), language=info.code,
                script=info.script if t.words_font else "Zyyy",
                direction=info.direction if t.words_font else "ltr", font=face_name(face),
                font_family=str(face.family), role=f"chart-{t.role}",
                size=float(chart["text_size"]) * 100 / 72,
                words=[Word(text=t.text, polygon=polygon, line_index=first_line + k)]))
        target = chart_markdown(chart["data"])
    box = [[float(x), float(y)], [float(x + chart["width"]), float(y)],
           [float(x + chart["width"]), float(y + chart["height"])],
           [float(x), float(y + chart["height"])]]
    indices = list(range(first_line, first_line + len(lines)))
    region = Region(kind="chart", polygon=box, text="", attributes={
        "chart_type": chart["kind"], "target": target, "data": chart["data"],
        "line_indices": indices, "engine": "matplotlib" if chart["kind"] != "flowchart" else "cv2"})
    role = "flowchart" if chart["kind"] == "flowchart" else "chart"
    return lines, region, Block(role=role, polygon=box, line_indices=indices)


def _composite(canvas: np.ndarray, rgba: np.ndarray, x: int, y: int) -> None:
    h, w = rgba.shape[:2]
    H, W = canvas.shape[:2]
    h, w = min(h, H - y), min(w, W - x)
    alpha = rgba[:h, :w, 3:4].astype(np.float32) / 255.0
    under = canvas[y: y + h, x: x + w].astype(np.float32)
    canvas[y: y + h, x: x + w] = np.round(
        under * (1 - alpha) + rgba[:h, :w, :3].astype(np.float32) * alpha).astype(np.uint8)


def sample(spec: PageSpec, rng: np.random.Generator, ctx: RenderContext) -> dict[str, Any]:
    info = ctx.language(spec.language)
    kind = spec.options.get("chart_type")
    width = int(min(spec.width - 40, rng.integers(420, 900)))
    chart = sample_chart_record(rng, ctx, info.code, width, kind)
    pad = [int(v) for v in rng.integers(8, 48, size=4)]
    w = min(int(spec.width), chart["width"] + pad[0] + pad[2])
    h = min(int(spec.height), chart["height"] + pad[1] + pad[3])
    return {"scene": "chart", "language": info.code, "script": info.script,
            "direction": info.direction, "width": w, "height": h,
            "background": sample_background(rng, w, h), "chart": chart,
            "origin": [min(pad[0], w - chart["width"]), min(pad[1], h - chart["height"])]}


def apply(record: dict[str, Any], ctx: RenderContext) -> Page:
    w, h = int(record["width"]), int(record["height"])
    canvas = apply_background(record["background"], w, h)
    x, y = (max(0, int(v)) for v in record["origin"])
    lines, region, block = place_chart(canvas, ctx, record["language"], record["chart"], (x, y), 0)
    return Page(image=canvas, language=record["language"], script=record["script"],
                direction=record["direction"], scene="chart", lines=lines, regions=[region],
                blocks=[block])
