"""`polyglyph languages` and `polyglyph doctor` through the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
KEYS = {
    "code",
    "name",
    "script",
    "direction",
    "fonts",
    "coverage",
    "corpus_chars",
    "iso639_3",
    "styles",
}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def languages_json() -> list[dict]:
    result = _run("languages", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_languages_json_has_the_contract_keys(languages_json):
    assert len(languages_json) >= 400
    codes = [row["code"] for row in languages_json]
    assert len(codes) == len(set(codes))
    for row in languages_json:
        assert KEYS <= row.keys()
        assert row["coverage"] == 1.0 and row["corpus_chars"] > 0
        assert row["direction"] in {"ltr", "rtl", "ttb"}
        assert row["fonts"] and all(Path(p).is_file() for p in row["fonts"])
        assert "sans" in row["styles"]
    by_code = {row["code"]: row for row in languages_json}
    assert by_code["he"]["direction"] == "rtl"
    assert by_code["ja"]["fonts"][0].endswith("NotoSansCJK-Regular.ttc")
    assert len({row["script"] for row in languages_json}) >= 30


def test_languages_table_and_summary(languages_json):
    result = _run("languages")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["code", "name", "script"]
    assert len(lines) == len(languages_json) + 2
    summary = lines[-1]
    assert summary.startswith(f"{len(languages_json)} languages, ")
    assert "scripts" in summary and "right-to-left" in summary


def test_corpus_override_changes_the_language(tmp_path, languages_json):
    text = tmp_path / "th.txt"
    text.write_text("สวัสดีครับ\nราคา 120 บาท\n", encoding="utf-8")
    result = _run("languages", "--json", "--corpus", f"th={text}")
    assert result.returncode == 0, result.stderr
    row = next(r for r in json.loads(result.stdout) if r["code"] == "th")
    assert row["corpus_chars"] == len("สวัสดีครับ") + len("ราคา 120 บาท")
    before = next(r for r in languages_json if r["code"] == "th")
    assert before["corpus_chars"] > row["corpus_chars"]


def test_corpus_override_with_undrawable_text_drops_the_language(tmp_path):
    text = tmp_path / "th.txt"
    text.write_text("สวัสดี \U0001f468\u200d\U0001f469\n", encoding="utf-8")
    result = _run("languages", "--json", "--corpus", f"th={text}")
    assert result.returncode == 0, result.stderr
    assert "th" not in {r["code"] for r in json.loads(result.stdout)}


def test_bad_font_dir_is_one_line_error(tmp_path):
    result = _run("languages", "--font-dir", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr


def test_doctor_passes_here():
    result = _run("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[  ok] Pillow text shaping" in result.stdout
    assert "raqm" in result.stdout and "harfbuzz" in result.stdout
    assert "tesseract" in result.stdout and "ray" in result.stdout
    assert "FAIL" not in result.stdout


@pytest.fixture
def broken_fribidi(tmp_path) -> dict[str, str]:
    """An unloadable libfribidi.so.0 first on the library path: Pillow's raqm then turns off,
    exactly as on a machine without libfribidi0."""
    libdir = tmp_path / "lib"
    libdir.mkdir()
    (libdir / "libfribidi.so.0").write_bytes(b"")
    return {**os.environ, "LD_LIBRARY_PATH": str(libdir)}


def test_doctor_fails_with_the_fix_when_raqm_is_off(broken_fribidi):
    result = subprocess.run([POLYGLYPH, "doctor"], env=broken_fribidi, capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    assert result.returncode == 1
    assert "[FAIL] Pillow text shaping" in result.stdout
    assert "fix (Pillow text shaping): apt-get install libfribidi0" in result.stdout


def test_rendering_command_stops_with_one_line_when_raqm_is_off(broken_fribidi, tmp_path):
    out = tmp_path / "page.png"
    result = subprocess.run([POLYGLYPH, "render", "--language", "ar", "--out", str(out)],
                            env=broken_fribidi, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "libfribidi0" in result.stderr
    assert not out.exists()


def test_all_adds_only_the_incomplete_texts(languages_json):
    result = _run("languages", "--json", "--all")
    assert result.returncode == 0, result.stderr
    every = {row["code"]: row for row in json.loads(result.stdout)}
    listed = {row["code"] for row in languages_json}
    assert listed <= every.keys()
    for code, row in every.items():
        assert (code in listed) == (not row["missing"]), code
        if code not in listed:
            assert row["coverage"] < 1.0 or row["missing"]


def _isolated_env(tmp_path) -> dict[str, str]:
    """Only the fonts a test hands over: system dirs off, a private cache."""
    return {**os.environ, "POLYGLYPH_SYSTEM_FONTS": "0", "POLYGLYPH_CACHE_DIR": str(tmp_path / "cache")}


def test_font_dir_alone_decides_the_languages(tmp_path, languages_json):
    by_code = {row["code"]: row for row in languages_json}
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for family_file in ("NotoSans-Regular.ttf", "NotoSansThai-Regular.ttf"):
        source = next(p for row in languages_json for p in row["fonts"] if p.endswith(family_file))
        shutil.copy(source, fonts / family_file)
    result = subprocess.run([POLYGLYPH, "languages", "--json", "--font-dir", str(fonts)],
                            env=_isolated_env(tmp_path), capture_output=True, text=True,
                            timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {row["code"]: row for row in json.loads(result.stdout)}
    assert {"en", "ru", "th", "el"} <= rows.keys()
    assert not {"ar", "he", "hi", "ja"} & rows.keys()
    assert all(Path(p).parent == fonts for row in rows.values() for p in row["fonts"])
    assert rows["th"]["fonts"][0].endswith("NotoSansThai-Regular.ttf")
    assert "serif" not in rows["en"]["styles"] and "serif" in by_code["en"]["styles"]


def test_no_fonts_is_one_line_error_with_the_fix(tmp_path):
    result = subprocess.run([POLYGLYPH, "languages"], env=_isolated_env(tmp_path),
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "apt-get install fonts-noto-core" in result.stderr
