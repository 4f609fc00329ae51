"""Output contract: schema + HF metadata, deterministic shard bytes, atomic writes, config errors.

These tests build pages by hand (a real image with drawn boxes and their polygons) so the
contract is checked independently of the renderer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pipelines.config import build_config
from pipelines.errors import PolyglyphError
from pipelines.generate_cli import build_parser
from pipelines.output import Output, sha256
from pipelines.rows import SCHEMA, page_to_row, row_to_page, rows_to_table
from pipelines.writers import PARQUET, PARQUET_OPTIONS, ROW_GROUP_ROWS, table_bytes
from synth.page import Line, Page, Word, box_polygon, min_area_quad


def _page(seed: int) -> Page:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (200, 120), (250, 250, 245))
    pen = ImageDraw.Draw(img)
    lines = []
    for i in range(3):
        x0, y0 = 10 + int(rng.integers(0, 30)), 10 + 35 * i
        poly = box_polygon(x0, y0, x0 + 120, y0 + 20)
        pen.rectangle([x0, y0, x0 + 120, y0 + 20], fill=(20, 20, 20))
        words = [Word(f"w{i}", box_polygon(x0, y0, x0 + 50, y0 + 20), i)]
        lines.append(Line(f"line {i} مرحبا", poly, min_area_quad(poly), "ar", "Arab", "rtl",
                          font="NotoSansArabic", role="paragraph", size=20.0, words=words))
    return Page(image=np.asarray(img), language="ar", script="Arab", direction="rtl",
                scene="document", lines=lines, render={"seed": seed, "font": "x"},
                warp={"steps": [{"name": "rotate", "angle": 1.5}]},
                extras={"paragraphs": [{"id": "p1", "line_indices": [0, 1], "complete": True}]})


def _rows(n: int, fmt: str = "png") -> list[dict]:
    return [page_to_row(_page(i), row_id=f"r{i}", index=i, seed=100 + i, image_format=fmt,
                        quality=90, tasks=[{"task": "spotting", "prompt": "p", "answer": "a"}],
                        markdown="# t", profile="scan") for i in range(n)]


def test_hf_metadata_matches_datasets_features() -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features.from_arrow_schema(SCHEMA)
    assert isinstance(features["image"], datasets.Image)
    assert features.arrow_schema.remove_metadata() == SCHEMA.remove_metadata()


def test_shard_loads_in_datasets_with_pil_images_and_polygons(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rows = _rows(4)
    (tmp_path / "part-00000.parquet").write_bytes(table_bytes(rows_to_table(rows)))
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "*.parquet"), split="train",
                               cache_dir=str(tmp_path / "cache"))
    assert len(ds) == 4
    first = ds[0]
    assert isinstance(first["image"], Image.Image) and first["image"].size == (200, 120)
    assert first["lines"][0]["polygon"] == rows[0]["lines"][0]["polygon"]
    assert first["lines"][0]["text"] == "line 0 مرحبا"
    assert first["tasks"][0]["task"] == "spotting"
    assert json.loads(first["warp"])["steps"][0]["angle"] == 1.5


def test_same_rows_give_same_bytes_and_other_rows_do_not() -> None:
    a = table_bytes(rows_to_table(_rows(3, "jpeg")))
    b = table_bytes(rows_to_table(_rows(3, "jpeg")))
    c = table_bytes(rows_to_table(_rows(4, "jpeg")[1:]))
    assert sha256(a) == sha256(b)
    assert sha256(a) != sha256(c)


def test_shard_bytes_do_not_depend_on_arrow_batching(tmp_path: Path) -> None:
    rows = _rows(5, "jpeg")
    noise = np.random.default_rng(0)
    for row in rows:  # images past Parquet's 1 MiB data page, where chunk borders would show
        row["image"] = {"bytes": noise.bytes(400_000), "path": None}
    whole = table_bytes(rows_to_table(rows))
    out = Output(str(tmp_path))
    for size in (1, 2, 3):
        shard = PARQUET.open(out, f"part-{size:05d}.parquet", SCHEMA)
        for i in range(0, len(rows), size):
            shard.add(rows_to_table(rows[i:i + size]))
        written = shard.close()
        assert written.sha256 == sha256(whole) == out.file_sha256(written.file), size
        assert written.bytes == len(whole) and written.rows == 5


def test_streamed_shard_equals_one_table_write_across_row_groups(tmp_path: Path) -> None:
    """Rows streamed in odd batches give the bytes of one `pq.write_table` of the whole shard
    (the way shards were written before streaming): 3 row groups of 64, 64 and 2 rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipelines.writers import _dictionary_columns

    small = rows_to_table(_rows(5, "jpeg"))
    whole = pa.concat_tables([small] * 26).combine_chunks()  # 130 rows
    sink = pa.BufferOutputStream()
    pq.write_table(whole, sink, row_group_size=ROW_GROUP_ROWS,
                   **{**PARQUET_OPTIONS, "use_dictionary": _dictionary_columns(SCHEMA)})
    reference = sink.getvalue().to_pybytes()
    out = Output(str(tmp_path))
    shard = PARQUET.open(out, "part-00000.parquet", SCHEMA)
    for start in range(0, 130, 7):
        shard.add(whole.slice(start, 7))
    written = shard.close()
    assert (tmp_path / "part-00000.parquet").read_bytes() == reference
    assert written.sha256 == sha256(reference) and written.rows == 130
    assert pq.ParquetFile(tmp_path / "part-00000.parquet").metadata.num_row_groups == 3
    assert sorted(os.listdir(tmp_path)) == ["part-00000.parquet"]


def test_one_large_add_equals_streamed_rows(tmp_path: Path) -> None:
    """A table of several row groups added at once (`table_bytes`, validate's batches) is
    written from one read-back of the spill file: the same bytes as rows streamed one by one,
    and no spill file is left behind in the temporary directory."""
    import tempfile

    import pyarrow as pa

    small = rows_to_table(_rows(5, "jpeg"))
    whole = pa.concat_tables([small] * 27).combine_chunks()  # 135 rows: 64 + 64 + 7
    before = set(os.listdir(tempfile.gettempdir()))
    at_once = table_bytes(whole)
    out = Output(str(tmp_path))
    shard = PARQUET.open(out, "part-00000.parquet", SCHEMA)
    for start in range(whole.num_rows):
        shard.add(whole.slice(start, 1))
    written = shard.close()
    assert written.sha256 == sha256(at_once) and written.rows == 135
    assert not {n for n in set(os.listdir(tempfile.gettempdir())) - before
                if n.startswith("polyglyph-rows-")}


def test_empty_shard_beside_full_one_loads_in_datasets(tmp_path: Path) -> None:
    """A variants shard whose images were all skipped has no rows. `datasets` sizes its read
    batches by the first row group, so an empty row group (0 rows) made the whole folder fail
    to load (ArrowInvalid: BatchSize must be greater than 0); an empty shard has no row group."""
    datasets = pytest.importorskip("datasets")
    import pyarrow.parquet as pq

    out = Output(str(tmp_path / "data"))
    PARQUET.open(out, "part-00000.parquet", SCHEMA).close()
    full = PARQUET.open(out, "part-00001.parquet", SCHEMA)
    full.add(rows_to_table(_rows(3, "jpeg")))
    full.close()
    empty = pq.ParquetFile(tmp_path / "data" / "part-00000.parquet")
    assert empty.metadata.num_rows == 0 and empty.schema_arrow == SCHEMA
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "data" / "*.parquet"),
                               split="train", cache_dir=str(tmp_path / "cache"))
    assert len(ds) == 3


def test_aborted_shard_leaves_nothing(tmp_path: Path) -> None:
    out = Output(str(tmp_path))
    with pytest.raises(RuntimeError), PARQUET.open(out, "part-00000.parquet", SCHEMA) as shard:
        shard.add(rows_to_table(_rows(2, "jpeg")))
        raise RuntimeError("a worker dies mid-shard")
    assert os.listdir(tmp_path) == []


def test_row_round_trips_to_page() -> None:
    row = _rows(1)[0]
    page = row_to_page(row)
    assert page.width == 200 and len(page.lines) == 3
    assert page.lines[1].words[0].text == "w1"
    assert page.extras["paragraphs"][0]["id"] == "p1"
    assert page.lines[2].polygon == row["lines"][2]["polygon"]


def test_write_atomic_leaves_no_tmp_and_refuses_file_target(tmp_path: Path) -> None:
    out = Output(str(tmp_path / "ds"))
    out.prepare()
    out.write_atomic("part-00000.parquet", b"abc")
    assert sorted(os.listdir(tmp_path / "ds")) == ["part-00000.parquet"]
    assert out.file_sha256("part-00000.parquet") == sha256(b"abc")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(PolyglyphError, match="is a file"):
        Output(str(a_file)).prepare()
    with pytest.raises(PolyglyphError, match="not writable"):
        Output("/proc/polyglyph-cannot-write/ds").prepare()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"image": {"format": "gif"}}, "'image.format'.*'jpeg', 'png' or 'webp'"),
        ({"bogus": 1}, "unknown config key 'bogus'; allowed keys: num, seed"),
        ({"languages": "foo"}, "'languages' must be `all`, a list"),
        ({"page_sizes": [{"width": [100, 50], "height": [20, 30]}]}, "width range"),
        ({"num": 0}, "'num'.*greater than or equal to 1"),
        ({"executor": "spark"}, "'executor'.*'auto', 'local' or 'ray'"),
    ],
)
def test_config_errors_are_one_line_naming_key(override: dict, expected: str) -> None:
    with pytest.raises(PolyglyphError, match=expected) as info:
        build_config(None, override)
    assert "\n" not in str(info.value)


def test_config_file_and_flags_layer_over_defaults(tmp_path: Path) -> None:
    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text("num: 7\nimage: {quality: 55}\nscenes: {receipt: 1}\n")
    cfg = build_config(cfg_file, {"seed": 3, "image": {"format": "png"}})
    assert (cfg.num, cfg.seed, cfg.image.format, cfg.image.quality) == (7, 3, "png", 55)
    assert cfg.scenes == {"receipt": 1.0}
    cfg_file.write_text("num: [1\n")
    with pytest.raises(PolyglyphError, match="not valid YAML"):
        build_config(cfg_file, {})


def test_generate_help_lists_every_option() -> None:
    text = build_parser().format_help()
    for flag in ("--config", "--num", "--out", "--seed", "--languages", "--profile", "--workers",
                 "--ray-address", "--executor", "--shard-rows", "--overwrite", "--scenes",
                 "--tasks", "--image-format", "--quality", "--dewarp", "--corpus", "--font-dir",
                 "--balance", "--target-language", "--quiet"):
        assert flag in text


def test_script_balance_gives_every_script_the_same_share() -> None:
    from collections import Counter

    from fonts_manifest.registry import FontRegistry
    from pipelines.config import resolve_config

    scripts = {info.code: info.script for info in FontRegistry.load().languages()}
    plain = resolve_config(build_config(None, {}))["languages"]
    balanced = resolve_config(build_config(None, {"balance": "script"}))["languages"]
    assert set(plain) == set(balanced) == set(scripts)
    share: Counter[str] = Counter()
    for code, weight in balanced.items():
        share[scripts[code]] += weight
    assert len(share) > 10 and max(share.values()) - min(share.values()) < 1e-9
    latin = sum(1 for code in plain if scripts[code] == "Latn") / len(plain)
    assert latin > 0.5 and abs(share["Latn"] / sum(share.values()) - 1 / len(share)) < 1e-9


def test_row_groups_close_at_the_image_byte_cap_whatever_the_batching(tmp_path: Path) -> None:
    """Large photos make short row groups (a worker holds one group while it is written), and
    where a group ends depends on the rows only, not on how they were batched."""
    import pyarrow.parquet as pq

    from pipelines.writers import ROW_GROUP_IMAGE_BYTES

    rows = _rows(5, "jpeg") * 3  # 15 rows; their images replaced by ~1/6 of the cap each
    noise = np.random.default_rng(1)
    rows = [{**row, "image": {"bytes": noise.bytes(ROW_GROUP_IMAGE_BYTES // 6 + 1000),
                              "path": None}} for row in rows]
    out = Output(str(tmp_path))
    digests = set()
    for size in (1, 4, 15):
        shard = PARQUET.open(out, f"part-{size:05d}.parquet", SCHEMA)
        for i in range(0, len(rows), size):
            shard.add(rows_to_table(rows[i:i + size]))
        written = shard.close()
        meta = pq.ParquetFile(tmp_path / written.file).metadata
        groups = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
        assert groups == [6, 6, 3], (size, groups)  # the 6th image passes the cap
        assert written.rows == 15
        digests.add(written.sha256)
    assert len(digests) == 1
