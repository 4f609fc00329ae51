"""bench/naive_reference.py at our frame size (issue 14): the frame it makes, and the second
headline row of bench/results_report.py beside the unchanged per-page one."""

from __future__ import annotations

import io

import numpy as np
from bench_module import load_bench
from PIL import Image, ImageFont


def test_naive_page_warped_into_a_larger_frame() -> None:
    naive = load_bench("naive_reference")
    width, height = naive.frame_size(3.86)
    assert abs(width * height / 1e6 - 3.86) < 0.01
    assert abs(width / height - 1024 / 1448) < 1e-3  # the page's aspect
    font = ImageFont.truetype(naive.FONT, naive.FONT_PX, layout_engine=ImageFont.Layout.RAQM)
    page = naive.naive_page(np.random.default_rng(0), font)
    framed = naive.naive_page(np.random.default_rng(0), font, (width, height))
    assert Image.open(io.BytesIO(page)).size == (1024, 1448)
    assert Image.open(io.BytesIO(framed)).size == (width, height)


def test_headline_keeps_the_per_page_row_and_adds_the_frame_row() -> None:
    report = load_bench("results_report")
    results = {"naive_reference": {"pages_per_cpu_s": 8.0},
               "naive_reference_at_frame": {"pages_per_cpu_s": 6.0, "frame": [1652, 2336],
                                            "frame_megapixels": 3.859},
               "end_to_end_1_worker": {"pages_per_cpu_s": 4.8}}
    rows = report.headline(results)
    assert rows[0][0] == "end-to-end / naive reference, per CPU-second"
    assert rows[0][1].startswith("0.60 ×") and rows[0][3] == "**fails**"
    assert "naive reference at our frame size" in rows[1][0] and "1652 x 2336" in rows[1][0]
    assert rows[1][1].startswith("0.80 ×") and rows[1][2] == "≥ 1.0 ×"
    without = report.headline({k: v for k, v in results.items() if k != "naive_reference_at_frame"})
    assert not any("frame size" in row[0] for row in without)
