"""polyglyph: synth."""
