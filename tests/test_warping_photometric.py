"""Photometric stage: composed light runs agree with the steps applied one by one, sides stay
apart, and the record alone decides the pixels."""

from __future__ import annotations

import numpy as np

from synth.rng import sample_rng
from warping.lighting import ShadingContext
from warping.photometric import STEPS, apply_photometric, sample_photometric
from warping.steps import PHOTOMETRIC


def _page(h: int = 240, w: int = 320) -> np.ndarray:
    rng = np.random.default_rng(3)
    image = np.full((h, w, 3), 128, np.uint8)
    image[40:200:12, 30:290] = 40  # ink lines
    image[:, :, 0] += rng.integers(0, 20, (h, w), dtype=np.uint8)
    return image


def _records(names: list[str], w: int, h: int, seed: int) -> list[dict]:
    steps = [{"step": n, "p": 1.0, **STEPS[n].defaults} for n in names]
    records = sample_photometric(steps, w, h, sample_rng(seed))
    assert [r["step"] for r in records] == names
    return records


def test_a_composed_light_run_matches_the_steps_one_by_one() -> None:
    image = _page()
    names = ["shadow", "backlight", "lighting_gradient", "color_cast", "glare"]
    for seed in range(4):
        records = _records(names, 320, 240, seed)
        one_by_one = image
        for rec in records:
            one_by_one = apply_photometric(one_by_one, [rec])
        composed = apply_photometric(image, records)
        diff = np.abs(composed.astype(int) - one_by_one.astype(int))
        # mid-grey page: nothing saturates, so only per-step rounding separates the two
        assert diff.max() <= 3, (seed, diff.max())
        assert diff.mean() < 0.8, (seed, diff.mean())
        assert np.abs(composed.astype(int) - image.astype(int)).mean() > 5  # light did something


def test_order_of_lift_and_gain_is_kept() -> None:
    """A screen then a darkening is not a darkening then a screen."""
    image = _page()
    glare, cast = _records(["glare", "color_cast"], 320, 240, 1)
    glare["strength"] = 0.9
    cast["gains"] = [0.5, 1.0, 0.5]
    first = apply_photometric(image, [glare, cast]).astype(int)
    second = apply_photometric(image, [cast, glare]).astype(int)
    assert np.abs(first - second).max() > 20


def test_drop_shadow_darkens_the_table_only() -> None:
    image = np.full((200, 300, 3), 200, np.uint8)
    alpha = np.zeros((200, 300), np.uint8)
    alpha[40:160, 60:240] = 255
    ctx = ShadingContext(page_alpha=alpha)
    rec = _records(["drop_shadow"], 300, 200, 0)[0]
    rec.update(offset=[0.03, 0.03], intensity=0.6, softness=0.01)
    out = apply_photometric(image, [rec], ctx)
    assert (out[alpha == 255] == 200).all()
    assert out[165, 150:200].mean() < 190  # just below the page, the shadow side
    assert out[5, 5].tolist() == [200, 200, 200]  # far corner untouched
    again = apply_photometric(image, [rec], ctx)
    assert out.tobytes() == again.tobytes()


def _noise(image: np.ndarray, records: list[dict]) -> np.ndarray:
    return apply_photometric(image, records).astype(np.float64) - image


def test_read_noise_has_the_recorded_sigma_and_no_structure() -> None:
    flat = np.full((300, 400, 3), 128, np.uint8)
    for sigma in (2.0, 6.0, 10.0):
        noise = _noise(flat, [{"step": "gauss_noise", "sigma": sigma, "seed": 11}])
        assert abs(noise.mean()) < 0.05
        assert abs(noise.std() / sigma - 1) < 0.03, (sigma, noise.std())
        # independent across channels and neighbours (a tiled or shared draw would correlate)
        flat_r, flat_g = noise[..., 0].ravel(), noise[..., 1].ravel()
        assert abs(np.corrcoef(flat_r, flat_g)[0, 1]) < 0.02
        assert abs(np.corrcoef(noise[:, :-1, 0].ravel(), noise[:, 1:, 0].ravel())[0, 1]) < 0.02
        assert abs(np.corrcoef(noise[:-1, :, 2].ravel(), noise[1:, :, 2].ravel())[0, 1]) < 0.02


def test_shot_noise_follows_the_signal_and_variances_add() -> None:
    from warping.noise import shot_variance

    image = np.zeros((200, 400, 3), np.uint8)
    image[:100] = 40
    image[100:] = 200
    shot = {"step": "poisson_noise", "scale": 0.004, "seed": 5}
    read = {"step": "gauss_noise", "sigma": 4.0, "seed": 6}
    noise = _noise(image, [shot])
    dark, bright = noise[:100].std(), noise[100:].std()
    var = shot_variance(0.004)
    assert abs(dark / np.sqrt(var[40]) - 1) < 0.05 and abs(bright / np.sqrt(var[200]) - 1) < 0.05
    # sqrt(signal) in linear light; through the gamma curve dark values spread more
    assert dark > bright * 1.1
    both = _noise(image, [shot, read])
    assert abs(both[100:].std() / np.sqrt(var[200] + 16.0) - 1) < 0.05
    again = apply_photometric(image, [shot, read])
    assert again.tobytes() == apply_photometric(image, [shot, read]).tobytes()
    other_seed = apply_photometric(image, [shot, {**read, "seed": 7}])
    assert other_seed.tobytes() != again.tobytes()


def test_optics_steps_keep_their_meaning() -> None:
    """Low resolution loses detail in proportion to its scale; show-through only darkens and
    moves with its offset; defocus keeps the mean (a normalised kernel)."""
    image = _page()
    detail = np.abs(np.diff(image.astype(int), axis=1)).mean()
    lowres = [
        np.abs(np.diff(apply_photometric(image, [{"step": "low_resolution", "scale": s}])
                       .astype(int), axis=1)).mean()
        for s in (0.85, 0.6, 0.45)
    ]  # fmt: skip
    assert detail > lowres[0] > lowres[1] > lowres[2]
    through = {"step": "bleed_through", "opacity": 0.2, "blur": 1.0, "offset": [0.0, 0.0]}
    out = apply_photometric(image, [through])
    assert (out <= image).all() and out.tobytes() != image.tobytes()
    moved = apply_photometric(image, [{**through, "offset": [0.05, 0.0]}])
    assert moved.tobytes() != out.tobytes()
    blurred = apply_photometric(image, [{"step": "defocus", "radius": 3, "alias_blur": 0.1}])
    assert abs(blurred.mean() - image.mean()) < 0.5
    assert np.abs(np.diff(blurred.astype(int), axis=1)).mean() < detail * 0.8


def test_jpeg_codes_the_real_colours() -> None:
    """Stripes of equal luma but different chroma: JPEG keeps luma at full resolution and
    subsamples chroma, so they merge into one flat colour. Fed RGB as if it were BGR, the codec
    would see two different lumas and keep the stripes."""
    image = np.zeros((64, 64, 3), np.uint8)
    image[:, 0::2] = (100, 128, 100)
    image[:, 1::2] = (62, 128, 200)
    out = apply_photometric(image, [{"step": "jpeg", "quality": 95}]).astype(float)
    luma = out[8:56, 8:56] @ np.array([0.299, 0.587, 0.114])
    assert np.abs(np.diff(luma, axis=1)).mean() < 3
    assert abs(luma.mean() - 116.4) < 3


def test_composed_run_on_a_folded_placed_page_matches_one_by_one() -> None:
    """With real geometry (creases, a table around the page): paper-only and table-only terms
    composed with the rest agree with the steps applied one at a time."""
    import warping
    from synth.page import Page
    from warping import geometric

    w, h = 300, 400
    page = Page(image=_page(h, w), language="en", script="Latn", direction="ltr",
                scene="document")  # fmt: skip
    names = ["drop_shadow", "crease_shading", "shadow", "backlight", "lighting_gradient",
             "glare", "color_cast"]  # fmt: skip
    profile = {
        "geometric": [
            {"step": "fold", "count": [2, 2]},
            {"step": "place", "canvas": [1.2, 1.2], "zoom": [0.8, 0.8]},
        ],
        "photometric": [{"step": n, "p": 1.0} for n in names],
    }
    record = warping.sample_warp(profile, w, h, sample_rng(4))
    geo = {k: record[k] for k in ("output_size", "background")} | {"steps": record["geometric"]}
    coarse, fields = geometric.build(geo, record["grid_step"])
    image, alpha = geometric.warp_image(page.image, coarse, geo["background"])
    ctx = ShadingContext(coarse, tuple(fields.creases), fields.slope, alpha)
    records = record["photometric"]
    assert [r["step"] for r in records] == names and fields.creases
    one_by_one = image
    for rec in records:
        one_by_one = apply_photometric(one_by_one, [rec], ctx)
    composed = apply_photometric(image, records, ctx)
    diff = np.abs(composed.astype(int) - one_by_one.astype(int))
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 4, (diff.mean(), diff.max())
    assert np.abs(composed.astype(int) - image.astype(int)).mean() > 5


def test_every_drawn_lighting_gradient_darkens_something_and_linear_ramps_turn():
    """A gradient whose field is all ones (a clipped-away sign) would be a no-op step in the
    record; the linear ramp's angle must cover all directions, not only ~left to right."""
    from synth.rng import sample_rng
    from warping.lighting import lighting_term, sample_lighting
    from warping.photometric import ShadingContext

    ranges = {"kind": ["linear", "gaussian", "corner"], "intensity": [0.05, 0.3]}
    angles = []
    for seed in range(120):
        rec = sample_lighting(ranges, sample_rng(seed), 640, 480)
        gain = lighting_term(rec, ShadingContext(), 640, 480).gain
        assert float(gain.min()) < 0.99, rec
        if rec["kind"] == "linear":
            angles.append(rec["angle"])
    assert angles and max(angles) - min(angles) > 180.0


def test_each_photometric_step_draws_from_its_own_stream() -> None:
    """Narrowing one step's ranges, skipping it, or appending a step leaves every other step's
    record as it was; another seed draws other records."""
    import warping

    steps = [{**s, "p": 1.0} for s in warping.load_profile("wild")["photometric"]]
    first = sample_photometric(steps, 800, 600, sample_rng(4))
    assert [r["step"] for r in first] == [s["step"] for s in steps]
    assert sample_photometric(steps, 800, 600, sample_rng(4)) == first
    k = next(i for i, s in enumerate(steps) if s["step"] == "gauss_noise")
    narrowed = [*steps[:k], {**steps[k], "sigma": [20.0, 21.0]}, *steps[k + 1 :]]
    second = sample_photometric(narrowed, 800, 600, sample_rng(4))
    assert 20.0 <= second[k]["sigma"] <= 21.0 and second[k] != first[k]
    assert second[:k] + second[k + 1 :] == first[:k] + first[k + 1 :]
    skipped = [*steps[:k], {**steps[k], "p": 0.0}, *steps[k + 1 :]]  # draws its coin only
    assert sample_photometric(skipped, 800, 600, sample_rng(4)) == first[:k] + first[k + 1 :]
    appended = sample_photometric([*steps, dict(steps[0])], 800, 600, sample_rng(4))
    assert appended[:-1] == first and appended[-1] != first[0]
    other = sample_photometric(steps, 800, 600, sample_rng(5))
    assert sum(a != b for a, b in zip(other, first, strict=True)) >= len(first) - 1


def test_keep_jpeg_bytes_decode_to_the_image_and_decode_false_skips_only_the_decode() -> None:
    import cv2

    from warping.photometric import apply_photometric_keep_jpeg

    image = _page()
    records = [
        {"step": "gauss_noise", "sigma": 4.0, "seed": 3},
        {"step": "jpeg", "quality": 60},
    ]
    decoded, data = apply_photometric_keep_jpeg(image, records)
    assert data is not None and data[:2] == b"\xff\xd8"
    assert np.array_equal(
        cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR_RGB), decoded
    )
    assert np.array_equal(decoded, apply_photometric(image, records))
    encoded, same = apply_photometric_keep_jpeg(image, records, decode=False)
    assert same == data
    assert np.array_equal(encoded, apply_photometric(image, records[:1]))
    assert not np.array_equal(encoded, decoded)
    no_jpeg, none = apply_photometric_keep_jpeg(image, records[:1], decode=False)
    assert none is None and np.array_equal(no_jpeg, encoded)
    # keep=False: the same bytes, a stand-in for the pixels; the frame the noise made is the
    # stage's own and is encoded in place without its swap back, a caller's never is
    before = image.copy()
    for given in (records, records[-1:], [{"step": "jpeg", "quality": 60}]):
        kept_only, same_bytes = apply_photometric_keep_jpeg(image, given, decode=False, keep=False)
        _, want = apply_photometric_keep_jpeg(image, given, decode=False)
        assert same_bytes == want and kept_only.shape == image.shape
        assert kept_only.strides == (0, 0, 0)
    assert np.array_equal(image, before)
    handed = [image.copy()]
    _, from_handed = apply_photometric_keep_jpeg(handed, records[-1:], decode=False, keep=False)
    assert from_handed == apply_photometric_keep_jpeg(image, records[-1:], decode=False)[1]


def test_steps_draw_into_a_handed_over_frame_and_never_into_a_callers() -> None:
    """Clutter, smudges, fingers, the light pass, noise and low light draw into the frame
    when the stage owns it (handed over as a one-item list, or made by the step before) and
    leave a caller's array alone: the caller's pixels stay, and both ways give the same
    bytes."""
    image = _page(480, 640)
    for seed, names in enumerate([("clutter", "ink_smudge", "fingers")] * 3 + [
            ("shadow", "color_cast", "glare"), ("gauss_noise", "poisson_noise"), ("low_light",)]):
        steps = [{"step": n, "p": 1.0, **PHOTOMETRIC[n].defaults} for n in names]
        records = sample_photometric(steps, 640, 480, sample_rng(seed))
        assert len(records) == len(names)
        before = image.copy()
        kept = apply_photometric(image, records)
        assert np.array_equal(image, before), seed  # the caller's array is untouched
        assert not np.array_equal(kept, image), seed  # the steps did draw
        frame = image.copy()
        handed = apply_photometric([frame], records)
        assert np.array_equal(handed, kept), seed
        assert handed is frame  # drawn in place: no frame-sized copy per step


def test_a_step_that_returns_a_view_of_the_callers_array_does_not_hand_it_over() -> None:
    """A plug-in step may return (a view of) its input: the caller's pixels stay the
    caller's, and the clutter after it copies before it draws."""
    from warping.steps import FunctionStep, register, unregister

    register(FunctionStep("view_step", {}, lambda r, rng, w, h: {},
                          lambda img, rec, ctx: img[:, :]))  # fmt: skip
    try:
        image = _page(480, 640)
        before = image.copy()
        clutter = sample_photometric([{"step": "clutter", "p": 1.0,
                                       **PHOTOMETRIC["clutter"].defaults}], 640, 480,
                                     sample_rng(1))  # fmt: skip
        out = apply_photometric(image, [{"step": "view_step"}, *clutter])
        assert np.array_equal(image, before)
        assert not np.array_equal(out, before)
    finally:
        unregister("view_step")
