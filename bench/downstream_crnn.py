"""A small CRNN (CNN -> BiLSTM -> CTC) trained on one arm's line crops, then read real lines.

Run by `bench/downstream.py` inside the bench venv (PyTorch lives there, never in polyglyph's
own install). The same model, steps, pixel budget per step and seed for every arm, and no
augmentation at train time: the arms differ only in their data. Prints one JSON object.

Input: a folder of `NAME.png` + `NAME.gt.txt` pairs per set (train, held-out, eval), or a text
file listing the PNGs. The image
of `a.bin.png` is labelled by `a.gt.txt` (OCRopus/Calamari naming) as well as `a.gt.txt` for
`a.png`. Every image is turned grey (transparent pixels on white) and scaled to HEIGHT pixels.
Training crops wider than `--max-width` after scaling are left out (they would dominate the
pixel budget); evaluation lines of any width are read.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

HEIGHT = 32


def label_path(png: Path) -> Path:
    stem = png.name[: -len(".png")]
    for suffix in (".bin", ".nrm", ".raw"):
        if stem.endswith(suffix) and not (png.parent / f"{stem}.gt.txt").exists():
            stem = stem[: -len(suffix)]
    return png.parent / f"{stem}.gt.txt"


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def load_image(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        img.load()
        if img.mode in {"RGBA", "LA", "P"}:
            img = img.convert("RGBA")
            canvas = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(canvas, img)
        grey = img.convert("L")
    w = max(4, round(grey.width * HEIGHT / max(grey.height, 1)))
    grey = grey.resize((w, HEIGHT), Image.Resampling.BILINEAR)
    return 1.0 - np.asarray(grey, dtype=np.float32) / 255.0  # ink high, paper 0 (padding)


def load_set(source: Path, limit: int = 0) -> list[tuple[np.ndarray, str]]:
    """(image, text) pairs from a folder of pairs, or from a file listing PNG paths."""
    if source.is_file():
        pngs = [Path(x) for x in source.read_text("utf-8").splitlines() if x.strip()]
    else:
        pngs = sorted(source.glob("*.png"))
    items = []
    for png in pngs:
        gt = label_path(png)
        if not gt.is_file():
            continue
        text = norm(gt.read_text("utf-8"))
        if text:
            items.append((load_image(png), text))
        if limit and len(items) >= limit:
            break
    return items


class CRNN(nn.Module):
    """4 conv blocks (height 32 -> 1, width / 4), one BiLSTM layer, linear to charset + blank.

    Sized for a 2-core CPU budget (~140k conv + 65k LSTM multiply-adds per input column): a
    wider 2-layer version took 2.4 CPU-s a step at the same pixel budget.
    """

    def __init__(self, classes: int, hidden: int = 128) -> None:
        super().__init__()

        def block(cin: int, cout: int, pool: tuple[int, int]) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                    nn.ReLU(inplace=True), nn.MaxPool2d(pool, pool)]

        self.cnn = nn.Sequential(*block(1, 16, (2, 2)), *block(16, 32, (2, 2)),
                                 *block(32, 64, (2, 1)), *block(64, 96, (2, 1)),
                                 nn.Conv2d(96, 128, (2, 1)), nn.ReLU(inplace=True))
        self.rnn = nn.LSTM(128, hidden, num_layers=1, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, 32, W) -> (T, B, C) log-probs
        f = self.cnn(x).squeeze(2).permute(0, 2, 1)  # (B, W/4, 128)
        y, _ = self.rnn(f)
        return self.out(y).log_softmax(-1).permute(1, 0, 2)


def batches(widths: list[int], budget: int, rng: np.random.Generator) -> list[list[int]]:
    """Indices grouped by similar width, each group <= `budget` padded columns, in random order."""
    order = sorted(range(len(widths)), key=lambda i: (widths[i], i))
    groups, current, widest = [], [], 0
    for i in order:
        w = max(widest, widths[i])
        if current and w * (len(current) + 1) > budget:
            groups.append(current)
            current, w = [], widths[i]
        current.append(i)
        widest = w
    if current:
        groups.append(current)
    rng.shuffle(groups)
    return groups


def tensor(images: list[np.ndarray]) -> torch.Tensor:
    width = max(4, max(im.shape[1] for im in images))
    width += -width % 4
    out = np.zeros((len(images), 1, HEIGHT, width), dtype=np.float32)
    for k, im in enumerate(images):
        out[k, 0, :, : im.shape[1]] = im
    return torch.from_numpy(out)


def decode(logp: torch.Tensor, charset: str) -> list[str]:
    best = logp.argmax(-1).permute(1, 0).tolist()  # (B, T)
    texts = []
    for seq in best:
        chars, prev = [], 0
        for c in seq:
            if c != prev and c != 0:
                chars.append(charset[c - 1])
            prev = c
        texts.append(norm("".join(chars)))
    return texts


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def score(model: CRNN, items: list[tuple[np.ndarray, str]], charset: str) -> dict[str, float]:
    """CER (total edits / total reference chars), case-folded CER, exact line accuracy."""
    model.eval()
    edits = folded = chars = exact = 0
    with torch.no_grad():
        for start in range(0, len(items), 16):
            chunk = items[start:start + 16]
            reads = decode(model(tensor([im for im, _ in chunk])), charset)
            for (_, ref), hyp in zip(chunk, reads, strict=True):
                edits += edit_distance(ref, hyp)
                folded += edit_distance(ref.casefold(), hyp.casefold())
                chars += len(ref)
                exact += int(ref == hyp)
    model.train()
    n = max(len(items), 1)
    return {"lines": len(items), "cer": edits / max(chars, 1),
            "cer_casefold": folded / max(chars, 1), "line_accuracy": exact / n}


def train(items: list[tuple[np.ndarray, str]], steps: int, budget: int, seed: int,
          lr: float) -> tuple[CRNN, str, dict[str, float]]:
    charset = "".join(sorted({c for _, t in items for c in t}))
    index = {c: k + 1 for k, c in enumerate(charset)}
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = CRNN(len(charset) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100) * 0.5 * (1 + math.cos(math.pi * s / steps)))
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    widths = [im.shape[1] for im, _ in items]
    queue: list[list[int]] = []
    losses = []
    t0 = time.process_time()
    for step in range(steps):
        if not queue:
            queue = batches(widths, budget, rng)
        group = queue.pop()
        x = tensor([items[i][0] for i in group])
        targets = [torch.tensor([index[c] for c in items[i][1]]) for i in group]
        logp = model(x)
        loss = ctc(logp, torch.cat(targets), torch.full((len(group),), logp.shape[0]),
                   torch.tensor([len(t) for t in targets]))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        losses.append(float(loss.detach()))
        if (step + 1) % max(1, steps // 10) == 0:
            print(f"step {step + 1}/{steps} loss {np.mean(losses[-50:]):.3f}", file=sys.stderr)
    return model, charset, {"final_loss": float(np.mean(losses[-50:])),
                            "train_cpu_s": time.process_time() - t0}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--train", required=True, type=Path)
    p.add_argument("--heldout", required=True, type=Path)
    p.add_argument("--eval", required=True, type=Path)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--budget", type=int, default=1600, help="padded columns per batch")
    p.add_argument("--max-width", type=int, default=1600)
    p.add_argument("--lines", type=int, default=0, help="use at most this many training lines")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    items = [it for it in load_set(args.train) if it[0].shape[1] <= args.max_width]
    if args.lines:
        items = items[: args.lines]
    if not items:
        raise SystemExit(f"no training lines in {args.train}")
    t0 = time.perf_counter()
    model, charset, info = train(items, args.steps, args.budget, args.seed, args.lr)
    train_s = time.perf_counter() - t0
    result = {"train_lines": len(items), "charset": len(charset), "train_s": train_s, **info,
              "eval": score(model, load_set(args.eval), charset),
              "heldout": score(model, load_set(args.heldout), charset)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
