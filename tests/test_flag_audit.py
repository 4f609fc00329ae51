"""Issue #21 class 3: every numeric flag of every subcommand has a checked range. The flags are
found by walking each subcommand's argparse parser (a new numeric flag joins the audit by
itself); each is run through the real `polyglyph` process with out-of-range values (negative
or zero for a count, and huge, nan or inf): exit 1 or 2, one stderr line naming the flag,
nothing written."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipelines.cli import COMMANDS

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))
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


@pytest.mark.slow
def test_every_numeric_flag_refuses_out_of_range_values(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "c.json").write_text('{"images": [], "annotations": []}')

    def run(case: tuple[str, str, str]) -> tuple[tuple[str, str, str], subprocess.CompletedProcess[str], Path]:
        name, flag, value = case
        out = tmp_path / f"{name}{flag}{value}".replace("-", "_")
        out.mkdir()
        args = [a.format(out=out, bench=bench) for a in CONTEXT.get(name, [])]
        done = subprocess.run([POLYGLYPH, name, *args, f"{flag}={value}"], capture_output=True,
                              text=True, timeout=120)
        return case, done, out

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, _cases()))
    bad = []
    for (name, flag, value), done, out in results:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        ok = (done.returncode in (1, 2) and len(lines) == 1 and "Traceback" not in done.stderr
              and (flag in lines[0] or flag.lstrip("-").replace("-", "_") in lines[0]
                   or flag.lstrip("-") in lines[0])
              and not any(out.iterdir()))
        if not ok:
            bad.append(f"{name} {flag}={value}: exit {done.returncode}: {done.stderr[-300:]!r} "
                       f"wrote {[p.name for p in out.iterdir()]}")
    assert not bad, "\n".join(bad)
