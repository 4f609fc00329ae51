"""`export --kept-only` (review of 2026-12-07): export read every row of a validated dataset,
so pages validate's judges rejected (keep false) went to training. On a real dataset validated
by real Tesseract, only the kept rows are exported; an unvalidated input is one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.errors import PolyglyphError


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(generated dataset, its validated copy): 6 receipts, tesseract, --hard-share 0 so hard
    rows are rejected (5 of 6 here)."""
    from pipelines.cli import main as cli_main

    if shutil.which("tesseract") is None:
        pytest.skip("no tesseract")
    root = tmp_path_factory.mktemp("kept")
    assert cli_main(["generate", "--num", "6", "--languages", "en", "--scenes", "receipt",
                     "--out", str(root / "ds"), "--workers", "1", "--quiet"]) == 0
    assert cli_main(["validate", "--input", str(root / "ds"), "--out", str(root / "vds"),
                     "--judges", "tesseract", "--hard-share", "0", "--no-progress"]) == 0
    return root / "ds", root / "vds"


def test_kept_only_exports_exactly_the_kept_rows(validated: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    from pipelines.export.cli import main

    keep = pq.read_table(validated[1] / "data", columns=["keep"]).column("keep").to_pylist()
    assert 0 < sum(keep) < len(keep), keep  # the case needs both kept and rejected rows
    assert main(["--input", str(validated[1]), "--format", "lines", "--out",
                 str(tmp_path / "kept"), "--kept-only", "--quiet"]) == 0
    assert main(["--input", str(validated[1]), "--format", "lines", "--out",
                 str(tmp_path / "all"), "--quiet"]) == 0
    kept = json.loads((tmp_path / "kept" / "export.json").read_text())
    every = json.loads((tmp_path / "all" / "export.json").read_text())
    assert kept["summary"]["rows"] == sum(keep) and every["summary"]["rows"] == len(keep)
    assert kept["summary"]["written"] < every["summary"]["written"]
    rejected = len(keep) - sum(keep)
    assert f"--kept-only: {rejected} rows validate rejected" in kept["summary"]["notes"][0]
    assert kept["options"]["kept_only"] is True


def test_kept_only_on_an_unvalidated_dataset_is_one_line(validated: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    from pipelines.export.cli import main

    out = tmp_path / "out"
    with pytest.raises(PolyglyphError, match=r"--kept-only needs a validated dataset") as info:
        main(["--input", str(validated[0]), "--format", "lines", "--out", str(out),
              "--kept-only"])
    assert "part-00000.parquet" in str(info.value) and not out.exists()
