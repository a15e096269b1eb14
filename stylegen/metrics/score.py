"""One number to choose a checkpoint by: a weighted mean of named metrics.

    combined_score(metrics, weights=None, prefix="") -> float

``weights`` maps metric names (as in ``window_metrics`` or, with ``prefix="output/"``, the
flat dict of ``evaluate_pairs``) to weights; the score is sum(w * m) / sum(|w|).  A
metric that is NaN makes the score NaN (a checkpoint whose metrics are undefined never
wins); a name that is absent is a StylegenError naming it.

The default weighs style and content equally: half the target-style probability, a
quarter each the bar chroma similarity and the onset F1.  The identity (output = input)
scores about 0.5 + small target probability; a perfect transfer that keeps every onset
and the harmony scores 1.
"""

from __future__ import annotations

import math
from typing import Mapping

from stylegen.errors import StylegenError

DEFAULT_WEIGHTS: dict[str, float] = {
    "strength/target_prob": 0.5,
    "content/chroma": 0.25,
    "content/onset_f1": 0.25,
}


def combined_score(metrics: Mapping[str, float], weights: Mapping[str, float] | None = None,
                   prefix: str = "") -> float:
    """sum(w * metric) / sum(|w|) over ``weights`` (default DEFAULT_WEIGHTS)."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    if not weights:
        raise StylegenError("combined_score needs at least one weighted metric")
    total = sum(abs(float(w)) for w in weights.values())
    if total == 0:
        raise StylegenError("combined_score: the weights are all zero")
    acc = 0.0
    for name, w in weights.items():
        key = prefix + name
        if key not in metrics:
            known = ", ".join(sorted(k for k in metrics if k.startswith(prefix))[:20])
            raise StylegenError(f"combined_score: no metric {key!r} (known: {known})")
        v = float(metrics[key])
        if not math.isfinite(v):
            return math.nan
        acc += float(w) * v
    return acc / total
