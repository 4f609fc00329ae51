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

from collections import OrderedDict
from collections.abc import Hashable, Iterator, MutableMapping
from typing import Any

MEMO_LANGUAGES = 24
"""Languages whose facts a worker keeps (every language of a 10-language run, as before)."""


def _language(key: Hashable) -> Hashable:
    """The language a key belongs to: its second item (`(kind, language, ...)`), else itself."""
    if isinstance(key, tuple) and len(key) > 1:
        return key[1]
    return key


class LanguageMemo(MutableMapping[Hashable, Any]):
    """A dict whose entries are dropped a language at a time, least recently used first, once
    more than `languages` languages have entries."""

    def __init__(self, languages: int = MEMO_LANGUAGES) -> None:
        self.languages = languages
        self._groups: OrderedDict[Hashable, dict[Hashable, Any]] = OrderedDict()

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
