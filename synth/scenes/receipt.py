"""Receipts and cards: narrow printed slips and business/ID cards lying on a surface.

Receipt money is integer minor units until it is drawn: qty x unit price = amount for every
item and the amounts sum to the total, so reasoning questions have exact answers. `extras`
keeps items, total, currency and dates as the strings drawn (plus ISO dates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from synth import content as fake
from synth.money import format_money, money_format
from synth.render import sample_background
from synth.rng import child_rng
from synth.scenes import kit
from synth.scenes.form import make_content

RECEIPT_PAPERS = ((250, 250, 247), (246, 244, 236), (252, 252, 252), (244, 246, 248))
CARD_PAPERS = ((252, 252, 250), (244, 240, 228), (236, 242, 250), (242, 248, 242))
ACCENTS = ((20, 60, 130), (140, 30, 40), (20, 100, 80), (80, 40, 120), (40, 40, 40), (170, 90, 20))


def _surface(rng: np.random.Generator, spec: Any, width: int, height: int) -> dict[str, Any]:
    """The table top under the slip: the page paper record, darkened and tinted."""
    paper = sample_background(child_rng(rng, "paper"), width, height, tuple(spec.backgrounds))
    if paper.get("kind") == "paper" and not paper["paper"].get("background"):
        paper["paper"]["tint"] = [float(v) for v in rng.integers([110, 100, 90], [200, 190, 185])]
        paper["paper"]["ruling"]["kind"] = "none"
    return paper


def _slip(graphics: list[dict[str, Any]], rect: list[float], colour: Any, rng: np.random.Generator) -> None:
    shadow = [int(v) for v in rng.integers(40, 90, 3)]
    off = float(rng.uniform(3, 9))
    graphics.append({"kind": "fill", "box": kit.box(rect[0] + off, rect[1] + off, rect[2] + off, rect[3] + off),
                     "colour": shadow})
    graphics.append({"kind": "fill", "box": kit.box(*rect), "colour": list(colour)})


class _Rows:
    """Appends line orders top to bottom inside a column; keeps the y cursor."""

    def __init__(self, ctx: Any, code: str, font: str, ink: list[int], left: float, right: float,
                 y: float, rtl: bool) -> None:
        self.ctx, self.code, self.font, self.ink = ctx, code, font, ink
        self.left, self.right, self.y, self.rtl = left, right, y, rtl
        self.lines: list[dict[str, Any]] = []
        self.blocks: list[dict[str, Any]] = []

    def row(self, size: float, parts: list[tuple[str, str, str]], gap: float = 0.35,
            bold: bool = False, colour: list[int] | None = None) -> list[int]:
        """One visual row of (text, where, role) parts; where = start | end | center."""
        ascent, descent = kit.metrics(self.ctx, self.code, size, self.font)
        self.y += ascent
        indices = []
        for text, where, role in parts:
            if not text:
                continue
            if where == "center":
                x, anchor = (self.left + self.right) / 2, "center"
            elif (where == "start") != self.rtl:
                x, anchor = self.left, "left"
            else:
                x, anchor = self.right, "right"
            indices.append(len(self.lines))
            self.lines.append(kit.line_order(text, x, self.y, size, anchor=anchor, font=self.font,
                                             colour=colour or self.ink, role=role, bold=bold))
        self.y += descent + size * gap
        return indices

    def fit(self, text: str, size: float, share: float = 1.0, bold: bool = False) -> str:
        return kit.fit(self.ctx, self.code, text, size, (self.right - self.left) * share, self.font, bold)


def _caps(rng: np.random.Generator, ctx: Any, code: str, script: str,
          font: str) -> Callable[[str], str]:
    """Half of the receipts of cased scripts print names, items and keys in capitals (as
    thermal till rolls do); a capital the fonts lack keeps its text as it was."""
    from synth.textsynth import CASED_SCRIPTS, upper

    if script not in CASED_SCRIPTS or rng.random() >= 0.5:
        return lambda text: text
    can_draw = kit.covers(ctx, code, font)

    def up(text: str) -> str:
        capital = upper(text, code)
        return capital if can_draw(capital) else text

    return up


def sample_receipt(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    info = ctx.language(spec.language)
    code, rtl = info.code, info.direction == "rtl"
    width, height = int(spec.width), int(spec.height)
    scale = min(width, height) / 1024
    font = ctx.sample_font(rng, code, "receipt", spec.font_style)
    source, label = make_content(spec, rng, ctx, font)
    money = money_format(code, info.script, rng, source.digits)
    up = _caps(rng, ctx, code, info.script, font)  # till rolls print in capitals
    paper = _surface(rng, spec, width, height)
    ink = kit.pick(rng, kit.PRINT_INKS)
    low, high = spec.font_size or (int(17 * scale) + 1, int(24 * scale) + 2)
    size = float(rng.integers(max(8, low), max(9, high)))
    slip_w = float(rng.uniform(0.42, 0.62)) * width
    slip_x = (width - slip_w) / 2 + float(rng.uniform(-0.08, 0.08)) * width
    slip_y = float(rng.uniform(0.02, 0.06)) * height
    pad = size * float(rng.uniform(0.9, 1.6))
    rows = _Rows(ctx, code, font, ink, slip_x + pad, slip_x + slip_w - pad, slip_y + pad, rtl)
    graphics: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    dashes: list[float] = []

    def separator() -> None:
        dashes.append(rows.y)
        rows.y += size * 0.6

    def key_value(key: str, value: str, role_key: str, role_value: str, kind: str, bold: bool = False) -> None:
        key = rows.fit(up(key), size, 0.45, bold)
        value = rows.fit(value, size, 0.5, bold)
        k, v = rows.row(size, [(key, "start", role_key), (value, "end", role_value)], bold=bold)
        fields.append({"key": key, "value": value, "key_line": k, "value_line": v, "kind": kind})
        rows.blocks.append({"role": "field", "lines": [k, v]})

    store = rows.fit(up(source.company()), size * 1.3, bold=True)
    rows.blocks.append({"role": "title", "lines": rows.row(size * 1.3, [(store, "center", "title")], bold=True)})
    address = [rows.fit(up(source.address()), size * 0.9)]
    if rng.random() < 0.6:
        address.append(rows.fit(source.phone(), size * 0.9))
    first = len(rows.lines)
    for text in address:
        rows.row(size * 0.9, [(text, "center", "paragraph")], gap=0.2)
    rows.blocks.append({"role": "paragraph", "lines": list(range(first, len(rows.lines)))})
    rows.y += size * 0.5
    separator()
    date_text, iso = source.date(2019, 2027)
    key_value(label["date"], date_text, "field-key", "field-value", "date")
    if rng.random() < 0.6:
        key_value(label["receipt"], source.number(str(int(rng.integers(1000, 999999)))),
                  "field-key", "field-value", "id")
    separator()
    two_line = rng.random() < 0.6
    items: list[dict[str, str]] = []
    total = 0
    n_items = kit.option(spec, "items", int(rng.integers(2, 13)), bounds=(1, 40))
    ascent, descent = kit.metrics(ctx, code, size, font)
    row_h = ascent + descent + size * 0.35
    item_h = row_h * (2 if two_line else 1)
    footer_h = 4 * row_h + 1.8 * size + pad  # separator, total, tax, gap, thanks, margin
    for n in range(n_items):
        if n and rows.y + item_h + footer_h > height - slip_y * 0.5:
            break  # keep the total and the thanks line on the page
        qty = int(rng.choice([1, 1, 1, 2, 2, 3, 4, 6])) if two_line else 1
        unit = int(rng.integers(50, 3000)) * (1 if money["decimals"] else 10)  # minor units
        amount = qty * unit
        total += amount
        name = rows.fit(up(source.item_name()), size, 0.6)
        amount_text = format_money(amount, money, with_symbol=False)
        unit_text = format_money(unit, money, with_symbol=False)
        first = len(rows.lines)
        if two_line:
            rows.row(size, [(name, "start", "item")], gap=0.1)
            qty_text = f"{source.number(str(qty))} × {unit_text}"
            rows.row(size, [(qty_text, "start", "item"), (amount_text, "end", "item")])
        else:
            rows.row(size, [(name, "start", "item"), (amount_text, "end", "item")])
        rows.blocks.append({"role": "item", "lines": list(range(first, len(rows.lines)))})
        items.append({"name": name, "qty": source.number(str(qty)), "unit_price": unit_text,
                      "amount": amount_text})
    separator()
    total_text = format_money(total, money)
    key_value(label["total"], total_text, "total", "total", "total", bold=True)
    if rng.random() < 0.5:  # VAT included in the total, informational
        rate = int(rng.choice([5, 7, 10, 18, 20]))
        tax = int(round(total * rate / (100 + rate)))
        key_value(f"{label['tax']} {source.number(str(rate))}%", format_money(tax, money, False),
                  "field-key", "field-value", "tax")
    rows.y += size * 0.6
    rows.blocks.append({"role": "note", "lines": rows.row(size, [(rows.fit(label["thanks"], size), "center", "note")])})
    bars: list[dict[str, Any]] = []
    if rng.random() < 0.4 and rows.y + size * 3 + pad < height:  # a barcode under the text
        x, bar_top = (rows.left + rows.right) / 2 - (rows.right - rows.left) * 0.3, rows.y + size * 0.4
        end = x + (rows.right - rows.left) * 0.6
        while x < end:
            bar = float(rng.integers(1, 4)) * max(1.0, size / 14)
            bars.append({"kind": "fill", "box": kit.box(x, bar_top, x + bar - 0.5, bar_top + size * 2),
                         "colour": ink})
            x += bar + float(rng.integers(1, 4)) * max(1.0, size / 14)
        rows.y = bar_top + size * 2
    slip_h = rows.y + pad - slip_y
    _slip(graphics, [slip_x, slip_y, slip_x + slip_w, slip_y + slip_h], kit.pick(rng, RECEIPT_PAPERS), rng)
    graphics.extend(bars)
    for y in dashes:
        graphics.append({"kind": "dashes", "points": [[rows.left, y], [rows.right, y]], "colour": ink,
                         "step": size * 0.5})
    return {
        "scene": spec.scene, "language": code, "width": width, "height": height, "paper": paper,
        "font": font, "size": size, "graphics": graphics, "lines": rows.lines, "blocks": rows.blocks,
        "fields": fields, "money": money,
        "extras": {"items": items, "total": total_text, "currency": money["code"],
                   "dates": [{"key": label["date"], "text": date_text, "iso": iso}]},
    }


def _card_content(rng: np.random.Generator, ctx: Any, code: str, kind: str, source: fake.Content,
                  label: dict[str, str]) -> dict[str, Any]:
    """Everything a card says, drawn before layout so a shrink-to-fit retry draws nothing."""
    if kind == "id":
        birth, birth_iso = source.date(1950, 2006)
        expiry, expiry_iso = source.date(2026, 2036)
        hand_font, hand = kit.hand_for(ctx, rng, code, 20.0)
        return {
            "title": source.company(),
            "fields": [("name", source.person_name(), None), ("birth_date", birth, birth_iso),
                       ("id_number", source.id_number(), None), ("expiry", expiry, expiry_iso)],
            "hand_font": hand_font, "hand": hand,
        }
    return {
        "title": source.company(), "name": source.person_name(), "role": source.word(),
        "fields": [("phone", source.phone(), None), ("email", source.email(), None),
                   ("address", source.address(), None)],
    }


def _card_layout(ctx: Any, code: str, rtl: bool, kind: str, font: str, ink: list[int],
                 accent: list[int], label: dict[str, str], card: list[float], band_h: float,
                 size: float, said: dict[str, Any], photo_colour: list[int]) -> tuple[_Rows, list, list, list]:
    """Lay a card's content out at one font size; returns rows and the fields, dates, graphics."""
    x0, y0, x1, y1 = card
    card_w, card_h = x1 - x0, y1 - y0
    pad = card_h * 0.07
    left, right = x0 + pad, x1 - pad
    graphics: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    dates: list[dict[str, str]] = []
    rows = _Rows(ctx, code, font, ink, left, right, y0 + pad * 0.6, rtl)
    title_size = size * 1.3
    title = rows.fit(said["title"], title_size, bold=True)
    if band_h:
        t_ascent, t_descent = kit.metrics(ctx, code, title_size, font)
        rows.y = y0 + (band_h - t_ascent - t_descent) / 2
        idx = rows.row(title_size, [(title, "start", "title")], bold=True, colour=[250, 250, 250])
        rows.y = y0 + band_h + pad * 0.6
    else:
        idx = rows.row(title_size, [(title, "start", "title")], bold=True, colour=accent)
    rows.blocks.append({"role": "title", "lines": idx})

    def key_value(kind_: str, value: str, iso: str | None) -> None:
        key = label[kind_]
        key_size = size * 0.75
        if kind == "id":  # small key above the value, like ID cards
            k = rows.row(key_size, [(rows.fit(key, key_size), "start", "field-key")], gap=0.1,
                         colour=accent)
            value = rows.fit(value, size, bold=True)
            v = rows.row(size, [(value, "start", "field-value")], gap=0.3, bold=True)
        else:  # key and value share one baseline, values aligned in a column
            k_text = rows.fit(key + ":", key_size, 0.3)
            digits = sum(c.isdigit() for c in value) * 2 >= len(value)
            value_font = said.get("number_font", font) if digits else font  # phone, numbers
            value = kit.fit(ctx, code, value, size, (rows.right - rows.left) * 0.65, value_font)
            ascent, descent = kit.metrics(ctx, code, size, font)
            baseline = rows.y + ascent
            value_x = rows.right - (right - left) * 0.32 if rtl else rows.left + (right - left) * 0.32
            k = [len(rows.lines)]
            rows.lines.append(kit.line_order(k_text, rows.right if rtl else rows.left, baseline,
                                             key_size, anchor="right" if rtl else "left",
                                             font=font, colour=accent, role="field-key"))
            v = [len(rows.lines)]
            rows.lines.append(kit.line_order(value, value_x, baseline, size,
                                             anchor="right" if rtl else "left", font=value_font,
                                             colour=ink, role="field-value"))
            rows.y = baseline + descent + size * 0.35
        fields.append({"key": key, "value": value, "key_line": k[0], "value_line": v[0],
                       "kind": "date" if iso else kind_})
        rows.blocks.append({"role": "field", "lines": [k[0], v[0]]})
        if iso:
            dates.append({"key": key, "text": value, "iso": iso})

    if kind == "id":
        photo_w = card_w * 0.24
        photo = [x0 + pad, rows.y, x0 + pad + photo_w, min(rows.y + photo_w * 1.25, y1 - pad)]
        if rtl:
            photo[0], photo[2] = x1 - pad - photo_w, x1 - pad
        graphics.append({"kind": "fill", "box": kit.box(*photo), "colour": photo_colour})
        graphics.append({"kind": "rect", "box": kit.box(*photo), "colour": accent, "thickness": 1})
        if rtl:
            rows.right = photo[0] - pad
        else:
            rows.left = photo[2] + pad
        for kind_, value, iso in said["fields"]:
            key_value(kind_, value, iso)
        sig_size = size * 1.2
        sig_ascent, sig_descent = kit.metrics(ctx, code, sig_size, said["hand_font"])
        if rows.y + sig_ascent + sig_descent < y1 - pad * 0.5:  # signature under the fields
            sig = rows.fit(fields[0]["value"], sig_size, 0.8)
            rows.y += sig_ascent
            rows.lines.append(kit.line_order(sig, rows.right if rtl else rows.left, rows.y, sig_size,
                                             anchor="right" if rtl else "left", font=said["hand_font"],
                                             colour=[20, 30, 110], role="note", hand=said["hand"], seed=7))
            rows.blocks.append({"role": "note", "lines": [len(rows.lines) - 1]})
            rows.y += sig_descent
    else:
        name_size = size * 1.25
        rows.y += size * 0.4
        rows.blocks.append({"role": "heading", "lines": rows.row(
            name_size, [(rows.fit(said["name"], name_size, bold=True), "start", "heading")],
            bold=True, gap=0.15)})
        rows.blocks.append({"role": "paragraph", "lines": rows.row(
            size * 0.85, [(rows.fit(said["role"], size * 0.85), "start", "paragraph")], gap=0.8)})
        for kind_, value, iso in said["fields"]:
            key_value(kind_, value, iso)
    return rows, fields, dates, graphics


def sample_card(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    info = ctx.language(spec.language)
    code, rtl = info.code, info.direction == "rtl"
    width, height = int(spec.width), int(spec.height)
    font = ctx.sample_font(rng, code, "card-name", spec.font_style)
    source, label = make_content(spec, rng, ctx, font)
    paper = _surface(rng, spec, width, height)
    ink = kit.pick(rng, kit.PRINT_INKS)
    accent = kit.pick(rng, ACCENTS)
    kind = kit.option(spec, "kind", kit.pick(rng, ("business", "id")), ("business", "id"))
    card_w = float(rng.uniform(0.7, 0.9)) * width
    card_h = card_w / 1.586
    x0 = (width - card_w) / 2 + float(rng.uniform(-0.04, 0.04)) * width
    y0 = float(rng.uniform(0.1, max(0.11, 0.9 - card_h / height))) * height
    card = [x0, y0, x0 + card_w, y0 + card_h]
    size = card_h / float(rng.uniform(14, 19))
    graphics: list[dict[str, Any]] = []
    _slip(graphics, card, kit.pick(rng, CARD_PAPERS), rng)
    band_h = card_h * 0.2 if kind == "id" or rng.random() < 0.4 else 0.0
    if band_h:
        graphics.append({"kind": "fill", "box": kit.box(x0, y0, x0 + card_w, y0 + band_h), "colour": accent})
    said = _card_content(rng, ctx, code, kind, source, label)
    said["number_font"] = ctx.sample_font(rng, code, "card-number", spec.font_style)
    photo_colour = [int(v) for v in rng.integers(170, 215, 3)]
    for _ in range(6):  # tall scripts (Myanmar, Tibetan) need a smaller size to fit the card
        rows, fields, dates, more = _card_layout(ctx, code, rtl, kind, font, ink, accent, label, card,
                                                 band_h, size, said, photo_colour)
        if rows.y <= y0 + card_h - card_h * 0.03:
            break
        size *= 0.88
    return {
        "scene": spec.scene, "language": code, "width": width, "height": height, "paper": paper,
        "kind": kind, "font": font, "size": round(size, 2), "graphics": graphics + more,
        "lines": rows.lines, "blocks": rows.blocks, "fields": fields, "extras": {"dates": dates},
    }


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    """Receipt or card, by the spec's scene name."""
    return sample_card(spec, rng, ctx) if spec.scene == "card" else sample_receipt(spec, rng, ctx)


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return kit.apply_layout(record, ctx)
