"""Realism: how far a set of outputs is from real music of the target style, as distributions.

    descriptors(windows, spec) -> (N, D) float64       musical features of each window
    frechet_distance(x, y, shrink=True) -> float       between two sets of descriptors
    two_sample_auc(x, y, groups_x, groups_y) -> float  a grouped cross-validated classifier
    realism_metrics(outputs, reals, spec, inputs=None, auc=False, giveaway=0) -> {name: float}
                                                       the training-time entry point (rolls)
    giveaway(out_feats, real_feats, ref_feats, copy_feats=None) -> rows
                                                       "what gives it away": per feature, the
                                                       mean's distance from the reference in
                                                       the reference's standard deviations
    realism_report(rows, real, spec) -> RealismReport  evaluations: FD, AUC and give-away rows

Windows are piano-rolls (N, 2, T, P) (bool numpy arrays or torch tensors of 0/1 values; a
torch tensor is put in its canonical form first, as a MIDI file of it would hold it).  The
descriptor is a fixed set of musical features per window (``FEATURES`` names them, 60 in
all): the pitch-class profile rotated to the window's key (Krumhansl-Kessler profiles) and its
mode, how much sounds at once, onset density, register (mean and spread of the pitches, the
top voice and the bass), interval histograms of the top voice and the bass, note durations,
inter-onset intervals, positions of onsets in the beat, simultaneous interval classes, the
self-similarity of the bars, the pitch span and the pitch classes used.

The Fréchet distance standardises every feature by the reference set's (the real pieces')
mean and spread, then compares the two Gaussians fitted to the sets:
|m1 - m2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)), with Ledoit-Wolf shrinkage of both covariances
towards a scaled identity (60 features need thousands of windows for a plain covariance:
docs/metrics.md measures the bias that shrinkage removes).  0 = the same distribution.

The two-sample AUC trains a logistic regression on the (standardised) descriptors to tell
the outputs from the real windows, with cross-validation grouped by piece (no piece has
windows on both sides of a fold), and gives the ROC AUC of its out-of-fold scores: 0.5 =
indistinguishable, 1.0 = always told apart.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from stylegen.data.roll import ONSET_CH, SUSTAIN_CH, RollSpec, canonical_roll
from stylegen.data.score import to_grid
from stylegen.metrics.melody import window_melody_recall
from stylegen.metrics.style_classifier import piece_windows

# Krumhansl-Kessler key profiles (major, minor), tonic first
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

_INTERVAL_BINS = np.array([0, 1, 3, 5, 8, 13])  # |semitones|: 0, 1-2, 3-4, 5-7, 8-12, 13+
_DURATION_BINS = np.array([1, 2, 3, 5, 9, 17])  # steps: 1, 2, 3-4, 5-8, 9-16, 17+
_IOI_BINS = np.array([1, 2, 3, 4, 5, 9])  # steps: 1, 2, 3, 4, 5-8, 9+


def _names() -> list[str]:
    iv = ["0", "1-2", "3-4", "5-7", "8-12", "13+"]
    out = [f"pc_in_key/{i}" for i in range(12)] + ["minor"]
    out += ["polyphony", "silence", "onsets_per_beat", "onset_steps"]
    out += ["pitch_mean", "pitch_std", "top_mean", "bass_mean"]
    out += [f"top_interval/{b}" for b in iv] + [f"bass_interval/{b}" for b in iv]
    out += [f"duration/{b}" for b in ["1", "2", "3-4", "5-8", "9-16", "17+"]]
    out += [f"ioi/{b}" for b in ["1", "2", "3", "4", "5-8", "9+"]]
    out += ["beat_pos/0", "beat_pos/1", "beat_pos/2", "beat_pos/3", "downbeat"]
    out += [f"interval_class/{k}" for k in range(1, 7)]
    out += ["bar_rhythm_similarity", "bar_chroma_similarity", "pitch_span", "pitch_classes"]
    return out


FEATURES: list[str] = _names()

_DEGREES = ["tonic", "♭2", "2nd", "♭3", "3rd", "4th", "♯4/♭5", "5th", "♭6", "6th", "♭7", "7th"]
_MOVES = {"0": "repeated notes", "1-2": "steps (1-2 semitones)", "3-4": "thirds", "5-7": "fourths and fifths",
          "8-12": "sixths to octaves", "13+": "leaps beyond an octave"}
_LENGTHS = {"1": "a 16th", "2": "an 8th", "3": "a dotted 8th", "4": "a quarter", "3-4": "a dotted 8th or quarter",
            "5-8": "over a quarter, up to a half", "9-16": "over a half, up to a bar", "17+": "over a bar",
            "9+": "over a half"}
_TOGETHER = ["semitones / major 7ths", "whole tones / minor 7ths", "minor 3rds / major 6ths",
             "major 3rds / minor 6ths", "fourths / fifths", "tritones"]
_IN_BEAT = ["on the beat", "on the 2nd 16th of a beat", "on the off-beat 8th", "on the 4th 16th of a beat"]
_PLAIN = {
    "minor": "minor key (share of windows)",
    "polyphony": "notes sounding at once",
    "silence": "silent time",
    "onsets_per_beat": "notes started per beat (log)",
    "onset_steps": "16ths where a note starts",
    "pitch_mean": "register: mean pitch",
    "pitch_std": "register: spread of pitches",
    "top_mean": "top voice: mean pitch",
    "bass_mean": "bass: mean pitch",
    "downbeat": "onsets on a bar's downbeat",
    "bar_rhythm_similarity": "rhythm repeated bar to bar",
    "bar_chroma_similarity": "harmony repeated bar to bar",
    "pitch_span": "pitch span (lowest to highest)",
    "pitch_classes": "pitch classes used",
}


def _label(name: str) -> str:
    """A feature's name as a musician reads it (shares are of time, moves, notes or onsets;
    lengths on the 16th grid)."""
    group, _, part = name.partition("/")
    if group == "pc_in_key":
        return f"time on the key's {_DEGREES[int(part)]}"
    if group == "top_interval":
        return f"top voice moves by {_MOVES[part]}"
    if group == "bass_interval":
        return f"bass moves by {_MOVES[part]}"
    if group == "duration":
        return f"notes lasting {_LENGTHS[part]}"
    if group == "ioi":
        return f"gap to the next onset: {_LENGTHS[part]}"
    if group == "interval_class":
        return f"{_TOGETHER[int(part) - 1]} sounding together"
    if group == "beat_pos":
        return f"onsets {_IN_BEAT[int(part)]}"
    return _PLAIN[name]


LABELS: dict[str, str] = {f: _label(f) for f in FEATURES}  # what each feature means, for a musician


def _as_bool_windows(windows) -> np.ndarray:
    """(N, 2, T, P) bool numpy array in canonical form (what a MIDI file holds)."""
    if hasattr(windows, "detach"):
        x = canonical_roll((windows.detach().float() > 0.5).float()).cpu().numpy() > 0.5
    else:
        x = canonical_roll(np.asarray(windows) > 0.5)
    if x.ndim != 4 or x.shape[1] != 2:
        raise ValueError(f"expected windows (N, 2, T, P), got {tuple(x.shape)}")
    return x


def _hist(values: np.ndarray, mask: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """(N, len(bins)) counts of ``values`` (N, K) where ``mask``, in bins starting at ``bins``."""
    idx = np.clip(np.searchsorted(bins, values, side="right") - 1, 0, len(bins) - 1)
    out = np.zeros((values.shape[0], len(bins)))
    rows = np.broadcast_to(np.arange(values.shape[0])[:, None], values.shape)
    np.add.at(out, (rows[mask], idx[mask]), 1)
    return out


def _normalise(h: np.ndarray) -> np.ndarray:
    s = h.sum(axis=1, keepdims=True)
    return np.divide(h, s, out=np.zeros_like(h, dtype=np.float64), where=s > 0)


def _voice_intervals(voice: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Histogram (N, 6) of |intervals| between successive onsets of a voice.

    ``voice`` (N, T) pitch row per step (-1 silent), ``starts`` (N, T) whether the voice's
    note begins there."""
    N, T = voice.shape
    last = np.full(N, -1)
    ivs = np.zeros((N, T), dtype=np.int64)
    ok = np.zeros((N, T), dtype=bool)
    for t in range(T):
        ev = starts[:, t]
        ok[:, t] = ev & (last >= 0)
        ivs[:, t] = np.abs(voice[:, t] - last)
        last = np.where(ev, voice[:, t], last)
    return _normalise(_hist(ivs, ok, _INTERVAL_BINS))


def descriptors(windows, spec: RollSpec) -> np.ndarray:
    """(N, len(FEATURES)) musical features of each window (0 where undefined, e.g. silence)."""
    x = _as_bool_windows(windows)
    N, _, T, P = x.shape
    if N == 0:
        return np.zeros((0, len(FEATURES)))
    on, sus = x[:, ONSET_CH], x[:, SUSTAIN_CH]  # (N, T, P)
    res = spec.resolution
    pcs = (np.arange(P) + spec.lowest_pitch) % 12
    pcm = np.eye(12)[pcs]  # (P, 12)
    pitch_rows = np.arange(P)
    feats = []

    # key-relative pitch-class profile (duration-weighted) and mode
    prof = sus.sum(axis=1).astype(np.float64) @ pcm  # (N, 12)
    prof_n = _normalise(prof)
    rot = np.stack([np.roll(np.arange(12), -k) for k in range(12)])  # rot[k][i] = (i + k) % 12
    cand = prof_n[:, rot]  # (N, 12 tonics, 12): profile seen from tonic k
    zc = cand - cand.mean(axis=2, keepdims=True)

    def corr(template):
        tz = template - template.mean()
        den = np.sqrt((zc ** 2).sum(axis=2) * (tz ** 2).sum()) + 1e-12
        return (zc * tz).sum(axis=2) / den  # (N, 12)

    cmaj, cmin = corr(_MAJOR), corr(_MINOR)
    best_maj, best_min = cmaj.max(axis=1), cmin.max(axis=1)
    minor = best_min > best_maj
    tonic = np.where(minor, cmin.argmax(axis=1), cmaj.argmax(axis=1))
    feats.append(cand[np.arange(N), tonic])  # (N, 12)
    feats.append(minor[:, None].astype(np.float64))

    # how much sounds, how often notes start
    cnt = sus.sum(axis=2)  # (N, T)
    sounding = cnt > 0
    n_sound = sounding.sum(axis=1)
    ocnt = on.sum(axis=2)
    feats.append(np.stack([
        np.divide(cnt.sum(axis=1), n_sound, out=np.zeros(N), where=n_sound > 0),
        1.0 - n_sound / T,
        np.log1p(ocnt.sum(axis=1) / (T / res)),
        (ocnt > 0).mean(axis=1),
    ], axis=1))

    # register: mean and spread of the sounding pitches, of the top voice and of the bass
    w = sus.sum(axis=1).astype(np.float64)  # (N, P)
    wsum = w.sum(axis=1)
    pmean = np.divide(w @ pitch_rows, wsum, out=np.zeros(N), where=wsum > 0)
    pvar = np.divide(w @ (pitch_rows ** 2), wsum, out=np.zeros(N), where=wsum > 0) - pmean ** 2
    top = np.where(sounding, P - 1 - np.argmax(sus[:, :, ::-1], axis=2), -1)  # (N, T)
    bass = np.where(sounding, np.argmax(sus, axis=2), -1)
    top_mean = np.divide(np.where(sounding, top, 0).sum(axis=1), n_sound, out=np.zeros(N), where=n_sound > 0)
    bass_mean = np.divide(np.where(sounding, bass, 0).sum(axis=1), n_sound, out=np.zeros(N), where=n_sound > 0)
    feats.append(np.stack([pmean / P, np.sqrt(np.maximum(pvar, 0)) / 12, top_mean / P, bass_mean / P], axis=1))

    # intervals of the top voice and of the bass, between their successive onsets
    tt = np.clip(top, 0, P - 1)
    bb = np.clip(bass, 0, P - 1)
    n_idx, t_idx = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
    top_on = sounding & on[n_idx, t_idx, tt]
    bass_on = sounding & on[n_idx, t_idx, bb]
    feats.append(_voice_intervals(top, top_on))
    feats.append(_voice_intervals(bass, bass_on))

    # note durations (onset to the end of its sustain run, within the window)
    cont = sus & ~on
    run = np.zeros((N, P), dtype=np.int64)  # consecutive continuation cells after step t
    dur = np.zeros((N, T, P), dtype=np.int64)
    for t in range(T - 1, -1, -1):
        dur[:, t] = 1 + run
        run = np.where(cont[:, t], run + 1, 0)
    feats.append(_normalise(_hist(dur.reshape(N, -1), on.reshape(N, -1), _DURATION_BINS)))

    # inter-onset intervals (any pitch)
    any_on = ocnt > 0  # (N, T)
    nxt = np.zeros(N, dtype=np.int64)  # steps to the next onset after t (0: none)
    ioi = np.zeros((N, T), dtype=np.int64)
    has_next = np.zeros((N, T), dtype=bool)
    for t in range(T - 1, -1, -1):
        ioi[:, t] = nxt
        has_next[:, t] = nxt > 0
        nxt = np.where(any_on[:, t], 1, np.where(nxt > 0, nxt + 1, 0))
    feats.append(_normalise(_hist(ioi, any_on & has_next, _IOI_BINS)))

    # where onsets fall in the beat (4 positions of the beat) and on downbeats
    pos = np.arange(T) % res
    quarter = np.minimum(pos * 4 // max(res, 1), 3)
    beat = np.zeros((N, 4))
    for q in range(4):
        beat[:, q] = ocnt[:, quarter == q].sum(axis=1)
    bar = 4 * res
    down = ocnt[:, (np.arange(T) % bar) == 0].sum(axis=1, keepdims=True)
    tot = ocnt.sum(axis=1, keepdims=True).astype(np.float64)
    feats.append(np.concatenate([_normalise(beat), np.divide(down, tot, out=np.zeros_like(tot), where=tot > 0)],
                                axis=1))

    # simultaneous interval classes (pitch-class pairs sounding together)
    chroma = (sus.astype(np.float64) @ pcm) > 0  # (N, T, 12)
    cf = chroma.astype(np.float64)
    ic = np.stack([(cf * np.roll(cf, -k, axis=2)).sum(axis=(1, 2)) for k in range(1, 7)], axis=1)
    feats.append(_normalise(ic))

    # self-similarity of consecutive bars (rhythm: onset steps; harmony: chroma)
    n_bars = T // bar
    if n_bars >= 2:
        rb = any_on[:, : n_bars * bar].reshape(N, n_bars, bar).astype(np.float64)
        cb = cf[:, : n_bars * bar].reshape(N, n_bars, bar, 12).sum(axis=2)

        def consecutive_cos(a):
            num = (a[:, 1:] * a[:, :-1]).sum(axis=2)
            den = np.linalg.norm(a[:, 1:], axis=2) * np.linalg.norm(a[:, :-1], axis=2)
            ok = den > 0
            c = np.divide(num, den, out=np.zeros_like(num), where=ok)
            k = ok.sum(axis=1)
            return np.divide(c.sum(axis=1), k, out=np.zeros(N), where=k > 0)

        feats.append(np.stack([consecutive_cos(rb), consecutive_cos(cb)], axis=1))
    else:
        feats.append(np.zeros((N, 2)))

    # pitch span and pitch classes used
    used = w > 0
    lo = np.where(used.any(axis=1), np.argmax(used, axis=1), 0)
    hi = np.where(used.any(axis=1), P - 1 - np.argmax(used[:, ::-1], axis=1), 0)
    feats.append(np.stack([(hi - lo) / 12.0, (prof > 0).sum(axis=1) / 12.0], axis=1))
    out = np.concatenate(feats, axis=1)
    assert out.shape[1] == len(FEATURES)
    return out


# --------------------------------------------------------------------------- Fréchet distance


def ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit & Wolf (2004) shrunk covariance of the rows of ``x`` (n, d) and its shrinkage."""
    n, d = x.shape
    xc = x - x.mean(axis=0)
    emp = xc.T @ xc / n
    mu = np.trace(emp) / d
    x2 = xc ** 2
    beta_ = (x2.T @ x2).sum()
    delta_ = (emp ** 2).sum()
    beta = (beta_ / n - delta_) / (d * n)
    delta = (delta_ - 2 * mu * np.trace(emp) + d * mu ** 2) / d
    beta = min(beta, delta)
    s = 0.0 if delta <= 0 else float(beta / delta)
    return (1 - s) * emp + s * mu * np.eye(d), s


def _cov(x: np.ndarray, shrink: bool) -> np.ndarray:
    if shrink:
        return ledoit_wolf(x)[0]
    xc = x - x.mean(axis=0)
    return xc.T @ xc / max(1, len(x) - 1)


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh((c + c.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def standardiser(reference: np.ndarray, floor: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """(mean, scale) of the reference descriptors; scales below ``floor`` are raised to it so
    that a feature constant in the reference does not divide by zero."""
    return reference.mean(axis=0), np.maximum(reference.std(axis=0), floor)


def frechet_distance(x: np.ndarray, y: np.ndarray, shrink: bool = True,
                     standardise: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Fréchet distance between the Gaussians fitted to the rows of ``x`` and ``y`` (each
    (n, d), n >= 2).  Features are standardised by ``standardise`` (mean, scale), by default
    ``y``'s (the reference).  NaN when either set has fewer than two rows."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if len(x) < 2 or len(y) < 2:
        return math.nan
    m, s = standardise if standardise is not None else standardiser(y)
    x, y = (x - m) / s, (y - m) / s
    c1, c2 = _cov(x, shrink), _cov(y, shrink)
    r1 = _sqrt_psd(c1)
    cross = np.linalg.eigvalsh(r1 @ c2 @ r1)
    tr_sqrt = float(np.sqrt(np.clip(cross, 0, None)).sum())
    diff = x.mean(axis=0) - y.mean(axis=0)
    return float(max(0.0, diff @ diff + np.trace(c1) + np.trace(c2) - 2 * tr_sqrt))


# --------------------------------------------------------------------------- what gives it away


GIVEAWAY_FLOOR = 0.02  # the reference's spread is raised to this (as standardiser does)


def _sd_from(x, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """(D,) mean of the rows of ``x`` minus ``mean``, in units of ``scale``; NaN when empty."""
    x = np.asarray(x, np.float64)
    if len(x) == 0:
        return np.full(len(mean), math.nan)
    return (x.mean(axis=0) - mean) / scale


def giveaway(out_feats, real_feats, ref_feats, copy_feats=None, names: list[str] | None = None,
             floor: float = GIVEAWAY_FLOOR) -> list[dict]:
    """"What gives it away": for each feature (a column of the (n, D) descriptor arrays), how far
    the mean of ``out_feats`` lies from the mean of ``ref_feats`` (the real reference windows)
    in standard deviations of ``ref_feats`` (population SD, raised to ``floor``).

    ``real_feats`` are other real windows of the same style (held-out pieces): their value is
    the noise floor, what real music scores; ``copy_feats`` (optional) the identity copy's.
    Returns one dict per feature, {"feature", "label", "output", "real"[, "identity"]}, sorted
    by the absolute value of "output", largest first (NaN last; ties keep the feature order).
    Positive = the outputs have more of it than real music."""
    ref = np.asarray(ref_feats, np.float64)
    names = list(names) if names is not None else list(FEATURES)
    if ref.ndim != 2 or ref.shape[1] != len(names):
        raise ValueError(f"expected reference features (n, {len(names)}), got {ref.shape}")
    if len(ref) == 0:
        mean, scale = np.full(len(names), math.nan), np.full(len(names), math.nan)
    else:
        mean, scale = ref.mean(axis=0), np.maximum(ref.std(axis=0), floor)
    cols = {"output": _sd_from(out_feats, mean, scale), "real": _sd_from(real_feats, mean, scale)}
    if copy_feats is not None:
        cols["identity"] = _sd_from(copy_feats, mean, scale)
    key = np.where(np.isfinite(cols["output"]), -np.abs(cols["output"]), np.inf)
    order = np.argsort(key, kind="stable")
    return [{"feature": names[i], "label": LABELS.get(names[i], names[i]),
             **{k: float(v[i]) for k, v in cols.items()}} for i in order]


def giveaway_summary(rows: list[dict], column: str = "output", threshold: float = 0.5) -> dict[str, float]:
    """{"giveaway_max": largest |SD| of ``column``, "giveaway_over_<threshold>": how many
    features lie further than ``threshold`` SD from the real reference} (NaN-safe)."""
    v = np.array([r.get(column, math.nan) for r in rows], dtype=np.float64)
    ok = v[np.isfinite(v)]
    return {"giveaway_max": float(np.abs(ok).max()) if len(ok) else math.nan,
            f"giveaway_over_{threshold:g}": float((np.abs(ok) > threshold).sum()) if len(ok) else math.nan}


# --------------------------------------------------------------------------- two-sample test


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC of ``scores`` for binary ``labels`` (Mann-Whitney, ties counted half)."""
    from scipy.stats import rankdata  # heavy (scipy.stats: over half a second): only for an AUC

    labels = np.asarray(labels, bool)
    n1, n0 = int(labels.sum()), int((~labels).sum())
    if n1 == 0 or n0 == 0:
        return math.nan
    r = rankdata(scores)
    return float((r[labels].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    from scipy.optimize import minimize  # heavy (a quarter of a second): only for an AUC

    xb = np.concatenate([x, np.ones((len(x), 1))], axis=1)
    n = len(x)

    def f(w):
        z = xb @ w
        loss = np.logaddexp(0, z) - y * z
        g = xb.T @ (1 / (1 + np.exp(-z)) - y) / n
        reg = w.copy()
        reg[-1] = 0
        return loss.mean() + 0.5 * l2 * (reg @ reg), g + l2 * reg

    return minimize(f, np.zeros(xb.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 200}).x


def _folds(groups: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    uniq = np.unique(groups)
    order = rng.permutation(len(uniq))
    fold_of = {g: i % k for g, i in zip(uniq[order], range(len(uniq)))}
    return np.array([fold_of[g] for g in groups])


def two_sample_auc(x: np.ndarray, y: np.ndarray, groups_x=None, groups_y=None, folds: int = 5,
                   l2: float = 1e-2, max_rows: int = 3000, seed: int = 0) -> float:
    """ROC AUC of a logistic regression telling the rows of ``x`` (outputs) from those of
    ``y`` (real), out of fold, with folds grouped by piece (``groups_*``: one id per row;
    default every row its own group).  Each set is subsampled to ``max_rows``.  NaN when
    either side has fewer than ``folds`` groups."""
    rng = np.random.default_rng(seed)
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    gx = np.arange(len(x)) if groups_x is None else np.asarray(groups_x)
    gy = np.arange(len(y)) if groups_y is None else np.asarray(groups_y)
    for a, g in ((x, gx), (y, gy)):
        if len(g) != len(a):
            raise ValueError("one group id per row")
    if len(np.unique(gx)) < folds or len(np.unique(gy)) < folds:
        return math.nan
    if len(x) > max_rows:
        keep = np.sort(rng.choice(len(x), max_rows, replace=False))
        x, gx = x[keep], gx[keep]
    if len(y) > max_rows:
        keep = np.sort(rng.choice(len(y), max_rows, replace=False))
        y, gy = y[keep], gy[keep]
    data = np.concatenate([x, y])
    labels = np.concatenate([np.ones(len(x)), np.zeros(len(y))])
    # groups of the two sides never share an id
    fold = np.concatenate([_folds(np.array([f"o{g}" for g in gx]), folds, rng),
                           _folds(np.array([f"r{g}" for g in gy]), folds, rng)])
    scores = np.zeros(len(data))
    for k in range(folds):
        tr, te = fold != k, fold == k
        m, s = standardiser(data[tr], floor=1e-3)
        w = _fit_logistic((data[tr] - m) / s, labels[tr], l2)
        scores[te] = ((data[te] - m) / s) @ w[:-1] + w[-1]
    return roc_auc(scores, labels)


# --------------------------------------------------------------------------- for training


def realism_metrics(outputs, reals, spec: RollSpec, inputs=None, auc: bool = False,
                    groups_out=None, groups_real=None, top_features: int = 0) -> dict[str, float]:
    """Realism (and, with ``inputs``, melody recall) of a batch of output windows.

    ``outputs``, ``reals`` and ``inputs`` are rolls (B, 2, T, P) on ``spec``'s grid: the
    outputs, real windows of the target style, and the windows the outputs were made from
    (in the same order).  Returns

        realism/fd             Fréchet distance of the outputs' descriptors to the reals'
        realism/auc            the two-sample AUC (only with ``auc=True``; grouped by
                               ``groups_*``, default one group per window)
        identity/realism/fd    the same for the inputs unchanged (with ``inputs``)
        identity/realism/auc   (with ``inputs`` and ``auc=True``)
        content/melody_recall  share of the inputs' top-voice onsets the outputs keep
                               (same step and pitch; with ``inputs``)
        realism/giveaway/<feature>   with ``top_features`` = k > 0: the k features that give
                               the outputs away most (``giveaway``: the outputs' mean minus
                               the reals', in SDs of the reals), signed
        realism/giveaway_max, realism/giveaway_over_0.5   (with ``top_features``) the
                               largest |SD| and the count of features beyond 0.5 SD

    ``selection_score`` (metrics/selection.py) reads these names."""
    d_real = descriptors(reals, spec)
    d_out = descriptors(outputs, spec)
    st = standardiser(d_real) if len(d_real) >= 2 else None
    out = {"realism/fd": frechet_distance(d_out, d_real, standardise=st)}
    if auc:
        out["realism/auc"] = two_sample_auc(d_out, d_real, groups_out, groups_real)
    if inputs is not None:
        d_in = descriptors(inputs, spec)
        out["identity/realism/fd"] = frechet_distance(d_in, d_real, standardise=st)
        if auc:
            out["identity/realism/auc"] = two_sample_auc(d_in, d_real, groups_out, groups_real)
        out["content/melody_recall"] = window_melody_recall(inputs, outputs)
    if top_features > 0 and len(d_real) and len(d_out):
        rows = giveaway(d_out, d_real[:0], d_real)
        out.update({f"realism/{k}": v for k, v in giveaway_summary(rows).items()})
        for r in rows[:top_features]:
            out[f"realism/giveaway/{r['feature']}"] = r["output"]
    return out


# --------------------------------------------------------------------------- for evaluations


WINDOW_BARS = 4  # descriptor windows: 4 bars of 4 beats ...
HOP_BARS = 2  # ... at every second bar line of the piece


def piece_descriptors(scores: list, spec: RollSpec, window_bars: int = WINDOW_BARS,
                      hop_bars: int = HOP_BARS, max_windows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(descriptors (N, D), piece index (N,)) of the windows of whole pieces (Scores, put on
    ``spec``'s grid), cut as the classifier cuts them (metrics/style_classifier.py piece_windows).
    ``max_windows``: at most that many windows a piece, evenly spread over it."""
    window = window_bars * 4 * spec.resolution
    out, groups = [], []
    for i, s in enumerate(scores):
        w = piece_windows(to_grid(s, spec.resolution), spec, window, hop_bars)
        if max_windows is not None and len(w) > max_windows:
            w = w[np.linspace(0, len(w) - 1, max_windows).round().astype(int)]
        if len(w):
            out.append(descriptors(w, spec))
            groups.append(np.full(len(w), i))
    if not out:
        return np.zeros((0, len(FEATURES))), np.zeros(0, np.int64)
    return np.concatenate(out), np.concatenate(groups)


@dataclass
class RealismReport:
    """What ``realism_report`` found: the flat metrics, the seconds per stage, the give-away
    rows (``giveaway``: the output, real and identity columns) and every row's descriptors
    (name -> (descriptors (N, D), piece index (N,)); "real_all" holds all the real pieces')."""

    metrics: dict[str, float]
    timings: dict[str, float]
    giveaway: list[dict] = field(default_factory=list)
    descriptors: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def realism_rows(rows: dict[str, list], real: list, spec: RollSpec, auc: bool = True,
                 seed: int = 0, split: bool = True) -> tuple[dict[str, float], dict[str, float]]:
    """Realism of several sets of pieces against the same real pieces of the target style:
    ``realism_report``'s (metrics, timings)."""
    rep = realism_report(rows, real, spec, auc=auc, seed=seed, split=split)
    return rep.metrics, rep.timings


def realism_report(rows: dict[str, list], real: list, spec: RollSpec, auc: bool = True,
                   seed: int = 0, descriptors_of: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
                   split: bool = True) -> RealismReport:
    """Realism of several sets of pieces against the same real pieces of the target style.

    ``rows`` maps a row name ("output", "identity", "rule") to its pieces.  With four or more
    real pieces they are split in two halves by piece: every row is compared with the second
    half, and the first half gives the ``real`` row (the floor: real against real, other
    pieces); with fewer, or ``split=False`` (the caller brings its own floor row), every row
    is compared with all of them and there is no real row.
    Metrics: "<row>/realism/fd", "<row>/realism/auc", "<row>/realism/windows", and for each
    row "<row>/realism/giveaway_max" and "<row>/realism/giveaway_over_0.5" (``giveaway``
    against the same reference).  The give-away rows are the "output" row's (with the "real"
    and "identity" rows beside it, where present).  ``descriptors_of`` gives descriptors
    already computed ((N, D), piece index) by row name, "real" for the real pieces."""
    t0 = time.perf_counter()
    known = dict(descriptors_of or {})
    d_real, g_real = known["real"] if "real" in known else piece_descriptors(real, spec)
    descs = {name: known[name] if name in known else piece_descriptors(scores, spec)
             for name, scores in rows.items()}
    all_descs = {**descs, "real_all": (d_real, g_real)}
    timings = {"descriptors": time.perf_counter() - t0}
    out: dict[str, float] = {}
    n_real = len(np.unique(g_real))
    if n_real >= 4 and split:
        order = np.random.default_rng(seed).permutation(np.unique(g_real))
        half_a = np.isin(g_real, order[: n_real // 2])
        descs["real"] = (d_real[half_a], g_real[half_a])
        ref, g_ref = d_real[~half_a], g_real[~half_a]
    else:
        ref, g_ref = d_real, g_real
    st = standardiser(ref) if len(ref) >= 2 else None
    t_fd = t_auc = 0.0
    for name, (d, g) in descs.items():
        t1 = time.perf_counter()
        out[f"{name}/realism/fd"] = frechet_distance(d, ref, standardise=st) if st is not None else math.nan
        t_fd += time.perf_counter() - t1
        if auc:
            t1 = time.perf_counter()
            out[f"{name}/realism/auc"] = two_sample_auc(d, ref, g, g_ref, seed=seed)
            t_auc += time.perf_counter() - t1
        out[f"{name}/realism/windows"] = float(len(d))
    timings["frechet"] = t_fd
    if auc:
        timings["two_sample_auc"] = t_auc
    t1 = time.perf_counter()
    table: list[dict] = []
    if len(ref):
        for name, (d, _) in descs.items():
            rows_n = giveaway(d, d[:0], ref)
            out.update({f"{name}/realism/{k}": v for k, v in giveaway_summary(rows_n).items()})
        if "output" in descs:
            table = giveaway(descs["output"][0], descs["real"][0] if "real" in descs else ref[:0], ref,
                             copy_feats=descs["identity"][0] if "identity" in descs else None)
    timings["giveaway"] = time.perf_counter() - t1
    return RealismReport(out, timings, table, all_descs)
