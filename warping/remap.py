"""Pixels pulled through a `warping.grid.CoarseGrid`: only where the page can land, a band at a time.

The grid's bilinear function at full resolution is the pixel map (`cv2.resize` of the nodes, then
`cv2.remap`); labels invert the same function in `warping.grid`. This module keeps the pixel side
cheap: the output window outside which every pixel would sample beyond the page (so it stays 0),
and the remap of that window in bands of rows so a wild frame's float map is never whole.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from synth.opencv import cv2
from warping.grid import CoarseGrid


def page_window(
    grid: CoarseGrid, source_width: int, source_height: int
) -> tuple[int, int, int, int] | None:
    """Output pixel box (x0, y0, x1, y1) outside which every pixel samples only beyond the
    source page (so `remap` would give exactly 0 there); None when the page is out of frame.

    A cell whose four corners all lie more than a pixel past one page edge lies past it
    entirely (bilinear values are convex combinations of the corners).
    """
    return reach_box(grid, reach_cells(grid, source_width, source_height), 0, grid.height)


Reach = tuple[list[int], list[int]]
"""Per cell row of the frame's lattice plus one ring: the first and last column of a cell
some pixel of which samples the page (first > last in a row with none). Cell (r, c) spans
output pixels [(c - .5) s, (c + .5) s) x [(r - .5) s, (r + .5) s). Python lists: a band asks
for a handful of rows, where numpy's per-call cost was ~2 ms a wild page."""


def reach_cells(grid: CoarseGrid, source_width: int, source_height: int) -> Reach:
    """The cells of the frame's lattice some pixel of which can sample the page: a cell
    whose four corners all lie more than a pixel past one page edge lies past it entirely
    (bilinear values are convex combinations of the corners)."""
    rows, cols = grid.frame_nodes
    p = grid.pad
    src = grid.source[p - 1 : p + rows + 1, p - 1 : p + cols + 1]
    x, y = src[..., 0], src[..., 1]
    inside = ~(
        all_corners(x < -1.0)
        | all_corners(y < -1.0)
        | all_corners(x > source_width + 1.0)
        | all_corners(y > source_height + 1.0)
    )
    some = inside.any(axis=1)
    width = inside.shape[1]
    first = np.where(some, inside.argmax(axis=1), width)
    last = np.where(some, width - 1 - inside[:, ::-1].argmax(axis=1), -1)
    return first.tolist(), last.tolist()


def reach_box(
    grid: CoarseGrid, reach: Reach, top: int, bottom: int
) -> tuple[int, int, int, int] | None:
    """The pixel box of the reaching cells that meet output rows top..bottom (with one cell
    of margin above and below), clipped to those rows; None when none does."""
    s = grid.step
    first, last = reach
    r0 = max(0, top // s - 1)
    r1 = min(len(first), bottom // s + 3)
    rows = [r for r in range(r0, r1) if first[r] <= last[r]]
    if not rows:
        return None
    c_min, c_max = min(first[r0:r1]), max(last[r0:r1])
    x0 = max(0, math.floor((c_min - 0.5) * s) - 1)
    y0 = max(top, math.floor((rows[0] - 0.5) * s) - 1)
    x1 = min(grid.width, math.ceil((c_max + 0.5) * s) + 1)
    y1 = min(bottom, math.ceil((rows[-1] + 0.5) * s) + 1)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def all_corners(flags: np.ndarray) -> np.ndarray:
    return flags[:-1, :-1] & flags[:-1, 1:] & flags[1:, :-1] & flags[1:, 1:]


def window_map(
    grid: CoarseGrid, box: tuple[int, int, int, int], scratch: list[np.ndarray] | None = None
) -> np.ndarray:
    """Float remap coordinates (source - 0.5) for the output pixels of `box`: the bilinear
    grid at full resolution, upsampled from just the nodes that box needs (plus one node of
    margin each side, so `resize` interpolates and never clamps there).

    `scratch` (a list the caller keeps across calls, empty at first): the enlarged nodes go
    into its one buffer, grown when too small, instead of a fresh array per call. A band's map
    is ~5 MB, above a worker's 4 MiB mmap threshold, so each fresh one was a new mapping faulted
    in again (~700 page faults a wild row); the values are the same."""
    x0, y0, x1, y1 = box
    s, p = grid.step, grid.pad
    # node n sits at output (n - p + .5) s: pixel centre x + .5 lies in cell floor((x+.5)/s - .5) + p
    n0x, n0y = (x0 + 0.5) // s - 1 + p - 1, (y0 + 0.5) // s - 1 + p - 1
    n1x, n1y = (x1 - 0.5) // s + p + 2, (y1 - 0.5) // s + p + 2
    n0x, n0y, n1x, n1y = int(max(n0x, 0)), int(max(n0y, 0)), int(n1x), int(n1y)
    nodes = np.ascontiguousarray(grid.source[n0y : n1y + 1, n0x : n1x + 1] - 0.5, np.float32)
    rows, cols = nodes.shape[:2]
    dst = None
    if scratch is not None:
        size = rows * s * cols * s * 2
        if not scratch or scratch[0].size < size:
            scratch[:] = [np.empty(size, np.float32)]
        dst = scratch[0][:size].reshape(rows * s, cols * s, 2)
    full = cv2.resize(nodes, (cols * s, rows * s), dst=dst, interpolation=cv2.INTER_LINEAR)
    ox, oy = (n0x - p) * s, (n0y - p) * s  # output pixel of window pixel 0
    return full[y0 - oy : y1 - oy, x0 - ox : x1 - ox]


def remap_window(
    image: np.ndarray, grid: CoarseGrid
) -> tuple[tuple[int, int, int, int] | None, np.ndarray | None]:
    """`image` pulled through the grid, only inside the window the page can reach (every
    output pixel outside it would be 0): (box, pixels of the box), or (None, None).

    Float maps, not fixed-point: `cv2.remap` is faster with them here than with CV_16SC2 + a
    table, and lands within 0.5 grey levels of exact bilinear sampling (fixed-point: up to
    4.7). Only the window is remapped: the page covers about half of a wild frame.
    """
    h, w = image.shape[:2]
    reach = reach_cells(grid, w, h)
    box = reach_box(grid, reach, 0, grid.height)
    if box is None:
        return None, None
    x0, y0, x1, y1 = box
    pixels = np.zeros((y1 - y0, x1 - x0, *image.shape[2:]), image.dtype)
    for top, bottom, left, band in remap_bands(image, grid, box, reach):
        pixels[top - y0 : bottom - y0, left - x0 : left - x0 + band.shape[1]] = band
    return box, pixels


def remap_bands(
    image: np.ndarray, grid: CoarseGrid, box: tuple[int, int, int, int],
    reach: Reach | None = None,
) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """`remap_window`'s pixels of `box` one band of rows at a time: (top, bottom, left,
    pixels of rows top..bottom from column left), so a caller can use each band and let it go
    (the whole window of a wild frame is ~28 MB of RGBA).

    With `reach` (`reach_cells`), each band covers only the columns its own rows of the page
    can reach (every pixel beside them is 0, as outside the box; a band reaching none has no
    columns): a tilted page's box holds wide empty corners, ~11 % of the box's pixels on the
    wild bench pages with 256-row bands. A pixel's value depends on its own map entry only,
    and a band's map equals those pixels' entries of the whole window's (`window_map`)."""
    x0, y0, x1, y1 = box
    band = REMAP_BAND_ROWS if grid.step & (grid.step - 1) == 0 else y1 - y0
    scratch: list[np.ndarray] = []  # one map buffer for every band
    for top in range(y0, y1, band):
        bottom = min(y1, top + band)
        left, right = x0, x1
        if reach is not None and band < y1 - y0:
            cols = reach_box(grid, reach, top, bottom)
            left, right = (x0, x0) if cols is None else (max(x0, cols[0]), min(x1, cols[2]))
        if left >= right:
            yield top, bottom, left, np.zeros((bottom - top, 0, *image.shape[2:]), image.dtype)
            continue
        yield top, bottom, left, cv2.remap(
            image,
            window_map(grid, (left, top, right, bottom), scratch),
            None,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )


REMAP_BAND_ROWS = 128
"""Output rows remapped at once. The float map of a whole 6 MP wild frame is 48 MB (two
float32 per pixel, more with the node margin) beside the 24 MB RGBA result; a band's is ~4 MB.
A pixel's value depends on its own map entry only, and a band's map equals the same rows of
the whole window's map (`window_map` upsamples from the nodes around the box), so the pixels
are the same. That equality holds when the grid step is a power of two (the default 8): OpenCV
places an enlarged row at (r + 0.5) / step, exact in binary only then; with other steps a band's
map differed from the whole one's in the last bits, so those grids are remapped at once.
Narrower bands follow a tilted page's columns more closely but cost more per band than they
save: warp_image on 24 wild bench pages, same process, per-case minimum of 5: 64 rows 0.99x,
128 rows 0.93x, 256 rows 0.91x of the untrimmed banding (pixels off the page are cheap to
remap, so trimming them saves less than their share of the area). 256 -> 128 (issue 22): the
band's map buffer (~7.4 MB at 3200 px wide, with its node margin) and RGBA band (3.3 MB) sat
under the warp's peak, which on most 6-7 MP wild frames is now this loop; 14 captured wild frames
of 5.5-7 MP, geometry only, one process, 6 interleaved rounds: 115.4 vs 113.3 CPU ms a frame
(within the noise), VmHWM above the RSS before 52.7 -> 49.2 MiB mean; same bytes."""


def remap_page(image: np.ndarray, grid: CoarseGrid) -> np.ndarray:
    """`image` pulled through the grid into the whole output frame (0 beyond the page)."""
    out = np.zeros((grid.height, grid.width, *image.shape[2:]), image.dtype)
    box, pixels = remap_window(image, grid)
    if box is not None:
        x0, y0, x1, y1 = box
        out[y0:y1, x0:x1] = pixels
    return out
