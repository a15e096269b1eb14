"""A second judge of style, of another kind than the CNN: a classifier on the realism features.

    judge = fit_judge(features, labels, styles)              # pure: (N, D) descriptors, (N,) style ids
    judge.piece_probs(features, groups, n_pieces) -> (n, S)  the mean of each piece's window probabilities
    heldout_accuracy(judge, features, labels, groups) -> {style: accuracy, "mean": ...}
    judge_metrics(probs, target_index) -> {"target_share", "target_prob", "unclassified"}

(``stylegen/evaluation/judge_training.py`` trains it on a recipe's real pieces.)

The CNN (metrics/style_classifier.py) reads piano-roll pixels; this judge reads only the 60 musical
descriptors of each 4-bar window (metrics/realism.py ``descriptors``: key-relative pitch
classes, polyphony, register, voice intervals, note lengths, rhythm, simultaneous intervals,
bar repetition), so a generator that fits one judge's blind spot need not fit the other's.

It is a multinomial logistic regression (softmax, L2 1e-3, class-balanced: every style weighs
the same whatever its window count) on features standardised by the training windows' mean
and spread, fitted by L-BFGS from zeros: deterministic, no random state.  It is trained on
REAL pieces only (evaluation/judge_training.py: a recipe's train split, its held-out
accuracy on the val split), on the fly by ``stylegen evaluate`` (nothing is stored).

A piece's style probabilities are the mean of its windows' probabilities, as for the CNN; a
piece without windows (no notes) is NaN, counted as unclassified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from stylegen.errors import StylegenError

L2 = 1e-3
SCALE_FLOOR = 0.02  # as the realism standardiser


@dataclass
class FeatureJudge:
    """Softmax regression on standardised window descriptors: p = softmax(((x - mean) / scale) W + b)."""

    styles: list[str]
    mean: np.ndarray  # (D,)
    scale: np.ndarray  # (D,)
    weights: np.ndarray  # (D, S)
    bias: np.ndarray  # (S,)
    info: dict = field(default_factory=dict)  # what it was trained on, held-out accuracy, seconds

    def index(self, style: str) -> int:
        if style not in self.styles:
            raise StylegenError(f"the feature judge knows {', '.join(self.styles)}; {style!r} is not one of them")
        return self.styles.index(style)

    def logits(self, features) -> np.ndarray:
        x = (np.asarray(features, np.float64) - self.mean) / self.scale
        return x @ self.weights + self.bias

    def window_probs(self, features) -> np.ndarray:
        """(N, S) style probabilities of each window."""
        z = self.logits(features)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def piece_probs(self, features, groups, n_pieces: int) -> np.ndarray:
        """(n_pieces, S): the mean of the window probabilities of each piece (``groups`` gives
        each window's piece index, 0..n_pieces-1); NaN rows for pieces without windows."""
        groups = np.asarray(groups, np.int64)
        out = np.full((n_pieces, len(self.styles)), math.nan)
        if len(groups) == 0:
            return out
        p = self.window_probs(features)
        sums = np.zeros((n_pieces, len(self.styles)))
        np.add.at(sums, groups, p)
        n = np.bincount(groups, minlength=n_pieces)[:n_pieces]
        has = n > 0
        out[has] = sums[has] / n[has, None]
        return out


def fit_judge(features, labels, styles: list[str], l2: float = L2, max_iter: int = 500) -> FeatureJudge:
    """Fit the judge to real windows: ``features`` (N, D), ``labels`` (N,) indices into ``styles``.

    Loss: the class-balanced mean cross-entropy (each style's windows weigh 1 / its count, so
    every style counts the same) plus l2/2 |W|^2 (the bias is not penalised)."""
    from scipy.optimize import minimize  # heavy (a quarter of a second): only when a judge is fitted

    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.int64)
    S = len(styles)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"features (N, D) and labels (N,) must match: {x.shape}, {y.shape}")
    counts = np.bincount(y, minlength=S)
    if (counts == 0).any():
        missing = [styles[i] for i in np.flatnonzero(counts == 0)]
        raise StylegenError(f"the feature judge has no real windows of {', '.join(missing)}")
    mean, scale = x.mean(axis=0), np.maximum(x.std(axis=0), SCALE_FLOOR)
    xs = (x - mean) / scale
    N, D = xs.shape
    w_row = (1.0 / counts[y]) / S  # sums to 1
    onehot = np.eye(S)[y]

    def f(theta):
        W, b = theta[: D * S].reshape(D, S), theta[D * S:]
        z = xs @ W + b
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -(w_row * (logp * onehot).sum(axis=1)).sum() + 0.5 * l2 * (W * W).sum()
        g = (np.exp(logp) - onehot) * w_row[:, None]  # (N, S)
        gW = xs.T @ g + l2 * W
        return loss, np.concatenate([gW.ravel(), g.sum(axis=0)])

    res = minimize(f, np.zeros(D * S + S), jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    W, b = res.x[: D * S].reshape(D, S), res.x[D * S:]
    info = {"train_windows": {s: int(c) for s, c in zip(styles, counts)}, "l2": l2,
            "iterations": int(res.nit)}
    return FeatureJudge(list(styles), mean, scale, W, b, info)


def heldout_accuracy(judge: FeatureJudge, features, labels, groups) -> dict[str, float]:
    """Per-piece accuracy on held-out real windows: each piece (``groups``: its id per window;
    ``labels``: its style per window) is called by the mean of its window probabilities.
    Returns {style: share of its pieces called right, "mean": mean over the styles present,
    "pieces": how many pieces}."""
    groups = np.asarray(groups)
    labels = np.asarray(labels, np.int64)
    if len(groups) == 0:
        return {"mean": math.nan, "pieces": 0.0}
    uniq, idx = np.unique(groups, return_inverse=True)
    probs = judge.piece_probs(features, idx, len(uniq))
    truth = np.zeros(len(uniq), np.int64)
    truth[idx] = labels
    right = probs.argmax(axis=1) == truth
    out: dict[str, float] = {}
    for s, name in enumerate(judge.styles):
        sel = truth == s
        if sel.any():
            out[name] = float(right[sel].mean())
    out["mean"] = float(np.mean([out[n] for n in judge.styles if n in out]))
    out["pieces"] = float(len(uniq))
    return out


def judge_metrics(probs: np.ndarray, target: int) -> dict[str, float]:
    """{"target_share": share of the classifiable pieces whose most probable style is the
    target, "target_prob": mean p(target) over them, "unclassified": pieces without windows}."""
    probs = np.asarray(probs, np.float64)
    ok = np.isfinite(probs).all(axis=1) if len(probs) else np.zeros(0, bool)
    p = probs[ok]
    return {"target_share": float((p.argmax(axis=1) == target).mean()) if len(p) else math.nan,
            "target_prob": float(p[:, target].mean()) if len(p) else math.nan,
            "unclassified": float((~ok).sum())}
