"""Hostile datasets and interrupted writes (review of 2026-12-07): a shard whose footer reads but
whose pages do not decode, a Parquet that is not ours, an export stopped midway, an inspect of
one row from a large shard. Each is one PolyglyphError line naming the culprit, and nothing
partial is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config import build_config
from pipelines.errors import PolyglyphError


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.cli import main as cli_main

    out = tmp_path_factory.mktemp("hostile") / "ds"
    assert cli_main(["generate", "--num", "1", "--languages", "en", "--scenes", "receipt",
                     "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
@pytest.mark.parametrize("existing", [False, True])
def test_an_export_stopped_midway_leaves_nothing(small_dataset: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 stop: type[BaseException], existing: bool) -> None:
    """Ctrl-C (or a full disk) mid-export left the part written so far (crops, index.jsonl)
    for a trainer to read as the whole; now the folders the export made go, or, in a folder
    that was empty, what it wrote. The real `lines` writer runs; the stop comes after it."""
    import dataclasses

    import pipelines.export.cli as export_cli
    from pipelines.export.registry import get_format

    real = get_format("lines")

    def write_then_stop(*args: object) -> object:
        real.write(*args)  # type: ignore[arg-type]
        raise stop(28, "No space left on device") if stop is OSError else stop()

    monkeypatch.setattr(export_cli, "get_format",
                        lambda name: dataclasses.replace(real, write=write_then_stop))
    out = tmp_path / "made" / "lines"
    if existing:
        out.mkdir(parents=True)
    argv = ["--input", str(small_dataset), "--format", "lines", "--out", str(out), "--quiet"]
    if stop is OSError:
        with pytest.raises(PolyglyphError, match="partial export was removed"):
            export_cli.main(argv)
    else:
        with pytest.raises(KeyboardInterrupt):
            export_cli.main(argv)
    if existing:
        assert out.is_dir() and not list(out.iterdir())
    else:
        assert not (tmp_path / "made").exists()


def test_export_into_a_folder_of_yours_does_not_suggest_overwrite(small_dataset: Path,
                                                                  tmp_path: Path) -> None:
    """`export --out mydir` said "pass --overwrite to replace it", and --overwrite then refused
    (only exports are replaced): the first line now says what will work."""
    from pipelines.export.cli import main

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    base = ["--input", str(small_dataset), "--format", "lines", "--quiet", "--out"]
    with pytest.raises(PolyglyphError, match="new or empty folder") as caught:
        main([*base, str(mine)])
    assert "pass --overwrite" not in str(caught.value)
    assert main([*base, str(tmp_path / "x")]) == 0
    with pytest.raises(PolyglyphError, match="earlier export; pass --overwrite"):
        main([*base, str(tmp_path / "x")])
    assert (mine / "notes.txt").read_text() == "mine"


def _corrupt_copy(dataset: Path, where: Path) -> Path:
    """The dataset with the middle of its shard overwritten: the footer still reads, a data
    page does not decode."""
    import shutil

    shutil.copytree(dataset, where)
    shard = next((where / "data").glob("part-*.parquet"))
    data = bytearray(shard.read_bytes())
    third = len(data) // 3
    data[third:2 * third] = b"A" * third
    shard.write_bytes(bytes(data))
    return shard


def test_validate_names_the_corrupt_input_shard(small_dataset: Path, tmp_path: Path) -> None:
    """A shard whose footer reads but whose pages do not decode made validate say "cannot
    write to OUT: ZSTD decompression failed", blaming the output folder."""
    from pipelines.validate_cli import main

    shard = _corrupt_copy(small_dataset, tmp_path / "ds")
    with pytest.raises(PolyglyphError) as caught:
        main(["--input", str(tmp_path / "ds"), "--out", str(tmp_path / "v"), "--judges",
              "tesseract", "--no-progress"])
    message = str(caught.value)
    assert shard.name in message and "cannot write" not in message, message


def test_inspect_names_the_corrupt_dataset(small_dataset: Path, tmp_path: Path) -> None:
    from pipelines.inspect import main

    _corrupt_copy(small_dataset, tmp_path / "ds")
    with pytest.raises(PolyglyphError, match=r"ds: row 0 is unreadable"):
        main([str(tmp_path / "ds"), "--out", str(tmp_path / "row.png")])
    assert not (tmp_path / "row.png").exists()


def test_export_names_the_corrupt_input_shard(small_dataset: Path, tmp_path: Path) -> None:
    """`export` said "--input DS or --out DIR: ZSTD decompression failed"; it names the shard
    now, and leaves no partial export."""
    from pipelines.export.cli import main

    shard = _corrupt_copy(small_dataset, tmp_path / "ds")
    with pytest.raises(PolyglyphError, match=rf"{shard.name}: cannot read"):
        main(["--input", str(tmp_path / "ds"), "--format", "lines", "--out",
              str(tmp_path / "x"), "--quiet"])
    assert not (tmp_path / "x").exists()


def test_generate_names_a_corrupt_backgrounds_parquet(small_dataset: Path, tmp_path: Path) -> None:
    """`--backgrounds x.parquet` whose pages do not decode said only "ZSTD decompression
    failed" (no file named)."""
    shard = _corrupt_copy(small_dataset, tmp_path / "ds")
    from pipelines.config import resolve_config

    config = build_config(overrides={"backgrounds": str(shard), "languages": ["en"],
                                     "scenes": {"scene-text": 1.0}})
    with pytest.raises(PolyglyphError, match=rf"--backgrounds .*{shard.name}: cannot read"):
        resolve_config(config)


def test_inspect_reads_the_rows_row_group(small_dataset: Path, tmp_path: Path) -> None:
    """inspect read the row's whole shard (every image of up to 256 rows) to draw one; it reads
    the row group holding it now, and gets the same row."""
    from pipelines.inspect import read_row

    table = pq.read_table(next((small_dataset / "data").glob("*.parquet")))
    rows = pa.concat_tables([table] * 5)
    ids = pa.array([f"r{n}" for n in range(5)])
    rows = rows.set_column(rows.schema.get_field_index("id"), "id", ids)
    (tmp_path / "data").mkdir()
    pq.write_table(rows.slice(0, 2), tmp_path / "data" / "part-00000.parquet")
    pq.write_table(rows.slice(2), tmp_path / "data" / "part-00001.parquet", row_group_size=1)
    assert [read_row(tmp_path, n)["id"] for n in range(5)] == ["r0", "r1", "r2", "r3", "r4"]
    with pytest.raises(PolyglyphError, match="out of range"):
        read_row(tmp_path, 5)


def test_inspect_memory_does_not_grow_with_the_shard(tmp_path: Path) -> None:
    """Arrow's peak allocation reading row 0 of a 48 MB shard (48 rows of 1 MB in row groups of
    4): the whole shard before, one row group (~4 MB) now. In a fresh process, so the peak is
    this read's alone."""
    import subprocess
    import sys

    (tmp_path / "data").mkdir()
    blobs = [os.urandom(1 << 20) for _ in range(48)]
    pq.write_table(pa.table({"id": [str(n) for n in range(48)], "image": blobs,
                             "lines": [[] for _ in range(48)]}),
                   tmp_path / "data" / "part-00000.parquet", row_group_size=4,
                   compression="none")
    script = f"""
import pyarrow as pa
from pipelines.inspect import read_row
assert read_row({str(tmp_path)!r}, 0)["id"] == "0"
print(pa.default_memory_pool().max_memory())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) < 16 << 20, done.stdout


def test_variants_refuses_a_parquet_that_is_not_ours(small_dataset: Path, tmp_path: Path) -> None:
    """`variants --format parquet` on an export (a TRL Parquet: no image/lines columns) made
    an empty dataset, 'see problems.json', six 'bad row' lines and 24 'annotation dropped'
    ones; it is now one line naming the file, before anything is written."""
    from pipelines.export.cli import main as export_main
    from pipelines.variants import main

    assert export_main(["--input", str(small_dataset), "--format", "trl", "--quiet",
                        "--out", str(tmp_path / "trl")]) == 0
    with pytest.raises(PolyglyphError, match=r"train-00000\.parquet: .*not a polyglyph shard"):
        main(["--input", str(tmp_path / "trl"), "--format", "parquet", "--quiet",
              "--out", str(tmp_path / "v")])
    assert not (tmp_path / "v").exists()
