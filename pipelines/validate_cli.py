"""`polyglyph validate`: a cross-validation pass over existing shards, as its own job.

Reads `data/part-*.parquet` of a generated dataset (or, of one made before shards moved to
`data/`, the `part-*.parquet` at its root), asks the judges every view's question, and writes
the same rows to `OUT/data/` under the same contract with added columns: `validation` (JSON), `difficulty`,
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
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from pipelines.errors import YAML_ERRORS, ArgParser, PolyglyphError, yaml_reason
from qa_factory.judge_pool import JudgePool
from qa_factory.judges import Judge, get_judge
from qa_factory.validate import (
    ValidationRules,
    rules_record,
)

from .card import dataset_card, first_schema, font_licences
from .containment import dataset_overlap
from .dataset import open_dataset
from .driver import Run, drive, local_executor
from .manifest import CARD, MANIFEST, STATS, ShardJob, now, read_json, write_json
from .output import DATA, Output, require_target
from .qa_pass import PAIRS_RANGE, QAPass, replies_name
from .resume import open_output, refuse_foreign
from .storage import is_uri, redact
from .validate_shard import (  # noqa: F401 (judge_rows, unanswered_classes: re-exported)
    judge_rows,
    unanswered_classes,
    validate_parquet,
)

EXIT_UNANSWERED = 3  # a judge could not answer some rows: rerun to retry those shards
def build_parser() -> argparse.ArgumentParser:
    p = ArgParser(prog="polyglyph validate", description=__doc__.splitlines()[0], examples=[
        "polyglyph validate --input out --out checked",
        "polyglyph validate --input out --judges tesseract,rapidocr --k 2 --out checked",
        "polyglyph validate --input out --judges openai --openai-model qwen --qa-generate 3 --out qa"])
    p.add_argument("--input", required=True, help="dataset directory (shards in its data/), "
                   "one shard file, or a URI of either (as export and inspect take)")
    p.add_argument("--out", required=True, help="output directory (new shards + manifest.json)")
    p.add_argument("--judges", default="tesseract", help="comma list of tesseract, rapidocr, openai (default tesseract)")
    p.add_argument("--workers", type=int, default=None,
                   help="threads reading crops at once, shared by all judges, 1..256 (default: "
                        "all cores; results do not depend on it)")
    p.add_argument("--tesseract-workers", type=int, default=1,
                   help="parallel tesseract runs inside one judge call, 1..64 (validate "
                        "already spreads crops over --workers)")
    p.add_argument("--tesseract-engine", default="auto", choices=("auto", "tesserocr", "cli"),
                   help="in-process tesserocr (auto: when installed) or one CLI process a call")
    p.add_argument("--tesseract-pages", default="lines", choices=("lines", "layout"),
                   help="page views from Tesseract's line-crop readings in the label's reading "
                        "order (fast), or from its own full-page layout analysis")
    p.add_argument("--openai-base-url", default="http://127.0.0.1:8000/v1",
                   help="OpenAI-compatible endpoint (vLLM, SGLang, ...; default %(default)s)")
    p.add_argument("--openai-model", default="default",
                   help="model name the endpoint serves (default %(default)s)")
    p.add_argument("--openai-api-key-env", default="OPENAI_API_KEY", help="env var holding the key")
    p.add_argument("--openai-concurrency", type=int, default=4,
                   help="requests in flight at once, 1..256 (default 4)")
    p.add_argument("--openai-timeout", type=float, default=60.0,
                   help="seconds for one whole attempt, connect to last byte, 0.001..3600 "
                   "(default 60)")
    p.add_argument("--openai-retries", type=int, default=3,
                   help="retries of a failed request, 0..20 (default 3)")
    p.add_argument("--qa-generate", type=int, default=None, metavar="N",
                   help="also ask the --openai-* endpoint for N (1..50) question-answer pairs a page; "
                        "keep those the label tree and the judges confirm (task qa_generated)")
    p.add_argument("--rules", help="YAML file of validation rules (k, agree, far, hard_share, ...)")
    p.add_argument("--k", type=int, help="judges that must agree for `verified`, 1..16 (default 1)")
    p.add_argument("--hard-share", type=float, help="max share of kept rows that are `hard`, 0..1 (default 0.3)")
    p.add_argument("--line-checks", type=int, help="line crops read per page, 0..1000 (default 4)")
    p.add_argument("--batch-rows", type=int, default=8, help="rows per judge batch, 1..100000 (default 8)")
    p.add_argument("--quiet", "--no-progress", dest="no_progress", action="store_true",
                   help="no progress bar (--quiet as generate, variants and export say it)")
    p.add_argument("--overwrite", action="store_true",
                   help="validate every shard again and replace polyglyph's files in --out")
    return p


NUMBER_RANGES = {  # flag: (low, high); every number a user gives is checked when read
    "workers": (1, 256),
    "tesseract_workers": (1, 64),
    "openai_concurrency": (1, 256),
    "openai_timeout": (0.001, 3600.0),
    "openai_retries": (0, 20),
    "batch_rows": (1, 100_000),
    "qa_generate": PAIRS_RANGE,
}


def check_numbers(args: argparse.Namespace) -> None:
    for name, (low, high) in NUMBER_RANGES.items():
        value = getattr(args, name)
        if value is not None and not low <= value <= high:  # NaN fails this too
            flag = "--" + name.replace("_", "-")
            raise PolyglyphError(f"{flag} {value}: must be in [{low}, {high}]")


def load_rules(args: argparse.Namespace) -> ValidationRules:
    data: dict[str, Any] = {}
    if args.rules:
        try:
            data = yaml.safe_load(Path(args.rules).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise PolyglyphError(f"--rules {args.rules}: cannot read: {exc.strerror or exc}"
                                 ) from None
        except UnicodeDecodeError as exc:  # a binary file given by mistake: not a bug of ours
            raise PolyglyphError(f"--rules {args.rules}: not UTF-8 text (bad byte at offset "
                                 f"{exc.start})") from None
        except (yaml.YAMLError, *YAML_ERRORS) as exc:
            raise PolyglyphError(f"--rules {args.rules}: not valid YAML: {yaml_reason(exc)}"
                                 ) from None
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


def openai_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "base_url": args.openai_base_url,
        "model": args.openai_model,
        "api_key_env": args.openai_api_key_env,
        "concurrency": args.openai_concurrency,
        "timeout": args.openai_timeout,
        "retries": args.openai_retries,
    }


def build_judges(args: argparse.Namespace) -> list[Judge]:
    names = [n.strip() for n in args.judges.split(",") if n.strip()]
    if not names:
        raise PolyglyphError(
            "--judges is empty; name at least one judge (tesseract, rapidocr, openai)")
    judges = []
    for name in names:
        options: dict[str, Any] = {}
        if name == "tesseract":
            options = {"workers": args.tesseract_workers, "engine": args.tesseract_engine,
                       "page_reading": args.tesseract_pages}
        if name == "openai":
            options = openai_options(args)
        judges.append(get_judge(name, **options))
    return judges


def settings_hash(judges: list[Judge], rules: ValidationRules, qa: QAPass | None = None) -> str:
    record = {"judges": [j.settings() for j in judges], "rules": rules_record(rules),
              **({"qa_generate": qa.settings()} if qa else {})}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_numbers(args)
    require_target(args.input, "--input")
    require_target(args.out)
    rules = load_rules(args)  # numbers first: before any input is opened
    given = None if is_uri(args.input) else Path(args.input)  # a folder or one shard file
    if given is not None and given.exists() and not (
            given.is_dir() or (given.is_file() and given.suffix.lower() == ".parquet")):
        raise PolyglyphError(f"--input {args.input}: not a dataset folder or a .parquet shard")
    data = open_dataset(args.input)  # a folder or a URI (s3://…); never through pathlib
    source, parts = data.source, list(data.files)
    target = Output(args.out)
    overlap = (dataset_overlap(target.root, source.root, args.input)
               if source.is_local and target.is_local else None)
    if overlap:  # the new shards among the dataset's, or the dataset under --out's --overwrite
        raise PolyglyphError(overlap)
    judges = build_judges(args)
    qa = (QAPass.build(args.qa_generate, openai_options(args), judges)
          if args.qa_generate else None)
    with open_output(args.out) as out, JudgePool(args.workers or available_cores()) as pool:
        return _validate(args, source, parts, judges, rules, out, qa, pool)


def available_cores() -> int:
    """Cores this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _validate(args: argparse.Namespace, source: Output, parts: list[str], judges: list[Judge],
              rules: ValidationRules, out: Output, qa: QAPass | None = None,
              pool: JudgePool | None = None) -> int:
    settings = settings_hash(judges, rules, qa)
    input_manifest = read_json(source, MANIFEST) or {}
    previous = read_json(out, MANIFEST) or {}
    if not args.overwrite:  # polyglyph's own files only: a user's file in --out stops the run
        refuse_foreign(out, previous or None,
                       [ShardJob(0, 0, 0, file=out_name(n)) for n in parts],
                       (STATS, CARD, *(replies_name(n) for n in parts)))
        refuse_other_run(out, previous, settings)
    done = {
        e["file"]: e
        for e in previous.get("shards", [])
        if previous.get("validation", {}).get("settings_hash") == settings and not args.overwrite
    }
    jobs, input_hashes, kept, sources = [], {}, {}, {}
    for index, name in zip(_indices(parts), parts, strict=True):
        try:
            rows = source.open_parquet(name).metadata.num_rows
        except (OSError, pa.ArrowInvalid) as exc:
            raise PolyglyphError(
                f"{source.path(name)} is not a readable Parquet shard: {exc}"
            ) from None
        job = ShardJob(index, 0, rows, file=out_name(name))
        jobs.append(job)
        sources[job.name] = name
        input_hashes[job.name] = source.file_sha256(name)
        entry = done.get(job.name)
        if (entry and entry.get("input_sha256") == input_hashes[job.name]
                and out.file_sha256(job.name) == entry.get("sha256")):
            kept[index] = {**entry, "index": index}
    validation = {
        "input": redact(args.input),
        "judges": [j.settings() for j in judges],
        "rules": rules_record(rules),
        "settings_hash": settings,
        **({"qa_generate": qa.settings()} if qa else {}),
        "started_at": now(),
        "finished_at": None,
        "complete": False,
    }
    header = {k: v for k, v in input_manifest.items()
              if k not in ("shards", "format", "polyglyph_version", "started_at", "finished_at",
                           "complete")}
    run = Run(out, {**header, "validation": validation}, jobs, kept, desc="validate",
              unit="row", lean=dict)
    shared = (source.target, judges, rules, args.batch_rows, input_hashes, sources, qa, pool)
    drive(run, local_executor(validate_shard, shared, out.target),
          progress=not args.no_progress)
    failed = {e["file"]: e["unanswered"] for e in run.unfinished.values()}
    validation.update(finished_at=now(), complete=not failed)
    run.manifest["complete"] = not failed
    write_json(out, MANIFEST, run.manifest)
    totals: Counter[str] = Counter()
    for entry in run.manifest["shards"]:
        totals.update({k: v for k, v in entry["status"].items() if isinstance(v, int)})
    stats = read_json(source, STATS) or {}
    stats["validation"] = {"rows": dict(sorted(totals.items())), "judges": validation["judges"]}
    write_json(out, STATS, stats)
    write_card(out, run.manifest, stats)
    print(
        f"validated {len(run.made)} shard(s), skipped {len(run.manifest['shards']) - len(run.made)}"
        " already done; rows: " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items())),
        file=sys.stderr,
    )
    return report_unanswered(failed) if failed else 0


def refuse_other_run(out: Output, previous: dict[str, Any], settings: str) -> None:
    """A validation resumes only itself: a dataset `generate` or `variants` wrote in --out, or
    a validation with other judges or rules, was silently remade (its shards replaced) without
    --overwrite, unlike generate's refusal of a different config. A validation with no shard
    done yet holds nothing to lose: other settings (say, another endpoint after a dead one
    answered nothing) start it afresh."""
    if not previous:
        return
    earlier = previous.get("validation")
    if not isinstance(earlier, dict):
        raise PolyglyphError(
            f"--out {out.target} holds a dataset that is not a validation (its {MANIFEST} has "
            "no `validation`); validate writes a new one: choose another folder, or "
            "--overwrite to replace it")
    if earlier.get("settings_hash") != settings and previous.get("shards"):
        raise PolyglyphError(
            f"--out {out.target} holds a validation with other judges or rules (settings "
            f"{str(earlier.get('settings_hash'))[:12]} != {settings[:12]}); --overwrite redoes "
            "it, or choose another folder")


def write_card(out: Output, manifest: dict[str, Any], stats: dict[str, Any]) -> None:
    """The dataset card of the validated set (its columns include the judges' ones)."""
    fonts = font_licences(manifest["config"]) if manifest.get("config") else {}
    card = dataset_card(manifest, stats, first_schema(out, manifest), fonts)
    out.write_atomic(CARD, card.encode())


def out_name(name: str) -> str:
    """An input shard's name in the output: the same file name, in `data/`."""
    return f"{DATA}/{name.rsplit('/', 1)[-1]}"


def _indices(parts: list[str]) -> list[int]:
    """Shard indices from `part-NNNNN.parquet` names; positions when names are other."""
    found = [re.fullmatch(r"part-(\d+)\.parquet", name.rsplit("/", 1)[-1]) for name in parts]
    numbers = [int(m[1]) for m in found if m]
    if len(numbers) == len(parts) and len(set(numbers)) == len(numbers):
        return numbers
    return list(range(len(parts)))


def validate_shard(
    shared: tuple[str, list[Judge], ValidationRules, int, dict[str, str | None], dict[str, str],
                  QAPass | None, JudgePool | None],
    job: ShardJob, target: str, on_row: Callable[[], None],
) -> dict[str, Any]:
    """Validate one input shard into the same file name in `target`'s `data/`; its manifest
    entry."""
    source_target, judges, rules, batch_rows, input_hashes, sources, qa, pool = shared
    started = time.perf_counter()
    source = Output(source_target)
    name = sources[job.name]
    try:
        shard = source.open_parquet(name)
    except (OSError, pa.ArrowInvalid) as exc:
        raise PolyglyphError(f"{source.path(name)} is not a readable Parquet shard: {exc}"
                             ) from None

    def on_rows(count: int) -> None:
        for _ in range(count):
            on_row()

    written, counts = validate_parquet(shard, Output(target), job.name, judges, rules,
                                       batch_rows, on_rows, qa=qa, pool=pool,
                                       shown=redact(source.path(name)))
    if written is None:  # a judge could not answer: not done, the driver leaves it pending
        return {"index": job.index, "file": job.name, "unfinished": True,
                "unanswered": counts["unanswered"]}
    return {
        "index": job.index,
        "file": job.name,
        "rows": written.rows,
        "bytes": written.bytes,
        "sha256": written.sha256,
        "input_sha256": input_hashes[job.name],
        "status": counts,
        "seconds": round(time.perf_counter() - started, 3),
    }


if __name__ == "__main__":
    sys.exit(main())
