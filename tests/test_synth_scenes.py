"""Table, form, receipt, card and handwriting-note scenes on real fonts and the real corpus."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.errors import PolyglyphError
from synth.money import ascii_digits, parse_amount
from synth.render import PageSpec, RenderContext, apply_render, sample_render
from synth.rng import sample_rng
from synth.text import clean_text

SCENES = ("table", "form", "receipt", "card", "handwriting-note")
LANGUAGES = ("en", "ar", "hi", "ja", "th", "ru")
W, H = 720, 1018
ROLES = {"title", "heading", "paragraph", "list-item", "header", "footer", "page-number", "caption",
         "table-cell", "field-key", "field-value", "item", "total", "note"}


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus()
    return RenderContext(FontRegistry.load(corpus=corpus), corpus)


@pytest.fixture(scope="module")
def rendered(ctx):
    """(record, page) per (scene, language), rendered once for the whole module."""
    out = {}
    for scene in SCENES:
        for k, language in enumerate(LANGUAGES):
            spec = PageSpec(language=language, scene=scene, width=W, height=H)
            record = sample_render(spec, sample_rng(1000 + k), ctx)
            out[scene, language] = (record, apply_render(record, ctx))
    return out


def _ink_fraction_inside(page, polygons) -> float:
    """Share of dark pixels of `page.image` that lie inside the union of `polygons`."""
    gray = page.image.min(axis=2)
    ink = gray < 160
    inside = np.zeros(gray.shape, np.uint8)
    for poly in polygons:
        cv2.fillPoly(inside, [np.round(np.asarray(poly)).astype(np.int32)], 1)
    return float((ink & (inside > 0)).sum() / max(1, ink.sum()))


@pytest.mark.parametrize("scene", SCENES)
def test_same_seed_same_record_pixels_and_labels(ctx, rendered, scene) -> None:
    record, page = rendered[scene, "ar"]
    again = sample_render(PageSpec(language="ar", scene=scene, width=W, height=H), sample_rng(1001), ctx)
    assert json.dumps(again, sort_keys=True) == json.dumps(record, sort_keys=True)
    remade = apply_render(json.loads(json.dumps(record)), ctx)  # the stored JSON is enough
    assert np.array_equal(remade.image, page.image)
    assert json.dumps(remade.to_dict(), sort_keys=True) == json.dumps(page.to_dict(), sort_keys=True)
    other = sample_render(PageSpec(language="ar", scene=scene, width=W, height=H), sample_rng(7), ctx)
    assert json.dumps(other, sort_keys=True) != json.dumps(record, sort_keys=True)


@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_label_tree_is_complete_and_tight_to_the_ink(ctx, rendered, scene, language) -> None:
    record, page = rendered[scene, language]
    assert page.scene == scene and page.image.shape == (H, W, 3)
    assert page.language == ctx.language(language).code
    assert len(page.lines) >= 3
    for index, line in enumerate(page.lines):
        assert line.text.strip(), "no empty lines"
        assert line.style in ("printed", "handwritten") and line.role in ROLES
        assert len(line.polygon) >= 4 and len(line.quad) == 4
        assert line.words, f"line {line.text!r} has no words"
        for word in line.words:
            assert word.line_index == index and word.text in line.text
            xs = [p[0] for p in word.polygon]
            ys = [p[1] for p in word.polygon]
            assert -2 <= min(xs) < max(xs) <= W + 2 and -2 <= min(ys) < max(ys) <= H + 2
    # Re-draw the same record on white paper without graphics or stamp (test_synth_stamp checks
    # that one): all dark pixels are glyph ink, and nearly all of it must lie inside the word
    # polygons.
    bare = dict(record, paper={"kind": "plain", "tint": [255, 255, 255]}, graphics=[])
    bare.pop("stamp", None)
    bare_page = apply_render(bare, ctx)
    words = [w.polygon for line in bare_page.lines for w in line.words]
    assert _ink_fraction_inside(bare_page, words) >= 0.97
    assert _ink_fraction_inside(bare_page, [ln.polygon for ln in bare_page.lines]) >= 0.98
    # Each line alone: its polygon's box matches the box of the ink it drew.
    for index in range(0, len(record["lines"]), max(1, len(record["lines"]) // 4)):
        alone = dict(bare, lines=[record["lines"][index]], blocks=[], fields=[], tables=[])
        line_page = apply_render(alone, ctx)
        ys, xs = np.nonzero(line_page.image.min(axis=2) < 250)  # white paper: any tone is ink
        if len(xs) == 0:
            continue  # e.g. white title text of a card band: invisible on white paper
        ink_box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
        # Printed boxes are ink-tight; a slanted, wobbling handwritten line keeps the mapped
        # outline of its ink box, whose axis box is a little larger than the ink's.
        polygon = np.asarray(line_page.lines[0].polygon)
        if line_page.lines[0].style == "printed":  # every side within 1.5 px of the ink
            label_box = (*polygon.min(axis=0), *polygon.max(axis=0))
            assert np.abs(np.subtract(label_box, ink_box)).max() <= 1.5, record["lines"][index]
        else:
            assert _iou(ink_box, polygon) >= 0.6, record["lines"][index]["text"]


def _iou(box, polygon) -> float:
    pts = np.asarray(polygon)
    other = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
    ix = max(0.0, min(box[2], other[2]) - max(box[0], other[0]))
    iy = max(0.0, min(box[3], other[3]) - max(box[1], other[1]))
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1]) + (other[2] - other[0]) * (other[3] - other[1])
    return float(inter / (area - inter))


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[dict[str, int]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            a = dict(attrs)
            self.rows[-1].append({"rowspan": int(a.get("rowspan", 1)), "colspan": int(a.get("colspan", 1))})


@pytest.mark.parametrize("language", LANGUAGES)
def test_table_html_and_spans_cover_the_grid_exactly_once(rendered, language) -> None:
    record, page = rendered["table", language]
    assert len(page.tables) == 1
    table = page.tables[0]
    block = next(b for b in page.blocks if b.role == "table")
    assert block.table_index == 0
    cover = np.zeros((table.rows, table.cols), int)
    for cell in table.cells:
        cover[cell.row : cell.row + cell.rowspan, cell.col : cell.col + cell.colspan] += 1
    assert (cover == 1).all()
    parser = _Cells()
    parser.feed(table.html)
    assert len(parser.rows) == table.rows
    html_spans = [c for row in parser.rows for c in row]
    cells = sorted(table.cells, key=lambda c: (c.row, c.col))
    assert [(c["rowspan"], c["colspan"]) for c in html_spans] == [(c.rowspan, c.colspan) for c in cells]
    # Every drawn cell line belongs to exactly one cell, and a cell's text is its drawn lines.
    joiner = "" if page.script in ("Jpan", "Hans", "Hant", "Thai") else " "
    owned = [i for c in record["tables"][0]["cells"] for i in c["lines"]]
    assert sorted(owned) == [i for i, ln in enumerate(page.lines) if ln.role == "table-cell"]
    by_slot = {(c.row, c.col): c for c in cells}
    for spec in record["tables"][0]["cells"]:
        text = joiner.join(page.lines[i].text for i in spec["lines"])
        assert by_slot[spec["row"], spec["col"]].text == text
        assert all(page.lines[i].text in table.html.replace("&amp;", "&") for i in spec["lines"])
    assert any(c.header for c in cells)
    x0, y0 = np.min(table.polygon, axis=0)
    x1, y1 = np.max(table.polygon, axis=0)
    for cell in cells:
        cx0, cy0 = np.min(cell.polygon, axis=0)
        cx1, cy1 = np.max(cell.polygon, axis=0)
        assert x0 - 0.01 <= cx0 < cx1 <= x1 + 0.01 and y0 - 0.01 <= cy0 < cy1 <= y1 + 0.01


@pytest.mark.parametrize("language", LANGUAGES)
def test_receipt_amounts_add_up_from_the_drawn_strings(rendered, language) -> None:
    record, page = rendered["receipt", language]
    money = record["money"]
    extras = page.extras
    assert extras["items"] and extras["currency"] == money["code"]
    drawn = [ln.text for ln in page.lines]
    total = 0
    for item in extras["items"]:
        qty = int(ascii_digits(item["qty"]))
        unit = parse_amount(item["unit_price"], money)
        amount = parse_amount(item["amount"], money)
        assert qty * unit == amount
        total += amount
        assert item["amount"] in drawn and item["name"] in drawn
    assert parse_amount(extras["total"], money) == total
    total_field = next(f for f in page.fields if f.kind == "total")
    assert total_field.value == extras["total"] and extras["total"] in drawn
    for date in extras["dates"]:
        assert date["text"] in drawn and len(date["iso"]) == 10


@pytest.mark.parametrize("scene", ("form", "card", "receipt"))
@pytest.mark.parametrize("language", LANGUAGES)
def test_fields_are_the_drawn_strings_with_their_polygons(rendered, scene, language) -> None:
    record, page = rendered[scene, language]
    assert len(page.fields) >= 2
    for spec, field in zip(record["fields"], page.fields, strict=True):
        key_line, value_line = page.lines[spec["key_line"]], page.lines[spec["value_line"]]
        assert field.value == value_line.text and field.value.strip()
        assert key_line.text.startswith(field.key) or field.key in key_line.text
        assert field.key_polygon == key_line.polygon and field.value_polygon == value_line.polygon
        assert key_line.role in ("field-key", "total") and value_line.role in ("field-value", "total")
    if scene == "form":
        assert all(page.lines[s["value_line"]].style == "handwritten" for s in record["fields"])
        assert all(page.lines[s["key_line"]].style == "printed" for s in record["fields"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_note_is_mostly_handwritten_corpus_text(ctx, rendered, language) -> None:
    _, page = rendered["handwriting-note", language]
    styles = [ln.style for ln in page.lines]
    assert styles.count("handwritten") >= 0.75 * len(styles)
    assert any(ln.style == "printed" for ln in page.lines)  # the printed header
    corpus = ctx.text(page.language)
    shown = page.extras["paragraphs"]
    assert shown
    for entry in shown:
        paragraph = clean_text(corpus.paragraphs[corpus.paragraph_ids.index(entry["id"])])
        text = "".join(page.lines[i].text for i in entry["line_indices"])
        squeeze = "".join(paragraph.split())
        assert "".join(text.split()) == squeeze if entry["complete"] else squeeze.startswith("".join(text.split()))


def test_scene_options_are_obeyed_and_validated(ctx) -> None:
    def render(scene: str, **options):
        spec = PageSpec(language="en", scene=scene, width=W, height=H, options=options)
        return apply_render(sample_render(spec, sample_rng(5), ctx), ctx)

    table = render("table", cols=4, body_rows=5, ruling="full").tables[0]
    assert table.cols == 4 and table.rows in (6, 7)  # one or two header rows
    body = [c for c in table.cells if not c.header]
    assert max(c.row + c.rowspan for c in body) == table.rows
    card = render("card", kind="id")
    assert card.render["kind"] == "id" and len(card.fields) == 4
    assert render("form", layout="stacked").render["layout"] == "stacked"
    receipt = render("receipt", items=3)
    assert len(receipt.extras["items"]) == 3
    with pytest.raises(PolyglyphError, match="ruling"):
        render("table", ruling="zigzag")
    with pytest.raises(PolyglyphError, match="items"):
        render("receipt", items=0)


@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize("language", ("my", "ur", "en"))
def test_landscape_pages_keep_every_line_on_the_page(ctx, scene, language) -> None:
    width, height = 800, 600
    spec = PageSpec(language=language, scene=scene, width=width, height=height)
    page = apply_render(sample_render(spec, sample_rng(2), ctx), ctx)
    assert page.image.shape == (height, width, 3) and page.lines
    for line in page.lines:
        pts = np.asarray(line.polygon)
        assert pts.min() >= 0 and pts[:, 0].max() <= width and pts[:, 1].max() <= height, line.text


def test_a_one_paragraph_user_corpus_still_fills_every_scene(tmp_path) -> None:
    path = tmp_path / "en.txt"
    path.write_text("Short custom text for the whole page, only one paragraph here.\n", encoding="utf-8")
    corpus = load_corpus({"en": str(path)})
    assert len(corpus["en"].paragraphs) == 1
    one = RenderContext(FontRegistry.load(corpus=corpus), corpus)
    for scene in SCENES:
        page = apply_render(sample_render(PageSpec(language="en", scene=scene, width=512, height=724),
                                          sample_rng(1), one), one)
        assert len(page.lines) >= 3, scene
    note = page.extras["paragraphs"]
    assert [p["line_indices"] for p in note] and note[0]["id"] == corpus["en"].paragraph_ids[0]


def test_long_cells_wrap_inside_their_cell(ctx) -> None:
    wrapped = 0
    for seed in range(12):
        spec = PageSpec(language="en", scene="table", width=W, height=H, options={"cols": 5})
        record = sample_render(spec, sample_rng(seed), ctx)
        page = apply_render(record, ctx)
        for cell_spec, cell in zip(record["tables"][0]["cells"], page.tables[0].cells, strict=True):
            if len(cell_spec["lines"]) < 2:
                continue
            wrapped += 1
            x0, y0 = np.min(cell.polygon, axis=0)
            x1, y1 = np.max(cell.polygon, axis=0)
            tops = []
            for i in cell_spec["lines"]:
                pts = np.asarray(page.lines[i].polygon)
                assert pts[:, 0].min() >= x0 and pts[:, 0].max() <= x1
                assert pts[:, 1].min() >= y0 and pts[:, 1].max() <= y1
                tops.append(pts[:, 1].min())
            assert tops == sorted(tops)  # stacked top to bottom in reading order
    assert wrapped >= 3
