"""The language table on disk (`FontRegistry` reads and fills it): one gzipped JSON file per font
set and table version in the font cache folder, read whole, written atomically, old ones pruned.

A file that cannot be read is an empty table (its entries are computed again), and one that
cannot be written only costs speed: the cache folder may be read-only.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

from fonts_manifest import fontdb, handfit, shapecheck

# 15: zh-Hant exemplars without Simplified-only forms; 16: hand faces fit the language
# (fonts_manifest.handfit: no Japanese faces on Chinese pages, no grass script); 17: hand
# faces of one Chinese standard write its script only (UKai TW/HK off zh-Hans, UKai CN off zh-Hant);
# 18: print pools of CJK text follow the same rule (HanaMinA off zh-Hans/zh-Hant), and faces
# whose GSUB/GPOS cannot shape a joining/reordering script write none of it (SetoFont off ar, hi)
# 19: faces that cannot shape a script leave its pools (shapecheck; its rules are in the name)
# 20: both of these together (the merge of 18 and 19)
# 21: kai faces are "kai" (print) in the pools of Chinese text
# 22: "mono" only where the face's advances are (fonts_manifest.monospace: cwTeXMing's Latin,
# Noto Sans Mono CJK's Cyrillic are proportional)
TABLE_VERSION = 22
KEEP_TABLES = 4  # language tables of this many font sets stay cached
OTHER_VERSION_DAYS = 7  # another version's tables are left this long after their last write


def table_path(fingerprint: str) -> Path:
    """The table file of the font set named by `fingerprint`, for this table version, the
    content of the data files the pools are read from (`handfit.data_digest`) and the shaping
    tests faces must pass (`shapecheck.rules_digest`)."""
    name = (f"languages-v{TABLE_VERSION}-{fingerprint[:16]}-{handfit.data_digest()[:12]}"
            f"-{shapecheck.rules_digest()[:8]}.json.gz")
    return fontdb.cache_dir() / name


def read_table(path: Path) -> dict:
    """The entries of a table file by language code; {} when missing or unreadable."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return json.load(handle).get("entries", {})
    except (OSError, ValueError, EOFError):
        return {}


def write_table(path: Path, entries: dict) -> None:
    """Write the table atomically and prune old ones; a read-only cache dir only costs speed."""
    try:
        fontdb.atomic_write_json_gz(path, {"version": TABLE_VERSION, "entries": entries})
        prune_tables(path.parent)
    except OSError:
        pass


def prune_tables(folder: Path, now: float | None = None) -> None:
    """Keep the KEEP_TABLES most recent tables of this version and other versions' tables
    written in the last OTHER_VERSION_DAYS: two polyglyph versions sharing one cache (an
    upgrade, two checkouts) each kept deleting the other's table, so every run rebuilt it
    from scratch (a cold rebuild peaks ~100 MiB above a warm start)."""
    now = time.time() if now is None else now
    tables = sorted(folder.glob("languages-v*.json.gz"), key=lambda p: p.stat().st_mtime)
    mine = [t for t in tables if t.name.startswith(f"languages-v{TABLE_VERSION}-")]
    old = [t for t in tables if t not in mine
           and now - t.stat().st_mtime > OTHER_VERSION_DAYS * 86400]
    for stale in old + mine[:-KEEP_TABLES]:
        stale.unlink(missing_ok=True)
