"""`generate --print-config` (YAML that reproduces the run) and `--dry-run` (the plan): exit 0,
write nothing, and stop on the same bad input a real run would."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.cli import main as cli_main
from pipelines.config import build_config, config_hash, resolve_config


def test_print_config_is_a_config_for_the_same_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    assert cli_main(["generate", "--print-config", "--languages", "zh,ar", "--tasks", "spotting",
                     "--num", "7", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    data = yaml.safe_load(printed)
    assert data["languages"] == ["zh", "ar"] and data["tasks"] == {"spotting": 1.0}
    assert data["num"] == 7 and data["seed"] == 3
    header_hash = printed.splitlines()[0].rsplit(" ", 1)[1]
    again = tmp_path / "printed.yaml"
    again.write_text(printed, encoding="utf-8")
    assert config_hash(resolve_config(build_config(again))) == header_hash
    assert not out.exists()


def test_dry_run_prints_the_plan_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    assert cli_main(["generate", "--dry-run", "--num", "1000", "--shard-rows", "300",
                     "--languages", "zh,de,ar,en", "--scenes", "document,receipt",
                     "--profile", "clean,scan,photo", "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1000 rows in 4 shards of 300 (last 100)" in printed
    assert "4 languages in 3 scripts, 2 scenes, 3 profiles; tasks: default mix" in printed
    assert "executor: local, 1 workers" in printed and "nothing written" in printed
    assert not out.exists()


def test_dry_run_stops_on_bad_input_and_flags_exclude_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "never"
    assert cli_main(["generate", "--dry-run", "--languages", "xx-nope", "--out", str(out)]) == 1
    assert "unknown language 'xx-nope'" in capsys.readouterr().err
    assert cli_main(["generate", "--dry-run", "--print-config", "--out", str(out)]) == 2
    assert "not allowed with" in capsys.readouterr().err
    assert not out.exists()
