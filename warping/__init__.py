"""polyglyph: warping."""
