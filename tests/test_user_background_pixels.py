"""User images read as a viewer shows them, on every path that reads one (hostile-input review):
`convert("RGB")` alone turned a 16-bit grey background (40000/65535) white and a transparent
PNG (unpainted pixels stored black) black. Real files written with Pillow, read by the real
loaders: `--backgrounds` (synth.backgrounds), paper backgrounds (synth.paper), scene photos
(warping.scene), re-read rows (pipelines.rows)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synth.backgrounds import draw_image_background, index_backgrounds

GREY16 = 40000  # of 65535: 40000 / 257 = 155.6, so 156 in 8 bits (convert("RGB") gave 255)


def _grey16(path: Path) -> Path:
    Image.fromarray(np.full((60, 80), GREY16, np.uint16)).save(path)
    return path


def _transparent(path: Path) -> Path:
    """RGBA, all unpainted (alpha 0, colour stored black) but for one opaque dark band."""
    rgba = np.zeros((60, 80, 4), np.uint8)
    rgba[25:35, :] = (20, 20, 20, 255)
    Image.fromarray(rgba, "RGBA").save(path)
    return path


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "bg"
    folder.mkdir()
    return {"grey16": _grey16(folder / "grey16.png"),
            "transparent": _transparent(folder / "transparent.png")}


def test_files_are_what_the_test_claims(photos: dict[str, Path]) -> None:
    with Image.open(photos["grey16"]) as im:
        assert im.mode.startswith("I")
        assert int(np.asarray(im.convert("RGB")).min()) == 255  # the bug this guards against
    with Image.open(photos["transparent"]) as im:
        assert im.mode == "RGBA"
        assert int(np.asarray(im.convert("RGB"))[:10].max()) == 0


def test_backgrounds_option_scales_deep_grey_and_whitens_transparency(
        photos: dict[str, Path]) -> None:
    source = index_backgrounds(photos["grey16"].parent, warn=pytest.fail)
    assert len(source) == 2
    by_path = {Path(ref).name: (digest, ref) for digest, ref in source.items}
    rng = np.random.default_rng(0)
    record = source.sample(rng, 64, 48, zoom=(1.0, 1.0))
    for name, (digest, ref) in by_path.items():
        record = {**record, "digest": digest, "path": ref, "crop_x": 0.0, "crop_y": 0.0}
        pixels = draw_image_background(record, 64, 48)
        assert pixels.shape == (48, 64, 3) and pixels.dtype == np.uint8
        if name == "grey16.png":
            assert np.abs(pixels.astype(int) - 156).max() <= 1
        else:
            top = pixels[:10]  # unpainted rows: white paper, not the stored black
            assert top.min() >= 250
            assert pixels[:, :, 0].min() < 60  # the painted band is still there


def test_paper_background_reads_deep_grey_and_transparency(photos: dict[str, Path]) -> None:
    from synth.paper import apply_paper, sample_paper

    for name, want_low, want_high in (("grey16", 150, 162), ("transparent", 200, 256)):
        rng = np.random.default_rng(1)
        record = sample_paper(rng, 64, 48, ruling="none", backgrounds=[str(photos[name])],
                              background_probability=1.0)
        assert record["background"] is not None
        record["background"].update(fade=0.0, zoom=1.0, crop_x=0.0, crop_y=0.0)
        record.update(stains=[], vignette=0.0)  # only the photo, no paper texture over it
        for part in ("mottle", "grain"):
            record[part]["amplitude"] = 0.0
        record["fibres"]["count"] = 0
        pixels = apply_paper(record, 64, 48)
        top = pixels[:8].astype(int)  # grey16: flat 156; transparent: unpainted rows
        assert want_low <= top.min() and top.max() < want_high, (name, top.min(), top.max())


def test_scene_photo_reads_deep_grey_and_transparency(photos: dict[str, Path]) -> None:
    from warping.scene import Background

    grey = Background({"kind": "image", "path": str(photos["grey16"])}, 64, 48).full
    assert grey is not None and np.abs(grey.astype(int) - 156).max() <= 1
    clear = Background({"kind": "image", "path": str(photos["transparent"])}, 64, 48).full
    assert clear is not None and clear[:8].min() >= 250


def test_rows_from_input_read_deep_grey(tmp_path: Path) -> None:
    """`--input` may be a dataset folder someone else edited: its row images go through the
    same reading (8-bit RGB rows, all of ours, are unchanged: the golden check)."""
    from pipelines.rows import page_to_row, row_to_page
    from synth.page import Page

    page = Page(image=np.full((60, 80, 3), 200, np.uint8), language="en", script="Latn",
                direction="ltr", scene="document", lines=[])
    row = page_to_row(page, row_id="r0", index=0, seed=1, image_format="png", quality=90)
    assert row_to_page(row).image.min() == 200  # our own 8-bit row, as before
    data = io.BytesIO()
    Image.fromarray(np.full((60, 80), GREY16, np.uint16)).save(data, format="PNG")
    row["image"] = {**row["image"], "bytes": data.getvalue()}
    image = row_to_page(row).image
    assert image.shape == (60, 80, 3) and np.abs(image.astype(int) - 156).max() <= 1
