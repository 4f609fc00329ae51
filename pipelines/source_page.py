"""The Page of one benchmark item (`pipelines.readers.SourceItem`), built inside the limits of
`pipelines.containment`: the image's size is checked before it is decoded, and each polygon
against the decoded image (clipped when marginally outside, dropped with a reason beyond).
"""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache
from typing import Any

from synth.page import Line, Page, min_area_quad

from .containment import Refused, check_pixels, fit_polygon, load_image_checked, pil_cap
from .readers import SourceItem

DONT_CARE = "dont-care"


@lru_cache(maxsize=2)
def _parquet_table(folder: str, path: str) -> Any:
    """A shard read whole (variants warps its rows one after another): a local file, or
    `path` inside the dataset URI `folder`."""
    import pyarrow.parquet as pq

    if not folder:
        return pq.read_table(path)
    from .output import Output

    return Output(folder, "--input").open_parquet(path).read()


def _row_page(item: SourceItem, max_pixels: int) -> Page:
    """One of our own rows, its image header checked before `row_to_page` decodes it."""
    from PIL import Image

    from .rows import row_to_page

    assert item.row is not None
    folder, path, number = item.row
    try:
        row = _parquet_table(folder, path).slice(number, 1).to_pylist()[0]
        data = row["image"]["bytes"]
        with pil_cap(None), Image.open(io.BytesIO(data)) as im:
            check_pixels(im.size, max_pixels)
        return row_to_page(row)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"bad row: {exc}") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Refused(f"over --max-image-pixels {max_pixels}: {exc}") from None


def text_direction(text: str) -> str:
    """`rtl` when the first strongly directional character is right-to-left (Hebrew, Arabic,
    Syriac, Thaana, N'Ko...), as the bidi algorithm sets a paragraph's direction (rule P2);
    else `ltr`. A benchmark names no direction, and an Arabic line labelled `ltr` misleads
    anyone filtering or cropping by it."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def item_page(item: SourceItem, max_pixels: int) -> tuple[Page, list[str]]:
    """(the Page of a benchmark image, reasons for the annotations dropped from it): its
    polygons as lines; don't-care lines kept, flagged. Raises `Refused`/OSError/ValueError
    for an image that is skipped whole."""
    if item.row is not None:
        return _row_page(item, max_pixels), []
    assert item.image_path is not None
    image = load_image_checked(item.image_path, max_pixels, item.declared)
    height, width = image.shape[:2]
    lines, dropped = [], []
    for number, src in enumerate(item.lines):
        polygon, reason = fit_polygon(src.polygon, width, height)
        if polygon is None:
            dropped.append(f"annotation {number} ({src.text[:40]!r}) dropped: {reason}")
            continue
        lines.append(Line(text=src.text, polygon=polygon, quad=min_area_quad(polygon),
                          language="und", script="Zyyy", direction=text_direction(src.text),
                          role=DONT_CARE if src.dont_care else "text"))
    if item.lines and not lines:  # every polygon dropped: the row would say "no text"
        raise Refused(f"all {len(item.lines)} annotations dropped, e.g. {dropped[0]}")
    rtl = sum(line.direction == "rtl" for line in lines)
    page = Page(image=image, language="und", script="Zyyy",
                direction="rtl" if rtl * 2 > len(lines) else "ltr",
                scene="benchmark", lines=lines,
                render={"source": item.key, "annotation": item.annotation})
    return page, dropped
