"""8-bit RGB pixels of a user's image, as a viewer shows the file.

Every layer reads images someone else made: `--backgrounds` photos and paper backgrounds
(synth), scene photos (warping), benchmark pages and re-read rows (pipelines). Pillow's
`convert("RGB")` alone is wrong for two common kinds of file:

- 16-bit and 32-bit grey (modes `I;16*`, `I`, `F`: scans, microscope and medical exports) is
  clipped, not scaled: a 40000/65535 grey came out 255, a white page with its text gone.
- Transparency is dropped, and a transparent PNG's unpainted pixels are usually stored black:
  the whole background came out black (and black text on it vanished).

Here deep grey is scaled to 8 bits and transparency is laid over white paper. An 8-bit RGB file
(every built-in background, every row we write) takes the plain `convert("RGB")` path, so its
pixels are byte for byte what they were. Lives in synth (the lowest layer that draws) so that
synth, warping and pipelines can all import it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")


def rgb_pixels(im: Image.Image) -> np.ndarray:
    """H x W x 3 uint8 RGB of an open Pillow image (deep grey scaled, alpha over white)."""
    if im.mode in ("I", "F") or im.mode.startswith("I;16"):
        grey = np.asarray(im, dtype=np.float64)
        if im.mode.startswith("I;16") or (im.mode == "I" and grey.max(initial=0) > 255):
            grey = grey / 257.0
        elif im.mode == "F" and grey.max(initial=0) <= 1.0:
            grey = grey * 255.0
        flat = np.clip(np.nan_to_num(grey), 0, 255).round().astype(np.uint8)
        return np.repeat(flat[:, :, None], 3, axis=2)
    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        paper = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(paper, im.convert("RGBA")).convert("RGB"))
    return np.asarray(im.convert("RGB"))
