"""Real judges on real renders: tesserocr against the CLI, RapidOCR beside Tesseract, and a
Tesseract that cannot find its traineddata failing loudly (issue 21) instead of supporting
nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.errors import PolyglyphError
from qa_factory import sample_pages
from qa_factory.judges import get_judge
from qa_factory.validate import ValidationRules, crop, crop_box, validate_page
from qa_factory.views import make_views
from synth.rng import sample_rng

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))


def _line_crops(language: str, count: int = 4):
    page = sample_pages.document_page(language)
    lines = [ln for ln in page.lines if ln.text.strip() and ln.polygon][:count]
    return [(crop(page.image, crop_box(ln.polygon, page.width, page.height)), ln) for ln in lines]


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
def test_tesserocr_reads_line_crops_like_the_cli(language: str) -> None:
    pytest.importorskip("tesserocr")
    api, cli = get_judge("tesseract", engine="tesserocr"), get_judge("tesseract", engine="cli")
    assert api.engine.kind == "tesserocr" and cli.engine.kind == "cli"
    assert get_judge("tesseract").engine.kind == "tesserocr"  # auto picks it when installed
    for image, line in _line_crops(language):
        view = {"task": "line", "language": language}
        assert api.answer(image, view) == cli.answer(image, view), line.text


def test_a_tesseract_without_traineddata_is_an_error_not_a_silent_judge(
    tmp_path: Path, monkeypatch
) -> None:
    from qa_factory.judges import tess_engine

    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "nowhere"))
    tess_engine.list_languages.cache_clear()
    try:
        with pytest.raises(PolyglyphError, match="TESSDATA_PREFIX"):
            get_judge("tesseract")
    finally:
        tess_engine.list_languages.cache_clear()


def test_validate_with_a_bad_tessdata_prefix_exits_non_zero_in_one_line(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "TESSDATA_PREFIX": str(tmp_path / "nowhere")}
    source = tmp_path / "in"
    source.mkdir()
    import pyarrow as pa
    import pyarrow.parquet as pq

    # a readable shard (the input is checked first); its rows are never judged
    pq.write_table(pa.table({"id": ["x"]}), source / "part-00000.parquet")
    proc = subprocess.run(
        [POLYGLYPH, "validate", "--input", str(source), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "TESSDATA_PREFIX" in lines[0], proc.stderr


def test_two_real_judges_agree_on_printed_lines_they_both_cover() -> None:
    pytest.importorskip("rapidocr")
    judges = [get_judge("tesseract"), get_judge("rapidocr")]
    agreements = []
    for language in ("en", "zh-Hans"):
        page = sample_pages.document_page(language)
        views = make_views(page, sample_rng(3), task_mix={"text": 1.0})
        result = validate_page(page, views, judges, ValidationRules(line_checks=4))
        lines = [c for c in result["validation"]["checks"] if c["task"] == "line"]
        assert len(lines) == 4
        for check in lines:
            assert check["judges"]["rapidocr"]["score"] is not None  # it covers en and zh
            assert check["cross"] is not None
            agreements.append(check["agreement"])
        page_checks = [c for c in result["validation"]["checks"] if c["task"] == "text"]
        assert page_checks  # page views are composed from its line readings (judging.py)
        for check in page_checks:
            assert check["judges"]["rapidocr"]["ok"], check["judges"]["rapidocr"]
    assert sum(agreements) / len(agreements) >= 0.9, agreements


def test_rapidocr_is_skipped_where_it_has_no_model() -> None:
    pytest.importorskip("rapidocr")
    page = sample_pages.document_page("ar")
    views = make_views(page, sample_rng(3), task_mix={"text": 1.0})
    result = validate_page(
        page, views, [get_judge("tesseract"), get_judge("rapidocr")], ValidationRules(line_checks=2)
    )
    for check in result["validation"]["checks"]:
        assert check["judges"]["rapidocr"] == {
            "answer": None, "score": None, "ok": None, "error": "unsupported"
        }
        assert "unanswered" not in check  # skipped is not failed
