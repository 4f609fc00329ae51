"""polyglyph warping: move pixels and every label with one map, then degrade the pixels.

    record = sample_warp(profile, width, height, rng)   # plain JSON: every drawn parameter
    page = apply_warp(page, record)                      # same record -> byte-identical image

The geometric stage composes all steps into one coarse backward grid (pixels via `cv2.remap`
of its bilinear upsampling, labels via the exact numerical inverse of the same grid); the
photometric stage changes pixels only.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from synth.opencv import cv2
from synth.page import Page
from synth.rng import child_rng
from warping import clutter  # noqa: F401  (registers clutter and ink_smudge)
from warping.contrast import Contrasts
from warping.framing import page_text_px
from warping.geometric import (
    LABEL_TOLERANCE,
    apply_geometric,
    label_map,
    paper_mask,
    released,
    sample_geometric,
)
from warping.glyphs import least_visible_stretch
from warping.hiding import cover_of, hide
from warping.legibility import assess_page
from warping.occlusion import fingers_cover
from warping.photometric import (
    ShadingContext,
    apply_photometric_keep_jpeg,
    sample_photometric,
)
from warping.profiles import PROFILES, load_profile, validate_profile

__all__ = [
    "PROFILES",
    "apply_warp",
    "geometry_only",
    "load_profile",
    "sample_warp",
    "validate_profile",
    "warp_page",
]

# 2: noise read from the tile through per-block permutations, the integer defocus disk and the
# one-letter rule for words: a version-1 record replays to other noise bytes and word flags
RECORD_VERSION = 2
RIGID_SCENES = frozenset({"card"})  # plastic and card stock: tilted and lit, never folded


def _resolve(profile: dict[str, Any] | str | os.PathLike[str]) -> dict[str, Any]:
    if isinstance(profile, dict):
        return profile if "grid_step" in profile else validate_profile(profile)
    return load_profile(profile)


def sample_warp(
    profile: dict[str, Any] | str,
    width: int,
    height: int,
    rng: np.random.Generator,
    dewarp: bool | None = None,
    text_px: float = 0.0,
    rigid: bool = False,
    two_pages: bool = False,
    backgrounds: Any = None,
) -> dict[str, Any]:
    """Draw every parameter of a warp into a JSON-ready record (nothing is applied here).
    `text_px` is the page's small-text line height (`framing.page_text_px`): a profile whose
    `place` step aims for `min_text_px` frames the page so that text comes out that tall.
    `rigid` (cards, plastic): no fold, curl or crumple. `two_pages`: a joined spread
    (`warping.spread.join_pages`), bent at its spine by the profile's `book` step.
    `backgrounds` (`synth.backgrounds.BackgroundSource`): user images under placed pages."""
    prof = _resolve(profile)
    geo = sample_geometric(
        prof["geometric"], width, height, child_rng(rng, "warp:geometric"), text_px, rigid,
        two_pages, backgrounds,
    )
    out_w, out_h = geo["output_size"]
    extra: dict[str, Any] = {"rigid": True} if rigid else {}
    if two_pages:
        extra["two_pages"] = True
    photo = sample_photometric(
        prof["photometric"], out_w, out_h, child_rng(rng, "warp:photometric")
    )
    return {
        "version": RECORD_VERSION,
        "profile": prof["name"],
        "input_size": [int(width), int(height)],
        "output_size": [int(out_w), int(out_h)],
        "grid_step": prof["grid_step"],
        "densify_step": prof["densify_step"],
        "label_tolerance": LABEL_TOLERANCE,
        "dewarp": bool(prof["dewarp"] if dewarp is None else dewarp),
        "geometric": geo["steps"],
        "background": geo["background"],
        "photometric": photo,
        **extra,
    }


def apply_warp(
    page: Page,
    record: dict[str, Any],
    decode_jpeg: bool = True,
    *,
    trace: dict[str, Any] | None = None,
    release_input: bool = False,
) -> Page:
    """Apply a record: pixels and all labels through one map, then photometric steps.

    Label outlines: `record["densify_step"]` (px) is the finest spacing of points along a
    polygon edge; with `record["label_tolerance"]` (px, 0.025 in new records) an edge gets
    that spacing only where the warped outline leaves its chord by more than the tolerance
    (straight stretches keep their end points; see `synth.adaptive_edges`). Records without
    it put a point every `densify_step` on every edge, as before. Every label point is the
    exact inverse of the pixel grid either way.

    With `record["dewarp"]`, `page.extras["dewarp_map"]` gets the backward map at 1/grid_step
    resolution: (rows, cols, 2) float16; node (r, c) sits at output pixel ((c + .5) * step,
    (r + .5) * step) and holds where on the flat page that point came from, in `grid_sample`
    coordinates of the unwarped page ([-1, 1], align_corners=False). Values outside [-1, 1]
    are background (clipped to [-4, 4]). Rectifying networks that want flat -> warped
    positions instead get them by inverting it (the label path does exactly that).

    When the last photometric step is a JPEG round trip, `page.extras["image_jpeg"]` holds its
    bytes, which decode to exactly `page.image` (the pipeline stores them as the row's image).
    With `decode_jpeg=False` the decode back (~5 ms a page) is skipped for callers that keep
    only the bytes: `page.image` is then a pixel-less stand-in of the frame's shape (the frame
    the JPEG step encoded is freed there, its channels not swapped back: ~1.3 ms and one
    13-21 MB frame less for the rest of the row) and `page.extras["image_jpeg_decoded"]` is
    False to say so. The bytes are the same either way; without a final JPEG step the flag
    changes nothing.

    Every line and word comes back with `legibility` (0-1) and `legible` from the record's
    physics: x-height after the point map, blur, ink contrast after lighting, noise, JPEG and
    visibility (`warping.legibility`); a `trace` dict receives those terms (for calibration).

    `release_input=True` is for a caller that never reads `page`'s pixels again (the pipeline):
    `page.image` becomes a stand-in of the same shape holding no pixels (the remap frees the
    flat pixels once their RGBA copy exists, before the output frame is made), and the moved frame is handed to the photometric steps, which let go of each frame as
    soon as the next one is made. On a 7 MP wild frame that is one flat page and one output
    frame less at the photometric peak (same labels, same bytes).
    """
    if [page.width, page.height] != list(record["input_size"]):
        raise PolyglyphError(
            f"warp record was drawn for a {record['input_size'][0]}x{record['input_size'][1]} page, "
            f"got {page.width}x{page.height}"
        )
    geo = {
        "steps": record["geometric"],
        "output_size": record["output_size"],
        "background": record["background"],
    }
    moved, coarse, fields, alpha = apply_geometric(
        page, geo, int(record["grid_step"]), float(record["densify_step"]), record,
        release_input=release_input,
    )
    if release_input:  # also unmoved (no geometric step): the frame goes on to the steps
        page.image = released(page.image)
    paper = paper_mask(record["geometric"], page.image.shape[:2])
    if paper is not None:  # torn away or punched out: the text there is gone
        moved = hide(moved, cv2.bitwise_not(paper), reference=page)
    ctx = ShadingContext(
        grid=coarse,
        creases=tuple(fields.creases) if fields else (),
        slope=fields.slope if fields else None,
        page_alpha=alpha,
    )
    # the label boxes' contrast is read off the lit frame's grey as soon as the light is applied
    # (the grey of the boxes' bounding box only), and that grey let go (polygons stay as they are now: hiding lowers `visible` only)
    lit: list[Contrasts] = []
    labelled = moved
    frame: np.ndarray | list[np.ndarray] = moved.image
    if release_input:  # handed over: no reference here while the steps run
        frame, moved.image = [moved.image], released(moved.image)
    image, jpeg = apply_photometric_keep_jpeg(
        frame, record["photometric"], ctx, decode=decode_jpeg, keep=decode_jpeg,
        lit=lambda rgb: lit.append(Contrasts.of_rgb(rgb, labelled)),
    )
    del frame
    fingers = fingers_cover(record["photometric"], image.shape[:2])
    if fingers is not None:
        moved = hide(moved, fingers)
    cover = cover_of(record["photometric"], image.shape[:2], ctx)  # clutter, smudges
    if cover is not None:
        moved = hide(moved, cover)
    if fingers is not None and cover is not None:
        cover = np.maximum(fingers, cover)
    # every occluder at once, per letter: frame edges and lens (the point map), tears and
    # holes (the paper), fingers, clutter and smudges (the cover)
    glyph = least_visible_stretch(
        page, moved, None if coarse is None else lambda p: label_map(geo, coarse)(p),
        (image.shape[1], image.shape[0]), paper, cover if cover is not None else fingers,
    )
    moved = assess_page(page, moved, lit[0], record["photometric"], trace, glyph)
    extras = dict(moved.extras)
    extras.pop("image_jpeg", None)  # bytes of the input image describe it no longer
    extras.pop("image_jpeg_decoded", None)
    if jpeg is not None:
        extras["image_jpeg"] = jpeg
        if not decode_jpeg:
            extras["image_jpeg_decoded"] = False
    if record.get("dewarp"):
        extras["dewarp_map"] = dewarp_map(page.width, page.height, coarse, record)
    moved.image = image
    moved.extras = extras
    return moved


def dewarp_map(width: int, height: int, coarse: Any, record: dict[str, Any]) -> np.ndarray:
    """Backward map on the in-frame nodes, normalised to the unwarped page, float16."""
    if coarse is None:  # identity: node centres of the unmoved page
        step = int(record["grid_step"])
        out_w, out_h = record["output_size"]
        xs = (np.arange(-(-out_w // step)) + 0.5) * step
        ys = (np.arange(-(-out_h // step)) + 0.5) * step
        gx, gy = np.meshgrid(xs, ys)
        src = np.stack([gx, gy], axis=2)
    else:
        src = coarse.frame_source()
    norm = np.empty(src.shape, np.float64)
    norm[..., 0] = 2.0 * src[..., 0] / width - 1.0
    norm[..., 1] = 2.0 * src[..., 1] / height - 1.0
    np.clip(norm, -4.0, 4.0, out=norm)  # beyond the horizon sources run off to infinity
    return norm.astype(np.float16)


def geometry_only(record: dict[str, Any]) -> dict[str, Any]:
    """The record without photometric steps: pixels and labels move, nothing else changes."""
    return {**record, "photometric": []}


def warp_page(
    page: Page,
    profile: dict[str, Any] | str,
    rng: np.random.Generator,
    dewarp: bool | None = None,
    decode_jpeg: bool = True,
    two_pages: bool = False,
    backgrounds: Any = None,
    release_input: bool = False,
) -> Page:
    """Sample a record for this page and apply it; the record lands in `page.warp`. The page's
    small-text height sets a `place` step's framing; rigid scenes (cards) do not bend.
    `decode_jpeg` and `release_input` as in `apply_warp`; `two_pages` and `backgrounds` as in
    `sample_warp`."""
    text_px = page_text_px([ln.polygon for ln in page.lines if ln.text.strip()])
    record = sample_warp(profile, page.width, page.height, rng, dewarp=dewarp, text_px=text_px,
                         rigid=page.scene in RIGID_SCENES, two_pages=two_pages,
                         backgrounds=backgrounds)  # fmt: skip
    return apply_warp(page, record, decode_jpeg=decode_jpeg, release_input=release_input)
