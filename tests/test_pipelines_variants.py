"""Benchmark readers (ICDAR 2015, MMOCR 1.x, COCO-Text, our Parquet) and `polyglyph variants`.

Fixtures are made here: small images with dark boxes where the annotated text sits, plus a
corrupt image and malformed annotation lines that must be reported and skipped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image, ImageDraw

from pipelines.cli import main as cli_main
from pipelines.readers import read_coco, read_icdar2015, read_mmocr, unique_keys

BOXES = [(20, 20, 120, 44, "Hello"), (30, 70, 150, 96, "world,x"), (140, 20, 180, 40, "###")]


def _image(path: Path) -> None:
    img = Image.new("RGB", (200, 120), (240, 240, 235))
    pen = ImageDraw.Draw(img)
    for x0, y0, x1, y1, _ in BOXES:
        pen.rectangle([x0, y0, x1, y1], fill=(10, 10, 10))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def _quad(x0: int, y0: int, x1: int, y1: int) -> list[int]:
    return [x0, y0, x1, y0, x1, y1, x0, y1]


@pytest.fixture(scope="module")
def bench_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    # ICDAR 2015: images and gt files in different folders, one BOM, one malformed line,
    # one corrupt image, one gt without image.
    for stem in ("img_1", "img_2"):
        _image(root / "icdar" / "images" / f"{stem}.jpg")
    lines = [",".join(map(str, _quad(*b[:4]))) + "," + b[4] for b in BOXES]
    (root / "icdar" / "gt").mkdir(parents=True)
    (root / "icdar" / "gt" / "gt_img_1.txt").write_text("\ufeff" + "\n".join(lines) + "\n", "utf-8")
    (root / "icdar" / "gt" / "gt_img_2.txt").write_text(
        "\n".join([lines[0], "1,2,3,oops", "a,b,c,d,e,f,g,h,text"]) + "\n", "utf-8")
    (root / "icdar" / "images" / "img_3.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "icdar" / "gt" / "gt_img_3.txt").write_text(lines[0] + "\n", "utf-8")
    (root / "icdar" / "gt" / "gt_img_9.txt").write_text(lines[0] + "\n", "utf-8")
    # MMOCR 1.x
    _image(root / "mmocr" / "textdet_imgs" / "test" / "a.png")
    instances = [{"polygon": _quad(*b[:4]), "bbox": list(b[:4]), "bbox_label": 0,
                  "ignore": b[4] == "###", "text": b[4]} for b in BOXES]
    instances.append({"polygon": [1, 2, 3], "bbox_label": 0, "ignore": False})
    (root / "mmocr" / "textdet_test.json").write_text(json.dumps({
        "metainfo": {"dataset_type": "TextDetDataset"},
        "data_list": [{"img_path": "textdet_imgs/test/a.png", "height": 120, "width": 200,
                       "instances": instances},
                      {"img_path": "textdet_imgs/test/missing.png", "instances": []}]}))
    # COCO-Text v2
    _image(root / "coco" / "train2014" / "COCO_1.jpg")
    anns = {str(i): {"id": i, "image_id": 1, "mask": _quad(*b[:4]), "utf8_string": b[4],
                     "legibility": "illegible" if b[4] == "###" else "legible",
                     "bbox": [b[0], b[1], b[2] - b[0], b[3] - b[1]]} for i, b in enumerate(BOXES)}
    anns["99"] = {"id": 99, "image_id": 1, "mask": "bad", "utf8_string": "x"}
    (root / "coco" / "cocotext.v2.json").write_text(json.dumps({
        "imgs": {"1": {"id": 1, "file_name": "COCO_1.jpg", "width": 200, "height": 120}},
        "anns": anns, "imgToAnns": {"1": list(range(3))}}))
    return root


def test_icdar2015_reader(bench_root: Path) -> None:
    items, problems = read_icdar2015(bench_root / "icdar")
    by_key = {it.key: it for it in items}
    assert set(by_key) == {"images/img_1.jpg", "images/img_2.jpg", "images/img_3.jpg"}
    one = by_key["images/img_1.jpg"]
    assert [ln.text for ln in one.lines] == ["Hello", "world,x", "###"]
    assert [ln.dont_care for ln in one.lines] == [False, False, True]
    assert one.lines[0].polygon == [[20, 20], [120, 20], [120, 44], [20, 44]]
    assert len(by_key["images/img_2.jpg"].lines) == 1
    text = "\n".join(f"{p.file}: {p.problem}" for p in problems)
    assert "gt/gt_img_2.txt:2: malformed" in text and "gt/gt_img_2.txt:3: malformed" in text
    assert "gt_img_9.txt: no image named img_9" in text


def test_a_box_without_transcription_is_dont_care(tmp_path: Path) -> None:
    _image(tmp_path / "img_5.jpg")
    (tmp_path / "gt_img_5.txt").write_text("1,1,50,1,50,20,1,20,\n60,1,90,1,90,20,60,20,  \n"
                                           "1,30,50,30,50,50,1,50,Hi\n")
    items, _ = read_icdar2015(tmp_path)
    assert [(ln.text.strip(), ln.dont_care) for ln in items[0].lines] == [
        ("", True), ("", True), ("Hi", False)]  # was a label '' to be read as text


def test_an_image_in_two_annotation_files_is_one_item(bench_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "mmocr"
    shutil.copytree(bench_root / "mmocr", root)
    data = json.loads((root / "textdet_test.json").read_text())
    data["data_list"][0]["instances"] = data["data_list"][0]["instances"][:1]
    (root / "textdet_train.json").write_text(json.dumps(data))  # names a.png again, other labels
    items, problems = read_mmocr(root)
    assert [it.key for it in items].count("textdet_imgs/test/a.png") == 2
    kept = unique_keys(items, problems)
    assert [it.key for it in kept] == ["textdet_imgs/test/a.png"]
    assert kept[0].annotation.startswith("textdet_test.json") and len(kept[0].lines) == len(BOXES)
    assert any(p.file.startswith("textdet_train.json") and "also annotated in textdet_test"
               in p.problem for p in problems)


def test_mmocr_and_coco_readers(bench_root: Path) -> None:
    items, problems = read_mmocr(bench_root / "mmocr")
    assert len(items) == 1 and [ln.text for ln in items[0].lines] == ["Hello", "world,x", "###"]
    assert items[0].lines[2].dont_care
    assert any("instances[3]" in p.file for p in problems)
    assert any("missing.png not found" in p.problem for p in problems)
    items, problems = read_coco(bench_root / "coco")
    assert len(items) == 1 and items[0].key == "train2014/COCO_1.jpg"
    assert [ln.dont_care for ln in items[0].lines] == [False, False, True]
    assert any("annotation 99" in p.file for p in problems)


@pytest.fixture(scope="module")
def warping_ready() -> None:
    pytest.importorskip("warping.profiles")


@pytest.mark.parametrize("fmt", ["icdar2015", "mmocr", "coco"])
def test_variants_end_to_end(bench_root: Path, tmp_path: Path, fmt: str, warping_ready: None,
                             capsys: pytest.CaptureFixture[str]) -> None:
    src = {"icdar2015": "icdar", "mmocr": "mmocr", "coco": "coco"}[fmt]
    out = tmp_path / "var"
    code = cli_main(["variants", "--input", str(bench_root / src), "--format", fmt,
                     "--profile", "photo", "--copies", "2", "--seed", "5", "--out", str(out)])
    assert code == 0
    table = pq.read_table(out / "data/part-00000.parquet")
    rows = table.to_pylist()
    images = {"icdar2015": 2, "mmocr": 1, "coco": 1}[fmt]
    assert len(rows) == 2 * images
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert json.loads(row["warp"])  # degradation record present
        roles = [ln["role"] for ln in row["lines"]]
        assert "dont-care" in roles or fmt == "icdar2015" and row["source"].endswith("img_2.jpg")
    problems = json.loads((out / "problems.json").read_text())["problems"]
    err = capsys.readouterr().err
    assert problems and all(p["file"] in err for p in problems)
    if fmt == "icdar2015":
        assert any("img_3.jpg" in p["file"] and "unreadable image" in p["problem"] for p in problems)
    # the two copies of one image differ
    first = [r for r in rows if r["source"] == rows[0]["source"]]
    assert first[0]["image"]["bytes"] != first[1]["image"]["bytes"]


def test_variants_geometry_only_keeps_ink_under_polygons(bench_root: Path, tmp_path: Path,
                                                         warping_ready: None) -> None:
    out = tmp_path / "geo"
    assert cli_main(["variants", "--input", str(bench_root / "mmocr"), "--format", "mmocr",
                     "--profile", "wild", "--geometry-only", "--image-format", "png",
                     "--out", str(out)]) == 0
    row = pq.read_table(out / "data/part-00000.parquet").to_pylist()[0]
    import io

    img = np.asarray(Image.open(io.BytesIO(row["image"]["bytes"])).convert("L"))
    for line in row["lines"]:
        if line["visible"] < 0.9:
            continue
        mask = Image.new("L", (row["width"], row["height"]), 0)
        ImageDraw.Draw(mask).polygon([tuple(p) for p in line["polygon"]], fill=255)
        inside = img[np.asarray(mask) > 0]
        assert inside.size and np.mean(inside < 100) > 0.6, line["text"]


def test_variants_of_our_parquet(tmp_path: Path, bench_root: Path, warping_ready: None) -> None:
    first = tmp_path / "first"
    assert cli_main(["variants", "--input", str(bench_root / "coco"), "--format", "coco",
                     "--profile", "scan", "--out", str(first)]) == 0
    second = tmp_path / "second"
    assert cli_main(["variants", "--input", str(first), "--format", "parquet",
                     "--profile", "scan", "--copies", "2", "--out", str(second)]) == 0
    rows = pq.read_table(second / "data/part-00000.parquet").to_pylist()
    assert len(rows) == 2 and [ln["text"] for ln in rows[0]["lines"]] == ["Hello", "world,x", "###"]


def test_variants_user_errors(tmp_path: Path, bench_root: Path, warping_ready: None,
                              capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    cases = [
        (["--input", str(empty), "--format", "icdar2015", "--out", str(tmp_path / "o1")],
         "no icdar2015 annotations found"),
        (["--input", str(bench_root / "coco"), "--format", "coco", "--out", str(a_file)],
         "is a file"),
        (["--input", str(bench_root / "coco"), "--format", "coco", "--profile", "nope",
          "--out", str(tmp_path / "o2")], "nope"),
        (["--input", str(bench_root / "coco"), "--format", "pdf", "--out", str(tmp_path / "o3")],
         "invalid choice: 'pdf'"),
        (["--input", str(bench_root / "coco"), "--format", "coco",
          "--out", str(bench_root / "coco" / "variants")], "overlaps --input"),
        (["--input", str(bench_root / "coco"), "--format", "coco", "--out", str(bench_root)],
         "overlaps --input"),
    ]
    for argv, expected in cases:
        capsys.readouterr()
        assert cli_main(["variants", *argv]) == (2 if "invalid choice" in expected else 1)
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and expected in err, err
    assert not list(tmp_path.rglob("part-*.parquet"))
    assert not (bench_root / "coco" / "variants").exists()  # nothing made inside the benchmark


def test_variants_on_ray_match_local(bench_root: Path, tmp_path: Path, warping_ready: None) -> None:
    import hashlib

    def hashes(out: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(out.glob("data/part-*.parquet"))}

    base = ["variants", "--input", str(bench_root / "icdar"), "--format", "icdar2015",
            "--profile", "scan", "--copies", "2", "--shard-rows", "2", "--quiet"]
    assert cli_main([*base, "--out", str(tmp_path / "local")]) == 0
    assert cli_main([*base, "--workers", "2", "--out", str(tmp_path / "ray")]) == 0
    local, ray = hashes(tmp_path / "local"), hashes(tmp_path / "ray")
    assert len(local) == 3 and local == ray
    problems = json.loads((tmp_path / "ray" / "problems.json").read_text())["problems"]
    assert sum("img_3.jpg" in p["file"] for p in problems) == 1  # reported once, not per shard
