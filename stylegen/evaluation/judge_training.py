"""The feature judge (metrics/feature_judge.py) trained on a recipe's REAL pieces.

    train_feature_judge(recipe, spec) -> FeatureJudge        a few seconds

It is trained on the train split of every style of the recipe (``TRAIN_PIECES`` pieces a
style, evenly spread over the split in name order, ``TRAIN_WINDOWS`` windows a piece evenly
spread over it), and its held-out accuracy is measured per piece on the recipe's validation
split (``VAL_PIECES`` pieces a style, all their windows), pieces it never saw.  ``stylegen
evaluate`` trains it on the fly (nothing is stored), so it follows the recipe.
"""

from __future__ import annotations

import math
import time

import numpy as np

from stylegen.errors import StylegenError
from stylegen.evaluation.pieces import recipe_pieces
from stylegen.metrics.feature_judge import FeatureJudge, fit_judge, heldout_accuracy
from stylegen.metrics.realism import piece_descriptors

TRAIN_PIECES = 120  # per style, from the train split
TRAIN_WINDOWS = 8  # per training piece
VAL_PIECES = 100  # per style, from the val split: the held-out accuracy


def _style_descriptors(recipe, style: str, split: str, spec, n_pieces: int, max_windows: int | None):
    _, scores, total, _ = recipe_pieces(recipe, style, split, spec.resolution, False, limit=n_pieces, spread=True)
    d, g = piece_descriptors(scores, spec, max_windows=max_windows)
    return d, g, len(scores), total


def train_feature_judge(recipe, spec, train_pieces: int = TRAIN_PIECES, train_windows: int = TRAIN_WINDOWS,
                        val_pieces: int = VAL_PIECES, progress: bool = False) -> FeatureJudge:
    """The judge of ``recipe``'s styles, trained on real pieces of its train split and checked
    on its val split (module docstring); windows on ``spec``'s grid (the evaluation's)."""
    t0 = time.perf_counter()
    styles = list(recipe.styles)
    xs, ys = [], []
    pieces = {}
    for i, s in enumerate(styles):
        if progress:
            print(f"feature judge: reading {s} train pieces", flush=True)
        d, _, n, total = _style_descriptors(recipe, s, "train", spec, train_pieces, train_windows)
        xs.append(d)
        ys.append(np.full(len(d), i))
        pieces[s] = f"{n} of {total}"
    judge = fit_judge(np.concatenate(xs), np.concatenate(ys), styles)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    xv, yv, gv = [], [], []
    val_pieces_used = {}
    for i, s in enumerate(styles):
        try:
            d, g, n, total = _style_descriptors(recipe, s, "val", spec, val_pieces, None)
        except StylegenError:  # a style without val pieces: its accuracy is not measured
            continue
        xv.append(d)
        yv.append(np.full(len(d), i))
        gv.append(np.array([f"{s}/{k}" for k in g]))
        val_pieces_used[s] = f"{n} of {total}"
    acc = heldout_accuracy(judge, np.concatenate(xv), np.concatenate(yv), np.concatenate(gv)) if xv else \
        {"mean": math.nan, "pieces": 0.0}
    judge.info.update({"recipe": recipe.name, "train_pieces": pieces, "val_pieces": val_pieces_used,
                       "heldout_accuracy": acc, "seconds_train": round(t_train, 3),
                       "seconds_heldout": round(time.perf_counter() - t0, 3)})
    return judge
