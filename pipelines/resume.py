"""Resume and ownership: what a run may keep, replace or delete in its `--out`.

The next run on the same `--out` keeps every shard whose hash still matches and makes only the
others; polyglyph replaces or deletes only files it made (the manifest says which), so a file of
the user's, another config's run or shards past this run's end stop it with one line unless
--overwrite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipelines.errors import PolyglyphError

from .manifest import CARD, MANIFEST, STATS, ShardJob
from .output import DATA, LOCK, Output, is_shard, run_lock, shard_name


@contextmanager
def open_output(target: str) -> Iterator[Output]:
    """The output of a run: checked writable, locked for this run, stale temporaries cleared."""
    out = Output(target)
    if out.is_local:
        out = Output(str(out.root.resolve()))
    created = _missing_folders(out)
    try:
        out.prepare()
        with run_lock(out):
            out.remove_stale_tmp()
            yield out
    except BaseException:
        _remove_if_empty(created)
        raise


def _missing_folders(out: Output) -> list[Path]:
    """The folders a run would create for a local `--out` (it, `data/`, missing parents),
    deepest first; an object store has no folders to leave behind."""
    if not out.is_local:
        return []
    missing = [out.root / DATA]
    missing += [p for p in (out.root, *out.root.parents) if not p.exists()]
    return [p for p in missing if not p.exists()]


def _remove_if_empty(folders: list[Path]) -> None:
    """After a failed run: the folders it created and left empty go (the driver put the
    manifest back, the lock file went with the lock); rmdir never removes a file, so anything
    in them (a shard of this run, a file of the user's) keeps them."""
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            return


def part_names(out: Output) -> list[str]:
    """Every shard file in `out`: `data/part-*.parquet` and any left at the root."""
    return [n for n in out.list_names() if is_shard(n)]


def refuse_old_layout(out: Output, parts: list[str]) -> None:
    """A dataset made before shards moved to `data/` is read as it is, but not resumed into:
    its shards would sit beside new ones under another name."""
    old = [n for n in parts if not n.startswith(f"{DATA}/")]
    if old:
        raise PolyglyphError(
            f"--out {out.target} holds shards at its top level ({old[0]}…), the layout before "
            f"shards moved to {DATA}/; use --overwrite to remake them, or another directory"
        )


def own_files(manifest: dict[str, Any] | None, jobs: list[ShardJob],
              side_files: tuple[str, ...]) -> set[str]:
    """Files a run of ours made or may make here. With no manifest: none (the manifest is
    written before any shard). With one: it, the shards it lists or planned, this run's
    planned shards (a shard renamed into place just before a kill -9 is not listed yet) and the
    side files the run writes (stats.json, README.md…)."""
    if manifest is None:
        return set()
    names = {MANIFEST, *side_files, *(job.name for job in jobs)}
    names.update(str(e.get("file")) for e in manifest.get("shards", []))
    names.update(shard_name(i) for i in range(int(manifest.get("num_shards") or 0)))
    return names


def refuse_foreign(out: Output, manifest: dict[str, Any] | None, jobs: list[ShardJob],
                   side_files: tuple[str, ...]) -> None:
    """polyglyph replaces or deletes only files it made: any other file in `--out` (a README.md
    of the user's, notes, another dataset's shards) stops the run unless --overwrite."""
    ours = own_files(manifest, jobs, side_files)
    foreign = [n for n in out.list_names() if n not in ours and not _ours_anyway(n)]
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        why = f"no {MANIFEST} of a polyglyph run" if manifest is None else f"not in its {MANIFEST}"
        raise PolyglyphError(
            f"--out {out.target} holds files polyglyph did not make ({shown}; {why}); "
            "use another directory, or --overwrite to replace polyglyph's files there"
        )


def _ours_anyway(name: str) -> bool:
    return name == LOCK or name.endswith(".tmp")


def resume_plan(
    out: Output,
    manifest: dict[str, Any] | None,
    chash: str,
    jobs: list[ShardJob],
    overwrite: bool,
    build: str | None = None,
    check: str = "sha256",
    side_files: tuple[str, ...] = (STATS, CARD),
) -> dict[int, dict[str, Any]]:
    """Shards that can be kept (hash verified). Refuses a foreign or different-config directory,
    and never deletes a shard without --overwrite."""
    parts = part_names(out)
    if overwrite:
        for name in [*parts, MANIFEST, *side_files]:
            out.remove(name)
        return {}
    if manifest is not None:
        refuse_old_layout(out, parts)
    refuse_foreign(out, manifest, jobs, side_files)
    if manifest is None:
        return {}
    if manifest.get("config_hash") != chash:
        raise PolyglyphError(
            f"--out {out.target} holds a run with a different config "
            f"(hash {str(manifest.get('config_hash'))[:12]} != {chash[:12]}); "
            "use --overwrite or another directory"
        )
    if build is not None and manifest.get("build") not in (None, build):
        raise PolyglyphError(
            f"--out {out.target} was made by other polyglyph code, libraries or fonts "
            f"(build {str(manifest.get('build'))[:12]} != {build[:12]}), so its shards would "
            "not match new ones; use --overwrite or another directory"
        )
    beyond = sorted(set(parts) - {job.name for job in jobs})
    if beyond:
        raise PolyglyphError(
            f"--out {out.target} holds {len(beyond)} shard(s) past this run's end "
            f"({beyond[0]}…): a smaller --num would drop them; use the same --num, or "
            "--overwrite to delete them"
        )
    planned = {job.index: job for job in jobs}
    kept: dict[int, dict[str, Any]] = {}
    for entry in manifest.get("shards", []):
        job = planned.get(int(entry["index"]))
        # a shard's name is a function of its index: an entry naming another file (a manifest
        # edited to say "../../etc/passwd") is not kept, or the stats and the card would read
        # that file as the shard, outside --out
        if job is None or entry.get("planned_rows") != job.rows or entry.get("file") != job.name:
            continue
        if check == "size":
            intact = out.size(job.name) == entry.get("bytes")
        else:
            intact = out.file_sha256(job.name) == entry.get("sha256")
        if intact:
            kept[job.index] = entry
    return kept

