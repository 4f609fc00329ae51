"""The cmap cache and the language table are reused: a second start reads no font file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from fonts_manifest import fontdb
from fonts_manifest.registry import FontRegistry

PROBE = (
    "import json; from fonts_manifest import fontdb, registry; "
    "r = registry.FontRegistry.load(); "
    "print(json.dumps([fontdb.parse_count, registry.entries_computed, len(r.languages())]))"
)


def _probe(cache_dir) -> list[int]:
    env = {**os.environ, "POLYGLYPH_CACHE_DIR": str(cache_dir)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_reads_no_font_file(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    # A corrupt cache must be ignored (re-read everything), never crash.
    (cache / f"fonts-v{fontdb.CACHE_VERSION}.json.gz").write_bytes(b"not gzip at all")
    parsed, computed, languages = _probe(cache)
    assert parsed > 100 and computed > 400 and languages >= 400
    parsed, computed, again = _probe(cache)
    assert (parsed, computed, again) == (0, 0, languages)


def test_only_new_or_changed_files_are_read(tmp_path, monkeypatch):
    fontdb.load_face_records()  # warm the default cache, then start from a copy of it
    source = fontdb.cache_dir() / f"fonts-v{fontdb.CACHE_VERSION}.json.gz"
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(source, cache / source.name)
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    thai = FontRegistry.load().family_face("Noto Sans Thai")
    extra = fonts / "MyThai.ttf"
    shutil.copy(thai.path, extra)
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(cache))

    before = fontdb.parse_count
    records, fingerprint = fontdb.load_face_records([fonts])
    assert fontdb.parse_count - before == 1
    mine = [r for r in records if r["path"] == str(extra.resolve())]
    assert len(mine) == 1 and mine[0]["family"] == "Noto Sans Thai"
    assert 0x0E01 in fontdb.ranges_to_set(mine[0]["ranges"])

    records_again, fingerprint_again = fontdb.load_face_records([fonts])
    assert fontdb.parse_count - before == 1
    assert fingerprint_again == fingerprint and len(records_again) == len(records)

    stat = extra.stat()
    os.utime(extra, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    _, fingerprint_changed = fontdb.load_face_records([fonts])
    assert fontdb.parse_count - before == 2
    assert fingerprint_changed != fingerprint


def test_ranges_round_trip():
    points = {0x20, 0x21, 0x22, 0x41, 0x0E01, 0x0E02, 0x1F600}
    flat = fontdb.codepoint_ranges(points)
    assert flat == [0x20, 0x22, 0x41, 0x41, 0x0E01, 0x0E02, 0x1F600, 0x1F600]
    assert fontdb.ranges_to_set(flat) == points
