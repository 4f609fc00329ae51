"""Fourth hostile-input review: a `--corpus` row no installed font draws, and benchmark
annotation files too large to read whole. Real files, real fonts, the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
NO_FONT = "\U0010fffd"  # a private-use code point no installed face maps


def _text(corpus: Path, num: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYGLYPH, "text", "--language", "en", "--sources", "corpus=1",
                           "--num", str(num), "--corpus", f"en={corpus}"],
                          capture_output=True, text=True, timeout=300)


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_an_undrawable_row_is_skipped_with_one_line_wherever_it_is(tmp_path: Path) -> None:
    """One row with a character no font draws refused the whole corpus when it fell in the
    2,000-row coverage sample and was skipped silently elsewhere. Now it is skipped in both
    places, never drawn, and one warning names the count, the character and its row."""
    small = [f"Row number {i} says hello to the quiet world of text." for i in range(50)]
    small[17] = f"Bad row with {NO_FONT} inside."
    done = _text(_write(tmp_path / "small.txt", small), 30)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1, done.stderr
    assert "skipping 1 of 50 sampled rows" in warnings[0]
    assert "U+10FFFD" in warnings[0] and "row 18" in warnings[0]
    assert "Row number 16" in done.stdout and "Bad row" not in done.stdout
    big = [f"Row number {i} says hello to the quiet world of text." for i in range(5000)]
    big[4000] = big[4001] = f"Bad row with {NO_FONT} inside."  # sampled: 4001 (0-based), not 4000
    done = _text(_write(tmp_path / "big.txt", big), 30)
    assert done.returncode == 0, done.stderr
    assert "skipping 1 of 2000 sampled rows" in done.stderr and "row 4002" in done.stderr
    assert "Bad row" not in done.stdout


def test_a_small_corpus_with_a_dropped_row_is_still_drawn_from_memory(tmp_path: Path) -> None:
    """A corpus of at most 2,000 rows is drawn from its sample (`udhr_only`) without the
    page's drawability check: the filtered sample must keep that path, and hold no bad row."""
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry
    from synth.pagetext import udhr_only
    from synth.render import RenderContext

    rows = [f"Line {i} of a short user text." for i in range(20)]
    rows[3] = f"Line with {NO_FONT}."
    corpus = load_corpus({"en": str(_write(tmp_path / "c.txt", rows))}, languages=["en"])
    ctx = RenderContext(FontRegistry.load(corpus=corpus), corpus)
    text = ctx.corpus["en"]
    assert text.skipped == 1 and len(text.paragraphs) == 19
    assert not any(NO_FONT in p for p in text.paragraphs)
    assert "u3" not in text.paragraph_ids and "u4" in text.paragraph_ids
    assert udhr_only({"corpus": 1.0}, text)
    assert ctx.registry.language("en").usable


def test_a_corpus_mostly_undrawable_is_refused_naming_the_threshold(tmp_path: Path) -> None:
    rows = [f"Row {i} says hello." if i % 3 == 0 else f"Bad {NO_FONT} row {i}" for i in range(30)]
    done = _text(_write(tmp_path / "most.txt", rows), 1)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "only 10 of 30 sampled rows are drawable (at least 50% must be)" in lines[0]
    assert "U+10FFFD" in lines[0] and "row 2" in lines[0]


def test_an_annotation_file_over_its_cap_is_skipped_naming_size_and_cap(tmp_path: Path) -> None:
    """A gt_*.txt or COCO/MMOCR JSON was read whole, however large: a 2 GB file took all the
    memory there was. Now a file over its cap (64 MiB for one gt file, 512 MiB for JSON) is
    a problem naming it, its size and the cap, and the read stops at the cap."""
    from PIL import Image

    bench = tmp_path / "bench"
    bench.mkdir()
    for stem in ("good", "huge"):
        Image.new("RGB", (300, 100), "white").save(bench / f"{stem}.png")
    (bench / "gt_good.txt").write_text("10,10,200,10,200,40,10,40,HELLO\n", encoding="utf-8")
    with open(bench / "gt_huge.txt", "wb") as handle:  # sparse: no disk used
        handle.truncate(70 << 20)
    out = tmp_path / "out"
    done = _variants(bench, out)
    assert done.returncode == 0, done.stderr
    problems = (out / "problems.jsonl").read_text() if (out / "problems.jsonl").exists() else ""
    said = done.stdout + done.stderr + problems
    assert "gt_huge.txt" in said and "73,400,320 bytes, over the 64 MiB" in said, said


def test_a_json_annotation_file_over_the_cap_is_not_parsed(tmp_path: Path, monkeypatch) -> None:
    import pipelines.source_items as source_items
    from pipelines.readers import read_coco

    monkeypatch.setattr(source_items, "MAX_JSON_BYTES", 1 << 20, raising=False)
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "instances.json"
    path.write_text('{"images": [], "annotations": [' + "0," * (1 << 20) + "0]}")
    items, problems = read_coco(tmp_path)
    assert items == []
    assert [p.problem for p in problems if p.file == "instances.json"] == [
        f"skipped: {path.stat().st_size:,} bytes, over the 1 MiB an annotation file may hold "
        "(split it)"]


def test_validate_takes_one_shard_file_and_quiet_like_the_other_commands(tmp_path: Path) -> None:
    """`validate --input` took a folder only ('is not a directory') while export and inspect
    take one shard file too; it said --no-progress where generate, variants and export say
    --quiet. Both are taken now (--no-progress still is)."""
    from PIL import Image

    bench = tmp_path / "bench"
    bench.mkdir()
    Image.new("RGB", (300, 100), "white").save(bench / "a.png")
    (bench / "gt_a.txt").write_text("10,10,200,10,200,40,10,40,HELLO\n", encoding="utf-8")
    dataset = tmp_path / "ds"
    done = _variants(bench, dataset)
    assert done.returncode == 0, done.stderr
    (shard,) = sorted(dataset.rglob("part-*.parquet"))
    out = tmp_path / "v"
    done = subprocess.run([POLYGLYPH, "validate", "--input", str(shard), "--judges", "tesseract",
                           "--quiet", "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.rglob("part-*.parquet")] == [shard.name]
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    done = subprocess.run([POLYGLYPH, "validate", "--input", str(notes), "--quiet", "--out",
                           str(tmp_path / "w")], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1
    assert "not a dataset folder or a .parquet shard" in done.stderr
    assert not (tmp_path / "w").exists()


def test_a_character_only_a_handwriting_or_bold_face_maps_is_undrawable_in_print(
        tmp_path: Path) -> None:
    """U+4DB6 is mapped by an installed face no print chain may take (handwriting or not the
    family's regular): counting it drawable kept its row and refused the corpus again."""
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry

    rows = ["人人生而自由，在尊严和权利上一律平等。" for _ in range(10)]
    rows[5] = "人人生而自由\u4db6在尊严和权利上一律平等。"
    corpus = load_corpus({"zh-Hans": str(_write(tmp_path / "zh.txt", rows))},
                         languages=["zh-Hans"])
    registry = FontRegistry.load(corpus=corpus)
    assert registry.corpus["zh-Hans"].skipped == 1
    assert "U+4DB6" in registry.corpus["zh-Hans"].skipped_note
    assert registry.language("zh-Hans").usable


def _variants(bench: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """`variants` over an ICDAR-2015 folder, unwarped PNG rows: the benchmark path users take."""
    return subprocess.run([POLYGLYPH, "variants", "--input", str(bench), "--format", "icdar2015",
                           "--profile", "clean", "--geometry-only", "--image-format", "png",
                           "--quiet", "--out", str(out)], capture_output=True, text=True,
                          timeout=300)
