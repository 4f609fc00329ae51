"""Cross-validation with the real Tesseract judge: agreement, difficulty and status rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from pipelines.errors import PolyglyphError
from qa_factory import sample_pages
from qa_factory.judges import JudgeFailure, get_judge
from qa_factory.judges.tesseract import tesseract_language
from qa_factory.scoring import score_answer
from qa_factory.validate import ValidationRules, select_kept, validate_page, validate_pages
from qa_factory.views import make_views
from synth.page import axis_box
from synth.rng import child_rng, sample_rng

MIX = {"text": 1.0, "spotting_json": 0.0, "extraction_json": 1.0, "table_html": 1.0}


@pytest.fixture(scope="module")
def tesseract():
    return get_judge("tesseract")


@pytest.fixture(scope="module")
def clean_results(tesseract):
    """Clean rendered pages in languages Tesseract has packs for, validated in one batch."""
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry
    from synth.render import PageSpec, RenderContext, render_page

    corpus = load_corpus()
    # the judge is under test here, not the font pool or the text mix: Noto faces and running
    # UDHR text. (Tesseract's ara model agrees poorly with synthesised Arabic lines full of
    # Latin codes and numbers, ~0.2 on one page, and with decorative faces such as Nagham; the
    # pool's read-back is checked with display faces excluded in tests/test_synth_text_ocr.py.)
    # (Noto Nastaliq Urdu, a calligraphic style Tesseract's ara model cannot read, stays out)
    ctx = RenderContext(FontRegistry.load(), corpus,
                        {"include": ["Noto Sans*", "Noto Serif*", "Noto Naskh*"]},
                        text={"sources": {"udhr": 1.0}})
    items = []
    specs = [
        ("en", "document"),
        ("ru", "document"),
        ("ar", "document"),
        ("hi", "document"),
        ("en", "receipt"),
        ("en", "table"),
        ("en", "form"),
    ]
    for i, (language, scene) in enumerate(specs):
        rng = sample_rng(500 + i)
        page = render_page(
            PageSpec(language=language, scene=scene, width=900, height=1200, style_mix=0.0),
            child_rng(rng, "render"),
            ctx,
        )
        views = make_views(page, child_rng(rng, "views"), task_mix=MIX, corpus=corpus)
        items.append((page, views, child_rng(rng, "validate")))
    return items, validate_pages(items, [tesseract], ValidationRules(line_checks=3))


def test_tesseract_agrees_on_clean_rendered_pages(clean_results) -> None:
    """Printed pages; the form's values are handwritten by design (judged separately below)."""
    items, results = clean_results
    printed = [r for (page, _, _), r in zip(items, results, strict=True) if page.scene != "form"]
    agreements = [r["agreement"] for r in printed]
    assert all(a is not None for a in agreements)
    assert float(np.mean(agreements)) >= 0.9, agreements
    for result in results:
        assert 0.0 <= result["difficulty"] <= 0.25
        assert result["status"] in ("verified", "hard")


def test_validation_records_every_check_with_answer_score_ok(clean_results) -> None:
    items, results = clean_results
    for (page, views, _), result in zip(items, results, strict=True):
        checks = result["validation"]["checks"]
        view_checks = [c for c in checks if c["check"].startswith("view:")]
        checkable = [v for v in views if v["task"] in ValidationRules().tasks]
        assert len(view_checks) == len(checkable)  # nothing dropped (layout views: no scorer yet)
        assert sum(c["check"].startswith("line:") for c in checks) == min(3, len(page.lines))
        for check in checks:
            entry = check["judges"]["tesseract"]
            if check["task"] in ("reasoning", "translation"):
                assert entry["error"] == "unsupported" and check["status"] == "unchecked"
            else:
                assert isinstance(entry["answer"], str) and 0.0 <= entry["score"] <= 1.0
                assert entry["ok"] == (entry["score"] >= ValidationRules().agree[check["task"]])


def test_extraction_is_checked_by_reading_the_value_crop(clean_results) -> None:
    items, results = clean_results
    by_scene = {page.scene: r for (page, _, _), r in zip(items, results, strict=True)}
    for scene, floor in (("receipt", 0.8), ("form", 0.5)):  # printed vs handwritten values
        checks = [
            c for c in by_scene[scene]["validation"]["checks"] if c["task"].startswith("extraction")
        ]
        assert checks, scene
        assert np.mean([c["judges"]["tesseract"]["score"] for c in checks]) >= floor, scene


def test_destroyed_line_is_unreadable_and_noisy_page_is_hard(tesseract) -> None:
    page = sample_pages.document_page("en")
    rules = ValidationRules(line_checks=len(page.lines))
    # Line 2 erased to noisy paper (Tesseract still reads a 1-level fade, so erase it all): the
    # text is gone, the label is not truth any more.
    faded = page.image.copy()
    x0, y0, x1, y1 = (int(v) for v in axis_box(page.lines[2].polygon))
    paper = 250 + np.random.Generator(np.random.PCG64(1)).normal(0, 2, faded[y0:y1, x0:x1].shape)
    faded[y0:y1, x0:x1] = np.clip(paper, 0, 255).astype(np.uint8)
    result = validate_page(replace(page, image=faded), [], [tesseract], rules, sample_rng(0))
    by_check = {c["check"]: c for c in result["validation"]["checks"]}
    assert by_check["line:2"]["status"] == "unreadable"
    assert by_check["line:2"]["contrast"] < rules.low_contrast
    assert by_check["line:3"]["status"] == "verified"
    assert result["status"] == "unreadable"
    # Heavy salt-and-pepper noise: contrast stays high, judges fail, the reference is right.
    rng = np.random.Generator(np.random.PCG64(3))
    noisy = page.image.copy()
    mask = rng.random(noisy.shape[:2]) < 0.45
    noisy[mask] = rng.integers(0, 256, (int(mask.sum()), 1), dtype=np.uint8)
    views = make_views(page, sample_rng(1), task_mix={"text": 1.0})
    result = validate_page(
        replace(page, image=noisy), views, [tesseract], ValidationRules(line_checks=0)
    )
    text_check = [c for c in result["validation"]["checks"] if c["task"] == "text"][0]
    assert text_check["status"] == "hard"
    assert text_check["difficulty"] > 0.2


def test_unsupported_language_is_unchecked_not_failed(tesseract) -> None:
    page = sample_pages.document_page("en")
    page = replace(page, language="xx", lines=[replace(ln, language="xx") for ln in page.lines])
    assert tesseract_language("xx") is None
    result = validate_page(
        page, make_views(page, sample_rng(0)), [tesseract], ValidationRules(line_checks=1)
    )
    assert {c["status"] for c in result["validation"]["checks"]} == {"unchecked"}
    assert result["status"] == "unchecked" and result["difficulty"] is None


def test_scores_per_task() -> None:
    assert score_answer("reasoning", "22.75", "The total is 22,75 EUR") == 1.0
    assert score_answer("reasoning", "22.75", "22.70") == 0.0
    assert score_answer("reasoning", "yes", "Yes, it matches.") == 1.0
    assert score_answer("reasoning", "no", "yes") == 0.0
    assert (
        score_answer("extraction_json", '{"A": "1", "B": "x"}', '```json\n{"A": "1"}\n```') == 0.5
    )
    ref = "<table><tr><td>a</td><td>b</td></tr></table>"
    assert score_answer("table_html", ref, "<table><tr><th>a</th><td>b</td></tr></table>") == 1.0
    assert score_answer("table_html", ref, "a b") == 1.0
    assert score_answer("parsing", "# T\n\nBody text", "T Body text") == 1.0


def test_hard_share_caps_hard_rows_hardest_first() -> None:
    statuses = ["verified"] * 7 + ["hard"] * 5 + ["unreadable", "unvalidated"]
    difficulties = [0.0] * 7 + [0.3, 0.9, 0.5, 0.7, 0.4] + [1.0, None]
    keep = select_kept(statuses, difficulties, 0.3)
    assert keep[:7] == [True] * 7 and keep[-2:] == [False, True]
    assert [i for i in range(7, 12) if keep[i]] == [8, 9, 10]  # 3 of 8 others → 3 hard (30 %)
    assert sum(keep[7:12]) / sum(keep) <= 0.3


def test_rules_from_dict_rejects_unknown_keys() -> None:
    assert ValidationRules.from_dict({"k": 2, "agree": {"text": 0.5}}).agree["text"] == 0.5
    with pytest.raises(PolyglyphError, match="unknown validation rule"):
        ValidationRules.from_dict({"kk": 2})


def test_unknown_judge_is_a_user_error() -> None:
    with pytest.raises(PolyglyphError, match="unknown judge 'gpt5'"):
        get_judge("gpt5")


def test_judge_failures_make_checks_unvalidated(tesseract) -> None:
    class Broken(type(tesseract)):
        name = "broken"

        def answer_batch(self, requests):
            return [JudgeFailure("engine_error", "boom") for _ in requests]

    page = sample_pages.table_page()
    views = make_views(page, sample_rng(2))
    result = validate_page(page, views, [Broken()], ValidationRules(line_checks=2))
    checks = result["validation"]["checks"]
    assert len(checks) == len(views) + 2
    for check in checks:
        entry = check["judges"]["broken"]
        if check["status"] != "unchecked":
            assert check["status"] == "unvalidated" and entry["error"] == "engine_error"
    assert result["status"] == "unvalidated"


def test_parallel_tesseract_workers_give_the_same_answers(tesseract) -> None:
    page = sample_pages.document_page("ru")
    requests = []
    for line in page.lines[:4]:
        x0, y0, x1, y1 = (int(v) for v in axis_box(line.polygon))
        requests.append((page.image[y0:y1, x0:x1], {"task": "line", "language": "ru"}))
    parallel = get_judge("tesseract", workers=2).answer_batch(requests)
    assert parallel == tesseract.answer_batch(requests)
    assert parallel[1] == page.lines[1].text


def test_cli_rules_file_and_flags(tmp_path) -> None:
    from pipelines.validate_cli import build_parser, load_rules

    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text("k: 2\nagree: {text: 0.7}\nline_checks: 9\n")
    args = build_parser().parse_args(
        ["--input", "i", "--out", "o", "--rules", str(rules_file), "--line-checks", "1"]
    )
    rules = load_rules(args)
    assert (rules.k, rules.agree["text"], rules.agree["spotting"], rules.line_checks) == (
        2,
        0.7,
        0.8,
        1,
    )
    rules_file.write_text("- not a mapping\n")
    with pytest.raises(PolyglyphError, match="expected a mapping"):
        load_rules(args)
    rules_file.write_text("k: [\n")  # PyYAML's own message spans five lines
    with pytest.raises(PolyglyphError, match=r"not valid YAML: line 2, column 1: ") as info:
        load_rules(args)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("inner", ["data/checked", "checked"])
def test_out_inside_input_is_refused_before_writing(tmp_path, inner: str) -> None:
    """--out inside the --input dataset (DS/data/checked put a second dataset among DS's
    shards, so pandas.read_parquet(DS/data) read both) is one line, and nothing is written."""
    from pipelines.output import Output
    from pipelines.rows import SCHEMA
    from pipelines.validate_cli import main
    from pipelines.writers import PARQUET

    PARQUET.open(Output(str(tmp_path / "ds" / "data")), "part-00000.parquet", SCHEMA).close()
    out = tmp_path / "ds" / inner
    with pytest.raises(PolyglyphError, match="^--out .*: inside --input"):
        main(["--input", str(tmp_path / "ds"), "--judges", "tesseract", "--out", str(out)])
    assert not out.exists()
    assert sorted(p.name for p in (tmp_path / "ds" / "data").iterdir()) == ["part-00000.parquet"]
