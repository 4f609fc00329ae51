"""Issue 18, new degradations and region legibility: torn edges and holes, table clutter, ink
smudges, two-page spreads. Each hides or moves text, and labels say so: `visible` drops by the
share hidden (and `legible` with it), spread labels move with their pixels, every record
re-applies to the same bytes."""

from __future__ import annotations

import numpy as np
import pytest

import warping
from synth.page import Block, Line, Page, Region, Word, box_polygon
from synth.rng import sample_rng
from warping.clutter import _smear_mask, clutter_cover
from warping.hiding import covered_share
from warping.spread import join_pages
from warping.tear import cut_mask


def _page(w: int = 600, h: int = 400, ink: int = 25) -> Page:
    image = np.full((h, w, 3), 235, np.uint8)
    lines = []
    for k, y in enumerate(range(30, h - 40, 34)):
        image[y + 4 : y + 18, 30 : w - 30 : 7] = ink
        poly = box_polygon(30, y, w - 30, y + 22)
        words = [Word("ab", box_polygon(30, y, w / 2, y + 22), k),
                 Word("cd", box_polygon(w / 2, y, w - 30, y + 22), k)]  # fmt: skip
        lines.append(Line("ab cd", poly, poly, "en", "Latn", "ltr", size=22.0, words=words))
    return Page(image=image, language="en", script="Latn", direction="ltr", scene="document",
                lines=lines, blocks=[Block("paragraph", box_polygon(30, 30, w - 30, h - 40),
                                           list(range(len(lines))))])  # fmt: skip


def _profile(geometric: list[dict], photometric: list[dict]) -> dict:
    return warping.validate_profile({"geometric": geometric, "photometric": photometric})


def test_tears_and_holes_cut_the_paper_and_the_text_on_it() -> None:
    page = _page()
    prof = _profile([{"step": "tear", "count": [3, 3], "kind": ["hole", "corner"]},
                     {"step": "place", "canvas": [1.1, 1.1], "zoom": [1.0, 1.0],
                      "background": ["solid"], "tone": [0.1, 0.1]}], [])  # fmt: skip
    cut_any = False
    for seed in range(4):
        record = warping.sample_warp(prof, page.width, page.height, sample_rng(seed))
        out = warping.apply_warp(page, record)
        assert np.array_equal(out.image, warping.apply_warp(page, record).image)
        cut = cut_mask(record["geometric"][0], (page.height, page.width))
        hidden = covered_share([ln.polygon for ln in page.lines], cut)
        for ln, c in zip(out.lines, hidden, strict=True):
            assert ln.visible == pytest.approx(round(1.0 - c, 4), abs=1e-4)
            if c > 0.15:  # a line that lost that much cannot be read whole
                assert not ln.legible
            cut_any |= c > 0.02 and ln.legibility < 1.0
        # the dark table shows through: inside a cut the frame is dark, the paper was light
        place = record["geometric"][1]
        dx = place["canvas"][0] / 2 - page.width / 2 + place["offset"][0]
        dy = place["canvas"][1] / 2 - page.height / 2 + place["offset"][1]
        inner = cut_mask(record["geometric"][0], (page.height, page.width)) == 255
        ys, xs = np.nonzero(inner)
        inside = out.image[np.round(ys + dy).astype(int), np.round(xs + dx).astype(int)]
        assert inside.mean() < 100
    assert cut_any
    with pytest.raises(Exception, match="first geometric step"):
        warping.sample_warp(_profile([{"step": "rotate"}, {"step": "tear"}], []), 600, 400,
                            sample_rng(0))


def test_clutter_hides_what_it_covers_and_only_that() -> None:
    page = _page()
    prof = _profile([], [{"step": "clutter", "count": [3, 3], "reach": [0.3, 0.4]}])
    hidden_any = False
    for seed in range(4):
        record = warping.sample_warp(prof, page.width, page.height, sample_rng(seed))
        out = warping.apply_warp(page, record)
        assert np.array_equal(out.image, warping.apply_warp(page, record).image)
        cover = clutter_cover(record["photometric"][0], (page.height, page.width))
        share = covered_share([ln.polygon for ln in page.lines], cover)
        for ln, c in zip(out.lines, share, strict=True):
            assert ln.visible == pytest.approx(round(1.0 - c, 4), abs=1e-4)
            hidden_any |= c > 0.2 and not ln.legible
        far = np.ones(cover.shape, bool)  # far from every object and its shadow: untouched
        ys, xs = np.nonzero(cover)
        for x, y in zip(xs[::50], ys[::50], strict=True):
            far[max(0, y - 40) : y + 40, max(0, x - 40) : x + 40] = False
        assert np.array_equal(out.image[far], page.image[far])
        assert all(ln.visible == 1.0 for ln in page.lines)
    assert hidden_any


def _smear(record: dict, shape: tuple[int, int]) -> np.ndarray:
    """The records' smear strength (0-1) over the frame, the largest where smears overlap."""
    out = np.zeros(shape, np.float32)
    for rec in record["photometric"]:
        for sm in rec.get("smudges", []):
            mask, (x0, y0, x1, y1) = _smear_mask(sm, shape)
            if mask.size:
                np.maximum(out[y0:y1, x0:x1], mask, out=out[y0:y1, x0:x1])
    return out


def _words_page(w: int = 900, h: int = 700) -> Page:
    """`_page` with words 60 px wide (smears are ~60-150 px long: a word can lie under one)."""
    page = _page(w, h)
    for k, ln in enumerate(page.lines):
        y0, y1 = ln.polygon[0][1], ln.polygon[2][1]
        ln.words = [Word("ab", box_polygon(x, y0, x + 60, y1), k) for x in range(30, w - 89, 60)]
        ln.text = " ".join(wd.text for wd in ln.words)
    return page


def test_ink_smudges_hide_only_the_words_they_wipe_out() -> None:
    """A word under a heavy smear (strength past `SMEAR_WIPES`: its ink keeps too little
    contrast to read) is hidden and illegible, and so is its line; a word only lightly smeared
    (strength <= 0.7 everywhere on it, two thirds of dark print's contrast left) stays visible."""
    page = _words_page()
    heavy = light = 0
    for strength in (0.6, 0.95):
        prof = _profile([], [{"step": "ink_smudge", "count": [3, 3],
                              "strength": [strength, strength]}])  # fmt: skip
        for seed in range(3):
            record = warping.sample_warp(prof, page.width, page.height, sample_rng(seed))
            out = warping.apply_warp(page, record)
            assert np.array_equal(out.image, warping.apply_warp(page, record).image)
            smear = _smear(record, (page.height, page.width))
            for ln in out.lines:
                assert ln.legibility <= min(wd.legibility for wd in ln.words)
                for wd in ln.words:
                    (x0, y0), (x1, y1) = np.min(wd.polygon, axis=0), np.max(wd.polygon, axis=0)
                    under = smear[int(y0) : int(y1), int(x0) : int(x1)]
                    if under.mean() >= 0.75:
                        assert wd.visible < 0.9 and not wd.legible and not ln.legible
                        heavy += 1
                    elif under.mean() >= 0.3 and under.max() <= 0.7:
                        assert wd.visible == 1.0 and wd.legible
                        light += 1
    assert heavy >= 2 and light >= 2, (heavy, light)


def test_regions_get_legibility_and_lose_it_when_hidden() -> None:
    page = _page()
    page.image[300:340, 400:560] = (30, 40, 150)
    page.image[312:328, 410:550:6] = 235
    page.regions = [Region("stamp", box_polygon(400, 300, 560, 340), text="PAID")]
    clean = warping.warp_page(page, "clean", sample_rng(0))
    assert clean.regions[0].legible is True and clean.regions[0].legibility == 1.0
    blurred = warping.apply_warp(page, warping.sample_warp(
        _profile([], [{"step": "low_resolution", "scale": [0.1, 0.1]}]), 600, 400, sample_rng(0)))
    assert blurred.regions[0].legibility < 0.5 and blurred.regions[0].legible is False
    torn = dict(warping.sample_warp(_profile([{"step": "tear"}], []), 600, 400, sample_rng(0)))
    torn["geometric"] = [{**torn["geometric"][0], "cuts": [box_polygon(380, 290, 480, 350)]}]
    out = warping.apply_warp(page, torn)
    assert out.regions[0].visible == pytest.approx(0.5, abs=0.03)
    assert out.regions[0].legible is False and page.regions[0].legible is None


def test_two_page_spreads_move_both_pages_labels_with_their_pixels() -> None:
    left, right = _page(), _page(ink=60)
    right.lines = right.lines[:5]
    right.blocks[0].line_indices = list(range(5))
    joined = join_pages(left, right)
    assert joined.width == 1200 and len(joined.lines) == len(left.lines) + 5
    assert joined.lines[len(left.lines)].polygon[0][0] == pytest.approx(630)
    assert joined.blocks[1].line_indices == list(range(len(left.lines), len(left.lines) + 5))
    assert all(wd.line_index == i for i, ln in enumerate(joined.lines) for wd in ln.words)
    prof = _profile([{"step": "book", "angle_deg": [50.0, 50.0]}], [])
    single = warping.sample_warp(prof, 1200, 400, sample_rng(0))
    assert single["geometric"] == []  # a single page is never bent in its middle
    for seed in range(3):
        record = warping.sample_warp(prof, 1200, 400, sample_rng(seed), two_pages=True)
        assert record["geometric"][0]["step"] == "book" and record["two_pages"]
        out = warping.apply_warp(joined, record)
        assert np.array_equal(out.image, warping.apply_warp(joined, record).image)
        grey = out.image.mean(axis=2)
        for ln in out.lines:  # the line's ink is inside its moved outline
            x0, y0 = np.min(ln.polygon, axis=0).astype(int)
            x1, y1 = np.max(ln.polygon, axis=0).astype(int)
            assert grey[y0 + 5 : y1 - 5, x0 : x1].min() < 120
        spine = out.lines[0].polygon  # the lines bow towards the spine: shorter there
        assert np.max(spine, axis=0)[0] < 600.5


@pytest.mark.slow
def test_pipeline_spreads_are_replayable_from_the_row(tmp_path) -> None:
    """A document row with a spread: two rendered pages' lines, the same bytes twice, and the
    row's own records (render + render["facing"] + warp) make the same image again."""
    import json

    import cv2

    from pipelines.config import build_config, config_hash, resolve_config
    from pipelines.sample import make_row, remake_page, worker_context

    yaml = tmp_path / "book.yaml"
    yaml.write_text("geometric:\n  - {step: book, p: 1.0}\n  - {step: perspective, p: 1.0}\n"
                    "photometric:\n  - {step: crease_shading, p: 1.0}\n", "utf-8")
    config = resolve_config(build_config(None, {
        "languages": ["en"], "scenes": {"document": 1.0}, "profiles": {str(yaml): 1.0},
        "seed": 4, "num": 1, "image": {"format": "png"}}))
    ctx = worker_context(config, config_hash(config))
    row = make_row(config, 0, ctx)
    render = json.loads(row["render"])
    assert "facing" in render and json.loads(row["warp"])["two_pages"] is True
    from synth.render import apply_render

    left = apply_render({k: v for k, v in render.items() if k != "facing"}, ctx.render_ctx)
    assert row["width"] == 2 * left.width and len(row["lines"]) > len(left.lines)
    again = make_row(config, 0, ctx)
    assert again["image"]["bytes"] == row["image"]["bytes"] and again["lines"] == row["lines"]
    remade = remake_page(row, ctx)
    decoded = cv2.imdecode(np.frombuffer(row["image"]["bytes"], np.uint8), cv2.IMREAD_COLOR_RGB)
    assert np.array_equal(decoded, remade.image)
    assert [ln.text for ln in remade.lines] == [ln["text"] for ln in row["lines"]]


def test_covered_share_reads_only_labels_the_mask_meets() -> None:
    """Labels away from the cover get 0 without being rasterised; a label half under it gets
    half; one off the frame and a degenerate one get 0."""
    from synth.opencv import cv2

    mask = np.zeros((400, 300), np.uint8)
    cv2.rectangle(mask, (100, 0), (299, 99), 255, -1)  # the top right corner is covered
    polys = [
        [[0.0, 200.0], [50.0, 200.0], [50.0, 220.0], [0.0, 220.0]],  # clear
        [[60.0, 40.0], [140.0, 40.0], [140.0, 60.0], [60.0, 60.0]],  # half under the cover
        [[120.0, 10.0], [180.0, 10.0], [180.0, 30.0], [120.0, 30.0]],  # all under it
        [[-50.0, -50.0], [-10.0, -50.0], [-10.0, -10.0]],  # off the frame
        [[5.0, 5.0], [9.0, 5.0]],  # not a polygon
    ]
    share = covered_share(polys, mask)
    assert share[0] == 0.0 and share[3] == 0.0 and share[4] == 0.0
    assert 0.45 < share[1] < 0.55 and share[2] == 1.0
