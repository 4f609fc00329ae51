"""Fetch Tesseract's `best_int` vertical models (jpn_vert, chi_tra_vert) into the cache for the
vertical read-back judge (`qa_factory.judges.tess_models`); `make setup` runs it.

Idempotent (a model already there with the pinned sha256 is not fetched again) and
offline-tolerant: without npm or a network it prints one warning line and exits 0, and the
read-back falls back to the system's models (the tests that need `best_int` skip, naming why).

    python tools/fetch_tessdata.py           # fetch what is missing
    python tools/fetch_tessdata.py --check   # exit 1 when a model is missing, fetch nothing
"""

from __future__ import annotations

import argparse
import sys

from qa_factory.judges.tess_models import PINS, best_dir, best_tessdata, fetch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether all are there")
    parser.add_argument("--npm", default="npm", help="the npm client to run")
    args = parser.parse_args(argv)
    if args.check:
        missing = [m for m in PINS if best_tessdata(m) is None]
        print(f"best_int models in {best_dir()}: "
              + (f"missing {', '.join(missing)}" if missing else "all there"))
        return 1 if missing else 0
    problems = fetch(npm=args.npm)
    if problems:
        print("warning: vertical read-back falls back to the system's Tesseract models ("
              + "; ".join(problems) + ")", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
