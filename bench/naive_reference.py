"""The naive reference pipeline of issue 7, measured in the same run as ours.

Pillow+raqm draws ~400 words one `draw.text` call per line on a 1024x1448 page, then a smooth
full-resolution remap, a Gaussian blur and JPEG q90. No labels, no shaping choices, one font:
what a careful person writes by hand in an afternoon. polyglyph must beat it while doing far
more (multilingual shaping, polygons through every warp, task views, Parquet).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf"
WORDS = (
    "All human beings are born free and equal in dignity and rights They are endowed with "
    "reason and conscience and should act towards one another in a spirit of brotherhood"
).split()


def naive_page(rng: np.random.Generator, font: ImageFont.FreeTypeFont) -> bytes:
    width, height = 1024, 1448
    page = Image.new("RGB", (width, height), (250, 248, 240))
    draw = ImageDraw.Draw(page)
    y = 40
    for _ in range(40):
        line = " ".join(rng.choice(WORDS, size=10))
        draw.text((48, y), line, font=font, fill=(20, 20, 20), language="en", direction="ltr")
        y += 34
    arr = np.asarray(page)
    gx, gy = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    amp = float(rng.uniform(4, 10))
    map_x = gx + amp * np.sin(gy / 180.0)
    map_y = gy + amp * np.cos(gx / 220.0)
    warped = cv2.remap(arr, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    blurred = cv2.GaussianBlur(warped, (5, 5), 1.0)
    buf = io.BytesIO()
    Image.fromarray(blurred).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def measure(pages: int, repeats: int) -> dict[str, float]:
    """Pages per second (median and range over repeats) of one process."""
    font = ImageFont.truetype(FONT, 22, layout_engine=ImageFont.Layout.RAQM)
    rng = np.random.default_rng(0)
    naive_page(rng, font)  # warm-up
    rates, cpu_rates = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(pages):
            naive_page(rng, font)
        rates.append(pages / (time.perf_counter() - t0))
        cpu_rates.append(pages / (time.process_time() - c0))
    return {"pages_per_s": statistics.median(rates), "min": min(rates), "max": max(rates),
            "pages_per_cpu_s": statistics.median(cpu_rates), "threads": cv2.getNumThreads()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)  # as our workers run: one core each, CPU time comparable
    print(json.dumps({"naive_reference": measure(args.pages, args.repeats)}))


if __name__ == "__main__":
    main()
