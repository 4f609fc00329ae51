"""One language-code resolver for every command: the registry's codes resolve to themselves,
the codes people type (`zh`, `zh-TW`, `de`, `pt`, `ms`, ISO 639-3) to their corpus code, and
`generate` takes them like `render` does."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from fonts_manifest.registry import FontRegistry
from pipelines.cli import main as cli_main
from pipelines.config import GenerateConfig, resolve_config
from pipelines.errors import PolyglyphError

ALIASES = {
    "zh": "zh-Hans", "ZH": "zh-Hans", "zh-CN": "zh-Hans", "zh_CN": "zh-Hans",
    "zh-SG": "zh-Hans", "zh-Hans-CN": "zh-Hans", "zho": "zh-Hans", "chi": "zh-Hans",
    "cmn": "zh-Hans", "zh-TW": "zh-Hant", "zh_TW": "zh-Hant", "zh-HK": "zh-Hant",
    "zh-MO": "zh-Hant", "zh-hant": "zh-Hant",
    "de": "de-1996", "DE_at": "de-1996", "de-CH": "de-1996", "deu": "de-1996",
    "ger": "de-1996", "de-1901": "de-1901",
    "pt": "pt-BR", "pt-BR": "pt-BR", "pt_br": "pt-BR", "pt-PT": "pt-PT", "por": "pt-BR",
    "sr-Latn": "sr-Latn", "sr_latn": "sr-Latn", "sr-ME": "sr-Latn", "sr": "sr-Cyrl",
    "srp": "sr-Cyrl", "sh": "sr-Latn",
    "ms": "zlm-Latn", "ms-MY": "zlm-Latn", "ms_Arab": "zlm-Arab", "zsm": "zlm-Latn",
    "msa": "zlm-Latn",
    "ara": "ar", "arb": "ar", "ar-EG": "ar", "fas": "fa", "per": "fa", "eng": "en",
    "en-US": "en", "fra": "fr", "fr-CA": "fr", "spa": "es", "es-419": "es", "jpn": "ja",
    "rus": "ru", "kor": "ko", "hin": "hi", "heb": "he", "iw": "he", "nor": "nb", "no": "nb",
    "az": "az-Latn", "azj": "az-Latn", "bos": "bs-Latn", "uzb": "uz-Latn", "uig": "ug-Arab",
    "mon": "mn-Cyrl", "in": "id", " it ": "it",
}


@pytest.fixture(scope="module")
def registry() -> FontRegistry:
    return FontRegistry.load()


def test_every_usable_code_resolves_to_itself_in_any_spelling(registry: FontRegistry) -> None:
    codes = [info.code for info in registry.languages()]
    assert len(codes) >= 500
    for code in codes:
        for spelling in (code, code.upper(), code.lower().replace("-", "_")):
            assert registry.language(spelling).code == code, spelling
            assert registry.known(spelling) == code, spelling


@pytest.mark.parametrize(("typed", "code"), sorted(ALIASES.items()))
def test_common_spellings_resolve(registry: FontRegistry, typed: str, code: str) -> None:
    assert registry.language(typed).code == code


@pytest.mark.parametrize("typed", ["xx", "xx-nope", "tlh", "x-private", "", "zh-x-nope"])
def test_unknown_codes_are_refused(registry: FontRegistry, typed: str) -> None:
    with pytest.raises(PolyglyphError, match="unknown language"):
        registry.language(typed)


def test_config_languages_take_the_same_spellings() -> None:
    resolved = resolve_config(GenerateConfig(languages=["zh", "de", "pt_BR", "ms", "ara"],
                                             target_language="zh-TW"))
    assert resolved["languages"] == {c: 1.0 for c in ("ar", "de-1996", "pt-BR", "zh-Hans",
                                                      "zlm-Latn")}
    assert resolved["target_language"] == "zh-Hant"
    assert resolve_config(GenerateConfig(languages=["zh", "zh-CN"]))["languages"] == {
        "zh-Hans": 1.0}
    with pytest.raises(PolyglyphError, match="'zh' and 'zh-CN' both name zh-Hans"):
        resolve_config(GenerateConfig(languages={"zh": 1, "zh-CN": 2}))
    with pytest.raises(PolyglyphError, match="unknown language 'qq'"):
        resolve_config(GenerateConfig(languages=["qq"]))
    with pytest.raises(PolyglyphError, match=r"unknown language 'de-x-old' \(did you mean de-1901"):
        resolve_config(GenerateConfig(languages=["de-x-old"]))


def test_generate_takes_common_codes(tmp_path: Path) -> None:
    out, config = tmp_path / "ds", tmp_path / "tiny.yaml"
    config.write_text("page_sizes: [[256, 320]]\nscenes: {document: 1}\n")
    assert cli_main(["generate", "--config", str(config), "--languages", "zh,de,pt,ms",
                     "--num", "4", "--workers", "1", "--quiet", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["languages"] == {c: 1.0 for c in ("de-1996", "pt-BR", "zh-Hans",
                                                                "zlm-Latn")}
    rows = pq.read_table(next(out.glob("data/part-*.parquet")), columns=["language"]).to_pylist()
    assert len(rows) == 4
    assert {r["language"] for r in rows} <= {"de-1996", "pt-BR", "zh-Hans", "zlm-Latn"}
