"""Answer formats, parsers and text metrics of qa_factory (pure functions, no engines)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from qa_factory.formats import (
    ParsedCell,
    cells_to_grid,
    format_number,
    format_spotting,
    format_spotting_json,
    markdown_to_text,
    normalised_box,
    number_style,
    parse_html_table,
    parse_json_answer,
    parse_number,
    parse_spotting,
    parse_spotting_json,
    table_html,
)
from qa_factory.prompts import canonical_prompt, load_prompts, task_of_prompt
from qa_factory.textmetrics import (
    levenshtein,
    match_spotting,
    normalise_text,
    normalised_edit_distance,
)


def _dp_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[:], i
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
    return row[-1]


def test_levenshtein_equals_dynamic_programming_on_random_strings() -> None:
    rng = np.random.Generator(np.random.PCG64(7))
    alphabet = list("abcاب中 ")
    for _ in range(400):
        a = "".join(rng.choice(alphabet, int(rng.integers(0, 90))))
        b = "".join(rng.choice(alphabet, int(rng.integers(0, 90))))
        assert levenshtein(a, b) == _dp_distance(a, b)


def test_normalisation_is_nfkc_and_whitespace_folded() -> None:
    assert normalise_text("  ﬁne\u00a0 \n text ") == "fine text"
    assert normalised_edit_distance("ＡＢＣ", "ABC") == 0.0
    assert normalised_edit_distance("abcd", "abxd") == pytest.approx(0.25)


def test_normalisation_drops_invisible_marks_and_folds_typographic_variants() -> None:
    # Tesseract's bidi marks around Latin in an RTL line; ZWNJ where no glyph changes
    assert normalise_text("\u05d0\u05d1 \u200eUDHR\u200f 1948") == "\u05d0\u05d1 UDHR 1948"
    assert normalise_text("\u0995\u09be\u200c\u0989") == "\u0995\u09be\u0989"
    # dash lengths, minus, curly quotes and CJK angle brackets read as their ASCII forms
    assert normalise_text("\u2013 229 \u2014 \u2212\u20101") == "- 229 - --1"
    assert normalise_text("\u3008\u524d\u6587\u3009 \u201cit\u2019s\u201d") == '<\u524d\u6587> "it\'s"'
    # distinct marks stay distinct: guillemets, double CJK brackets, a hyphen is not a space
    assert normalise_text("\u00abx\u00bb \u300ay\u300b") == "\u00abx\u00bb \u300ay\u300b"
    assert normalised_edit_distance("a-b", "a b") > 0.0
    assert normalised_edit_distance("\u0924\u093f", "\u25cc\u093f") > 0.0  # a letter is no circle
    assert normalise_text("\u25cc\u093f") == "\u093f"


def test_spotting_round_trip_and_tolerant_parse() -> None:
    items = [("Hello world", [10, 20, 300, 40]), ("مرحبا", [0, 50, 1000, 80])]
    assert parse_spotting(format_spotting(items)) == items
    assert parse_spotting_json(format_spotting_json(items)) == items
    loose = "<ref>Hi</ref> <quad>( 1 , 2 ), (3,4)</quad>"
    assert parse_spotting(loose) == [("Hi", [1, 2, 3, 4])]
    fenced = '```json\n[{"bbox": [1.4, 2, 3, 4], "text": "x"}]\n```'
    assert parse_spotting_json(fenced) == [("x", [1, 2, 3, 4])]


def test_normalised_box_scales_and_clamps() -> None:
    poly = [[-5.0, 10.0], [205.0, 10.0], [205.0, 60.0], [-5.0, 60.0]]
    assert normalised_box(poly, 200, 100) == [0, 100, 1000, 600]


def test_html_table_spans_resolve_to_grid_positions() -> None:
    cells = [
        ParsedCell(0, 0, "A", header=True),
        ParsedCell(0, 1, "B & C", colspan=2, header=True),
        ParsedCell(1, 0, "x", rowspan=2),
        ParsedCell(1, 1, "1"),
        ParsedCell(1, 2, "2"),
        ParsedCell(2, 1, "3"),
        ParsedCell(2, 2, "4"),
    ]
    html = table_html(cells)
    parsed = parse_html_table(html)
    assert [(c.row, c.col, c.text, c.rowspan, c.colspan, c.header) for c in parsed] == [
        (c.row, c.col, c.text, c.rowspan, c.colspan, c.header) for c in cells
    ]
    assert cells_to_grid(parsed) == [["A", "B & C", ""], ["x", "1", "2"], ["", "3", "4"]]


def test_json_answer_found_inside_prose() -> None:
    assert parse_json_answer('Sure! {"Name": "Ana"} hope it helps') == {"Name": "Ana"}
    assert parse_json_answer("no json here") is None


@pytest.mark.parametrize(
    "text,value",
    [
        ("22.75", Decimal("22.75")),
        ("1,234.50 EUR", Decimal("1234.50")),
        ("1.234,50 €", Decimal("1234.50")),
        ("12,5", Decimal("12.5")),
        ("1 234,5", Decimal("1234.5")),
        ("-7", Decimal("-7")),
        ("1,234", Decimal("1234")),
    ],
)
def test_parse_number_reads_drawn_styles(text: str, value: Decimal) -> None:
    assert parse_number(text) == value


def test_number_style_keeps_decimal_comma_and_places() -> None:
    style = number_style("12,50")
    assert (style.decimal_mark, style.decimals, style.group_mark) == (",", 2, "")
    assert format_number(Decimal("3.5"), style) == "3,50"
    assert format_number(Decimal("12345.5"), number_style("1.234,50 €")) == "12.345,50"
    assert format_number(Decimal("-1234"), number_style("1,000.00")) == "-1,234.00"


def test_numbers_in_other_digit_systems() -> None:
    assert parse_number("٥٨٫٢١ ر.س") == Decimal("58.21")  # Arabic-Indic digits, Arabic decimal mark
    assert parse_number("१२.५०") == Decimal("12.50")
    style = number_style("٢٨٫٠٣")
    assert format_number(Decimal("57.44"), style) == "٥٧٫٤٤"
    assert parse_number(format_number(Decimal("57.44"), style)) == Decimal("57.44")


def test_markdown_to_text_drops_markup() -> None:
    md = "# Title\n\n- item one\n\n<table><tr><td>a</td><td>b</td></tr></table>"
    assert normalise_text(markdown_to_text(md)) == "Title item one a b"


def test_spotting_match_groups_split_lines() -> None:
    reference = [("Name:", [0, 0, 100, 20]), ("Ana", [150, 0, 200, 20]), ("Far", [0, 500, 90, 520])]
    hypothesis = [("Name: Ana", [0, 0, 200, 20]), ("ghost", [0, 900, 50, 920])]
    score, matches = match_spotting(reference, hypothesis)
    # the first two reference lines match one reader line; "Far" is missed, "ghost" invented
    assert matches == [{"ref": [0, 1], "hyp": [0], "similarity": 1.0}]
    assert score == pytest.approx(2 / 4)
    assert match_spotting(reference, reference)[0] == 1.0


def test_prompts_have_both_languages_and_hunyuan_phrasings_first() -> None:
    prompts = load_prompts()
    for task, by_language in prompts.items():
        if task == "language_names":
            continue
        assert by_language["en"] and by_language["zh"], task
    assert canonical_prompt("spotting") == (
        "Detect and recognize text in the image, and output the text coordinates in a "
        "formatted manner."
    )
    assert canonical_prompt("spotting", "zh") == "检测并识别图片中的文字，将文本坐标格式化输出。"
    assert canonical_prompt("table_html") == "Parse the table in the image into HTML."
    assert canonical_prompt("text") == "Extract the text in the image."
    assert canonical_prompt("extraction_key", key="Date") == "Output the value of Date."
    assert task_of_prompt("Output the value of Total.") == "extraction_key"
    assert task_of_prompt(canonical_prompt("parsing", "zh")) == "parsing"


def test_axis_box_of_a_point_list_is_the_array_box() -> None:
    """Label polygons are boxed without an array (the views' hot path): the very floats the
    array path gives, for ints, floats, numpy scalars and infinities; NaN stays NaN."""
    import math

    import numpy as np

    from synth.geometry import axis_box

    polygons = [[[1, 2], [3, -4.5], [0.1, 7]], [(np.float32(0.3), 2.0), (5, np.float64(-1e-9))],
                [[float("inf"), 1.0], [float("-inf"), 2.0]]]
    for poly in polygons:
        assert axis_box(poly) == axis_box(np.asarray(poly, dtype=np.float64))
    assert math.isnan(axis_box([[float("nan"), 1.0], [2.0, 3.0]])[0])
