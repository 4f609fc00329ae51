"""An ellipsis drawn as one character counts as one character in every distance
(`qa_factory.textmetrics.edit_text`): NFKC writes '…' as '...', which made a reader that missed
one drawn '…' three errors, and a reader that wrote '…' for a drawn '⋯' one."""

from __future__ import annotations

import pytest

from qa_factory.textmetrics import (
    bag_similarity,
    character_error_rate,
    comparable_text,
    edit_text,
    normalise_text,
    normalised_edit_distance,
)


def test_a_missed_ellipsis_is_one_error() -> None:
    # 7 drawn characters, the ellipsis not read: 1 edit in 7, not 3 in 9
    assert normalised_edit_distance("人人生而自由…", "人人生而自由") == pytest.approx(1 / 7)
    assert normalised_edit_distance("人人生而自由︙", "人人生而自由") == pytest.approx(1 / 7)
    assert character_error_rate("人人生而自由…", "人人生而自由") == pytest.approx(1 / 7)
    assert character_error_rate("a‥b", "ab") == pytest.approx(1 / 3)


def test_every_way_to_write_one_ellipsis_compares_equal() -> None:
    forms = ["自由…", "自由︙", "自由...", "自由⋯", "自由⋮", "自由 ..."]
    assert {edit_text(f) for f in forms} == {"自由…"}
    assert all(normalised_edit_distance("自由…", f) == 0.0 for f in forms)
    assert edit_text("自由‥") == edit_text("自由︰") == edit_text("自由..") == "自由‥"
    # the two-character Chinese ellipsis is two characters, however a reader writes it
    assert edit_text("自由……") == edit_text("自由⋯⋯") == edit_text("自由......") == "自由……"
    assert normalised_edit_distance("自由……", "自由…") == pytest.approx(1 / 4)


def test_other_dots_stay_what_they_are() -> None:
    # ideographic stops are one mark each, a lone period stays a period
    assert edit_text("好。。。") == "好..."
    assert edit_text("a.b") == "a.b" and edit_text("3.14") == "3.14"
    assert edit_text("....") == "…."
    assert normalised_edit_distance("好。。。", "好…") > 0.0
    # the text a view or an exact match sees is unchanged: NFKC as before
    assert normalise_text("自由…") == "自由..." and comparable_text("wait ...") == "wait..."


def test_bags_count_an_ellipsis_once() -> None:
    # character bags of CJK text: '…' and '...' are the same one token
    assert bag_similarity("自由平等…", "自由平等⋯") == 1.0
    assert bag_similarity("自由平等…", "自由平等") == pytest.approx(8 / 9)
