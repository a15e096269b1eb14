"""The hook the trainer calls every evaluation interval (training/loop.py).

    eval_fn = make_eval_fn(trainer)          # once, after the trainer is built
    eval_fn(inputs, outputs, sources, targets) -> {"val/...": float, "val/score": float}

``inputs``/``outputs`` are (B, 2, T, P) rolls on the trainer's device, ``sources`` and
``targets`` (B,) style indices in the trainer's style list.  Strength needs a classifier
on the same time grid (rolls are moved onto its pitch rows) that knows the target styles: the shipped one by
default (or ``classifier_path``, or $STYLEGEN_CLASSIFIER); without one the hook logs the
content and realism metrics only, with one line saying why, and the trainer selects
``best.pt`` by validation likelihood.

Realism (metrics/realism.py) compares the outputs for each target style with real
validation windows of that style (``real_windows`` per style, drawn once from the trainer's
validation split) and gives the identity copy's distance beside it; melody recall is the
share of the inputs' top-voice onsets kept.  "What gives it away" (realism.giveaway): per
target style, the ``GIVEAWAY_TOP`` window features whose mean over the outputs lies furthest
from the real windows' in their SDs, as ``val/realism/giveaway/<style>/<feature>`` (signed;
which features appear can change between evaluations), with
``val/realism/giveaway_max/<style>`` and ``val/realism/giveaway_over_0.5/<style>`` (the count
of features beyond 0.5 SD).  ``val/score`` is ``selection_score``: strength
counts only when the outputs are at least as realistic as the copy and keep the melody, so
a checkpoint that fools the classifier with noise cannot become ``best.pt`` (-inf when
undefined, so that it never wins).
"""

from __future__ import annotations

import math
import os
import sys
from typing import Callable

import numpy as np
import torch

from stylegen.errors import StylegenError
from stylegen.metrics.style_classifier import load_classifier
from stylegen.metrics.realism import realism_metrics
from stylegen.metrics.selection import selection_score
from stylegen.metrics.window import window_metrics

REAL_WINDOWS = 48  # real validation windows per style that realism is measured against
GIVEAWAY_TOP = 5  # the features that give each target style's outputs away most, logged per evaluation


def compatible_classifier(spec, styles: list[str], path: str | None = None, device="cpu"):
    """(classifier, style map) or (None, reason).  The style map sends each of ``styles``
    to the classifier's label for it, or -1 when the classifier does not know it."""
    try:
        clf = load_classifier(path, device=device)
    except StylegenError as e:
        return None, str(e)
    if clf.spec.resolution != spec.resolution:
        return None, (f"classifier {clf.path} reads rolls of {clf.spec.resolution} steps per beat, "
                      f"this recipe makes {spec.resolution}")
    lo = max(spec.lowest_pitch, clf.spec.lowest_pitch)
    hi = min(spec.highest_pitch, clf.spec.highest_pitch)
    if hi < lo:
        return None, f"classifier {clf.path} covers pitches no row of this recipe's rolls holds"
    style_map = [clf.styles.index(s) if s in clf.styles else -1 for s in styles]
    if all(i < 0 for i in style_map):
        return None, f"classifier {clf.path} knows none of the styles {', '.join(styles)}"
    return clf, style_map


def to_pitch_range(rolls: torch.Tensor, src, dst) -> torch.Tensor:
    """Rolls (B, C, T, P_src) on ``src``'s pitch rows -> (B, C, T, P_dst) on ``dst``'s: the
    shared pitches are copied, the others are empty (the grid must be the same)."""
    if (src.lowest_pitch, src.n_pitches) == (dst.lowest_pitch, dst.n_pitches):
        return rolls
    out = rolls.new_zeros(*rolls.shape[:3], dst.n_pitches)
    lo = max(src.lowest_pitch, dst.lowest_pitch)
    hi = min(src.highest_pitch, dst.highest_pitch)
    if hi >= lo:
        out[..., lo - dst.lowest_pitch: hi - dst.lowest_pitch + 1] = \
            rolls[..., lo - src.lowest_pitch: hi - src.lowest_pitch + 1]
    return out


class _OnRecipeRows:
    """A classifier seen through a recipe's pitch rows (rolls are moved onto its own rows)."""

    def __init__(self, clf, spec):
        self.clf, self.spec = clf, spec

    def probs(self, rolls: torch.Tensor) -> torch.Tensor:
        return self.clf.probs(to_pitch_range(rolls, self.spec, self.clf.spec))


def real_windows(trainer, per_style: int = REAL_WINDOWS) -> dict[int, torch.Tensor]:
    """Up to ``per_style`` validation windows of each style, evenly spread over the split,
    without their warm-up context: (n, 2, T, P) rolls keyed by style index."""
    ds, ctx = trainer.val_ds, getattr(trainer, "ctx", 0)
    styles = np.array([trainer.corpus.pieces[int(p)].style for p in ds.index[:, 0]]) if len(ds) else np.zeros(0)
    out = {}
    for s in range(len(trainer.styles)):
        idx = np.flatnonzero(styles == s)
        if len(idx) == 0:
            continue
        pick = idx[np.linspace(0, len(idx) - 1, min(per_style, len(idx))).round().astype(int)]
        out[s] = torch.stack([ds[int(i)]["roll"][:, ctx:] for i in pick])
    return out


def make_eval_fn(trainer, classifier_path: str | None = None) -> Callable:
    """An evaluation function for ``trainer`` (anything with ``spec``, ``styles``,
    ``device``, ``val_ds``, ``corpus`` and ``ctx``)."""
    path = classifier_path or os.environ.get("STYLEGEN_CLASSIFIER") or None
    clf, style_map = compatible_classifier(trainer.spec, list(trainer.styles), path, device=trainer.device)
    if clf is None:
        print(f"stylegen: training metrics without style strength: {style_map}", file=sys.stderr)
    reals = real_windows(trainer)

    def eval_fn(inputs: torch.Tensor, outputs: torch.Tensor, sources: torch.Tensor,
                targets: torch.Tensor) -> dict[str, float]:
        t = targets.detach().cpu().long()
        if clf is not None:
            mapped = torch.tensor([style_map[int(i)] for i in t], dtype=torch.long)
        else:
            mapped = torch.full_like(t, -1)
        judge = _OnRecipeRows(clf, trainer.spec) if clf is not None else None
        m = window_metrics(inputs, outputs, mapped, trainer.spec, classifier=judge)
        # realism per target style against real windows of that style, weighted by windows
        acc: dict[str, float] = {}
        n_total = 0
        for style in t.unique().tolist():
            sel = t == style
            if style not in reals or int(sel.sum()) < 2:
                continue
            r = realism_metrics(outputs[sel].cpu(), reals[style], trainer.spec, inputs=inputs[sel].cpu(),
                                top_features=GIVEAWAY_TOP)
            n = int(sel.sum())
            name = trainer.styles[style]
            for k in [k for k in r if k.startswith("realism/giveaway")]:  # per style, never averaged
                v = r.pop(k)
                head, _, feature = k.partition("/giveaway/")
                m[f"realism/giveaway/{name}/{feature}" if feature else f"{k}/{name}"] = v
            for k, v in r.items():
                acc[k] = acc.get(k, 0.0) + n * v
            n_total += n
            m[f"realism/fd/{name}"] = r["realism/fd"]
        m.update({k: v / n_total for k, v in acc.items()} if n_total else {})
        out = {f"val/{k}": v for k, v in m.items()}
        if clf is None:  # no judge of strength: the trainer selects by validation likelihood
            return out
        try:
            score = selection_score(m)
        except StylegenError:  # no realism rows (a style without validation windows)
            score = float("-inf")
        # an undefined score must never become the best one (NaN compares false with everything)
        out["val/score"] = score if math.isfinite(score) else float("-inf")
        return out

    return eval_fn
