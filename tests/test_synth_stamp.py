"""Rubber stamps, the first generic region kind: drawn where the region says, read by the views."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from qa_factory.views import make_views
from synth.render import PageSpec, RenderContext, apply_render, sample_render
from synth.rng import sample_rng


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus(languages=["en", "ar"])
    return RenderContext(FontRegistry.load(corpus=corpus), corpus)


def _stamped_record(ctx: RenderContext, scene: str, language: str) -> dict:
    for seed in range(200):
        record = sample_render(PageSpec(language=language, scene=scene, width=640, height=900),
                               sample_rng(seed), ctx)
        if "stamp" in record:
            return record
    raise AssertionError(f"no {scene} page of 200 got a stamp")


@pytest.mark.parametrize(("scene", "language"), [("form", "ar"), ("document", "en")])
def test_stamp_is_drawn_inside_its_region(ctx: RenderContext, scene: str, language: str) -> None:
    record = _stamped_record(ctx, scene, language)
    page = apply_render(record, ctx)
    plain = apply_render({k: v for k, v in record.items() if k != "stamp"}, ctx)
    stamps = [r for r in page.regions if r.kind == "stamp"]
    others = [r.kind for r in page.regions if r.kind != "stamp"]  # figures, formulas stay
    assert len(stamps) == 1 and others == [r.kind for r in plain.regions]
    region = stamps[0]
    assert region.text == record["stamp"]["text"] and region.text.strip()
    assert [ln.text for ln in page.lines] == [ln.text for ln in plain.lines]
    changed = np.abs(page.image.astype(int) - plain.image.astype(int)).max(axis=2) > 8
    assert "stamp" not in [r.kind for r in plain.regions]
    inside = np.zeros(changed.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(np.asarray(region.polygon)).astype(np.int32)], 1)
    inside = cv2.dilate(inside, np.ones((5, 5), np.uint8)).astype(bool)
    assert changed.sum() > 200  # visible ink
    assert not (changed & ~inside).any()  # and none of it outside the region
    assert (apply_render(record, ctx).image == page.image).all()  # the record re-makes it


def test_views_read_the_stamp(ctx: RenderContext) -> None:
    page = apply_render(_stamped_record(ctx, "form", "en"), ctx)
    index = [r.kind for r in page.regions].index("stamp")
    text = page.regions[index].text
    views = {v["task"]: v for v in make_views(page, sample_rng(0))}
    assert views["stamp"]["answer"] == text
    assert f"<ref>{text}</ref>" in views["spotting"]["answer"]
    assert f'"region_indices": [{index}]' in views["spotting"]["meta"]
    page.regions[index].visible = 0.1  # pushed off the frame: no stamp question, no stamp in spotting
    views = {v["task"]: v for v in make_views(page, sample_rng(0))}
    assert "stamp" not in views and f"<ref>{text}</ref>" not in views["spotting"]["answer"]
