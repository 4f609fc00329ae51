"""`polyglyph validate`: a cross-validation pass over existing shards, as its own job.

Reads `part-*.parquet` of a generated dataset, asks the judges every view's question, and writes
the same rows under the same contract with added columns: `validation` (JSON), `difficulty`,
`agreement`, `status` and `keep`. Each output shard is written tmp+rename; the output manifest
records every shard's input sha256 and the judge/rule settings, so a rerun skips shards whose
input and settings are unchanged (a GPU VLM pass can be stopped and resumed).

A judge that could not answer (server down, HTTP 500, garbage, timeout, engine error) gives no
verdict: a shard with any such row is neither written nor recorded as done, the other shards
go on, and the run ends with exit code 3 (`EXIT_UNANSWERED`) and a summary per judge and error
class; the same command later retries exactly those shards.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from tqdm import tqdm

from pipelines.errors import PolyglyphError
from qa_factory.judges import Judge, get_judge
from qa_factory.validate import (
    ValidationRules,
    row_columns,
    rules_record,
    select_kept,
    validate_pages,
)
from synth.rng import child_rng, sample_rng

EXIT_UNANSWERED = 3  # a judge could not answer some rows: rerun to retry those shards
MANIFEST = "manifest.json"
STATS = "stats.json"
ADDED_COLUMNS: list[tuple[str, pa.DataType, dict[str, str]]] = [
    ("validation", pa.string(), {"dtype": "string", "_type": "Value"}),
    ("difficulty", pa.float64(), {"dtype": "float64", "_type": "Value"}),
    ("agreement", pa.float64(), {"dtype": "float64", "_type": "Value"}),
    ("status", pa.string(), {"dtype": "string", "_type": "Value"}),
    ("keep", pa.bool_(), {"dtype": "bool", "_type": "Value"}),
]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="polyglyph validate", description=__doc__.splitlines()[0])
    p.add_argument("--input", required=True, help="dataset directory with part-*.parquet")
    p.add_argument("--out", required=True, help="output directory (new shards + manifest.json)")
    p.add_argument("--judges", default="tesseract", help="comma list: tesseract,rapidocr,openai")
    p.add_argument("--tesseract-workers", type=int, default=1, help="parallel tesseract runs")
    p.add_argument("--tesseract-engine", default="auto", choices=("auto", "tesserocr", "cli"),
                   help="in-process tesserocr (auto: when installed) or one CLI process a call")
    p.add_argument("--openai-base-url", default="http://127.0.0.1:8000/v1")
    p.add_argument("--openai-model", default="default")
    p.add_argument("--openai-api-key-env", default="OPENAI_API_KEY", help="env var holding the key")
    p.add_argument("--openai-concurrency", type=int, default=4)
    p.add_argument("--openai-timeout", type=float, default=60.0)
    p.add_argument("--openai-retries", type=int, default=3)
    p.add_argument("--rules", help="YAML file of validation rules (k, agree, far, hard_share, ...)")
    p.add_argument("--k", type=int, help="judges that must agree for `verified`")
    p.add_argument("--hard-share", type=float, help="max share of kept rows that are `hard`")
    p.add_argument("--line-checks", type=int, help="line crops read per page")
    p.add_argument("--batch-rows", type=int, default=8, help="rows per judge batch")
    p.add_argument("--no-progress", action="store_true")
    return p


NUMBER_RANGES = {  # flag: (low, high); every number a user gives is checked when read
    "tesseract_workers": (1, 64),
    "openai_concurrency": (1, 256),
    "openai_timeout": (0.001, 3600.0),
    "openai_retries": (0, 20),
    "batch_rows": (1, 100_000),
}


def check_numbers(args: argparse.Namespace) -> None:
    for name, (low, high) in NUMBER_RANGES.items():
        value = getattr(args, name)
        if not low <= value <= high:  # NaN fails this too
            flag = "--" + name.replace("_", "-")
            raise PolyglyphError(f"{flag} {value}: must be in [{low}, {high}]")


def load_rules(args: argparse.Namespace) -> ValidationRules:
    data: dict[str, Any] = {}
    if args.rules:
        try:
            data = yaml.safe_load(Path(args.rules).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise PolyglyphError(f"--rules {args.rules}: cannot read: {exc}") from None
        if not isinstance(data, dict):
            raise PolyglyphError(f"--rules {args.rules}: expected a mapping of rule -> value")
    for key, value in (
        ("k", args.k),
        ("hard_share", args.hard_share),
        ("line_checks", args.line_checks),
    ):
        if value is not None:
            data[key] = value
    return ValidationRules.from_dict(data)


def build_judges(args: argparse.Namespace) -> list[Judge]:
    names = [n.strip() for n in args.judges.split(",") if n.strip()]
    if not names:
        raise PolyglyphError("--judges is empty; name at least one judge (tesseract, openai)")
    judges = []
    for name in names:
        options: dict[str, Any] = {}
        if name == "tesseract":
            options = {"workers": args.tesseract_workers, "engine": args.tesseract_engine}
        if name == "openai":
            options = {
                "base_url": args.openai_base_url,
                "model": args.openai_model,
                "api_key_env": args.openai_api_key_env,
                "concurrency": args.openai_concurrency,
                "timeout": args.openai_timeout,
                "retries": args.openai_retries,
            }
        judges.append(get_judge(name, **options))
    return judges


def settings_hash(judges: list[Judge], rules: ValidationRules) -> str:
    record = {"judges": [j.settings() for j in judges], "rules": rules_record(rules)}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def with_added_schema(table: pa.Table) -> pa.Table:
    """Drop old validation columns, keep the `huggingface` metadata in step with the columns."""
    for name, _, _ in ADDED_COLUMNS:
        if name in table.column_names:
            table = table.drop_columns([name])
    return table


def _hf_metadata(schema: pa.Schema) -> dict[bytes, bytes]:
    metadata = dict(schema.metadata or {})
    try:
        hf = json.loads(metadata.get(b"huggingface", b"{}"))
    except ValueError:
        hf = {}
    features = hf.setdefault("info", {}).setdefault("features", {})
    if features:
        for name, _, feature in ADDED_COLUMNS:
            features[name] = feature
        metadata[b"huggingface"] = json.dumps(hf).encode()
    return metadata


def validate_table(
    table: pa.Table, judges: list[Judge], rules: ValidationRules, batch_rows: int, bar: tqdm
) -> tuple[pa.Table, dict[str, int]]:
    from pipelines.rows import row_to_page

    table = with_added_schema(table)
    results: list[dict[str, Any]] = []
    for start in range(0, table.num_rows, max(1, batch_rows)):
        rows = table.slice(start, batch_rows).to_pylist()
        items = []
        for row in rows:
            try:
                page = row_to_page(row)
            except (KeyError, ValueError, OSError) as exc:
                raise PolyglyphError(
                    f"row {row.get('id')!r} cannot be read back as a page: {exc}"
                ) from None
            rng = child_rng(sample_rng(int(row.get("seed") or 0)), "validate")
            items.append((page, row.get("tasks") or [], rng))
        results.extend(validate_pages(items, judges, rules))
        bar.update(len(rows))
    statuses = [r["status"] for r in results]
    keep = select_kept(statuses, [r["difficulty"] for r in results], rules.hard_share)
    columns = {
        "validation": pa.array([row_columns(r)["validation"] for r in results], pa.string()),
        "difficulty": pa.array([r["difficulty"] for r in results], pa.float64()),
        "agreement": pa.array([r["agreement"] for r in results], pa.float64()),
        "status": pa.array(statuses, pa.string()),
        "keep": pa.array(keep, pa.bool_()),
    }
    for name, arrow_type, _ in ADDED_COLUMNS:
        table = table.append_column(pa.field(name, arrow_type), columns[name])
    table = table.replace_schema_metadata(_hf_metadata(table.schema))
    counts = dict(sorted(Counter(statuses).items()))
    counts["kept"] = sum(keep)
    unanswered: Counter[str] = Counter()
    for r in results:
        unanswered.update(unanswered_classes(r))
    if unanswered:
        counts["unanswered"] = dict(sorted(unanswered.items()))
    return table, counts


def unanswered_classes(result: dict[str, Any]) -> set[str]:
    """'judge: error class' of every judge that failed somewhere on this row."""
    return {
        f"{name}: {info['error']}"
        for check in result["validation"]["checks"]
        for name, info in check["judges"].items()
        if name in check.get("unanswered", ())
    }


def main(argv: list[str] | None = None) -> int:
    from pipelines.output import Output, sha256, table_bytes

    args = build_parser().parse_args(argv)
    check_numbers(args)
    source = Output(args.input)
    if source.is_local and not source.root.is_dir():
        raise PolyglyphError(f"--input {args.input} is not a directory")
    parts = [n for n in source.list_names() if n.startswith("part-") and n.endswith(".parquet")]
    if not parts:
        raise PolyglyphError(f"--input {args.input} holds no part-*.parquet shards")
    out = Output(args.out)
    if source.is_local and out.is_local and out.root.resolve() == source.root.resolve():
        raise PolyglyphError(
            "--out must differ from --input (shards are rewritten with new columns)"
        )
    rules = load_rules(args)
    judges = build_judges(args)
    settings = settings_hash(judges, rules)
    out.prepare()
    out.remove_stale_tmp()
    input_manifest = json.loads(source.read_bytes(MANIFEST)) if source.exists(MANIFEST) else {}
    previous = json.loads(out.read_bytes(MANIFEST)) if out.exists(MANIFEST) else {}
    done = {
        e["file"]: e
        for e in previous.get("shards", [])
        if previous.get("validation", {}).get("settings_hash") == settings
    }
    manifest = {
        **{k: v for k, v in input_manifest.items() if k != "shards"},
        "validation": {
            "input": args.input,
            "judges": [j.settings() for j in judges],
            "rules": rules_record(rules),
            "settings_hash": settings,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "finished_at": None,
            "complete": False,
        },
        "shards": [],
    }
    entries: dict[str, dict[str, Any]] = {}
    pending = []
    for name in parts:
        input_hash = source.file_sha256(name)
        entry = done.get(name)
        if (
            entry
            and entry.get("input_sha256") == input_hash
            and out.file_sha256(name) == entry.get("sha256")
        ):
            entries[name] = entry
        else:
            pending.append((name, input_hash))
    total_rows = 0
    for name, _ in pending:
        total_rows += source.open_parquet(name).metadata.num_rows
    bar = tqdm(
        total=total_rows,
        unit="row",
        desc="validate",
        file=sys.stderr,
        disable=args.no_progress,
        mininterval=0.5,
    )

    def write_manifest() -> None:
        manifest["shards"] = [entries[n] for n in sorted(entries)]
        out.write_atomic(
            MANIFEST, (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode()
        )

    failed: dict[str, dict[str, int]] = {}
    try:
        for name, input_hash in pending:
            started = time.perf_counter()
            try:
                table = pq.read_table(io.BytesIO(source.read_bytes(name)))
            except (OSError, pa.ArrowInvalid) as exc:
                raise PolyglyphError(
                    f"{source.path(name)} is not a readable Parquet shard: {exc}"
                ) from None
            validated, counts = validate_table(table, judges, rules, args.batch_rows, bar)
            if "unanswered" in counts:  # no verdict for some rows: not done, retried next run
                failed[name] = counts["unanswered"]
                continue
            data = table_bytes(validated)
            out.write_atomic(name, data)
            entries[name] = {
                "index": int(name.split("-")[1].split(".")[0]),
                "file": name,
                "rows": validated.num_rows,
                "bytes": len(data),
                "sha256": sha256(data),
                "input_sha256": input_hash,
                "status": counts,
                "seconds": round(time.perf_counter() - started, 3),
            }
            write_manifest()
    finally:
        bar.close()
    manifest["validation"]["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    manifest["validation"]["complete"] = not failed
    write_manifest()
    totals: Counter[str] = Counter()
    for entry in entries.values():
        totals.update({k: v for k, v in entry["status"].items() if isinstance(v, int)})
    stats = json.loads(source.read_bytes(STATS)) if source.exists(STATS) else {}
    stats["validation"] = {
        "rows": dict(sorted(totals.items())),
        "judges": manifest["validation"]["judges"],
    }
    out.write_atomic(STATS, (json.dumps(stats, indent=1, ensure_ascii=False) + "\n").encode())
    print(
        f"validated {len(pending) - len(failed)} shard(s), skipped "
        f"{len(entries) - len(pending) + len(failed)} already done; rows: "
        + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())),
        file=sys.stderr,
    )
    if failed:
        return report_unanswered(failed)
    return 0


def report_unanswered(failed: dict[str, dict[str, int]]) -> int:
    """One summary line per shard left undone, then the exit code that says 'rerun'."""
    for name, classes in sorted(failed.items()):
        what = ", ".join(f"{k} ({v} row(s))" for k, v in classes.items())
        print(f"error: {name}: no answer from judge {what}; not recorded", file=sys.stderr)
    print(
        f"error: {len(failed)} shard(s) left unvalidated because a judge could not answer; "
        "run the same command again to retry them",
        file=sys.stderr,
    )
    return EXIT_UNANSWERED


if __name__ == "__main__":
    sys.exit(main())
