"""Charts: bar, line, pie and scatter plots drawn by matplotlib from sampled data.

Sampling (`sample_chart`) draws the data and every text (title, axis labels, categories, legend
entries in the page's language, numbers in ASCII digits) into a JSON record; drawing
(`draw_chart`) is a pure function of that record and two font files, and returns the chart as
RGBA plus one label per text. A label's box comes from matplotlib's own layout: the text's
`get_window_extent` says where it is, and the ink of the texts (the chart drawn with and without
them) inside that extent makes the box tight, so a label sits on its ink. Texts are drawn by
matplotlib (FreeType + libraqm shaping), one font file per text: words of the page's script in
its script face, numbers in the Latin face, so no glyph is ever missing.

The chart's target is its data as a Markdown table (`chart_markdown`), exactly the numbers the
chart was drawn from, written the way the chart writes them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError

CHART_TYPES = ("bar", "line", "pie", "scatter")
PALETTES = (
    ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"),
    ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"),
    ("#386cb0", "#fdb462", "#7fc97f", "#ef3b2c", "#662506", "#a6cee3"),
    ("#333333", "#777777", "#aaaaaa", "#555555", "#999999", "#cccccc"),
)


@dataclass
class ChartText:
    text: str
    polygon: list[list[float]]  # tight box on the ink, clockwise from the text's top-left
    extent: list[float]  # matplotlib's window extent [x0, y0, x1, y1] in image pixels
    role: str  # title | axis-label | tick | legend | value | category
    words_font: bool  # True: drawn in the script face; False: in the Latin (number) face
    rotated: bool = False


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def sample_chart(rng: np.random.Generator, words: list[str], kind: str | None = None,
                 ) -> dict[str, Any]:
    """Data and texts of one chart; `words` are drawable words of the page's language."""
    if len(words) < 6:
        raise PolyglyphError("a chart needs at least 6 drawable words of the page's language")
    kind = kind or CHART_TYPES[int(rng.integers(len(CHART_TYPES)))]
    if kind not in CHART_TYPES:
        raise PolyglyphError(f"unknown chart type {kind!r}; choose from {', '.join(CHART_TYPES)}")
    order = [str(w) for w in rng.permutation(words)]

    def take(n: int) -> list[str]:
        out = order[:n]
        del order[:n]
        return out

    title = " ".join(take(int(rng.integers(1, 4))))
    decimals = int(rng.integers(0, 2))
    scale = float(10 ** int(rng.integers(1, 4)))
    record: dict[str, Any] = {"kind": kind, "title": title, "decimals": decimals,
                              "palette": int(rng.integers(len(PALETTES))),
                              "grid": bool(rng.random() < 0.5)}
    if kind == "pie":
        n = int(rng.integers(3, 6))
        cuts = np.sort(rng.choice(np.arange(5, 96), size=n - 1, replace=False))
        shares = np.diff(np.concatenate([[0], cuts, [100]]))
        record.update(categories=take(n), series=["%"], values=[[int(s)] for s in shares],
                      decimals=0)
        return record
    n_series = int(rng.integers(1, 3 if kind == "scatter" else 4))
    record["series"] = take(n_series)
    record["y_label"] = " ".join(take(int(rng.integers(1, 3))))
    if kind == "scatter":
        n = int(rng.integers(5, 11))
        record["x_label"] = " ".join(take(1))
        xs = np.round(np.sort(rng.uniform(0, scale, size=n)), decimals)
        record["categories"] = [_fmt(x, decimals) for x in xs]
    elif kind == "line":
        n = int(rng.integers(4, 9))
        start = int(rng.integers(1990, 2020))
        record["x_label"] = " ".join(take(1))
        record["categories"] = [str(start + k) for k in range(n)]
    else:
        n = int(rng.integers(3, 7))
        record["categories"] = take(n)
        record["value_labels"] = n_series == 1 and bool(rng.random() < 0.6)  # no collisions
    base = rng.uniform(0.2, 1.0, size=(n, n_series)) * scale
    record["values"] = [[float(_fmt(v, decimals)) for v in row] for row in base]
    return record


def chart_markdown(record: dict[str, Any]) -> str:
    """The chart's data as a Markdown table: first column the categories (or x values)."""
    kind, decimals = record["kind"], int(record["decimals"])
    head = record.get("x_label", "") if kind in ("scatter", "line") else ""
    series = record["series"]
    lines = ["| " + " | ".join([head, *series]) + " |",
             "| " + " | ".join(["---"] * (len(series) + 1)) + " |"]
    for category, row in zip(record["categories"], record["values"], strict=True):
        cells = [_fmt(v, decimals) if kind != "pie" else f"{int(v)}" for v in row]
        lines.append("| " + " | ".join([category, *cells]) + " |")
    return "\n".join(lines)


def pie_label(category: str, share: int) -> str:
    return f"{category} {share}%"


def _plot(ax: Any, record: dict[str, Any], word_font: Any, num_font: Any) -> list[tuple[Any, str, bool]]:
    """Draw the data; return (matplotlib Text, role, in script face) of every text drawn."""
    kind, colours = record["kind"], PALETTES[int(record["palette"]) % len(PALETTES)]
    values = np.asarray(record["values"], float)
    cats = record["categories"]
    texts: list[tuple[Any, str, bool]] = []
    if kind == "pie":
        inside = not record.get("percent_in_label", True)  # the word face lacks digits or %
        labels = [c if inside else pie_label(c, int(v)) for c, v in zip(cats, values[:, 0],
                                                                         strict=True)]
        drawn = ax.pie(values[:, 0], colors=colours[: len(cats)], startangle=90,
                       counterclock=False, labeldistance=1.12, labels=labels,
                       wedgeprops={"linewidth": 1, "edgecolor": "white"},
                       autopct=(lambda pct: f"{pct:.0f}%") if inside else None, pctdistance=0.7)
        for t in drawn[1]:
            t.set_fontproperties(word_font)
            texts.append((t, "category", True))
        for t in drawn[2] if inside else ():
            t.set_fontproperties(num_font)
            t.set_color("white")
            texts.append((t, "value", False))
        ax.set_aspect("equal")
        return texts
    x = np.arange(len(cats))
    n_series = values.shape[1]
    for s in range(n_series):
        colour = colours[s % len(colours)]
        if kind == "bar":
            width = 0.8 / n_series
            bars = ax.bar(x - 0.4 + width * (s + 0.5), values[:, s], width, color=colour,
                          label=record["series"][s])
            if record.get("value_labels"):
                for t in ax.bar_label(bars, labels=[_fmt(v, record["decimals"])
                                                    for v in values[:, s]], padding=2):
                    t.set_fontproperties(num_font)
                    texts.append((t, "value", False))
        elif kind == "line":
            ax.plot(x, values[:, s], marker="o", color=colour, label=record["series"][s])
        else:
            xs = np.asarray([float(c) for c in cats])
            ax.scatter(xs, values[:, s], color=colour, label=record["series"][s], s=24)
    if kind != "scatter":
        ax.set_xticks(x, cats)
    else:
        xs = [float(c) for c in cats]
        _set_ticks(ax, "x", min(0.0, min(xs)), max(xs), num_font)
    _set_ticks(ax, "y", 0.0, float(values.max()), num_font)
    for t in ax.get_xticklabels():
        words = kind == "bar"
        t.set_fontproperties(word_font if words else num_font)
    if record.get("y_label"):
        texts.append((ax.set_ylabel(record["y_label"], fontproperties=word_font), "axis-label",
                      True))
    if record.get("x_label"):
        texts.append((ax.set_xlabel(record["x_label"], fontproperties=word_font), "axis-label",
                      True))
    if n_series > 1:
        legend = ax.legend(prop=word_font, frameon=True, facecolor="none")  # texts on the paper
        texts.extend((t, "legend", True) for t in legend.get_texts())
    if record.get("grid"):
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
    return texts


def draw_chart(record: dict[str, Any], width: int, height: int, word_face: tuple[str, int],
               number_face: tuple[str, int], size: float) -> tuple[np.ndarray, list[ChartText]]:
    """RGBA image (height x width) of the chart and the label of every text it shows.

    Text sizes shrink (up to 3 times by 15 %) until every text lies inside the image and no two
    texts overlap, so each label's box holds its own ink only."""
    for _ in range(4):
        fig, texts = _figure(record, width, height, word_face, number_face, size)
        renderer = fig.canvas.get_renderer()
        boxes = [_extent(t, renderer, height) for t, _, _ in texts]
        if all(_inside(b, width, height) for b in boxes) and not _overlapping(boxes):
            break
        size *= 0.85
    full = np.asarray(fig.canvas.buffer_rgba()).copy()
    for t, _, _ in texts:
        t.set_visible(False)
    _quiet_draw(fig)
    bare = np.asarray(fig.canvas.buffer_rgba())
    text_ink = np.abs(full.astype(np.int16) - bare.astype(np.int16)).max(axis=2) > 24
    labels = []
    for (t, role, words), box in zip(texts, boxes, strict=True):
        tight = _ink_box(text_ink, box)
        if tight is None:
            continue
        rotated = abs(float(t.get_rotation()) % 180 - 90) < 1
        labels.append(ChartText(t.get_text(), _polygon(tight, rotated), box, role, words,
                                rotated))
    return full, labels


def _figure(record: dict[str, Any], width: int, height: int, word_face: tuple[str, int],
            number_face: tuple[str, int], size: float) -> tuple[Any, list[tuple[Any, str, bool]]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontPath, FontProperties

    word_font = FontProperties(fname=FontPath(*word_face), size=size)
    num_font = FontProperties(fname=FontPath(*number_face), size=size * 0.9)
    fig = Figure(figsize=(width / 100, height / 100), dpi=100)
    fig.patch.set_alpha(0.0)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.patch.set_alpha(0.0)
    texts = _plot(ax, record, word_font, num_font)
    texts.append((ax.set_title(record["title"], fontproperties=word_font, pad=8), "title", True))
    if record["kind"] != "pie":
        for t in ax.get_xticklabels():
            texts.append((t, "tick" if record["kind"] != "bar" else "category",
                          record["kind"] == "bar"))
        texts.extend((t, "tick", False) for t in ax.get_yticklabels())
    _quiet_draw(fig, tight=True)
    texts = [(t, role, words) for t, role, words in texts
             if t.get_visible() and t.get_text().strip()]
    return fig, texts


def _quiet_draw(fig: Any, tight: bool = False) -> None:
    with warnings.catch_warnings():
        # matplotlib measures a legend's descent with the probe "lp", which a script face
        # (Arabic, Hebrew...) lacks; every drawn text was checked against its face when sampled
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        if tight:
            fig.tight_layout(pad=0.6)  # room for the texts at their real sizes (tall faces)
        fig.canvas.draw()


def _set_ticks(ax: Any, axis: str, low: float, high: float, font: Any) -> None:
    """Ticks fixed by us (ASCII digits, no Unicode minus the Latin face may lack), within the
    axis range, so every tick label that exists is drawn."""
    from matplotlib.ticker import MaxNLocator

    ticks = [float(t) for t in MaxNLocator(nbins=5).tick_values(low, high * 1.05)
             if low - 1e-9 <= t]
    integral = all(float(t).is_integer() for t in ticks)
    labels = [str(int(t)) if integral else f"{t:g}" for t in ticks]
    if axis == "x":
        ax.set_xlim(ticks[0], ticks[-1])
        ax.set_xticks(ticks, labels, fontproperties=font)
    else:
        ax.set_ylim(ticks[0], ticks[-1])
        ax.set_yticks(ticks, labels, fontproperties=font)


def _extent(t: Any, renderer: Any, height: int) -> list[float]:
    """matplotlib's window extent of a text, in image pixels (y down)."""
    ext = t.get_window_extent(renderer)
    return [float(ext.x0), float(height - ext.y1), float(ext.x1), float(height - ext.y0)]


def _overlapping(boxes: list[list[float]]) -> bool:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if min(a[2], b[2]) - max(a[0], b[0]) > 0 and min(a[3], b[3]) - max(a[1], b[1]) > 0:
                return True
    return False


def _inside(box: list[float], width: int, height: int) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height


def _ink_box(ink: np.ndarray, box: list[float]) -> list[float] | None:
    x0, y0 = max(0, int(np.floor(box[0])) - 1), max(0, int(np.floor(box[1])) - 1)
    x1, y1 = int(np.ceil(box[2])) + 1, int(np.ceil(box[3])) + 1
    rows, cols = np.nonzero(ink[y0:y1, x0:x1])
    if len(rows) == 0:
        return None
    return [float(x0 + cols.min()), float(y0 + rows.min()), float(x0 + cols.max() + 1),
            float(y0 + rows.max() + 1)]


def _polygon(box: list[float], rotated: bool) -> list[list[float]]:
    """Clockwise ring from the text's own top-left: a y-axis label turned a quarter
    anticlockwise starts at the box's bottom-left."""
    x0, y0, x1, y1 = box
    if rotated:
        return [[x0, y1], [x0, y0], [x1, y0], [x1, y1]]
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
