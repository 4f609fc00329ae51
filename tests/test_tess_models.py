"""The vertical read-back's `best_int` models (`qa_factory.judges.tess_models`): fetched only
with the pinned bytes, once, and a failed fetch is one line, never an error."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import os
import stat
import tarfile
from pathlib import Path

import numpy as np
import pytest

from qa_factory.judges import tess_models

MODEL = b"not a real traineddata, only bytes with a digest"


def _package(tmp_path: Path, model: bytes, name: str = "pkg.tgz") -> Path:
    """An npm package laid out as @tesseract.js-data's: package/4.0.0_best_int/X.gz."""
    packed = gzip.compress(model)
    path = tmp_path / name
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("package/4.0.0_best_int/test_vert.traineddata.gz")
        info.size = len(packed)
        tar.addfile(info, io.BytesIO(packed))
    return path


def _npm(tmp_path: Path, package: Path) -> str:
    """A stand-in `npm` for the registry: `npm pack SPEC --pack-destination DIR` copies the
    package there and counts its calls."""
    script = tmp_path / "npm"
    script.write_text(
        "#!/bin/sh\n"
        f'echo call >> "{tmp_path}/calls"\n'
        'while [ "$1" != "--pack-destination" ]; do shift; done\n'
        f'cp "{package}" "$2/pkg.tgz"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.fixture
def pinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(tmp_path / "cache"))
    package = _package(tmp_path, MODEL)
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(package.read_bytes()).digest()).decode()
    pin = tess_models.Pin("@test/test_vert", "1.0.0", integrity, hashlib.sha256(MODEL).hexdigest())
    monkeypatch.setattr(tess_models, "PINS", {"test_vert": pin})
    tess_models._verified.cache_clear()
    return package


def test_a_pinned_model_is_fetched_once_and_found(tmp_path: Path, pinned: Path) -> None:
    npm = _npm(tmp_path, pinned)
    assert tess_models.best_tessdata("test_vert") is None
    assert tess_models.fetch(npm=npm) == []
    folder = tess_models.best_tessdata("test_vert")
    assert folder == f"{tess_models.best_dir()}/"
    assert Path(folder, "test_vert.traineddata").read_bytes() == MODEL
    assert tess_models.fetch(npm=npm) == []  # there already: npm is not asked again
    assert (tmp_path / "calls").read_text().count("call") == 1
    assert tess_models.tessdata_for("test_vert", tess_models.FAST) is None  # the system's


def test_other_bytes_are_refused(tmp_path: Path, pinned: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    other = _package(tmp_path, MODEL + b"!", "other.tgz")
    [problem] = tess_models.fetch(npm=_npm(tmp_path, other))
    assert "integrity differs" in problem
    # the package is the pinned one, but the model in it is not: refused too
    pin = tess_models.PINS["test_vert"]
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(other.read_bytes()).digest()).decode()
    monkeypatch.setitem(tess_models.PINS, "test_vert",
                        tess_models.Pin(pin.package, pin.version, integrity, pin.sha256))
    [problem] = tess_models.fetch(npm=_npm(tmp_path, other))
    assert "sha256 differs" in problem
    assert tess_models.best_tessdata("test_vert") is None
    assert not list(tess_models.best_dir().glob("*.traineddata"))


def test_a_changed_model_on_disk_is_not_used(tmp_path: Path, pinned: Path) -> None:
    assert tess_models.fetch(npm=_npm(tmp_path, pinned)) == []
    path = tess_models.best_dir() / "test_vert.traineddata"
    path.write_bytes(MODEL[:-1])
    tess_models._verified.cache_clear()
    assert tess_models.best_tessdata("test_vert") is None


def test_without_npm_the_fetch_says_so_in_one_line(pinned: Path) -> None:
    [problem] = tess_models.fetch(npm="no-such-npm-here")
    assert problem == "test_vert: no-such-npm-here not found"
    assert os.linesep not in problem


def test_an_isolated_api_reads_as_the_same_model_in_process() -> None:
    # best_int models read in a process of their own (their config would hold for every model
    # of the caller's process); the reading itself must be the same
    tesserocr = pytest.importorskip("tesserocr")
    from PIL import Image, ImageDraw, ImageFont

    from qa_factory.judges.tess_engine import list_languages

    folder, packs = list_languages("tesseract", os.environ.get("TESSDATA_PREFIX"))
    if folder is None or "eng" not in packs:
        pytest.skip("no tesseract eng traineddata")
    image = Image.new("RGB", (420, 60), "white")
    font = ImageFont.truetype("DejaVuSans.ttf", 32) if Path(
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file() else ImageFont.load_default(32)
    ImageDraw.Draw(image).text((10, 10), "Vertical judge 16", fill="black", font=font)
    pixels = np.asarray(image)
    with tesserocr.PyTessBaseAPI(path=folder, lang="eng", psm=7) as api:
        api.SetImage(image)
        here = api.GetUTF8Text()
    isolated = tess_models.IsolatedApi(folder, "eng", 7)
    try:
        assert isolated.read(pixels) == here and "judge" in here
        assert isolated.cpu_s > 0
    finally:
        isolated.close()


def test_an_unwritable_cache_is_one_line_too(tmp_path: Path, pinned: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # `make setup` runs the fetch: a cache folder it cannot make (here under a plain file)
    # is one warning line and exit 0 like no network, not a traceback that stops the setup
    import importlib.util

    tool = Path(__file__).resolve().parent.parent / "tools" / "fetch_tessdata.py"
    spec = importlib.util.spec_from_file_location("fetch_tessdata", tool)
    fetch_tessdata = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch_tessdata)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("POLYGLYPH_CACHE_DIR", str(blocker / "cache"))
    [problem] = tess_models.fetch(npm=_npm(tmp_path, pinned))
    assert problem.startswith("test_vert: cannot write") and os.linesep not in problem
    assert fetch_tessdata.main(["--npm", _npm(tmp_path, pinned)]) == 0
    assert tess_models.best_tessdata("test_vert") is None


@pytest.mark.parametrize("said", ["npm error code ENOTFOUND", "npm ERR! code ENOTFOUND"])
def test_npm_s_reason_is_the_warning_whatever_its_version(tmp_path: Path, pinned: Path,
                                                          said: str) -> None:
    # npm 10+ says "npm error code X", Debian's npm 9 (apt) "npm ERR! code X": either way the
    # one warning line names npm's reason
    script = tmp_path / "npm"
    script.write_text(f"#!/bin/sh\necho 'npm warn something' >&2\necho '{said}' >&2\nexit 1\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    [problem] = tess_models.fetch(npm=str(script))
    assert problem.endswith(said) and os.linesep not in problem


def test_a_registry_that_never_answers_ends_by_the_fetch_deadline(
        tmp_path: Path, pinned: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `make setup` waits on these optional models for FETCH_DEADLINE in all, not NPM_TIMEOUT
    # per model: an npm that hangs is stopped, and the models after it are not tried
    script = tmp_path / "npm"
    script.write_text("#!/bin/sh\nexec sleep 60\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(tess_models, "FETCH_DEADLINE", 2.0)
    monkeypatch.setattr(tess_models, "PINS", {"test_vert": tess_models.PINS["test_vert"],
                                              "other_vert": tess_models.PINS["test_vert"]})
    problems = tess_models.fetch(npm=str(script))
    assert "no answer in 2 s" in problems[0] and problems[1] == "not tried: other_vert"


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    # the XDG spec: relative paths are invalid; honouring one put the cache (and these models)
    # wherever the command ran, the source tree included
    from fonts_manifest.fontdb import cache_dir

    monkeypatch.delenv("POLYGLYPH_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_dir() == Path("~/.cache/polyglyph").expanduser()
    monkeypatch.setenv("XDG_CACHE_HOME", "/abs/cache")
    assert cache_dir() == Path("/abs/cache/polyglyph")
