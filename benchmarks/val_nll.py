"""Validation NLL per style (nats per frame) of generator checkpoints, on the same windows.

    python benchmarks/val_nll.py RUN/checkpoints/step-0002000.pt OTHER/step-0002000.pt \
        --recipe recipes/pop2classical.yaml --set data_root=../shared/data --windows 512

Each checkpoint rebuilds the validation windows of the recipe (with its context bars) and
scores them teacher-forced with their own content and style, as training's evaluation
does, but on more windows (spread evenly over the split).  Used for the model card's
ablation: a mixture over a step's notes (K > 1) against independent notes (K = 1).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from stylegen.checkpoint import build_model, load_checkpoint
from stylegen.config import load_recipe
from stylegen.data.content import ContentSpec
from stylegen.data.dataset import prepare, window_steps
from stylegen.data.windows import WindowDataset, collate_windows
from stylegen.training.likelihood import nll_per_style


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    ap.add_argument("--windows", type=int, default=512)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(1)
    recipe = load_recipe(args.recipe, args.set)
    corpus = prepare(recipe)
    d = recipe.data
    ds = WindowDataset(corpus, "val", d.window_bars + d.context_bars, d.hop_bars, 0, recipe.seed)
    pick = np.linspace(0, len(ds) - 1, min(args.windows, len(ds))).round().astype(int)
    ctx = window_steps(d.context_bars, corpus.spec.resolution)
    results = {}
    for path in args.checkpoints:
        ckpt = load_checkpoint(path, kind="gan")
        G = build_model(ckpt, "generator").eval()
        cspec = ContentSpec.from_dict(ckpt["content"])
        sums = torch.zeros(len(corpus.styles))
        counts = torch.zeros(len(corpus.styles))
        for lo in range(0, len(pick), args.batch):
            batch = collate_windows([ds[int(i)] for i in pick[lo: lo + args.batch]])
            per = nll_per_style(G, batch, corpus.spec, cspec, ctx, len(corpus.styles))
            n = torch.bincount(batch["style"], minlength=len(corpus.styles)).float()
            ok = torch.isfinite(per)
            sums[ok] += per[ok] * n[ok]
            counts += n
        per_style = {s: round(float(sums[i] / counts[i]), 3) for i, s in enumerate(corpus.styles) if counts[i] > 0}
        per_style["mean over styles"] = round(float(np.mean(list(per_style.values()))), 3)
        results[path] = {"mixture": ckpt["model_config"]["generator"].get("mixture"), "step": ckpt.get("step"),
                         "nll": per_style, "windows": int(counts.sum())}
        print(path, json.dumps(results[path]), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
