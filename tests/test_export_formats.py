"""`polyglyph export` to trainers' layouts, each output read back by its real consumer.

One small generated dataset (clean and photo-warped pages, English and Hebrew, one line forced
illegible) is exported to every format. `datasets` loads the TRL Parquet, `lmdb` opens the LMDB,
PIL opens every written image, the JSON layouts are checked against their documented keys, and
the detection sets go back through `polyglyph variants --input` with their labels unchanged.
The same exports from an `s3://` copy (moto's S3 server on 127.0.0.1) are byte-equal.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image
from s3_server import bucket_uri, moto_bucket

from pipelines.cli import main as cli_main
from pipelines.export.base import open_rows
from pipelines.export.registry import available_formats
from pipelines.output import Output

CONFIG = """\
page_sizes: [[320, 400]]
scenes: {document: 1}
profiles: {clean: 1, photo: 1}
languages: [en, he]
"""
FORMATS = ["trl", "sharegpt", "llava", "hunyuan", "lines", "paddle-rec", "mmocr-rec", "lmdb",
           "icdar2015", "coco"]
ILLEGIBLE = (0, 1)  # (row, line) forced `legible: false`


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 generated rows, rewritten under data/ (the layout the card loads) with one line made
    illegible, so both shard layouts and the illegible path are exercised."""
    root = tmp_path_factory.mktemp("export-formats")
    (root / "run.yaml").write_text(CONFIG)
    assert cli_main(["generate", "--config", str(root / "run.yaml"), "--num", "4", "--seed", "3",
                     "--out", str(root / "gen"), "--workers", "1", "--quiet"]) == 0
    source = open_rows(root / "gen")
    table = pa.concat_tables([source.store.open_parquet(n).read() for n in source.files])
    rows = table.to_pylist()
    rows[ILLEGIBLE[0]]["lines"][ILLEGIBLE[1]]["legible"] = False
    (root / "ds" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema),
                   root / "ds" / "data" / "part-00000.parquet")
    return root / "ds"


def _rows(dataset: Path) -> list[dict[str, Any]]:
    return list(open_rows(dataset).rows(["id", "width", "height", "lines", "tasks"]))


def _export(dataset: Path, out: Path, fmt: str, *extra: str) -> Path:
    assert cli_main(["export", "--input", str(dataset), "--format", fmt, "--out", str(out),
                     "--quiet", *extra]) == 0
    marker = json.loads((out / "export.json").read_text("utf-8"))
    assert marker["status"] == "done" and marker["format"] == fmt
    return out


def test_every_named_format_is_registered() -> None:
    assert set(FORMATS) <= set(available_formats())


def test_trl_loads_with_datasets(dataset: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rows = _rows(dataset)
    out = _export(dataset, tmp_path / "trl", "trl")
    ds = datasets.load_dataset("parquet", data_dir=str(out / "data"), split="train")
    expected = [(r, t) for r in rows for t in r["tasks"]]
    assert len(ds) == len(expected) > len(rows)
    for record, (row, task) in zip(ds, expected, strict=True):
        assert record["id"] == row["id"] and record["tasks"] == [task["task"]]
        user, assistant = record["messages"]
        assert user["role"] == "user" and user["content"][0]["type"] == "image"
        assert user["content"][1]["text"] == task["prompt"]
        assert assistant["content"][0]["text"] == task["answer"]
        (image,) = record["images"]
        assert isinstance(image, Image.Image) and image.size == (row["width"], row["height"])


def test_trl_per_page_with_image_files(dataset: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rows = [r for r in _rows(dataset) if r["tasks"]]  # a page may have no task
    out = _export(dataset, tmp_path / "trl", "trl", "--conversation", "per-page",
                  "--images", "files")
    ds = datasets.load_dataset(str(out), split="train")  # the folder itself, images/ beside data/
    assert len(ds) == len(rows) == len(list((out / "images").iterdir()))
    for record, row in zip(ds, rows, strict=True):
        assert len(record["messages"]) == 2 * len(row["tasks"])
        images = [c for m in record["messages"] for c in m["content"] if c["type"] == "image"]
        assert len(images) == 1 and record["images"][0].size == (row["width"], row["height"])


def test_sharegpt_llava_hunyuan_json(dataset: Path, tmp_path: Path) -> None:
    rows = [r for r in _rows(dataset) if r["tasks"]]
    tasks = [(r, t) for r in rows for t in r["tasks"]]
    share = _export(dataset, tmp_path / "sg", "sharegpt")
    items = json.loads((share / "data.json").read_text("utf-8"))
    assert len(items) == len(tasks)
    assert json.loads((share / "dataset_info.json").read_text())["polyglyph"]["file_name"] == "data.json"
    for item, (row, task) in zip(items, tasks, strict=True):
        user, assistant = item["messages"]
        assert user == {"role": "user", "content": "<image>" + task["prompt"]}
        assert assistant == {"role": "assistant", "content": task["answer"]}
        with Image.open(share / item["images"][0]) as img:
            assert img.size == (row["width"], row["height"])
    files = sorted(p.name for p in (share / "images").iterdir())
    assert len(files) == len(rows) == len({i["images"][0] for i in items})  # each page once

    llava = _export(dataset, tmp_path / "llava", "llava", "--conversation", "per-page")
    pages = json.loads((llava / "data.json").read_text("utf-8"))
    assert [p["id"] for p in pages] == [r["id"] for r in rows]
    for page, row in zip(pages, rows, strict=True):
        turns = page["conversations"]
        assert [t["from"] for t in turns] == ["human", "gpt"] * len(row["tasks"])
        assert sum(t["value"].count("<image>") for t in turns) == 1
        assert turns[0]["value"] == "<image>\n" + row["tasks"][0]["prompt"]
        assert (llava / page["image"]).is_file()

    hy = _export(dataset, tmp_path / "hy", "hunyuan", "--tasks", "spotting,parsing")
    lines = [json.loads(x) for x in (hy / "data.jsonl").read_text("utf-8").splitlines()]
    wanted = [(r, t) for r, t in tasks if t["task"] in {"spotting", "parsing"}]
    assert len(lines) == len(wanted) > 0
    for line, (_row, task) in zip(lines, wanted, strict=True):
        assert line["conv"] == [{"question": task["prompt"], "answer": task["answer"]}]
        assert Path(line["img_path_sh"]).is_absolute() and Path(line["img_path_sh"]).is_file()


def test_sharegpt_embedded_images(dataset: Path, tmp_path: Path) -> None:
    import base64

    row = next(r for r in _rows(dataset) if r["tasks"])
    out = _export(dataset, tmp_path / "sg", "sharegpt", "--images", "embed")
    assert not (out / "images").exists()
    item = json.loads((out / "data.json").read_text("utf-8"))[0]
    head, data = item["images"][0].split(",", 1)
    assert head == "data:image/jpeg;base64" and item["id"] == row["id"]
    with Image.open(io.BytesIO(base64.b64decode(data))) as img:
        assert img.size == (row["width"], row["height"])


def _legible_texts(rows: list[dict[str, Any]]) -> list[str]:
    return [ln["text"] for r in rows for ln in r["lines"] if ln.get("legible") is not False
            and ln.get("visible", 1) >= 1 and ln["text"].strip() and ln.get("role") != "dont-care"]


def test_recognizer_sets(dataset: Path, tmp_path: Path) -> None:
    rows = _rows(dataset)
    illegible = rows[ILLEGIBLE[0]]["lines"][ILLEGIBLE[1]]["text"]
    paddle = _export(dataset, tmp_path / "paddle", "paddle-rec")
    listing = [x.split("\t") for x in (paddle / "rec_gt.txt").read_text("utf-8").splitlines()]
    labels = [label for _, label in listing]
    assert labels == _legible_texts(rows) and illegible not in labels
    charset = set((paddle / "dict.txt").read_text("utf-8").split("\n")) - {""}
    assert set("".join(labels)) - {" "} == charset
    for path, _ in listing[:: max(1, len(listing) // 6)]:
        with Image.open(paddle / path) as img:
            assert img.format == "PNG" and img.width > img.height >= 8

    mmocr = _export(dataset, tmp_path / "mmocr", "mmocr-rec")
    data = json.loads((mmocr / "textrecog_train.json").read_text("utf-8"))
    assert set(data) == {"metainfo", "data_list"}
    assert data["metainfo"] == {"dataset_type": "TextRecogDataset", "task_name": "textrecog"}
    for entry in data["data_list"]:
        assert isinstance(entry["img_path"], str) and (mmocr / entry["img_path"]).is_file()
        assert isinstance(entry["instances"], list) and len(entry["instances"]) == 1
        assert isinstance(entry["instances"][0]["text"], str)
    assert [e["instances"][0]["text"] for e in data["data_list"]] == labels

    lmdb = pytest.importorskip("lmdb")
    out = _export(dataset, tmp_path / "lmdb", "lmdb")
    env = lmdb.open(str(out), readonly=True, lock=False)
    with env.begin() as txn:
        count = int(txn.get(b"num-samples"))
        assert count == len(labels)
        got = [txn.get(b"label-%09d" % k).decode("utf-8") for k in range(1, count + 1)]
        with Image.open(io.BytesIO(txn.get(b"image-%09d" % 1))) as img:
            first = np.asarray(img.convert("RGB"))
    env.close()
    assert got == labels
    with Image.open(paddle / listing[0][0]) as img:
        assert np.array_equal(first, np.asarray(img.convert("RGB")))  # the same crop


def _near(a: list[list[float]], b: list[list[float]], tol: float) -> bool:
    """Same points (any start corner), each within `tol` pixels."""
    pa_, pb = np.asarray(a, float)[:, :2], np.asarray(b, float)[:, :2]
    if pa_.shape != pb.shape:
        return False
    dist = np.linalg.norm(pa_[:, None, :] - pb[None, :, :], axis=2)
    return bool((dist.min(axis=1) <= tol).all() and (dist.min(axis=0) <= tol).all())


@pytest.mark.parametrize("fmt", ["icdar2015", "coco"])
def test_detection_round_trip_through_variants(dataset: Path, tmp_path: Path, fmt: str) -> None:
    rows = {r["id"]: r for r in _rows(dataset)}
    out = _export(dataset, tmp_path / fmt, fmt)
    assert cli_main(["variants", "--input", str(out), "--format", fmt, "--profile", "clean",
                     "--geometry-only", "--out", str(tmp_path / "var"), "--quiet"]) == 0
    problems = json.loads((tmp_path / "var" / "problems.json").read_text())["problems"]
    assert problems == []
    by_image = {json.loads(x)["image"]: json.loads(x)["row_id"]
                for x in (out / "index.jsonl").read_text().splitlines()}
    back = list(open_rows(tmp_path / "var").rows(["source", "lines"]))
    assert sorted(by_image) == sorted(r["source"] for r in back) and len(back) == len(rows)
    marked = 0
    for variant in back:
        original = rows[by_image[variant["source"]]]["lines"]
        assert len(variant["lines"]) == len(original)
        for mine, theirs in zip(original, variant["lines"], strict=True):
            readable = mine.get("legible") is not False and mine.get("role") != "dont-care"
            assert (theirs["role"] == "dont-care") == (not readable)
            marked += int(not readable)
            if readable:
                assert theirs["text"] == mine["text"]
            if fmt == "icdar2015":
                assert _near(theirs["polygon"], mine["quad"], 0.71)
            else:
                assert _near(theirs["polygon"], mine["polygon"], 0.01)
    assert marked >= 1
    if fmt == "icdar2015":  # ICDAR order: the first point is the text's own top-left corner
        for image, row_id in by_image.items():
            gt = out / "gt" / f"gt_{Path(image).stem}.txt"
            for text, line in zip(gt.read_text("utf-8").splitlines(), rows[row_id]["lines"],
                                  strict=True):
                quad = np.asarray([float(v) for v in text.split(",")[:8]]).reshape(4, 2)
                first = np.asarray(line["polygon"][0])
                assert np.argmin(np.linalg.norm(quad - first, axis=1)) == 0


def test_cli_errors(dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def run(*argv: str) -> tuple[int, str]:
        code = cli_main(["export", *argv])
        err = capsys.readouterr().err.strip()
        return code, err

    code, err = run("--input", str(dataset), "--format", "nope", "--out", str(tmp_path / "x"))
    assert code == 2 and "'nope'" in err and "trl" in err and "\n" not in err
    code, err = run("--input", str(tmp_path / "missing"), "--format", "trl", "--out",
                    str(tmp_path / "x"))
    assert code == 1 and "missing" in err and "\n" not in err
    code, err = run("--input", str(dataset), "--format", "llava", "--images", "embed",
                    "--out", str(tmp_path / "x"))
    assert code == 2 and "\n" not in err
    code, err = run("--input", str(dataset), "--format", "hunyuan", "--conversation",
                    "per-page", "--out", str(tmp_path / "x"))
    assert code == 2 and "\n" not in err
    code, err = run("--input", str(dataset), "--format", "trl", "--tasks", "spoting",
                    "--out", str(tmp_path / "x"))
    assert code == 2 and "spoting" in err and "spotting" in err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    pq.write_table(pa.table({"a": [1, 2]}), foreign / "part-00000.parquet")
    code, err = run("--input", str(foreign), "--format", "lines", "--out", str(tmp_path / "x"))
    assert code == 1 and "not a polyglyph shard" in err and "part-00000" in err
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    code, err = run("--input", str(dataset), "--format", "coco", "--out", str(mine))
    assert code == 1 and "--overwrite" in err
    code, err = run("--input", str(dataset), "--format", "coco", "--out", str(mine), "--overwrite")
    assert code == 1 and (mine / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "x").exists()
    # a link to an earlier export: rmtree's "Cannot call rmtree on a symbolic link" named no path
    link = tmp_path / "link"
    link.symlink_to(_export(dataset, tmp_path / "earlier", "icdar2015"))
    code, err = run("--input", str(dataset), "--format", "coco", "--out", str(link), "--overwrite")
    assert code == 1 and str(link) in err and "symbolic link" in err and "\n" not in err, err
    assert (tmp_path / "earlier" / "export.json").is_file()
    assert cli_main(["export", "--input", str(dataset), "--format", "icdar2015", "--quiet",
                     "--out", str(tmp_path / "ok")]) == 0
    printed = capsys.readouterr().out
    assert "4 rows read, 4 images written" in printed


def test_out_overlapping_input_is_refused_before_anything_is_touched(
        dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--overwrite of an earlier export that holds the --input dataset deleted the dataset
    (rmtree before reading); an export into the dataset's data/ put files among its shards."""
    earlier = _export(dataset, tmp_path / "earlier", "icdar2015")
    shutil.copytree(dataset, earlier / "mine")
    inner = earlier / "mine"
    cases = [(inner, earlier, ["--overwrite"]), (inner, inner / "data" / "sub", []),
             (inner / "data" / "part-00000.parquet", inner / "data", ["--overwrite"])]
    for source, out, extra in cases:
        code = cli_main(["export", "--input", str(source), "--format", "lines", "--out", str(out),
                         "--quiet", *extra])
        err = capsys.readouterr().err.strip()
        assert code == 1 and "\n" not in err, err
        assert any(s in err for s in ("inside --input", "holds --input", "is the --input")), err
    assert (inner / "data" / "part-00000.parquet").is_file()
    assert sorted(p.name for p in (inner / "data").iterdir()) == ["part-00000.parquet"]


@pytest.fixture(scope="module")
def s3_dataset(dataset: Path) -> Iterator[str]:
    """The dataset copied to a bucket of a real S3-protocol server (moto) on 127.0.0.1."""
    with moto_bucket("polyglyph-export") as endpoint:
        uri = bucket_uri(endpoint, "polyglyph-export/ds")
        store = Output(uri)
        for path in sorted(dataset.rglob("*.parquet")):
            store.write_atomic(str(path.relative_to(dataset)), path.read_bytes())
        yield uri


def _files(out: Path) -> dict[str, bytes]:
    """Every file but the export record, with the folder's own absolute path taken out."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "export.json":
            found[str(path.relative_to(out))] = path.read_bytes().replace(str(out).encode(), b"OUT")
    return found


def test_every_format_from_s3_equals_local(dataset: Path, s3_dataset: str, tmp_path: Path) -> None:
    for fmt in FORMATS:
        if fmt == "lmdb" and pytest.importorskip("lmdb") is None:
            continue
        local = _export(dataset, tmp_path / f"local-{fmt}", fmt)
        remote = _export(s3_dataset, tmp_path / f"s3-{fmt}", fmt)
        mine, theirs = _files(local), _files(remote)
        if fmt == "lmdb":  # the file holds free pages; compare what it stores instead
            mine, theirs = _lmdb_items(local), _lmdb_items(remote)
        assert mine and mine == theirs, fmt


def _lmdb_items(out: Path) -> dict[bytes, bytes]:
    import lmdb

    env = lmdb.open(str(out), readonly=True, lock=False)
    with env.begin() as txn:
        items = dict(txn.cursor())
    env.close()
    return items
