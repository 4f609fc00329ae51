"""Hostile input to the command line, each case a bug a fresh user hit (review of 2026-12-07):
a binary file where YAML is expected, a folder or a pipe as `--config`, a YAML alias bomb or a
huge list in a config error, booleans where numbers belong, render backgrounds that are not
images, `inspect --out` over a dataset's own shard. Each is one PolyglyphError line naming the
culprit, raised before anything is written."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.config import build_config, read_config_file
from pipelines.errors import PolyglyphError

BINARY = bytes(range(128, 256)) * 4  # not UTF-8 from the first byte


def test_validate_rules_file_that_is_binary_is_one_line(tmp_path: Path) -> None:
    """`validate --rules photo.jpg` was an internal error (UnicodeDecodeError traceback)."""
    from pipelines.validate_cli import build_parser, load_rules

    rules = tmp_path / "rules.yaml"
    rules.write_bytes(BINARY)
    args = build_parser().parse_args(["--input", "x", "--out", "y", "--rules", str(rules)])
    with pytest.raises(PolyglyphError, match=r"--rules .*rules\.yaml: not UTF-8"):
        load_rules(args)


def test_variants_profile_file_that_is_binary_is_one_line(tmp_path: Path) -> None:
    """`variants --profile photo.jpg` was an internal error; nothing is written."""
    from pipelines.variants import main

    profile = tmp_path / "p.yaml"
    profile.write_bytes(BINARY)
    (tmp_path / "in").mkdir()
    out = tmp_path / "out"
    with pytest.raises(PolyglyphError, match=r"warp profile .*p\.yaml.: not a UTF-8 text file"):
        main(["--input", str(tmp_path / "in"), "--format", "icdar2015", "--profile",
              str(profile), "--out", str(out)])
    assert not out.exists()


def test_config_that_is_a_folder_says_so(tmp_path: Path) -> None:
    """`--config somedir` said "config file not found"."""
    with pytest.raises(PolyglyphError, match="is a folder"):
        read_config_file(tmp_path)


def test_config_from_a_pipe_is_read(tmp_path: Path) -> None:
    """`--config <(make-config)` (a /dev/fd pipe, not a regular file) was "not found"."""
    read_end, write_end = os.pipe()
    writer = threading.Thread(target=lambda: (os.write(write_end, b"num: 3\n"),
                                              os.close(write_end)))
    writer.start()
    try:
        assert read_config_file(f"/dev/fd/{read_end}") == {"num": 3}
    finally:
        writer.join()
        os.close(read_end)


def test_config_read_is_capped() -> None:
    """`--config /dev/zero` read forever; now it stops at the cap with one line."""
    with pytest.raises(PolyglyphError, match="over 4 MiB"):
        read_config_file("/dev/zero")


def test_config_error_shows_a_short_value(tmp_path: Path) -> None:
    """The error printed the whole bad value: a 20,000-entry list (or a YAML alias bomb, nine
    levels of nine-fold anchors in 300 bytes) made a line of megabytes, or never finished."""
    with pytest.raises(PolyglyphError) as caught:
        build_config(overrides={"fonts": {"include": [[f"family {n}" for n in range(20_000)]]}})
    message = str(caught.value)
    assert "fonts.include.0" in message and len(message) < 500 and "\n" not in message
    lines = ["fonts:", "  include:", "  - - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"    - &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    with pytest.raises(PolyglyphError) as caught:
        build_config(bomb)
    assert "fonts.include.0" in str(caught.value) and len(str(caught.value)) < 500


@pytest.mark.parametrize("key, value", [
    ("num", True), ("seed", True), ("shard_rows", True), ("no_text", True),
    ("image", {"quality": True}), ("workers", False),
])
def test_a_boolean_is_not_a_number(key: str, value: object) -> None:
    """`num: true` ran one row and `no_text: true` made every page blank: lax pydantic read
    YAML booleans as 1 / 1.0."""
    with pytest.raises(PolyglyphError, match="not true/false"):
        build_config(overrides={key: value})


@pytest.mark.parametrize("make", ["missing", "folder", "junk", "empty"])
def test_render_checks_every_background_before_drawing(tmp_path: Path, make: str) -> None:
    """A missing or broken `--background` was ignored on the seeds that drew no background
    and failed the others; now each is checked first and no page is written."""
    from synth.cli import main

    bg = tmp_path / "bg.jpg"
    if make == "folder":
        bg.mkdir()
    elif make == "junk":
        bg.write_bytes(BINARY)
    elif make == "empty":
        bg.write_bytes(b"")
    out = tmp_path / "page.png"
    with pytest.raises(PolyglyphError, match=r"--background .*bg\.jpg"):
        main(["--language", "en", "--background", str(bg), "--out", str(out)])
    assert not out.exists()


def test_inspect_writes_png_names_only(tmp_path: Path) -> None:
    """`inspect OUT --out OUT/data/part-00000.parquet --overwrite` replaced the dataset's own
    shard with a PNG (only .jpg-like names were refused)."""
    from pipelines.inspect import main

    shard = tmp_path / "data" / "part-00000.parquet"
    shard.parent.mkdir()
    pq.write_table(pa.table({"a": [1]}), shard)
    before = shard.read_bytes()
    for name in (str(shard), str(tmp_path / "row.txt")):
        with pytest.raises(PolyglyphError, match="give a .png path"):
            main([str(tmp_path), "--out", name, "--overwrite"])
    assert shard.read_bytes() == before and not (tmp_path / "row.txt").exists()


@pytest.mark.parametrize("module", ["synth.cli", "synth.text_cli", "pipelines.generate_cli",
                                    "pipelines.variants", "pipelines.inspect",
                                    "pipelines.validate_cli"])
def test_help_explains_every_option(module: str) -> None:
    """`--help` teaches: --seed/--width/--height of render and text, --quality/--shard-rows of
    variants and the --openai-* flags of validate were listed with no word on them."""
    import importlib

    parser = importlib.import_module(module).build_parser()
    bare = [a.option_strings[-1] for a in parser._actions
            if a.option_strings and not a.help and "-h" not in a.option_strings]
    assert not bare, f"{module}: no help for {bare}"


@pytest.mark.parametrize("flag, text", [("--languages", "en=1,ar=1,ar=3"),
                                        ("--scenes", "document=1,document=2")])
def test_a_weight_given_twice_is_refused(flag: str, text: str) -> None:
    """`--languages ar=1,ar=3` kept ar=3 without a word (while `zh=1,zh-Hans=3`, the same
    language under two codes, was already refused)."""
    from pipelines.generate_cli import parse_weights

    with pytest.raises(PolyglyphError, match="given twice"):
        parse_weights(text, flag)
    assert parse_weights("en=1,ar=3", flag) == {"en": 1.0, "ar": 3.0}


def test_a_null_transcription_is_not_the_text_none(tmp_path: Path) -> None:
    """COCO `"text": null` (or an MMOCR instance's) became a line labelled "None"."""
    import json

    from PIL import Image

    from pipelines.readers import READERS

    Image.new("RGB", (64, 48), (240, 240, 240)).save(tmp_path / "a.png")
    (tmp_path / "c.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png"}],
        "annotations": [{"image_id": 1, "bbox": [4, 4, 30, 12], "text": None}]}))
    items, problems = READERS["coco"](tmp_path)
    line = items[0].lines[0]
    assert line.text != "None" and line.dont_care, (line, problems)
    (tmp_path / "c.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png"}],
        "annotations": [{"image_id": 1, "bbox": [4, 4, 30, 12], "text": ["a", "b"]}]}))
    items, problems = READERS["coco"](tmp_path)
    assert not [ln for item in items for ln in item.lines]
    assert any("not text" in p.problem for p in problems), problems


def test_output_piped_to_head_ends_quietly() -> None:
    """`polyglyph text ... | head -1` printed "error: Broken pipe" and exited 1; the reader
    going away now ends the command silently with 141, as a shell reports `cat | head`."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "text", "--language", "en",
                             "--num", "2000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"=== page 0")
    proc.stdout.close()
    try:
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 141, err
    finally:
        proc.kill()
    assert err == "", err


def test_help_command_shows_that_commands_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`polyglyph help generate` printed the command list, not generate's options."""
    from pipelines.cli import main

    with pytest.raises(SystemExit) as done:
        main(["help", "generate"])
    assert done.value.code == 0 and "--shard-rows" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["render", "inspect"])
def test_out_under_a_file_names_the_file(tmp_path: Path, command: str) -> None:
    """`render --out notes.txt/page.png` said "notes.txt: File exists" after drawing the page
    (inspect: "cannot write: File exists"); both name the file in the way, before any work."""
    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("mine")
    out = str(in_the_way / "sub" / "page.png")
    if command == "render":
        from synth.cli import main

        argv = ["--language", "en", "--out", out]
    else:
        from pipelines.inspect import main  # type: ignore[assignment]

        argv = [str(tmp_path / "no-dataset"), "--out", out]
    with pytest.raises(PolyglyphError, match=r"notes\.txt is a file, not a folder"):
        main(argv)
    assert in_the_way.read_text() == "mine"


def test_a_cluster_address_with_the_local_executor_is_refused(tmp_path: Path) -> None:
    """`--ray-address auto --executor local` ran locally and ignored the address unsaid."""
    from pipelines.generate_cli import main

    with pytest.raises(PolyglyphError, match="--ray-address auto with --executor local"):
        main(["--out", str(tmp_path / "o"), "--dry-run", "--ray-address", "auto",
              "--executor", "local"])


def test_print_config_never_carries_overwrite(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`generate --print-config --overwrite > run.yaml` wrote `overwrite: true`, so every later
    `--config run.yaml` run replaced the dataset at its --out without being told to."""
    import yaml

    from pipelines.generate_cli import main

    assert main(["--out", str(tmp_path / "o"), "--print-config", "--overwrite",
                 "--languages", "en"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["overwrite"] is False
