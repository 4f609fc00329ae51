"""Switches in a run config take YAML booleans only: a quoted "yes", "no" or "off", or a 0/1,
is a one-line error naming the key rather than a value pydantic guesses (its lax mode reads
"no" and "off" as false, "yes" and 1 as true)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import build_config
from pipelines.errors import PolyglyphError


@pytest.mark.parametrize(("key", "yaml"), [
    ("illegible.runs", 'illegible:\n  runs: "yes"\n'),
    ("illegible.runs", "illegible:\n  runs: 0\n"),
    ("dewarp", 'dewarp: "off"\n'),
    ("overwrite", "overwrite: 1\n"),
])
def test_switch_takes_a_boolean_only(tmp_path: Path, key: str, yaml: str) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("num: 2\nlanguages: [en]\n" + yaml, "utf-8")
    with pytest.raises(PolyglyphError) as err:
        build_config(path)
    message = str(err.value)
    assert key in message and "\n" not in message


def test_yaml_booleans_still_read(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("num: 2\nlanguages: [en]\nillegible:\n  runs: no\ndewarp: true\n", "utf-8")
    config = build_config(path)
    assert config.illegible.runs is False and config.dewarp is True
