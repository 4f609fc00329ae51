"""Page-sized filters without a second page-sized buffer (issue 22: a worker's peak RSS).

A 7 MP wild frame is 21 MB; every step that filters it into a new frame holds two (input and
output) and pays the page faults of a fresh mapping for the second. When the
photometric stage owns the frame (`ShadingContext.owned_frame`), a filter whose output pixel
reads only rows within `reach` of it can be run band by band and written back into its own
input: each band is computed from the untouched rows around it, and written only after the
next band has read them. Bands span the full width and keep the image's real top and bottom
edges, so OpenCV's border rule applies exactly where it did: the bytes are those of the
whole-frame call (tests/test_warping_bands.py checks each use).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

BAND_BYTES = 2**20  # per band buffer: below glibc's 4 MiB mmap threshold (worker_setup)
MIN_BAND_ROWS = 16


def band_rows(row_bytes: int, reach: int = 0) -> int:
    """Rows per band so that a band's buffers are ~`BAND_BYTES`.

    1 MiB, from the glibc heap, where a freed band is the next band's memory. Bands above
    glibc's mmap threshold went back to the system when freed (so none stayed resident between
    long-lived heap objects), but every band was then a fresh mapping the kernel faulted in
    again, which cost more than the filters saved (commit be17fa0 has the figures).
    The bands are freed before the step returns."""
    return max(MIN_BAND_ROWS, int(reach), -(-BAND_BYTES // max(1, int(row_bytes))))


def gaussian_reach(sigma: float) -> int:
    """Rows a `cv2.GaussianBlur(img, (0, 0), sigma)` of a uint8 image reads on each side: its
    kernel has cvRound(6 sigma + 1) | 1 taps; one row more is harmless (only exactness needs
    the margin to be at least the reach)."""
    return int(math.ceil(3.0 * float(sigma))) + 1


def filter_in_place(img: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], reach: int,
                    rows: int | None = None) -> np.ndarray:
    """`img[:] = fn(img)` for a filter `fn` whose output row y reads input rows y - reach ..
    y + reach only (same shape and dtype out). `img` must be writable and C-contiguous (a
    frame the caller owns); returns it."""
    if not (img.flags.writeable and img.flags.c_contiguous):
        raise ValueError("filter_in_place needs a writable C-contiguous frame")
    height = img.shape[0]
    # a pending band must not be read by the next one: at least `reach` rows
    rows = band_rows(img.strides[0], reach) if rows is None else max(int(rows), int(reach), 1)
    pending: tuple[int, np.ndarray] | None = None
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        lo, hi = max(0, top - reach), min(height, bottom + reach)
        out = fn(img[lo:hi])[top - lo: bottom - lo]
        if pending is not None:
            img[pending[0]: pending[0] + len(pending[1])] = pending[1]
        pending = (top, out)
    if pending is not None:
        img[pending[0]: pending[0] + len(pending[1])] = pending[1]
    return img


CV_CPU_SSE3 = 4  # OpenCV's feature id (cvdef.h); the Python module has no name for it


def direct_filter(kernel: np.ndarray) -> bool:
    """Whether `cv2.filter2D` with this kernel (uint8 -> uint8, float32 -> float32) convolves
    directly. From 130 taps (50 without SSE3) OpenCV goes through a DFT whose rounding depends
    on the image size, so a band would not give the whole frame's bytes: such kernels are
    applied to the whole frame (found: a 25 x 25 motion kernel changed 14k pixels banded)."""
    from synth.opencv import cv2

    limit = 130 if cv2.checkHardwareSupport(CV_CPU_SSE3) else 50
    return int(kernel.shape[0]) * int(kernel.shape[1]) < limit


def reflect_index(index: np.ndarray, size: int) -> np.ndarray:
    """OpenCV's BORDER_REFLECT (fedcba|abcdefgh|hgfedcb) of indices at most `size` outside."""
    index = np.where(index < 0, -index - 1, index)
    return np.where(index >= size, 2 * size - index - 1, index)
