"""One shard of `polyglyph validate`: judge its rows a batch at a time, choose the kept rows
over the shard, and stream the rows again with the added columns into the shard writer.

Apart from the command (`validate_cli`) because generation's inline validation
(`pipelines.shard`) runs the same two passes on a staged shard.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import PolyglyphError
from qa_factory.judge_pool import JudgePool
from qa_factory.judges import Judge
from qa_factory.validate import ValidationRules, row_columns, select_kept, validate_pages
from synth.rng import child_rng, sample_rng

from .dataset import group_batches
from .output import Output
from .qa_pass import QAPass, QAShard, with_tasks
from .rows import row_to_page
from .validate_schema import ADDED_COLUMNS, validated_schema
from .writers import PARQUET, ROW_GROUP_ROWS, Writer, WrittenShard


def _batches(source: pq.ParquetFile, size: int, shown: str) -> Iterator[pa.RecordBatch]:
    """The source's record batches; a page that fails to decode (a corrupt shard whose footer
    still reads) is one line naming the input shard, not "cannot write to --out"."""
    try:
        yield from group_batches(source, size)  # not the whole shard buffered at once
    except (OSError, pa.ArrowInvalid) as exc:
        raise PolyglyphError(f"{shown}: unreadable Parquet data: {exc}") from None


def _row_batches(source: pq.ParquetFile, batch_rows: int, shown: str
                 ) -> Iterator[list[dict[str, Any]]]:
    """Rows as Python dicts, `batch_rows` at a time across row groups: never a whole shard."""
    rows: list[dict[str, Any]] = []
    for batch in _batches(source, max(1, batch_rows), shown):
        rows.extend(batch.to_pylist())
        while len(rows) >= batch_rows:
            yield rows[:batch_rows]
            rows = rows[batch_rows:]
    if rows:
        yield rows


def judge_rows(
    source: pq.ParquetFile, judges: list[Judge], rules: ValidationRules, batch_rows: int,
    on_rows: Callable[[int], None], qa: QAShard | None = None, pool: JudgePool | None = None,
    shown: str = "input shard",
) -> tuple[list[dict[str, Any]], list[list[dict[str, str]]]]:
    """First pass: every row's validation result (small records; the rows are not kept) and,
    with `qa`, the generated tasks it keeps (failed pages are counted in `qa.failed`). The
    judges read on `pool`'s threads (none: in this thread)."""
    results: list[dict[str, Any]] = []
    extra: list[list[dict[str, str]]] = []
    for rows in _row_batches(source, batch_rows, shown):
        items = []
        for row in rows:
            try:
                page = row_to_page(row)
            except KeyError as exc:  # a Parquet file that is not a polyglyph shard
                raise PolyglyphError(
                    f"{shown}: row {row.get('id')!r} has no {exc.args[0]!r} column"
                    " (not a polyglyph shard?)") from None
            except (ValueError, OSError) as exc:
                raise PolyglyphError(
                    f"{shown}: row {row.get('id')!r} cannot be read back as a page: {exc}"
                ) from None
            rng = child_rng(sample_rng(int(row.get("seed") or 0)), "validate")
            items.append((page, row.get("tasks") or [], rng))
        if qa is not None:
            extra.extend(qa.run([(str(row.get("id")), page) for row, (page, _, _)
                                 in zip(rows, items, strict=True)]))
        results.extend(validate_pages(items, judges, rules, pool))
        on_rows(len(rows))
    return results, extra


def validate_parquet(
    source: pq.ParquetFile, out: Output, name: str, judges: list[Judge], rules: ValidationRules,
    batch_rows: int, on_rows: Callable[[int], None], writer: Writer = PARQUET,
    schema: pa.Schema | None = None, qa: QAPass | None = None, pool: JudgePool | None = None,
    shown: str = "input shard",
) -> tuple[WrittenShard | None, dict[str, Any]]:
    """Validate one shard file into `out/name`: judge every row (first pass), choose the kept
    rows over the whole shard (the hard-row share is per shard), then stream the rows again
    with the added columns into the shard writer (second pass). Memory: one batch of rows.
    With `qa`, generated tasks the label tree confirms are appended to each row's `tasks`.

    `schema` is the rows' own schema when the caller has it (inline validation): a schema read
    back from Parquet names list items `element`, not `item` as Arrow made them."""
    shard_qa = QAShard(qa, out, name, qa.load(out, name)) if qa else None
    results, extra = judge_rows(source, judges, rules, batch_rows, on_rows, shard_qa, pool,
                                shown)
    unanswered: Counter[str] = Counter(shard_qa.failed if shard_qa else {})
    for r in results:
        unanswered.update(unanswered_classes(r))
    if unanswered:  # no verdict for some rows: nothing is written, the shard stays undone
        return None, {"unanswered": dict(sorted(unanswered.items()))}
    statuses = [r["status"] for r in results]
    keep = select_kept(statuses, [r["difficulty"] for r in results], rules.hard_share)
    added = {
        "validation": [row_columns(r)["validation"] for r in results],
        "difficulty": [r["difficulty"] for r in results],
        "agreement": [r["agreement"] for r in results],
        "status": statuses,
        "keep": keep,
    }
    drop = [n for n, _, _ in ADDED_COLUMNS if n in source.schema_arrow.names]
    shard = writer.open(out, name, validated_schema(schema or source.schema_arrow))
    with shard:
        done = 0
        for batch in _batches(source, ROW_GROUP_ROWS, shown):
            table = pa.Table.from_batches([batch]).drop_columns(drop)
            if extra:
                table = with_tasks(table, extra[done:done + batch.num_rows])
            for column, arrow_type, _ in ADDED_COLUMNS:
                values = pa.array(added[column][done:done + batch.num_rows], arrow_type)
                table = table.append_column(pa.field(column, arrow_type), values)
            shard.add(table)
            done += batch.num_rows
        written = shard.close()
    counts = dict(sorted(Counter(statuses).items()))
    counts["kept"] = sum(keep)
    if qa:
        counts.update(qa.stats)
        qa.stats.clear()
    return written, counts


def unanswered_classes(result: dict[str, Any]) -> set[str]:
    """'judge: error class' of every judge that failed somewhere on this row."""
    return {
        f"{name}: {info['error']}"
        for check in result["validation"]["checks"]
        for name, info in check["judges"].items()
        if name in check.get("unanswered", ())
    }
