"""polyglyph: pipelines."""

import os as _os
import sys as _sys

if "pyarrow" not in _sys.modules:
    # Arrow picks its allocator when pyarrow is imported, and only this variable can change it
    # for everything (pa.set_memory_pool, which workers also call, leaves Arrow's C++ internals
    # such as the Parquet writer on the default): mimalloc kept ~16 MiB of freed Arrow memory
    # per worker (peak RSS of 64 wild rows, local 340 -> 324 MiB, Ray 2 workers 418-432 ->
    # 400-408 MiB; Parquet bytes do not depend on the allocator). Set before any pipelines
    # module imports pyarrow, in the CLI, in Ray workers (they import pipelines to run a shard)
    # and in tests; an explicit setting by the user wins.
    _os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
