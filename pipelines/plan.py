"""`generate --print-config` and `--dry-run`: what a run would do, with nothing written.

Both resolve the config first (languages, scenes, profiles, tasks, corpus files), so every
error a real run would stop on shows here too; neither opens `--out`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from .config import GenerateConfig, config_hash, resolve_config


def print_config_text(config: GenerateConfig) -> str:
    """The merged config (defaults, --config, flags) as YAML a later `--config` reads back to
    the same run: same config hash, which the first line names."""
    chash = config_hash(resolve_config(config))
    data = config.model_dump(mode="json")
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)
    return f"# polyglyph generate config; config_hash {chash}\n{body}"


def dry_run_plan(config: GenerateConfig) -> dict[str, Any]:
    """Shards, rows and the content mix of the run, as plain data."""
    from .driver import choose_executor
    from .manifest import plan_shards

    resolved = resolve_config(config)
    jobs = plan_shards(config.num, config.shard_rows)
    scripts = _scripts(config, resolved["languages"])
    tasks = resolved["tasks"]
    return {
        "config_hash": config_hash(resolved),
        "out": config.out,
        "rows": config.num,
        "shards": len(jobs),
        "shard_rows": config.shard_rows,
        "last_shard_rows": jobs[-1].stop - jobs[-1].start,
        "languages": len(resolved["languages"]),
        "scripts": len(scripts),
        "scenes": len(resolved["scenes"]),
        "profiles": len(resolved["profiles"]),
        "tasks": "default mix" if tasks is None else sorted(t for t, w in tasks.items() if w > 0),
        "executor": choose_executor(config.executor, config.workers, len(jobs),
                                    config.ray_address, probe=False),
        "workers": config.workers,
        "seed": config.seed,
    }


def _scripts(config: GenerateConfig, languages: dict[str, float]) -> Counter[str]:
    """Languages per script, from the registry resolve_config loaded (memoised: no reload)."""
    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.registry import FontRegistry

    corpus = load_corpus(dict(config.corpus) or None)
    registry = FontRegistry.load(extra_dirs=tuple(config.font_dirs), corpus=corpus)
    return Counter(registry.language(code).script for code in languages)


def dry_run_text(plan: dict[str, Any]) -> str:
    tasks = plan["tasks"] if isinstance(plan["tasks"], str) else ", ".join(plan["tasks"])
    return (
        f"plan: {plan['rows']} rows in {plan['shards']} shards of {plan['shard_rows']} "
        f"(last {plan['last_shard_rows']}) -> {plan['out'] or '(no --out)'}\n"
        f"content: {plan['languages']} languages in {plan['scripts']} scripts, "
        f"{plan['scenes']} scenes, {plan['profiles']} profiles; tasks: {tasks}\n"
        f"executor: {plan['executor']}, {plan['workers']} workers; seed {plan['seed']}; "
        f"config_hash {plan['config_hash']}\n"
        "dry run: nothing written\n"
    )
