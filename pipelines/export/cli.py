"""`polyglyph export --input OUT --format NAME --out DIR`: rewrite a dataset for other tools."""

from __future__ import annotations

import argparse
import errno
import shutil
import sys
from pathlib import Path

from pipelines.containment import dataset_overlap
from pipelines.errors import ArgParser, PolyglyphError
from pipelines.output import require_target
from pipelines.worker_setup import fixed_mmap_threshold

from .base import INVENTORY, open_rows, prepare_out, write_inventory, write_marker
from .registry import available_formats, get_format

OUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}  # only a write fails so: the culprit is --out


def _epilog() -> str:
    rows = "\n".join(f"  {name:<10} {fmt.summary}" for name, fmt in available_formats().items())
    return (f"formats:\n{rows}\n\n"
            "`--format NAME --help` shows that format's layout and options.\n"
            "--input may be a local folder or a URI (s3://bucket/ds, as `generate --out` takes).\n"
            "examples:\n  polyglyph generate --num 50 --languages en --profile clean --out ds\n"
            "  polyglyph export --input ds --format lines --out ds-lines\n"
            "  polyglyph export --input ds --format trl --out ds-trl --tasks spotting,parsing\n"
            "  polyglyph export --input ds --format sharegpt --conversation per-page --out ds-sg\n"
            "  polyglyph export --input ds --format icdar2015 --out ds-icdar\n")


def build_parser(format_name: str | None) -> argparse.ArgumentParser:
    fmt = available_formats().get(format_name or "")
    parser = ArgParser(
        prog="polyglyph export",
        description=(fmt.description if fmt else
                     "Rewrite a polyglyph dataset (the folder `polyglyph generate` wrote, its "
                     "data/ folder, or one parquet shard) in another training layout."),
        epilog=None if fmt else _epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--input", required=True, metavar="OUT", help="dataset folder or shard")
    parser.add_argument("--format", required=True, choices=sorted(available_formats()),
                        help="output layout (listed by `polyglyph export --help`)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write (empty or new)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace --out if it holds an earlier export: only the files it "
                        f"wrote ({INVENTORY}); refused if the folder holds anything else")
    parser.add_argument("--kept-only", action="store_true",
                        help="export only the rows `polyglyph validate` kept (keep = true); "
                        "refused for a dataset validate did not write")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    if fmt:
        fmt.add_arguments(parser.add_argument_group(f"--format {fmt.name} options"))
    return parser


def _format_from(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--format" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--format="):
            return arg.split("=", 1)[1]
    return None


def _first_missing(out: Path) -> Path | None:
    """The outermost folder of `out` that does not exist yet (what mkdir -p will make)."""
    missing = None
    for path in (out, *out.parents):
        if path.exists() or path.is_symlink():
            break
        missing = path
    return missing


def discard_partial(out: Path, created: Path | None) -> None:
    """Remove an export that stopped before its end, so a trainer never reads a part of one as
    the whole: the folders it made, or else everything in `out` (empty when the export began:
    `prepare_out`). A kill that leaves no time for this leaves export.json saying `running`."""
    if created is not None:
        shutil.rmtree(created, ignore_errors=True)
        return
    for child in list(out.iterdir()) if out.is_dir() else []:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    name = _format_from(argv)
    if name is not None and not {"-h", "--help"} & set(argv):
        get_format(name)  # unknown format: one line naming the choices
    args = build_parser(name).parse_args(argv)
    fmt = get_format(args.format)
    fmt.check(args)
    require_target(args.input, "--input")
    require_target(args.out)
    if "://" in args.out:
        raise PolyglyphError(f"--out {args.out}: exports are written to a local folder")
    fixed_mmap_threshold()  # large buffers back to the system when freed, as in a worker
    source = open_rows(args.input, args.kept_only)
    out = Path(args.out)
    overlap = dataset_overlap(out, source.store.root, args.input) if source.is_local else None
    if overlap:  # before prepare_out: --overwrite of an --out holding the dataset deletes it
        raise PolyglyphError(overlap)
    created = _first_missing(out)  # the folder the export makes (None: --out existed)
    prepare_out(out, args.overwrite)
    options = {k: v for k, v in vars(args).items() if k not in {"input", "out", "quiet"}}
    info = {"format": fmt.name, "input": str(source.root), "options": options}
    write_marker(out, {**info, "status": "running"})
    try:
        summary = fmt.write(source, out, args, not args.quiet)
        if args.kept_only:
            summary.notes.append(f"--kept-only: {source.rejected[0]} rows validate rejected "
                                 "(keep false) not exported")
        files = write_inventory(out)
    except BaseException as exc:  # Ctrl-C, SIGTERM, a full disk, a bug: no partial export
        discard_partial(out, created)
        if not isinstance(exc, OSError):
            raise
        # the store went away or the disk filled: one line, not a traceback
        where = exc.filename or (f"--out {out}" if exc.errno in OUT_ERRNOS
                                 else f"--input {source.root} or --out {out}")
        raise PolyglyphError(f"export stopped: {where}: {exc.strerror or exc}; the partial "
                             f"export was removed") from None
    write_marker(out, {**info, "status": "done", "summary": summary.to_dict(),
                       "inventory": {"file": INVENTORY, "files": files}})
    print(f"wrote {out} (--format {fmt.name})")
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
