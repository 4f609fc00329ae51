"""The parsing target: Markdown of a page's main body in reading order, tables as HTML.

Built from blocks when the renderer gives them (they carry paragraph boundaries), otherwise from
runs of lines with the same role. Page furniture (header, footer, page number) is left out, as
the HunyuanOCR parsing prompt asks. Lines the warp made illegible (`Line.legible`) are left out
or written `###`, ICDAR's don't-care (`illegible`). Lines are joined with a space, except between two lines of a
script written without spaces (CJK, Thai, Lao, Khmer, Myanmar, Tibetan), where a space would be
an invented character. Display formulas (line-less `formula` blocks) are `$$latex$$`; the texts
inside a figure or chart are left to the spotting and chart views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from qa_factory.formats import table_html
from synth.page import Line, Page

FURNITURE_ROLES = frozenset({"header", "footer", "page-number"})
# a figure's inner texts (chart labels, flowchart boxes) are spotted lines, not running text;
# its caption is a block of its own
FIGURE_ROLES = frozenset({"figure", "chart", "flowchart"})
NO_SPACE_SCRIPTS = frozenset(
    {"Hani", "Hans", "Hant", "Jpan", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt", "Yiii"}
)
LINEWISE_ROLES = frozenset({"field-key", "field-value", "item", "total", "table-cell"})
DEFAULT_MIN_VISIBLE = 0.5
_BULLET = re.compile(r"^\s*[-•*·▪◦‣–]\s+")  # drawn bullets become Markdown's "- "
_ORDINAL = re.compile(  # 1. 2) (a) iv. and vertical pages' 一、 （一） ①
    r"^\s*(?:\d{1,3}[.)]|\(\w\)|[ivxlcIVXLC]{1,5}\.|[一二三四五六七八九十百]+、|（[一二三四五六七八九十百]+）|[①-⑳])\s+")
DONT_CARE = "###"  # ICDAR's transcription of text nobody can read
ILLEGIBLE_MODES = ("omit", "mark")


@dataclass
class _Unit:
    role: str
    order: float
    line_indices: list[int] = field(default_factory=list)
    table_index: int = -1
    text: str = ""  # a line-less block's own text (a formula's LaTeX)
    shown: bool = True  # a line-less block wholly inside the frame


def join_lines(lines: list[Line]) -> str:
    """Lines of one paragraph as running text, with no space where the script uses none."""
    out = ""
    for i, line in enumerate(lines):
        text = line.text.strip()
        if i and out and text:
            prev = lines[i - 1]
            no_space = prev.script in NO_SPACE_SCRIPTS and line.script in NO_SPACE_SCRIPTS
            out += "" if no_space else " "
        out += text
    return out


def _linewise(lines: list[Line]) -> str:
    parts: list[str] = []
    for i, line in enumerate(lines):
        text = line.text.strip()
        if i and line.role == "field-value" and lines[i - 1].role == "field-key":
            parts[-1] = f"{parts[-1]} {text}"
        else:
            parts.append(text)
    return "\n".join(parts)


def _units(page: Page, keep: set[int]) -> list[_Unit]:
    units: list[_Unit] = []
    in_block: set[int] = set()
    last_order = -1.0
    for block in page.blocks:
        indices = [i for i in block.line_indices if 0 <= i < len(page.lines)]
        in_block.update(indices)
        is_table = block.role == "table" and 0 <= block.table_index < len(page.tables)
        order = float(min(indices)) if indices else last_order + 0.5
        last_order = order
        if is_table:
            units.append(_Unit("table", order, indices, block.table_index))
        else:
            units.append(_Unit(block.role, order, [i for i in indices if i in keep],
                               text=block.text, shown=_in_frame(block.polygon, page)))
    tabled_cells = any(u.role == "table" for u in units) or (page.tables and not page.blocks)
    run: _Unit | None = None
    for i, line in enumerate(page.lines):
        if i in in_block or i not in keep:
            run = None
            continue
        if line.role == "table-cell" and tabled_cells:
            continue
        role = "linewise" if line.role in LINEWISE_ROLES else line.role
        if run is None or run.role != role or role == "list-item":
            run = _Unit(role, float(i))
            units.append(run)
        run.line_indices.append(i)
    if page.tables and not any(u.role == "table" for u in units):
        for t in range(len(page.tables)):
            cells = [i for i, ln in enumerate(page.lines) if ln.role == "table-cell"]
            units.append(_Unit("table", float(min(cells)) if cells else 1e9, [], t))
    units.sort(key=lambda u: u.order)
    return units


def _in_frame(polygon: list[list[float]], page: Page) -> bool:
    if len(polygon) < 3:
        return False
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    return min(xs) >= -1 and min(ys) >= -1 and max(xs) <= page.width + 1 and max(ys) <= (
        page.height + 1)


def readable(line: Line, min_visible: float = DEFAULT_MIN_VISIBLE) -> bool:
    """In frame enough and legible in this image (`Line.legible`, from the warp's physics)."""
    return line.visible >= min_visible and line.legible


def marked(page: Page, illegible: str) -> Page:
    """The page as a view shows it: with `illegible="mark"` every illegible line's text reads
    `###` (ICDAR's don't-care); "omit" leaves the page as it is (callers drop those lines)."""
    if illegible not in ILLEGIBLE_MODES:
        raise ValueError(f"illegible must be one of {ILLEGIBLE_MODES}, got {illegible!r}")
    if illegible == "omit" or all(ln.legible for ln in page.lines):
        return page
    lines = [ln if ln.legible else replace(ln, text=DONT_CARE) for ln in page.lines]
    return replace(page, lines=lines)


def page_markdown(
    page: Page, min_visible: float = DEFAULT_MIN_VISIBLE, illegible: str = "omit"
) -> str:
    """Markdown of the main body: `#` title, `##` headings, list items, HTML tables,
    display formulas as `$$latex$$` (inline ones are `$latex$` inside their line's text).
    Illegible lines are left out (`illegible="omit"`) or written `###` ("mark")."""
    page = marked(page, illegible)
    keep = {
        i
        for i, ln in enumerate(page.lines)
        if ln.visible >= min_visible and ln.role not in FURNITURE_ROLES and ln.text.strip()
        and (ln.legible or illegible == "mark")
    }
    paragraph_of = {
        int(i): str(entry.get("id"))
        for entry in (page.extras or {}).get("paragraphs", [])
        for i in entry.get("line_indices", [])
    }
    chunks: list[str] = []
    previous: list[int] = []  # line indices of the last paragraph chunk
    for unit in _units(page, keep):
        if unit.role == "table":
            chunks.append(table_html(page.tables[unit.table_index].cells))
            previous = []
            continue
        if unit.role == "formula" and not unit.line_indices:
            if unit.shown and unit.text.strip():
                chunks.append(f"$${unit.text.strip()}$$")
            previous = []
            continue
        lines = [page.lines[i] for i in unit.line_indices if i in keep]
        if not lines or unit.role in FURNITURE_ROLES or unit.role in FIGURE_ROLES:
            continue
        indices = [i for i in unit.line_indices if i in keep]
        pid = paragraph_of.get(indices[0])
        if unit.role == "paragraph" and previous and pid and pid == paragraph_of.get(previous[-1]):
            # one corpus paragraph split over two blocks (a column or page break)
            previous = previous + indices
            chunks[-1] = join_lines([page.lines[i] for i in previous])
            continue
        previous = indices if unit.role == "paragraph" else []
        if unit.role == "title":
            chunks.append("# " + join_lines(lines))
        elif unit.role == "heading":
            chunks.append("## " + join_lines(lines))
        elif unit.role == "list-item":
            chunks.append(list_item_markdown(join_lines(lines)))
        elif all(ln.role in LINEWISE_ROLES for ln in lines):
            chunks.append(_linewise(lines))
        else:
            chunks.append(join_lines(lines))
    return "\n\n".join(chunks)


def list_item_markdown(text: str) -> str:
    """A list item as Markdown: a drawn bullet (or none) becomes "- ", a drawn number stays.

    "1. Everyone…" is already an ordered-list item in Markdown, and "(a) …" or "iv. …" carry
    their numbering in the text; replacing them by "- " would drop characters that are on the
    page (and turn an ordered list into an unordered one).
    """
    if _ORDINAL.match(text):
        return text.strip()
    bullet = _BULLET.match(text)
    return "- " + (text[bullet.end():] if bullet else text)


def visible_lines(
    page: Page, min_visible: float = DEFAULT_MIN_VISIBLE, illegible: str = "mark"
) -> list[int]:
    """Indices of lines a reader can be asked about (drawn, in frame, with text), reading order;
    illegible ones too unless `illegible="omit"`."""
    return [
        i
        for i, ln in enumerate(page.lines)
        if ln.visible >= min_visible and ln.text.strip() and len(ln.polygon) >= 3
        and (illegible != "omit" or ln.legible)
    ]


def page_plain_text(
    page: Page, min_visible: float = DEFAULT_MIN_VISIBLE, illegible: str = "omit"
) -> str:
    """Every visible line (furniture included) in reading order, one per output line;
    illegible lines left out or written `###` (`illegible`, as in `page_markdown`)."""
    page = marked(page, illegible)
    indices = visible_lines(page, min_visible, illegible)
    return "\n".join(page.lines[i].text.strip() for i in indices)
