"""The label tree of one page: the single ground truth every later stage reads and moves.

Everything that moves pixels (warping) moves labels only through `map_page_geometry`, so there is
exactly one geometry path for every polygon the page holds (lines, words, blocks, cells, fields,
regions).
Coordinates are float pixels of the image as it is now; polygons are closed rings (first point
not repeated), clockwise in image coordinates (y down).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

# the geometry helpers live in synth.geometry; they are re-exported here, where every stage
# has always imported them from
from synth.geometry import (  # noqa: F401
    PointMap,
    Polygon,
    axis_box,
    box_polygon,
    clip_polygon_to_frame,
    densify,
    densify_many,
    make_clockwise,
    map_page_geometry,
    min_area_quad,
    order_clockwise,
    order_clockwise_many,
    polygon_area,
)


@dataclass
class Word:
    text: str
    polygon: Polygon
    line_index: int = 0
    visible: float = 1.0
    legibility: float = 1.0  # 0..1 from the sampled physics (warping.legibility)
    legible: bool = True  # legibility at or above warping.legibility.LEGIBLE


@dataclass
class Line:
    text: str  # logical order: what a model must output
    polygon: Polygon
    quad: Polygon
    language: str
    script: str
    direction: str  # ltr | rtl | ttb
    font: str = ""
    style: str = "printed"  # printed | handwritten
    font_family: str = ""  # family of the line's main run (the face that drew most of it)
    role: str = "paragraph"
    size: float = 0.0
    visible: float = 1.0
    words: list[Word] = field(default_factory=list)
    # set by the warp from its records: effective x-height after the point map, blur, ink
    # contrast after lighting, noise, JPEG and visibility (warping.legibility)
    legibility: float = 1.0
    legible: bool = True


@dataclass
class Block:
    role: str  # title, paragraph, list-item, header, footer, page-number, table, field, note...
    polygon: Polygon
    line_indices: list[int] = field(default_factory=list)
    text: str = ""
    table_index: int = -1  # for role "table": index into Page.tables


@dataclass
class Cell:
    row: int
    col: int
    text: str
    polygon: Polygon
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


@dataclass
class Table:
    rows: int
    cols: int
    cells: list[Cell]
    polygon: Polygon
    html: str = ""


@dataclass
class Field:
    key: str
    value: str
    key_polygon: Polygon
    value_polygon: Polygon
    kind: str = "text"  # text | amount | date | total ...


@dataclass
class Region:
    """A labelled area that is not a text line: formula, chart, figure, stamp, UI element,
    layout block... One type for all of them, so a new kind costs only the scene that draws it
    and the views that read it: the point map moves every region without knowing its kind
    (`map_page_geometry`) and rows store them in one generic column (`pipelines.rows`).

    `text` is what the region reads as, exactly as drawn, in logical order ("" when it has no
    text); `attributes` is the kind's own payload (LaTeX source, chart data, stamp colour...) and
    must be JSON-serialisable. `visible` is the fraction of the polygon inside the frame after
    warping. `legible`/`legibility` stay None until a stage measures them.
    """

    kind: str
    polygon: Polygon
    text: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    visible: float = 1.0
    legible: bool | None = None
    legibility: float | None = None


@dataclass
class Page:
    image: np.ndarray  # H x W x 3 uint8, RGB
    language: str
    script: str
    direction: str
    scene: str
    lines: list[Line] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)  # non-line labels of any kind
    render: dict[str, Any] = field(default_factory=dict)  # sampled render params
    warp: dict[str, Any] = field(default_factory=dict)  # sampled warp params
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. paragraph ids for translation

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    def reading_text(self) -> str:
        """All visible text in reading order, logical order, one line per label line."""
        return "\n".join(line.text for line in self.lines if line.visible > 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready label tree (no pixels)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "image"}
        out = {k: _plain(v) for k, v in out.items()}
        out["width"] = self.width
        out["height"] = self.height
        return out

    @staticmethod
    def from_dict(data: dict[str, Any], image: np.ndarray) -> Page:
        lines = [
            Line(**{**ln, "words": [Word(**w) for w in ln.get("words", [])]})
            for ln in data.get("lines", [])
        ]
        return Page(
            image=image,
            language=data["language"],
            script=data["script"],
            direction=data["direction"],
            scene=data["scene"],
            lines=lines,
            blocks=[Block(**b) for b in data.get("blocks", [])],
            tables=[
                Table(**{**t, "cells": [Cell(**c) for c in t["cells"]]})
                for t in data.get("tables", [])
            ],
            fields=[Field(**f) for f in data.get("fields", [])],
            regions=[Region(**r) for r in data.get("regions", [])],
            render=data.get("render", {}),
            warp=data.get("warp", {}),
            extras=data.get("extras", {}),
        )


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value


def table_html(cells: list[Cell]) -> str:
    """The one HTML rendering of a table (ground truth and parsing target alike).

    Rows run to the last row any cell spans, so a row covered only by rowspans still gets its
    `<tr></tr>` and the grid keeps its shape; header cells are `<th>`.
    """
    import html

    if not cells:
        return "<table></table>"
    rows = max(c.row + c.rowspan for c in cells)
    by_row: dict[int, list[Cell]] = {r: [] for r in range(rows)}
    for cell in cells:
        by_row[cell.row].append(cell)
    parts = ["<table>"]
    for r in range(rows):
        parts.append("<tr>")
        for cell in sorted(by_row[r], key=lambda c: c.col):
            tag = "th" if cell.header else "td"
            spans = f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
            spans += f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
            parts.append(f"<{tag}{spans}>{html.escape(cell.text, quote=False)}</{tag}>")
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)
