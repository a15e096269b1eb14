"""Realism on rolls built in code: a style, held-back windows of it, and broken copies."""

import math

import numpy as np
import pytest
import torch

from stylegen.data.roll import RollSpec
from stylegen.metrics.realism import (FEATURES, descriptors, frechet_distance, ledoit_wolf, realism_metrics,
                                      roc_auc, two_sample_auc)

SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)
T = 64
C_MAJOR = [0, 2, 4, 5, 7, 9, 11]


def style_windows(n: int, seed: int) -> np.ndarray:
    """(n, 2, T, P) windows of one made-up style: a stepwise melody in C major, one note per
    beat (sometimes two eighths), over a held root-position triad per bar."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 2, T, SPEC.n_pitches), dtype=bool)
    for i in range(n):
        degree = int(rng.integers(7, 14))
        for bar in range(4):
            root = int(rng.choice([0, 3, 4]))  # I, IV, V
            for k in (0, 2, 4):
                p = 48 + C_MAJOR[(root + k) % 7] - SPEC.lowest_pitch
                x[i, 0, bar * 16, p] = True
                x[i, 1, bar * 16: bar * 16 + 16, p] = True
            for beat in range(4):
                t0 = bar * 16 + beat * 4
                halves = [(t0, 4)] if rng.random() < 0.7 else [(t0, 2), (t0 + 2, 2)]
                for t, d in halves:
                    degree = int(np.clip(degree + rng.choice([-1, 0, 1]), 7, 16))
                    p = 60 + 12 * (degree // 7) + C_MAJOR[degree % 7] - 12 - SPEC.lowest_pitch
                    x[i, 0, t, p] = True
                    x[i, 1, t: t + d, p] = True
    return x


def shuffled(x: np.ndarray, seed: int) -> np.ndarray:
    """Each window's time steps in a random order (same notes per step, no line left)."""
    rng = np.random.default_rng(seed)
    return np.stack([w[:, rng.permutation(T)] for w in x])


def noisy(x: np.ndarray, seed: int) -> np.ndarray:
    """Stray one-step notes anywhere, as many as the window already has."""
    rng = np.random.default_rng(seed)
    out = x.copy()
    for w in out:
        n = int(w[0].sum())
        t, p = rng.integers(0, T, n), rng.integers(0, SPEC.n_pitches, n)
        w[0, t, p] = True
        w[1, t, p] = True
    return out


@pytest.fixture(scope="module")
def sets():
    return {"ref": style_windows(300, 0), "held": style_windows(300, 1),
            "shuffled": shuffled(style_windows(300, 2), 3), "noisy": noisy(style_windows(300, 4), 5)}


def test_descriptors_have_one_value_per_feature_and_silence_is_zero():
    d = descriptors(style_windows(3, 0), SPEC)
    assert d.shape == (3, len(FEATURES)) and np.isfinite(d).all()
    silent = descriptors(np.zeros((2, 2, T, SPEC.n_pitches), bool), SPEC)
    expect = np.zeros(len(FEATURES))
    expect[FEATURES.index("silence")] = 1.0  # a silent window is all silence, and nothing else
    assert np.allclose(silent, expect)
    # the key-relative profile does not move when the window is transposed
    x = style_windows(4, 0)
    up = np.zeros_like(x)
    up[..., 5:] = x[..., :-5]
    names = [i for i, f in enumerate(FEATURES) if f.startswith("pc_in_key/") or f == "minor"]
    assert np.allclose(descriptors(x, SPEC)[:, names], descriptors(up, SPEC)[:, names])


def test_torch_rolls_give_the_descriptors_of_their_canonical_form():
    x = style_windows(5, 0)
    raw = torch.from_numpy(x).float()
    raw[:, 0] = 0  # onsets dropped: the canonical roll puts one where each sustain run starts
    d_np = descriptors(x, SPEC)
    d_t = descriptors(raw, SPEC)
    assert d_t.shape == d_np.shape
    pos = [FEATURES.index("polyphony"), FEATURES.index("pitch_mean")]
    assert np.allclose(d_t[:, pos], d_np[:, pos])


def test_broken_windows_are_further_than_held_back_real_ones(sets):
    d = {k: descriptors(v, SPEC) for k, v in sets.items()}
    fd = {k: frechet_distance(d[k], d["ref"]) for k in ("held", "shuffled", "noisy")}
    auc = {k: two_sample_auc(d[k], d["ref"]) for k in ("held", "shuffled", "noisy")}
    assert fd["held"] < 0.5 * fd["shuffled"] and fd["held"] < 0.5 * fd["noisy"]
    assert auc["held"] < 0.65
    assert auc["shuffled"] > 0.9 and auc["noisy"] > 0.9
    assert frechet_distance(d["ref"], d["ref"]) == pytest.approx(0.0, abs=1e-6)


def test_realism_metrics_for_training_batches(sets):
    x = torch.from_numpy(sets["held"][:64]).float()
    y = torch.from_numpy(noisy(sets["held"][:64], 9)).float()
    m = realism_metrics(y, torch.from_numpy(sets["ref"][:64]).float(), SPEC, inputs=x, auc=True)
    assert set(m) == {"realism/fd", "realism/auc", "identity/realism/fd", "identity/realism/auc",
                      "content/melody_recall"}
    assert m["realism/fd"] > m["identity/realism/fd"]
    assert m["content/melody_recall"] == 1.0  # stray notes add, they remove nothing
    assert realism_metrics(x, x, SPEC, inputs=x)["realism/fd"] == pytest.approx(0.0, abs=1e-6)


def test_shrinkage_is_strong_with_few_windows_and_weak_with_many():
    rng = np.random.default_rng(0)
    mix = rng.normal(size=(60, 60))  # correlated features, far from the identity target
    few = rng.normal(size=(20, 60)) @ mix
    many = rng.normal(size=(5000, 60)) @ mix
    c, s_few = ledoit_wolf(few)
    _, s_many = ledoit_wolf(many)
    assert 0 <= s_many < 0.1 < s_few <= 1
    assert np.linalg.eigvalsh(c).min() > 0  # positive definite with fewer windows than features


def test_auc_by_ranks_and_grouped_folds():
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1])) == 1.0
    assert roc_auc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5
    assert math.isnan(roc_auc(np.array([0.5]), np.array([1])))
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 3)), rng.normal(size=(40, 3))
    assert math.isnan(two_sample_auc(a, b, np.zeros(40), np.zeros(40)))  # one piece a side: cannot fold
    # a piece identity that would leak across folds does not help when folds are grouped:
    # each piece's windows share a random offset, on both sides alike
    groups = np.repeat(np.arange(10), 4)
    offs = rng.normal(scale=3, size=(20, 3))
    a2, b2 = a + offs[groups], b + offs[10 + groups]
    assert two_sample_auc(a2, b2, groups, groups) < 0.8
