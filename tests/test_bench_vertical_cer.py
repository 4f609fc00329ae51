"""bench/vertical_cer.py's scoring: categories of the characters as drawn, and the known-only
CER that drops a character the model cannot output together with what was read in its place."""

from __future__ import annotations

from bench_module import load_bench


def test_truth_classes_follow_the_vertical_runs() -> None:
    bench = load_bench("vertical_cer")
    known = frozenset("第条漢字あ")
    chars = bench.truth("第27条、あっ…Ｘ１", False, known)
    assert [c for c, _ in chars] == list("第27条,あっ…X1")
    assert [cat for _, cat in chars] == [
        "Han", "tate-chu-yoko pair", "tate-chu-yoko pair", "Han", "stops 。、", "kana",
        "small kana", "ellipsis …", "upright Latin", "upright digits"]
    assert bench.truth("第123条", False, known)[1][1] == "sideways Latin/digits/marks"
    assert bench.truth("第3条", False, known)[1][1] == "tate-chu-yoko single"


def test_known_only_drops_the_unknown_character_and_its_stand_in() -> None:
    bench = load_bench("vertical_cer")
    known = frozenset("漢字今日")
    every = bench.score("今日漢鬱字", "今日漢木字", known)
    assert abs(every["cer"] - 0.2) < 1e-9 and every["missed"] == [False, False, False, True, False]
    alone = bench.score("今日漢鬱字", "今日漢木字", known, known_only=True)
    assert alone["cer"] == 0.0 and [c for c, _ in alone["chars"]] == list("今日漢字")
    assert bench.score("今日漢鬱字", "今日字", known, known_only=True)["cer"] == 0.25


def test_known_is_judged_on_the_drawn_character() -> None:
    # chi_tra_vert has '.' but no '…' token: the vertical ellipsis ︙ is a character it cannot
    # output; jpn_vert has '…' and keeps it
    bench = load_bench("vertical_cer")
    without = frozenset("今日漢字.:")
    with_ = without | {"..."}  # `unicharset` keeps tokens NFKC: jpn_vert's '…' is '...'
    alone = bench.score("今日……漢字", "今日::漢字", without, known_only=True)
    assert alone["cer"] == 0.0 and [c for c, _ in alone["chars"]] == list("今日漢字")
    kept = bench.score("今日……漢字", "今日::漢字", with_, known_only=True)
    assert kept["cer"] == 2 / 6  # two drawn ellipses misread: two edits in six characters
    assert bench.drawn_known("１", frozenset("1")) and not bench.drawn_known("〇", without)


def test_truth_counts_over_the_lines_edit_text() -> None:
    # one drawn ellipsis is one truth character, however it is written; periods fold in
    # threes as `edit_text` folds them, ideographic stops never
    bench = load_bench("vertical_cer")
    for text in ("今日…漢", "今日︙漢", "今日......漢.", "今日. . .漢", "今日。。。", "今日‥..",
                 "今日．．．漢"):
        assert "".join(c for c, _ in bench.truth(text, False, frozenset())) \
            == bench.squash(text), text
    missed = bench.score("今日…漢字", "今日漢字", frozenset("今日漢字"))
    assert abs(missed["cer"] - 0.2) < 1e-9 and missed["missed"] == [False, False, True, False,
                                                                    False]
