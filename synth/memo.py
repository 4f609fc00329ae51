"""A worker's per-language facts (vocabularies, drawable checks, styles), for the languages it
used last only.

Scenes memoise what they derive from fonts and corpus per language in `RenderContext.memo`,
under keys `(kind, language, ...)`. A run over every language (the default) meets hundreds of
them, and a language's vocabulary alone is 1-10 MiB (40k wordfreq words, their weights, the
entity maker's babel locale): an unbounded dict grew a worker by ~5 MiB a row for its first
hundreds of rows. Every value is a pure function of its key (a row never depends on what a
worker made before it), so forgetting one changes no output; it only costs its recomputation
when the language comes back. Runs over a few languages keep all of them.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, MutableMapping
from typing import Any, TypeVar

MEMO_LANGUAGES = 24
"""Languages whose facts a worker keeps (every language of a 10-language run, as before)."""
FEW_LANGUAGES = 4
"""What a worker keeps when its run has more languages than MEMO_LANGUAGES: with 529 languages
drawn uniformly (the default run), keeping 24 gave 4.4 % hits (4: 0.7 %, simulated over the
run's own weights) for ~50 MiB of vocabularies, babel locales, corpus words and Fakers
(RSS after 128 default rows 428 -> 374 MiB together with the OpenCC converter's release)."""
_BUDGET = [MEMO_LANGUAGES]


def set_run_languages(count: int) -> None:
    """Size every per-language cache of this process for a run drawing from `count` languages
    (`pipelines.sample.worker_context` calls it): all of them when they fit in MEMO_LANGUAGES,
    else FEW_LANGUAGES, since a cache a few times smaller than the languages drawn uniformly
    is nearly never hit. Values are pure functions of their keys: no output changes."""
    _BUDGET[0] = MEMO_LANGUAGES if count <= MEMO_LANGUAGES else FEW_LANGUAGES


def language_budget() -> int:
    """Languages a per-language cache keeps now (see `set_run_languages`)."""
    return _BUDGET[0]


F = TypeVar("F", bound=Callable[..., Any])


def language_lru(func: F) -> F:
    """`functools.lru_cache` for a function of one language (or locale) whose size follows
    `language_budget()` at each insertion; `cache_clear()` as in functools."""
    cache: OrderedDict[Hashable, Any] = OrderedDict()

    @functools.wraps(func)
    def cached(*args: Hashable) -> Any:
        try:
            cache.move_to_end(args)
            return cache[args]
        except KeyError:
            pass
        value = cache[args] = func(*args)
        while len(cache) > language_budget():
            cache.popitem(last=False)
        return value

    cached.cache_clear = cache.clear  # type: ignore[attr-defined]
    cached.cache_len = cache.__len__  # type: ignore[attr-defined]
    return cached  # type: ignore[return-value]


def _language(key: Hashable) -> Hashable:
    """The language a key belongs to: its second item (`(kind, language, ...)`), else itself."""
    if isinstance(key, tuple) and len(key) > 1:
        return key[1]
    return key


class LanguageMemo(MutableMapping[Hashable, Any]):
    """A dict whose entries are dropped a language at a time, least recently used first, once
    more than `languages` languages have entries."""

    def __init__(self, languages: int | None = None) -> None:
        self._languages = languages  # None: language_budget(), as the run sets it
        self._groups: OrderedDict[Hashable, dict[Hashable, Any]] = OrderedDict()

    @property
    def languages(self) -> int:
        return language_budget() if self._languages is None else self._languages

    @languages.setter
    def languages(self, value: int | None) -> None:
        self._languages = value

    def _group(self, key: Hashable) -> dict[Hashable, Any] | None:
        language = _language(key)
        group = self._groups.get(language)
        if group is not None:
            self._groups.move_to_end(language)
        return group

    def __getitem__(self, key: Hashable) -> Any:
        group = self._group(key)
        if group is None:
            raise KeyError(key)
        return group[key]

    def get(self, key: Hashable, default: Any = None) -> Any:
        group = self._group(key)
        return default if group is None else group.get(key, default)

    def __contains__(self, key: object) -> bool:
        group = self._group(key)  # type: ignore[arg-type]
        return group is not None and key in group

    def __setitem__(self, key: Hashable, value: Any) -> None:
        group = self._group(key)
        if group is None:
            group = self._groups[_language(key)] = {}
            while len(self._groups) > self.languages:
                self._groups.popitem(last=False)
        group[key] = value

    def __delitem__(self, key: Hashable) -> None:
        group = self._group(key)
        if group is None:
            raise KeyError(key)
        del group[key]
        if not group:
            del self._groups[_language(key)]

    def __iter__(self) -> Iterator[Hashable]:
        for group in list(self._groups.values()):
            yield from list(group)

    def __len__(self) -> int:
        return sum(len(group) for group in self._groups.values())
