"""User corpora streamed from text, JSONL and Parquet (files, directories, globs, S3): same rows
whatever the format, deterministic sampling, bounded reads, script check, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from s3_server import bucket_uri, moto_bucket

from fonts_manifest.corpus import load_corpus
from fonts_manifest.corpus_stream import open_corpus
from pipelines.errors import PolyglyphError
from pipelines.output import Output

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
ROWS = [f"Paragraph {i} tells of invoices, trains and {i * 7} apples." for i in range(3000)]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpora")
    pq.write_table(pa.table({"id": list(range(len(ROWS))), "body": ROWS}), root / "en.parquet",
                   row_group_size=700)
    (root / "en.jsonl").write_text("\n".join(json.dumps({"text": r}) for r in ROWS) + "\n")
    (root / "en.txt").write_text("\n\n".join(ROWS))  # blank lines between paragraphs
    parts = root / "parts"
    parts.mkdir()
    for k in range(3):
        (parts / f"p{k}.txt").write_text("\n".join(ROWS[k * 1000:(k + 1) * 1000]) + "\n")
    return root


def test_every_format_gives_the_same_rows(files: Path) -> None:
    specs = [f"{files}/en.parquet#body", f"{files}/en.jsonl", f"{files}/en.txt",
             f"{files}/parts", f"{files}/parts/p*.txt"]
    for spec in specs:
        stream = open_corpus(spec)
        assert stream.total == len(ROWS), spec
        assert [stream.text(i) for i in (0, 699, 700, 1999, 2999)] == \
            [ROWS[i] for i in (0, 699, 700, 1999, 2999)], spec


def test_sampling_depends_on_the_generator_only(files: Path) -> None:
    stream = open_corpus(f"{files}/en.parquet#body")
    first = stream.run(np.random.default_rng(11), 500, lambda _t: True)
    for seed in range(5):  # other pages read other row groups in between
        stream.run(np.random.default_rng(seed), 500, lambda _t: True)
    fresh = open_corpus(f"{files}/en.jsonl")
    assert stream.run(np.random.default_rng(11), 500, lambda _t: True) == first
    assert fresh.run(np.random.default_rng(11), 500, lambda _t: True) == first
    assert len(stream._groups) <= 2  # bounded: at most two row groups held


def test_digest_follows_the_bytes(files: Path, tmp_path: Path) -> None:
    a = open_corpus(f"{files}/en.txt").digest()
    copy = tmp_path / "en.txt"
    copy.write_bytes((files / "en.txt").read_bytes())
    assert open_corpus(str(copy)).digest() == a
    copy.write_bytes(copy.read_bytes().replace(b"apples", b"pears"))
    assert open_corpus(str(copy)).digest() != a


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"\0" * (3 << 20)), "longer than 1 MiB"),
    (lambda p: p.with_suffix(".parquet").write_bytes(b"PAR1 no"), "not a Parquet file"),
    (lambda p: p.with_suffix(".jsonl").write_text('{"body": "x"}\n'), "no 'text' key"),
    (lambda p: p.with_suffix(".txt.gz").write_bytes(b"\x1f\x8b"), "compressed"),
])
def test_bad_corpora_are_one_line_errors(tmp_path: Path, make, message: str) -> None:
    path = tmp_path / "c.txt"
    make(path)
    target = next(p for p in tmp_path.iterdir())
    with pytest.raises(PolyglyphError, match=message) as info:
        load_corpus({"en": str(target)}, languages=["en"])
    assert "\n" not in str(info.value) and str(target) in str(info.value)


def test_a_column_on_a_plain_text_file_is_refused(files: Path) -> None:
    with pytest.raises(PolyglyphError, match="plain text.*#body picks a JSON key") as info:
        open_corpus(f"{files}/en.txt#body")  # was ignored: the user meant another file
    assert "\n" not in str(info.value)


def test_dev_zero_fails_at_once_with_one_line() -> None:
    result = subprocess.run([POLYGLYPH, "text", "--language", "en", "--num", "1", "--corpus",
                             "en=/dev/zero"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "/dev/zero" in result.stderr
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_text_in_another_script_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zh.txt"
    path.write_text("人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心。\n" * 20)
    with pytest.raises(PolyglyphError, match="refused.*CJK.*ARABIC"):
        load_corpus({"ar": str(path)}, languages=["ar"])
    assert load_corpus({"zh": str(path)}, languages=["zh"])["zh-Hans"].stream.total == 20


def test_s3_corpus_through_a_local_server(files: Path) -> None:
    with moto_bucket("corpus-test") as endpoint:
        Output(bucket_uri(endpoint, "corpus-test")).write_atomic(
            "en.parquet", (files / "en.parquet").read_bytes())
        stream = open_corpus(bucket_uri(endpoint, "corpus-test/en.parquet") + "#body")
        assert stream.total == len(ROWS) and stream.text(1234) == ROWS[1234]
        assert stream.digest() == open_corpus(f"{files}/en.parquet#body").digest()
