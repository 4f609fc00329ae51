"""Flowcharts: a sampled small graph drawn directly (boxes, a decision diamond, arrows), with its
Mermaid source as the target.

The graph is a top-down chain of steps, sometimes with one decision whose second branch goes to
a side step; node texts are words of the page's language, drawn by the text engine so every
script shapes correctly and every node text is a label line. The Mermaid target lists the nodes
(ids A, B, ... in drawing order, shapes: `("..")` start/end, `[".."]` step, `{".."}` decision)
and then the edges, with each label exactly the text drawn in its box.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from synth.page import Line
from synth.render import RenderContext

SHAPES = ("round", "rect", "diamond")
_MERMAID = {"round": '("{}")', "rect": '["{}"]', "diamond": '{{"{}"}}'}


def sample_flowchart(rng: np.random.Generator, words: list[str]) -> dict[str, Any]:
    """Nodes (id, text, shape, column, row) and edges [from, to] of a small flowchart."""
    n = int(rng.integers(3, 6))
    order = [str(w) for w in rng.permutation(words)] * 3  # few words: repeat rather than fail
    nodes = []
    for k in range(n):
        count = int(rng.integers(1, 3))
        text = " ".join(order[:count])
        del order[:count]
        shape = "round" if k in (0, n - 1) else "rect"
        nodes.append({"id": chr(ord("A") + k), "text": text, "shape": shape, "col": 0, "row": k})
    edges = [[nodes[k]["id"], nodes[k + 1]["id"]] for k in range(n - 1)]
    if n >= 4 and rng.random() < 0.6:
        k = int(rng.integers(1, n - 2))
        nodes[k]["shape"] = "diamond"
        side = {"id": chr(ord("A") + n), "text": order[0], "shape": "rect", "col": 1, "row": k}
        nodes.append(side)
        edges.append([nodes[k]["id"], side["id"]])
    return {"kind": "flowchart", "nodes": nodes, "edges": edges,
            "ink": [int(v) for v in rng.integers(0, 60, 3)],
            "fill": bool(rng.random() < 0.5)}


def mermaid(data: dict[str, Any], texts: dict[str, str]) -> str:
    """Mermaid source: nodes in id order with the drawn texts, then edges."""
    out = ["flowchart TD"]
    for node in data["nodes"]:
        label = texts[node["id"]].replace('"', "#quot;")
        out.append(f"    {node['id']}{_MERMAID[node['shape']].format(label)}")
    out.extend(f"    {a} --> {b}" for a, b in data["edges"])
    return "\n".join(out)


def draw_flowchart(canvas: np.ndarray, ctx: RenderContext, code: str, chart: dict[str, Any],
                   origin: tuple[int, int], first_line: int) -> tuple[list[Line], str]:
    """Draw the flowchart into `canvas` at `origin`; return its node lines and Mermaid."""
    from synth.scenes import draw_labelled_line
    from synth.scenes.kit import fit, style_for

    data = chart["data"]
    x0, y0 = origin
    w, h = int(chart["width"]), int(chart["height"])
    rows = max(n["row"] for n in data["nodes"]) + 1
    cols = max(n["col"] for n in data["nodes"]) + 1
    cell_w, cell_h = w / cols, h / rows
    size = max(10, int(min(chart["text_size"] * 100 / 72 * 1.2, cell_h * 0.3)))
    style = style_for(ctx, code, size)
    ascent, descent = ctx.engine.metrics(style)
    ink = tuple(int(v) for v in data["ink"])
    boxes: dict[str, tuple[float, float, float, float]] = {}
    lines: list[Line] = []
    texts: dict[str, str] = {}
    for node in data["nodes"]:
        room = cell_w * (0.55 if node["shape"] == "diamond" else 0.8)
        text = fit(ctx, code, node["text"], size, room)
        advance = ctx.engine.width(text, style)
        cx = x0 + cell_w * (node["col"] + 0.5)
        cy = y0 + cell_h * (node["row"] + 0.5)
        half_w = advance / 2 + size * (1.6 if node["shape"] == "diamond" else 0.8)
        half_h = (ascent + descent) / 2 + size * (0.9 if node["shape"] == "diamond" else 0.5)
        half_h = min(half_h, cell_h * 0.4)
        boxes[node["id"]] = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
        _shape(canvas, node["shape"], boxes[node["id"]], ink, bool(data["fill"]))
        layout = ctx.engine.layout_line(text, style)
        baseline = cy + (ascent - descent) / 2
        start = cx + advance / 2 - layout.advance if style.direction == "rtl" else cx - advance / 2
        lines.append(draw_labelled_line(ctx.engine, canvas, layout, (start, baseline), colour=ink,
                                        role="chart-node", line_index=first_line + len(lines)))
        texts[node["id"]] = text
    for a, b in data["edges"]:
        _arrow(canvas, boxes[a], boxes[b], ink)
    return lines, mermaid(data, texts)


def _shape(canvas: np.ndarray, shape: str, box: tuple[float, float, float, float],
           ink: tuple[int, ...], fill: bool) -> None:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    if shape == "diamond":
        pts = np.array([[cx, y0], [x1, cy], [cx, y1], [x0, cy]], np.int32)
    elif shape == "round":
        r = max(2, (y1 - y0) // 2)
        pts = cv2.ellipse2Poly((x0 + r, cy), (r, r), 0, 90, 270, 10)
        pts = np.concatenate([pts, cv2.ellipse2Poly((x1 - r, cy), (r, r), 0, -90, 90, 10)])
    else:
        pts = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.int32)
    if fill:
        cv2.fillPoly(canvas, [pts], (236, 240, 248))
    cv2.polylines(canvas, [pts], True, ink, 2, cv2.LINE_AA)


def _arrow(canvas: np.ndarray, a: tuple[float, float, float, float],
           b: tuple[float, float, float, float], ink: tuple[int, ...]) -> None:
    """Down from a's bottom to b's top, or right from a's side to b's side (side branch)."""
    if b[1] >= a[3]:
        start = ((a[0] + a[2]) / 2, a[3])
        end = ((b[0] + b[2]) / 2, b[1])
    else:
        start = (a[2], (a[1] + a[3]) / 2)
        end = (b[0], (b[1] + b[3]) / 2)
    p, q = tuple(int(round(v)) for v in start), tuple(int(round(v)) for v in end)
    length = max(1.0, float(np.hypot(q[0] - p[0], q[1] - p[1])))
    cv2.arrowedLine(canvas, p, q, ink, 2, cv2.LINE_AA, tipLength=min(0.4, 12 / length))
