"""Band-by-band in-place filters (issue 22) give the bytes of the whole-frame OpenCV calls they
replace, for the steps that use them, on frames the stage owns and on callers' frames (which
must stay untouched)."""

from __future__ import annotations

import numpy as np
import pytest

from synth.opencv import cv2
from warping.bands import filter_in_place, gaussian_reach
from warping.kernels import defocus_kernel, motion_kernel
from warping.lighting import ShadingContext
from warping.optics import apply_bleed, apply_defocus, apply_lowres, apply_motion, apply_through
from warping.photometric import jpeg_bytes


def _page(seed: int, h: int = 613, w: int = 389) -> np.ndarray:
    """Paper with ink-like dark specks and strokes: blurs and erosions have edges to work on."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 235, np.uint8)
    img[rng.random((h, w)) < 0.08] = rng.integers(0, 120, 3, dtype=np.uint8)
    img[h // 3: h // 3 + 9, 10: w - 10] = (20, 30, 40)
    return img


def _both(fn, img: np.ndarray, rec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(result on the caller's frame, result on an owned copy); the caller's frame unchanged."""
    before = img.copy()
    theirs = fn(img, rec, ShadingContext(owned_frame=False))
    assert np.array_equal(img, before)
    mine = fn(img.copy(), rec, ShadingContext(owned_frame=True))
    return theirs, mine


@pytest.mark.parametrize("sigma", [0.3, 0.7, 1.9, 4.2, 7.0, 40.0])
def test_banded_gaussian_is_the_whole_frame_blur(sigma: float) -> None:
    img = _page(1)
    want = cv2.GaussianBlur(img, (0, 0), sigma)
    got = filter_in_place(img.copy(), lambda b: cv2.GaussianBlur(b, (0, 0), sigma),
                          gaussian_reach(sigma), rows=37)
    assert np.array_equal(got, want)


def test_filter_in_place_refuses_a_read_only_frame() -> None:
    img = _page(2)
    img.setflags(write=False)
    with pytest.raises(ValueError):
        filter_in_place(img, lambda b: b, 1)


@pytest.mark.parametrize(("radius", "width"), [(1, 389), (4, 389), (10, 389), (1, 2100),
                                                (2, 2100)])
def test_ink_bleed_bytes(radius: int, width: int) -> None:
    """Bands of 1 MiB: a 2100 px wide page is cut into four (the step runs band by band)."""
    img = _page(3, w=width)
    k = 2 * radius + 1
    soft = cv2.GaussianBlur(cv2.erode(img, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))),
                            (0, 0), radius * 0.7)
    soft = cv2.min(img, soft)
    want = cv2.addWeighted(img, 0.6, soft, 0.4, 0)
    for got in _both(apply_bleed, img, {"radius": radius, "strength": 0.4}):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("width", [389, 2100])
@pytest.mark.parametrize("offset", [[0.0, 0.0], [0.01, -0.008], [-0.009, 0.01], [0.4, 0.3],
                                    [0.02, -0.45], [0.0, 0.8], [0.0, -0.8]])
def test_bleed_through_bytes(offset: list[float], width: int) -> None:
    """2100 px wide: bands of 1 MiB (or |dy| + the blur's reach) run up or down the page."""
    img = _page(4, w=width)
    h, w = img.shape[:2]
    rec = {"opacity": 0.15, "blur": 2.1, "offset": offset}
    dx, dy = round(offset[0] * w), round(offset[1] * h)
    top, left = max(dy, 0), max(dx, 0)
    padded = cv2.copyMakeBorder(cv2.flip(img, 1), top, max(-dy, 0), left, max(-dx, 0),
                                cv2.BORDER_REFLECT)
    back = np.ascontiguousarray(padded[top - dy: top - dy + h, left - dx: left - dx + w])
    faint = cv2.addWeighted(img, 0.85, cv2.GaussianBlur(back, (0, 0), 2.1), 0.15, 0)
    want = cv2.min(img, faint)
    for got in _both(apply_through, img, rec):
        assert np.array_equal(got, want)


def test_motion_and_defocus_bytes() -> None:
    img = _page(5)
    kernel = motion_kernel(9, 30.0, 0.2)
    rec = {"kernel": 9, "angle": 30.0, "direction": 0.2}
    for got in _both(apply_motion, img, rec):
        assert np.array_equal(got, cv2.filter2D(img, -1, kernel / kernel.sum()))
    rec = {"radius": 5, "alias_blur": 0.3}
    for got in _both(apply_defocus, img, rec):
        assert np.array_equal(got, cv2.filter2D(img, -1, defocus_kernel(5, 0.3)))


@pytest.mark.parametrize("radius", [2, 3])
@pytest.mark.parametrize("alias_blur", [0.05, 0.2])
def test_flat_disk_defocus_is_the_kernel_filter(radius: int, alias_blur: float) -> None:
    """Radius 2 and 3 go through the box-and-taps sum (`optics._disk_mean`), on a caller's
    frame and banded in place: the bytes of `cv2.filter2D` with the disk kernel (borders
    included), on ink specks and on noise (more rounding ties)."""
    from warping.optics import _flat_disk

    kernel = defocus_kernel(radius, alias_blur)
    assert _flat_disk(kernel, radius)  # the fast path is the one taken
    rec = {"radius": radius, "alias_blur": alias_blur}
    noisy = np.random.default_rng(radius).integers(0, 256, (301, 67, 3), dtype=np.uint8)
    for img in (_page(7), noisy):
        want = cv2.filter2D(img, -1, kernel)
        for got in _both(apply_defocus, img, rec):
            diff = np.abs(got.astype(np.int16) - want)
            assert diff.max() <= 1 and (diff > 0).mean() < 1e-3, (diff.max(), (diff > 0).mean())
    assert not _flat_disk(defocus_kernel(3, 0.6), 3)  # a soft disk keeps the kernel filter


@pytest.mark.parametrize("scale", [0.9, 0.5, 0.21])
def test_low_resolution_bytes(scale: float) -> None:
    img = _page(6)
    h, w = img.shape[:2]
    sigma = (1.0 / scale - 1.0) / 2.0
    src = cv2.GaussianBlur(img, (0, 0), sigma) if sigma >= 0.3 else img
    small = cv2.resize(src, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_LINEAR)
    want = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    for got in _both(apply_lowres, img, {"scale": scale}):
        assert np.array_equal(got, want)


def test_jpeg_in_place_same_bytes_and_frame_restored() -> None:
    img = _page(7, 700, 301)
    want = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                        (int(cv2.IMWRITE_JPEG_QUALITY), 83))[1].tobytes()
    mine = img.copy()
    assert jpeg_bytes(mine, 83, in_place=True) == want
    assert np.array_equal(mine, img)
    assert jpeg_bytes(img, 83) == want


@pytest.mark.parametrize("width", [389, 2100])
def test_bleed_through_with_a_table_in_view_bytes(width: int) -> None:
    img = _page(8, w=width)
    h, w = img.shape[:2]
    alpha = np.full((h, w), 255, np.uint8)
    alpha[:, : w // 4] = 0  # the left quarter is table
    alpha[h - 50:, :] = 90
    rec = {"opacity": 0.2, "blur": 1.3, "offset": [0.006, -0.01]}
    table = cv2.compare(alpha, 128, cv2.CMP_LT)
    paper = cv2.max(img, cv2.cvtColor(table, cv2.COLOR_GRAY2RGB))
    dx, dy = round(0.006 * w), round(-0.01 * h)
    top, left = max(dy, 0), max(dx, 0)
    padded = cv2.copyMakeBorder(cv2.flip(paper, 1), top, max(-dy, 0), left, max(-dx, 0),
                                cv2.BORDER_REFLECT)
    back = np.ascontiguousarray(padded[top - dy: top - dy + h, left - dx: left - dx + w])
    faint = cv2.addWeighted(paper, 0.8, cv2.GaussianBlur(back, (0, 0), 1.3), 0.2, 0)
    want = cv2.min(paper, faint)
    cv2.copyTo(img, table, dst=want)
    for owned in (False, True):
        before = img.copy()
        got = apply_through(img.copy() if owned else img, rec,
                            ShadingContext(page_alpha=alpha, owned_frame=owned))
        assert np.array_equal(got, want)
        assert np.array_equal(img, before)


def test_a_kernel_opencv_convolves_by_dft_is_not_banded() -> None:
    """From 130 taps filter2D goes through a DFT whose rounding depends on the image size:
    banded, a 25 x 25 motion kernel changed ~1 % of the pixels; such kernels run whole."""
    img = _page(9, 900, 700)
    rec = {"kernel": 25, "angle": 33.0, "direction": 0.3}
    kernel = motion_kernel(25, 33.0, 0.3)
    for got in _both(apply_motion, img, rec):
        assert np.array_equal(got, cv2.filter2D(img, -1, kernel / kernel.sum()))
