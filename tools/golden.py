"""Golden digests of output rows: refactors must keep every byte (or explain each change).

`python tools/golden.py --record FILE` makes a fixed set of rows and writes, per row, the sha256
of every column (image bytes included) to FILE; `--check FILE` makes them again and lists every
(row, column) whose digest differs, exiting 1 if any does. The set covers every scene and every
warp profile with several languages and directions (one row per scene x profile, the language
cycling through ltr/rtl/vertical-capable scripts), some rows PNG, plus two `polyglyph variants`
runs: an ICDAR-2015 folder made here, and our own Parquet (the generated rows read back, which
exercises `row_to_page`). Rows come from `pipelines.sample.make_row`, the same function the run
driver calls, so shard bytes follow from these rows and the (unchanged) writer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

SCENES = ["document", "table", "form", "receipt", "card", "handwriting-note"]
PROFILES = ["clean", "scan", "photo", "wild"]
LANGUAGES = ["en", "ar", "zh-Hans", "hi", "ja", "he", "ru"]
# imitated handwriting (scripts without a handwriting font), more scripts and a vertical page
EXTRA = [("handwriting-note", "scan", "hi"), ("handwriting-note", "photo", "he"),
         ("handwriting-note", "wild", "th"), ("form", "scan", "ka"), ("document", "photo", "ko"),
         ("receipt", "wild", "am"), ("document", "clean", "ja")]
SEED = 1234


def _digest(value: Any) -> str:
    if isinstance(value, bytes):
        data = value
    else:
        data = json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def row_digests(row: dict[str, Any]) -> dict[str, str]:
    """One digest per column; the image struct is split into its bytes and its path."""
    out = {}
    for name, value in sorted(row.items()):
        if name == "image" and isinstance(value, dict):
            out["image.bytes"] = _digest(value.get("bytes") or b"")
            out["image.path"] = _digest(value.get("path"))
        else:
            out[name] = _digest(value)
    return out


def generate_rows() -> dict[str, dict[str, Any]]:
    """One row per (scene, profile); languages and image formats cycle over the cases."""
    from pipelines.config import build_config, config_hash, resolve_config
    from pipelines.sample import make_row, worker_context

    base = resolve_config(build_config(overrides={
        "languages": sorted({*LANGUAGES, *(c[2] for c in EXTRA)}), "seed": SEED}))
    ctx = worker_context(base, config_hash(base))
    cases = [(s, p, LANGUAGES[i % len(LANGUAGES)])
             for i, (s, p) in enumerate((s, p) for s in SCENES for p in PROFILES)]
    rows = {}
    for i, (scene, profile, language) in enumerate([*cases, *EXTRA]):
        config = {**base, "scenes": {scene: 1.0}, "languages": {language: 1.0},
                  "profiles": {profile: base["profiles"][profile]},
                  "image": {**base["image"], "format": "png" if i % 5 == 4 else "jpeg"}}
        rows[f"gen/{i:02d}-{scene}-{profile}-{language}"] = make_row(config, i, ctx)
    return rows


def _icdar_folder(root: Path) -> Path:
    from PIL import Image, ImageDraw

    boxes = [(20, 20, 120, 44, "Hello"), (30, 70, 150, 96, "world,x"), (140, 20, 180, 40, "###")]
    img = Image.new("RGB", (200, 120), (240, 240, 235))
    pen = ImageDraw.Draw(img)
    for x0, y0, x1, y1, _ in boxes:
        pen.rectangle([x0, y0, x1, y1], fill=(10, 10, 10))
    (root / "images").mkdir(parents=True)
    (root / "gt").mkdir()
    img.save(root / "images" / "img_1.jpg")
    lines = [f"{x0},{y0},{x1},{y0},{x1},{y1},{x0},{y1},{t}" for x0, y0, x1, y1, t in boxes]
    (root / "gt" / "gt_img_1.txt").write_text("\n".join(lines) + "\n", "utf-8")
    return root


def _variants(argv: list[str], out: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    from pipelines.cli import main as cli_main

    if cli_main(["variants", *argv, "--quiet", "--out", str(out)]) != 0:
        raise SystemExit(f"golden: variants {argv} failed")
    return [row for part in sorted(out.glob("**/part-*.parquet"))
            for row in pq.read_table(part).to_pylist()]


def variant_rows(generated: dict[str, dict[str, Any]], tmp: Path) -> dict[str, dict[str, Any]]:
    """`polyglyph variants` of an ICDAR folder and of six generated rows (one per scene)."""
    from pipelines.rows import rows_to_table
    from pipelines.writers import table_bytes

    out = {}
    icdar = _variants(["--input", str(_icdar_folder(tmp / "icdar")), "--format", "icdar2015",
                       "--profile", "photo", "--copies", "2", "--seed", "5"], tmp / "v1")
    for i, row in enumerate(icdar):
        out[f"variants-icdar/{i}"] = row
    ours = [row for key, row in generated.items() if "-clean-" in key]
    src = tmp / "ours" / "part-00000.parquet"
    src.parent.mkdir()
    src.write_bytes(table_bytes(rows_to_table(ours)))
    for i, row in enumerate(_variants(["--input", str(src), "--format", "parquet", "--profile",
                                       "wild", "--seed", "7", "--image-format", "png"], tmp / "v2")):
        out[f"variants-parquet/{i}"] = row
    return out


def all_digests() -> dict[str, dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        rows = generate_rows()
        rows.update(variant_rows(rows, Path(tmp)))
    return {key: row_digests(row) for key, row in rows.items()}


def compare(expected: dict[str, dict[str, str]], got: dict[str, dict[str, str]]) -> list[str]:
    diffs = []
    for key in sorted(set(expected) | set(got)):
        a, b = expected.get(key), got.get(key)
        if a is None or b is None:
            diffs.append(f"{key}: {'new row' if a is None else 'row missing'}")
            continue
        for col in sorted(set(a) | set(b)):
            if a.get(col) != b.get(col):
                diffs.append(f"{key}: column {col} {a.get(col)} -> {b.get(col)}")
    return diffs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--record", metavar="FILE", help="write the digests to FILE")
    mode.add_argument("--check", metavar="FILE", help="compare with the digests in FILE")
    args = p.parse_args(argv)
    got = all_digests()
    if args.record:
        Path(args.record).write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", "utf-8")
        print(f"golden: {len(got)} rows recorded in {args.record}")
        return 0
    expected = json.loads(Path(args.check).read_text("utf-8"))
    diffs = compare(expected, got)
    for line in diffs:
        print(line)
    print(f"golden: {len(got)} rows, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
