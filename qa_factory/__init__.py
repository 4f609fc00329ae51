"""polyglyph qa_factory: task views from the label tree, and judges that score how hard they are.

    views = make_views(page, rng, task_mix, target_language, corpus)   # qa_factory.views
    markdown = page_markdown(page)                                      # qa_factory.markdown
    result = validate_page(page, views, [get_judge("tesseract")])      # qa_factory.validate

`polyglyph validate` (pipelines.validate_cli) runs the judges as a pass over existing shards.
"""
