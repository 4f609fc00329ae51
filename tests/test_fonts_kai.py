"""Kai (楷) faces print Chinese text: their pool class is "kai" for Chinese languages only, print
roles draw it, labels name it, and vertical pages and Japanese/Korean print never get it.

Before, faces named Kai were "handwriting" everywhere, so 楷体 — a standard print face of
Chinese documents, textbooks and Taiwan's government papers — never set a printed Chinese line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fonts_manifest import catalog, handfit
from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from fonts_manifest.sampling import ROLE_WEIGHTS, sample_family
from pipelines.config_schema import FontOptions
from synth.render import PageSpec, RenderContext, render_page
from synth.rng import sample_rng
from synth.scenes import document

CHINESE = ["zh-Hans", "zh-Hant", "yue", "wuu", "zh-x-cmn-hans-beijing"]
NOT_CHINESE = ["ja", "ja-x-jpn-osaka", "ko", "und-x-026", "vi-Hani", "en", "ru"]
STANDARD = {"Hans": {"CN", "SG"}, "Hant": {"TW", "HK", "MO"}}


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def test_kai_names() -> None:
    for family in ("AR PL UKai CN", "AR PL KaitiM GB", "AR PL KaitiM Big5", "LXGW WenKai",
                   "cwTeXKai", "TW-Kai", "DFKai-SB", "標楷體"):
        assert catalog.is_kai(family), family
    for family in ("KouzanBrushFont", "KouzanBrushFontGyousyo", "KouzanBrushFontSousyo",
                   "Noto Sans Kaithi", "Kaisei Tokumin", "Klee One", "Nanum Brush Script"):
        assert not catalog.is_kai(family), family
    assert catalog.language_class("AR PL UKai CN", "handwriting", "zh-Hans", "Hans", "cmn") == "kai"
    assert catalog.language_class("AR PL UKai CN", "handwriting", "en", "Latn", "eng") == \
        "handwriting"
    assert catalog.language_class("AR PL UKai TW", "handwriting", "vi-Hani", "Hant", "vie") == \
        "handwriting"  # Han-Nom is Vietnamese: no kai print
    assert "kai" in catalog.CLASSES and FontOptions(weights={"kai": 0}).weights == {"kai": 0}


@pytest.mark.parametrize("code", CHINESE)
def test_chinese_pools_print_in_kai_of_their_own_standard(registry, code) -> None:
    info = registry.language(code)
    pool = registry.families(code)
    kai = sorted(f for f, c in pool.items() if c == "kai")
    assert kai, pool
    hands = {f.family for f in registry.handwriting_faces(code)}
    for family in kai:
        assert catalog.is_kai(family), family
        assert family in hands, family  # still a hand of the language
        facts = registry.hand_facts(registry.family_face(family))
        assert facts.languages == {"zh"}, (family, facts)
        assert facts.regions and facts.regions <= STANDARD[info.script], (family, facts)
    assert not [f for f, c in pool.items() if catalog.is_kai(f) and c != "kai"]


@pytest.mark.parametrize("code", NOT_CHINESE)
def test_no_kai_face_prints_other_languages(registry, code) -> None:
    """No kai class outside Chinese; in Japanese, Korean and Han-Nom pools no kai face takes
    a print role at all (cwTeXKai, "mono" by its fixed-pitch flag, set Korean receipts).
    Latin and Cyrillic pools keep what they had: a kai face's Latin is not kai (cwTeXKai's is
    Computer Modern Roman)."""
    pool = registry.families(code)
    assert "kai" not in pool.values(), pool
    if registry.language(code).script not in ("Jpan", "Hang", "Kore", "Hant", "Hani"):
        return
    kai = {f: c for f, c in pool.items() if catalog.is_kai(f)}
    assert all(c not in ROLE_WEIGHTS["body"] for c in kai.values()), kai
    rng = np.random.default_rng(0)
    for role in ROLE_WEIGHTS:
        for _ in range(300):
            family = sample_family(rng, pool, role, {"weights": {"kai": 1000}})
            assert family is None or not catalog.is_kai(family), (role, family)


def test_japanese_kai_needs_its_own_tables() -> None:
    from fonts_manifest.pool import kai_made_for

    chinese = handfit.HandFacts(frozenset({"zh"}), False, frozenset({"CN"}))
    unsaid = handfit.HandFacts(frozenset({"ja", "zh", "ko"}), False)
    japanese = handfit.HandFacts(frozenset({"ja"}), False)
    assert not kai_made_for(chinese, "Jpan") and not kai_made_for(unsaid, "Jpan")
    assert kai_made_for(japanese, "Jpan") and not kai_made_for(japanese, "Hang")


def test_role_weights_and_config() -> None:
    pool = {"Noto Serif CJK SC": "serif", "Noto Sans CJK SC": "sans", "AR PL UKai CN": "kai"}
    rng = np.random.default_rng(1)

    def share(role: str, policy: dict) -> float:
        draws = [sample_family(rng, pool, role, policy) for _ in range(3000)]
        return draws.count("AR PL UKai CN") / len(draws)

    assert 0.04 < share("body", {}) < 0.11  # 0.15 / 2.15
    assert 0.14 < share("heading", {}) < 0.26  # 0.5 / 2.5
    assert share("receipt", {}) == 0.0 and share("card-number", {}) == 0.0
    assert share("body", {"weights": {"kai": 0}}) == 0.0
    assert share("heading", {"weights": {"kai": 4}}) > 0.4
    assert share("body", {"weights": {"kai": 1}}) > 0.0


@pytest.fixture(scope="module")
def ctx_kai(registry) -> RenderContext:
    corpus = load_corpus(languages=["zh-Hans", "zh-Hant", "ja"])
    # every other class off: each printed block of a Chinese page is set in kai
    off = {c: 0.0 for c in catalog.CLASSES if c != "kai"}
    return RenderContext(FontRegistry.load(corpus=corpus), corpus, {"weights": off})


@pytest.mark.parametrize("code", ["zh-Hans", "zh-Hant"])
def test_printed_chinese_lines_set_in_kai_say_so(ctx_kai, code) -> None:
    spec = PageSpec(code, width=800, height=1000)
    page = render_page(spec, sample_rng(3), ctx_kai)
    printed = [ln for ln in page.lines if ln.style == "printed" and ln.text.strip()]
    assert printed
    kai = [ln for ln in printed if catalog.is_kai(ln.font_family)]
    assert len(kai) >= 0.8 * len(printed), {ln.font_family for ln in printed}
    pool = ctx_kai.registry.families(code)
    for line in kai:
        assert pool.get(line.font_family) == "kai", line.font_family
        files = {Path(f.path).name for f in ctx_kai.registry.family_faces(line.font_family)}
        assert line.font.split("+")[0].split("#")[0] in files, (line.font, files)


@pytest.mark.parametrize("code", ["zh-Hans", "zh-Hant", "ja"])
def test_vertical_pages_draw_no_kai_print(ctx_kai, code) -> None:
    """Vertical pages set print in the script's serif/sans chains only (their vertical metrics
    and the Tesseract read-back of #16 are known there), whatever `fonts.weights` says."""
    spec = PageSpec(code, width=900, height=700, vertical=True)
    for seed in range(6):
        record = document.sample(spec, sample_rng(seed), ctx_kai)
        assert record["mode"] == "ttb"
        assert record["fonts"]["body"] in ("serif", "sans"), record["fonts"]
        assert record["fonts"]["heading"] in ("serif", "sans"), record["fonts"]
        page = document.apply(record, ctx_kai)
        printed = {ln.font_family for ln in page.lines if ln.style == "printed"}
        assert not [f for f in printed if catalog.is_kai(f)], printed
