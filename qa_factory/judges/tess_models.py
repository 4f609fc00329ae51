"""Which traineddata reads a vertical CJK column back: Tesseract's `best_int` vertical models
when they were fetched, else the system's (Debian's `tesseract-ocr-*-vert`, tessdata_fast).

Why two: Debian's chi_tra_vert is the small tessdata_fast network (LSTM 1.0 MB), which misreads
rare Traditional Han; the `best_int` model (tessdata_best made integer, LSTM 1.5 MB, the same
unicharset) reads the same clean zh-Hant columns better for 9 % more CPU
(bench/vertical_cer.py, 12 pages, seeds 0 and 1, 509 columns: pooled median CER 6.1 -> 5.0 %,
mean 10.7 -> 8.5 %, better on 184 columns and worse on 117). For ja the two nearly agree
(Debian's jpn_vert is the tessdata network; 2.9 -> 2.8 %). Debian packages no `best` model, so
`make setup` fetches them (`tools/fetch_tessdata.py`) with npm, the one registry client a
fresh machine here has: the `@tesseract.js-data` packages hold tessdata_best's integer models
under `4.0.0_best_int/`. The versions and both digests are pinned: npm's sha512 integrity of
the package and the sha256 of the model unpacked, checked again before a model is used.

The models go into the cache (`fonts_manifest.fontdb.cache_dir()`), never into the source tree.
Nothing of `generate` or `validate` reads them: only the vertical read-back (the bench and the
slow tests that judge #16's vertical pages).

A `best_int` model is read in a process of its own (`IsolatedApi`): its traineddata carries a
config (Debian's models carry none) that sets some of Tesseract's process-wide parameters
(such as `textord_*`, `edges_*`), which then hold for every other model of the process: with a
best_int model loaded, Debian's chi_tra_vert read 3 of 231 seed-0 columns differently. That
config is part of what best_int brings: Debian's zh-Hant network with it reads the few
columns it failed far better (seeds 0-1, 509 columns: mean CER 10.65 -> 8.83 %, 21 better,
4 worse), the best network the rest (8.83 -> 8.51 %, median 5.97 -> 5.00 %, 174 better, 124
worse).
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from fonts_manifest.fontdb import cache_dir

BEST = "best_int"
FAST = "fast"  # the system's traineddata folder (Debian: tessdata_fast)


@dataclass(frozen=True)
class Pin:
    """One npm package holding a model: exact version, npm's integrity of the package (from
    `npm view @tesseract.js-data/NAME@VERSION dist.integrity`) and the model's own sha256."""

    package: str
    version: str
    integrity: str
    sha256: str


PINS = {
    "jpn_vert": Pin(
        "@tesseract.js-data/jpn_vert", "1.0.0",
        "sha512-xk3ZHTCFODXUH/QVVlOt9lAkis95muL+Fhqe4i6qWxySXuvUp3nDnG8TpzA63YI+RP//lXqbSCBizqvC2fJqoA==",
        "fd18c080bdea33b048d7fe933ad5c439081aae9143fcb2abcc0c0ab98697226f"),
    "chi_tra_vert": Pin(
        "@tesseract.js-data/chi_tra_vert", "1.0.0",
        "sha512-tefJ7U70w8HJ6oioxOup2a+Ijfc2KgwIv/M7ttSP5uplbD0+vDwFPBCwsEZbESOXMY3KpuAJhXchp3aBjmfm2w==",
        "5b279338e657610357b4fb32424ee6373e6b406e763241b8221239fc58938861"),
}
NPM_TIMEOUT = 120.0  # s for one `npm pack`; offline, npm gives up at once (--fetch-retries 0)
FETCH_DEADLINE = 180.0  # s for the whole fetch: `make setup` never waits longer on optional models


def best_dir() -> Path:
    """The folder the `best_int` models are unpacked into: one per pinned set, so a new pin
    never mixes with an old model."""
    tag = hashlib.sha256("".join(p.sha256 for p in PINS.values()).encode()).hexdigest()[:12]
    return cache_dir() / f"tessdata-{BEST}-{tag}"


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@functools.lru_cache(maxsize=8)
def _verified(path: str, sha256: str) -> bool:
    return Path(path).is_file() and _sha256(Path(path)) == sha256


def best_tessdata(model: str) -> str | None:
    """The folder (ending in '/') holding the fetched `best_int` `model`, or None when it was
    not fetched (or its bytes are not the pinned ones) or no best model is pinned for it."""
    pin = PINS.get(model)
    if pin is None:
        return None
    path = best_dir() / f"{model}.traineddata"
    return f"{best_dir()}/" if _verified(str(path), pin.sha256) else None


def tessdata_for(model: str, variant: str = BEST) -> str | None:
    """The traineddata folder to read `model` from as `variant` (BEST or FAST); None for FAST
    means the system's folder (Tesseract's own default or TESSDATA_PREFIX)."""
    if variant == FAST:
        return None
    if variant != BEST:
        raise ValueError(f"tessdata variant {variant!r}: choose {BEST} or {FAST}")
    return best_tessdata(model)


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch_one(model: str, npm: str = "npm", timeout: float = NPM_TIMEOUT) -> str | None:
    """Fetch and unpack one pinned model into `best_dir()` (nothing when it is there already),
    `npm pack` given at most `timeout` s; None when done, else why not, in one line."""
    pin = PINS[model]
    target = best_dir() / f"{model}.traineddata"
    if _verified(str(target), pin.sha256):
        return None
    if shutil.which(npm) is None:
        return f"{npm} not found"
    try:  # an unwritable cache is a warning like no network: `make setup` goes on
        problem = _fetch_into(pin, model, target, npm, timeout)
    except OSError as exc:
        return f"cannot write {target.parent}: {exc.strerror or exc}"
    _verified.cache_clear()
    return problem


def _fetch_into(pin: Pin, model: str, target: Path, npm: str, timeout: float) -> str | None:
    """`fetch_one`'s download, check and unpack; OSError when the cache cannot be written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        spec = f"{pin.package}@{pin.version}"
        try:
            done = subprocess.run(
                [npm, "pack", spec, "--pack-destination", tmp, "--prefer-offline",
                 "--fetch-retries", "0", "--fetch-timeout", "30000", "--loglevel", "error"],
                capture_output=True, text=True, timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            return f"npm pack {spec}: no answer in {timeout:.0f} s"
        except OSError as exc:  # found but not runnable (a broken node install)
            return f"npm pack {spec}: cannot run {npm}: {exc.strerror or exc}"
        packs = sorted(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or len(packs) != 1:
            lines = [ln for ln in done.stderr.splitlines()
                     if ln.startswith(("npm error code", "npm ERR! code"))]  # npm 10+, npm 9
            return f"npm pack {spec}: {(lines or ['no package made'])[0]}"
        if _integrity(packs[0]) != pin.integrity:
            return f"npm pack {spec}: integrity differs from the pinned {pin.integrity[:20]}..."
        member = f"package/4.0.0_{BEST}/{model}.traineddata.gz"
        try:
            with tarfile.open(packs[0]) as tar:
                packed = tar.extractfile(member)
                if packed is None:
                    raise KeyError(member)
                data = gzip.decompress(packed.read())
        except (KeyError, OSError, tarfile.TarError) as exc:
            return f"{spec}: cannot read {member}: {exc}"
        if hashlib.sha256(data).hexdigest() != pin.sha256:
            return f"{spec}: {member} is not the pinned model (sha256 differs)"
        part = Path(tmp) / "model"
        part.write_bytes(data)
        os.replace(part, target)  # whole or absent, also with two fetches at once
    return None


def fetch(models: list[str] | None = None, npm: str = "npm") -> list[str]:
    """Fetch every pinned model (or `models`); the one-line problems, empty when all are in
    place. The first failure stops the rest (offline, each would wait for npm to give up), and
    the whole fetch ends by `FETCH_DEADLINE`."""
    wanted = models or list(PINS)
    deadline = time.monotonic() + FETCH_DEADLINE
    for n, model in enumerate(wanted):
        left = deadline - time.monotonic()
        problem = (fetch_one(model, npm, min(NPM_TIMEOUT, left)) if left > 1.0
                   else f"not fetched within {FETCH_DEADLINE:.0f} s in all")
        if problem:
            rest = wanted[n + 1:]
            return [f"{model}: {problem}"] + ([f"not tried: {', '.join(rest)}"] if rest else [])
    return []


_CHILD: dict[str, Any] = {}


def _child_start(folder: str, model: str, psm: int) -> None:
    import tesserocr

    _CHILD["api"] = tesserocr.PyTessBaseAPI(path=folder, lang=model, psm=psm)


def _child_read(image: np.ndarray) -> tuple[str, float]:
    import time

    from PIL import Image

    start = time.process_time()
    _CHILD["api"].SetImage(Image.fromarray(image))
    return str(_CHILD["api"].GetUTF8Text()), time.process_time() - start


class IsolatedApi:
    """One tesserocr API in a spawned process of its own, so the model's config changes no
    other model's parameters (see the module's docstring). `read` is `GetUTF8Text` of one
    image; `cpu_s` the child's CPU seconds spent reading so far (the model's cost, which the
    caller's own clock does not see). The process ends with `close` or when collected."""

    def __init__(self, folder: str, model: str, psm: int) -> None:
        self.pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"),
                                        initializer=_child_start, initargs=(folder, model, psm))
        self.cpu_s = 0.0

    def read(self, image: np.ndarray) -> str:
        text, spent = self.pool.submit(_child_read, np.ascontiguousarray(image)).result()
        self.cpu_s += spent
        return text

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def __del__(self) -> None:
        self.pool.shutdown(wait=False)
