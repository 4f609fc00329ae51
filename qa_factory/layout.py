"""The layout view (HunyuanOCR 1.5): a page's regions in reading order, each with a category.

Categories are HunyuanOCR 1.5's (para_title, section_title, paragraph, table, table_title,
figure, figure_title, table_of_contents, header, footer) plus formula, caption, list,
handwriting and stamp where a page has them. A region is one block of the label tree; its box
is the axis box of the block outline and of every line in it, so a region always contains its
lines, also after a warp has bent them. Two wire formats, coordinates in [0, 1000]:

    text<hy-meta><layout>cat</layout><poly>(x0,y0),(x1,y0),(x1,y1),(x0,y1)</poly></hy-meta>
    [{"layout_type": cat, "bbox": [x0, y0, x1, y1], "text": ...}, ...]

A page gets the view only when every block maps to a category and is fully readable: a layout
answer that silently drops a region would teach a model to miss it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from qa_factory.formats import normalised_box, parse_json_answer, table_html
from qa_factory.markdown import join_lines
from synth.page import Block, Page, axis_box, box_polygon

LAYOUT_CATEGORIES = (
    "para_title", "section_title", "paragraph", "table", "table_title", "figure", "figure_title",
    "table_of_contents", "header", "footer", "formula", "caption", "list", "handwriting", "stamp",
)
# block role -> category. The page title is the section title of a one-page document; article
# and section headings are paragraph titles (they head the paragraphs that follow them).
ROLE_CATEGORY = {
    "title": "section_title",
    "heading": "para_title",
    "paragraph": "paragraph",
    "list-item": "list",
    "header": "header",
    "footer": "footer",
    "page-number": "footer",
    "table": "table",
    "table-caption": "table_title",
    "figure": "figure",
    "chart": "figure",
    "flowchart": "figure",
    "figure-caption": "figure_title",
    "caption": "caption",
    "formula": "formula",
    "note": "handwriting",
    "stamp": "stamp",
    "toc": "table_of_contents",
}
_HY_META = re.compile(
    r"(.*?)<hy-meta>\s*<layout>\s*([\w-]+)\s*</layout>\s*<poly>(.*?)</poly>\s*</hy-meta>", re.S
)
_POINT = re.compile(r"\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)")


@dataclass
class LayoutItem:
    category: str
    box: list[int]  # [x0, y0, x1, y1] in [0, 1000]
    text: str


def _block_text(page: Page, block: Block) -> str:
    if block.role == "table" and 0 <= block.table_index < len(page.tables):
        return table_html(page.tables[block.table_index].cells)
    if block.role in ("figure", "chart", "flowchart"):
        return ""  # a figure's inner texts are spotted lines, not running text
    lines = [page.lines[i] for i in block.line_indices if 0 <= i < len(page.lines)]
    return join_lines(lines) if lines else block.text.strip()


def _frame_fraction(box: tuple[float, float, float, float], width: int, height: int) -> float:
    x0, y0, x1, y1 = box
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    if area <= 0:
        return 0.0
    cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, width), min(y1, height)
    return max(0.0, cx1 - cx0) * max(0.0, cy1 - cy0) / area


def layout_items(page: Page, min_visible: float = 0.5) -> list[LayoutItem] | None:
    """The page's layout regions in reading order, or None when the page cannot give a
    complete and truthful answer (no blocks, an unmapped role, a half-readable region)."""
    if not page.blocks:
        return None
    in_blocks = {i for b in page.blocks for i in b.line_indices}
    stray = [i for i, ln in enumerate(page.lines)
             if i not in in_blocks and ln.visible > 0 and ln.text.strip()]
    if stray:
        return None
    items: list[LayoutItem] = []
    for block in page.blocks:  # scenes list blocks in reading order
        category = ROLE_CATEGORY.get(block.role)
        if category is None:
            return None
        lines = [page.lines[i] for i in block.line_indices if 0 <= i < len(page.lines)]
        shown = [ln for ln in lines if ln.visible > 0]
        if any(ln.visible < min_visible or not ln.legible for ln in shown):
            return None  # its text is not all readable in this image (Line.legible)
        polygons = [ln.polygon for ln in shown if len(ln.polygon) >= 3]
        if len(block.polygon) >= 3:
            polygons.append(block.polygon)
        if lines and not shown:
            continue  # the whole block is out of frame: nothing of it is on the image
        if not polygons:
            return None
        box = _union_box(polygons)
        if not lines and _frame_fraction(box, page.width, page.height) < 0.99:
            return None  # a line-less region (formula, figure) cut by the frame
        box_1000 = normalised_box(box_polygon(*box), page.width, page.height)
        items.append(LayoutItem(category, box_1000, _block_text(page, block)))
    return items or None


def _union_box(polygons: list[list[list[float]]]) -> tuple[float, float, float, float]:
    boxes = [axis_box(p) for p in polygons]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def format_layout(items: list[LayoutItem]) -> str:
    """`text<hy-meta><layout>cat</layout><poly>(x,y)...</poly></hy-meta>`, one region a line."""
    out = []
    for item in items:
        x0, y0, x1, y1 = item.box
        poly = f"({x0},{y0}),({x1},{y0}),({x1},{y1}),({x0},{y1})"
        out.append(f"{item.text}<hy-meta><layout>{item.category}</layout><poly>{poly}</poly>"
                   "</hy-meta>")
    return "\n".join(out)


def format_layout_json(items: list[LayoutItem]) -> str:
    return json.dumps([{"layout_type": i.category, "bbox": i.box, "text": i.text} for i in items],
                      ensure_ascii=False)


def parse_layout(answer: str) -> list[LayoutItem]:
    """Regions of a hy-meta answer; the box is the axis box of the polygon's points."""
    out = []
    for m in _HY_META.finditer(answer or ""):
        points = [(int(x), int(y)) for x, y in _POINT.findall(m.group(3))]
        if len(points) < 2:
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        out.append(LayoutItem(m.group(2), [min(xs), min(ys), max(xs), max(ys)],
                              m.group(1).strip("\n")))
    return out


def parse_layout_json(answer: str) -> list[LayoutItem]:
    data = parse_json_answer(answer)
    if not isinstance(data, list):
        return []
    out = []
    for entry in data:
        if not isinstance(entry, dict) or "layout_type" not in entry:
            continue
        box = entry.get("bbox") or entry.get("box") or []
        try:
            values = [int(round(float(v))) for v in box]
        except (TypeError, ValueError):
            continue
        if len(values) == 4:
            out.append(LayoutItem(str(entry["layout_type"]), values, str(entry.get("text", ""))))
        elif len(values) >= 6 and len(values) % 2 == 0:  # a polygon given as x, y, x, y...
            xs, ys = values[0::2], values[1::2]
            out.append(LayoutItem(str(entry["layout_type"]), [min(xs), min(ys), max(xs), max(ys)],
                                  str(entry.get("text", ""))))
    return out


def parse_layout_any(answer: str) -> list[LayoutItem]:
    return parse_layout(answer) or parse_layout_json(answer)
