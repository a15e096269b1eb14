"""Composition from nothing, judged: `generate` against real pieces of each style.

    python benchmarks/eval_generate.py [--checkpoint C] [--recipe R] [--set data_root=...] \
        [--pieces 30] [--bars 32] [--styles classical pop]

For each style: ``--pieces`` pieces of ``--bars`` bars (seeds 0..N-1), then
- the share the shipped classifier calls that style (whole pieces), for the styles it knows;
- realism: the Fréchet distance and two-sample AUC of their windows against the style's
  real validation pieces, beside the floor (real pieces against other real pieces of the
  style) and a context row (the real pieces of another style: what "the wrong style" scores);
- silent bars after the first (a bar without a sounding note), counted over all pieces.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from stylegen.config import load_recipe
from stylegen.metrics.style_classifier import load_classifier
from stylegen.evaluation.pieces import recipe_pieces
from stylegen.metrics.realism import realism_rows
from stylegen.transfer import load


def silent_bars(score, beats_per_bar: int = 4) -> tuple[int, int]:
    """(silent bars after the first, bars) of a piece on a 4/4 grid."""
    bar = beats_per_bar * score.resolution
    n = max(1, int(np.ceil(score.length / bar))) if hasattr(score, "length") else 0
    sounding = np.zeros(n, bool)
    for on, dur in score.notes[:, :2]:
        sounding[int(on) // bar: min(n, (int(on) + max(int(dur), 1) - 1) // bar + 1)] = True
    return int((~sounding[1:]).sum()), n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    ap.add_argument("--pieces", type=int, default=30)
    ap.add_argument("--bars", type=int, default=32)
    ap.add_argument("--styles", nargs="*", default=None)
    ap.add_argument("--real-limit", type=int, default=40, help="real validation pieces per style")
    args = ap.parse_args()
    model = load(args.checkpoint)
    clf = load_classifier()
    recipe = load_recipe(args.recipe, args.set)
    styles = args.styles or list(model.styles)
    out: dict = {"checkpoint": str(args.checkpoint or "shipped"), "pieces": args.pieces, "bars": args.bars}
    for i, style in enumerate(styles):
        t0 = time.perf_counter()
        scores = [model.generate_score(style=style, bars=args.bars, seed=s) for s in range(args.pieces)]
        t_gen = time.perf_counter() - t0
        row: dict = {"seconds_to_generate": round(t_gen, 1)}
        silent = [silent_bars(s) for s in scores]
        row["silent_bars_after_first"] = int(sum(a for a, _ in silent))
        row["pieces_with_a_silent_bar"] = int(sum(a > 0 for a, _ in silent))
        row["notes_per_bar"] = round(float(np.mean([len(s.notes) / max(1, b) for s, (_, b) in zip(scores, silent)])), 2)
        if style in clf.styles:
            pred = [clf.styles[int(np.argmax(clf.piece_probs(s)))] for s in scores]
            row["classified_as_style"] = round(float(np.mean([p == style for p in pred])), 3)
            row["classified"] = {s: pred.count(s) for s in clf.styles}
        _, real, _, _ = recipe_pieces(recipe, style, "val", clf.spec.resolution, False, limit=args.real_limit)
        other = styles[(i + 1) % len(styles)]
        _, wrong, _, _ = recipe_pieces(recipe, other, "val", clf.spec.resolution, False, limit=args.real_limit)
        metrics, _ = realism_rows({"generated": scores, f"real_{other}": wrong}, real, clf.spec)
        row.update({k: round(v, 3) for k, v in metrics.items() if not k.endswith("/windows")})
        out[style] = row
        print(style, json.dumps(row), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
