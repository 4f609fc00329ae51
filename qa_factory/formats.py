"""Writers and tolerant parsers for every answer format the views emit.

The same parsers read references and judge answers, so a model's answer that wraps JSON in a
code fence, adds spaces in coordinates or uses `<td>` where we wrote `<th>` still parses.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from synth.page import Polygon, axis_box, table_html  # noqa: F401  (re-exported)

SpottingItem = tuple[str, list[int]]

_SPOT = re.compile(
    r"<ref>(.*?)</ref>\s*<quad>\s*\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*,\s*"
    r"\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*</quad>",
    re.S,
)
_FENCE = re.compile(r"```(?:json|html|markdown)?\s*(.*?)```", re.S)


def normalised_box(polygon: Polygon, width: int, height: int) -> list[int]:
    """Axis box of a pixel polygon as integers in [0, 1000] (x*1000/W, y*1000/H), clamped."""
    x0, y0, x1, y1 = axis_box(polygon)

    def scale(v: float, size: int) -> int:
        return int(min(1000, max(0, round(v * 1000.0 / size))))

    return [scale(x0, width), scale(y0, height), scale(x1, width), scale(y1, height)]


def format_spotting(items: Sequence[SpottingItem]) -> str:
    return "\n".join(
        f"<ref>{text}</ref><quad>({b[0]},{b[1]}),({b[2]},{b[3]})</quad>" for text, b in items
    )


def parse_spotting(answer: str) -> list[SpottingItem]:
    return [
        (m.group(1), [int(m.group(k)) for k in range(2, 6)]) for m in _SPOT.finditer(answer or "")
    ]


def format_spotting_json(items: Sequence[SpottingItem]) -> str:
    return json.dumps([{"box": list(b), "text": t} for t, b in items], ensure_ascii=False)


def parse_spotting_json(answer: str) -> list[SpottingItem]:
    data = parse_json_answer(answer)
    if not isinstance(data, list):
        return []
    out = []
    for entry in data:
        if not isinstance(entry, dict) or "text" not in entry:
            continue
        box = entry.get("box") or entry.get("bbox") or []
        if isinstance(box, list) and len(box) == 4:
            try:
                out.append((str(entry["text"]), [int(round(float(v))) for v in box]))
            except (TypeError, ValueError):
                continue
    return out


# HunyuanOCR's scorer reads four spotting wire formats (DESIGN §4); the answer for an image
# without any text is this fixed string, in every format.
NO_TEXT = "没有文字"
_PLAIN_SPOT = re.compile(
    r"^(.*?)\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*,\s*\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*$"
)
_QUAD_FIRST = re.compile(r"<quad>(.*?)</quad>\s*<ref>(.*?)</ref>", re.S)
_INTS = re.compile(r"-?\d+")


def format_spotting_plain(items: Sequence[SpottingItem]) -> str:
    """`text(x1,y1),(x2,y2)`, one line per item."""
    return "\n".join(f"{text}({b[0]},{b[1]}),({b[2]},{b[3]})" for text, b in items)


def parse_spotting_plain(answer: str) -> list[SpottingItem]:
    """Lines ending in `(x1,y1),(x2,y2)`; the text is everything before (it may hold brackets)."""
    out = []
    for line in (answer or "").splitlines():
        m = _PLAIN_SPOT.match(line.strip())
        if m and m.group(1).strip():
            out.append((m.group(1).strip(), [int(m.group(k)) for k in range(2, 6)]))
    return out


def format_spotting_tokens(items: Sequence[SpottingItem]) -> str:
    """`<quad><x1><y1><x2><y2></quad><ref>text</ref>`: box first, each position its own token."""
    return "\n".join(
        f"<quad><{b[0]}><{b[1]}><{b[2]}><{b[3]}></quad><ref>{text}</ref>" for text, b in items
    )


def parse_spotting_tokens(answer: str) -> list[SpottingItem]:
    """Box-first items; the quad may hold `<x1><y1><x2><y2>` tokens or `(x1,y1),(x2,y2)`."""
    out = []
    for m in _QUAD_FIRST.finditer(answer or ""):
        numbers = _INTS.findall(m.group(1))
        if len(numbers) == 4:
            out.append((m.group(2), [int(v) for v in numbers]))
    return out


SPOTTING_WRITERS = {
    "spotting": format_spotting,
    "spotting_json": format_spotting_json,
    "spotting_plain": format_spotting_plain,
    "spotting_tokens": format_spotting_tokens,
}


def format_spotting_as(task: str, items: Sequence[SpottingItem]) -> str:
    """The answer of spotting task `task` for `items`; no items is the no-text answer."""
    return SPOTTING_WRITERS[task](items) if items else NO_TEXT


def is_no_text(answer: str) -> bool:
    return (answer or "").strip().strip("。.").strip() == NO_TEXT


def parse_spotting_any(answer: str) -> list[SpottingItem]:
    """Items of an answer in any of the four wire formats (the first that finds any)."""
    for parse in (parse_spotting, parse_spotting_tokens, parse_spotting_json,
                  parse_spotting_plain):
        items = parse(answer)
        if items:
            return items
    return []


def parse_json_answer(answer: str) -> Any:
    """The first JSON value in an answer, looking inside ``` fences; None when there is none."""
    text = answer or ""
    fenced = _FENCE.search(text)
    candidates = [fenced.group(1)] if fenced else []
    candidates.append(text)
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for start, ch in enumerate(candidate):
            if ch in "[{":
                try:
                    return decoder.raw_decode(candidate[start:])[0]
                except json.JSONDecodeError:
                    continue
    return None


# --- HTML tables ------------------------------------------------------------------------------


@dataclass
class ParsedCell:
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[ParsedCell]] = []
        self._cell: ParsedCell | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            if not self.rows:
                self.rows.append([])
            spans = {k: v for k, v in attrs}
            self._cell = ParsedCell(
                row=len(self.rows) - 1,
                col=-1,
                text="",
                rowspan=_int_attr(spans.get("rowspan")),
                colspan=_int_attr(spans.get("colspan")),
                header=tag == "th",
            )
            self._buffer = []
        elif tag == "br" and self._cell is not None:
            self._buffer.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._cell.text = " ".join("".join(self._buffer).split())
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._buffer.append(data)


def _int_attr(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def parse_html_table(answer: str) -> list[ParsedCell]:
    """Cells of the first table in `answer` with grid positions resolved through spans."""
    parser = _TableParser()
    parser.feed(answer or "")
    parser.close()
    occupied: set[tuple[int, int]] = set()
    cells = []
    for r, row in enumerate(parser.rows):
        col = 0
        for cell in row:
            while (r, col) in occupied:
                col += 1
            cell.row, cell.col = r, col
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    occupied.add((r + dr, col + dc))
            cells.append(cell)
            col += cell.colspan
    return cells


def cells_to_grid(cells: Sequence[ParsedCell]) -> list[list[str]]:
    """A dense text grid; a spanned cell's text sits at its top-left slot, the rest are ''."""
    if not cells:
        return []
    rows = max(c.row + c.rowspan for c in cells)
    cols = max(c.col + c.colspan for c in cells)
    grid = [[""] * cols for _ in range(rows)]
    for c in cells:
        grid[c.row][c.col] = c.text
    return grid


# --- Markdown and numbers ---------------------------------------------------------------------

_MD_MARK = re.compile(r"^\s{0,3}(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)", re.M)
_TAG = re.compile(r"<[^>]+>")


def markdown_to_text(markdown: str) -> str:
    """Reading text of a Markdown+HTML answer: markup dropped, one space between cells."""
    text = _TAG.sub(" ", markdown or "")
    text = _MD_MARK.sub("", text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    return html.unescape(text)


_NUMBER = re.compile(r"[-+−]?\d[\d\s.,'\u00a0\u202f]*")
_ARABIC_MARKS = str.maketrans({"\u066b": ".", "\u066c": ","})  # ٫ decimal, ٬ thousands
_GROUP_CHARS = ".,'\u066b\u066c \u00a0\u202f"


def ascii_digits(text: str) -> str:
    """Any script's decimal digits (Arabic-Indic, Devanagari, ...) as ASCII, one char per char."""
    out = []
    for ch in text:
        digit = unicodedata.decimal(ch, None) if not ch.isascii() else None
        out.append(str(digit) if digit is not None else ch)
    return "".join(out).translate(_ARABIC_MARKS)


def parse_number(text: str) -> Decimal | None:
    """A drawn number such as '1,234.50', '1.234,50', '1 234,5', '٢٨٫٠٣' or '-12' as a Decimal."""
    match = _NUMBER.search(ascii_digits(text or ""))
    if not match:
        return None
    raw = re.sub(r"[\s'\u00a0\u202f]", "", match.group(0)).replace("−", "-").rstrip(".,")
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    decimal_mark = ""
    if last_dot >= 0 and last_comma >= 0:
        decimal_mark = "." if last_dot > last_comma else ","
    elif last_comma >= 0:
        # "12,50" is a decimal comma; "1,234" (exactly three digits after, once) a thousands mark.
        decimal_mark = "," if raw.count(",") == 1 and len(raw) - last_comma - 1 != 3 else ""
    elif last_dot >= 0:
        decimal_mark = "." if raw.count(".") == 1 and len(raw) - last_dot - 1 != 3 else ""
        if raw.count(".") == 1 and len(raw) - last_dot - 1 == 3 and raw.lstrip("-+")[0] == "0":
            decimal_mark = "."
    if decimal_mark:
        whole, frac = raw.rsplit(decimal_mark, 1)
        whole = whole.replace(".", "").replace(",", "")
        raw = f"{whole}.{frac}"
    else:
        raw = raw.replace(".", "").replace(",", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


@dataclass(frozen=True)
class NumberStyle:
    """How a drawn amount looks, so a computed answer looks the same (digits, marks, places)."""

    decimal_mark: str = "."
    decimals: int = 0
    zero: str = "0"  # the script's zero: '0', '٠', '۰', '०' ...
    group_mark: str = ""


def number_style(text: str) -> NumberStyle:
    original = text or ""
    match = _NUMBER.search(ascii_digits(original))
    value = parse_number(original)
    if not match or value is None:
        return NumberStyle()
    span = original[match.start() : match.end()].rstrip()
    first_digit = next(ch for ch in span if unicodedata.decimal(ch, None) is not None)
    zero = chr(ord(first_digit) - unicodedata.decimal(first_digit))
    decimals = len(str(value).split(".")[1]) if "." in str(value) else 0
    decimal_at = -1
    if decimals:
        decimal_at = max(
            i for i, ch in enumerate(span) if ch in _GROUP_CHARS and ch not in " \u00a0\u202f"
        )
    marks = [ch for i, ch in enumerate(span) if ch in _GROUP_CHARS and i != decimal_at]
    group = marks[0] if marks else ""
    return NumberStyle(span[decimal_at] if decimals else ".", decimals, zero, group)


def format_number(value: Decimal, style: NumberStyle) -> str:
    text = f"{abs(value):.{style.decimals}f}"
    whole, _, frac = text.partition(".")
    if style.group_mark:
        whole = f"{int(whole):,}".replace(",", style.group_mark)
    text = ("-" if value < 0 else "") + whole + (style.decimal_mark + frac if frac else "")
    if style.zero != "0":
        text = "".join(chr(ord(style.zero) + int(c)) if c.isdigit() else c for c in text)
    return text
