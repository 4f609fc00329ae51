"""User backgrounds (`--backgrounds DIR|PARQUET`): real image files and a real Parquet file,
indexed by content (never by name or order), checked at read with one-line skip reasons, drawn
from the record's digest, and used by `polyglyph generate` for the photo scenes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fonts_manifest.errors import PolyglyphError
from pipelines.cli import main as cli_main
from synth import backgrounds as bgs
from synth.backgrounds import BackgroundSource, draw_image_background, index_backgrounds
from synth.rng import sample_rng


def _photos(folder: Path, names: list[str]) -> list[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k, name in enumerate(names):
        gen = np.random.default_rng(k)
        image = cv2.GaussianBlur((gen.random((120 + 20 * k, 160, 3)) * 255).astype(np.uint8), (0, 0), 5)
        ok, data = cv2.imencode(Path(name).suffix, image)
        assert ok
        (folder / name).write_bytes(data.tobytes())
        out.append(data.tobytes())
    return out


def _good(folder: Path) -> list[Path]:
    return [folder / name for name in ("a.jpg", "b.png", "c.jpg")]


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    _photos(tmp_path / "bg", ["a.jpg", "b.png", "c.jpg"])
    (tmp_path / "bg" / "broken.png").write_bytes(b"not an image at all")
    (tmp_path / "bg" / "notes.txt").write_text("ignored: not an image suffix")
    return tmp_path / "bg"


def test_folder_index_skips_bad_files_in_one_line(folder: Path) -> None:
    warnings: list[str] = []
    source = index_backgrounds(folder, warn=warnings.append)
    assert len(source) == 3
    assert [d for d, _ in source.items] == sorted(d for d, _ in source.items)
    assert len(warnings) == 1 and "broken.png" in warnings[0] and "\n" not in warnings[0]


def test_draws_depend_on_content_not_names_or_order(folder: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for k, file in enumerate(reversed(_good(folder))):  # other names, other order
        shutil.copy(file, renamed / f"z{k}{file.suffix}")
    first, second = index_backgrounds(folder, warn=lambda _: None), index_backgrounds(renamed)
    assert first.digest == second.digest
    for index in range(6):
        a, b = first.sample(sample_rng(index), 300, 200), second.sample(sample_rng(index), 300, 200)
        assert a["digest"] == b["digest"] and a["path"] != b["path"]
        assert np.array_equal(draw_image_background(a, 300, 200), draw_image_background(b, 300, 200))


def test_parquet_image_column_gives_the_same_images(folder: Path, tmp_path: Path) -> None:
    files = _good(folder)
    table = pa.table({"image": [{"bytes": f.read_bytes(), "path": f.name} for f in files] + [
        {"bytes": b"garbage", "path": "x.jpg"}], "caption": ["x"] * (len(files) + 1)})
    pq.write_table(table, tmp_path / "bg.parquet", row_group_size=2)
    warnings: list[str] = []
    source = index_backgrounds(tmp_path / "bg.parquet", warn=warnings.append)
    assert source.digest == index_backgrounds(folder, warn=lambda _: None).digest
    assert len(warnings) == 1 and "#3" in warnings[0]
    record = source.sample(sample_rng(1), 256, 256)
    assert "#" in record["path"]
    image = draw_image_background(record, 256, 256)
    assert image.shape == (256, 256, 3) and image.std() > 1
    assert BackgroundSource.from_dict(json.loads(json.dumps(source.to_dict()))) == source


def test_caps_apply_before_decoding(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bgs, "MAX_PIXELS", 130 * 160)  # only the 120 px tall image is small enough
    warnings: list[str] = []
    assert len(index_backgrounds(folder, warn=warnings.append)) == 1
    assert sum("pixel cap" in w for w in warnings) == 2
    monkeypatch.setattr(bgs, "MAX_BYTES", 10)
    with pytest.raises(PolyglyphError, match="no usable image"):
        index_backgrounds(folder, warn=lambda _: None)


def test_a_changed_file_is_an_error_not_another_row(folder: Path) -> None:
    source = index_backgrounds(folder, warn=lambda _: None)
    record = source.sample(sample_rng(0), 100, 100)
    bgs._DECODED.clear()
    Path(record["path"]).write_bytes(_reencode(Path(record["path"]).read_bytes()))
    with pytest.raises(PolyglyphError, match="changed"):
        draw_image_background(record, 100, 100)


def _reencode(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        out = io.BytesIO()
        im.convert("RGB").rotate(90, expand=True).save(out, format=im.format or "PNG")
    return out.getvalue()


def test_bad_location_is_one_line(tmp_path: Path) -> None:
    # a typo in the path says so, rather than telling the user to give what they meant to give
    with pytest.raises(PolyglyphError, match="^--backgrounds /nonexistent/place: does not exist$"):
        index_backgrounds("/nonexistent/place")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(PolyglyphError, match="folder of images or a .parquet"):
        index_backgrounds(tmp_path / "notes.txt")


def test_generate_uses_and_records_user_backgrounds(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = cli_main(["generate", "--scenes", "scene-text,video-frame,poster", "--num", "6",
                     "--languages", "en", "--backgrounds", str(folder), "--workers", "1",
                     "--seed", "3", "--out", str(out), "--quiet"])
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    known = {d for d, _ in manifest["config"]["backgrounds"]["items"]}
    assert len(known) == 3
    rows = pq.read_table(next(out.rglob("part-*.parquet")), columns=["scene", "render"]).to_pylist()
    used = [json.loads(r["render"])["background"] for r in rows]
    photos = [bg for bg in used if bg["kind"] == "image"]
    assert photos and all(bg["digest"] in known for bg in photos)
    assert cli_main(["generate", "--scenes", "scene-text", "--num", "1", "--languages", "en",
                     "--backgrounds", str(tmp_path / "missing"), "--out", str(tmp_path / "o2"),
                     "--quiet"]) == 1
