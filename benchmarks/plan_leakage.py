"""How much of the source style the content and the texture plan give away.

    python benchmarks/plan_leakage.py [--checkpoint checkpoints/pop2classical.pt] \
        [--recipe recipes/pop2classical.yaml] [--per-style 1500] [--target classical]

Three balanced accuracies of telling a window's style (chance 1 / number of styles),
cross-validated by piece (metrics/leakage.py): from its content features (what the
generator hears), from its own texture plan (what transfer would carry over if it copied
the source's codes: it does not), and from the plan the prior proposes for ``--target``
from its content (what transfer uses).  Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from stylegen.checkpoint import build_model, load_checkpoint
from stylegen.config import load_recipe
from stylegen.data.content import ContentSpec
from stylegen.data.dataset import prepare
from stylegen.metrics.leakage import content_leakage, plan_leakage
from stylegen.shipped import shipped_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    ap.add_argument("--per-style", type=int, default=1500)
    ap.add_argument("--target", default="classical")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    ckpt = load_checkpoint(args.checkpoint or shipped_path("pop2classical.pt"), kind="gan")
    G = build_model(ckpt, "generator").eval()
    cspec = ContentSpec.from_dict(ckpt["content"])
    corpus = prepare(load_recipe(args.recipe, args.set), progress=False)
    target = list(corpus.styles).index(args.target)
    out = {"styles": list(corpus.styles), "per_style": args.per_style,
           "content": content_leakage(corpus, cspec, per_style=args.per_style)}
    out.update({f"plan_{k}": v for k, v in plan_leakage(corpus, cspec, G, target, per_style=args.per_style).items()})
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
