"""The vertical read-back's readers: one Tesseract vertical model (`jpn_vert`, `chi_tra_vert`)
as a variant, `fast` (the system's traineddata: Debian packages tessdata_fast) or `best_int`
(tessdata_best made integer, fetched by `make setup` into the cache:
`qa_factory.judges.tess_models`), and the characters a model can output.

Both variants of a model share one unicharset (checked: the same `lstm-unicharset` bytes for
jpn_vert and chi_tra_vert), so "known" characters mean the same for both.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from qa_factory.judges.tess_models import BEST, FAST, PINS, IsolatedApi, tessdata_for
from synth.opencv import cv2

VARIANTS = (FAST, BEST)
RETRY_ZOOM = 1.5  # a crop read as nothing is read again this much larger (`Reader.read`)


@functools.lru_cache(maxsize=1)
def system_tessdata() -> str:
    """The traineddata folder the `tesseract` CLI uses (TESSDATA_PREFIX honoured)."""
    from qa_factory.judges.tess_engine import list_languages

    folder, _ = list_languages("tesseract", os.environ.get("TESSDATA_PREFIX"))
    if folder is None:
        raise SystemExit("tesseract lists no traineddata folder; install tesseract-ocr")
    return folder.rstrip("/") + "/"


def folder(model: str, variant: str = FAST) -> str | None:
    """Where `model` of `variant` is read from; None when that variant is not there (best_int
    not fetched: `make setup`, or `python tools/fetch_tessdata.py`)."""
    if variant == FAST:
        return system_tessdata()
    return tessdata_for(model, variant)


def missing_best(models: list[str]) -> str | None:
    """Why the `best_int` variant of `models` cannot be read (a skip reason), or None."""
    unpinned = [m for m in models if m not in PINS]
    if unpinned:
        return f"no best_int model is pinned for {', '.join(unpinned)} (tess_models.PINS)"
    absent = [m for m in models if folder(m, BEST) is None]
    if not absent:
        return None
    return (f"best_int {', '.join(absent)} not fetched (`python tools/fetch_tessdata.py` "
            "needs npm and the registry); read with the system's models only")


@functools.lru_cache(maxsize=8)
def unicharset(model: str) -> frozenset[str]:
    """The tokens a traineddata can output (its LSTM unicharset, each NFKC), whole: a drawn
    character is known to the model when its NFKC form is one of them (`drawn_known`)."""
    path = Path(f"{folder(model, FAST)}{model}.traineddata")
    if not path.is_file() and folder(model, BEST):  # the system lacks it; the fetched one has it
        path = Path(f"{folder(model, BEST)}{model}.traineddata")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["combine_tessdata", "-u", str(path), f"{tmp}/m."], check=True,
                       capture_output=True)
        lines = Path(f"{tmp}/m.lstm-unicharset").read_text("utf-8").splitlines()[1:]
    return frozenset(unicodedata.normalize("NFKC", row.split(" ", 1)[0]) for row in lines)


class Reader:
    """One vertical model reading single columns (`--psm 5`, a uniform block of vertical
    text): through tesserocr when it is installed (`best_int` in a process of its own:
    `IsolatedApi`), else the `tesseract` CLI (a process a call)."""

    def __init__(self, model: str, variant: str = FAST) -> None:
        self.model, self.variant = model, variant
        where = folder(model, variant)
        if where is None:
            raise SystemExit(missing_best([model]))
        self.folder = where
        self.api: Any = None
        self.isolated: IsolatedApi | None = None
        self.own_cpu_s = 0.0
        try:
            import tesserocr
        except ImportError:
            return
        psm = tesserocr.PSM.SINGLE_BLOCK_VERT_TEXT
        if variant == FAST:  # Debian's traineddata sets no process-wide parameter
            self.api = tesserocr.PyTessBaseAPI(path=where, lang=model, psm=psm)
        else:  # best_int's config would hold for every model of this process
            self.isolated = IsolatedApi(where, model, int(psm))

    def cpu_s(self) -> float:
        """CPU seconds spent reading so far (this process's clock, or the reading process's),
        start-up excluded (the CLI's processes are not counted)."""
        return self.isolated.cpu_s if self.isolated is not None else self.own_cpu_s

    def _once(self, crop: np.ndarray) -> str:
        if self.isolated is not None:
            return "".join(self.isolated.read(crop).split())
        if self.api is None:
            ok, png = cv2.imencode(".png", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
            out = subprocess.run(["tesseract", "stdin", "stdout", "-l", self.model, "--psm", "5"],
                                 input=png.tobytes(), capture_output=True, timeout=60, check=True,
                                 env={**os.environ, "TESSDATA_PREFIX": self.folder})
            return "".join(out.stdout.decode("utf-8").split())
        from PIL import Image

        self.api.SetImage(Image.fromarray(crop))
        return "".join(self.api.GetUTF8Text().split())

    def read(self, crop: np.ndarray) -> str:
        """The column's text; a crop read as nothing is read again zoomed RETRY_ZOOM (as the
        project's judge reads unsure pages again zoomed): a 22 px zh-Hant column on plain
        paper read as nothing at 1x (with margins of 4-33 px alike), and whole at 1.5x."""
        start = time.process_time()
        text = self._once(crop)
        if not text:
            text = self._once(cv2.resize(crop, None, fx=RETRY_ZOOM, fy=RETRY_ZOOM,
                                         interpolation=cv2.INTER_CUBIC))
        if self.isolated is None:
            self.own_cpu_s += time.process_time() - start
        return text
