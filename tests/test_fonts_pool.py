"""The font pool: a face that draws a language's letters is used even when it lacks a mark
(issue 23), user font dirs join the pool, the cache notices new files, loops and empty
outlines are handled (issue 21), and the sampler honours the run's `fonts` policy (issue 14).
All with real font files built here with fontTools from installed fonts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph

from fonts_manifest import fontdb
from fonts_manifest.corpus import load_corpus
from fonts_manifest.registry import FontRegistry
from fonts_manifest.sampling import sample_family
from pipelines.errors import PolyglyphError
from synth.render import PageSpec, RenderContext, render_page
from synth.text import TextEngine, TextStyle, face_name

DEJAVU_SERIF = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _rename(font: TTFont, family: str) -> None:
    for record in font["name"].names:
        if record.nameID in (1, 16):
            record.string = family
        elif record.nameID in (4, 6):
            record.string = family.replace(" ", "") if record.nameID == 6 else family


def build_font(source: Path, family: str, out: Path, drop: str = "",
               empty_outlines: bool = False) -> Path:
    """A copy of `source` renamed to `family`, without the characters of `drop` in its cmap
    (or with every glyph outline emptied)."""
    font = TTFont(str(source))
    _rename(font, family)
    for table in font["cmap"].tables:
        for ch in drop:
            table.cmap.pop(ord(ch), None)
    if empty_outlines:
        glyf = font["glyf"]
        for name in font.getGlyphOrder():
            glyf[name] = Glyph()
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(out))
    return out


@pytest.fixture(scope="module")
def dash_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fonts")
    build_font(DEJAVU_SERIF, "Polyglyph Nodash Serif", folder / "NodashSerif.ttf", drop="–")
    return folder


@pytest.fixture(scope="module")
def registry(dash_dir) -> FontRegistry:
    return FontRegistry.load(extra_dirs=[str(dash_dir)], corpus=load_corpus(languages=["en"]))


def test_face_lacking_a_mark_draws_the_letters_and_the_mark_falls_back(registry):
    family = "Polyglyph Nodash Serif"
    assert registry.families("en")[family] == "serif"  # eligible: it draws every letter
    chain = tuple(registry.family_chain("en", family))
    assert chain[0].family == family and ord("–") not in registry.coverage(chain[0])
    engine = TextEngine(registry)
    style = TextStyle(chain=chain, size=32, language="en", script="Latn")
    text = "Everyone has rights – and duties"
    layout = engine.layout_line(text, style)
    canvas = np.full((80, 900, 3), 255, np.uint8)
    line = engine.line_label(layout, engine.draw_line(canvas, layout, (10, 50)))
    assert line.text == text  # the label is the text, whatever drew it
    dash = [p for p in layout.pieces if p.text == "–"]
    assert dash and dash[0].face.family != family  # the mark comes from another face
    assert {p.face.family for p in layout.pieces if p.text.strip() and p.text != "–"} == {family}
    assert line.font_family == family and "+" in line.font
    (x0, y0), (x1, y1) = np.min(line.polygon, axis=0), np.max(line.polygon, axis=0)
    dash_word = next(w for w in line.words if w.text == "–")
    dx0, dy0 = np.min(dash_word.polygon, axis=0)
    dx1, dy1 = np.max(dash_word.polygon, axis=0)
    assert x0 <= dx0 and dx1 <= x1 and y0 <= dy0 and dy1 <= y1  # the polygon covers both
    assert canvas[int(dy0):int(dy1) + 1, int(dx0):int(dx1) + 1].min() < 128  # ink drawn


def test_user_font_dir_family_sets_body_text(registry):
    corpus = {"en": registry.corpus["en"]}
    ctx = RenderContext(registry, corpus)
    assert "Polyglyph Nodash Serif" in registry.catalog.user
    seen = set()
    for seed in range(6):
        page = render_page(PageSpec("en", width=400, height=500), np.random.default_rng(seed), ctx)
        seen |= {ln.font_family for ln in page.lines if ln.role == "paragraph"}
    assert "Polyglyph Nodash Serif" in seen


def test_sampler_policy_include_exclude_weights():
    families = {"A Serif": "serif", "B Sans": "sans", "C Mono": "mono", "D Hand": "handwriting"}

    def draws(role: str, policy: dict, n: int = 300) -> set[str | None]:
        rng = np.random.default_rng(0)
        return {sample_family(rng, families, role, policy) for _ in range(n)}

    assert draws("body", {}) == {"A Serif", "B Sans", "C Mono"}  # no handwriting in print
    assert draws("body", {"exclude": ["C*"]}) == {"A Serif", "B Sans"}
    assert draws("body", {"weights": {"serif": 0, "mono": 0}}) == {"B Sans"}
    assert draws("receipt", {"include": ["C Mono"]}) == {"C Mono"}
    assert draws("body", {"include": ["D Hand"]}) == {"D Hand"}  # named: honoured in any role
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    assert [sample_family(rng_a, families, "table", {}) for _ in range(20)] == \
        [sample_family(rng_b, dict(reversed(families.items())), "table", {}) for _ in range(20)]


@pytest.mark.slow  # three font sets, each with its language table (~20 s)
def test_adding_a_font_file_to_a_cached_folder_shows_up(tmp_path):
    folder = tmp_path / "fonts"
    build_font(DEJAVU_SERIF, "Polyglyph First", folder / "First.ttf")
    corpus = load_corpus(languages=["en"])
    first = FontRegistry.load(extra_dirs=[str(folder)], corpus=corpus)
    assert "Polyglyph First" in first.families("en")
    build_font(DEJAVU_SANS, "Polyglyph Second", folder / "Second.ttf")
    FontRegistry._memo.clear()  # a new run (process) starts without the in-process memo
    second = FontRegistry.load(extra_dirs=[str(folder)], corpus=corpus)
    assert {"Polyglyph First", "Polyglyph Second"} <= second.families("en").keys()
    (folder / "First.ttf").unlink()
    FontRegistry._memo.clear()
    third = FontRegistry.load(extra_dirs=[str(folder)], corpus=corpus)
    assert "Polyglyph First" not in third.families("en")
    assert second.fingerprint != first.fingerprint != third.fingerprint


def test_replaced_file_with_same_size_and_mtime_is_read_again(tmp_path):
    path = build_font(DEJAVU_SERIF, "Polyglyph Aaaa", tmp_path / "f" / "F.ttf")
    stat = path.stat()
    entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "ctime_ns": stat.st_ctime_ns,
             "checks": fontdb.FACE_CHECKS}
    assert not fontdb._stale(entry, stat)
    build_font(DEJAVU_SERIF, "Polyglyph Bbbb", path)  # same length name: same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # mtime put back (cp -p)
    again = path.stat()
    assert again.st_size == stat.st_size and again.st_mtime_ns == stat.st_mtime_ns
    assert fontdb._stale(entry, again)


def test_symlink_loop_in_a_font_dir_is_scanned_once(tmp_path):
    folder = tmp_path / "fonts"
    build_font(DEJAVU_SANS, "Polyglyph Loop", folder / "sub" / "Loop.ttf")
    (folder / "sub" / "back").symlink_to(folder)
    (folder / "again").symlink_to(folder / "sub")
    probe = ("import sys; from pathlib import Path; from fonts_manifest import fontdb; "
             "print(len(list(fontdb.walk_font_dir(Path(sys.argv[1])))))")
    result = subprocess.run([sys.executable, "-c", probe, str(folder)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 1


def test_face_with_empty_outlines_draws_nothing_and_is_excluded(tmp_path):
    folder = tmp_path / "fonts"
    path = build_font(DEJAVU_SANS, "Polyglyph Empty", folder / "Empty.ttf", empty_outlines=True)
    faces = fontdb.read_font_file(path)
    assert faces and faces[0]["empty_glyphs"] > 100
    assert ord("a") not in fontdb.ranges_to_set(faces[0]["ranges"])
    registry = FontRegistry.load(extra_dirs=[str(folder)], corpus=load_corpus(languages=["en"]))
    assert "Polyglyph Empty" in registry.catalog.skipped
    assert "Polyglyph Empty" not in registry.families("en")
    assert all(f.family != "Polyglyph Empty" for f in registry.chain("en"))


def test_undrawable_character_is_named(tmp_path):
    from pipelines.config import build_config, resolve_config

    text = tmp_path / "ar.txt"
    text.write_text("حقوق الإنسان \U0010FFFD للجميع\n", encoding="utf-8")
    config = build_config(overrides={"languages": ["ar"], "corpus": {"ar": str(text)}})
    # a corpus whose only row no font draws is refused, naming the character and its row
    with pytest.raises(PolyglyphError,
                       match=r"--corpus ar=.*no installed font draws .*U\+10FFFD.* in row 1"):
        resolve_config(config)


@pytest.mark.slow  # a fresh font set: the language table of all ~530 texts is computed (~60 s)
def test_target_language_does_not_constrain_page_fonts(tmp_path):
    """A target language is only a translation view: its text need not be drawable."""
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for name in ("NotoSans-Regular.ttf", "NotoSansArabic-Regular.ttf"):
        shutil.copy(Path("/usr/share/fonts/truetype/noto") / name, fonts / name)
    probe = ("from pipelines.config import build_config, resolve_config; "
             f"c = build_config(overrides={{'languages': ['ar'], 'target_language': 'ja', "
             f"'font_dirs': [{str(fonts)!r}], 'scenes': {{'document': 1}}}}); "
             "print(resolve_config(c)['target_language'])")
    env = {**os.environ, "POLYGLYPH_SYSTEM_FONTS": "0", "POLYGLYPH_CACHE_DIR": str(tmp_path / "c"),
           "PYTHONPATH": os.getcwd()}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ja")


ISSUE_23_FAMILIES = [
    ("ar", "KacstOne"), ("ar", "AlArabiya"), ("ar", "Nagham"), ("ar", "Nazli"), ("ar", "Homa"),
    ("ur", "Noto Kufi Arabic"), ("en", "Carlito"), ("en", "Caladea"),
    ("en", "Open Sans"), ("en", "Nimbus Sans Narrow"),
]


@pytest.fixture(scope="module")
def installed() -> FontRegistry:
    return FontRegistry.load(corpus=load_corpus(languages=["ar", "ur", "en"]))


@pytest.mark.parametrize("code,family", ISSUE_23_FAMILIES)
def test_families_lacking_a_mark_set_body_text(installed, code, family):
    """Each of these lacks a character the page needs (`–`, `•`, `٬`...) and was refused
    before; with the run's `fonts.include` it sets the body text and the marks fall back."""
    if not installed.family_faces(family):
        pytest.skip(f"{family} not installed (tools/apt-packages.txt)")
    assert family in installed.families(code)
    ctx = RenderContext(installed, dict(installed.corpus), {"include": [family]})
    page = render_page(PageSpec(code, width=420, height=560), np.random.default_rng(3), ctx)
    body = [ln for ln in page.lines if ln.role in ("paragraph", "list-item")
            and ln.style == "printed"]
    assert body
    # a line of mostly Latin entities (an e-mail and a date) has another main family; the
    # family still draws the language's letters in it
    assert sum(ln.font_family == family for ln in body) >= 0.8 * len(body)
    own = {face_name(f) for f in installed.family_faces(family)}  # emphasis: bold, italic
    for ln in body:
        if any(c.isalpha() and not c.isascii() for c in ln.text) or code == "en":
            assert own & set(ln.font.split("+")), (ln.text, ln.font)


def test_a_face_without_the_languages_letters_is_not_eligible(installed):
    """DejaVu Sans lacks ہ U+06C1 and ے U+06D2, letters of almost every Urdu sentence: a
    fallback inside a word would break the cursive joins, so it does not set Urdu text."""
    cov = installed.coverage(installed.family_face("DejaVu Sans"))
    assert ord("ے") not in cov and ord("ہ") not in cov
    assert "DejaVu Sans" not in installed.families("ur")
    assert "DejaVu Sans" in installed.families("ar")


@pytest.mark.parametrize("kind,word", [("bold", "Bold"), ("italic", "Italic")])
def test_emphasis_run_inside_a_line_uses_the_familys_face(installed, kind, word):
    engine = TextEngine(installed)
    chain = tuple(installed.family_chain("en", "DejaVu Serif"))
    style = TextStyle(chain=chain, size=30, language="en", script="Latn")
    text = "All human beings are born free"
    plain = engine.layout_line(text, style)
    layout = engine.layout_line(text, style, emphasis=(0.5, 1, kind))
    faces = [p.face for p in layout.pieces if p.word >= 0]
    emphasised = [f for f in faces if f != chain[0]]
    assert len(emphasised) == 1 and word in emphasised[0].subfamily
    assert emphasised[0].family == "DejaVu Serif"
    canvas = np.full((70, 700, 3), 255, np.uint8)
    line = engine.line_label(layout, engine.draw_line(canvas, layout, (10, 45)))
    assert line.text == text and [w.text for w in line.words] == text.split()
    assert line.font_family == "DejaVu Serif" and len(line.font.split("+")) == 2
    assert layout.advance != plain.advance  # another face, other advances


def test_debian_copyright_gives_a_files_licence(installed):
    from fonts_manifest.debian import file_licence, package_licences, stanzas

    text = ("Format: x\n\nFiles: *\nLicense: GPL-2+\n\n"
            "Files: fonts/Special*.ttf\nCopyright: me\nLicense: OFL-1.1\n text\n")
    assert stanzas(text) == [(["*"], "GPL-2+"), (["fonts/Special*.ttf"], "OFL-1.1")]
    face = installed.family_face("KacstOne")
    if face is None or not Path("/usr/share/doc/fonts-kacst-one/copyright").exists():
        pytest.skip("fonts-kacst-one not installed")
    found = package_licences([face.path])
    assert found and found[face.path].endswith("(fonts-kacst-one)")
    assert file_licence(face.path, "fonts-kacst-one") in found[face.path]


def test_nastaliq_sets_urdu_body_text_but_only_headings_in_arabic(installed):
    """Nastaliq is Urdu's book hand and a display style for Arabic prose; the ornamental
    arabeyes faces (outlined, shadowed, faux-brush) are display faces in every language."""
    family = "Noto Nastaliq Urdu"
    if not installed.family_faces(family):
        pytest.skip(f"{family} not installed")
    assert installed.families("ur")[family] == "serif"
    assert installed.families("ar")[family] == "display"
    for ornamental in ("Granada", "Shado", "Nagham"):
        if installed.family_faces(ornamental):
            assert installed.families("ar")[ornamental] == "display"
    ctx = RenderContext(installed, dict(installed.corpus))
    drawn = {ctx.sample_font(np.random.default_rng(i), "ar", "body") for i in range(400)}
    classes = {installed.families("ar").get(name.removeprefix("family:")) for name in drawn}
    assert "display" not in classes and len(drawn) > 20


def test_licence_tags_say_only_what_the_text_says():
    """"GPL with font exception" only when the text grants the exception; a long unknown
    licence is cut at a word and marked as cut (the dataset card lists these names)."""
    from fonts_manifest.catalog import licence_tag

    assert licence_tag("GNU General Public License, version 2") == "GPL"
    assert licence_tag("GPL v2 with font exception") == "GPL with font exception"
    assert licence_tag("Released under the GNU GPL. As a special exception, if you create "
                       "a document which uses this font...") == "GPL with font exception"
    long = licence_tag("Licensed under the Liberation Fonts license, see the COPYING file "
                       "shipped with the package for the full text")
    assert long.startswith("other: Licensed under the Liberation") and long.endswith("…")
    assert not long.removesuffix("…").endswith(" ") and len(long) < 80


def test_packed_language_table_answers_as_the_json() -> None:
    """The worker's packed table entry (fonts_manifest.langtable) gives back the same pool, in
    the same order, and the same face lists as the JSON entry it was made from."""
    from fonts_manifest.langtable import compact_entry, entry_families

    entry = {"families": {"B Sans": "sans", "A Serif": "serif", "C Hand": "handwriting",
                          "D Sans": "sans"},
             "chains": {"sans": [["/f/b.ttf", 0], ["/f/n.ttc", 2]]},
             "handwriting_faces": [["/f/c.ttf", 0]], "real": {"sans": True}}
    packed = compact_entry(entry)
    assert list(entry_families(packed).items()) == list(entry["families"].items())
    assert packed["chains"] == {"sans": (("/f/b.ttf", 0), ("/f/n.ttc", 2))}
    assert packed["handwriting_faces"] == (("/f/c.ttf", 0),) and packed["real"] is entry["real"]
    assert entry_families(entry) == entry["families"]  # an unpacked entry reads the same
