"""`polyglyph doctor` and the raqm guard every rendering command calls first.

Each check returns (ok, label, detail, fix); the command prints them as a check list and exits 1
when any failed, with one fix line per problem, so a fresh machine can be repaired by reading it.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from fonts_manifest.errors import ArgParser, PolyglyphError

RAQM_FIX = "apt-get install libfribidi0 (Pillow's raqm layout loads libfribidi.so.0 at run time)"
FONT_FIX = "apt-get install fonts-noto-core fonts-noto-extra fonts-noto-cjk"
# Languages the demo and the other areas' tests render: each must have a complete chain.
CORE_LANGUAGES = ("en", "ru", "ar", "he", "fa", "hi", "th", "ja", "zh-Hans", "zh-Hant", "ko", "am")
POOL_SCRIPTS = ("Latn", "Cyrl", "Grek", "Han", "Hang", "Arab", "Deva", "Thai")
# Tesseract packs the judges and tests use (mirrors tools/apt-packages.txt).
TESSERACT_LANGS = (
    "eng", "ara", "heb", "fas", "urd", "hin", "ben", "tam", "tha", "khm", "mya", "bod", "amh",
    "kat", "hye", "ell", "rus", "kor", "jpn", "chi_sim", "vie",
)  # fmt: skip


@dataclass
class Check:
    ok: bool
    label: str
    detail: str
    fix: str = ""
    fatal: bool = True


def require_raqm() -> None:
    """Without raqm, Pillow draws Arabic/Hebrew unjoined and reversed and Indic unshaped."""
    from PIL import features

    if not features.check("raqm"):
        raise PolyglyphError(f"Pillow's raqm text layout is unavailable; fix: {RAQM_FIX}")


def check_raqm() -> Check:
    import PIL
    from PIL import features

    ok = bool(features.check("raqm"))
    versions = ", ".join(
        f"{name} {features.version(name) or '-'}" for name in ("raqm", "fribidi", "harfbuzz")
    )
    return Check(ok, "Pillow text shaping", f"Pillow {PIL.__version__}: {versions}", RAQM_FIX)


def check_fonts() -> list[Check]:
    from fonts_manifest.registry import FontRegistry

    registry = FontRegistry.load()
    infos = registry.languages()
    per_script: dict[str, set[str]] = defaultdict(set)
    for info in infos:
        for face in registry.chain(info.code)[:1] + registry.chain(info.code, "serif")[:1]:
            per_script[info.script].add(face.family)
        for face in registry.handwriting_faces(info.code):
            per_script[info.script].add(face.family)
    scripts = ", ".join(f"{s} {len(f)}" for s, f in sorted(per_script.items()))
    checks = [
        Check(
            bool(infos),
            "fonts",
            f"{len(registry.faces())} faces; {len(infos)} languages, {len(per_script)} scripts "
            f"(script: families) {scripts}",
            FONT_FIX,
        )
    ]
    missing = []
    for code in CORE_LANGUAGES:
        try:
            registry.language(code)
        except PolyglyphError:
            missing.append(code)
    checks.append(
        Check(not missing, "core languages", "missing: " + ", ".join(missing) if missing
              else "all drawable: " + ", ".join(CORE_LANGUAGES), FONT_FIX)
    )  # fmt: skip
    checks.append(pool_check(registry, infos))
    hand = sorted({f.family for i in infos for f in registry.handwriting_faces(i.code)})
    checks.append(
        Check(bool(hand), "handwriting fonts", ", ".join(hand) or "none",
              "pip install fontpkg-caveat; apt-get install fonts-tlwg-purisa-otf fonts-klee",
              fatal=False)
    )  # fmt: skip
    return checks


def pool_check(registry: Any, infos: list[Any]) -> Check:
    """Families the page sampler can use, per script (see `polyglyph fonts`)."""
    from fonts_manifest.fonts_cli import catalogue

    data = catalogue(registry, infos)
    counts = data["counts"]
    shown = ", ".join(f"{s} {counts[s]}" for s in POOL_SCRIPTS if s in counts)
    detail = (f"{data['families']} families ({shown}); {len(data['skipped'])} not sampled; "
              f"handwriting imitated for {len(data['imitation_only'])} scripts")
    return Check(data["families"] > 0, "font pool", detail, FONT_FIX, fatal=False)


def check_tesseract() -> list[Check]:
    binary = shutil.which("tesseract")
    if binary is None:
        return [Check(False, "tesseract", "not found on PATH", "apt-get install tesseract-ocr")]
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30)
    langs = {line.strip() for line in listed.stdout.splitlines()[1:] if line.strip()}
    first = (
        (version.stdout or version.stderr).splitlines()[0]
        if (version.stdout or version.stderr)
        else "?"
    )
    missing = [lang for lang in TESSERACT_LANGS if lang not in langs]
    packages = " ".join("tesseract-ocr-" + lang.replace("_", "-") for lang in missing)
    return [
        Check(True, "tesseract", f"{first} at {binary}"),
        Check(not missing, "tesseract languages",
              f"{len(langs)} installed ({' '.join(sorted(langs))})"
            + (f"; missing {', '.join(missing)}" if missing else ""),
              f"apt-get install {packages}"),
    ]  # fmt: skip


def check_import(module: str, fix: str) -> Check:
    try:
        imported = importlib.import_module(module)
    except Exception as exc:  # any import failure is the finding itself
        return Check(False, module, f"import failed: {type(exc).__name__}: {exc}", fix)
    try:
        version = metadata.version(module)
    except metadata.PackageNotFoundError:
        version = getattr(imported, "__version__", "?")
    return Check(True, module, f"importable, version {version}")


def run_checks() -> list[Check]:
    checks = [check_raqm()]
    try:
        checks.extend(check_fonts())
    except PolyglyphError as exc:
        checks.append(Check(False, "fonts", str(exc), FONT_FIX))
    checks.extend(check_tesseract())
    checks.append(
        check_import("icu4py", "pip install icu4py (line breaking for Thai/Khmer/Lao/Myanmar)")
    )
    ray = check_import("ray", "pip install 'polyglyph[ray]' (only for --workers > 1 and "
                              "Ray clusters; --workers 1 runs without it)")
    checks.append(Check(ray.ok, ray.label, ray.detail, ray.fix, fatal=False))
    return checks


def report(checks: list[Check]) -> int:
    """Print the check list, one fix line per problem; 1 when any fatal check failed."""
    for check in checks:
        mark = "ok" if check.ok else ("FAIL" if check.fatal else "warn")
        print(f"[{mark:>4}] {check.label}: {check.detail}")
    problems = [c for c in checks if not c.ok and c.fatal]
    for check in checks:
        if not check.ok:
            print(f"fix ({check.label}): {check.fix}")
    print("doctor: all checks passed" if not problems else f"doctor: {len(problems)} problem(s)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = ArgParser(prog="polyglyph doctor", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    return report(run_checks())
