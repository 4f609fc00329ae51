"""Screenshot, video-frame, ticket, scene-text, poster and game-ui scenes on real fonts and corpus:
labels sit on the ink (straight, curved and perspective lines), RTL screens are mirrored, the
subtitle view answers with the subtitle lines, ticket fields and sums are the drawn strings, and
every row carries its scene_group."""

from __future__ import annotations

import copy
import json

import cv2
import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.rows import page_to_row
from qa_factory.reasoning import reasoning_candidates
from qa_factory.views import make_views
from synth.render import SCENE_GROUP_TAGS, PageSpec, RenderContext, apply_render, sample_render
from synth.rng import sample_rng

SCENES = ("screenshot", "video-frame", "ticket", "scene-text", "poster", "game-ui")
LANGUAGES = ("en", "ar", "zh-Hans", "hi", "th", "ru")
W, H = 720, 1018


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus()
    return RenderContext(FontRegistry.load(corpus=corpus), corpus)


@pytest.fixture(scope="module")
def rendered(ctx):
    out = {}
    for scene in SCENES:
        for k, language in enumerate(LANGUAGES):
            record = sample_render(PageSpec(language=language, scene=scene, width=W, height=H),
                                   sample_rng(300 + k), ctx)
            out[scene, language] = (record, apply_render(record, ctx))
    return out


def bare_line(record: dict, index: int) -> dict:
    """The record with only line `index` drawn, black on white, without shadow or gradient
    (outlines stay: they are part of the labelled ink); planes keep their homography."""
    rec = copy.deepcopy(record)
    rec.update(background={"kind": "flat", "colour": [255, 255, 255]}, graphics=[], overlay=[],
               blocks=[], fields=[], regions=[])
    orders = rec.get("lines", [])
    planes = rec.get("planes", [])
    flat = [(None, k) for k in range(len(orders))] + [(p, k) for p, pl in enumerate(planes)
                                                      for k in range(len(pl["lines"]))]
    where, k = flat[index]
    holder = rec if where is None else planes[where]
    order = holder["lines"][k]
    order["colour"] = [0, 0, 0]
    fx = dict(order.get("fx") or {})
    fx.pop("shadow", None)
    fx.pop("gradient", None)
    if "outline" in fx:
        fx["outline"] = [fx["outline"][0], [0, 0, 0]]
    order["fx"] = fx or None
    order.pop("hand", None)
    rec["lines"] = [order] if where is None else []
    for p, plane in enumerate(planes):
        plane.update(background={"kind": "flat", "colour": [255, 255, 255]}, graphics=[], regions=[])
        plane["lines"] = [order] if p == where else []
    rec["planes"] = [p for p in planes if p["lines"]]
    return rec


def ink_box_iou(ctx, record: dict, index: int) -> tuple[float, float]:
    """(IoU of the line polygon's box with the ink's box, share of the ink inside the polygon)."""
    page = apply_render(bare_line(record, index), ctx)
    ink = page.image.min(axis=2) < 200
    ys, xs = np.nonzero(ink)
    if len(xs) == 0:
        return 1.0, 1.0
    poly = np.asarray(page.lines[0].polygon)
    a = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    b = (*poly.min(axis=0), *poly.max(axis=0))
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    iou = inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
    inside = np.zeros(ink.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(poly).astype(np.int32)], 1)
    return float(iou), float((ink & (inside > 0)).sum() / ink.sum())


def _line_count(record: dict) -> int:
    return len(record.get("lines", [])) + sum(len(p["lines"]) for p in record.get("planes", []))


@pytest.mark.parametrize("scene", SCENES)
def test_same_seed_same_page_and_json_is_enough(ctx, rendered, scene) -> None:
    record, page = rendered[scene, "ar"]
    again = sample_render(PageSpec(language="ar", scene=scene, width=W, height=H), sample_rng(301), ctx)
    assert json.dumps(again, sort_keys=True) == json.dumps(record, sort_keys=True)
    remade = apply_render(json.loads(json.dumps(record)), ctx)
    assert np.array_equal(remade.image, page.image)
    assert [ln.polygon for ln in remade.lines] == [ln.polygon for ln in page.lines]


@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_labels_are_complete_and_on_the_page(ctx, rendered, scene, language) -> None:
    record, page = rendered[scene, language]
    assert page.scene == scene and page.language == ctx.language(language).code
    assert len(page.lines) >= 1 and len(page.lines) == _line_count(record)
    h, w = page.image.shape[:2]
    for index, line in enumerate(page.lines):
        assert line.text.strip() and line.words, (scene, language, line.text)
        pts = np.asarray(line.polygon)
        assert len(pts) >= 4 and len(line.quad) == 4
        assert pts[:, 0].min() >= -3 and pts[:, 0].max() <= w + 3, line.text
        assert pts[:, 1].min() >= -3 and pts[:, 1].max() <= h + 3, line.text
        for word in line.words:
            assert word.line_index == index and word.text in line.text
    for block in page.blocks:
        assert all(0 <= i < len(page.lines) for i in block.line_indices)


@pytest.mark.parametrize("scene", SCENES)
def test_polygons_sit_on_the_ink(ctx, rendered, scene) -> None:
    """Each line redrawn alone: median IoU of polygon box and ink box >= 0.9 over six
    languages, and nearly all of a line's ink inside its polygon (curved ones included)."""
    ious, inside = [], []
    for language in LANGUAGES:
        record, _ = rendered[scene, language]
        count = _line_count(record)
        for index in range(0, count, max(1, count // 4)):
            iou, share = ink_box_iou(ctx, record, index)
            ious.append(iou)
            inside.append(share)
    assert np.median(ious) >= 0.9, (scene, np.median(ious))
    assert min(inside) >= 0.95, (scene, min(inside))


def test_curved_lines_follow_their_baseline(ctx) -> None:
    """Arc and wave headlines: the polygon has many points, bends (its box is much larger than
    the ink's own rectangle would be at that size) and holds >= 95 % of the ink."""
    checked = 0
    for seed in range(40):
        record = sample_render(PageSpec(language="en", scene="poster", width=W, height=H), sample_rng(seed), ctx)
        for index, order in enumerate(record["lines"]):
            if (order.get("path") or {}).get("kind") not in ("arc", "wave"):
                continue
            page = apply_render(bare_line(record, index), ctx)
            assert len(page.lines[0].polygon) > 8
            _, share = ink_box_iou(ctx, record, index)
            assert share >= 0.95, (seed, order["text"], share)
            checked += 1
        if checked >= 4:
            break
    assert checked >= 4


def _regions(page) -> list:
    regions = getattr(page, "regions", None) or page.extras.get("regions", [])
    return [r if isinstance(r, dict) else {"kind": r.kind, "polygon": r.polygon, "attributes": r.attributes}
            for r in regions]


def test_rtl_screens_are_mirrored(ctx) -> None:
    for language, on_right in (("en", False), ("ar", True)):
        spec = PageSpec(language=language, scene="screenshot", width=W, height=H, options={"device": "phone"})
        page = render(ctx, spec, 5)
        width = page.image.shape[1]
        back = [r for r in _regions(page) if r["attributes"].get("shape") == "back"]
        assert back, "the app bar has a back arrow"
        x = np.asarray(back[0]["polygon"])[:, 0].mean()
        assert (x > width / 2) == on_right, (language, x)
        title = [ln for ln in page.lines if ln.role == "title"][0]
        tx = np.asarray(title.polygon)[:, 0]
        assert (tx.mean() > width / 2) == on_right, (language, tx.mean())


def render(ctx, spec: PageSpec, seed: int):
    return apply_render(sample_render(spec, sample_rng(seed), ctx), ctx)


def test_subtitle_view_is_the_subtitle_lines(ctx, rendered) -> None:
    for language in LANGUAGES:
        _, page = rendered["video-frame", language]
        subtitles = [ln.text for ln in page.lines if ln.role == "subtitle"]
        assert subtitles
        views = [v for v in make_views(page, sample_rng(1), {"subtitles": 1.0}) if v["task"] == "subtitles"]
        assert len(views) == 1
        assert views[0]["answer"] == "\n".join(subtitles)
        assert views[0]["prompt"] in ("Extract the subtitles from the image.", "提取图片中的字幕。") or views[0]["prompt"]
    _, document = rendered["ticket", "en"]
    assert not [v for v in make_views(document, sample_rng(1), {"subtitles": 1.0}) if v["task"] == "subtitles"]


def test_ticket_fields_and_sums_are_what_was_drawn(ctx, rendered) -> None:
    for language in LANGUAGES:
        _, page = rendered["ticket", language]
        assert len(page.fields) >= 6
        texts = [ln.text for ln in page.lines]
        for f in page.fields:
            assert f.key in texts and f.value in texts
        kinds = {c["kind"]: c for c in reasoning_candidates(page)}
        assert kinds["total_check"]["answer"] == "yes", (language, kinds["total_check"])
        assert "sum" in kinds


def test_every_scene_has_its_scene_group(rendered) -> None:
    expected = {"screenshot": {"screen"}, "video-frame": {"video"}, "ticket": {"receipt/card"},
                "scene-text": {"scene"}, "poster": {"ads", "art"}, "game-ui": {"game"}}
    for (scene, _), (_, page) in rendered.items():
        row = page_to_row(page, row_id="x", index=0, seed=0, image_format="png", quality=90)
        assert row["scene_group"] in expected[scene] and row["scene_group"] in SCENE_GROUP_TAGS
