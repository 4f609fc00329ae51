"""`screenshot`: app, web, settings, chat and shop screens on phones, tablets and desktops.

Everything is drawn by polyglyph's own engine: bars, buttons, switches, bubbles and icon shapes
are graphic orders with a generic region label each (`button`, `icon`, `switch`, `image`,
`bubble`, `bar`…), text is ordinary labelled lines (small grey secondary text included). Light
and dark themes; right-to-left languages get the whole layout mirrored (`Builder.record`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.scenes import kit
from synth.scenes.builder import Builder
from synth.scenes.stage import apply_stage

KINDS = ("settings", "chat", "shop", "list", "web")
DEVICES = ("phone", "phone", "tablet", "desktop")
ACCENTS = ((0, 122, 255), (52, 199, 89), (255, 59, 48), (88, 86, 214), (255, 149, 0), (0, 150, 136),
           (26, 115, 232), (220, 0, 120))
THEMES = {
    "light": {"bg": (255, 255, 255), "panel": (242, 242, 247), "text": (20, 20, 24),
              "muted": (110, 110, 118), "line": (220, 220, 226), "bubble": (233, 233, 238)},
    "dark": {"bg": (18, 18, 20), "panel": (36, 36, 40), "text": (238, 238, 240),
             "muted": (160, 160, 168), "line": (58, 58, 62), "bubble": (50, 50, 56)},
}


def _size(spec: Any, device: str) -> tuple[int, int]:
    """Screen size from the spec's scale: the spec's long side stays the screen's long side."""
    long = max(int(spec.width), int(spec.height))
    ratio = {"phone": 0.5, "tablet": 0.75, "desktop": 1.6}[device]
    if device == "desktop":
        return long, max(64, int(long / ratio))
    return max(64, int(long * ratio)), long


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    device = kit.option(spec, "device", kit.pick(rng, DEVICES), ("phone", "tablet", "desktop"))
    kind = kit.option(spec, "kind", kit.pick(rng, KINDS), KINDS)
    theme_name = kit.option(spec, "theme", kit.pick(rng, ("light", "light", "dark")), ("light", "dark"))
    width, height = _size(spec, device)
    b = Builder(spec, rng, ctx, width, height, spec.font_style or "sans")
    theme = dict(THEMES[theme_name])
    accent = kit.pick(rng, ACCENTS)
    unit = width / (24.0 if device == "phone" else 40.0 if device == "tablet" else 60.0)
    size = float(np.clip(unit * rng.uniform(0.95, 1.15), 15, 40))
    y = _status_bar(b, theme, size, device)
    y = _app_bar(b, theme, accent, size, y, kind)
    bottom = height - (size * 3.4 if device == "phone" else 0)
    draw = {"settings": _settings, "chat": _chat, "shop": _shop, "list": _list, "web": _web}[kind]
    draw(b, theme, accent, size, y, bottom)
    if device == "phone":
        _tab_bar(b, theme, accent, size, bottom)
    return b.record({"kind": "flat", "colour": list(theme["bg"])}, device=device, kind=kind,
                    theme=theme_name, scene_group="screen")


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return apply_stage(record, ctx)


# -- chrome ----------------------------------------------------------------------------------


def _status_bar(b: Builder, theme: dict[str, Any], size: float, device: str) -> float:
    h = size * 1.7
    if device == "desktop":  # a browser/window title strip instead
        b.shape("fill", box=kit.box(0, 0, b.width, h), colour=list(theme["panel"]))
        for k, colour in enumerate(((255, 95, 87), (254, 188, 46), (40, 200, 64))):
            b.shape("circle", centre=[h * (0.6 + 0.7 * k), h / 2], radius=h * 0.2, colour=list(colour))
        b.region("icon", kit.box(h * 0.4, h * 0.3, h * 2.2, h * 0.7), shape="window-controls")
        return h
    clock = b.digits(f"{int(b.rng.integers(0, 24))}:{int(b.rng.integers(0, 60)):02d}")
    b.block("header", [b.text_box(clock, kit.box(size, 0, size * 6, h), size * 0.8, colour=theme["text"],
                                  role="header", bold=True)])
    right = b.width - size
    b.shape("round", box=kit.box(right - size * 1.6, h * 0.35, right, h * 0.65), radius=size * 0.15,
            colour=list(theme["text"]))
    b.region("icon", kit.box(right - size * 1.6, h * 0.35, right, h * 0.65), shape="battery")
    for k in range(4):
        x = right - size * 2.6 - k * size * 0.35
        b.shape("fill", box=kit.box(x - size * 0.22, h * (0.65 - 0.08 * (4 - k)), x, h * 0.65),
                colour=list(theme["text"]))
    b.region("icon", kit.box(right - size * 3.9, h * 0.3, right - size * 2.6, h * 0.65), shape="signal")
    return h


def _app_bar(b: Builder, theme: dict[str, Any], accent: list[int], size: float, y: float, kind: str) -> float:
    h = size * 2.6
    coloured = b.rng.random() < 0.4
    fg = [255, 255, 255] if coloured else list(theme["text"])
    if coloured:
        b.shape("fill", box=kit.box(0, y, b.width, y + h), colour=accent)
    b.region("bar", kit.box(0, y, b.width, y + h), role="app-bar")
    mid = y + h / 2
    b.shape("poly", points=[[size * 1.6, mid - size * 0.5], [size * 0.9, mid], [size * 1.6, mid + size * 0.5]],
            colour=fg, thickness=2)
    b.region("icon", kit.box(size * 0.8, mid - size * 0.6, size * 1.8, mid + size * 0.6), shape="back")
    for k in range(3):
        b.shape("circle", centre=[b.width - size * 1.2, mid - size * 0.4 + k * size * 0.4], radius=size * 0.09, colour=fg)
    b.region("icon", kit.box(b.width - size * 1.6, mid - size * 0.7, b.width - size * 0.8, mid + size * 0.7), shape="more")
    title_size = size * 1.2
    title = b.fit(b.source.company() if kind in ("shop", "web") else b.word(), title_size, b.width - size * 7, bold=True)
    b.block("title", [b.text_box(title, kit.box(size * 2.6, y, b.width - size * 2, y + h), title_size,
                                 colour=fg, role="title", bold=True)])
    if not coloured:
        b.shape("line", points=[[0, y + h], [b.width, y + h]], colour=list(theme["line"]))
    return y + h


def _tab_bar(b: Builder, theme: dict[str, Any], accent: list[int], size: float, top: float) -> None:
    b.shape("fill", box=kit.box(0, top, b.width, b.height), colour=list(theme["panel"]))
    b.region("bar", kit.box(0, top, b.width, b.height), role="tab-bar")
    tabs = int(b.rng.integers(3, 5))
    cell = b.width / tabs
    small = size * 0.68
    active = int(b.rng.integers(tabs))
    indices = []
    for k in range(tabs):
        cx = cell * (k + 0.5)
        colour = accent if k == active else list(theme["muted"])
        b.shape("round", box=kit.box(cx - size * 0.5, top + size * 0.45, cx + size * 0.5, top + size * 1.35),
                radius=size * 0.2, colour=colour, thickness=2)
        b.region("icon", kit.box(cx - size * 0.5, top + size * 0.45, cx + size * 0.5, top + size * 1.35),
                 shape="tab", active=k == active)
        label = b.fit(b.word(), small, cell * 0.9)
        ascent, _ = b.metrics(small)
        indices.append(b.text(label, cx, top + size * 1.75 + ascent, small, anchor="center", colour=colour,
                              role="caption"))
    b.block("footer", indices)


# -- bodies ----------------------------------------------------------------------------------


def _switch(b: Builder, x1: float, mid: float, size: float, on: bool, accent: list[int], theme: dict[str, Any]) -> None:
    box = kit.box(x1 - size * 2.2, mid - size * 0.6, x1, mid + size * 0.6)
    b.shape("round", box=box, radius=size * 0.6, colour=accent if on else list(theme["line"]))
    knob = box[2] - size * 0.6 if on else box[0] + size * 0.6
    b.shape("circle", centre=[knob, mid], radius=size * 0.48, colour=[255, 255, 255])
    b.region("switch", box, on=bool(on))


def _settings(b: Builder, theme: dict[str, Any], accent: list[int], size: float, y: float, bottom: float) -> None:
    pad = size
    y += size * 0.8
    small = size * 0.78
    while True:
        two = b.rng.random() < 0.5
        row_h = size * (3.2 if two else 2.4)
        if y + row_h > bottom - size * 0.3:
            break
        mid = y + row_h / 2
        icon_colour = [int(v) for v in b.rng.integers(40, 230, 3)]
        b.shape("round", box=kit.box(pad, mid - size * 0.75, pad + size * 1.5, mid + size * 0.75),
                radius=size * 0.35, colour=icon_colour)
        b.region("icon", kit.box(pad, mid - size * 0.75, pad + size * 1.5, mid + size * 0.75), shape="setting")
        text_x = pad + size * 2.3
        room = b.width - text_x - size * 3.8
        control = kit.pick(b.rng, ("switch", "chevron", "value"))
        if two:
            a1, _ = b.metrics(size)
            first = b.text(b.fit(b.sentence(3), size, room), text_x, mid - size * 0.2, size, colour=theme["text"], role="heading")
            second = b.text(b.fit(b.sentence(6), small, room), text_x, mid + small * 1.1, small,
                            colour=theme["muted"], role="paragraph")
            b.block("list-item", [first, second])
        else:
            b.block("list-item", [b.text_box(b.fit(b.sentence(3), size, room), kit.box(text_x, y, b.width, y + row_h),
                                             size, colour=theme["text"], role="heading")])
        if control == "switch":
            _switch(b, b.width - pad, mid, size, b.rng.random() < 0.5, accent, theme)
        elif control == "chevron":
            x = b.width - pad - size * 0.3
            b.shape("poly", points=[[x - size * 0.4, mid - size * 0.45], [x, mid], [x - size * 0.4, mid + size * 0.45]],
                    colour=list(theme["muted"]), thickness=2)
            b.region("icon", kit.box(x - size * 0.6, mid - size * 0.5, x + size * 0.1, mid + size * 0.5), shape="chevron")
        else:
            value = b.digits(str(int(b.rng.integers(1, 100))))
            b.block("paragraph", [b.text_box(value, kit.box(0, y, b.width - pad, y + row_h), small,
                                             anchor="right", colour=theme["muted"], role="paragraph")])
        b.shape("line", points=[[text_x, y + row_h], [b.width, y + row_h]], colour=list(theme["line"]))
        y += row_h


def _chat(b: Builder, theme: dict[str, Any], accent: list[int], size: float, y: float, bottom: float) -> None:
    input_h = size * 2.8
    limit = bottom - input_h - size * 0.5
    y += size * 0.8
    max_w = b.width * 0.68
    ascent, descent = b.metrics(size)
    pitch = (ascent + descent) * 1.15
    small = size * 0.7
    for _ in range(40):
        mine = b.rng.random() < 0.5
        texts = b.wrap(b.sentence(14), size, max_w - size * 1.6)[:3]
        if not texts:
            continue
        bubble_h = pitch * len(texts) + size * 1.1
        if y + bubble_h + small * 1.6 > limit:
            break
        text_w = max(b.width_of(t, size) for t in texts)
        bw = text_w + size * 1.6
        x0 = b.width - size * 0.8 - bw if mine else size * 0.8
        fill = accent if mine else list(theme["bubble"])
        ink = [255, 255, 255] if mine else list(theme["text"])
        b.shape("round", box=kit.box(x0, y, x0 + bw, y + bubble_h), radius=size * 0.8, colour=fill)
        b.region("bubble", kit.box(x0, y, x0 + bw, y + bubble_h), sender="me" if mine else "other")
        indices = []
        for k, t in enumerate(texts):
            indices.append(b.text(t, x0 + size * 0.8, y + size * 0.55 + ascent + k * pitch, size, colour=ink,
                                  role="paragraph"))
        y += bubble_h
        stamp = b.digits(f"{int(b.rng.integers(0, 24))}:{int(b.rng.integers(0, 60)):02d}")
        a2, _ = b.metrics(small)
        indices.append(b.text(stamp, x0 + bw if mine else x0, y + size * 0.2 + a2, small,
                              anchor="right" if mine else "left", colour=theme["muted"], role="caption"))
        b.block("paragraph", indices)
        y += small * 1.6 + size * 0.5
    top = bottom - input_h
    b.shape("fill", box=kit.box(0, top, b.width, bottom), colour=list(theme["panel"]))
    field = kit.box(size * 0.8, top + size * 0.5, b.width - size * 3.6, bottom - size * 0.5)
    b.shape("round", box=field, radius=size, colour=list(theme["bg"]))
    b.region("input", field)
    b.block("caption", [b.text_box(b.fit(b.word(), size * 0.9, field[2] - field[0] - size * 2), [field[0] + size * 0.8,
                        *field[1:]], size * 0.9, colour=theme["muted"], role="caption")])
    cx, cy = b.width - size * 1.9, (top + bottom) / 2
    b.shape("circle", centre=[cx, cy], radius=size * 0.9, colour=accent)
    b.region("button", kit.box(cx - size * 0.9, cy - size * 0.9, cx + size * 0.9, cy + size * 0.9), action="send")


def _button(b: Builder, box: list[float], text: str, size: float, fill: list[int], ink: list[int]) -> int:
    b.shape("round", box=box, radius=(box[3] - box[1]) / 2.5, colour=fill)
    b.region("button", box, text=text)
    return b.text_box(text, box, size, anchor="center", colour=ink, role="caption", bold=True)


def _shop(b: Builder, theme: dict[str, Any], accent: list[int], size: float, y: float, bottom: float) -> None:
    cols = 2 if b.width < 1000 else 4
    gap = size * 0.8
    card_w = (b.width - gap * (cols + 1)) / cols
    small = size * 0.8
    a, d = b.metrics(size)
    card_h = card_w * 0.75 + (a + d) * 3.6 + size * 2.6
    y += gap
    while y + card_h <= bottom - gap:
        for c in range(cols):
            x0 = gap + c * (card_w + gap)
            b.shape("round", box=kit.box(x0, y, x0 + card_w, y + card_h), radius=size * 0.5, colour=list(theme["panel"]))
            photo = kit.box(x0, y, x0 + card_w, y + card_w * 0.75)
            top_c = [int(v) for v in b.rng.integers(60, 240, 3)]
            b.shape("vgrad", box=photo, top=top_c, bottom=[int(v * 0.6) for v in top_c])
            b.region("image", photo, role="product")
            ty = photo[3] + size * 0.4 + a
            name = b.text(b.fit(b.source.item_name(), size, card_w - size), x0 + size * 0.5, ty, size,
                          colour=theme["text"], role="heading")
            price_minor = int(b.rng.integers(100, 99999))
            price = kit.fit(b.ctx, b.code, _money(b, price_minor), size, card_w - size, b.font, True)
            p = b.text(price, x0 + size * 0.5, ty + (a + d) * 1.3, size, colour=accent, role="paragraph", bold=True)
            rating = b.text(b.fit(b.sentence(3), small, card_w - size), x0 + size * 0.5, ty + (a + d) * 2.4, small,
                            colour=theme["muted"], role="caption")
            btn = kit.box(x0 + size * 0.5, y + card_h - size * 2.3, x0 + card_w - size * 0.5, y + card_h - size * 0.5)
            label = _button(b, btn, b.fit(b.word(), small, btn[2] - btn[0] - size), small, accent, [255, 255, 255])
            b.block("list-item", [name, p, rating, label])
        y += card_h + gap


def _money(b: Builder, minor: int) -> str:
    from synth.money import format_money

    return format_money(minor, b.money)


def _list(b: Builder, theme: dict[str, Any], accent: list[int], size: float, y: float, bottom: float) -> None:
    pad = size
    small = size * 0.78
    a, d = b.metrics(size)
    row_h = (a + d) * 2.4 + size
    y += size * 0.3
    while y + row_h <= bottom:
        mid = y + row_h / 2
        b.shape("circle", centre=[pad + size * 1.2, mid], radius=size * 1.2,
                colour=[int(v) for v in b.rng.integers(60, 220, 3)])
        b.region("icon", kit.box(pad, mid - size * 1.2, pad + size * 2.4, mid + size * 1.2), shape="avatar")
        x = pad + size * 3.2
        stamp = b.digits(f"{int(b.rng.integers(1, 13))}:{int(b.rng.integers(0, 60)):02d}")
        stamp_w = b.width_of(stamp, small) + pad
        first = b.text(b.fit(b.source.person_name(), size, b.width - x - stamp_w - pad, bold=True), x,
                       y + size * 0.5 + a, size, colour=theme["text"], role="heading", bold=True)
        time_line = b.text(stamp, b.width - pad, y + size * 0.5 + a, small, anchor="right",
                           colour=theme["muted"], role="caption")
        second = b.text(b.fit(b.sentence(10), small, b.width - x - pad), x, y + size * 0.5 + a + (a + d) * 1.25,
                        small, colour=theme["muted"], role="paragraph")
        b.block("list-item", [first, time_line, second])
        b.shape("line", points=[[x, y + row_h], [b.width, y + row_h]], colour=list(theme["line"]))
        y += row_h


def _web(b: Builder, theme: dict[str, Any], accent: list[int], size: float, y: float, bottom: float) -> None:
    pad = size * 1.5
    bar = kit.box(pad, y + size * 0.5, b.width - pad, y + size * 2.5)
    b.shape("round", box=bar, radius=size, colour=list(theme["panel"]))
    b.region("input", bar, role="address-bar")
    url = "www." + b.source.email().split("@")[1] + "/" + "".join(
        chr(97 + int(i)) for i in b.rng.integers(0, 26, int(b.rng.integers(3, 9))))
    b.block("header", [b.text_box(url, [bar[0] + size, *bar[1:]], size * 0.8, colour=theme["muted"], role="header")])
    y = bar[3] + size * 1.2
    head = size * 1.6
    ah, dh = b.metrics(head)
    for text in b.wrap(b.sentence(8), head, b.width - 2 * pad)[:2]:
        y += ah
        b.block("title", [b.text(text, pad, y, head, colour=theme["text"], role="title", bold=True)])
        y += dh + size * 0.3
    a, d = b.metrics(size)
    y += size * 0.6
    while y + (a + d) * 4 < bottom - size * 3:
        indices = []
        for text in b.wrap(b.sentence(30), size, b.width - 2 * pad)[:4]:
            y += a
            indices.append(b.text(text, pad, y, size, colour=theme["text"], role="paragraph"))
            y += d + size * 0.45
        b.block("paragraph", indices)
        y += size * 0.8
    if y + size * 2.6 < bottom:
        label = b.fit(b.word(), size, b.width * 0.4)
        w = b.width_of(label, size, bold=True) + size * 2.5
        _button_index = _button(b, kit.box(pad, y, pad + w, y + size * 2.3), label, size, accent, [255, 255, 255])
        b.block("paragraph", [_button_index])
