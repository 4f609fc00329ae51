"""polyglyph: pipelines (run driver, shard writers, executors, CLIs).

Importing it changes nothing in the process: worker settings (Arrow's allocator, GC, threads)
live in `pipelines.worker_setup`, applied by the CLI and the executors.
"""
