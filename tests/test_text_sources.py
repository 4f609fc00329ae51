"""Text sources beyond the UDHR and the synthesiser: real wordfreq, babel, CLDR/Unihan facts,
real fonts (coverage), and page texts measured without rendering."""

from __future__ import annotations

import json
import math
import unicodedata
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from fonts_manifest import textsources
from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from pipelines.errors import PolyglyphError
from synth.entities import EntityMaker
from synth.pagetext import _holders, compose, drawable, drawable_words, language_text
from synth.render import RenderContext
from synth.textstats import has_entity, is_all_caps

LANGS = ["en", "zh-Hans", "ja", "ko", "ar", "hi"]


@pytest.fixture(scope="module")
def ctx() -> RenderContext:
    corpus = load_corpus(languages=LANGS)
    return RenderContext(FontRegistry.load(corpus=corpus), corpus)


def test_bundled_lists_are_the_published_sizes() -> None:
    assert [len(textsources.tgh_level(k)) for k in (1, 2, 3)] == [3500, 3000, 1605]
    assert textsources.tgh_level(1)[:3] == ["一", "乙", "二"]  # stroke order of the table
    assert len(textsources.ksx1001_hangul()) == 2350 and "가" in textsources.ksx1001_hangul()
    assert "똠" not in textsources.ksx1001_hangul()  # the famous syllable KS X 1001 lacks
    assert len(textsources.big5_frequent()) == 5401
    assert 2136 <= len(textsources.common_chars("ja", "Jpan")) <= 2140
    de = textsources.exemplars("de", "Alle Menschen sind frei")
    assert "ß" in de and "ä" in de and len(de) == 30


def test_exemplars_in_another_script_are_not_used() -> None:
    # CLDR `sr` is Cyrillic: a Latin Serbian text gets the sr_Latn set, never Cyrillic letters
    latin = textsources.exemplars("sr-Latn", "Sva ljudska bića rađaju se slobodna")
    assert "đ" in latin and not any("\u0400" <= c <= "\u04ff" for c in "".join(latin))
    assert textsources.exemplars("ar", "Hello there, plain Latin text") == []


def test_script_mismatch_names_both_scripts() -> None:
    why = textsources.script_mismatch("人人生而自由，在尊严和权利上一律平等。", "لمّا كان الاعتراف بالكرامة")
    assert why is not None and "CJK" in why and "ARABIC" in why
    assert textsources.script_mismatch("Hello world", "Bonjour à tous") is None


def test_entities_follow_the_locale_and_are_clean() -> None:
    rng = np.random.default_rng(3)
    de = EntityMaker("de", lambda _t: True)
    prices = [de.make(rng, "price")[1] for _ in range(20)]
    assert any("€" in p and "," in p for p in prices)
    made = [EntityMaker(code, lambda _t: True).make(rng) for code in ("ar", "fa", "he") for _ in range(50)]
    for _kind, text in filter(None, made):
        assert not any(unicodedata.category(c) == "Cf" for c in text), text  # no bidi marks
        assert "\u00a0" not in text and "\u202f" not in text


def test_language_text_emits_only_drawable_text(ctx: RenderContext) -> None:
    for code in ("zh-Hans", "hi", "ko"):
        lt = language_text(ctx, code)
        assert lt.vocab_source == "wordfreq" and len(lt.words) > 10_000
        assert lt.targets and all(lt.covers(t) for t in lt.targets[:200])
        items = compose(np.random.default_rng(1), lt, ctx.text(code), {"vocab": 1, "entities": 1},
                        3000, 1)
        text = "".join(i["text"] for i in items)
        chain = list(ctx.chain(code, "sans"))
        ctx.registry.itemize(text, chain)  # raises MissingGlyphError on tofu
        assert all(i["id"].startswith("syn:") for i in items)


def test_vocabulary_filter_agrees_word_by_word(ctx: RenderContext) -> None:
    """The filter's shortcut (words of safe characters skip the per-word check) keeps exactly
    the words `covers` accepts one by one, in order, Devanagari marks included."""
    base = ctx.text("hi")
    vocab = textsources.vocabulary("hi", "Deva", "\n".join(base.paragraphs))[:4000]
    vocab = [*vocab, ("क\u0951ख", 1.0), ("\u0300x", 1.0)]  # a stray mark, an undrawn one
    kept = drawable_words(vocab, drawable(ctx, "hi"))
    fresh = drawable(RenderContext(ctx.registry, ctx.corpus), "hi")  # no cached answers
    assert kept == [(w, f) for w, f in vocab if fresh(w)]
    assert any(not set(w).isdisjoint("\u093e\u093f\u0947") for w, _ in kept)


@pytest.mark.parametrize("code", ["hi", "ja", "en"])
def test_target_holders_are_the_first_forty_words_holding_each(ctx: RenderContext,
                                                                code: str) -> None:
    """The holders index (a pass over the words, then str.find over the joined vocabulary for
    the last open letters and for clusters) names, per target, the first 40 words holding it."""
    lt = language_text(ctx, code)
    words = tuple(lt.words)
    targets = (*lt.targets, "क्ष", "zz", "̀")  # a conjunct, rare, absent
    held = _holders(targets, words)
    for target in targets:
        # the first 40 by brute force, stopping at the 40th (a full pass a target made the
        # ja case 16 s of the suite for the same list)
        first = list(islice((i for i, w in enumerate(words) if target in w), 40))
        assert held.get(target, ()) == tuple(first), target
    assert held["zz"] if code == "en" else "zz" not in held
    assert all(1 <= len(v) <= 40 for v in held.values())


def test_page_text_depends_on_the_generator_only(ctx: RenderContext) -> None:
    lt = language_text(ctx, "en")
    base = ctx.text("en")
    sources = {"udhr": 1, "vocab": 2, "entities": 1}
    first = compose(np.random.default_rng(7), lt, base, sources, 4000, 1)
    compose(np.random.default_rng(8), lt, base, sources, 4000, 1)  # other pages between
    again = compose(np.random.default_rng(7), lt, base, sources, 4000, 1)
    assert first == again
    assert {i.get("source", "udhr") for i in first} >= {"udhr", "vocab"}


def test_english_pages_have_caps_entities_and_many_words(ctx: RenderContext) -> None:
    lt = language_text(ctx, "en")
    lines, words = [], set()
    for seed in range(40):
        items = compose(np.random.default_rng(seed), lt, ctx.text("en"),
                        {"vocab": 2, "entities": 1}, 3000, 1)
        for item in items:
            words.update(w.casefold() for w in item["text"].split())
            lines.extend(item["text"][k:k + 70] for k in range(0, len(item["text"]), 70))
    assert sum(map(is_all_caps, lines)) / len(lines) > 0.05
    assert sum(map(has_entity, lines)) / len(lines) > 0.2
    assert len(words) > 4000


def test_turkish_capitals_keep_the_dot() -> None:
    from synth.textsynth import upper

    assert upper("istanbul ılık", "tr") == "İSTANBUL ILIK"
    assert upper("istanbul", "en") == "ISTANBUL"


def test_text_command_stats_reach_rare_characters(capsys: pytest.CaptureFixture[str]) -> None:
    from synth.text_cli import main

    assert main(["--language", "zh-Hans", "--num", "25", "--stats", "--sources", "udhr=1"]) == 0
    udhr = json.loads(capsys.readouterr().out)
    assert main(["--language", "zh-Hans", "--num", "25", "--stats"]) == 0
    mixed = json.loads(capsys.readouterr().out)
    assert udhr["distinct_han"] < 600  # one legal text's characters
    assert mixed["distinct_han"] > 2 * udhr["distinct_han"]
    assert mixed["tgh_level1"]["share"] > 0.5 and mixed["tgh_level1"]["of"] == 3500


def test_boost_count_covers_a_list_in_a_thousand_pages() -> None:
    from synth.textsynth import boost_count

    assert boost_count(0) == 0 and boost_count(26) == 3
    for size in (30, 100, 400, 900):  # expected misses of a whole exemplar set under 2 %
        assert size * math.exp(-boost_count(size) * 1000 / size) < 0.02
    assert math.exp(-boost_count(3500) * 1000 / 3500) < 0.01  # TGH level 1


def test_a_short_remainder_tier_is_boosted_at_its_rate_not_three_a_page() -> None:
    import numpy as np

    from synth.textsynth import _count, boost_rate

    # ja: the common-use list adds 4 characters (剝塡頰𠮟) to CLDR's exemplars; 3 boosts a page
    # made them 0.5 % of all characters drawn
    rate = boost_rate(4)
    assert rate < 0.05 and 4 * math.exp(-rate * 1000 / 4) < 0.02  # still covered in 1,000
    rng = np.random.default_rng(0)
    assert abs(np.mean([_count(rate, rng) for _ in range(20000)]) - rate) < 0.005
    assert _count(24, rng) == 24 and boost_rate(0) == 0.0


@pytest.mark.parametrize("bad, message", [
    ({"sources": {"udhr": -1}}, "text.sources"),
    ({"sources": {"udhr": float("nan")}}, "text.sources"),
    ({"sources": {"wiki": 1}}, "text.sources"),
    ({"sources": {"udhr": 0, "vocab": 0}}, "text.sources"),
])
def test_text_config_is_checked(bad: dict, message: str) -> None:
    from pipelines.config import build_config

    with pytest.raises(PolyglyphError, match=message) as info:
        build_config(overrides={"text": bad})
    assert "\n" not in str(info.value)


def test_translation_only_from_a_real_parallel_reference(ctx: RenderContext, tmp_path) -> None:
    from dataclasses import replace

    from qa_factory.views import make_views
    from synth.render import PageSpec, render_page
    from synth.rng import sample_rng

    mixed = RenderContext(ctx.registry, ctx.corpus, text={"sources": {"udhr": 3, "vocab": 1}})
    found = 0
    for seed in range(4):
        page = render_page(PageSpec("ar", width=700, height=900), sample_rng(seed), mixed)
        views = make_views(page, np.random.default_rng(0), {"translation": 1}, "en", ctx.corpus)
        for view in (v for v in views if v["task"] == "translation"):
            ids = json.loads(view["meta"])["paragraph_ids"]
            assert ids and not any(i.startswith("syn:") for i in ids)
            found += 1
        user_en = dict(ctx.corpus, en=replace(ctx.corpus["en"], source=str(tmp_path / "en.txt")))
        again = make_views(page, np.random.default_rng(0), {"translation": 1}, "en", user_en)
        assert not [v for v in again if v["task"] == "translation"]
    assert found


def test_text_sources_flag_merges_into_the_config(tmp_path) -> None:
    from pipelines.config import build_config
    from pipelines.generate_cli import build_parser, overrides_from_args

    cfg = tmp_path / "c.yaml"
    cfg.write_text("text: {languages: {en: {vocab: 5}}}\n")
    args = build_parser().parse_args(["--text-sources", "udhr=1,entities=2"])
    config = build_config(cfg, overrides_from_args(args))
    assert config.text.sources == {"udhr": 1.0, "entities": 2.0}
    assert config.text.languages == {"en": {"vocab": 5.0}}
    with pytest.raises(PolyglyphError, match="--text-sources 'wiki=1'"):
        overrides_from_args(build_parser().parse_args(["--text-sources", "wiki=1"]))


def test_streamed_rows_the_fonts_cannot_draw_are_skipped(ctx: RenderContext, tmp_path) -> None:
    from dataclasses import replace

    from fonts_manifest.corpus_stream import open_corpus

    path = tmp_path / "en.txt"
    path.write_text("".join(f"row {i} \U0010fffd\n" for i in range(50)) + "A drawable row.\n")
    base = replace(ctx.text("en"), source=str(path), stream=open_corpus(str(path)))
    lt = language_text(ctx, "en")
    items = compose(np.random.default_rng(0), lt, base, {"corpus": 1, "vocab": 1}, 2000, 0)
    corpus_rows = [i for i in items if i.get("source") == "corpus"]
    assert all(i["text"] == "A drawable row." for i in corpus_rows)
    only = compose(np.random.default_rng(1), lt, base, {"corpus": 1}, 2000, 0)  # still ends
    assert all(i["text"] == "A drawable row." for i in only)


def test_cldr_set_syntax_of_the_build_script() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "tools" / "build_text_sources.py"
    spec = importlib.util.spec_from_file_location("build_text_sources", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parsed = module.parse_unicode_set(r"[a b c-e {ch} \u0941 \- ß]")
    assert parsed == ["a", "b", "c", "d", "e", "ch", "\u0941", "-", "ß"]
    with pytest.raises(ValueError):
        module.parse_unicode_set("a b")


@pytest.mark.parametrize("code,reference", [("en", "Everyone has the right"),
                                            ("de", "Jeder hat das Recht"),
                                            ("ru", "Каждый человек имеет право")])
def test_vocabularies_hold_no_blocklisted_word(code: str, reference: str) -> None:
    """wordfreq counts the web as it is; its lists hold obscenities and slurs (the English list
    has dozens in its first 40k words). None of them may reach a page."""
    import gzip

    with gzip.open(textsources.BLOCKLIST_PATH, "rb") as handle:
        lists = json.loads(handle.read())["lists"]
    blocked = set(lists["en"]) | set(lists.get(code, ()))
    script = "Cyrl" if code == "ru" else "Latn"
    words = {w.casefold() for w, _ in textsources.vocabulary(code, script, reference)}
    assert len(words) > 10_000
    assert not words & blocked, sorted(words & blocked)[:5]
    # the filter is what removes them: the raw list does contain some
    raw = set()
    import wordfreq

    lang = textsources.wordfreq_code(code, script)
    for _, bucket in textsources._buckets(wordfreq.available_languages("best")[lang]):
        raw.update(w.casefold() for w in bucket)
        if len(raw) > 60_000:
            break
    assert raw & blocked


def test_hunspell_words_for_a_language_wordfreq_lacks(tmp_path, monkeypatch) -> None:
    """A hunspell dictionary is read in its own character set and flag syntax, and stems
    marked as not being words alone (NEEDAFFIX, ONLYINCOMPOUND...) are left out."""
    from fonts_manifest import hunspell

    aff = "SET ISO8859-1\nFLAG num\nNEEDAFFIX 7\nONLYINCOMPOUND 9\n"
    dic = "5\ncafé/1,2\nstemonly/7\nbits/3,9\nnaïve\nrésumé/4\n"
    (tmp_path / "xq_XX.aff").write_bytes(aff.encode("latin-1"))
    (tmp_path / "xq_XX.dic").write_bytes(dic.encode("latin-1"))
    monkeypatch.setenv("POLYGLYPH_HUNSPELL_DIRS", str(tmp_path))
    assert [p.name for p in hunspell.dictionaries("xq")] == ["xq_XX.dic"]
    words = {w for w, _ in hunspell.word_list("xq", 100, str.isalpha)}
    assert words == {"café", "naïve", "résumé"}


def test_installed_hunspell_gives_a_vocabulary() -> None:
    from fonts_manifest import hunspell

    if not hunspell.dictionaries("af"):
        pytest.skip("hunspell-af not installed (tools/apt-packages.txt)")
    reference = "Alle menslike wesens word vry, met gelyke waardigheid en regte, gebore."
    assert textsources.vocabulary_source("af", "Latn") == "hunspell"
    vocab = textsources.vocabulary("af", "Latn", reference)
    assert len(vocab) > 10_000
    assert all(w.replace("-", "").replace("'", "").isalpha() for w, _ in vocab[:2000])
    assert vocab == textsources.vocabulary("af", "Latn", reference)  # a fixed subset


@pytest.mark.slow  # two real generate runs, each reading a user corpus into its language table
def test_a_users_parallel_corpus_gives_translation_views(tmp_path) -> None:
    """`--corpus de=para.jsonl#de --corpus en=para.jsonl#en`: row i of both columns is one
    record, so a German page drawn from rows gets their English column as its translation
    reference; without the aligned English column there is no translation view."""
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from fonts_manifest.corpus import load_corpus

    udhr = load_corpus(languages=["de", "en"])
    de = next(text for code, text in udhr.items() if code.startswith("de"))
    en = dict(zip(udhr["en"].paragraph_ids, udhr["en"].paragraphs, strict=False))
    pairs = [(d, en[i]) for i, d in zip(de.paragraph_ids, de.paragraphs, strict=False)
             if i in en]
    para = tmp_path / "para.jsonl"
    para.write_text("".join(json.dumps({"de": d, "en": e}, ensure_ascii=False) + "\n"
                            for d, e in pairs), encoding="utf-8")

    def run(out, *corpus):
        args = [sys.executable, "-m", "pipelines.cli", "generate", "--languages", "de",
                "--num", "3", "--workers", "1", "--scenes", "document", "--profile", "clean",
                "--text-sources", "corpus=1", "--tasks", "translation", "--out", str(out)]
        for spec in corpus:
            args += ["--corpus", spec]
        done = subprocess.run(args, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return pq.read_table(out / "data").to_pylist()

    rows = run(tmp_path / "aligned", f"de={para}#de", f"en={para}#en")
    views = [t for r in rows for t in r["tasks"] if t["task"] == "translation"]
    assert views
    for view in views:
        ids = json.loads(view["meta"])["paragraph_ids"]
        assert ids and all(i.startswith("u") for i in ids)
        assert view["answer"] == "\n\n".join(" ".join(pairs[int(i[1:])][1].split()) for i in ids)
    alone = run(tmp_path / "alone", f"de={para}#de")
    assert not [t for r in alone for t in r["tasks"] if t["task"] == "translation"]


def test_traditional_exemplars_hold_no_simplified_form() -> None:
    """CLDR's zh_Hant main exemplars list the Simplified 简 beside 簡: a zh-Hant page drew it."""
    from fonts_manifest.textsources import exemplars, simplified_only

    found = exemplars("zh-Hant", "人人生而自由，在尊嚴和權利上一律平等。")
    assert found and "簡" in found and "简" not in found
    assert not any(simplified_only(c) for c in found)
    assert "彞" in found  # a Traditional variant Big5 lacks is not Simplified
    assert "简" in exemplars("zh-Hans", "人人生而自由，在尊严和权利上一律平等。")


def test_wordfreq_lists_are_wordfreqs_own_without_importing_it() -> None:
    """The list files found in wordfreq's data folder are exactly its `available_languages`
    ("best"), and finding them (and a language's vocabulary, from the cache or built) leaves
    wordfreq unimported: its import (ftfy, wcwidth, regex, langcodes) was 12.7 MiB a worker."""
    import subprocess
    import sys

    code = ("import sys; from fonts_manifest import textsources as t; "
            "t.vocabulary('de', 'Latn', 'Alle Menschen sind frei und gleich'); "
            "import json; print(json.dumps([sorted(t.wordfreq_lists().items()), "
            "'wordfreq' in sys.modules, 'ftfy' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent)
    lists, imported, ftfy = json.loads(out.stdout.strip().splitlines()[-1])
    assert not imported and not ftfy
    import wordfreq

    assert dict(lists) == wordfreq.available_languages("best") and len(lists) > 30
