"""Check that pyproject's lower bounds are true: install the runtime dependencies at their
lowest allowed versions (`uv pip install --resolution lowest-direct`, wheels only) in a
throwaway venv, without Ray and albumentations, and run a small `polyglyph generate --workers 1`
whose folder `huggingface_hub` (also at its lowest) must parse the card of.

    python tools/lower_bounds.py [--keep DIR]

Minutes, not seconds (a fresh venv builds matplotlib's and polyglyph's font caches), so it is
a tool to run when a bound moves, not part of `make test`. Needs uv (`make lock` installs it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = "page_sizes: [[256, 320]]\nscenes: {document: 1}\nprofiles: {wild: 1}\nlanguages: [en, ar]\n"
CHECK = """
import sys
from huggingface_hub import DatasetCard
card = DatasetCard.load(sys.argv[1])
assert card.data.configs[0]["data_files"][0]["path"] == "data/*.parquet", card.data
print("card ok:", card.data.language)
"""


def run(cmd: list[str], timeout: float = 1800) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd[:4])}…\n{done.stderr.strip()[-3000:]}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="make the venv here and keep it")
    args = parser.parse_args(argv)
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(uv).exists():
        raise SystemExit("uv not found (make lock installs it into .venv)")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    with tempfile.TemporaryDirectory(prefix="polyglyph-lowest-") as tmp:
        venv = args.keep or Path(tmp) / "venv"
        python = str(venv / "bin" / "python")
        run([uv, "venv", "-q", "--python", sys.executable, str(venv)])
        run([uv, "pip", "install", "-q", "--python", python, "--resolution", "lowest-direct",
             "--no-build", *deps])
        source = Path(tmp) / "src"  # a copy: setuptools writes build/ beside the sources
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "demo-out", "bench", "tests", "__pycache__", "*.egg-info"))
        run([uv, "pip", "install", "-q", "--python", python, "--no-deps", str(source)])
        print(run([uv, "pip", "freeze", "--python", python]), end="")
        config, out = Path(tmp) / "tiny.yaml", Path(tmp) / "out"
        config.write_text(TINY)
        print(run([str(venv / "bin" / "polyglyph"), "generate", "--config", str(config),
                   "--num", "4", "--shard-rows", "2", "--workers", "1", "--quiet",
                   "--out", str(out)]), end="")
        print(run([python, "-c", CHECK, str(out / "README.md")]), end="")
    print("lower bounds: generate --workers 1 ran at every runtime dependency's lowest version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
