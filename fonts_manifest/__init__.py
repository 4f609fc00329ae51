"""polyglyph: fonts_manifest."""
