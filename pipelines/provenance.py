"""What code made a shard: a digest of polyglyph's own files plus the library versions that
change pixels or bytes (Pillow and its raqm/HarfBuzz/libjpeg, numpy, OpenCV, pyarrow, the
HarfBuzz and FreeType bindings that shape and rasterise text, scipy's KD-tree for the inverse).

A shard's bytes are a function of (config, index) only for fixed code. The digest lets a resume
refuse shards made by other code, and lets the driver refuse a worker whose install differs
(a cluster node with an older image would otherwise write silently different shards).
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGES = ("synth", "warping", "qa_factory", "fonts_manifest", "pipelines")
LIBRARIES = (
    "pillow", "numpy", "opencv-python-headless", "pyarrow", "icu4py", "uharfbuzz",
    "freetype-py", "scipy",
)  # fmt: skip  (albumentations left: nothing imports it at run time since warping.kernels)


@lru_cache(maxsize=1)
def environment() -> dict[str, str]:
    """Versions of the libraries (and Pillow's native parts) that affect output bytes."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    from PIL import features

    for feature in ("raqm", "harfbuzz", "fribidi", "libjpeg_turbo", "webp", "zlib"):
        try:
            out[f"pil.{feature}"] = str(features.version(feature))
        except (ValueError, AttributeError):
            out[f"pil.{feature}"] = "absent"
    return dict(sorted(out.items()))


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 over polyglyph's package files (sources, YAML, data) and `environment()`."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            digest.update(f"{package}:absent".encode())
            continue
        root = Path(next(iter(spec.submodule_search_locations)))
        for path in sorted(root.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(f"{package}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for key, value in environment().items():
        digest.update(f"{key}={value}\0".encode())
    return digest.hexdigest()


@lru_cache(maxsize=8)
def build_digest(font_dirs: tuple[str, ...] = ()) -> str:
    """`code_digest()` plus the fingerprint of the installed fonts the registry sees."""
    from fonts_manifest.registry import FontRegistry

    fonts = FontRegistry.load(extra_dirs=font_dirs).fingerprint
    return hashlib.sha256(f"{code_digest()}:{fonts}".encode()).hexdigest()
