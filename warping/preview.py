"""`polyglyph preview`: render pages, warp them, and write a gallery you can open from disk.

DIR/index.html shows each sample before and after, the warped label polygons as an SVG overlay
on the warped image, and the warp record as pretty JSON; DIR/contact.png is a grid of the warped
pages with their polygons drawn in. Paths are relative, so the folder opens from file:// and can
be copied anywhere. The gallery is built in a temporary sibling folder and moved into place only
when complete, so an error leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from fonts_manifest.errors import SEED_RANGE, ArgParser, PolyglyphError, check_flag_ranges
from synth.opencv import cv2
from warping.profiles import scene_profile

THUMB_WIDTH = 300
_COLOURS = {"cell": (0, 170, 80), "line": (255, 40, 40), "word": (0, 160, 255)}
GALLERY_JPEG_QUALITY = 88


def build_parser() -> argparse.ArgumentParser:
    parser = ArgParser(prog="polyglyph preview", description=__doc__.splitlines()[0], examples=[
        "polyglyph preview --profile wild --languages ar,hi,ja --n 12 --out gallery",
        "polyglyph preview --scene receipt --profile photo --languages th --n 4 --out receipts"])
    parser.add_argument("--profile", default="wild",
                        help="clean|scan|photo|wild (default wild) or a YAML path, for document-like scenes; "
                        "screen/video/game scenes use `screen`, street and poster `street` unless "
                        "pinned per scene: `wild,screenshot=wild,poster=clean`")
    parser.add_argument("--languages", default="ar,hi,ja,en,th,ru", help="comma-separated codes (default %(default)s)")
    parser.add_argument("--scene", default=None, help="one scene for all samples, e.g. receipt, table, screenshot (default: cycle through "
                        "them; an unknown name lists them all)")
    parser.add_argument("--n", type=int, default=12, help="number of samples, 1..1000 (default 12)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed, 0..2**63-1 (default 0): same seed, same gallery")
    parser.add_argument("--width", type=int, default=1024, help="page width px, 64..8192 (default 1024)")
    parser.add_argument("--height", type=int, default=1448,
                        help="page height px, 64..8192 (default 1448)")
    parser.add_argument("--dewarp", action="store_true", help="also record the dewarp map")
    parser.add_argument("--out", required=True, help="output folder (index.html, contact.png)")
    return parser

RANGES = {"n": (1, 1000), "seed": SEED_RANGE, "width": (64, 8192), "height": (64, 8192)}


GALLERY_TITLE = b"<title>polyglyph preview:"  # in the first lines of every gallery's index.html


def _replaceable(out: Path) -> bool:
    """An empty folder, or one holding a gallery this command made and nothing else: its
    index.html, contact.png and img/ of numbered samples. The folder is replaced whole, so a
    user's own index.html or any other file in it makes it someone else's."""
    if out.is_symlink() or not out.is_dir():
        return False
    names = {p.name for p in out.iterdir()}
    if not names:
        return True
    if not names <= {"index.html", "contact.png", "img"} or "index.html" not in names:
        return False
    index, img = out / "index.html", out / "img"
    if not index.is_file() or index.is_symlink():
        return False
    with index.open("rb") as fh:
        if GALLERY_TITLE not in fh.read(256):
            return False
    return not img.exists() or (img.is_dir() and not img.is_symlink() and all(
        p.is_file() and p.name[:4].isdigit() for p in img.iterdir()))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    check_flag_ranges(args, RANGES)  # before any page is drawn or any folder made
    languages = [code.strip() for code in args.languages.split(",") if code.strip()]
    if not languages:
        raise PolyglyphError("--languages: give at least one language code")
    if not args.out.strip():  # `--out "$OUT"` with OUT unset: `.` would be replaced whole
        raise PolyglyphError("--out is empty (an unset shell variable?); give a path")
    out = Path(os.path.abspath(args.out))  # `.` too has a parent to build the new folder in
    if out.exists() and not _replaceable(out):
        raise PolyglyphError(f"--out {out}: exists and is not an earlier preview folder (it "
                             "holds files preview did not make); choose another folder")

    import warping

    default, pinned = _profile_args(args.profile)
    profiles: dict[str, dict[str, Any]] = {}

    def profile_of(scene: str) -> dict[str, Any]:
        name = scene_profile(scene, default, pinned)
        if name not in profiles:
            profiles[name] = warping.load_profile(name)
        return profiles[name]

    profile = profile_of("document")  # the run-wide one: checked before any rendering
    for name in set(pinned.values()):  # and every pin, whether or not its scene is drawn
        warping.load_profile(name)
    samples_iter = _render_samples(args, languages, profile_of)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; a gallery is meant to be shared
        (tmp / "img").mkdir()
        cards, thumbs = [], []
        for index, before, after in samples_iter:
            cards.append(_write_sample(tmp, index, before, after))
            thumbs.append(_thumbnail(after))
        cv2.imwrite(str(tmp / "contact.png"), _contact_sheet(thumbs)[:, :, ::-1])
        (tmp / "index.html").write_text(_page_html(cards, args, profile), "utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    names = ", ".join(sorted(p["name"] for p in profiles.values()))
    print(f"{out / 'index.html'} ({args.n} samples, profiles {names}) + {out / 'contact.png'}")
    return 0


def _profile_args(text: str) -> tuple[str, dict[str, str]]:
    """`--profile`: one run-wide name (or YAML path) plus `scene=name` pins."""
    from synth.render import SCENES

    default, pinned = "wild", {}
    for item in (t.strip() for t in text.split(",") if t.strip()):
        scene, sep, name = item.partition("=")
        if sep:
            if scene not in SCENES or not name:
                raise PolyglyphError(f"--profile {item!r}: pin as SCENE=PROFILE, scenes: {', '.join(SCENES)}")
            pinned[scene] = name
        else:
            default = item
    return default, pinned


def _render_samples(
    args: argparse.Namespace, languages: list[str], profile_of: Any
) -> Iterator[tuple[int, Any, Any]]:
    """Yield (index, page before warp, page after warp), with a progress bar on stderr."""
    from tqdm import tqdm

    from fonts_manifest.corpus import load_corpus
    from fonts_manifest.doctor import require_raqm
    from fonts_manifest.registry import FontRegistry
    from synth.render import SCENES, PageSpec, RenderContext, available_scenes, render_page
    from synth.rng import child_rng, sample_rng, sample_seed
    from warping import warp_page

    require_raqm()
    corpus = load_corpus()
    ctx = RenderContext(FontRegistry.load(corpus=corpus), corpus)
    for code in languages:
        ctx.language(code)  # unknown codes fail here, before any work
    if args.scene is not None and args.scene not in SCENES:
        raise PolyglyphError(f"--scene {args.scene!r}: choose from {', '.join(SCENES)}")
    scenes = [args.scene] if args.scene else available_scenes()
    if not scenes:
        raise PolyglyphError("no scene can be rendered in this build")
    for index in tqdm(range(args.n), desc="preview", unit="page", file=sys.stderr):
        rng = sample_rng(sample_seed(args.seed, index))
        spec = PageSpec(
            language=languages[index % len(languages)],
            scene=scenes[index % len(scenes)],
            width=args.width,
            height=args.height,
        )
        before = render_page(spec, child_rng(rng, "render"), ctx)
        after = warp_page(before, profile_of(spec.scene), child_rng(rng, "warp"),
                          dewarp=args.dewarp or None)
        yield index, before, after


def _polygons(page: Any) -> list[tuple[str, list[list[float]], float]]:
    """(kind, polygon, visible) for table cells, lines and words: the labels worth looking at."""
    items = [("cell", c.polygon, 1.0) for t in page.tables for c in t.cells if c.polygon]
    items += [("line", ln.polygon, ln.visible) for ln in page.lines if ln.polygon]
    items += [
        ("word", wd.polygon, wd.visible) for ln in page.lines for wd in ln.words if wd.polygon
    ]
    return items


def _write_sample(root: Path, index: int, before: Any, after: Any) -> dict[str, Any]:
    stem = f"img/{index:04d}"
    quality = [cv2.IMWRITE_JPEG_QUALITY, GALLERY_JPEG_QUALITY]
    cv2.imwrite(str(root / f"{stem}_before.jpg"), before.image[:, :, ::-1], quality)
    cv2.imwrite(str(root / f"{stem}_after.jpg"), after.image[:, :, ::-1], quality)
    return {
        "index": index,
        "language": after.language,
        "scene": after.scene,
        "before": f"{stem}_before.jpg",
        "after": f"{stem}_after.jpg",
        "size_before": [before.width, before.height],
        "size_after": [after.width, after.height],
        "polygons": _polygons(after),
        "lines": len(after.lines),
        "partly_visible": sum(1 for ln in after.lines if 0 < ln.visible < 1),
        "warp": after.warp,
    }


def _thumbnail(page: Any) -> np.ndarray:
    img = page.image.copy()
    for kind, poly, visible in _polygons(page):
        colour = _COLOURS[kind] if visible >= 1 else (255, 170, 0)
        pts = np.round(np.asarray(poly) * 4).astype(np.int32)
        cv2.polylines(img, [pts], True, colour, 1 if kind == "word" else 2, cv2.LINE_AA, shift=2)
    scale = THUMB_WIDTH / img.shape[1]
    return cv2.resize(img, (THUMB_WIDTH, round(img.shape[0] * scale)), interpolation=cv2.INTER_AREA)


def _contact_sheet(thumbs: list[np.ndarray], cols: int = 4, gap: int = 8) -> np.ndarray:
    cols = min(cols, len(thumbs))
    rows = -(-len(thumbs) // cols)
    cell_h = max(t.shape[0] for t in thumbs)
    sheet = np.full(
        (rows * (cell_h + gap) + gap, cols * (THUMB_WIDTH + gap) + gap, 3), 255, np.uint8
    )
    for i, thumb in enumerate(thumbs):
        r, c = divmod(i, cols)
        y, x = gap + r * (cell_h + gap), gap + c * (THUMB_WIDTH + gap)
        sheet[y : y + thumb.shape[0], x : x + thumb.shape[1]] = thumb
    return sheet


def _svg(card: dict[str, Any]) -> str:
    w, h = card["size_after"]
    shapes = []
    for kind, poly, visible in card["polygons"]:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in poly)
        cls = kind if visible >= 1 else f"{kind} partial"
        shapes.append(f'<polygon class="{cls}" points="{points}"/>')
    return (
        f'<svg class="overlay" viewBox="0 0 {w} {h}" preserveAspectRatio="none">'
        + "".join(shapes)
        + "</svg>"
    )


CSS = """
body{font:14px system-ui,sans-serif;margin:16px;background:#f4f4f2;color:#222}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px;margin:0 0 16px}
.pair{display:flex;gap:10px;flex-wrap:wrap;align-items:flex-start}
.pair figure{margin:0;flex:1 1 380px;max-width:560px}
.stack{position:relative;line-height:0}
.stack img,.pair img{width:100%;height:auto;display:block}
.overlay{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none}
.overlay polygon{fill:none;vector-effect:non-scaling-stroke}
.overlay .line{stroke:#e02020;stroke-width:1.5}
.overlay .word{stroke:#0090ff;stroke-width:.7}
.overlay .cell{stroke:#00aa50;stroke-width:1}
.overlay .partial{stroke:#ff9900;stroke-dasharray:4 2}
pre{max-height:320px;overflow:auto;background:#fafafa;border:1px solid #eee;padding:6px;font-size:12px}
label{user-select:none}
"""

SCRIPT = """
function countLoaded(){
  const imgs=[...document.images];
  const ok=imgs.filter(i=>i.complete&&i.naturalWidth>0).length;
  document.title='loaded '+ok+'/'+imgs.length;
  document.body.dataset.loaded=ok;document.body.dataset.images=imgs.length;
}
window.addEventListener('load',countLoaded);
document.getElementById('toggle').addEventListener('change',e=>{
  for(const s of document.querySelectorAll('.overlay'))s.style.display=e.target.checked?'':'none';
});
"""


def _page_html(
    cards: list[dict[str, Any]], args: argparse.Namespace, profile: dict[str, Any]
) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>polyglyph preview: {html.escape(profile['name'])}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>polyglyph preview · profile <code>{html.escape(profile['name'])}</code></h1>",
        f"<p>{len(cards)} samples, seed {args.seed}. {html.escape(profile.get('description', ''))} ",
        "<a href='contact.png'>contact sheet</a> · ",
        "<label><input type='checkbox' id='toggle' checked> show polygons</label> ",
        "(red: line, blue: word, green: table cell, orange dashed: partly out of frame)</p>",
    ]
    for card in cards:
        warp_json = html.escape(json.dumps(card["warp"], indent=2, ensure_ascii=False))
        steps = ", ".join(
            s["step"]
            for s in card["warp"].get("geometric", []) + card["warp"].get("photometric", [])
        )
        parts.append(
            f"<div class='card' id='s{card['index']}'><h3>#{card['index']} · {html.escape(card['language'])}"
            f" · {html.escape(card['scene'])} · {html.escape(str((card['warp'] or {}).get('profile', '')))}"
            f" · {card['size_before'][0]}×{card['size_before'][1]} → "
            f"{card['size_after'][0]}×{card['size_after'][1]} · {card['lines']} lines"
            f" ({card['partly_visible']} partly visible)</h3>"
            f"<p>steps: {html.escape(steps) or 'none'}</p><div class='pair'>"
            f"<figure><img src='{card['before']}' alt='before'><figcaption>before</figcaption></figure>"
            f"<figure><div class='stack'><img src='{card['after']}' alt='after'>{_svg(card)}</div>"
            "<figcaption>after, with labels</figcaption></figure></div>"
            f"<details><summary>warp record (JSON)</summary><pre>{warp_json}</pre></details></div>"
        )
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts)
