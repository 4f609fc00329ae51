"""OpenCV for every module of ours, imported without changing the process environment.

`import cv2` (opencv-python-headless) puts its bundled library directory into
`os.environ["LD_LIBRARY_PATH"]` while it loads, and leaves it there: importing any core module
that draws or warps changed the environment of the process and of every process it started
later (the design rule: importing a core package has no side effects). Here the environment is
snapshot before the import and every key the import added or changed is put back. That is safe
because the variable only matters while OpenCV's own shared libraries are being loaded, which is
finished when `import cv2` returns: the loaded libraries stay loaded, and child processes that
import cv2 themselves set it again. When cv2 was imported before (by someone else), nothing
changes here.

    from synth.opencv import cv2
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["cv2"]


def _import_cv2() -> ModuleType:
    before = dict(os.environ)
    import cv2 as module

    restore_environ(before)
    return module


def restore_environ(before: dict[str, str]) -> None:
    """Make os.environ equal to `before` again: added keys removed, changed ones set back."""
    for key in [k for k in os.environ if k not in before]:
        del os.environ[key]
    for key, value in before.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


cv2 = _import_cv2()
