"""`polyglyph` command: a thin dispatcher. Each subcommand lives with the package it belongs to.

Exit status: 0 done, 1 a PolyglyphError (bad input, failed run), 2 a bad command line
(argparse's convention: unknown flag, bad choice or type, missing value; unknown command),
3 `validate` could not get every judge's answer, 70 an internal error (a bug: one line and
the path of a saved traceback; `--debug` prints it), 130/143 interrupted by SIGINT/SIGTERM,
141 (silent) when stdout's reader went away (`| head`).
Disk, permission, malformed-JSON and foreign-Parquet errors are one line too: `pipelines.guard`.

Subcommand modules are imported lazily so `polyglyph doctor` works even when a heavy part
(Ray, datasets) is broken, and start-up stays fast.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("pipelines.doctor_cli", "Check shaping (raqm), fonts, Tesseract, Ray and the lock"),
    "languages": ("fonts_manifest.cli", "List usable languages with their font chains"),
    "fonts": ("fonts_manifest.fonts_cli", "List font families per script: class, faces, licence"),
    "render": ("synth.cli", "Render one page to PNG + JSON label tree"),
    "text": ("synth.text_cli", "Draw page texts only (no rendering); --stats measures them"),
    "preview": ("warping.preview", "Write an HTML gallery of warped samples"),
    "generate": ("pipelines.generate_cli", "Generate a dataset of Parquet shards"),
    "variants": ("pipelines.variants", "Warp an existing labelled benchmark into variants"),
    "inspect": ("pipelines.inspect", "Draw one row of a dataset with its polygons"),
    "export": ("pipelines.export.cli", "Write a dataset in another layout (line crops, ...)"),
    "validate": ("pipelines.validate_cli", "Cross-validate task views with OCR/VLM judges"),
}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    rows = "\n".join(f"  {c.ljust(width)}  {h}" for c, (_, h) in COMMANDS.items())
    return f"usage: polyglyph COMMAND [options]\n\ncommands:\n{rows}\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) > 1 and argv[0] in {"-h", "--help", "help"} and argv[1] in COMMANDS:
        argv = [argv[1], "--help"]  # `polyglyph help generate` is `polyglyph generate --help`
    if not argv or argv[0] in {"-h", "--help", "help"} or argv[0] == "--version":
        from importlib.metadata import version

        from pipelines.guard import run_guarded

        text = version("polyglyph") if argv and argv[0] == "--version" else _usage()
        return run_guarded("", lambda: print(text) or 0, False)  # `| head`: quiet, as below
    name = argv[0]
    if name not in COMMANDS:
        print(f"polyglyph: unknown command {name!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    from pipelines.guard import run_guarded, take_debug
    from pipelines.worker_setup import apply_process_env

    argv, debug = take_debug(argv)
    apply_process_env()  # before any subcommand imports pyarrow

    def call() -> int:
        module = importlib.import_module(COMMANDS[name][0])
        return int(module.main(argv[1:]) or 0)

    return run_guarded(name, call, debug)

if __name__ == "__main__":
    sys.exit(main())
