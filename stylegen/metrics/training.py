"""The hook the GAN trainer calls every evaluation interval (training/gan.py).

    eval_fn = make_eval_fn(trainer)          # once, after the trainer is built
    eval_fn(inputs, outputs, sources, targets) -> {"val/...": float, "val/score": float}

``inputs``/``outputs`` are (B, 2, T, P) rolls on the trainer's device, ``sources`` and
``targets`` (B,) style indices in the trainer's style list.  Strength needs a classifier
on the same time grid (rolls are moved onto its pitch rows) that knows the target styles: the shipped one by
default (or ``classifier_path``, or $STYLEGEN_CLASSIFIER); without one the hook logs the
content metrics only and ``val/score`` is left to the trainer, with one warning.
``val/score`` is ``combined_score`` of the window metrics (-inf when undefined, so that
it never wins the best checkpoint).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Callable

import torch

from stylegen.errors import StylegenError
from stylegen.metrics.score import DEFAULT_WEIGHTS, combined_score
from stylegen.metrics.window import window_metrics


def compatible_classifier(spec, styles: list[str], path: str | None = None, device="cpu"):
    """(classifier, style map) or (None, reason).  The style map sends each of ``styles``
    to the classifier's label for it, or -1 when the classifier does not know it."""
    from stylegen.metrics.classifier import load_classifier

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


def make_eval_fn(trainer, classifier_path: str | None = None,
                 weights: dict[str, float] | None = None) -> Callable:
    """An evaluation function for ``trainer`` (anything with ``spec``, ``styles`` and ``device``)."""
    path = classifier_path or os.environ.get("STYLEGEN_CLASSIFIER") or None
    clf, style_map = compatible_classifier(trainer.spec, list(trainer.styles), path, device=trainer.device)
    if clf is None:
        warnings.warn(f"training metrics without style strength: {style_map}", stacklevel=2)
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)

    def eval_fn(inputs: torch.Tensor, outputs: torch.Tensor, sources: torch.Tensor,
                targets: torch.Tensor) -> dict[str, float]:
        t = targets.detach().cpu().long()
        if clf is not None:
            mapped = torch.tensor([style_map[int(i)] for i in t], dtype=torch.long)
        else:
            mapped = torch.full_like(t, -1)
        judge = _OnRecipeRows(clf, trainer.spec) if clf is not None else None
        m = window_metrics(inputs, outputs, mapped, trainer.spec, classifier=judge)
        out = {f"val/{k}": v for k, v in m.items()}
        if clf is not None:
            score = combined_score(m, weights)
            # an undefined score must never become the best one (NaN compares false with everything)
            out["val/score"] = score if math.isfinite(score) else float("-inf")
        return out

    return eval_fn
