"""`polyglyph export --format lines`: real rows from the generator, real Tesseract reading the crops.

The crops are right when an independent reader reads them as their labels say: clean pages in
English, Russian and Arabic are generated in-process, cut into lines, and Tesseract (`--psm 7`,
one line) reads a sample of them at a median CER of at most 3 %. The geometry tests use drawn
patterns whose orientation is known, so a crop that comes out turned or mirrored fails.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipelines.cli import main as cli_main
from pipelines.export.crops import line_corners, rectify
from pipelines.rows import rows_to_table
from qa_factory.judges.tesseract import tesseract_language
from qa_factory.textmetrics import character_error_rate, normalise_text

# Plain Noto faces (no Nastaliq) and UDHR text: this checks the cutting, not how well Tesseract reads
# decorative faces or word salad (ae_Sindbad Arabic read at 4-26 % CER from correct crops).
CONFIG = """\
page_sizes: [[800, 1100]]
scenes: {document: 1}
profiles: {clean: 1}
languages: [en, ru, ar]
fonts: {include: ["Noto Sans*", "Noto Serif*", "Noto Naskh*"]}
text: {sources: {udhr: 1}}
"""
SEED = 2  # its three pages are one per language (a page's language is drawn per sample)
PER_LANGUAGE = 4  # lines read by Tesseract per language (~0.2 s each)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    (root / "run.yaml").write_text(CONFIG)
    assert cli_main(["generate", "--config", str(root / "run.yaml"), "--num", "3",
                     "--seed", str(SEED), "--out", str(root / "ds"), "--workers", "1", "--quiet"]) == 0
    assert cli_main(["export", "--input", str(root / "ds"), "--format", "lines",
                     "--out", str(root / "lines"), "--quiet"]) == 0
    return root / "lines"


def _read(png: Path, language: str) -> str:
    pack = tesseract_language(language)
    assert pack, f"no Tesseract pack for {language}"
    done = subprocess.run(["tesseract", str(png), "-", "--psm", "7", "-l", pack],
                          capture_output=True, text=True, timeout=60, check=True,
                          env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return done.stdout.strip()


def test_tesseract_reads_crops_as_labelled(exported: Path) -> None:
    entries = [json.loads(x) for x in (exported / "index.jsonl").read_text("utf-8").splitlines()]
    present = {e["language"] for e in entries}
    assert "en" in present and len(present) >= 2, present  # Latin and at least one other script
    picked = []
    for language in sorted(present):
        mine = [e for e in entries if e["language"] == language and e["role"] == "paragraph"
                and len(e["text"]) >= 12]
        assert len(mine) >= PER_LANGUAGE, f"too few {language} lines exported"
        picked += mine[:: max(1, len(mine) // PER_LANGUAGE)][:PER_LANGUAGE]
    with ThreadPoolExecutor(2) as pool:
        reads = list(pool.map(lambda e: _read(exported / f"{e['name']}.png", e["language"]), picked))
    cers = {}
    for entry, read in zip(picked, reads, strict=True):
        label = (exported / f"{entry['name']}.gt.txt").read_text("utf-8")
        assert label == entry["text"] + "\n"
        cers[entry["name"]] = character_error_rate(normalise_text(entry["text"]),
                                                   normalise_text(read))
    for language in sorted(present):
        mine = [c for e, c in zip(picked, cers.values(), strict=True) if e["language"] == language]
        assert statistics.median(mine) <= 0.03, (language, mine)
    assert statistics.median(cers.values()) <= 0.03, cers


def test_summary_and_layout(exported: Path) -> None:
    marker = json.loads((exported / "export.json").read_text("utf-8"))
    assert marker["status"] == "done" and marker["format"] == "lines"
    pngs = sorted(p.name[:-4] for p in exported.glob("*.png"))
    gts = sorted(p.name[:-7] for p in exported.glob("*.gt.txt"))
    assert pngs == gts and len(pngs) == marker["summary"]["written"] > 50
    for name in pngs[:5]:
        with Image.open(exported / f"{name}.png") as img:
            assert img.height >= 8 and img.width > img.height


def _pattern_page() -> tuple[np.ndarray, list[list[float]]]:
    """A white page with a 200 x 40 box: its left half black, a grey stripe along its top."""
    page = np.full((400, 400, 3), 255, np.uint8)
    page[100:140, 100:200] = 0
    page[100:106, 200:300] = 128
    return page, [[100, 100], [300, 100], [300, 140], [100, 140]]


def _turn(page: np.ndarray, box: list[list[float]]) -> tuple[np.ndarray, list[list[float]]]:
    """The page and box turned a quarter clockwise (as a vertical Latin page is drawn)."""
    h = page.shape[0]
    turned = np.ascontiguousarray(np.rot90(page, k=-1))
    return turned, [[h - y, x] for x, y in box]


def _check_upright(crop: np.ndarray) -> None:
    h, w = crop.shape[:2]
    assert w > 3 * h, crop.shape
    grey = crop.mean(axis=2)
    assert grey[h // 2, w // 4] < 60 and grey[h // 2, 3 * w // 4] > 200  # dark half on the left
    assert grey[int(h * 0.2), int(w * 0.8)] < 200  # the stripe is on top


def test_rectify_keeps_text_upright_when_the_page_was_turned() -> None:
    page, box = _pattern_page()
    quad = sorted(box)  # any corner order: the polygon's first point says where the start is
    _check_upright(rectify(page, line_corners(box, quad), pad=0.1))
    turned, turned_box = _turn(page, box)
    from synth.geometry import min_area_quad

    corners = line_corners(turned_box, min_area_quad(turned_box))
    _check_upright(rectify(turned, corners, pad=0.1, vertical=True))


def test_vertical_column_rotated_or_kept() -> None:
    page = np.full((400, 400, 3), 255, np.uint8)
    page[100:200, 180:220] = 0  # the column's first (top) half is ink
    column = [[180, 100], [220, 100], [220, 300], [180, 300]]
    corners = line_corners(column, column)
    kept = rectify(page, corners, pad=0.0, vertical=True, rotate_ttb=False)
    assert kept.shape[0] > kept.shape[1] and kept[10, :, 0].mean() < 60
    turned = rectify(page, corners, pad=0.0, vertical=True, rotate_ttb=True)
    assert turned.shape[1] > turned.shape[0]
    assert turned[:, 10, 0].mean() < 60 and turned[:, -10, 0].mean() > 200  # start on the left


def _one_row_dataset(path: Path) -> None:
    page, box = _pattern_page()
    import cv2

    ok, png = cv2.imencode(".png", page)
    line = {"text": "abc", "polygon": box, "quad": box, "direction": "ltr", "role": "paragraph",
            "visible": 1.0}
    rows = [{"id": "r0", "image": {"bytes": png.tobytes(), "path": "r0.png"}, "width": 400,
             "height": 400, "lines": [line, {**line, "visible": 0.6},
                                      {**line, "role": "dont-care"}, {**line, "text": " "},
                                      {**line, "legible": False}]}]
    path.mkdir(parents=True)
    pq.write_table(rows_to_table(rows), path / "part-00000.parquet")


def test_skips_are_counted_and_out_is_protected(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _one_row_dataset(tmp_path / "ds")
    out = tmp_path / "lines"
    args = ["export", "--input", str(tmp_path / "ds"), "--format", "lines", "--out", str(out),
            "--quiet"]
    assert cli_main(args) == 0
    printed = capsys.readouterr().out
    assert "1 lines written" in printed and "skipped 1 lines: visible < 1" in printed
    assert "dont-care" in printed and "empty text" in printed and "illegible" in printed
    assert (out / "r0_000.gt.txt").read_text("utf-8") == "abc\n"
    assert cli_main(args) == 1  # not empty, no --overwrite
    assert "--overwrite" in capsys.readouterr().err
    assert cli_main([*args, "--overwrite", "--pad", "9"]) == 1  # bad value: out untouched
    assert (out / "r0_000.png").is_file()
    assert cli_main([*args, "--overwrite", "--min-visible", "0.5"]) == 0
    assert "2 lines written" in capsys.readouterr().out
    assert cli_main([*args, "--overwrite", "--keep-illegible"]) == 0
    assert "2 lines written" in capsys.readouterr().out  # the fine line and the illegible one
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "keep.txt").write_text("mine")
    assert cli_main([*args[:-2], str(stranger), "--overwrite", "--quiet"]) == 1
    assert (stranger / "keep.txt").is_file()


@pytest.fixture(scope="module")
def vertical_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vertical Japanese page (ttb columns) and a vertical English one (lines turned)."""
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry
    from pipelines.rows import page_to_row
    from synth.render import PageSpec, RenderContext, render_page
    from synth.rng import sample_rng

    corpus = load_corpus(None, languages=["ja", "en"])
    ctx = RenderContext(FontRegistry.load(corpus=corpus), corpus)
    rows = []
    for i, language in enumerate(["ja", "en"]):
        spec = PageSpec(language=language, scene="document", width=600, height=800, vertical=True)
        page = render_page(spec, sample_rng(i), ctx)
        rows.append(page_to_row(page, row_id=f"v{i}", index=i, seed=i, image_format="png",
                                quality=90))
    folder = tmp_path_factory.mktemp("vertical")
    pq.write_table(rows_to_table(rows), folder / "part-00000.parquet")
    return folder


@pytest.mark.parametrize("mode", ["rotate", "keep"])
def test_vertical_pages(vertical_rows: Path, tmp_path: Path, mode: str) -> None:
    out = tmp_path / mode
    assert cli_main(["export", "--input", str(vertical_rows), "--format", "lines", "--out",
                     str(out), "--vertical", mode, "--quiet"]) == 0
    entries = [json.loads(x) for x in (out / "index.jsonl").read_text("utf-8").splitlines()]
    ja = [e for e in entries if e["language"] == "ja" and len(e["text"]) >= 6]
    en = [e for e in entries if e["language"] == "en" and len(e["text"]) >= 12]
    assert ja and en and all(e["direction"] == "ttb" for e in ja + en)
    for e in ja:  # columns: turned to read left to right, or kept standing
        assert (e["width"] > e["height"]) == (mode == "rotate"), e
    assert all(e["width"] > e["height"] for e in en)  # turned Latin lines always come out upright
    picked = en[:: max(1, len(en) // 3)][:3]
    cers = [character_error_rate(normalise_text(e["text"]),
                                 normalise_text(_read(out / f"{e['name']}.png", "en")))
            for e in picked]
    assert statistics.median(cers) <= 0.03, cers


def test_overwrite_deletes_only_what_the_earlier_export_wrote(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`export --overwrite` removed the whole folder, files the user had added to it too.
    Now it deletes the files listed in export-files.txt and refuses (deleting nothing) when
    anything else is there, like generate's rule."""
    _one_row_dataset(tmp_path / "ds")
    out = tmp_path / "lines"
    args = ["export", "--input", str(tmp_path / "ds"), "--format", "lines", "--out", str(out),
            "--quiet"]
    assert cli_main(args) == 0
    listed = (out / "export-files.txt").read_text("utf-8").split()
    assert "r0_000.png" in listed and "index.jsonl" in listed and "export.json" not in listed
    (out / "notes.txt").write_text("mine")
    (out / "extra").mkdir()
    before = sorted(p.name for p in out.iterdir())
    capsys.readouterr()
    assert cli_main([*args, "--overwrite"]) == 1
    err = capsys.readouterr().err.strip()
    assert "notes.txt" in err and "extra" in err and "\n" not in err, err
    assert sorted(p.name for p in out.iterdir()) == before  # nothing deleted
    (out / "notes.txt").unlink()
    (out / "extra").rmdir()
    assert cli_main([*args, "--overwrite", "--min-visible", "0.5"]) == 0
    assert "2 lines written" in capsys.readouterr().out
    # an export that stopped before its end wrote no list: its folder is cleared whole
    (out / "export-files.txt").unlink()
    assert cli_main([*args, "--overwrite"]) == 0
    assert (out / "export-files.txt").is_file()
