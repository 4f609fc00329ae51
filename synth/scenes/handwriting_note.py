"""The `handwriting-note` scene is written in `synth.scenes.note`."""

from synth.scenes.note import apply, sample

__all__ = ["apply", "sample"]
