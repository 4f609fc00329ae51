"""Issue #21 class 5: hostile benchmark files are contained, through the real `polyglyph
variants` process. A PNG declaring 50000x50000 pixels, a truncated image, names that escape
`--input` (absolute, `..`, a symlink out), polygons at 1e9 or beyond float range, wrong-typed
and malformed JSON: each is one skipped image or one dropped annotation with a one-line reason,
the good images are all made, stats.json counts the skips, and resume follows image contents."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image, ImageDraw

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
QUAD = [20, 20, 120, 20, 120, 44, 20, 44]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYGLYPH, "variants", "--format", "coco", "--profile", "scan",
                           "--quiet", *args], capture_output=True, text=True, timeout=180)


def _good(path: Path, shade: int = 10) -> None:
    img = Image.new("RGB", (200, 120), (240, 240, 235))
    ImageDraw.Draw(img).rectangle([20, 20, 120, 44], fill=(shade, shade, shade))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def _png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header (IHDR) declaring width x height, with almost no data behind it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b""))


def _bench(root: Path, secret: Path) -> None:
    _good(root / "imgs" / "good.png")
    _good(root / "imgs" / "good2.png")
    _good(root / "imgs" / "good3.png")
    (root / "imgs" / "bomb.png").write_bytes(_png_declaring(50000, 50000))
    whole = (root / "imgs" / "good.png").read_bytes()
    (root / "imgs" / "trunc.png").write_bytes(whole[: len(whole) // 2])
    _good(secret)
    (root / "imgs" / "link.png").symlink_to(secret)
    names = ["imgs/good.png", "imgs/bomb.png", "imgs/trunc.png", str(secret),
             "../" + secret.name, "imgs/link.png", "imgs/good2.png"]
    images = [{"id": i, "file_name": n} for i, n in enumerate(names)]
    anns = [{"id": i, "image_id": i, "segmentation": [QUAD], "text": "Hello"}
            for i in range(len(names))]
    anns += [
        {"id": 100, "image_id": 0, "segmentation": [[0, 0, 1e9, 0, 1e9, 1e9, 0, 1e9]], "text": "huge"},
        {"id": 101, "image_id": 0, "segmentation": [[-3, -2, 203, -2, 203, 30, -3, 30]], "text": "edge"},
        {"id": 102, "image_id": 0, "bbox": [10, 10, "x", 5], "text": "typed"},
        {"id": 103, "image_id": [1], "bbox": [10, 10, 5, 5], "text": "list id"},
        {"id": 104, "image_id": 6, "segmentation": [[-1e9, -1e9, -1e9, 5, 5, 5]], "text": "neg"},
    ]
    text = json.dumps({"images": images, "annotations": anns})
    (root / "c.json").write_text(text)
    (root / "overflow.json").write_text(  # an integer beyond float range; 1e999 parses as inf
        '{"images": [{"id": 1, "file_name": "imgs/good3.png"}], "annotations": '
        '[{"id": 1, "image_id": 1, "segmentation": [[0, 0, 1' + "0" * 400 + ', 0, 5, 5]]},'
        ' {"id": 2, "image_id": 1, "segmentation": [[0, 0, 1e999, 0, 5, 5]]}]}')
    (root / "syntax.json").write_text('{"images": [')
    (root / "types.json").write_text(json.dumps({"images": 5, "annotations": {}}))
    (root / "deep.json").write_text("[" * 50_000 + "]" * 50_000)


def test_hostile_files_are_skipped_one_line_each_and_the_good_images_made(tmp_path: Path) -> None:
    root, out = tmp_path / "bench", tmp_path / "out"
    _bench(root, tmp_path / "secret.png")
    done = _run("--input", str(root), "--copies", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = pq.read_table(out / "data" / "part-00000.parquet").to_pylist()
    # good3's only annotations overflow: skipped, not a row saying it has no text
    assert sorted({r["source"] for r in rows}) == [f"imgs/good{n}.png" for n in ("", 2)]
    assert len(rows) == 4
    good = next(r for r in rows if r["source"] == "imgs/good.png")
    assert sorted(ln["text"] for ln in good["lines"]) == ["Hello", "edge"]  # edge clipped, kept
    problems = json.loads((out / "problems.json").read_text())["problems"]
    said = "\n".join(f"{p['file']}: {p['problem']}" for p in problems)
    for expected in ("bomb.png: image skipped: 50000x50000", "trunc.png: unreadable image",
                     "absolute path", "`..` in", "link.png: skipped: resolves to",
                     "('huge') dropped: polygon spans", "('neg') dropped",
                     "annotation 102: malformed", "out of float range", "non-finite",
                     "syntax.json: not valid JSON", "types.json: not COCO", "deep.json: not valid",
                     "overflow.json#image 1: skipped: none of its 2 annotations could be read"):
        assert expected in said, (expected, said)
    for p in problems:  # one line each on stderr
        assert f"polyglyph variants: {p['file']}: {p['problem']}\n" in done.stderr
    stats = json.loads((out / "stats.json").read_text())
    # bomb, trunc (decoded and refused), absolute, `..`, symlink (as a file and as a name)
    assert stats["images"] == 2 and stats["images_skipped"] >= 6
    assert stats["annotations_dropped"] == 5  # huge, neg, typed, overflow, inf
    assert "images skipped" in done.stdout


def test_the_pixel_cap_is_the_users_to_raise(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    _good(root / "a.png")
    (root / "c.json").write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}],
                                             "annotations": [{"id": 1, "image_id": 1,
                                                              "segmentation": [QUAD]}]}))
    low = _run("--input", str(root), "--max-image-pixels", "20000", "--out", str(tmp_path / "a"))
    assert low.returncode == 1 and "200x120 = 24,000 pixels declared" in low.stderr, low.stderr
    assert "no image of --input" in low.stderr.splitlines()[-1]  # nothing made: not a success
    assert json.loads((tmp_path / "a" / "stats.json").read_text())["images_skipped"] == 1
    ok = _run("--input", str(root), "--max-image-pixels", "30000", "--out", str(tmp_path / "b"))
    assert ok.returncode == 0 and "skipped" not in ok.stderr, ok.stderr
    over = _run("--input", str(root), "--max-image-pixels", "1e12", "--out", str(tmp_path / "c"))
    assert over.returncode == 2 and over.stderr.count("\n") == 1


def test_resume_follows_image_contents_not_sizes(tmp_path: Path) -> None:
    root, out = tmp_path / "bench", tmp_path / "out"
    _good(root / "a.png", shade=10)
    (root / "c.json").write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}],
                                             "annotations": [{"id": 1, "image_id": 1,
                                                              "segmentation": [QUAD]}]}))
    assert _run("--input", str(root), "--out", str(out)).returncode == 0
    first = (out / "data" / "part-00000.parquet").read_bytes()
    assert _run("--input", str(root), "--out", str(out)).returncode == 0  # unchanged: resumes
    before = (root / "a.png").stat().st_size
    _good(root / "a.png", shade=11)  # same size, other pixels
    assert (root / "a.png").stat().st_size == before
    stale = _run("--input", str(root), "--out", str(out))
    assert stale.returncode == 1 and "--input changed" in stale.stderr, stale.stderr
    assert stale.stderr.count("\n") == 1 and (out / "data" / "part-00000.parquet").read_bytes() == first
    redo = _run("--input", str(root), "--out", str(out), "--overwrite")
    assert redo.returncode == 0, redo.stderr
    assert (out / "data" / "part-00000.parquet").read_bytes() != first


def test_icdar_images_unnamed_or_undecodable_are_reported_the_same_every_run(tmp_path: Path) -> None:
    """An image no gt file names used to vanish without a word; Pillow's message for bytes it
    cannot identify held a memory address, so problems.json differed between two runs."""
    root = tmp_path / "bench"
    for stem in ("img_1", "img_2"):
        _good(root / "images" / f"{stem}.png")
    (root / "images" / "img_3.png").write_bytes(b"")
    (root / "images" / "img_4.png").write_bytes(b"not an image at all")
    for stem in ("img_1", "img_3", "img_4"):
        (root / "gt" / f"gt_{stem}.txt").parent.mkdir(parents=True, exist_ok=True)
        (root / "gt" / f"gt_{stem}.txt").write_text("20,20,120,20,120,44,20,44,Hello\n")
    said = []
    for name in ("a", "b"):
        done = subprocess.run([POLYGLYPH, "variants", "--format", "icdar2015", "--profile", "scan",
                               "--quiet", "--input", str(root), "--out", str(tmp_path / name)],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        said.append((tmp_path / name / "problems.json").read_text())
    assert said[0] == said[1] and " at 0x" not in said[0]
    problems = {p["file"]: p["problem"] for p in json.loads(said[0])["problems"]}
    assert problems["images/img_2.png"] == "skipped: no gt_img_2.txt names it"
    assert "cannot identify image file" in problems["images/img_3.png"]
    stats = json.loads((tmp_path / "a" / "stats.json").read_text())
    assert stats["images"] == 1 and stats["images_skipped"] == 3


def test_an_input_with_no_usable_annotation_makes_no_out(tmp_path: Path) -> None:
    """JSON files that are not COCO (a polyglyph dataset given with --format coco) used to
    leave --out with a manifest, card and stats of a run of nothing."""
    root = tmp_path / "bench"
    root.mkdir()
    (root / "manifest.json").write_text(json.dumps({"kind": "generate"}))
    (root / "stats.json").write_text(json.dumps({"rows": 3}))
    done = _run("--input", str(root), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "no coco annotations found" in done.stderr and "manifest.json: neither" in done.stderr
    assert "(+1 more)" in done.stderr and not (tmp_path / "out").exists()
