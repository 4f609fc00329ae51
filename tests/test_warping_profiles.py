"""Profiles: built-ins load, user YAML works, mistakes stop with one line naming the culprit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import warping
from pipelines.errors import PolyglyphError
from synth.rng import sample_rng
from warping.photometric import APPLY, STEPS, ShadingContext, apply_photometric, sample_photometric


@pytest.mark.parametrize("name", warping.PROFILES)
def test_builtin_profiles_load(name: str) -> None:
    prof = warping.load_profile(name)
    assert prof["name"] == name
    for step in prof["geometric"] + prof["photometric"]:
        assert 0.0 <= step["p"] <= 1.0


def test_builtin_profile_is_parsed_once_but_each_caller_owns_its_copy() -> None:
    first = warping.load_profile("wild")
    first["photometric"][0]["p"] = 0.0
    first["geometric"].clear()
    second = warping.load_profile("wild")
    assert second["geometric"] and second["photometric"][0]["p"] > 0.0
    assert second is not warping.load_profile("wild")


def test_wild_has_folds_curl_shadows_backlight() -> None:
    prof = warping.load_profile("wild")
    names = {s["step"] for s in prof["geometric"] + prof["photometric"]}
    assert {"fold", "curl", "shadow", "backlight", "crease_shading"} <= names


def test_user_profile_from_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "dewarp: true\ngeometric:\n  - {step: fold, p: 1, count: [2, 2]}\n"
        "photometric:\n  - {step: jpeg, quality: 50}\n"
    )
    prof = warping.load_profile(str(path))
    assert prof["name"] == "mine" and prof["dewarp"] is True
    record = warping.sample_warp(prof, 300, 200, sample_rng(0))
    assert len(record["geometric"][0]["creases"]) == 2
    assert record["photometric"] == [{"step": "jpeg", "quality": 50}]
    assert record["dewarp"] is True


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("geometric:\n  - {step: foldd}\n", "'foldd'"),
        ("geometric:\n  - {step: fold, strenght: [1, 2]}\n", "'strenght'"),
        ("geometric:\n  - {step: fold, shift: [0.3, 0.1]}\n", "'shift'"),
        ("geometric:\n  - {step: fold, p: 1.5}\n", "'p'"),
        ("geometric:\n  - {step: fold, count: [1.5, 2]}\n", "'count'"),
        ("photometric:\n  - {step: lighting_gradient, kind: [spiral]}\n", "'kind'"),
        ("photometric:\n  - {step: fold}\n", "'fold'"),
        ("geometric:\n  - {step: place, images: [/nonexistent.png]}\n", "'images'"),
        ("geometric: {step: fold}\n", "'geometric'"),
        ("photometrics: []\n", "'photometrics'"),
        ("geometric: [\n", "not valid YAML"),
        ("dewarp: 3\n", "dewarp"),
    ],
)
def test_bad_profiles_fail_with_one_line(tmp_path: Path, text: str, culprit: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PolyglyphError) as info:
        warping.load_profile(str(path))
    message = str(info.value)
    assert culprit in message and "\n" not in message and "bad.yaml" in message


def test_unknown_profile_name() -> None:
    with pytest.raises(PolyglyphError, match="'nope'"):
        warping.load_profile("nope")


def test_every_photometric_step_is_deterministic_and_changes_pixels() -> None:
    rng = np.random.default_rng(3)
    image = np.full((240, 320, 3), 235, np.uint8)
    image[60:180:12, 40:280] = 20  # ink lines
    image += rng.integers(0, 10, image.shape, dtype=np.uint8)
    assert set(APPLY) == set(STEPS)
    for name in STEPS:
        cfg = {"step": name, "p": 1.0, **STEPS[name].defaults}
        records = sample_photometric([cfg], 320, 240, sample_rng(9))
        assert records and records[0]["step"] == name
        a = apply_photometric(image, records, ShadingContext())
        b = apply_photometric(image, records, ShadingContext())
        assert a.dtype == np.uint8 and a.shape == image.shape
        assert a.tobytes() == b.tobytes(), name
        if name not in ("crease_shading", "drop_shadow"):  # need geometry; a flat page has none
            assert a.tobytes() != image.tobytes(), name


def test_crease_shading_darkens_along_the_fold() -> None:
    image = np.full((400, 300, 3), 230, np.uint8)
    from synth.page import Page

    page = Page(image=image, language="en", script="Latn", direction="ltr", scene="document")
    profile = {
        "geometric": [{"step": "fold", "count": [1, 1], "diagonal": [0, 0], "tilt_deg": [0, 0]}],
        "photometric": [{"step": "crease_shading", "dark": [0.3, 0.3], "tilt": [0, 0]}],
    }
    record = warping.sample_warp(profile, 300, 400, sample_rng(2))
    crease = record["geometric"][0]["creases"][0]
    out = warping.apply_warp(page, record).image.astype(int)
    x, y = crease["point"]
    if abs(crease["angle_deg"] - 90) < 1:  # vertical crease: compare a column on it with one away
        on, off = out[:, int(x)].mean(), out[:, int(x) + 60 if x < 200 else int(x) - 60].mean()
    else:
        on, off = out[int(y)].mean(), out[int(y) + 60 if y < 300 else int(y) - 60].mean()
    assert on < off - 20


def test_place_on_a_user_background_image(tmp_path: Path) -> None:
    from PIL import Image

    from synth.page import Page

    backdrop = tmp_path / "desk.png"
    Image.fromarray(np.full((50, 80, 3), (10, 200, 30), np.uint8)).save(backdrop)
    path = tmp_path / "desk.yaml"
    path.write_text(
        "geometric:\n  - {step: place, canvas: [1.5, 1.5], zoom: [0.5, 0.5],"
        f" background: [image], images: ['{backdrop}']}}\nphotometric: []\n"
    )
    record = warping.sample_warp(str(path), 200, 100, sample_rng(0))
    assert record["background"]["kind"] == "image" and record["background"]["path"] == str(backdrop)
    page = Page(image=np.full((100, 200, 3), 250, np.uint8), language="en", script="Latn",
                direction="ltr", scene="document")  # fmt: skip
    out = warping.apply_warp(page, record).image
    assert out.shape == (150, 300, 3)
    assert tuple(out[2, 2]) == (10, 200, 30)  # corner: the backdrop
    ox, oy = record["geometric"][0]["offset"]
    assert tuple(out[int(75 + oy), int(150 + ox)]) == (250, 250, 250)  # page centre: the page


def test_photometric_steps_leave_labels_alone() -> None:
    from synth.page import Line, Page, box_polygon

    poly = box_polygon(10, 10, 120, 30)
    page = Page(
        image=np.full((200, 300, 3), 240, np.uint8), language="en", script="Latn",
        direction="ltr", scene="document",
        lines=[Line("x", poly, poly, "en", "Latn", "ltr")],
    )  # fmt: skip
    photo_only = {"geometric": [], "photometric": warping.load_profile("wild")["photometric"]}
    warped = warping.warp_page(page, photo_only, sample_rng(5))
    assert warped.warp["photometric"] and not warped.warp["geometric"]
    assert warped.image.tobytes() != page.image.tobytes()
    assert warped.lines[0].polygon == poly and warped.lines[0].visible == 1.0


def test_step_probability_is_obeyed() -> None:
    never = {"geometric": [{"step": "fold", "p": 0}], "photometric": [{"step": "jpeg", "p": 0.0}]}
    always = {"geometric": [{"step": "fold", "p": 1}], "photometric": [{"step": "jpeg", "p": 1}]}
    for seed in range(20):
        assert warping.sample_warp(never, 100, 100, sample_rng(seed))["geometric"] == []
        rec = warping.sample_warp(always, 100, 100, sample_rng(seed))
        assert [s["step"] for s in rec["geometric"] + rec["photometric"]] == ["fold", "jpeg"]
    half = {"geometric": [{"step": "rotate", "p": 0.5}], "photometric": []}
    drawn = sum(
        bool(warping.sample_warp(half, 100, 100, sample_rng(s))["geometric"]) for s in range(200)
    )
    assert 60 < drawn < 140


def test_drop_shadow_falls_on_the_table_not_the_page() -> None:
    from synth.page import Page

    page = Page(image=np.full((400, 300, 3), 245, np.uint8), language="en", script="Latn",
                direction="ltr", scene="document")  # fmt: skip
    profile = {
        "geometric": [
            {"step": "place", "canvas": [1.4, 1.4], "zoom": [0.7, 0.7], "background": ["solid"]}
        ],
        "photometric": [{"step": "drop_shadow", "offset": [0.03, 0.03], "intensity": [0.6, 0.6]}],
    }
    shadowed = warping.warp_page(page, profile, sample_rng(0))
    plain = warping.apply_warp(page, warping.geometry_only(shadowed.warp)).image.astype(int)
    darker = plain - shadowed.image.astype(int)
    on_page = (plain == 245).all(axis=2)
    assert darker[on_page].max() <= 1
    assert (darker[~on_page] > 20).sum() > 1000
