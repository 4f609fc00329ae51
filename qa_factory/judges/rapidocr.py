"""RapidOCR (PP-OCR recognition as ONNX) as a second, independent judge of line crops.

A reader with other failure modes than Tesseract (a CTC network, not an LSTM over Leptonica
binarisation), so two readers agreeing means more than one reader twice. Its weights come
from the `rapidocr` 3.x wheel itself (`rapidocr/models/PP-OCRv6_*_small.onnx`): the model
paths are passed explicitly, so it never reaches for its download URLs (the machine that
validates may have no network). The packaged recognition model reads Chinese, Japanese,
English and Latin-script languages; it is not asked about anything else (`supports`), so
Arabic, Devanagari or Cyrillic lines stay Tesseract's alone.

Only line crops (`task == "line"`, also field-value crops for extraction and the lines that
validation composes page views from, `qa_factory.judging`) are read, with detection off: a line
crop is already what the detector would cut out.

Each crop is recognised on its own (`REC_BATCH` 1), padded to the recogniser's 48 x 320 input
when shorter, as it was trained: cheaper in CPU than batches sorted by aspect ratio (each
padded to its widest) and with a fraction of onnxruntime's memory peak; dropping the 320 px
floor saved more CPU but lowered RapidOCR's line score on `wild` rows (figures: commit
469987d and bench/RESULTS.md). One crop a unit also lets validation's reader pool
(`qa_factory.judge_pool`) spread a page's crops over every core.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError
from qa_factory.judges import BatchJudge, JudgeError, JudgeFailure, Request
from qa_factory.judges.crop_prep import vertical_to_horizontal

# BCP 47 primary subtags of the languages the packaged PP-OCRv6 recognition model covers
# (rapidocr's `default_models.yaml`: ch, chinese_cht, en, japan and its Latin-script list).
RAPIDOCR_LANGUAGES = frozenset(
    "zh en ja af az bs ca cs cy da de es et eu fi fr ga gl hr hu id is it ku la lb lt lv mi "
    "ms mt nl no nb nn oc pl pt qu rm ro sk sl sq sv sw tl tr uz vi".split()
)
REC_BATCH = 1  # crops per ONNX run (see the module docstring)
REC_SHAPE = [3, 48, 320]  # the recogniser's input: 48 px high, at least 320 wide (padded)
CHUNK = 256  # crops per recognize call: bounds the memory of one call, not its speed
MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}


def covers(language: str) -> bool:
    """Whether the packaged model reads this language (Serbian only in Latin script)."""
    base = language.split("-")[0].lower()
    if base == "sr":
        return "latn" in language.lower()
    return base in RAPIDOCR_LANGUAGES


def packaged_models() -> dict[str, Path]:
    """The ONNX files inside the installed wheel; a one-line error when they are missing."""
    try:
        import rapidocr
    except ImportError as exc:
        raise PolyglyphError(
            "the rapidocr judge needs rapidocr and onnxruntime; pip install 'polyglyph[judges]'"
        ) from exc
    folder = Path(rapidocr.__file__).parent / "models"
    paths = {stage: folder / name for stage, name in MODEL_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise PolyglyphError(
            f"rapidocr wheel without its packaged models ({missing[0]}); install rapidocr 3.10"
        )
    return paths


class RapidOCRJudge(BatchJudge):
    name = "rapidocr"
    tasks = frozenset({"line"})

    def __init__(self, threads: int = 1) -> None:
        if not 1 <= int(threads) <= 64:
            raise PolyglyphError(f"rapidocr threads {threads}: must be in [1, 64]")
        self.threads = int(threads)
        self.models = packaged_models()
        self._engine: Any = None
        self._lock = threading.Lock()

    def settings(self) -> dict[str, Any]:
        return {"name": self.name, "models": {k: p.name for k, p in self.models.items()},
                "rec_batch": REC_BATCH, "rec_shape": REC_SHAPE}

    def supports(self, view: Mapping[str, Any]) -> bool:
        return view.get("task") in self.tasks and covers(str(view.get("language", "en")))

    def _load(self) -> Any:
        """The ONNX sessions, made once per judge on first use (about 3 s)."""
        with self._lock:
            if self._engine is None:
                from rapidocr import RapidOCR

                params: dict[str, Any] = {
                    "Global.log_level": "error",
                    "Rec.rec_batch_num": REC_BATCH,
                    "Rec.rec_img_shape": REC_SHAPE,
                    "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                    # rapidocr turns onnxruntime's memory arena off: every run then asked
                    # the system for its (differently sized) buffers, and validate sets glibc
                    # to serve large blocks by mmap (worker_setup), so each run faulted its
                    # pages in again; with the arena on, the same readings at a fraction of
                    # the system time (figures: commit 930bc08)
                    "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
                }
                for stage, path in self.models.items():
                    params[f"{stage}.model_path"] = str(path)
                try:
                    self._engine = RapidOCR(params=params)
                except Exception as exc:  # the library raises many kinds; one line each
                    raise JudgeError("engine_error", f"rapidocr cannot load: {exc}") from exc
            return self._engine

    def units(self, requests: Sequence[Request]) -> list[tuple[float, list[int]]]:
        """One crop a unit (each is its own ONNX run, so it reads the same whatever else is in
        the batch; the session may run in several threads at once). Cost: its width in
        heights, about the recogniser's work."""
        return [(float(image.shape[1]) / max(1, image.shape[0]), [i])
                for i, (image, _) in enumerate(requests)]

    def batch_seconds(self, size: int) -> float:
        return 60.0 + 15.0 * size  # the first call also loads the sessions (about 3 s)

    def _prepare(self, image: np.ndarray, view: Mapping[str, Any]) -> np.ndarray:
        if view.get("direction") == "ttb":
            image = vertical_to_horizontal(image)
        image = np.asarray(image, dtype=np.uint8)
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        return np.ascontiguousarray(image[:, :, :3])

    def answer_batch(self, requests: Sequence[Request]) -> list[str | JudgeFailure]:
        """Recognition only (no detection, no orientation pass), `REC_BATCH` crops an ONNX
        run, up to `CHUNK` crops prepared at a time."""
        out: list[str | JudgeFailure] = [
            JudgeFailure("unsupported_task", "rapidocr reads line crops of covered languages")
        ] * len(requests)
        todo = [i for i, (_, view) in enumerate(requests) if self.supports(view)]
        if not todo:
            return out
        engine = self._load()
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            try:
                images = [self._prepare(*requests[i]) for i in chunk]
                result = engine.recognize_txt(images)
                texts = list(result.txts or ())
            except Exception as exc:  # onnxruntime and image errors alike: these requests failed
                failure = JudgeFailure("engine_error", f"rapidocr failed: {exc}")
                for i in chunk:
                    out[i] = failure
                continue
            for i, text in zip(chunk, texts, strict=True):
                out[i] = " ".join(str(text).split())
        return out
