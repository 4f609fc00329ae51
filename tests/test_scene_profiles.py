"""Scenes keep their own kind of warp profile (screens `screen`, streets and posters `street`)
when the user names run-wide profiles (`generate --profile wild`, `preview --profile wild`);
only a per-scene pin (`--profile screenshot=wild`, config `scene_profiles:`) changes one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.config import build_config, resolve_config
from pipelines.errors import PolyglyphError
from pipelines.generate_cli import build_parser, overrides_from_args, parse_profiles
from pipelines.sample import plan_sample
from synth.rng import sample_rng
from warping import preview
from warping.profiles import SCENE_PROFILES, scene_profile


def _config(*argv: str, config_file: Path | None = None):
    args = build_parser().parse_args(["--out", "x", *argv])
    return build_config(config_file, overrides_from_args(args))


def test_parse_profiles_splits_run_wide_weights_from_scene_pins() -> None:
    assert parse_profiles("scan=2,photo=1") == ({"scan": 2.0, "photo": 1.0}, {})
    assert parse_profiles("wild,screenshot=wild,poster=clean") == (
        {"wild": 1.0}, {"screenshot": {"wild": 1.0}, "poster": {"clean": 1.0}})
    assert parse_profiles("screenshot=wild") == ({}, {"screenshot": {"wild": 1.0}})
    with pytest.raises(PolyglyphError):
        parse_profiles(",")


def test_default_yaml_and_warping_agree() -> None:
    default = yaml.safe_load((Path(__file__).parents[1] / "pipelines" / "default.yaml").read_text())
    assert {k: {p: float(w) for p, w in v.items()} for k, v in default["scene_profiles"].items()} == SCENE_PROFILES


def test_run_wide_profile_leaves_screens_on_screen_profiles() -> None:
    config = _config("--profile", "wild", "--scenes", "screenshot,document", "--languages", "en")
    assert config.profiles == {"wild": 1.0}
    assert config.scene_profiles["screenshot"] == {"screen": 1}
    resolved = resolve_config(config)
    drawn = {(p["scene"], p["profile"]) for p in (plan_sample(resolved, sample_rng(i)) for i in range(40))}
    assert ("screenshot", "screen") in drawn and ("document", "wild") in drawn
    assert not any(scene == "screenshot" and prof != "screen" for scene, prof in drawn)


def test_a_pin_changes_one_scene_only(tmp_path: Path) -> None:
    config = _config("--profile", "scan,screenshot=wild")
    assert config.profiles == {"scan": 1.0}
    assert config.scene_profiles["screenshot"] == {"wild": 1.0}
    assert config.scene_profiles["scene-text"] == {"street": 1}
    file = tmp_path / "run.yaml"
    file.write_text("scene_profiles: {poster: {clean: 1}}\n")
    from_file = _config(config_file=file)
    assert from_file.scene_profiles["poster"] == {"clean": 1}
    assert from_file.scene_profiles["video-frame"] == {"screen": 1}


def test_preview_uses_each_scene_s_own_profile(tmp_path: Path) -> None:
    assert scene_profile("screenshot", "wild") == "screen"
    assert scene_profile("screenshot", "wild", {"screenshot": "wild"}) == "wild"
    assert scene_profile("document", "wild") == "wild"
    assert scene_profile("poster", "wild") == "street"
    out = tmp_path / "g"
    assert preview.main(["--profile", "wild", "--scene", "screenshot", "--languages", "en", "--n", "1",
                         "--width", "400", "--height", "560", "--out", str(out)]) == 0
    page = (out / "index.html").read_text()
    assert "· screen ·" in page and "· wild ·" not in page
    with pytest.raises(PolyglyphError, match="SCENE=PROFILE"):
        preview.main(["--profile", "nosuchscene=wild", "--n", "1", "--out", str(tmp_path / "h")])


def test_a_pin_to_an_unknown_profile_is_refused_even_for_scenes_not_drawn(tmp_path: Path) -> None:
    """`--profile wild,poster=nope` on a run without posters was accepted (and hashed), so the
    typo surfaced only when a later run drew posters; preview said nothing either."""
    config = _config("--profile", "wild,poster=nope", "--scenes", "document", "--languages", "en")
    with pytest.raises(PolyglyphError, match="^scene_profiles.poster: warp profile 'nope'"):
        resolve_config(config)
    out = tmp_path / "g"
    with pytest.raises(PolyglyphError, match="'nope'"):
        preview.main(["--profile", "wild,poster=nope", "--scene", "document", "--languages", "en",
                      "--n", "1", "--width", "400", "--height", "560", "--out", str(out)])
    assert not out.exists()
