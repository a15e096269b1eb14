"""Strength: did the style change?  Computed from the style classifier's probabilities.

Every function takes probabilities that the classifier gave to pieces (or windows): an
array (n, n_styles), one row per piece, where a piece's row is the mean of its windows'
probabilities (metrics/style_classifier.py).  Rows of NaN (a piece with no notes cannot be
classified) are left out and counted by the caller, never averaged in.

    target_share(P, t)          share of pieces whose most likely style is the target t
    target_probability(P, t)    mean probability of the target style
    source_share(P, a, b)       P_a as Brunner et al. use it: share of pieces the classifier,
                                restricted to the pair (a, b), calls a (p_a > p_b)
    brunner_strength(...)       their strength of a transfer a -> b (-> a)
    brunner_total(s_ab, s_ba)   their total strength of a style pair

Brunner, Wang, Wattenhofer & Zhao, "Symbolic Music Genre Transfer with CycleGAN" (ICTAI
2018), classify the original phrases (A), the transferred ones (A->B) and the ones
transferred back (A->B->A) with a binary A/B classifier, where P_A(X) is the share of X
classified as A, and define the strength of the direction A->B->A as

    S_{A->B->A} = ( [P_A(A) - P_A(A->B)] + [P_A(A->B->A) - P_A(A->B)] ) / 2

(the drop of the source-style share by the transfer, and its recovery by the transfer
back) and the strength of the pair as S_tot = (S_{A->B->A} + S_{B->A->B}) / 2.  Without
the way back we report the one-way S_{A->B} = P_A(A) - P_A(A->B).  Both lie in [-1, 1]:
0 is no change (the identity), 1 a complete and reversible change of style.
"""

from __future__ import annotations

import math

import numpy as np


def _rows(probs) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"expected probabilities of shape (n, n_styles), got {p.shape}")
    return p[np.isfinite(p).all(axis=1)]


def n_unclassified(probs) -> int:
    """Rows that could not be classified (NaN: pieces with no notes)."""
    p = np.asarray(probs, dtype=np.float64)
    return int((~np.isfinite(p).all(axis=1)).sum()) if p.ndim == 2 else 0


def target_share(probs, target: int) -> float:
    """Share of pieces classified as ``target`` (argmax of the piece probabilities); NaN if none."""
    p = _rows(probs)
    if len(p) == 0:
        return math.nan
    return float((p.argmax(axis=1) == target).mean())


def target_probability(probs, target: int) -> float:
    """Mean probability of the target style over the pieces; NaN if none."""
    p = _rows(probs)
    if len(p) == 0:
        return math.nan
    return float(p[:, target].mean())


def source_share(probs, a: int, b: int) -> float:
    """P_a: the share of pieces that a classifier restricted to the pair (a, b) calls a
    (p_a > p_b; a tie counts as b).  NaN if no piece."""
    p = _rows(probs)
    if len(p) == 0:
        return math.nan
    return float((p[:, a] > p[:, b]).mean())


def brunner_strength(p_origin: float, p_transfer: float, p_cycle: float | None = None) -> float:
    """Brunner et al.'s strength of one direction from the source-style shares P_A of the
    originals, the transfers and (optionally) the transfers back to the source.

    With the way back: ((P_A(A) - P_A(A->B)) + (P_A(A->B->A) - P_A(A->B))) / 2;
    without: P_A(A) - P_A(A->B).  NaN when a share is NaN."""
    if p_cycle is None:
        return float(p_origin - p_transfer)
    return float(((p_origin - p_transfer) + (p_cycle - p_transfer)) / 2)


def brunner_total(s_ab: float, s_ba: float) -> float:
    """S_tot of a style pair: the mean of the strengths of its two directions."""
    return float((s_ab + s_ba) / 2)


def strength_metrics(probs_out, target: int, probs_in=None, source: int | None = None, probs_cycle=None,
                     window_probs: tuple | None = None) -> dict[str, float]:
    """The strength block of a report, as a flat dict.

    ``probs_out`` (and ``probs_in``, ``probs_cycle``) are piece probabilities (n, n_styles).
    ``window_probs`` optionally gives (in, out, cycle) window probabilities, for the
    phrase-level S that matches the published protocol (a cycle entry may be None).
    """
    out = {
        "target_share": target_share(probs_out, target),
        "target_prob": target_probability(probs_out, target),
        "unclassified": float(n_unclassified(probs_out)),
    }
    if source is not None and probs_in is not None and source != target:
        pa_in = source_share(probs_in, source, target)
        pa_out = source_share(probs_out, source, target)
        pa_cyc = source_share(probs_cycle, source, target) if probs_cycle is not None else None
        out["P_source/input"] = pa_in
        out["P_source/output"] = pa_out
        if pa_cyc is not None:
            out["P_source/cycle"] = pa_cyc
        out["S"] = brunner_strength(pa_in, pa_out, pa_cyc)
        if window_probs is not None:
            w_in, w_out, w_cyc = window_probs
            s_w = brunner_strength(source_share(w_in, source, target), source_share(w_out, source, target),
                                   source_share(w_cyc, source, target) if w_cyc is not None else None)
            out["S_window"] = s_w
    return out
