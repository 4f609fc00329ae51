"""Issue 22: the Fakers of a run over every language stay bounded by the per-language budget,
their locale modules included (they went with no Faker before: ~300 modules, ~20 MiB)."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

from synth import content, memo

LOCALES = ["sk_SK", "sl_SI", "lt_LT", "lv_LV", "hr_HR", "hu_HU", "ro_RO", "sq_AL", "mk_MK",
           "et_EE", "is_IS", "mt_MT"]


def _says(faker, seed: int) -> list[str]:
    faker.seed_instance(seed)
    return [faker.name(), faker.address(), faker.company(), faker.word(), faker.email()]


@pytest.fixture()
def four_languages():
    """The budget of a default run (more languages than MEMO_LANGUAGES), from an empty cache."""
    budget = memo.language_budget()
    memo.set_run_languages(memo.MEMO_LANGUAGES + 1)
    content._faker.cache_clear()
    yield
    content._faker.cache_clear()
    memo._BUDGET[0] = budget


def test_dropped_fakers_take_their_locale_modules_with_them(four_languages) -> None:
    from faker.factory import Factory

    first = LOCALES[0]
    before = set(sys.modules)
    faker = content._faker(first)
    said = _says(faker, 3)
    own = [weakref.ref(type(p)) for p in faker._factories[0].providers
           if type(p).__module__.endswith(f".{first}") and type(p).__module__ not in before]
    assert own, "the locale brought no provider module of its own: pick another"
    del faker
    for locale in LOCALES[1:]:
        _says(content._faker(locale), 0)
    gc.collect()
    assert content._faker.cache_len() == memo.FEW_LANGUAGES
    assert [ref for ref in own if ref() is not None] == []  # freed, not just unlisted
    assert Factory._find_provider_class.cache_info().currsize == 0
    registered = {name for name in sys.modules if name.count(".") == 3
                  and name.startswith("faker.providers.") and name not in before}
    assert not {name for name in registered if name.rsplit(".", 1)[1] in LOCALES}
    # the locale comes back: its modules are imported again and say the same things
    assert _says(content._faker(first), 3) == said
