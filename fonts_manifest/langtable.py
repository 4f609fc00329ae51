"""The language table's entries as a worker holds them: compact, same answers.

The table (`FontRegistry._load_table`, cached as JSON) gives every corpus language its
{family: class} pool, chains and handwriting faces. As parsed JSON, the default run's 529
entries were ~33 MiB of a worker's heap (tracemalloc: json.decoder), most of it 230,000
{family: class} dict slots and their class strings, and every face path spelled again per
language. Here a pool is a tuple of family names (the names are shared: the JSON decoder
memoises keys) and one byte per family naming its class, rebuilt into the dict when
`families()` is asked (a scene asks once per language it draws; `RenderContext` memoises it);
face paths are interned, so each is held once.
"""

from __future__ import annotations

import sys
from typing import Any

_CLASSES: list[str] = []
_CLASS_INDEX: dict[str, int] = {}


class FamilyPool:
    """{family: class} of one language, packed: names in the table's order, class indices."""

    __slots__ = ("classes", "names")

    def __init__(self, families: dict[str, str]) -> None:
        self.names = tuple(families)
        self.classes = bytes(_class_index(cls) for cls in families.values())

    def as_dict(self) -> dict[str, str]:
        """The pool as the table stores it (same order, same values)."""
        return {name: _CLASSES[k] for name, k in zip(self.names, self.classes, strict=True)}


def _class_index(cls: str) -> int:
    index = _CLASS_INDEX.get(cls)
    if index is None:
        if len(_CLASSES) == 255:
            raise ValueError(f"more than 255 font classes in the language table (at {cls!r})")
        index = _CLASS_INDEX[cls] = len(_CLASSES)
        _CLASSES.append(cls)
    return index


def _faces(keys: Any) -> tuple[tuple[str, int], ...]:
    return tuple((sys.intern(str(path)), int(index)) for path, index in keys)


def compact_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A table entry for lookups: pool packed, face lists as interned (path, index) tuples.
    The JSON form stays what the cache file holds; this one is never written."""
    out = dict(entry)
    if isinstance(entry.get("families"), dict):
        out["families"] = FamilyPool(entry["families"])
    if "handwriting_faces" in entry:
        out["handwriting_faces"] = _faces(entry["handwriting_faces"])
    out["chains"] = {style: _faces(faces) for style, faces in entry["chains"].items()}
    return out


def entry_families(entry: dict[str, Any]) -> dict[str, str]:
    """{family: class} of an entry, packed or not."""
    found = entry.get("families")
    if isinstance(found, FamilyPool):
        return found.as_dict()
    return dict(found or {})
