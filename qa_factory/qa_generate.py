"""QA generator: a VLM proposes question–answer pairs about a page; the label tree disposes.

The endpoint (any OpenAI-compatible chat-completions server, through the OpenAI judge's client:
total deadlines, retries honouring Retry-After, the key only in the Authorization header) gets
the page image and the page's label tree as text, and is asked for JSON pairs. A pair is kept
only when the label tree confirms its answer:
- `drawn_text`: the answer is drawn text (compared per script as `comparable_text` does:
  '第一 184' = '第一184'), a whole line or a run of whole words of one line (or of characters,
  in scripts written without spaces);
- `drawn_value`: a number equal to a number drawn on the page;
- `sum_of_values`: a number equal to the sum of two drawn numbers, or of all the numbers of
  the lines of one role (receipt items), or of one table column;
- `count`: a whole number equal to how many lines of one role, table rows or fields there are.
Where other judges are given, the lines the answer was found in are read by them too, and a
drawn-text or drawn-value pair is kept only when every judge that can read those lines reads
the answer there (`judges` in the pair's meta; none available is recorded as such).
Kept pairs become tasks `qa_generated` with meta {model, check, lines, judges}.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from qa_factory.formats import ascii_digits, parse_number
from qa_factory.judges import JudgeFailure, JudgeProtocol
from qa_factory.judges.crop_prep import line_crop
from qa_factory.judging import line_view
from qa_factory.textmetrics import comparable_text
from synth.page import Page

TASK = "qa_generated"
MAX_PAIRS = 50
PROMPT = (
    "This is a page image and its label tree: every line of text drawn on it, in reading "
    "order, as [index] (role) text, then its fields and tables.\n\n{tree}\n\n"
    "Write {n} question-answer pairs about this page. Each answer must be text drawn on the "
    "page, a number drawn on it, or a count or sum computed from drawn numbers. Reply with "
    'JSON only: [{{"question": "...", "answer": "..."}}, ...]'
)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_WORD_EDGE = re.compile(r"\w")


def label_tree_text(page: Page, max_lines: int = 400) -> str:
    """The label tree as the prompt shows it: lines (index, role, text), fields, tables."""
    out = [
        f"[{i}] ({ln.role or 'text'}) {ln.text.strip()}"
        for i, ln in enumerate(page.lines[:max_lines])
        if ln.text.strip()
    ]
    out += [f"field: {f.key} = {f.value}" for f in page.fields]
    for t, table in enumerate(page.tables):
        rows = {c.row for c in table.cells}
        out.append(f"table {t}: {len(rows)} rows")
    return "\n".join(out)


def prompt_for(page: Page, pairs: int) -> str:
    return PROMPT.format(tree=label_tree_text(page), n=pairs)


def parse_pairs(reply: str) -> list[tuple[str, str]] | None:
    """(question, answer) pairs of a reply: a JSON list (fenced or not) of objects with
    string-able question and answer; None when the reply is not that at all."""
    text = reply.strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    if not text.startswith("["):
        start, end = text.find("["), text.rfind("]")
        text = text[start : end + 1] if 0 <= start < end else text
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        data = data.get("pairs", data.get("qa"))
    if not isinstance(data, list):
        return None
    pairs = []
    for item in data:
        if isinstance(item, Mapping) and "question" in item and "answer" in item:
            question, answer = str(item["question"]).strip(), str(item["answer"]).strip()
            if question and answer:
                pairs.append((question, answer))
    return pairs


def _in_line(answer: str, line: str) -> bool:
    """`answer` is the line, or a run of whole words of it (of characters in unspaced text)."""
    if not answer or not line:
        return False
    if answer == line:
        return True
    at = line.find(answer)
    while at >= 0:
        before = line[at - 1] if at > 0 else " "
        after = line[at + len(answer)] if at + len(answer) < len(line) else " "
        spaced = " " in line
        if not spaced or (not _WORD_EDGE.match(before) and not _WORD_EDGE.match(after)):
            return True
        at = line.find(answer, at + 1)
    return False


def drawn_numbers(page: Page) -> list[tuple[Decimal, int]]:
    """(value, line index) of every number drawn on the page, as `parse_number` reads it."""
    found = []
    for i, line in enumerate(page.lines):
        text = ascii_digits(line.text)
        for match in re.finditer(r"[-+−]?\d[\d.,'\u00a0\u202f]*\d|\d", text):
            value = parse_number(match.group(0))
            if value is not None:
                found.append((value, i))
    return found


def _groups(page: Page, numbers: list[tuple[Decimal, int]]) -> dict[str, list[Decimal]]:
    """Values that a 'sum of all X' question can add up: per line role, per table column."""
    groups: dict[str, list[Decimal]] = {}
    for value, i in numbers:
        role = page.lines[i].role or "text"
        if role in ("item", "total", "table-cell", "field-value", "price"):
            groups.setdefault(f"role:{role}", []).append(value)
    for t, table in enumerate(page.tables):
        for cell in table.cells:
            value = parse_number(ascii_digits(cell.text or ""))
            if value is not None:
                groups.setdefault(f"table:{t}:col:{cell.col}", []).append(value)
    return groups


def _counts(page: Page) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in page.lines:
        if line.text.strip():
            role = line.role or "text"
            counts[f"lines:{role}"] = counts.get(f"lines:{role}", 0) + 1
    for t, table in enumerate(page.tables):
        counts[f"table:{t}:rows"] = len({c.row for c in table.cells})
    if page.fields:
        counts["fields"] = len(page.fields)
    return counts


Want = tuple[int, str | Decimal]  # (line index, text or value a judge must read there)


def confirm_in_tree(page: Page, answer: str) -> tuple[str, list[Want], bool] | None:
    """(check that passed, what judges must read where, whether all of it) when the label
    tree confirms `answer`; None when it does not."""
    wanted = comparable_text(answer).casefold().strip(" .。")
    if len(wanted) < 2 and not wanted.isdigit():
        return None
    lines = [i for i, ln in enumerate(page.lines)
             if _in_line(wanted, comparable_text(ln.text).casefold())]
    value = parse_number(answer) if re.fullmatch(r"[-+−]?[\d.,'\s]+", ascii_digits(wanted)) else None
    if value is None:
        return ("drawn_text", [(i, wanted) for i in lines], False) if lines else None
    numbers = drawn_numbers(page)
    same = sorted({i for v, i in numbers if v == value} | set(lines))
    if same:
        return "drawn_value", [(i, value) for i in same], False
    for (a, i), (b, j) in itertools.combinations(numbers, 2):
        if a + b == value:
            return "sum_of_values", [(i, a), (j, b)], True
    for name, values in _groups(page, numbers).items():
        if len(values) > 1 and sum(values) == value:
            return f"sum_of_values:{name}", [], True
    if value == value.to_integral_value():
        for name, count in _counts(page).items():
            if count == int(value):
                return f"count:{name}", [], True
    return None


def _reads(reading: str, want: str | Decimal) -> bool:
    if isinstance(want, Decimal):
        return any(parse_number(m.group(0)) == want
                   for m in re.finditer(r"[-+−]?\d[\d.,'\u00a0\u202f]*\d|\d",
                                        ascii_digits(reading)))
    return _in_line(want, comparable_text(reading).casefold())


def confirm_by_judges(
    page: Page, wants: Sequence[Want], need_all: bool, judges: Sequence[JudgeProtocol]
) -> dict[str, bool]:
    """Per judge that can read the lines: whether it reads the wanted text or value there
    (in one of the lines, or with `need_all` in every one: each summand of a sum)."""
    verdicts: dict[str, bool] = {}
    for judge in judges:
        asked = []
        for i, want in wants[:4]:
            line, view = page.lines[i], line_view(page, i)
            if line.polygon and judge.supports(view):
                asked.append((line_crop(page.image, line.polygon, line.direction), view, want))
        if not asked or (need_all and len(asked) < len(wants)):
            continue
        readings = judge.answer_batch([(image, view) for image, view, _ in asked])
        hits = [not isinstance(r, JudgeFailure) and _reads(str(r), want)
                for r, (_, _, want) in zip(readings, asked, strict=True)]
        verdicts[judge.name] = all(hits) if need_all else any(hits)
    return verdicts


def confirmed_tasks(
    page: Page, pairs: Sequence[tuple[str, str]], model: str,
    judges: Sequence[JudgeProtocol] = (),
) -> tuple[list[dict[str, str]], int]:
    """(task dicts of the kept pairs, how many were dropped)."""
    kept, seen = [], set()
    for question, answer in pairs:
        found = confirm_in_tree(page, answer)
        if found is None or (question, answer) in seen:
            continue
        check, wants, need_all = found
        verdicts = confirm_by_judges(page, wants, need_all, judges) if wants else {}
        if verdicts and not all(verdicts.values()):
            continue
        seen.add((question, answer))
        meta = {"model": model, "check": check, "lines": sorted({i for i, _ in wants}),
                "judges": verdicts or "none available"}
        kept.append({"task": TASK, "prompt": question, "answer": answer,
                     "meta": json.dumps(meta, ensure_ascii=False, sort_keys=True)})
    return kept, len(pairs) - len(kept)
