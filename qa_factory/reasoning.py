"""Reasoning questions whose answers are computed from values the renderer actually drew.

Each candidate records its computation (operation, operands as drawn, result) so a reviewer or
a judge can check the arithmetic, and the answer keeps the drawn number style (decimal comma,
number of decimals). Candidates are pure functions of the page; views.py picks among them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from qa_factory.formats import format_number, number_style, parse_number
from synth.page import Page

DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%Y年%m月%d日",
)
YES_NO = {"en": ("yes", "no"), "zh": ("是", "否")}


def parse_drawn_date(entry: Any) -> tuple[str, dt.date] | None:
    """(text as drawn, date) from a `page.extras["dates"]` entry: a string or {text, iso}.

    A string that parses under two formats to different dates (03/04/2024) is ambiguous and
    skipped rather than guessed.
    """
    if isinstance(entry, dict):
        text = str(entry.get("text", ""))
        iso = entry.get("iso") or entry.get("date")
        if iso:
            try:
                return text or str(iso), dt.date.fromisoformat(str(iso)[:10])
            except ValueError:
                return None
        entry = text
    text = str(entry).strip()
    found: set[dt.date] = set()
    for fmt in DATE_FORMATS:
        try:
            found.add(dt.datetime.strptime(text, fmt).date())
        except ValueError:
            continue
    return (text, found.pop()) if len(found) == 1 else None


def _amounts(items: list[dict[str, Any]]) -> list[tuple[str, str, Decimal]]:
    out = []
    for item in items:
        amount = str(item.get("amount", ""))
        value = parse_number(amount)
        if value is not None and str(item.get("name", "")).strip():
            out.append((str(item["name"]).strip(), amount, value))
    return out


def reasoning_candidates(page: Page, prompt_language: str = "en") -> list[dict[str, Any]]:
    """Every question this page supports: {kind, values, answer, computation}."""
    yes, no = YES_NO.get(prompt_language, YES_NO["en"])
    extras = page.extras or {}
    out: list[dict[str, Any]] = []
    items = [i for i in extras.get("items", []) if isinstance(i, dict)]
    amounts = _amounts(items)
    if items and len(amounts) == len(items):
        style = number_style(amounts[0][1])
        total = sum((a[2] for a in amounts), Decimal(0))
        operands = [a[1] for a in amounts]
        if len(amounts) >= 2:
            result = format_number(total, style)
            out.append(
                {
                    "kind": "sum",
                    "values": {},
                    "answer": result,
                    "computation": {"op": "sum", "operands": operands, "result": result},
                }
            )
        drawn_total = str(extras.get("total", ""))
        total_value = parse_number(drawn_total)
        if total_value is not None:
            equal = total_value == total
            out.append(
                {
                    "kind": "total_check",
                    "values": {"total": drawn_total},
                    "answer": yes if equal else no,
                    "computation": {
                        "op": "sum_equals_total",
                        "operands": operands,
                        "sum": format_number(total, style),
                        "total": drawn_total,
                        "result": equal,
                    },
                }
            )
        out.append(
            {
                "kind": "count_items",
                "values": {},
                "answer": str(len(items)),
                "computation": {
                    "op": "count",
                    "operands": [a[0] for a in amounts],
                    "result": len(items),
                },
            }
        )
        distinct = {}
        for name, text, value in amounts:
            distinct.setdefault(name, (text, value))
        if len(distinct) >= 2:
            ranked = sorted(distinct.items(), key=lambda kv: kv[1][1], reverse=True)
            (name_a, (text_a, va)), (name_b, (text_b, vb)) = ranked[0], ranked[-1]
            if va != vb:
                result = format_number(va - vb, style)
                out.append(
                    {
                        "kind": "difference",
                        "values": {"a": name_a, "b": name_b},
                        "answer": result,
                        "computation": {
                            "op": "subtract",
                            "operands": [text_a, text_b],
                            "result": result,
                        },
                    }
                )
    dates = [d for d in (parse_drawn_date(e) for e in extras.get("dates", [])) if d]
    distinct_dates = {}
    for text, day in dates:
        distinct_dates.setdefault(day, text)
    if len(distinct_dates) >= 2:
        (day_a, text_a), (day_b, text_b) = list(distinct_dates.items())[:2]
        days = abs((day_b - day_a).days)
        out.append(
            {
                "kind": "date_difference",
                "values": {"a": text_a, "b": text_b},
                "answer": str(days),
                "computation": {
                    "op": "days_between",
                    "operands": [day_a.isoformat(), day_b.isoformat()],
                    "result": days,
                },
            }
        )
        earlier = text_a if day_a < day_b else text_b
        out.append(
            {
                "kind": "date_compare",
                "values": {"a": text_a, "b": text_b},
                "answer": earlier,
                "computation": {
                    "op": "earlier",
                    "operands": [day_a.isoformat(), day_b.isoformat()],
                    "result": earlier,
                },
            }
        )
    if len(page.tables) == 1:
        table = page.tables[0]
        # a header cell spanning two rows makes both header rows, even when no cell starts
        # in the second one (every header cell rowspan 2): count covered rows, not start rows
        covered = {r for c in table.cells for r in range(c.row, c.row + max(1, c.rowspan))}
        header_rows = {
            r for c in table.cells if c.header for r in range(c.row, c.row + max(1, c.rowspan))
        }
        body_rows = covered - header_rows
        if body_rows:
            out.append(
                {
                    "kind": "table_rows",
                    "values": {},
                    "answer": str(len(body_rows)),
                    "computation": {
                        "op": "count_rows",
                        "rows": table.rows,
                        "header_rows": len(header_rows),
                        "result": len(body_rows),
                    },
                }
            )
    return out
