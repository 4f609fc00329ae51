"""Shared record format and drawing of the non-document scenes (screenshot, video frame, game UI,
scene text, poster, ticket).

A record holds plain drawing orders, as `synth.scenes.kit` layouts do, plus what those scenes
need: a procedural `background` (flat, gradient, smooth colour field with shapes, bricks, or a
user image), more graphic kinds (rounded boxes, circles, polygons, gradients, translucent
boxes), line orders with display effects (`fx`, `path`: see `synth.scenes.fx`), `planes`
(a sign or poster drawn flat, then put into the page by a homography that moves its polygons
too) and `regions` (buttons, icons, bars, logos: generic labels, see `synth.page.Region`).

`apply_stage` is a pure function of the record; labels come from the drawn ink.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.opencv import cv2
from synth.page import Line, Word, min_area_quad
from synth.scenes import draw_labelled_line, kit
from synth.scenes.fx import draw_fx_line

# -- backgrounds -----------------------------------------------------------------------------


def draw_background(bg: dict[str, Any], width: int, height: int) -> np.ndarray:
    """An H x W x 3 uint8 background from its record (no randomness: seeds are in the record)."""
    kind = bg["kind"]
    if kind == "flat":
        image = np.empty((height, width, 3), np.uint8)
        image[:] = np.asarray(bg["colour"], np.uint8)
        return image
    if kind == "vgrad":
        t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        col = np.asarray(bg["top"], np.float32) * (1 - t) + np.asarray(bg["bottom"], np.float32) * t
        return np.ascontiguousarray(np.broadcast_to(col + 0.5, (height, width, 3)).astype(np.uint8))
    if kind == "field":
        return _colour_field(bg, width, height)
    if kind == "bricks":
        return _bricks(bg, width, height)
    if kind == "surface":  # paper or a table top: synth.render's background record
        from synth.render import apply_background

        return apply_background(bg["record"], width, height)
    if kind == "image" and "digest" in bg:  # a --backgrounds image (synth.backgrounds)
        from synth.backgrounds import draw_image_background

        return draw_image_background(bg, width, height)
    if kind == "image":
        from synth.paper import _background  # the paper's user-image crop, same record keys

        return np.clip(_background(bg, width, height) + 0.5, 0, 255).astype(np.uint8)
    raise ValueError(f"unknown background kind {kind!r}")


def background_preview(bg: dict[str, Any], width: int, height: int) -> np.ndarray:
    """The background of a width x height page at 1/8 scale (float32 RGB): what a scene reads
    while sampling (brightness under a subtitle band) without drawing the full page."""
    if bg["kind"] == "field":
        return field_preview(bg, width, height)
    return draw_background(bg, max(8, width // 8), max(8, height // 8)).astype(np.float32)


def band_luminance(preview: np.ndarray, width: int, height: int, y0: float, y1: float,
                   x0: float = 0.0, x1: float | None = None) -> float:
    """90th percentile of the luma (Rec. 601) over a page box, read from a 1/8-scale preview:
    how bright the brightest part of the background behind a line is."""
    ph, pw = preview.shape[:2]
    x1 = width if x1 is None else x1
    r0, r1 = int(np.clip(y0 * ph / height, 0, ph - 1)), int(np.clip(np.ceil(y1 * ph / height), 1, ph))
    c0, c1 = int(np.clip(x0 * pw / width, 0, pw - 1)), int(np.clip(np.ceil(x1 * pw / width), 1, pw))
    cut = preview[r0 : max(r1, r0 + 1), c0 : max(c1, c0 + 1)]
    luma = cut[..., 0] * 0.299 + cut[..., 1] * 0.587 + cut[..., 2] * 0.114
    return float(np.percentile(luma, 90))


def _colour_field(bg: dict[str, Any], width: int, height: int) -> np.ndarray:
    """A smooth low-frequency colour field with blurred blocks: an out-of-focus frame or street.

    Made at 1/8 scale (blocks, blur) and resized up: a blur of a dozen pixels is cheap there."""
    small = field_preview(bg, width, height)
    return cv2.resize(np.clip(small + 0.5, 0, 255).astype(np.uint8), (width, height),
                      interpolation=cv2.INTER_LINEAR)


def field_preview(bg: dict[str, Any], width: int, height: int) -> np.ndarray:
    """The colour field at 1/8 scale (float32 RGB), before it is resized up: scenes read the
    brightness under a subtitle band from it while sampling, at the cost of a thumbnail.

    `vignette` (optional, 0..1) darkens towards the corners as a lens and a film grade do."""
    gen = np.random.Generator(np.random.PCG64(int(bg["seed"])))
    cells = int(bg.get("cells", 5))
    base = np.asarray(bg["colour"], np.float32)
    low = np.clip(base + gen.normal(0, float(bg.get("spread", 40)), (cells, cells, 3)), 0, 255)
    sw, sh = max(8, width // 8), max(8, height // 8)
    small = cv2.resize(low.astype(np.float32), (sw, sh), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(bg.get("blocks", 0))):
        x0, y0 = gen.uniform(-0.1, 1.0) * sw, gen.uniform(0.0, 1.0) * sh
        w, h = gen.uniform(0.05, 0.4) * sw, gen.uniform(0.1, 0.9) * sh
        colour = np.clip(base + gen.normal(0, 60, 3), 0, 255)
        cv2.rectangle(small, (int(x0), int(y0)), (int(x0 + w), int(y0 + h)), colour.tolist(), -1)
    blur = float(bg.get("blur", 0)) / 8
    if blur > 0.3:
        small = cv2.GaussianBlur(small, (0, 0), blur)
    strength = float(bg.get("vignette", 0.0))
    if strength > 0:
        u = np.linspace(-1.0, 1.0, sw, dtype=np.float32)[None, :]
        v = np.linspace(-1.0, 1.0, sh, dtype=np.float32)[:, None]
        small = small * (1.0 - strength * np.clip((u * u + v * v) / 2.0, 0, 1))[:, :, None]
    return small


def _bricks(bg: dict[str, Any], width: int, height: int) -> np.ndarray:
    gen = np.random.Generator(np.random.PCG64(int(bg["seed"])))
    image = np.empty((height, width, 3), np.uint8)
    image[:] = np.asarray(bg["mortar"], np.uint8)
    bw, bh = float(bg["brick_w"]), float(bg["brick_h"])
    base = np.asarray(bg["colour"], np.float32)
    rows, cols = int(height / bh) + 1, int(width / bw) + 2
    # one draw for every brick (the same stream, brick by brick, as one draw each)
    colours = np.clip(base + gen.normal(0, 12, (rows * cols, 3)), 0, 255).tolist()
    for row in range(rows):
        shift = (row % 2) * bw / 2
        for k, col in enumerate(range(-1, cols - 1)):
            x0, y0 = col * bw + shift, row * bh
            cv2.rectangle(image, (int(x0 + 2), int(y0 + 2)), (int(x0 + bw - 2), int(y0 + bh - 2)),
                          colours[row * cols + k], -1)
    return image


# -- graphics --------------------------------------------------------------------------------


def draw_shapes(image: np.ndarray, orders: list[dict[str, Any]]) -> None:
    """Graphic orders in place: kit's kinds (fill, rect, line, dashes) plus round, circle, poly,
    vgrad and veil (a translucent box)."""
    for g in orders:
        kind = g["kind"]
        if kind in ("fill", "rect", "line", "dashes"):
            kit.draw_graphics(image, [g])
            continue
        colour = tuple(int(c) for c in g.get("colour", (0, 0, 0)))
        if kind == "round":
            _round_box(image, g["box"], float(g["radius"]), colour, int(g.get("thickness", -1)))
        elif kind == "circle":
            cx, cy = g["centre"]
            cv2.circle(image, (int(round(cx)), int(round(cy))), int(round(g["radius"])), colour,
                       int(g.get("thickness", -1)), cv2.LINE_AA)
        elif kind == "poly":
            pts = np.round(np.asarray(g["points"], np.float64)).astype(np.int32)
            if g.get("thickness", -1) < 0:
                cv2.fillPoly(image, [pts], colour, cv2.LINE_AA)
            else:
                cv2.polylines(image, [pts], True, colour, int(g["thickness"]), cv2.LINE_AA)
        elif kind == "vgrad":
            x0, y0, x1, y1 = (int(round(v)) for v in g["box"])
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image.shape[1], x1), min(image.shape[0], y1)
            if x1 > x0 and y1 > y0:
                t = np.linspace(0, 1, y1 - y0, dtype=np.float32)[:, None, None]
                col = np.asarray(g["top"], np.float32) * (1 - t) + np.asarray(g["bottom"], np.float32) * t
                image[y0:y1, x0:x1] = np.broadcast_to(col + 0.5, (y1 - y0, x1 - x0, 3)).astype(np.uint8)
        elif kind == "vdashes":  # a vertical perforation
            (x, y0), (_, y1) = g["points"]
            step = float(g.get("step", 8.0))
            for y in np.arange(y0, y1 - step / 2, step):
                cv2.line(image, (int(round(x)), int(round(y))), (int(round(x)), int(round(y + step / 2))),
                         colour, 1, cv2.LINE_AA)
        elif kind == "cells":  # a QR-like grid of dark cells, rows of "0"/"1"
            x0, y0, x1, y1 = (float(v) for v in g["box"])
            rows = g["bits"]
            step_y, step_x = (y1 - y0) / len(rows), (x1 - x0) / len(rows[0])
            for r, row in enumerate(rows):
                for c, bit in enumerate(row):
                    if bit == "1":
                        cv2.rectangle(image, (int(x0 + c * step_x), int(y0 + r * step_y)),
                                      (int(x0 + (c + 1) * step_x) - 1, int(y0 + (r + 1) * step_y) - 1), colour, -1)
        elif kind == "veil":
            x0, y0, x1, y1 = (int(round(v)) for v in g["box"])
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(image.shape[1], x1), min(image.shape[0], y1)
            if x1 > x0 and y1 > y0:
                region = image[y0:y1, x0:x1].astype(np.float32)
                a = float(g["alpha"])
                image[y0:y1, x0:x1] = (region * (1 - a) + np.asarray(colour, np.float32) * a + 0.5).astype(np.uint8)
        else:
            raise ValueError(f"unknown graphic kind {kind!r}")


def _round_box(image: np.ndarray, box: list[float], radius: float, colour: tuple[int, ...],
               thickness: int) -> None:
    x0, y0, x1, y1 = (float(v) for v in box)
    r = max(0.0, min(radius, (x1 - x0) / 2, (y1 - y0) / 2))
    pts = []
    for cx, cy, start in ((x1 - r, y0 + r, -90), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180)):
        for a in np.radians(np.linspace(start, start + 90, 7)):
            pts.append((cx + r * np.cos(a), cy + r * np.sin(a)))
    ring = np.round(np.asarray(pts)).astype(np.int32)
    if thickness < 0:
        cv2.fillPoly(image, [ring], colour, cv2.LINE_AA)
    else:
        cv2.polylines(image, [ring], True, colour, thickness, cv2.LINE_AA)


# -- lines -----------------------------------------------------------------------------------


def draw_lines(image: np.ndarray, ctx: Any, language: str, orders: list[dict[str, Any]],
               first_index: int = 0) -> list[Line]:
    """Line orders (kit.line_order, plus optional `fx`, `path`, `direction`) drawn in order."""
    lines = []
    for k, order in enumerate(orders):
        style = kit.style_for(ctx, order.get("language", language), order["size"], order["font"],
                              order.get("bold", False))
        layout = ctx.engine.layout_line(order["text"], style)
        x = float(order["x"])
        if order["anchor"] == "right":
            x -= layout.advance
        elif order["anchor"] == "center":
            x -= layout.advance / 2
        index = first_index + k
        if order.get("fx") or order.get("path"):
            line = draw_fx_line(ctx.engine, image, layout, (x, float(order["y"])), order, index)
        else:
            line = draw_labelled_line(ctx.engine, image, layout, (x, float(order["y"])),
                                      colour=order["colour"], role=order["role"], line_index=index,
                                      hand=order.get("hand"), line_seed=order.get("seed", 0))
        lines.append(line)
    return lines


# -- planes ----------------------------------------------------------------------------------


def _homography(plane: dict[str, Any]) -> np.ndarray:
    w, h = float(plane["width"]), float(plane["height"])
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    return cv2.getPerspectiveTransform(src, np.float32(plane["quad"]))


def _move(points: list[list[float]], matrix: np.ndarray) -> list[list[float]]:
    pts = cv2.perspectiveTransform(np.asarray(points, np.float64).reshape(-1, 1, 2), matrix)
    return np.round(pts.reshape(-1, 2), 2).tolist()


def _composite_plane(image: np.ndarray, flat: np.ndarray, matrix: np.ndarray,
                     quad: list[list[float]]) -> None:
    """Blend the plane into the page, warping only the box its quad covers (warping the whole
    page twice, then finding the plane's pixels, was most of a street page's render time)."""
    pts = np.asarray(quad, np.float64)
    ih, iw = image.shape[:2]
    x0, y0 = (max(0, int(np.floor(v)) - 2) for v in pts.min(axis=0))
    x1, y1 = min(iw, int(np.ceil(pts[:, 0].max())) + 2), min(ih, int(np.ceil(pts[:, 1].max())) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    local = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ matrix
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(flat, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    alpha = cv2.warpPerspective(np.full(flat.shape[:2], 255, np.uint8), local, size, flags=cv2.INTER_LINEAR)
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    sub = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = (sub * (1 - a) + warped * a + 0.5).astype(np.uint8)


def draw_plane(image: np.ndarray, ctx: Any, language: str, plane: dict[str, Any],
               first_index: int) -> tuple[list[Line], list[dict[str, Any]]]:
    """A sign/poster drawn flat (own background, shapes, lines) and put into the page through
    the homography of its `quad`; lines and regions come back in page coordinates."""
    w, h = int(plane["width"]), int(plane["height"])
    flat = draw_background(plane["background"], w, h)
    draw_shapes(flat, plane.get("graphics", []))
    lines = draw_lines(flat, ctx, language, plane["lines"], first_index)
    matrix = _homography(plane)
    _composite_plane(image, flat, matrix, plane["quad"])
    for line in lines:
        line.polygon = _move(line.polygon, matrix)
        line.quad = min_area_quad(line.polygon)
        line.words = [Word(text=wd.text, polygon=_move(wd.polygon, matrix), line_index=wd.line_index)
                      for wd in line.words]
    regions = [{**r, "polygon": _move(r.get("polygon") or kit.box_poly(r["box"]), matrix)}
               for r in plane.get("regions", [])]
    return lines, regions


# -- regions and the page --------------------------------------------------------------------


def region_order(kind: str, box: list[float] | None = None, *, polygon: list[list[float]] | None = None,
                 text: str = "", **attributes: Any) -> dict[str, Any]:
    """One generic label for a non-text thing (button, icon, bar, logo, photo)."""
    out: dict[str, Any] = {"kind": kind, "text": text, "attributes": attributes}
    if polygon is not None:
        out["polygon"] = polygon
    else:
        out["box"] = kit.box(*box)
    return out


def make_regions(orders: list[dict[str, Any]]) -> list[Any]:
    """Region labels (`synth.page.Region`) of region orders; plain dicts where this build's
    label tree has no regions yet (they then ride in `extras`)."""
    try:
        from synth.page import Region
    except ImportError:
        Region = None  # noqa: N806
    out = []
    for r in orders:
        polygon = r.get("polygon") or kit.box_poly(r["box"])
        if Region is None:
            out.append({"kind": r["kind"], "polygon": polygon, "text": r.get("text", ""),
                        "attributes": r.get("attributes", {})})
        else:
            out.append(Region(kind=r["kind"], polygon=polygon, text=r.get("text", ""),
                              attributes=dict(r.get("attributes", {}))))
    return out


def apply_stage(record: dict[str, Any], ctx: Any) -> Any:
    """Re-make a page from its record: background, shapes, lines, planes, then labels."""
    from synth.page import Field, Page

    width, height = int(record["width"]), int(record["height"])
    language = record["language"]
    info = ctx.language(language)
    image = draw_background(record["background"], width, height)
    draw_shapes(image, record.get("graphics", []))
    lines = draw_lines(image, ctx, language, record.get("lines", []))
    region_orders = list(record.get("regions", []))
    for plane in record.get("planes", []):
        more, regions = draw_plane(image, ctx, language, plane, len(lines))
        lines.extend(more)
        region_orders.extend(regions)
    draw_shapes(image, record.get("overlay", []))
    blocks = [kit.block(b["role"], lines, b["lines"], -1, kit.box_poly(b["box"]) if b.get("box") else None)
              for b in record.get("blocks", [])]
    fields = [Field(key=f["key"], value=f["value"], key_polygon=lines[f["key_line"]].polygon,
                    value_polygon=lines[f["value_line"]].polygon, kind=f.get("kind", "text"))
              for f in record.get("fields", [])]
    page = Page(image=image, language=info.code, script=info.script, direction=info.direction,
                scene=record["scene"], lines=lines, blocks=blocks, fields=fields,
                extras=dict(record.get("extras", {})))
    regions = make_regions(region_orders)
    if regions and not isinstance(regions[0], dict):
        page.regions = regions
    elif regions:
        page.extras["regions"] = regions
    return page
