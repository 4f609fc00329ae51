"""Issue #21 class 7: what the machine or a foreign file does to a run is one line, never a stack
dump, through real `polyglyph` processes: a full disk (a 4 KB tmpfs mounted in a user+mount
namespace), a read-only folder (a read-only tmpfs), a foreign Parquet, manifests of the wrong
shape, a Ray run stopped by SIGTERM. A real bug is still told apart (exit 70, traceback saved)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image, ImageDraw

POLYGLYPH = str(Path(sys.executable).with_name("polyglyph"))


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=timeout)


def _one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert done.returncode == code, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert all(w in lines[0] for w in words), lines[0]


def _in_namespace_mount(options: str, target: Path, *command: str) -> subprocess.CompletedProcess[str]:
    """Run `command` with a tmpfs mounted on target, in a new user+mount namespace (no root
    needed where unprivileged user namespaces are allowed; skipped where they are not)."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1)")
    probe = subprocess.run(["unshare", "-Urm", "sh", "-c", f"mount -t tmpfs -o {options} tmpfs "
                            f"{target}"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.strip()}")
    script = f'mount -t tmpfs -o {options} tmpfs "{target}" && exec "$@"'
    return subprocess.run(["unshare", "-Urm", "sh", "-c", script, "sh", *command],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real dataset: `polyglyph variants` of two drawn images."""
    root = tmp_path_factory.mktemp("bench")
    images = []
    for n in range(4):
        img = Image.new("RGB", (160, 90), (240, 240, 235))
        ImageDraw.Draw(img).rectangle([10, 10, 90 + n, 30], fill=(10, 10, 10))
        img.save(root / f"i{n}.png")
        images.append({"id": n, "file_name": f"i{n}.png"})
    anns = [{"id": n, "image_id": n, "bbox": [10, 10, 80, 20], "text": "Hi"} for n in range(4)]
    (root / "c.json").write_text(json.dumps({"images": images, "annotations": anns}))
    out = tmp_path_factory.mktemp("ds") / "ds"
    done = _run("variants", "--input", str(root), "--format", "coco", "--profile", "scan",
                "--quiet", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_validate_onto_a_full_disk_is_one_line(dataset: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    done = _in_namespace_mount("size=4k", full, POLYGLYPH, "validate", "--input", str(dataset),
                               "--out", str(full / "v"), "--no-progress")
    _one_line(done, 1, "No space left on device", str(full))


def test_preview_into_a_read_only_folder_is_one_line(tmp_path: Path) -> None:
    frozen = tmp_path / "ro"
    frozen.mkdir()
    done = _in_namespace_mount("ro", frozen, POLYGLYPH, "preview", "--n", "1",
                               "--out", str(frozen / "gallery"))
    _one_line(done, 1, "Read-only file system", str(frozen))


def test_inspect_of_a_foreign_parquet_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "ds"  # --out outside it: a PNG inside the dataset is refused first
    data.mkdir()
    pq.write_table(pa.table({"a": [1, 2]}), data / "part-00000.parquet")
    _one_line(_run("inspect", str(data), "--out", str(tmp_path / "x.png")), 1,
              "not a polyglyph", "no column(s) image, lines", str(data))
    (data / "junk.parquet").write_bytes(b"PAR1 not really")
    _one_line(_run("inspect", str(data / "junk.parquet"), "--out", str(tmp_path / "x.png")),
              1, "junk.parquet")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("manifest", ['[1, 2]', '{"shards": 5}', '{"config_hash": 7}',
                                      '{"shards": [{"index": "zero", "file": 3}]}'])
def test_a_manifest_of_the_wrong_shape_is_one_line(dataset: Path, tmp_path: Path,
                                                   manifest: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(manifest)
    _one_line(_run("validate", "--input", str(dataset), "--out", str(out)), 1, "manifest.json",
              "--overwrite")
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


def test_an_unexpected_error_is_one_line_with_the_traceback_kept(capsys: pytest.CaptureFixture[str]
                                                                 ) -> None:
    from pipelines.guard import EXIT_BUG, run_guarded

    def broken() -> int:
        raise RuntimeError("a real bug\nsecond line")

    assert run_guarded("render", broken, debug=False) == EXIT_BUG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err and "RuntimeError: a real bug" in err
    saved = Path(err.split("traceback in ")[1].split(";")[0])
    assert "Traceback" in saved.read_text() and "second line" in saved.read_text()
    saved.unlink()
    with pytest.raises(RuntimeError):
        run_guarded("render", broken, debug=True)


@pytest.mark.slow
def test_sigterm_during_a_ray_run_is_one_line_and_resumes(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    root.mkdir()
    img = Image.new("RGB", (320, 200), (240, 240, 235))
    ImageDraw.Draw(img).rectangle([20, 20, 200, 60], fill=(10, 10, 10))
    img.save(root / "a.png")
    (root / "c.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png"}],
        "annotations": [{"id": 1, "image_id": 1, "bbox": [20, 20, 180, 40], "text": "Hi"}]}))
    out = tmp_path / "out"
    command = [POLYGLYPH, "variants", "--input", str(root), "--format", "coco", "--profile",
               "wild", "--copies", "200", "--shard-rows", "2", "--workers", "2", "--quiet",
               "--out", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not list(out.rglob("part-*.parquet")) and proc.poll() is None:
        assert time.monotonic() < deadline, "no shard within 240 s"
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "SIGTERM received" not in err, err
    assert err.strip().splitlines()[-1].endswith(
        "interrupted (SIGTERM); finished shards are kept: resume with the same command"), err
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(list(out.rglob("part-*.parquet"))) == 100


def test_inspect_does_not_overwrite_a_file_that_is_not_an_earlier_png(tmp_path: Path) -> None:
    """`inspect OUT --out OUT/README.md` replaced the dataset card with a PNG. An existing file
    is kept unless --overwrite says otherwise."""
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "part-00000.parquet")
    card = tmp_path / "README.md"
    card.write_text("my card")
    _one_line(_run("inspect", str(tmp_path), "--out", str(card)), 1, str(card), ".png")
    assert card.read_text() == "my card"
    # --overwrite does not make a PNG of it either: inspect writes .png paths only
    _one_line(_run("inspect", str(tmp_path), "--out", str(card), "--overwrite"), 1,
              "give a .png path")
    assert card.read_text() == "my card"


def test_inspect_refuses_an_other_image_suffix(tmp_path: Path) -> None:
    """`inspect --out row.jpg` wrote PNG bytes under a .jpg name."""
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "part-00000.parquet")
    _one_line(_run("inspect", str(tmp_path), "--out", str(tmp_path / "row.jpg")), 1,
              "row.jpg", "give a .png path")
    assert not (tmp_path / "row.jpg").exists()


def test_inspect_replaces_no_existing_file_without_overwrite(dataset: Path,
                                                             tmp_path: Path) -> None:
    """`inspect --out photo.png` replaced a PNG of the user's without --overwrite. Any existing
    file is kept now, an earlier inspect image too (as render and export keep theirs)."""
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(photo)
    before = photo.read_bytes()
    _one_line(_run("inspect", str(dataset), "--out", str(photo)), 1, str(photo), "--overwrite")
    assert photo.read_bytes() == before
    row = tmp_path / "row.png"
    assert _run("inspect", str(dataset), "--out", str(row)).returncode == 0
    first = row.read_bytes()
    _one_line(_run("inspect", str(dataset), "--index", "1", "--out", str(row)), 1, str(row),
              "--overwrite")
    assert row.read_bytes() == first
    done = _run("inspect", str(dataset), "--index", "1", "--out", str(row), "--overwrite")
    assert done.returncode == 0, done.stderr
    assert row.read_bytes() != first and not list(tmp_path.glob("*.tmp"))
    assert _run("inspect", str(dataset), "--out", str(photo), "--overwrite").returncode == 0
    assert photo.read_bytes() != before


def test_an_empty_path_is_refused_not_taken_for_the_current_folder(dataset: Path,
                                                                    tmp_path: Path) -> None:
    """`validate --out "$OUT"` with OUT unset wrote a dataset into the current folder (an empty
    path is `.`); every command that takes a folder now refuses a blank one."""
    here = tmp_path / "cwd"
    here.mkdir()
    cases = [("validate", "--input", str(dataset), "--out", "", "--no-progress"),
             ("validate", "--input", " ", "--out", str(tmp_path / "v")),
             ("variants", "--input", str(dataset), "--format", "parquet", "--out", ""),
             ("export", "--input", str(dataset), "--format", "lines", "--out", ""),
             ("inspect", "", "--out", str(tmp_path / "x.png")),
             ("preview", "--n", "1", "--out", " ")]
    for args in cases:
        done = subprocess.run([POLYGLYPH, *args], capture_output=True, text=True, timeout=180,
                              cwd=here)
        _one_line(done, 1, "is empty")
    assert not any(here.iterdir()) and not (tmp_path / "v").exists()


def test_an_interrupted_export_says_how_to_redo_it(capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C in `export` said "finished shards are kept: resume with the same command", but
    an export does not resume; it removes its partial output, so the same command runs again."""
    from pipelines.guard import run_guarded

    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_guarded("export", interrupted, False) == 130
    err = capsys.readouterr().err.strip()
    assert "removed" in err and "resume" not in err and "\n" not in err, err
    assert run_guarded("generate", interrupted, False) == 130
    assert "resume with the same command" in capsys.readouterr().err


def test_export_onto_a_full_disk_names_out(dataset: Path, tmp_path: Path) -> None:
    """A full disk under `export --out` said "--input DS or --out DIR: No space left": only a
    write fails so, and the line now names --out alone."""
    full = tmp_path / "full"
    full.mkdir()
    done = _in_namespace_mount("size=4k", full, POLYGLYPH, "export", "--input", str(dataset),
                               "--format", "trl", "--quiet", "--out", str(full / "e"))
    _one_line(done, 1, "No space left on device", f"--out {full / 'e'}")
    assert "--input" not in done.stderr


def test_validate_resumes_only_its_own_validation(dataset: Path, tmp_path: Path) -> None:
    """`validate --out` onto a dataset generate/variants wrote replaced its shards, and a
    validation with other rules was silently redone, both without --overwrite (generate
    refuses a different config). Now one line each, nothing touched; --overwrite redoes."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    (copy / "problems.json").unlink()  # variants' own file (foreign to validate): as generate's
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    base = ("validate", "--input", str(dataset), "--no-progress", "--out")
    _one_line(_run(*base, str(copy)), 1, "not a validation", "--overwrite")
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before
    out = tmp_path / "v"
    assert _run(*base, str(out)).returncode == 0
    manifest = (out / "manifest.json").read_bytes()
    _one_line(_run(*base, str(out), "--line-checks", "0"), 1, "other judges or rules")
    assert (out / "manifest.json").read_bytes() == manifest
    assert _run(*base, str(out)).returncode == 0  # the same settings: resumed (nothing to do)
    assert _run(*base, str(out), "--line-checks", "0", "--overwrite").returncode == 0
