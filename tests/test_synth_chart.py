"""Charts: the Markdown/Mermaid target is the drawn data, and every chart text is a label line
whose polygon sits on that text's ink."""

from __future__ import annotations

import numpy as np
import pytest

from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from qa_factory.prompts import task_of_prompt
from qa_factory.views import TASKS, make_views
from synth.chart import _figure
from synth.page import axis_box
from synth.render import PageSpec, RenderContext, apply_background, render_page
from synth.rng import sample_rng
from synth.scenes.chart import number_face

CASES = [("en", "bar"), ("ar", "bar"), ("hi", "line"), ("zh-Hans", "pie"), ("ru", "pie"),
         ("en", "scatter"), ("he", "line"), ("en", "flowchart"), ("ar", "flowchart"),
         ("ja", "flowchart")]
CHART_ONLY = {task: 0.0 for task in TASKS} | {"chart": 1.0, "spotting": 1.0}


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    return RenderContext(FontRegistry.load(),
                         load_corpus(languages=sorted({c[0] for c in CASES})))


def _page(ctx: RenderContext, language: str, kind: str, seed: int):
    spec = PageSpec(language=language, scene="chart", width=760, height=900,
                    options={"chart_type": kind})
    return render_page(spec, sample_rng(seed), ctx)


def _table(markdown: str) -> tuple[list[str], list[list[str]]]:
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in markdown.splitlines()]
    return rows[0], [r for r in rows[2:]]


def _drawn_data(ctx: RenderContext, page) -> list[list[float]]:
    """What matplotlib was asked to draw, read back from its artists (not from the record)."""
    chart = page.render["chart"]
    data = chart["data"]
    word, num = ctx.chain(page.language, "sans")[0], number_face(ctx, page.language)
    fig, _ = _figure(data, chart["width"], chart["height"], (word.path, word.index),
                     (num.path, num.index), chart["text_size"])
    ax = fig.axes[0]
    n = len(data["categories"])
    if data["kind"] == "pie":
        return [[round((w.theta2 - w.theta1) / 3.6)] for w in ax.patches]
    if data["kind"] == "bar":
        heights = [p.get_height() for p in ax.patches]
        series = [heights[s * n:(s + 1) * n] for s in range(len(heights) // n)]
    elif data["kind"] == "line":
        series = [list(line.get_ydata()) for line in ax.lines]
    else:
        series = [list(c.get_offsets()[:, 1]) for c in ax.collections]
    return [list(row) for row in zip(*series, strict=True)]


@pytest.mark.parametrize(("language", "kind"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_chart_target_is_the_drawn_data_and_texts_sit_on_their_ink(ctx, language, kind) -> None:
    page = _page(ctx, language, kind, seed=CASES.index((language, kind)))
    views = {v["task"]: v for v in make_views(page, sample_rng(0), task_mix=CHART_ONLY)}
    answer = views["chart"]["answer"]
    assert task_of_prompt(views["chart"]["prompt"]) == "chart"
    region = page.regions[0]
    node_lines = [ln for ln in page.lines if ln.role == "chart-node"]
    if kind == "flowchart":
        assert answer.startswith("flowchart TD\n")
        assert len(node_lines) == len(page.render["chart"]["data"]["nodes"])
        for line, node in zip(node_lines, page.render["chart"]["data"]["nodes"], strict=True):
            assert f'{node["id"]}' in answer and f'"{line.text}"' in answer
        edges = [ln.strip() for ln in answer.splitlines() if "-->" in ln]
        assert edges == [f"{a} --> {b}" for a, b in page.render["chart"]["data"]["edges"]]
    else:
        head, rows = _table(answer)
        drawn = _drawn_data(ctx, page)
        assert len(rows) == len(drawn) == len(page.render["chart"]["data"]["categories"])
        for row, values in zip(rows, drawn, strict=True):
            assert [float(v) for v in row[1:]] == pytest.approx(values, abs=1e-6)
        texts = {ln.text for ln in page.lines}
        assert page.render["chart"]["data"]["title"] in texts
        if kind == "pie":  # every drawn share is also written on the chart
            written = " ".join(texts)
            assert all(f"{r[1]}%" in written for r in rows)
    # every text is a spotted line, and its polygon is on its own ink
    spotted = views["spotting"]["answer"]
    assert all(f"<ref>{ln.text.strip()}</ref>" in spotted for ln in page.lines)
    assert set(region.attributes["line_indices"]) == set(range(len(page.lines)))
    # value labels sit on their bars (their crop holds bar ink); node texts are the text
    # engine's own line boxes (covered by the document scene's ink tests)
    ious = [_ink_iou(page, ln) for ln in page.lines if ln.role not in ("chart-value", "chart-node")]
    if kind != "flowchart":
        assert ious and min(ious) >= 0.9, sorted(ious)[:3]


def _ink_iou(page, line) -> float:
    """IoU of the line's box with the box of the ink found in it (padded by 2 px), the ink
    being the estimated coverage (page vs re-made paper, over the paper's contrast with the
    ink) above 24/255, the coverage the labeller calls ink (measured here on the final page)."""
    paper = apply_background(page.render["background"], page.width, page.height)
    data = page.render["chart"]["data"]
    ink = np.asarray(data.get("ink", (0, 0, 0)) if line.role == "chart-node" else (0, 0, 0),
                     np.float32)
    x0, y0, x1, y1 = axis_box(line.polygon)
    cx0, cy0 = max(0, int(x0) - 2), max(0, int(y0) - 2)
    cx1, cy1 = min(page.width, int(np.ceil(x1)) + 2), min(page.height, int(np.ceil(y1)) + 2)
    crop = page.image[cy0:cy1, cx0:cx1].astype(np.float32)
    under = paper[cy0:cy1, cx0:cx1].astype(np.float32)
    alpha = np.abs(crop - under).max(axis=2) / np.maximum(np.abs(under - ink).max(axis=2), 1.0)
    rows, cols = np.nonzero(alpha > 24 / 255)
    if len(rows) == 0:
        return 0.0
    ix0, iy0 = cx0 + cols.min(), cy0 + rows.min()
    ix1, iy1 = cx0 + cols.max() + 1, cy0 + rows.max() + 1
    inter = max(0, min(x1, ix1) - max(x0, ix0)) * max(0, min(y1, iy1) - max(y0, iy0))
    union = (x1 - x0) * (y1 - y0) + (ix1 - ix0) * (iy1 - iy0) - inter
    return float(inter / union)


def test_a_shifted_polygon_is_off_the_ink(ctx) -> None:
    page = _page(ctx, "en", "bar", seed=0)
    line = next(ln for ln in page.lines if ln.role == "chart-title")
    assert _ink_iou(page, line) >= 0.9
    h = axis_box(line.polygon)[3] - axis_box(line.polygon)[1]
    line.polygon = [[x, y + 0.5 * h] for x, y in line.polygon]
    assert _ink_iou(page, line) < 0.9
