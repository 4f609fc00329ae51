"""Small labelled pages drawn with Pillow+raqm and Noto fonts, independent of the synth renderer.

Tests and the benchmark need real pixels with a label tree they can trust even where synth is
not available (or to keep a fixture tiny and fast). Layout is deliberately plain: one column,
generous spacing, black on white, so the only thing measured is the qa_factory code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from synth.page import Block, Cell, Field, Line, Page, Table, box_polygon

NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
# language -> (font path, ttc index, script, direction)
FONTS = {
    "en": (NOTO / "NotoSans-Regular.ttf", 0, "Latn", "ltr"),
    "ru": (NOTO / "NotoSans-Regular.ttf", 0, "Cyrl", "ltr"),
    "ar": (NOTO / "NotoNaskhArabic-Regular.ttf", 0, "Arab", "rtl"),
    "zh-Hans": (NOTO_CJK, 2, "Hans", "ltr"),
}
# Article 1 and 2 (opening) of the UDHR: parallel paragraphs with shared ids, for translation.
PARAGRAPHS = {
    "en": [
        "All human beings are born free and equal in dignity and rights. They are endowed with "
        "reason and conscience and should act towards one another in a spirit of brotherhood.",
        "Everyone is entitled to all the rights and freedoms set forth in this Declaration, "
        "without distinction of any kind.",
    ],
    "ru": [
        "Все люди рождаются свободными и равными в своем достоинстве и правах. Они наделены "
        "разумом и совестью и должны поступать в отношении друг друга в духе братства.",
        "Каждый человек должен обладать всеми правами и всеми свободами, провозглашенными "
        "настоящей Декларацией, без какого бы то ни было различия.",
    ],
    "ar": [
        "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلًا وضميرًا وعليهم أن "
        "يعامل بعضهم بعضًا بروح الإخاء.",
        "لكل إنسان حق التمتع بكافة الحقوق والحريات الواردة في هذا الإعلان، دون أي تمييز.",
    ],
    "zh-Hans": [
        "人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。",
        "人人有资格享有本宣言所载的一切权利和自由，不分种族、肤色、性别、语言、宗教。",
    ],
}
TITLES = {
    "en": "Universal Declaration of Human Rights",
    "ru": "Всеобщая декларация прав человека",
    "ar": "الإعلان العالمي لحقوق الإنسان",
    "zh-Hans": "世界人权宣言",
}
PARAGRAPH_IDS = ["udhr.a1", "udhr.a2"]
# header, heading, two list items, footer, page number (in glyphs the page's font has)
FURNITURE = {
    "en": ("UDHR 1948", "Preamble", "- Article one", "- Article two", "United Nations", "7"),
    "ru": (
        "ООН 1948",
        "Преамбула",
        "- Статья первая",
        "- Статья вторая",
        "Организация Объединённых Наций",
        "7",
    ),
    "ar": ("الجمعية العامة", "الديباجة", "المادة الأولى", "المادة الثانية", "الأمم المتحدة", "٧"),
    "zh-Hans": ("联合国", "序言", "第一条", "第二条", "联合国大会", "7"),
}


@dataclass
class SampleCorpusText:
    """Duck-typed stand-in for fonts_manifest.corpus.CorpusText (the fields views read)."""

    code: str
    name: str
    paragraphs: list[str]
    paragraph_ids: list[str]


def sample_corpus() -> dict[str, SampleCorpusText]:
    names = {"en": "English", "ru": "Russian", "ar": "Arabic", "zh-Hans": "Chinese"}
    return {
        code: SampleCorpusText(code, names[code], list(paras), list(PARAGRAPH_IDS))
        for code, paras in PARAGRAPHS.items()
    }


class _Writer:
    """Draws lines top to bottom and records each as a label Line."""

    def __init__(self, language: str, width: int, height: int, size: int) -> None:
        path, index, self.script, self.direction = FONTS[language]
        self.language = language
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.fonts = {
            s: ImageFont.truetype(str(path), s, index=index)
            for s in (size, int(size * 1.5), int(size * 1.2), int(size * 0.8))
        }
        self.size, self.width, self.margin, self.y = size, width, 48, 40
        self.lines: list[Line] = []
        self.font_name = path.name

    def _kw(self) -> dict[str, str]:
        return {"direction": self.direction, "language": self.language.split("-")[0]}

    def wrap(self, text: str, size: int) -> list[str]:
        font, limit = self.fonts[size], self.width - 2 * self.margin
        units = list(text) if self.script == "Hans" else text.split(" ")
        sep = "" if self.script == "Hans" else " "
        out, current = [], ""
        for unit in units:
            trial = f"{current}{sep}{unit}" if current else unit
            if current and font.getlength(trial, **self._kw()) > limit:
                out.append(current)
                current = unit
            else:
                current = trial
        return out + ([current] if current else [])

    def line(
        self,
        text: str,
        role: str,
        size: int | None = None,
        x: float | None = None,
        advance: bool = True,
    ) -> int:
        size = size or self.size
        font = self.fonts[size]
        length = font.getlength(text, **self._kw())
        if x is None:
            x = self.width - self.margin - length if self.direction == "rtl" else self.margin
        self.draw.text((x, self.y), text, font=font, fill=(20, 20, 20), **self._kw())
        x0, y0, x1, y1 = self.draw.textbbox((x, self.y), text, font=font, **self._kw())
        poly = box_polygon(x0 - 2, y0 - 2, x1 + 2, y1 + 2)
        self.lines.append(
            Line(
                text=text,
                polygon=poly,
                quad=poly,
                language=self.language,
                script=self.script,
                direction=self.direction,
                font=self.font_name,
                role=role,
                size=float(size),
            )
        )
        if advance:
            self.y += int(size * 1.6)
        return len(self.lines) - 1

    def page(self, scene: str, **kwargs: object) -> Page:
        return Page(
            image=np.asarray(self.image, dtype=np.uint8).copy(),
            language=self.language,
            script=self.script,
            direction=self.direction,
            scene=scene,
            lines=self.lines,
            **kwargs,
        )


def document_page(language: str = "en", width: int = 900, height: int = 1100) -> Page:
    """Header, title, heading, two UDHR paragraphs, two list items, footer and page number."""
    w = _Writer(language, width, height, 26)
    header, heading, item_a, item_b, footer, number = FURNITURE[language]
    blocks = [Block("header", [], [w.line(header, "header", int(w.size * 0.8))])]
    blocks.append(Block("title", [], [w.line(TITLES[language], "title", int(w.size * 1.5))]))
    paragraphs = []
    for pid, text in zip(PARAGRAPH_IDS, PARAGRAPHS[language], strict=True):
        indices = [w.line(t, "paragraph") for t in w.wrap(text, w.size)]
        w.y += w.size // 2
        blocks.append(Block("paragraph", [], indices, text))
        paragraphs.append({"id": pid, "line_indices": indices, "complete": True})
    blocks.append(Block("heading", [], [w.line(heading, "heading", int(w.size * 1.2))]))
    for item in (item_a, item_b):
        blocks.append(Block("list-item", [], [w.line(item, "list-item")]))
    w.y = height - 80
    blocks.append(Block("footer", [], [w.line(footer, "footer", int(w.size * 0.8), advance=False)]))
    blocks.append(
        Block(
            "page-number",
            [],
            [
                w.line(
                    number,
                    "page-number",
                    int(w.size * 0.8),
                    x=48 if w.direction == "rtl" else width - 70,
                )
            ],
        )
    )
    for b in blocks:
        b.polygon = _union([w.lines[i].polygon for i in b.line_indices])
    return w.page("document", blocks=blocks, extras={"paragraphs": paragraphs})


def receipt_page(width: int = 700, height: int = 900) -> Page:
    """Shop receipt: fields, four items with amounts, a total and two dates."""
    w = _Writer("en", width, height, 26)
    fields: list[Field] = []
    for key, value in (
        ("Invoice No", "A-20931"),
        ("Date", "2024-03-05"),
        ("Due date", "2024-04-19"),
    ):
        k = w.line(f"{key}:", "field-key", advance=False)
        v = w.line(value, "field-value", x=300)
        fields.append(
            Field(
                key,
                value,
                w.lines[k].polygon,
                w.lines[v].polygon,
                "date" if "ate" in key else "text",
            )
        )
    w.y += 20
    items = [
        ("Coffee beans", "2", "7.50", "15.00"),
        ("Milk", "1", "1.25", "1.25"),
        ("Sugar", "3", "0.80", "2.40"),
        ("Paper cups", "1", "4.10", "4.10"),
    ]
    for name, qty, price, amount in items:
        w.line(f"{name} {qty} x {price}", "item", advance=False)
        w.line(amount, "item", x=width - 160)
    w.y += 20
    k = w.line("TOTAL", "field-key", advance=False)
    v = w.line("22.75", "total", x=width - 160)
    fields.append(Field("TOTAL", "22.75", w.lines[k].polygon, w.lines[v].polygon, "total"))
    extras = {
        "items": [{"name": n, "qty": q, "unit_price": p, "amount": a} for n, q, p, a in items],
        "total": "22.75",
        "currency": "EUR",
        "dates": ["2024-03-05", "2024-04-19"],
    }
    return w.page("receipt", fields=fields, extras=extras)


def table_page(width: int = 800, height: int = 600) -> Page:
    """A caption and one 4x3 ruled table with a header row."""
    w = _Writer("en", width, height, 24)
    w.line("Table 1. Population by city", "caption")
    rows = [
        ("City", "Country", "Population"),
        ("Lagos", "Nigeria", "15388000"),
        ("Lima", "Peru", "10719000"),
        ("Oslo", "Norway", "709000"),
    ]
    x_cols, top, row_h = [48, 298, 548, width - 48], w.y + 10, 56
    cells, indices = [], []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            w.y = top + r * row_h + 12
            indices.append(w.line(text, "table-cell", x=x_cols[c] + 12, advance=False))
            cells.append(
                Cell(
                    r,
                    c,
                    text,
                    box_polygon(x_cols[c], top + r * row_h, x_cols[c + 1], top + (r + 1) * row_h),
                    header=r == 0,
                )
            )
    bottom = top + len(rows) * row_h
    for r in range(len(rows) + 1):
        w.draw.line(
            [(x_cols[0], top + r * row_h), (x_cols[-1], top + r * row_h)],
            fill=(60, 60, 60),
            width=2,
        )
    for x in x_cols:
        w.draw.line([(x, top), (x, bottom)], fill=(60, 60, 60), width=2)
    table = Table(len(rows), 3, cells, box_polygon(x_cols[0], top, x_cols[-1], bottom))
    blocks = [
        Block("caption", w.lines[0].polygon, [0]),
        Block("table", table.polygon, indices, table_index=0),
    ]
    return w.page("table", tables=[table], blocks=blocks)


def _union(polygons: list[list[list[float]]]) -> list[list[float]]:
    pts = np.asarray([p for poly in polygons for p in poly], dtype=np.float64)
    return box_polygon(pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
