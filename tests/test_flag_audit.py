"""Issue #21 class 3: every numeric flag of every subcommand has a checked range. The flags are
found by walking each subcommand's argparse parser (a new numeric flag joins the audit by
itself); each is run through the CLI's `main` with out-of-range values (negative or zero for a
count, and huge, nan or inf): exit 1 or 2, one stderr line naming the flag, nothing written.
One case per subcommand also runs as a real `polyglyph` process (a process a case made this
test 90 s of the suite; in-process the cases take seconds)."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.cli import COMMANDS
from pipelines.cli import main as cli_main

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
# what a real process does not print by default (the `default` filter of `python -W`)
QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
# the other arguments each command needs to reach its checks (paths inside OUT are created
# by nobody but the command; OUT must stay empty)
CONTEXT = {
    "render": ["--language", "en", "--out", "{out}/x.png"],
    "text": ["--language", "en"],
    "preview": ["--out", "{out}/g"],
    "generate": ["--dry-run", "--out", "{out}/g"],
    "variants": ["--input", "{bench}", "--format", "coco", "--out", "{out}/v"],
    "inspect": ["{bench}", "--out", "{out}/x.png"],
    "validate": ["--input", "{bench}", "--out", "{out}/v"],
    "export": ["--input", "{bench}", "--format", "lines", "--out", "{out}/e"],
}
ZERO_INVALID = {"--num", "--n", "--copies", "--shard-rows", "--workers", "--quality", "--width",
                "--height", "--columns", "--batch-rows", "--tesseract-workers", "--k",
                "--openai-concurrency", "--openai-timeout", "--max-image-pixels"}


def _parser(name: str) -> argparse.ArgumentParser | None:
    module = importlib.import_module(COMMANDS[name][0])
    if name == "export":
        return module.build_parser("lines")
    build = getattr(module, "build_parser", None)
    return build() if build else None


def numeric_flags() -> list[tuple[str, str, type]]:
    found = []
    for name in COMMANDS:
        parser = _parser(name)
        if parser is None:
            continue
        for action in parser._actions:
            if action.type in (int, float) and action.option_strings:
                found.append((name, action.option_strings[-1], action.type))
    return found


def _cases() -> list[tuple[str, str, str]]:
    """Per flag: below its range (-1, or 0 for a count) and one of huge/nan/inf in turn (every
    kind is run across the flags; all of them for every flag would double the test's time)."""
    cases = []
    for n, (name, flag, kind) in enumerate(numeric_flags()):
        low = "0" if flag in ZERO_INVALID and (name, flag) != ("export", "--height") else "-1"
        high = ["99999999999999999999", "nan", "inf"][n % 3 if kind is float else 0]
        cases += [(name, flag, low), (name, flag, high)]
    return cases


def test_the_audit_sees_the_numeric_flags() -> None:
    flags = {(n, f) for n, f, _ in numeric_flags()}
    for expected in [("variants", "--copies"), ("variants", "--max-image-pixels"),
                     ("validate", "--hard-share"), ("preview", "--n"), ("generate", "--num"),
                     ("export", "--pad"), ("text", "--seed"), ("inspect", "--index")]:
        assert expected in flags


def _outcome_ok(flag: str, code: object, stderr: str, out: Path) -> bool:
    """Exit 1 or 2, one stderr line naming the flag, no traceback, nothing written in OUT."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return (code in (1, 2) and len(lines) == 1 and "Traceback" not in stderr
            and (flag in lines[0] or flag.lstrip("-").replace("-", "_") in lines[0]
                 or flag.lstrip("-") in lines[0])
            and not any(out.iterdir()))


def _in_process(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[object, str]:
    """`polyglyph ARGV` through `pipelines.cli.main` in this process: (exit status, stderr).
    Warnings a real process would print count as stderr lines (pytest would only collect
    them); the environment the CLI sets for its process is put back afterwards. A case that
    runs on is ended by pytest-timeout (`timeout` in pyproject.toml): its failure is a
    BaseException, which the CLI's guard lets through."""
    environ = dict(os.environ)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                code: object = cli_main(argv)
            except SystemExit as exc:
                code = exc.code
    finally:
        os.environ.clear()
        os.environ.update(environ)
    shown = [f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}" for w in caught
             if not issubclass(w.category, QUIET_WARNINGS)]
    err = capfd.readouterr().err
    return code, "\n".join([err, *shown])


@pytest.mark.slow
def test_every_numeric_flag_refuses_out_of_range_values(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Every case runs in this process (the CLI's `main`, as the `polyglyph` script calls it);
    one case per subcommand also runs as a real `polyglyph` process, alongside, so what only a
    fresh process shows (import-time output, the process environment) is checked too."""
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "c.json").write_text('{"images": [], "annotations": []}')

    def argv(case: tuple[str, str, str], out: Path) -> list[str]:
        name, flag, value = case
        args = [a.format(out=out, bench=bench) for a in CONTEXT.get(name, [])]
        return [name, *args, f"{flag}={value}"]

    # the processes start from this copy: the in-process cases clear and refill os.environ
    # around each call, and a process spawned in that moment inherited an empty environment
    environment = dict(os.environ)

    def in_subprocess(case: tuple[str, str, str]) -> tuple[object, str, Path]:
        out = tmp_path / "process" / f"{case[0]}{case[1]}{case[2]}".replace("-", "_")
        out.mkdir(parents=True)
        done = subprocess.run([POLYGLYPH, *argv(case, out)], capture_output=True, text=True,
                              timeout=120, env=environment)
        return done.returncode, done.stderr, out

    cases = _cases()
    first_per_command = list({case[0]: case for case in reversed(cases)}.values())
    bad = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        processes = pool.map(in_subprocess, first_per_command)
        for case in cases:
            out = tmp_path / f"{case[0]}{case[1]}{case[2]}".replace("-", "_")
            out.mkdir()
            code, err = _in_process(argv(case, out), capfd)
            if not _outcome_ok(case[1], code, err, out):
                bad.append(f"{' '.join(case)}: exit {code}: {err[-300:]!r} "
                           f"wrote {[p.name for p in out.iterdir()]}")
        for case, (code, err, out) in zip(first_per_command, processes, strict=True):
            if not _outcome_ok(case[1], code, err, out):
                bad.append(f"process {' '.join(case)}: exit {code}: {err[-300:]!r} "
                           f"wrote {[p.name for p in out.iterdir()]}")
    assert not bad, "\n".join(bad)
    assert len(first_per_command) == len({case[0] for case in cases}) >= 8
