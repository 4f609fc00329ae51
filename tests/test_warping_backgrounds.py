"""`--backgrounds` under photographed pages (issue 18, point 4): with the run's user images
(`synth.backgrounds`), a page put into a scene lies on one of them instead of a procedural
table; the record names the image, so the row re-makes the same pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import warping
from synth.backgrounds import draw_image_background, index_backgrounds
from synth.page import Line, Page, box_polygon
from synth.rng import sample_rng


def _photos(folder: Path) -> None:
    """Two photo-like table tops: a wood-ish gradient with grain, a blue cloth with blotches."""
    rng = np.random.default_rng(3)
    folder.mkdir()
    for k, base in enumerate(((150, 100, 60), (60, 80, 140))):
        y = np.linspace(0.8, 1.2, 300)[:, None, None]
        img = np.array(base, float) * y + rng.normal(0, 12, (300, 400, 3))
        Image.fromarray(np.uint8(np.clip(img, 0, 255))).save(folder / f"table_{k}.jpg", quality=90)


def test_placed_pages_lie_on_the_users_images(tmp_path: Path) -> None:
    _photos(tmp_path / "bg")
    source = index_backgrounds(tmp_path / "bg")
    assert len(source) == 2
    image = np.full((300, 240, 3), 240, np.uint8)
    image[40:60, 20:220] = 20
    page = Page(image=image, language="en", script="Latn", direction="ltr", scene="document",
                lines=[Line("x", box_polygon(20, 40, 220, 60), box_polygon(20, 40, 220, 60),
                            "en", "Latn", "ltr", size=20.0)])  # fmt: skip
    prof = warping.validate_profile({"geometric": [
        {"step": "place", "canvas": [1.6, 1.6], "zoom": [0.6, 0.6]}], "photometric": []})
    seen = set()
    for seed in range(6):
        out = warping.warp_page(page, prof, sample_rng(seed), backgrounds=source)
        bg = out.warp["background"]
        assert bg["kind"] == "image" and bg["digest"] in {d for d, _ in source.items}
        seen.add(bg["digest"])
        h, w = out.image.shape[:2]
        table = draw_image_background(bg, w, h)
        corner = (slice(0, 10), slice(0, 10))  # the page sits in the middle, zoom 0.6
        assert np.array_equal(out.image[corner], table[corner])
        again = warping.apply_warp(page, out.warp)  # the record alone re-makes it
        assert np.array_equal(again.image, out.image)
        assert out.lines[0].polygon == again.lines[0].polygon
    assert len(seen) == 2  # both images are drawn
    plain = warping.warp_page(page, prof, sample_rng(0))
    assert plain.warp["background"]["kind"] != "image"  # without a source: procedural


@pytest.mark.slow
def test_generate_with_backgrounds_puts_photographed_pages_on_them(tmp_path: Path) -> None:
    """Through the pipeline: a run given `backgrounds` lays its wild pages on the user's
    images, and a row re-makes itself from its records."""
    import json

    import cv2

    from pipelines.config import build_config, config_hash, resolve_config
    from pipelines.sample import make_row, remake_page, worker_context

    _photos(tmp_path / "bg")
    config = resolve_config(build_config(None, {
        "languages": ["en"], "scenes": {"receipt": 1.0}, "profiles": {"wild": 1.0}, "seed": 2,
        "num": 2, "image": {"format": "png"}, "backgrounds": str(tmp_path / "bg")}))
    ctx = worker_context(config, config_hash(config))
    digests = {d for d, _ in ctx.render_ctx.backgrounds.items}
    for index in range(2):
        row = make_row(config, index, ctx)
        bg = json.loads(row["warp"])["background"]
        assert bg["kind"] == "image" and bg["digest"] in digests
        decoded = cv2.imdecode(np.frombuffer(row["image"]["bytes"], np.uint8),
                               cv2.IMREAD_COLOR_RGB)  # fmt: skip
        assert np.array_equal(decoded, remake_page(row, ctx).image)
