"""The `card` scene (business and ID-like cards) lives with receipts in `synth.scenes.receipt`."""

from synth.scenes.receipt import apply
from synth.scenes.receipt import sample_card as sample

__all__ = ["apply", "sample"]
