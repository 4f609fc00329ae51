"""Fifth hostile-input review (2026-12-08): a corpus of one character a line, an unknown key
inside a page size, benchmark transcriptions holding line separators, controls and bidi
overrides, and language tags naming a script (or a region's script) the corpus lacks.
Real files, the real readers and the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=300)


def _one_line(done: subprocess.CompletedProcess[str], *words: str) -> str:
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


def test_a_corpus_of_one_character_a_line_is_read(tmp_path: Path) -> None:
    """Lines were kept only when longer than one byte (meant to drop a CRLF file's blank
    "\\r" lines): a character list of one ASCII letter or digit a line was "file has no
    text", and such lines vanished from any corpus. CRLF blank lines are still dropped."""
    from fonts_manifest.corpus_stream import open_corpus

    letters = tmp_path / "letters.txt"
    letters.write_bytes(b"a\r\n\r\nb\nc\r\n\n7\r\nZ")
    corpus = open_corpus(str(letters))
    assert [corpus.text(i) for i in range(corpus.total)] == ["a", "b", "c", "7", "Z"]
    done = _run("text", "--language", "en", "--sources", "corpus=1", "--num", "1",
                "--corpus", f"en={letters}")
    assert done.returncode == 0, done.stderr


def test_an_unknown_key_inside_a_page_size_lists_the_allowed_keys(tmp_path: Path) -> None:
    """`page_sizes: [{width: .., height: .., depth: 3}]` said "allowed keys: " and nothing."""
    config = tmp_path / "run.yaml"
    config.write_text("num: 2\npage_sizes: [{width: [768, 1280], height: [960, 1600], depth: 3}]\n")
    _one_line(_run("generate", "--config", str(config), "--dry-run", "--out", str(tmp_path / "o")),
              "'page_sizes.0.depth'", "allowed keys: width, height")


def test_benchmark_transcriptions_keep_their_words_and_lose_invisible_characters(
        tmp_path: Path) -> None:
    """ICDAR gt lines were split with str.splitlines(), which also cuts at U+2028, NEL, VT, FF:
    'line<U+2028>sep' labelled its box 'line' (and made a bogus malformed line of 'sep').
    Transcriptions kept tabs (PaddleOCR's list separator), NUL/ESC and bidi overrides (an RLO
    makes a trainer read the label backwards) that no reader of the image could write; they
    are removed (white space ones made spaces), as from --corpus text. COCO alike."""
    from pipelines.readers import READERS

    Image.new("RGB", (300, 200), (240, 240, 240)).save(tmp_path / "img_1.png")
    rows = ["line\u2028sep", "x\x85y", "tab\there", "a\x00b\x1bc", "\u202eHello\u202c",
            "Plain, with comma", "###"]
    (tmp_path / "gt_img_1.txt").write_text(
        "".join(f"10,{10 + 20 * i},90,{10 + 20 * i},90,{25 + 20 * i},10,{25 + 20 * i},{t}\r\n"
                for i, t in enumerate(rows)), encoding="utf-8", newline="")
    items, problems = READERS["icdar2015"](tmp_path)
    assert not problems, problems
    assert [ln.text for ln in items[0].lines] == [
        "line sep", "x y", "tab here", "abc", "Hello", "Plain, with comma", "###"]
    assert [ln.dont_care for ln in items[0].lines] == [False] * 6 + [True]
    coco = tmp_path / "coco"
    coco.mkdir()
    Image.new("RGB", (64, 48), (240, 240, 240)).save(coco / "a.png")
    (coco / "c.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png"}],
        "annotations": [{"image_id": 1, "bbox": [4, 4, 30, 12], "text": "two\nlines\u200b"},
                        {"image_id": 1, "bbox": [4, 20, 30, 12], "text": "\u2067\x07"}]}))
    items, _ = READERS["coco"](coco)
    assert [(ln.text, ln.dont_care) for ln in items[0].lines] == [("two lines", False),
                                                                  ("", True)]


@pytest.mark.parametrize(("typed", "expected"), [
    ("pa-Arab", None), ("pa-PK", None), ("ru-Latn", None), ("kk-CN", None), ("en-Arab", None),
    ("ko-Hani", None), ("tzm-Tfng", None),
    ("pa", "pa"), ("pa-IN", "pa"), ("sr-ME", "sr-Latn"), ("zh-Hant-CN", "zh-Hant"),
    ("zh-Hani", "zh-Hans"), ("ja-Jpan", "ja"), ("ko-Kore", "ko"), ("mn-CN", "mn-Mong"),
    ("de-AT", "de-1996"), ("EN-latn-US", "en"), ("ms-Arab", "zlm-Arab")])
def test_a_tag_naming_a_script_the_corpus_lacks_names_no_language(typed: str,
                                                                  expected: str | None) -> None:
    """The nearest text answered whatever script the tag named: `pa-Arab` (Shahmukhi) and
    `pa-PK` drew Gurmukhi pages, `ru-Latn` Cyrillic ones, `kk-CN` (written in Arabic there)
    Cyrillic; the user asked for one script and got rows in another."""
    from fonts_manifest.codes import alias_table
    from fonts_manifest.corpus import _bundled

    texts = _bundled()
    assert alias_table(texts, texts).resolve(typed) == expected


def test_a_script_conflict_is_one_line_saying_so(tmp_path: Path) -> None:
    _one_line(_run("text", "--language", "pa-Arab", "--num", "1"),
              "'pa-Arab'", "the text of pa is written in Guru, not Arab")
    _one_line(_run("generate", "--languages", "en,kk-CN", "--num", "2", "--dry-run",
                   "--out", str(tmp_path / "o")), "'kk-CN'", "written in Cyrl, not Arab")


def test_text_prints_what_the_page_draws_without_controls(tmp_path: Path) -> None:
    """`polyglyph text` printed a corpus row's ESC sequence and BEL raw (the terminal rang and
    turned red) while the page drew the row without them (`clean_text`); it prints the text
    as drawn now (`--stats` already left them out of its counts, and still does)."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("Hello\x07\x1b[31mworld red\x1b[0m text\n" * 20, encoding="utf-8")
    args = ["text", "--language", "en", "--sources", "corpus=1", "--num", "1",
            "--corpus", f"en={corpus}"]
    done = _run(*args)
    assert done.returncode == 0, done.stderr
    assert "Hello[31mworld red[0m text" in done.stdout
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    stats = _run(*args, "--stats")
    assert stats.returncode == 0, stats.stderr
    drawn = set("Hello[31mworld red[0m text") - {" "}
    assert json.loads(stats.stdout)["distinct_chars"] == len(drawn)


@pytest.mark.parametrize(("row", "words"), [
    ('{"text": "Hello \\ud800 world, a line of text"}', ("row 1", "lone surrogate U+D800")),
    ('{"text": "Hello world", "n": ' + "9" * 5000 + "}", ("row 1", "4300 digits")),
    ('{"text": ' + "[" * 100_000 + "]" * 100_000 + "}", ("row 1", "nested too deeply")),
])
def test_jsonl_rows_python_cannot_hold_are_one_line(tmp_path: Path, row: str,
                                                    words: tuple[str, ...]) -> None:
    """JSONL corpus rows that are valid JSON yet no Python text: a lone surrogate escape
    (UnicodeEncodeError when the page was written), an integer of 5,000 digits (ValueError:
    int max str digits) and deep nesting (RecursionError) were internal errors."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text((row + "\n") * 20, encoding="utf-8")
    _one_line(_run("text", "--language", "en", "--sources", "corpus=1", "--num", "1",
                   "--corpus", f"en={corpus}"), f"--corpus en={corpus}: ", *words)


@pytest.mark.parametrize("kind", ["config", "profile", "rules"])
@pytest.mark.parametrize(("body", "words"), [
    ("num: " + "9" * 5000 + "\n", ("not valid YAML", "4300 digits")),
    ("num: " + "[" * 5000 + "]" * 5000 + "\n", ("not valid YAML", "nest")),
])
def test_yaml_python_cannot_hold_is_one_line(tmp_path: Path, kind: str, body: str,
                                             words: tuple[str, ...]) -> None:
    """A run config, warp profile or validate rules file holding an integer of 5,000 digits
    (ValueError from int()) or 5,000 nested lists (RecursionError) was an internal error."""
    path = tmp_path / f"{kind}.yaml"
    path.write_text(body, encoding="utf-8")
    out = str(tmp_path / "out")
    args = {"config": ["generate", "--config", str(path), "--dry-run", "--out", out],
            "profile": ["preview", "--profile", str(path), "--n", "1", "--out", out],
            "rules": ["validate", "--input", str(tmp_path), "--judges", "tesseract",
                      "--rules", str(path), "--out", out]}[kind]
    _one_line(_run(*args), str(path), *words)
    assert not Path(out).exists()


def test_resume_keeps_only_shards_under_their_own_names(tmp_path: Path) -> None:
    """A manifest edited to list shard 0 as '../secret.parquet' (or an absolute path) was
    followed on resume: the entry was kept and the stats and the card read that file, outside
    --out, as the shard ("unreadable Parquet/Arrow data", naming nothing). A shard's name is
    a function of its index, so such an entry is remade under its own name."""
    out = tmp_path / "ds"
    secret = tmp_path / "secret.parquet"
    secret.write_text("not yours to read")
    args = ["generate", "--num", "2", "--shard-rows", "1", "--languages", "en", "--profile",
            "clean", "--scenes", "card", "--workers", "1", "--quiet", "--out", str(out)]
    assert _run(*args).returncode == 0
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["shards"][0]["file"] = "../secret.parquet"
    (out / "manifest.json").write_text(json.dumps(manifest))
    done = _run(*args)
    assert done.returncode == 0, done.stderr
    again = json.loads((out / "manifest.json").read_text())
    assert [e["file"] for e in again["shards"]] == ["data/part-00000.parquet",
                                                    "data/part-00001.parquet"]
    assert secret.read_text() == "not yours to read"


def test_an_mmocr_entry_without_instances_makes_no_row(tmp_path: Path) -> None:
    """`"instances": null` (or no key) became a row with no lines: a label saying the image
    holds no text, whatever it shows. It is a skipped image now; `[]` stays a text-free row."""
    from pipelines.readers import READERS

    for name in ("a.png", "b.png"):
        Image.new("RGB", (64, 48), (240, 240, 240)).save(tmp_path / name)
    (tmp_path / "textdet_test.json").write_text(json.dumps({"metainfo": {}, "data_list": [
        {"img_path": "a.png", "instances": None}, {"img_path": "b.png", "instances": []}]}))
    items, problems = READERS["mmocr"](tmp_path)
    assert [(it.key, it.lines) for it in items] == [("b.png", [])]
    assert [p.file for p in problems] == ["textdet_test.json#data_list[0]"]
    assert "no `instances` list" in problems[0].problem


def test_a_corpus_folder_with_symlink_loops_is_read_once(tmp_path: Path) -> None:
    """pyarrow's recursive listing followed a link to the folder itself ~40 levels deep: one
    loop made a one-file corpus 41 files (every row 41 times), two loops in a folder never
    finished listing (2^40 paths; 60 s timeout). Each real folder is entered once now and a
    file linked twice is read once; a `**` glob through loops stops at the file cap."""
    from fonts_manifest.corpus_stream import open_corpus

    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("Hello world, one line of text.\n" * 3)
    (root / "sub" / "up").symlink_to("..")
    (root / "l1").symlink_to(".")
    (root / "l2").symlink_to(".")
    (root / "twin.txt").symlink_to(root / "a.txt")
    corpus = open_corpus(str(root))
    assert [f.path for f in corpus.files] == [str(root / "a.txt")] and corpus.total == 3
    done = _run("text", "--language", "en", "--sources", "corpus=1", "--num", "1",
                "--corpus", f"en={root}")
    assert done.returncode == 0, done.stderr
