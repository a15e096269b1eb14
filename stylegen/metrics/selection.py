"""One number to choose a checkpoint by.

    selection_score(metrics, prefix="") -> float     strength gated by realism and melody (below)
    combined_score(metrics, weights=None, prefix="") -> float   an ungated weighted mean (older runs)

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


# --------------------------------------------------------------------------- selection

MELODY_MIN = 0.5  # a checkpoint that keeps less than half of the melody's notes has lost the tune
SELECTION_WEIGHTS: dict[str, float] = {"strength": 0.5, "melody": 0.25, "realism": 0.25}


def selection_terms(metrics: Mapping[str, float], prefix: str = "") -> dict[str, float]:
    """What ``selection_score`` is made of: target probability, melody recall, the realism
    gain over the identity copy (1 - FD / FD of the copy; 0 = as realistic as the copy, 1 =
    the real target's distribution) and whether each gate is passed (1.0) or not (0.0)."""
    need = {"strength": prefix + "strength/target_prob", "melody": prefix + "content/melody_recall",
            "fd": prefix + "realism/fd", "fd_identity": "identity/realism/fd"}
    missing = [k for k in need.values() if k not in metrics]
    if missing:
        raise StylegenError(f"selection_score: no metric {missing[0]!r} (it needs {', '.join(need.values())})")
    v = {k: float(metrics[key]) for k, key in need.items()}
    gain = 1.0 - v["fd"] / v["fd_identity"] if v["fd_identity"] > 0 else (0.0 if v["fd"] > 0 else 1.0)
    return {"strength": v["strength"], "melody": v["melody"], "realism": gain,
            "realism_gate": float(v["fd"] <= v["fd_identity"]), "melody_gate": float(v["melody"] >= MELODY_MIN)}


def selection_score(metrics: Mapping[str, float], prefix: str = "") -> float:
    """The score that picks a checkpoint: strength counts only when realism and the melody
    hold.

        s = 0.5 target_prob + 0.25 melody_recall + 0.25 max(0, realism gain)     in [0, 1]

    when the outputs are at least as realistic as the identity copy (Fréchet distance to the
    real target no larger than the copy's) and keep at least MELODY_MIN of the melody;
    otherwise s - 1, in [-1, 0): a checkpoint that fails a gate ranks below every one that
    passes, however classical the classifier finds it.  -inf when a term is undefined (it
    never becomes the best).  Reads ``prefix + "strength/target_prob"``, ``prefix +
    "content/melody_recall"``, ``prefix + "realism/fd"`` and ``"identity/realism/fd"``
    (window_metrics + realism_metrics in training; evaluate_pairs with prefix "output/")."""
    t = selection_terms(metrics, prefix)
    if not all(math.isfinite(t[k]) for k in ("strength", "melody", "realism")):
        return float("-inf")
    w = SELECTION_WEIGHTS
    s = w["strength"] * t["strength"] + w["melody"] * t["melody"] + w["realism"] * max(0.0, t["realism"])
    s /= sum(w.values())
    passed = t["realism_gate"] > 0 and t["melody_gate"] > 0
    return float(s if passed else s - 1.0)
