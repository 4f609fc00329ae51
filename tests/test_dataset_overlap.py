"""--out overlapping the --input dataset is refused in one line naming both, before anything is
written, by every command that reads a dataset and writes beside it (validate, export,
inspect). The dataset is the OUT folder even when --input names its data/ folder or a shard:
`validate --input DS/data --out DS/v` put a second dataset inside DS (and its card beside
DS's), which the old check (--out under the folder given) let through."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.cli import main as cli_main


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    """A polyglyph OUT: one (empty) shard in data/ and a manifest beside it."""
    from pipelines.output import Output
    from pipelines.rows import SCHEMA
    from pipelines.writers import PARQUET

    root = tmp_path / "ds"
    PARQUET.open(Output(str(root / "data")), "part-00000.parquet", SCHEMA).close()
    (root / "manifest.json").write_text("{}\n")
    return root


def _listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str], *names: Path) -> str:
    code = cli_main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 1, (argv, err)
    assert "\n" not in err and all(str(name) in err for name in names), err
    return err


def test_validate_out_in_or_around_the_dataset(dataset: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    before = _listing(dataset)
    data, inner = dataset / "data", dataset / "v"
    err = _refused(capsys, ["validate", "--input", str(data), "--judges", "tesseract",
                            "--out", str(inner)], data, inner)
    assert f"inside --input {data} (the dataset at {dataset.resolve()})" in err
    # the input inside --out: `--overwrite` of --out would delete it
    err = _refused(capsys, ["validate", "--input", str(dataset), "--judges", "tesseract",
                            "--out", str(tmp_path), "--overwrite"], dataset, tmp_path)
    assert "holds --input" in err
    assert _listing(dataset) == before and not inner.exists()


def test_export_out_beside_data_is_refused(dataset: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    before = _listing(dataset)
    for source in (dataset / "data", dataset / "data" / "part-00000.parquet"):
        out = dataset / "lines"
        err = _refused(capsys, ["export", "--input", str(source), "--format", "lines",
                                "--out", str(out), "--quiet"], source, out)
        assert "inside --input" in err
    assert _listing(dataset) == before


def test_inspect_png_inside_the_dataset_is_refused(dataset: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = _listing(dataset)
    shard = dataset / "data" / "part-00000.parquet"
    for source, out in ((dataset, dataset / "row0.png"), (shard, dataset / "row0.png"),
                        (dataset, dataset / "data" / "row0.png")):
        err = _refused(capsys, ["inspect", str(source), "--out", str(out)], source, out)
        assert "inside --input" in err
    assert _listing(dataset) == before
    # outside it the command goes on to read the row (this shard has none: its own error)
    code = cli_main(["inspect", str(dataset), "--out", str(tmp_path / "row0.png")])
    assert code == 1 and "out of range" in capsys.readouterr().err
