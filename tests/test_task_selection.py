"""A task list selects exactly what it names: `--tasks spotting` (or `tasks: {spotting: 1}`,
`tasks: [spotting]`) gives spotting views only; no `tasks` keeps the default mix."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.cli import main as cli_main
from pipelines.config import GenerateConfig, resolve_config
from pipelines.errors import PolyglyphError
from qa_factory.views import TASKS


def test_named_tasks_only_in_the_resolved_mix() -> None:
    mix = resolve_config(GenerateConfig(languages=["en"], tasks={"spotting": 1}))["tasks"]
    assert set(mix) == set(TASKS)
    assert {t for t, w in mix.items() if w > 0} == {"spotting"}
    listed = resolve_config(GenerateConfig(languages=["en"], tasks=["parsing", "text"]))["tasks"]
    assert {t: w for t, w in listed.items() if w > 0} == {"parsing": 1.0, "text": 1.0}
    assert resolve_config(GenerateConfig(languages=["en"]))["tasks"] is None  # default mix
    with pytest.raises(PolyglyphError, match="unknown task 'ocr'"):
        resolve_config(GenerateConfig(languages=["en"], tasks=["ocr"]))


def _tasks_of(out: Path) -> list[list[str]]:
    table = pq.read_table(next(out.glob("data/part-*.parquet")), columns=["tasks"])
    return [[view["task"] for view in row] for row in table.column("tasks").to_pylist()]


def test_generate_tasks_spotting_gives_spotting_only(tmp_path: Path) -> None:
    config = tmp_path / "tiny.yaml"
    config.write_text("page_sizes: [[256, 320]]\nscenes: {document: 1}\nlanguages: [en]\n"
                      "tasks: {parsing: 1, text: 1}\n")  # the flag replaces the file's mix
    out = tmp_path / "ds"
    assert cli_main(["generate", "--config", str(config), "--tasks", "spotting", "--num", "3",
                     "--workers", "1", "--quiet", "--out", str(out)]) == 0
    per_row = _tasks_of(out)
    assert len(per_row) == 3 and all(per_row)  # a spotting view on every page...
    assert {task for row in per_row for task in row} == {"spotting"}  # ...and nothing else
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["tasks"]["parsing"] == 0.0
