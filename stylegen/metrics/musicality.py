"""Musicality: muspy's objective metrics per piece, and how close two sets of pieces are.

    musicality(score) -> {metric: float}     every muspy metric that applies to pitched music
    summarize(values) -> {mean, std, n, nan} a NaN value is counted, never averaged
    kde_overlap(a, b) -> float               Yang & Lerch (2018): the overlapping area of the
                                             Gaussian kernel density estimates of two samples

The metrics are muspy's, called on ``score_to_music(score)`` without drums:
pitch_range, n_pitches_used, n_pitch_classes_used, polyphony, polyphony_rate,
pitch_in_scale_rate (in the piece's first key signature; NaN without one),
scale_consistency, pitch_entropy, pitch_class_entropy, empty_beat_rate,
empty_measure_rate and groove_consistency (both with one measure = the first trustworthy
time signature's bar, else 4 beats).  The drum-only metrics (drum_in_pattern_rate,
drum_pattern_consistency) are skipped: drums never enter a piano-roll.  A piece with no
pitched notes gets NaN for every metric.
"""

from __future__ import annotations

import math

import numpy as np

from stylegen.data.midi import score_to_music
from stylegen.data.score import Score

METRICS = (
    "pitch_range", "n_pitches_used", "n_pitch_classes_used", "polyphony", "polyphony_rate",
    "pitch_in_scale_rate", "scale_consistency", "pitch_entropy", "pitch_class_entropy",
    "empty_beat_rate", "empty_measure_rate", "groove_consistency",
)
SKIPPED = {"drum_in_pattern_rate": "drums only", "drum_pattern_consistency": "drums only"}


def measure_resolution(score: Score) -> int:
    """Steps per measure: the first trustworthy time signature's bar, else 4 beats."""
    sigs = score.trusted_time_signatures()
    if sigs:
        _, num, den = sigs[0]
        return max(1, round(num * 4 / den * score.resolution))
    return 4 * score.resolution


def musicality(score: Score) -> dict[str, float]:
    """muspy's metrics of one piece (drums left out); NaN for each when it has no notes."""
    import muspy  # heavy (about 2.7 s of CPU, data/midi.py): only when musicality is measured

    if len(score.notes) == 0:
        return {m: math.nan for m in METRICS}
    music = score_to_music(score, include_drums=False)
    mres = measure_resolution(score)
    out = {
        "pitch_range": muspy.pitch_range(music),
        "n_pitches_used": muspy.n_pitches_used(music),
        "n_pitch_classes_used": muspy.n_pitch_classes_used(music),
        "polyphony": muspy.polyphony(music),
        "polyphony_rate": muspy.polyphony_rate(music),
        "pitch_in_scale_rate": math.nan,
        "scale_consistency": muspy.scale_consistency(music),
        "pitch_entropy": muspy.pitch_entropy(music),
        "pitch_class_entropy": muspy.pitch_class_entropy(music),
        "empty_beat_rate": muspy.empty_beat_rate(music),
        "empty_measure_rate": muspy.empty_measure_rate(music, mres),
        "groove_consistency": muspy.groove_consistency(music, mres),
    }
    if score.key_signatures:
        _, root, mode = score.key_signatures[0]
        if mode in ("major", "minor"):
            out["pitch_in_scale_rate"] = muspy.pitch_in_scale_rate(music, root, mode)
    return {k: float(v) for k, v in out.items()}


def summarize(values) -> dict[str, float]:
    """mean and std of the finite values, their count n, and the count of NaN values."""
    v = np.asarray(list(values), dtype=np.float64)
    ok = v[np.isfinite(v)]
    return {
        "mean": float(ok.mean()) if len(ok) else math.nan,
        "std": float(ok.std()) if len(ok) else math.nan,
        "n": float(len(ok)),
        "nan": float(len(v) - len(ok)),
    }


def _bandwidth(x: np.ndarray, pooled: np.ndarray) -> float:
    """Scott's rule, std * n^(-1/5) (scipy's default); a constant sample borrows the pooled
    sample's spread, and two identical constant samples get 1."""
    for s in (x, pooled):
        sd = float(np.std(s, ddof=1)) if len(s) > 1 else 0.0
        if sd > 0:
            return sd * len(x) ** (-1 / 5)
    return 1.0


def _density(x: np.ndarray, pooled: np.ndarray):
    """A Gaussian KDE of ``x`` as a function of a grid (scipy's, with Scott's rule)."""
    from scipy import stats  # heavy (scipy.stats: over half a second): only for the overlaps

    if len(x) > 1 and np.std(x) > 0:
        kde = stats.gaussian_kde(x)
        return kde, kde.factor * float(np.std(x, ddof=1))
    bw = _bandwidth(x, pooled)

    def f(grid):
        return stats.norm.pdf((grid[:, None] - x[None, :]) / bw).mean(axis=1) / bw

    return f, bw


def kde_overlap(a, b, grid_points: int = 4001) -> float:
    """The overlapping area of the Gaussian KDEs of samples ``a`` and ``b``, in [0, 1]
    (1 = the same distribution).  NaN values are left out; NaN when either sample has
    fewer than two finite values."""
    a = np.asarray(list(a), dtype=np.float64)
    b = np.asarray(list(b), dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return math.nan
    pooled = np.concatenate([a, b])
    fa, bwa = _density(a, pooled)
    fb, bwb = _density(b, pooled)
    pad = 6 * max(bwa, bwb)
    grid = np.linspace(pooled.min() - pad, pooled.max() + pad, grid_points)
    area = np.trapezoid(np.minimum(fa(grid), fb(grid)), grid)
    return float(min(1.0, max(0.0, area)))
