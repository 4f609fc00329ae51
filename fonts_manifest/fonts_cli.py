"""`polyglyph fonts`: the font pool per script — families, class, faces, licence — and which
scripts have no handwriting font (their handwriting is imitated on print faces)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from fonts_manifest.corpus import load_corpus
from fonts_manifest.debian import package_licences
from fonts_manifest.errors import ArgParser, PolyglyphError
from fonts_manifest.fontdb import check_font_dirs
from fonts_manifest.registry import FontRegistry

HAN_SCRIPTS = ("Hans", "Hant", "Jpan", "Hani")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgParser(
        prog="polyglyph fonts",
        description="List the font families per script, with style class, faces and licence.",
        examples=["polyglyph fonts --script Deva", "polyglyph fonts --language ja --json",
                  "polyglyph fonts --font-dir ~/my-fonts --language en"],
    )
    parser.add_argument("--script", help="only this ISO 15924 script (e.g. Latn, Arab, Hans)")
    parser.add_argument("--language", help="only families that draw this language's letters")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--font-dir", action="append", default=[], metavar="DIR",
        help="extra directory searched for .ttf/.otf/.ttc (repeatable)",
    )  # fmt: skip
    return parser


def catalogue(registry: FontRegistry, languages: list[Any]) -> dict[str, Any]:
    """Families per script (a family belongs to every script of a language it draws)."""
    per_script: dict[str, dict[str, set[str]]] = {}
    # a family's class can depend on the language: per script, the classes its languages give
    # (cwTeXKai: "kai" in Chinese, "sans" in every Latin pool, where its Latin is not mono)
    seen_class: dict[tuple[str, str], set[str]] = {}
    hand_scripts: set[str] = set()
    scripts = set()
    for info in languages:
        scripts.add(info.script)
        for family, cls in registry.families(info.code).items():
            per_script.setdefault(info.script, {}).setdefault(family, set()).add(info.code)
            seen_class.setdefault((info.script, family), set()).add(cls)
        if registry.handwriting_faces(info.code):
            hand_scripts.add(info.script)
    cat = registry.catalog
    licences = _licences(cat, {f for families in per_script.values() for f in families})
    out: dict[str, Any] = {}
    for script, families in sorted(per_script.items()):
        out[script] = [
            {"family": family, "class": _one_class(seen_class.get((script, family), set()),
                                                   cat.classes.get(family, "sans")),
             "licence": licences.get(family, "see package"),
             "faces": len([f for f in cat.faces.get(family, []) if f.get("usable")]),
             "languages": sorted(codes)}
            for family, codes in sorted(families.items())
        ]  # fmt: skip
    counts = {script: len(rows) for script, rows in out.items()}
    han = {row["family"] for s in HAN_SCRIPTS for row in out.get(s, [])}
    if han:
        counts["Han"] = len(han)
    return {
        "counts": counts,
        "classes": dict(Counter(cat.classes[f] for f in cat.classes if f not in cat.skipped)),
        "families": len([f for f in cat.classes if f not in cat.skipped]),
        "faces": len(registry.faces()),
        "imitation_only": sorted(scripts - hand_scripts),
        "skipped": [{"family": f, "reason": r} for f, r in sorted(cat.skipped.items())],
        "scripts": out,
    }


def _one_class(classes: set[str], default: str) -> str:
    """The family's class in the languages listed, when they agree (Nastaliq is a body face
    for Urdu and a display face for Arabic); else the class read from the font."""
    return next(iter(classes)) if len(classes) == 1 else default


def family_licences(registry: FontRegistry, families: set[str]) -> dict[str, str]:
    """{family: licence tag} as `polyglyph fonts` shows them (used by the dataset card)."""
    return _licences(registry.catalog, families)


def _licences(cat: Any, families: set[str]) -> dict[str, str]:
    """The font's own licence tag; where its name table has none (or an unusual text), the
    licence its Debian package's copyright file gives for the file."""
    tags = {f: cat.licences.get(f, "see package") for f in families}
    unclear = {f: cat.faces[f][0]["file"] for f, tag in tags.items()
               if (tag == "see package" or tag.startswith("other")) and cat.faces.get(f)}
    from_package = package_licences(unclear.values())
    for family, path in unclear.items():
        if path in from_package:
            tags[family] = from_package[path]
    return tags


def _table(data: dict[str, Any]) -> str:
    lines = []
    for script, rows in data["scripts"].items():
        lines.append(f"{script}: {len(rows)} families")
        for row in rows:
            lines.append(f"  {row['family'][:38]:38}  {row['class']:11}  {row['faces']:>2} faces  "
                         f"{row['licence'][:28]}")
    counts = ", ".join(f"{s} {n}" for s, n in sorted(data["counts"].items()))
    lines.append(f"{data['families']} families, {data['faces']} faces; per script: {counts}")
    if data["imitation_only"]:
        lines.append("handwriting imitated (no handwriting font): "
                     + " ".join(data["imitation_only"]))
    if data["skipped"]:
        lines.append(f"{len(data['skipped'])} families not sampled (symbol/pictographic/empty)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    for flag, value in (("--script", args.script), ("--language", args.language)):
        if value is not None and not value.strip():  # `--script "$S"` with S unset: not "all"
            raise PolyglyphError(f"{flag} is empty (an unset shell variable?); give a value "
                                 "or leave the option out")
    check_font_dirs(args.font_dir)
    corpus = load_corpus(languages=[args.language] if args.language else None)
    registry = FontRegistry.load(extra_dirs=args.font_dir, corpus=corpus)
    languages = [registry.language(args.language)] if args.language else registry.languages()
    data = catalogue(registry, languages)
    if args.script:
        if args.script not in data["scripts"]:
            known = ", ".join(sorted(data["scripts"]))
            raise PolyglyphError(f"--script {args.script!r}: no family found; scripts: {known}")
        data["scripts"] = {args.script: data["scripts"][args.script]}
        data["counts"] = {args.script: data["counts"][args.script]}
    try:
        if args.json:
            json.dump(data, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            print(_table(data))
        sys.stdout.flush()
    except BrokenPipeError:  # `polyglyph fonts | head`
        sys.stdout = None  # type: ignore[assignment]
    return 0
