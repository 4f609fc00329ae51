"""Bundled corpus texts hold their paragraphs packed (`PackedParagraphs`): they must read
exactly like the lists they replace, and only a few stay decoded."""

from __future__ import annotations

import pickle

from fonts_manifest.corpus import CorpusText, PackedParagraphs, load_corpus


def test_packed_paragraphs_read_like_the_list() -> None:
    items = ["Article 1", "Всі люди народжуються вільними", "人人生而自由", "", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]
    packed = PackedParagraphs(items)
    assert len(packed) == 5 and list(packed) == items and packed == items
    assert packed[1] == items[1] and packed[-1] == items[-1] and packed[1:3] == items[1:3]
    assert "\n".join(packed) == "\n".join(items)
    assert packed != items[:4] and packed != [*items[:4], "other"]
    again = pickle.loads(pickle.dumps(packed))
    assert again == packed and list(again) == items


def test_only_the_last_texts_stay_decoded() -> None:
    texts = [PackedParagraphs([f"text {i}", "x" * 100]) for i in range(20)]
    for text in texts:
        assert text[0].startswith("text")
    decoded = [t for t in texts if t._list is not None]
    assert decoded == texts[-PackedParagraphs.KEEP_DECODED:]
    assert texts[0][0] == "text 0"  # decoded again on use


def test_bundled_text_digest_is_that_of_its_paragraph_list() -> None:
    text = load_corpus(languages=["hi"])["hi"]
    assert isinstance(text.paragraphs, PackedParagraphs)
    plain = CorpusText(text.code, text.iso639_3, text.name, text.script, text.direction,
                       list(text.paragraphs), list(text.paragraph_ids))
    assert plain.digest == text.digest and plain == text
