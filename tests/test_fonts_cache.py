"""The cmap cache and the language table are reused: a second start reads no font file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from fonts_manifest import fontdb
from fonts_manifest.registry import FontRegistry

PROBE = (
    "import json; from fonts_manifest import fontdb, registry; "
    "r = registry.FontRegistry.load(); "
    "print(json.dumps([fontdb.parse_count, registry.entries_computed, len(r.languages())]))"
)


NOTO = Path("/usr/share/fonts/truetype/noto")


def _noto_regulars(folder: Path) -> Path:
    """Links to the ~190 regular Noto faces: a cold scan of all ~3,000 installed font files
    took minutes on a loaded machine; these still give 400+ drawable languages."""
    folder.mkdir(exist_ok=True)
    for source in sorted(NOTO.glob("*-Regular.ttf")):
        if not (folder / source.name).exists():
            (folder / source.name).symlink_to(source)
    return folder


def _start(cache_dir) -> subprocess.Popen:
    fonts = _noto_regulars(Path(cache_dir).parent / "noto")
    env = {**os.environ, "POLYGLYPH_CACHE_DIR": str(cache_dir), "POLYGLYPH_SYSTEM_FONTS": "0",
           "POLYGLYPH_FONT_DIRS": str(fonts)}
    return subprocess.Popen(
        [sys.executable, "-c", PROBE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _result(proc: subprocess.Popen) -> list[int]:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_cold_start_is_shared_and_second_process_reads_no_font_file(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    # A corrupt cache must be ignored (re-read everything), never crash.
    (cache / f"fonts-v{fontdb.CACHE_VERSION}.json.gz").write_bytes(b"not gzip at all")
    # Two workers starting together on a cold cache: one scans, the other waits for it.
    pair = [_start(cache), _start(cache)]
    first, second = (_result(p) for p in pair)
    parsed = sorted([first[0], second[0]])
    computed = sorted([first[1], second[1]])
    assert parsed[0] == 0 and parsed[1] > 100
    assert computed[0] == 0 and computed[1] > 400
    assert first[2] == second[2] >= 400
    again = _result(_start(cache))
    assert again == [0, 0, first[2]]


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


def test_a_cache_lock_never_let_go_is_waited_for_a_bounded_time(tmp_path, monkeypatch, capsys):
    """The cold-scan lock was a blocking flock with no total wait: a holder that never lets go
    (a polyglyph stopped with Ctrl-Z mid-scan) hung every later run. Now the waiter gives up
    after LOCK_WAIT_SECONDS with one note and goes on without the lock (the cache files are
    written atomically, so a scan without it is only slower); a free lock is taken at once."""
    import fcntl
    import time

    from fonts_manifest import cachelock, fontdb

    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cachelock, "LOCK_WAIT_SECONDS", 1.0)
    with open(tmp_path / "fonts.lock", "a") as holder:  # another open file: another holder
        fcntl.flock(holder, fcntl.LOCK_EX)
        started = time.monotonic()
        with fontdb.cache_lock("fonts"):
            waited = time.monotonic() - started
        assert 1.0 <= waited < 5, waited
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "fonts.lock held by another process" in err, err
    with fontdb.cache_lock("fonts"):  # free now: held by us, so another opener must wait
        with open(tmp_path / "fonts.lock", "a") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                raise AssertionError("the lock was not held")
            except BlockingIOError:
                pass
    assert capsys.readouterr().err == ""


def test_language_tables_of_another_version_survive_a_write(tmp_path: Path) -> None:
    """Two versions sharing a cache deleted each other's table on every write, so each run
    rebuilt it (and peaked ~100 MiB higher): now another version's recent table stays, an old
    one goes, and this version keeps its KEEP_TABLES most recent."""
    from fonts_manifest import registry

    v = registry.TABLE_VERSION
    other_recent = tmp_path / f"languages-v{v - 1}-aaaa.json.gz"
    other_old = tmp_path / f"languages-v{v - 1}-bbbb.json.gz"
    mine = [tmp_path / f"languages-v{v}-{i:04d}.json.gz" for i in range(registry.KEEP_TABLES + 2)]
    now = 1_000_000_000.0
    for i, path in enumerate([other_recent, other_old, *mine]):
        path.write_bytes(b"x")
        os.utime(path, (now - 100 + i, now - 100 + i))
    os.utime(other_old, (now - 30 * 86400, now - 30 * 86400))
    registry.prune_tables(tmp_path, now=now)
    left = {p.name for p in tmp_path.iterdir()}
    assert other_recent.name in left and other_old.name not in left
    assert left - {other_recent.name} == {p.name for p in mine[-registry.KEEP_TABLES:]}
