"""Handwritten note: ruled note paper written on by hand, under a small printed header.

The corpus paragraphs are wrapped to the writing width and each line sits on a ruling line of
the paper record, so baselines and rules agree. One writer per page (a handwriting font where
the language has one, else imitation), varied per line. `extras.paragraphs` names the corpus
paragraphs shown, for translation views.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synth.paper import ruling_baselines
from synth.render import sample_background
from synth.rng import child_rng
from synth.scenes import kit
from synth.scenes.form import make_content


def sample(spec: Any, rng: np.random.Generator, ctx: Any) -> dict[str, Any]:
    info = ctx.language(spec.language)
    code, rtl = info.code, info.direction == "rtl"
    width, height = int(spec.width), int(spec.height)
    scale = min(width, height) / 1024
    margin = (spec.margin if spec.margin is not None else float(rng.uniform(0.06, 0.1))) * min(width, height)
    font = ctx.sample_font(rng, code, "note", spec.font_style or "sans")
    source, label = make_content(spec, rng, ctx, font)
    low, high = spec.font_size or (int(24 * scale) + 1, int(34 * scale) + 2)
    hand_size = float(rng.integers(max(10, low), max(11, high)))
    hand_font, hand = kit.hand_for(ctx, rng, code, hand_size)
    h_ascent, h_descent = kit.metrics(ctx, code, hand_size, hand_font)
    pitch = (h_ascent + h_descent) * float(rng.uniform(1.15, 1.5))
    print_size = hand_size * float(rng.uniform(0.6, 0.8))
    ascent, descent = kit.metrics(ctx, code, print_size, font)
    ink = kit.pick(rng, kit.PRINT_INKS)

    lines: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    start_x, end_x = (width - margin, margin) if rtl else (margin, width - margin)
    anchor = "right" if rtl else "left"
    y = margin * 0.7 + ascent
    title = kit.fit(ctx, code, label["notes_title"], print_size * 1.2, (width - 2 * margin) * 0.5, font, True)
    lines.append(kit.line_order(title, start_x, y, print_size * 1.2, anchor=anchor, font=font,
                                colour=ink, role="title", bold=True))
    blocks.append({"role": "title", "lines": [0]})
    date_text, iso = source.date(2019, 2027)
    key = kit.fit(ctx, code, label["date"] + ":", print_size, (width - 2 * margin) * 0.2, font)
    date_text = kit.fit(ctx, code, date_text, hand_size, (width - 2 * margin) * 0.3, hand_font)
    value_w = kit.width_of(ctx, code, date_text, hand_size, hand_font)
    key_w = kit.width_of(ctx, code, key, print_size, font)
    gap = print_size * 0.6
    if rtl:  # date field at the far (left) end of the header row
        value_x, key_x = margin, margin + value_w + gap + key_w
    else:
        value_x, key_x = width - margin - value_w, width - margin - value_w - gap - key_w
    lines.append(kit.line_order(key, key_x, y, print_size, anchor="left", font=font, colour=ink,
                                role="field-key"))
    lines.append(kit.line_order(date_text, value_x, y, hand_size, anchor="left", font=hand_font,
                                colour=ink, role="field-value", hand=hand, seed=1000))
    fields.append({"key": label["date"], "value": date_text, "key_line": 1, "value_line": 2, "kind": "date"})
    blocks.append({"role": "field", "lines": [1, 2]})

    first_rule = y + descent + pitch * float(rng.uniform(1.3, 2.0))
    paper = sample_background(child_rng(rng, "paper"), width, height, tuple(spec.backgrounds),
                              ruling="ruled", ruling_spacing=pitch)
    paper_record = paper["paper"] if paper.get("kind") == "paper" else None
    if paper_record is not None:
        rule = paper_record["ruling"]
        rule["offset"] = round(first_rule, 2)
        if rule.get("margin_x"):
            rule["margin_x"] = round(width - margin * 0.8, 2) if rtl else round(margin * 0.8, 2)
        baselines = ruling_baselines(paper_record, height)
    else:
        baselines = [float(v) for v in np.arange(first_rule, height, pitch)]
    baselines = [b - h_descent * 0.25 for b in baselines if b < height - margin * 0.6]

    corpus = ctx.text(code)
    text_w = width - 2 * margin - hand_size * 0.8  # slack for slant and wobble
    style = kit.style_for(ctx, code, hand_size, hand_font)
    count = len(corpus.paragraphs)
    first_paragraph = int(rng.integers(1, max(2, count - 3))) if count > 1 else 0
    indent = hand_size * float(rng.uniform(0.0, 2.0))
    slot = 0
    shown: list[dict[str, Any]] = []
    for p in range(first_paragraph, len(corpus.paragraphs)):
        if slot >= len(baselines):
            break
        wrapped = ctx.engine.wrap(kit.paragraph(ctx, code, p), style, text_w - indent)
        first = len(lines)
        for n, text in enumerate(wrapped):
            if slot >= len(baselines):
                break
            x = start_x - (indent if n == 0 else 0) * (-1 if not rtl else 1)
            x += float(rng.uniform(-0.2, 0.2)) * hand_size
            lines.append(kit.line_order(text, x, baselines[slot] - float(rng.uniform(0, 0.12)) * hand_size,
                                        hand_size, anchor=anchor, font=hand_font, colour=ink,
                                        role="paragraph", hand=hand, seed=len(lines)))
            slot += 1
        indices = list(range(first, len(lines)))
        if indices:
            blocks.append({"role": "paragraph", "lines": indices})
            shown.append({"id": corpus.paragraph_ids[p], "line_indices": indices,
                          "complete": len(indices) == len(wrapped)})
        slot += 1 if rng.random() < 0.4 else 0  # sometimes a blank ruled line between paragraphs
    hand_ink = hand["ink"] if hand and hand.get("kind") == "font" else (hand or {}).get("params", {}).get("ink")
    for order in lines:
        if order.get("hand") is not None and hand_ink is not None:
            order["colour"] = list(hand_ink)
    return {
        "scene": spec.scene, "language": code, "width": width, "height": height, "paper": paper,
        "font": font, "hand_font": hand_font, "size": hand_size, "graphics": [], "lines": lines,
        "blocks": blocks, "fields": fields,
        "extras": {"paragraphs": shown, "dates": [{"key": label["date"], "text": date_text, "iso": iso}]},
    }


def apply(record: dict[str, Any], ctx: Any) -> Any:
    return kit.apply_layout(record, ctx)
