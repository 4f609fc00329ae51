"""Hostile input, third review (2026-12-07): benchmark images of other kinds (16-bit grey,
transparent PNGs, EXIF-turned and resized photos in COCO files), zero-area boxes, bidi override
controls in a user corpus, a WOFF2 web font in --font-dir. Each used to give labels that lie (text
not drawn where the label says, or drawn in another order) or an internal error; each test fails
before its fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image, ImageDraw, ImageFont

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _variants(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYGLYPH, "variants", "--profile", "clean", "--geometry-only",
                           "--image-format", "png", "--quiet", *args],
                          capture_output=True, text=True, timeout=300)


def _hello(size: tuple[int, int] = (400, 200)) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """Grey (not black) text 'HELLO' on white, and its ink box."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU), 40)
    draw.text((50, 60), "HELLO", font=font, fill=70)
    return image, draw.textbbox((50, 60), "HELLO", font=font)


def _rows(out: Path) -> dict[str, dict]:
    """Rows of a variants output by source image name."""
    rows = [row for part in sorted((out / "data").glob("*.parquet"))
            for row in pq.read_table(part).to_pylist()]
    return {json.loads(row["render"])["source"]: row for row in rows}


def _ink_under(row: dict, text: str) -> float:
    """Mean grey (0 black .. 255 white) inside the bounding box of the line labelled `text`."""
    import io

    image = np.asarray(Image.open(io.BytesIO(row["image"]["bytes"])).convert("L"), np.float64)
    (line,) = [ln for ln in row["lines"] if ln["text"] == text]
    pts = np.asarray(line["polygon"])
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    return float(image[y0:y1, x0:x1].mean())


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs fonts-dejavu-core")
def test_deep_grey_and_transparent_images_keep_their_text(tmp_path: Path) -> None:
    """A 16-bit grey PNG came out white (convert("RGB") clips 16-bit values to 255) and a
    transparent PNG black (its unpainted pixels are stored black): either way the text under
    the label was gone. A zero-area box kept its text as a label of nothing."""
    root = tmp_path / "bench mark é"  # a space and a non-ASCII letter in --input
    root.mkdir()
    grey, (x0, y0, x1, y1) = _hello()
    box = f"{x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1}"
    grey.save(root / "plain.png")
    Image.fromarray(np.asarray(grey, np.uint16) * 257).save(root / "deep.png")  # mode I;16
    ink = np.asarray(grey) < 255
    rgba = np.zeros((*ink.shape, 4), np.uint8)  # transparent black paper, opaque grey ink
    rgba[..., :3] = np.where(ink, np.asarray(grey), 0)[..., None]
    rgba[..., 3] = np.where(ink, 255, 0)
    Image.fromarray(rgba, "RGBA").save(root / "clear.png")
    for stem in ("plain", "deep", "clear"):
        (root / f"gt_{stem}.txt").write_text(f"{box},HELLO\n50,60,50,60,50,60,50,60,POINT\n")
    out = tmp_path / "out"
    done = _variants("--input", str(root), "--format", "icdar2015", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    plain = _ink_under(rows["plain.png"], "HELLO")
    assert plain < 230  # the box holds ink
    for name in ("deep.png", "clear.png"):
        page = np.asarray(Image.open(__import__("io").BytesIO(rows[name]["image"]["bytes"])))
        assert page.mean() > 200, name  # white paper, not black
        assert abs(_ink_under(rows[name], "HELLO") - plain) < 8, name  # the same grey text
        assert [ln["text"] for ln in rows[name]["lines"]] == ["HELLO"]  # POINT dropped
    problems = json.loads((out / "problems.json").read_text())["problems"]
    assert sum("'POINT'" in p["problem"] and "area 0" in p["problem"] for p in problems) == 3


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs fonts-dejavu-core")
def test_coco_declared_size_decides_the_frame(tmp_path: Path) -> None:
    """COCO image entries declare width/height. A phone photo stored sideways with an EXIF
    orientation, annotated as shown (its declared size is the turned one), had its labels put
    on the stored pixels, beside the text; a resized copy kept the original's polygons."""
    root = tmp_path / "coco"
    (root / "images").mkdir(parents=True)
    grey, (x0, y0, x1, y1) = _hello()
    grey.save(root / "images" / "plain.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise: store it turned the other way
    grey.transpose(Image.Transpose.ROTATE_90).save(root / "images" / "turned.jpg", exif=exif,
                                                   quality=95)
    grey.resize((200, 100)).save(root / "images" / "small.png")
    names = ["plain.png", "turned.jpg", "small.png"]
    images = [{"id": i, "file_name": n, "width": 400, "height": 200} for i, n in enumerate(names)]
    anns = [{"id": i, "image_id": i, "bbox": [x0, y0, x1 - x0, y1 - y0], "utf8_string": "HELLO"}
            for i in range(3)]
    (root / "images" / "text.json").write_text(json.dumps({"images": images, "annotations": anns}))
    out = tmp_path / "out"
    done = _variants("--input", str(root), "--format", "coco", "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = _rows(out)
    assert set(rows) == {"images/plain.png", "images/turned.jpg"}
    plain = _ink_under(rows["images/plain.png"], "HELLO")
    assert (rows["images/turned.jpg"]["width"], rows["images/turned.jpg"]["height"]) == (400, 200)
    assert abs(_ink_under(rows["images/turned.jpg"], "HELLO") - plain) < 8
    problems = json.loads((out / "problems.json").read_text())["problems"]
    assert [p["file"] for p in problems] == ["images/small.png"]
    assert "declares 400x200 but the file is 200x100" in problems[0]["problem"]


def test_bidi_overrides_are_removed_from_user_text(tmp_path: Path) -> None:
    """An RLO in a corpus line drew 'Hello world' as 'dlrow olleH' while the label (logical
    order, the control invisible) said 'Hello world': a label no image shows. Soft hyphens,
    zero-width spaces, word joiners and BOMs inside lines stayed in labels over nothing."""
    from fonts_manifest.corpus_stream import open_corpus

    corpus = tmp_path / "c.txt"
    corpus.write_text("\u202eHello world\u202c said \u2067nobody\u2069 today\nplain line\n"
                      "soft\u00adhyphen zero\u200bwidth word\u2060joiner bom\ufeffhere "
                      "\u0915\u094d\u200d\u0937\n", encoding="utf-8")
    opened = open_corpus(str(corpus))
    assert opened.text(0) == "Hello world said nobody today"
    # drawn as nothing, so no reader could label them; ZWJ shapes what is drawn: it stays
    assert opened.text(2) == "softhyphen zerowidth wordjoiner bomhere \u0915\u094d\u200d\u0937"
    done = subprocess.run([POLYGLYPH, "text", "--language", "en", "--sources", "corpus=1",
                           "--num", "1", "--corpus", f"en={corpus}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Hello world said" in done.stdout
    assert not set(done.stdout) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_a_woff2_font_is_skipped_with_one_line(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A WOFF2 web font saved as .ttf (fontTools reads by magic) was an internal error
    (ImportError: no brotli) that stopped `polyglyph fonts --font-dir` and every run."""
    from fonts_manifest.fontdb import read_font_file

    font = tmp_path / "web.ttf"
    font.write_bytes(b"wOF2\x00\x01\x00\x00" + b"\x00" * 40)
    assert read_font_file(font) == []
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and "skipping font" in err[0] and str(font) in err[0], err


def test_benchmark_lines_in_right_to_left_scripts_say_so(tmp_path: Path) -> None:
    """Every benchmark line was labelled `ltr`, Hebrew and Arabic transcriptions too: a
    consumer filtering or cropping by `direction` was misled. The first strong character
    decides, as the bidi algorithm decides a paragraph's direction."""
    from pipelines.readers import read_icdar2015
    from pipelines.source_page import item_page

    Image.new("RGB", (300, 120), "white").save(tmp_path / "page.png")
    (tmp_path / "gt_page.txt").write_text(
        "10,10,200,10,200,40,10,40,שלום עולם\n10,50,200,50,200,80,10,80,«مرحبا» 2024\n"
        "10,85,200,85,200,110,10,110,2024 Hello\n", encoding="utf-8")
    (item,), problems = read_icdar2015(tmp_path)
    assert problems == []
    page, dropped = item_page(item, 10_000_000)
    assert dropped == []
    assert [ln.direction for ln in page.lines] == ["rtl", "rtl", "ltr"]
    assert page.direction == "rtl"  # most of its lines


def test_mlt_ground_truth_keeps_its_script_column_out_of_the_text(tmp_path: Path) -> None:
    """ICDAR 2017 MLT names its files gt_<image>.txt like ICDAR 2015 but puts a script column
    before the text: every label read as "Latin,Castle". A 2015 file reads as before."""
    from pipelines.readers import read_icdar2015

    Image.new("RGB", (300, 120), "white").save(tmp_path / "img_1.jpg")
    Image.new("RGB", (300, 120), "white").save(tmp_path / "img_2.jpg")
    (tmp_path / "gt_img_1.txt").write_text(
        "\ufeff131,34,181,34,179,47,131,49,Latin,Castle\n150,59,194,58,196,72,150,73,Arabic,متحف\n"
        "90,83,143,83,143,96,91,96,None,###\n10,10,60,10,60,30,10,30,Latin,a,b\n", encoding="utf-8")
    (tmp_path / "gt_img_2.txt").write_text(
        "10,10,60,10,60,30,10,30,Latin,Castle\n10,40,60,40,60,60,10,60,Hello\n", encoding="utf-8")
    items, problems = read_icdar2015(tmp_path)
    assert problems == []
    by_image = {item.key: item.lines for item in items}
    mlt = by_image["img_1.jpg"]
    assert [ln.text for ln in mlt] == ["Castle", "متحف", "###", "a,b"]
    assert [ln.dont_care for ln in mlt] == [False, False, True, False]
    assert [ln.text for ln in by_image["img_2.jpg"]] == ["Latin,Castle", "Hello"]  # 2015


def test_a_coco_word_in_pieces_is_labelled_over_all_of_them(tmp_path: Path) -> None:
    """A segmentation of two polygons (a word split by an occluder) kept the first piece only,
    with the whole word's text: the label said "HELLO WORLD" over "HELLO"'s ink."""
    from pipelines.json_readers import read_coco

    Image.new("RGB", (200, 60), "white").save(tmp_path / "a.png")
    anns = [{"id": 1, "image_id": 1, "utf8_string": "HELLO WORLD",
             "segmentation": [[10, 10, 50, 10, 50, 30, 10, 30], [60, 12, 100, 12, 100, 32, 60, 32]]}]
    (tmp_path / "t.json").write_text(json.dumps(
        {"images": [{"id": 1, "file_name": "a.png", "width": 200, "height": 60}],
         "annotations": anns}))
    (item,), problems = read_coco(tmp_path)
    assert problems == []
    (line,) = item.lines
    pts = np.asarray(line.polygon)
    assert line.text == "HELLO WORLD"
    assert pts.min(axis=0).tolist() == [10, 10] and pts.max(axis=0).tolist() == [100, 32]


def test_mmocr_declared_size_is_checked(tmp_path: Path) -> None:
    """MMOCR data_list entries declare height/width too: a resized copy of the image is
    refused (its polygons were drawn on the original) instead of labelled beside its text."""
    from pipelines.containment import Refused
    from pipelines.readers import read_mmocr
    from pipelines.source_page import item_page

    Image.new("RGB", (200, 100), "white").save(tmp_path / "small.png")
    Image.new("RGB", (400, 200), "white").save(tmp_path / "same.png")
    entries = [{"img_path": name, "height": 200, "width": 400,
                "instances": [{"polygon": [10, 10, 300, 10, 300, 40, 10, 40], "text": "HELLO"}]}
               for name in ("small.png", "same.png")]
    (tmp_path / "textspotting_train.json").write_text(json.dumps({"data_list": entries}))
    items, problems = read_mmocr(tmp_path)
    assert problems == []
    by_key = {item.key: item for item in items}
    page, _ = item_page(by_key["same.png"], 10_000_000)
    assert [ln.text for ln in page.lines] == ["HELLO"]
    with pytest.raises(Refused, match="declares 400x200 but the file is 200x100"):
        item_page(by_key["small.png"], 10_000_000)


def test_the_cards_variants_command_makes_the_same_rows(tmp_path: Path) -> None:
    """The card's "How it was made" line left the input unquoted (a folder with a space
    became two arguments) and dropped --geometry-only, --image-format, --input-kind...: run
    as written it failed, or made other bytes."""
    import shlex

    root = tmp_path / "my bench"
    root.mkdir()
    Image.new("RGB", (160, 80), "white").save(root / "a.png")
    (root / "gt_a.txt").write_text("10,10,100,10,100,40,10,40,Hi\n")
    first = tmp_path / "first"
    done = _variants("--input", str(root), "--format", "icdar2015", "--input-kind", "document",
                     "--out", str(first))  # with --geometry-only, --image-format png, clean
    assert done.returncode == 0, done.stderr
    card = (first / "README.md").read_text()
    line = card.split("```bash\n", 1)[1].split("\n", 1)[0]
    args = shlex.split(line)
    assert args[:2] == ["polyglyph", "variants"] and args[-2:] == ["--out", "OUT"]
    again = tmp_path / "again"
    redo = subprocess.run([POLYGLYPH, *args[1:-1], str(again), "--quiet"], capture_output=True,
                          text=True, timeout=300)
    assert redo.returncode == 0, redo.stderr

    def shards(out: Path) -> list[str]:
        return [s["sha256"] for s in json.loads((out / "manifest.json").read_text())["shards"]]

    assert shards(again) == shards(first)


ABOGADO = Path("/usr/share/fonts/truetype/dustin/El_Abogado_Loco.ttf")


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs fonts-dejavu-core")
def test_a_letter_made_of_empty_pieces_is_not_covered(tmp_path: Path) -> None:
    """A face whose 'Q' is a composite of the empty space glyph draws nothing for it, yet was
    counted as drawing 'Q' (only zero-length glyphs were caught): a label 'Quick' over 'uick'.
    Installed example: El Abogado Loco's 'ī' is macron + dotlessi, both empty; it was listed
    for Māori and Tahitian."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

    from fonts_manifest.fontdb import Coverage, _stale, read_font_file

    font = TTFont(str(DEJAVU))
    cmap = font.getBestCmap()
    piece = GlyphComponent()
    piece.glyphName, piece.x, piece.y, piece.flags = cmap[0x20], 0, 0, 0
    hollow = Glyph()
    hollow.numberOfContours, hollow.components = -1, [piece]
    font["glyf"][cmap[ord("Q")]] = hollow
    path = tmp_path / "hollow.ttf"
    font.save(str(path))
    assert ImageFont.truetype(str(path), 40).getmask("Q").getbbox() is None  # draws nothing
    (face,) = read_font_file(path)
    covered = Coverage(face["ranges"])
    assert ord("Q") not in covered and ord("R") in covered and ord("Å") in covered
    if ABOGADO.exists():
        (face,) = read_font_file(ABOGADO)
        assert 0x12B not in Coverage(face["ranges"]) and 0x101 in Coverage(face["ranges"])
    # a cache entry read by the older checks is read again
    stat = path.stat()
    entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "ctime_ns": stat.st_ctime_ns}
    assert _stale(entry, stat) and not _stale({**entry, "checks": 2}, stat)


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs fonts-dejavu-core")
def test_a_placeholder_box_for_a_whole_script_is_not_coverage(tmp_path: Path) -> None:
    """A face whose cmap sends all of Thai to one box glyph (as last-resort and .notdef fonts
    do) counted as drawing Thai: with --font-dir and user_share 1, Thai pages were rows of
    boxes under Thai labels. Letters sharing one glyph beyond a handful are not coverage."""
    from fontTools.ttLib import TTFont

    from fonts_manifest.facecheck import shared_glyph_codepoints
    from fonts_manifest.fontdb import Coverage, read_font_file

    font = TTFont(str(DEJAVU))
    box = font.getBestCmap()[0x25A1]
    thai = [*range(0x0E01, 0x0E3B), *range(0x0E3F, 0x0E5C)]
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap.update(dict.fromkeys(thai, box))
    path = tmp_path / "boxy.ttf"
    font.save(str(path))
    (face,) = read_font_file(path)
    covered = Coverage(face["ranges"])
    assert not any(cp in covered for cp in thai)
    assert ord("A") in covered and ord("ß") in covered
    assert shared_glyph_codepoints(TTFont(str(DEJAVU)).getBestCmap()) == set()  # real fonts


def test_area_check_reads_the_hull_not_the_ring() -> None:
    """Zero-area polygons are dropped, but a quad listed in bow-tie order (ring area 0, a real
    box) is a label to keep, and a box in the margin clipped flat onto the border is not."""
    from pipelines.containment import fit_polygon

    kept, why = fit_polygon([[0, 0], [10, 0], [0, 10], [10, 10]], 100, 100)
    assert why is None and kept is not None
    for flat in ([[5, 5]] * 4, [[-3, -3], [-1, -3], [-1, 40], [-3, 40]]):
        dropped, why = fit_polygon(flat, 100, 100)
        assert dropped is None and why is not None and "no pixels to label" in why


def test_a_parquet_corpus_column_that_is_not_text_is_named(tmp_path: Path) -> None:
    """`--corpus en=x.parquet` whose `text` column held numbers or lists said "file has no
    text"; a missing column listed Parquet's leaf names ("columns: element") instead of the
    file's columns; a binary column of UTF-8 text (common in dumps) was read as no text."""
    import pyarrow as pa

    from fonts_manifest.corpus_stream import open_corpus
    from fonts_manifest.errors import PolyglyphError

    numbers, nested, raw = tmp_path / "n.parquet", tmp_path / "l.parquet", tmp_path / "b.parquet"
    pq.write_table(pa.table({"text": list(range(5))}), numbers)
    pq.write_table(pa.table({"tags": [["a", "b"]] * 5, "body": ["Hello there"] * 5}), nested)
    pq.write_table(pa.table({"text": pa.array([b"Hello world row"] * 5, pa.binary())}), raw)
    with pytest.raises(PolyglyphError, match=r"n\.parquet: column 'text' holds int64, not text"):
        open_corpus(str(numbers))
    with pytest.raises(PolyglyphError, match=r"no column 'text' \(columns: tags, body\)"):
        open_corpus(str(nested))
    assert open_corpus(f"{nested}#body").text(0) == "Hello there"
    assert open_corpus(str(raw)).text(3) == "Hello world row"


def test_coco_annotations_of_no_image_are_reported(tmp_path: Path) -> None:
    """Image id "1" (a string) against annotations' image_id 1: the annotations were dropped
    without a word and the image's row answered "no text" (没有文字) over its text."""
    from pipelines.json_readers import read_coco

    Image.new("RGB", (200, 60), "white").save(tmp_path / "a.png")
    (tmp_path / "t.json").write_text(json.dumps(
        {"images": [{"id": "1", "file_name": "a.png"}],
         "annotations": [{"id": 1, "image_id": 1, "bbox": [5, 5, 50, 20], "text": "HI"},
                         {"id": 2, "image_id": 1, "bbox": [5, 30, 50, 20], "text": "HO"}]}))
    (item,), problems = read_coco(tmp_path)
    assert item.lines == []
    assert [p.file for p in problems] == ["t.json"]
    assert "2 annotation(s) skipped: image_id 1 matches no image entry" in problems[0].problem


def test_an_image_whose_every_annotation_is_dropped_makes_no_row(tmp_path: Path) -> None:
    """Every annotation of an image malformed, or every polygon outside it: the image became a
    row with no lines, whose spotting view answered "no text" (没有文字) over its text."""
    from pipelines.containment import Refused
    from pipelines.readers import read_icdar2015
    from pipelines.source_page import item_page

    for stem in ("broken", "outside", "fine"):
        Image.new("RGB", (200, 100), "white").save(tmp_path / f"{stem}.png")
    (tmp_path / "gt_broken.txt").write_text("1,2,3,HELLO\nx,y,1,1,2,2,3,3,WORLD\n")
    (tmp_path / "gt_outside.txt").write_text("900,900,990,900,990,950,900,950,FAR\n")
    (tmp_path / "gt_fine.txt").write_text("900,900,990,900,990,950,900,950,FAR\n"
                                          "10,10,90,10,90,40,10,40,NEAR\n")
    items, problems = read_icdar2015(tmp_path)
    assert sorted(item.key for item in items) == ["fine.png", "outside.png"]
    assert any(p.file == "gt_broken.txt" and "none of its 2 annotations" in p.problem
               for p in problems)
    by_key = {item.key: item for item in items}
    with pytest.raises(Refused, match="all 1 annotations dropped"):
        item_page(by_key["outside.png"], 10_000_000)
    page, dropped = item_page(by_key["fine.png"], 10_000_000)  # some left: a row, one reason
    assert [ln.text for ln in page.lines] == ["NEAR"] and len(dropped) == 1
