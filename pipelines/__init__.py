"""polyglyph: pipelines."""
