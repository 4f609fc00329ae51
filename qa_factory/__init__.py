"""polyglyph: qa_factory."""
