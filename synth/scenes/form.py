"""Filled-in form: printed labels, handwritten values on underlines or in boxes.

Values are written by one "writer" per page (a handwriting font where the language has one,
else imitation on the print font, with per-line variation), so a page mixes print and
handwriting the way real filled-in forms do. Every field records the key and the value string
exactly as drawn, with the polygons of both lines.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth import content as fake
from synth.field_labels import labels
from synth.money import choose_digits
from synth.render import sample_background
from synth.rng import child_rng
from synth.scenes import kit, stamp

FIELD_KINDS = ("name", "birth_date", "id_number", "address", "city", "phone", "email", "company", "date")
LAYOUTS = ("underline", "box", "stacked")


def make_content(spec: Any, rng: np.random.Generator, ctx: Any, font: str) -> tuple[fake.Content, dict[str, str]]:
    """Seeded locale content and label texts for a page of `spec.language`."""
    info = ctx.language(spec.language)
    corpus = ctx.text(info.code)
    words = fake.corpus_words(info.code, info.script, "\n".join(corpus.paragraphs))
    can_draw = kit.covers(ctx, info.code, font)
    digits = choose_digits(info.script, rng, can_draw, info.code)
    values = vocabulary_words(ctx, info.code) or words
    source = fake.Content(info.code, info.script, child_rng(rng, "content"), values, can_draw, digits)
    return source, labels(info.code, words, rng)


def vocabulary_words(ctx: Any, code: str, count: int = 8000) -> tuple[str, ...]:
    """The language's most frequent vocabulary words for cell and field values, when the run's
    text mix uses the vocabulary (labels keep the corpus words they always had)."""
    if float(ctx.text_sources(code).get("vocab", 0.0)) <= 0:
        return ()
    from synth.pagetext import language_text

    lt = language_text(ctx, code)
    return lt.words[:count] if lt.vocab_source.startswith("wordfreq") else ()


def value_for(kind: str, source: fake.Content) -> tuple[str, str | None]:
    """(drawn value, ISO date or None) for a field kind."""
    if kind in ("date", "birth_date"):
        years = (1950, 2005) if kind == "birth_date" else (2018, 2027)
        return source.date(*years)
    make = {
        "name": source.person_name, "id_number": source.id_number, "address": source.address,
        "city": source.city, "phone": source.phone, "email": source.email, "company": source.company,
    }[kind]
    return make(), None


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    info = ctx.language(spec.language)
    code, rtl = info.code, info.direction == "rtl"
    width, height = int(spec.width), int(spec.height)
    scale = min(width, height) / 1024
    margin = (spec.margin if spec.margin is not None else float(rng.uniform(0.06, 0.1))) * min(width, height)
    font = ctx.sample_font(rng, code, "form", spec.font_style)
    low, high = spec.font_size or (int(18 * scale) + 1, int(26 * scale) + 2)
    size = int(rng.integers(max(8, low), max(9, high)))
    source, label = make_content(spec, rng, ctx, font)
    paper = sample_background(child_rng(rng, "paper"), width, height, tuple(spec.backgrounds),
                              ruling=kit.pick(rng, ("none", "none", "none", "grid")))
    ink = kit.pick(rng, kit.PRINT_INKS)
    layout = kit.option(spec, "layout", kit.pick(rng, LAYOUTS), LAYOUTS)
    hand_size = size * float(rng.uniform(1.05, 1.35))
    hand_font, hand = kit.hand_for(ctx, rng, code, hand_size)
    hand_ascent, hand_descent = kit.metrics(ctx, code, hand_size, hand_font)
    ascent, descent = kit.metrics(ctx, code, size, font)
    start_x, end_x = (width - margin, margin) if rtl else (margin, width - margin)
    anchor_start = "right" if rtl else "left"
    sign = -1.0 if rtl else 1.0

    lines: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    graphics: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    dates: list[dict[str, str]] = []
    y = margin
    if rng.random() < 0.6:  # issuer in the running header
        header = kit.fit(ctx, code, source.company(), size * 0.8, width - 2 * margin, font)
        y += ascent * 0.8
        lines.append(kit.line_order(header, start_x, y, size * 0.8, anchor=anchor_start, font=font,
                                    colour=ink, role="header"))
        blocks.append({"role": "header", "lines": [len(lines) - 1]})
        y += descent + size * 1.2
    title_size = size * float(rng.uniform(1.5, 2.1))
    t_ascent, t_descent = kit.metrics(ctx, code, title_size, font)
    title = kit.fit(ctx, code, label["form_title"], title_size, width - 2 * margin, font, bold=True)
    y += t_ascent
    lines.append(kit.line_order(title, width / 2, y, title_size, anchor="center", font=font,
                                colour=ink, role="title", bold=True))
    blocks.append({"role": "title", "lines": [len(lines) - 1]})
    y += t_descent + size * float(rng.uniform(1.2, 2.0))
    if rng.random() < 0.5:  # printed instructions from the corpus
        paragraph = kit.paragraph(ctx, code, kit.paragraph_index(rng, ctx, code))
        style = kit.style_for(ctx, code, size * 0.85, font)
        wrapped = ctx.engine.wrap(paragraph, style, width - 2 * margin)[: int(rng.integers(1, 4))]
        first = len(lines)
        for text in wrapped:
            y += ascent * 0.85
            lines.append(kit.line_order(text, start_x, y, size * 0.85, anchor=anchor_start,
                                        font=font, colour=ink, role="paragraph"))
            y += descent * 0.85 + size * 0.45
        blocks.append({"role": "paragraph", "lines": list(range(first, len(lines)))})
        y += size

    count = int(rng.integers(4, len(FIELD_KINDS) + 1))
    kinds = [FIELD_KINDS[i] for i in sorted(rng.choice(len(FIELD_KINDS), count, replace=False))]
    colon = "" if layout == "stacked" or rng.random() < 0.3 else ("：" if info.script in ("Hans", "Hant", "Jpan") else ":")
    keys = [label[k] for k in kinds]
    key_width = max(kit.width_of(ctx, code, k + colon, size, font) for k in keys)
    gap = size * float(rng.uniform(0.6, 1.5))
    if layout == "stacked":
        row_h = ascent + descent + size * 1.1 + hand_ascent + hand_descent
    else:
        row_h = max(ascent, hand_ascent) + hand_descent + size * 0.35
    spare = (height - margin - y) / max(1, count) - row_h  # spread the fields down the page
    row_gap = float(np.clip(spare * rng.uniform(0.5, 1.0), size * 0.9, size * 4.0))
    for n, (kind, key) in enumerate(zip(kinds, keys, strict=True)):
        value, iso = value_for(kind, source)
        if layout == "stacked":
            key_y = y + ascent
            area = (margin, key_y + descent + size * 0.3, width - margin,
                    key_y + descent + size * 0.3 + hand_ascent + hand_descent + size * 0.8)
        else:
            key_y = y + max(ascent, hand_ascent)
            area_x0 = start_x + sign * (key_width + gap)
            area = (min(area_x0, end_x), key_y - hand_ascent - size * 0.35,
                    max(area_x0, end_x), key_y + hand_descent + size * 0.35)
        if y + (area[3] - y) > height - margin:
            break
        key_index = len(lines)
        lines.append(kit.line_order(key + colon, start_x, key_y, size, anchor=anchor_start,
                                    font=font, colour=ink, role="field-key"))
        if layout == "underline":
            line_y = key_y + descent * 0.6 + 2
            graphics.append({"kind": "line", "points": [[area[0], line_y], [area[2], line_y]],
                             "colour": ink, "thickness": 1})
        else:
            graphics.append({"kind": "rect", "box": kit.box(*area), "colour": ink, "thickness": 1})
        pad = hand_size * 0.6
        value = kit.fit(ctx, code, value, hand_size, area[2] - area[0] - 2 * pad, hand_font)
        if kind in ("date", "birth_date") and iso is not None:
            dates.append({"key": key, "text": value, "iso": iso})
        value_y = (area[1] + area[3]) / 2 + (hand_ascent - hand_descent) / 2 if layout != "underline" \
            else key_y - float(rng.uniform(0.0, 0.25)) * hand_size
        value_x = (area[2] - pad if rtl else area[0] + pad) + sign * float(rng.uniform(0, 2)) * pad
        lines.append(kit.line_order(value, value_x, value_y, hand_size, anchor=anchor_start,
                                    font=hand_font, colour=ink, role="field-value",
                                    hand=hand, seed=n + 1))
        fields.append({"key": key, "value": value, "key_line": key_index, "value_line": key_index + 1,
                       "kind": "date" if iso else kind})
        blocks.append({"role": "field", "lines": [key_index, key_index + 1]})
        y = max(area[3], key_y + descent) + row_gap

    record = {
        "scene": spec.scene, "language": code, "width": width, "height": height, "paper": paper,
        "layout": layout, "font": font, "size": size, "graphics": graphics, "lines": lines,
        "blocks": blocks, "fields": fields, "extras": {"dates": dates},
    }
    stamp_record = stamp.sample(rng, width, height)
    if stamp_record is not None:  # only stamped pages carry the key
        record["stamp"] = stamp_record
    return record


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return stamp.apply(kit.apply_layout(record, ctx), record.get("stamp"), ctx)
