"""Regenerate the README's scene pictures: docs/scenes/<scene>.jpg, one per scene (blank left out).

Each is a real page (fixed language, seed and size per scene), warped by the scene's own profile
(`warping.profiles.SCENE_PROFILES`; `clean` for document-like scenes), with its line polygons drawn
in thin red, scaled to 560 px on the long side and saved as the highest JPEG quality (from 85 down)
that stays under 60 KB. Same code, fonts and libraries -> same bytes.

    PYTHONPATH=$PWD .venv/bin/python tools/scene_gallery.py [--out docs/scenes]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

# scene -> (language, seed, width, height): a spread of scripts and directions
SHOWN = {
    "document": ("ar", 2, 1024, 1448),
    "table": ("en", 1, 1024, 1448),
    "form": ("ru", 1, 1024, 1448),
    "receipt": ("th", 1, 1024, 1448),
    "card": ("hi", 1, 1024, 1448),
    "handwriting-note": ("en", 1, 1024, 1448),
    "screenshot": ("ar", 4, 1024, 1448),
    "video-frame": ("zh-Hans", 11, 1280, 720),
    "ticket": ("ru", 2, 1024, 1448),
    "scene-text": ("hi", 2, 1280, 900),
    "poster": ("en", 2, 1024, 1448),
    "game-ui": ("ja", 1, 1280, 720),
    "formula": ("en", 1, 1024, 1448),
    "chart": ("zh-Hans", 1, 1024, 1448),
}
LONG_SIDE = 560
MAX_BYTES = 60 * 1024


def picture(page: object) -> np.ndarray:
    """The page scaled to LONG_SIDE with its line polygons drawn in (RGB)."""
    image = page.image.copy()
    scale = LONG_SIDE / max(image.shape[:2])
    small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    for line in page.lines:
        if line.polygon:
            pts = np.round(np.asarray(line.polygon) * scale * 4).astype(np.int32)
            cv2.polylines(small, [pts], True, (230, 30, 30), 1, cv2.LINE_AA, shift=2)
    return small


def encode(image: np.ndarray) -> bytes:
    for quality in range(85, 20, -5):
        ok, data = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(data) <= MAX_BYTES:
            return data.tobytes()
    raise SystemExit("a scene picture does not fit in 60 KB even at quality 25")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/scenes")
    args = parser.parse_args(argv)

    import warping
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry
    from synth.render import PageSpec, RenderContext, render_page
    from synth.rng import child_rng, sample_rng
    from warping.profiles import scene_profile

    corpus = load_corpus()
    ctx = RenderContext(FontRegistry.load(corpus=corpus), corpus)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for scene, (language, seed, width, height) in SHOWN.items():
        rng = sample_rng(seed)
        page = render_page(PageSpec(language=language, scene=scene, width=width, height=height),
                           child_rng(rng, "render"), ctx)
        profile = warping.load_profile(scene_profile(scene, "clean"))
        page = warping.warp_page(page, profile, child_rng(rng, "warp"))
        data = encode(picture(page))
        (out / f"{scene}.jpg").write_bytes(data)
        print(f"{out / scene}.jpg {language} {profile['name']} {len(data) // 1024} KB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
