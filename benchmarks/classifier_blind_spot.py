"""What a style classifier says about corrupted real pieces (its blind spot).

    python benchmarks/classifier_blind_spot.py [--classifier PATH] [--recipe recipes/pop2classical.yaml]

For every style of the recipe, its validation pieces (whole, cached reading), unchanged and
under each corruption of stylegen/metrics/corruptions.py (seed 0): the share of pieces the
classifier calls each style (mean of window probabilities, as in the evaluation).  A judge
that calls corrupted pop "classical" can be gamed by a generator that writes such things.
Prints a markdown table (checkpoints/README.md holds the figures).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylegen.config import load_recipe  # noqa: E402
from stylegen.metrics.style_classifier import load_classifier  # noqa: E402
from stylegen.metrics.corruptions import CORRUPTIONS, corrupt  # noqa: E402
from stylegen.evaluation.pieces import recipe_pieces  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--classifier", default=None)
    ap.add_argument("--recipe", default=str(ROOT / "recipes" / "pop2classical.yaml"))
    ap.add_argument("--styles", nargs="*", default=None)
    ap.add_argument("--max-pieces", type=int, default=None)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    clf = load_classifier(a.classifier)
    recipe = load_recipe(a.recipe, [])
    styles = a.styles or [s for s in recipe.styles if s in clf.styles]
    t0 = time.perf_counter()
    print(f"classifier: {clf.path}")
    head = "| source style | corruption | pieces | " + " | ".join(f"called {s}" for s in clf.styles) + " |"
    print(head)
    print("|" + "---|" * (3 + len(clf.styles)))
    for style in styles:
        _, scores, _, _ = recipe_pieces(recipe, style, "val", clf.spec.resolution, False, a.max_pieces)
        for kind in ("none",) + CORRUPTIONS:
            rng = np.random.default_rng(0)
            if kind == "none":
                pieces = scores
            else:
                pieces = [s.with_notes(corrupt(s.notes, kind, rng, s.resolution)) for s in scores]
            p = clf.classify(pieces)
            ok = np.isfinite(p).all(axis=1)
            shares = [(p[ok].argmax(1) == i).mean() for i in range(len(clf.styles))]
            print(f"| {style} | {kind} | {int(ok.sum())} | " + " | ".join(f"{100 * v:.0f}%" for v in shares) + " |",
                  flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
