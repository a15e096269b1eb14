"""Validation NLL per style (nats per frame) of generator checkpoints, on the same windows.

    python benchmarks/val_nll.py RUN/checkpoints/step-0002000.pt OTHER/step-0002000.pt \
        --recipe recipes/pop2classical.yaml --set data_root=../shared/data --windows 512

Each checkpoint rebuilds the validation windows of the recipe (with its context bars) and
scores them teacher-forced with their own content and style, as training's evaluation
does, but on more windows (spread evenly over the split).

It reports the notes given their plan (``nll``), the plan's own cost spread over the
window's frames (``plan``: the prior's NLL of the window's bar codes divided by its frames)
and their sum (``total``).  Since the plan is a function of the roll, -log p(roll) <= total:
``total`` is the number to set against a model without a plan (an upper bound on its NLL,
so the comparison is conservative).  The model card's figure for the previous release (a
generator without a plan, no longer in the registry) was measured with this script at the
commit before it was replaced (2022ec4).
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
from stylegen.data.texture import bar_ids
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
        S = len(corpus.styles)
        sums, plan_sums, counts = torch.zeros(S), torch.zeros(S), torch.zeros(S)
        for lo in range(0, len(pick), args.batch):
            batch = collate_windows([ds[int(i)] for i in pick[lo: lo + args.batch]])
            with torch.no_grad():
                per, per_plan = nll_per_style(G, batch, corpus.spec, cspec, ctx, S)
            frames = batch["roll"].shape[2] - ctx
            bars = int(bar_ids(batch["pos"]).max()) + 1  # the plan's bars: one code each
            per_plan = per_plan * bars / frames  # nats per bar -> per scored frame
            n = torch.bincount(batch["style"], minlength=S).float()
            ok = torch.isfinite(per)
            sums[ok] += per[ok] * n[ok]
            plan_sums[ok] += per_plan[ok] * n[ok]
            counts += n
        per_style = {}
        for i, s in enumerate(corpus.styles):
            if counts[i] > 0:
                nll, plan = float(sums[i] / counts[i]), float(plan_sums[i] / counts[i])
                per_style[s] = {"nll": round(nll, 3), "plan": round(plan, 3), "total": round(nll + plan, 3)}
        per_style["mean over styles"] = {k: round(float(np.mean([v[k] for v in per_style.values()])), 3)
                                         for k in ("nll", "plan", "total")}
        results[path] = {"generator": ckpt["model_config"]["generator"]["name"], "step": ckpt.get("step"),
                         "nll": per_style, "windows": int(counts.sum())}
        print(path, json.dumps(results[path]), flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
