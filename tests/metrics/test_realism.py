"""Realism on rolls built in code: a style, held-back windows of it, and broken copies."""

import math

import numpy as np
import pytest
import torch

from stylegen.data.roll import RollSpec
from stylegen.metrics.realism import (FEATURES, LABELS, descriptors, frechet_distance, giveaway, giveaway_summary,
                                      ledoit_wolf, realism_metrics, roc_auc, two_sample_auc)

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


def test_frechet_distance_matches_the_closed_form_for_two_gaussians():
    """FD of N(m1, C1) and N(m2, C2) = |m1 - m2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)): sampled
    without shrinkage or standardising, it must match the formula.  The covariances are chosen
    so that the covariance term (2.20) is 9 times the mean term (0.25): an FD that drops it
    (0.25), or drops only the cross term (10.96), is far outside the tolerance."""
    from scipy.linalg import sqrtm

    rng = np.random.default_rng(0)
    m1, m2 = np.array([0.0, 1.0, -1.0]), np.array([0.5, 1.0, -1.0])
    a = rng.normal(size=(3, 3))
    c1 = a @ a.T + 0.5 * np.eye(3)
    c2 = np.diag([4.0, 0.25, 1.0])
    exact = float(np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * np.real(sqrtm(c1 @ c2))))
    cov_term = exact - float(np.sum((m1 - m2) ** 2))
    assert cov_term > 4 * float(np.sum((m1 - m2) ** 2))
    x = rng.multivariate_normal(m1, c1, size=200_000)
    y = rng.multivariate_normal(m2, c2, size=200_000)
    fd = frechet_distance(x, y, shrink=False, standardise=(np.zeros(3), np.ones(3)))
    assert fd == pytest.approx(exact, rel=0.02)
    # the same Gaussians: only sampling noise is left
    y1 = rng.multivariate_normal(m1, c1, size=200_000)
    assert frechet_distance(x, y1, shrink=False, standardise=(np.zeros(3), np.ones(3))) < 0.01
    # standardising by the reference (the default) is the formula on the rescaled Gaussians
    s = np.sqrt(np.diag(c2))
    exact_std = float(np.sum(((m1 - m2) / s) ** 2)
                      + np.trace((c1 + c2) / np.outer(s, s)
                                 - 2 * np.real(sqrtm((c1 / np.outer(s, s)) @ (c2 / np.outer(s, s))))))
    assert frechet_distance(x, y, shrink=False) == pytest.approx(exact_std, rel=0.02)


def test_giveaway_in_reference_sds_largest_first_with_the_real_and_copy_rows():
    names = ["a", "b", "c"]
    ref = np.array([[0.0, 5.0, 10.0],
                    [2.0, 5.0, 30.0]])  # means 1, 5, 20; population SDs 1, 0 (-> floor 0.02), 10
    out = np.array([[3.0, 5.0, -10.0],
                    [3.0, 5.01, -10.0]])  # a +2.0; b +0.005 / 0.02 = +0.25; c -30 / 10 = -3.0
    real = np.array([[1.0, 5.0, 15.0],
                     [0.0, 5.0, 15.0]])  # a -0.5; b 0; c -0.5
    copy = np.array([[1.0, 4.98, 20.0]])  # a 0; b -1.0; c 0
    rows = giveaway(out, real, ref, copy_feats=copy, names=names)
    assert [r["feature"] for r in rows] == ["c", "a", "b"]  # by |output|, the sign kept
    expect = {"c": (-3.0, -0.5, 0.0), "a": (2.0, -0.5, 0.0), "b": (0.25, 0.0, -1.0)}
    for r in rows:
        assert (r["output"], r["real"], r["identity"]) == pytest.approx(expect[r["feature"]], abs=1e-9)
        assert r["label"] == r["feature"]  # names outside FEATURES are their own label
    assert giveaway(out, real, ref, names=names, floor=0.5)[2]["output"] == pytest.approx(0.01)
    assert "identity" not in giveaway(out, real, ref, names=names)[0]
    # an empty set gives NaN, never a made-up 0; NaN rows sort last
    empty = giveaway(out, real[:0], ref, names=names)
    assert all(math.isnan(r["real"]) for r in empty)
    nan_out = giveaway(out[:0], real, ref, names=names)
    assert [r["feature"] for r in nan_out] == names and all(math.isnan(r["output"]) for r in nan_out)
    assert giveaway_summary(rows) == {"giveaway_max": pytest.approx(3.0), "giveaway_over_0.5": 2.0}
    assert giveaway_summary(rows, column="real") == {"giveaway_max": pytest.approx(0.5), "giveaway_over_0.5": 0.0}
    with pytest.raises(ValueError):
        giveaway(out, real, ref[:, :2], names=names)


def test_every_feature_has_a_readable_label():
    assert set(LABELS) == set(FEATURES) and len(set(LABELS.values())) == len(FEATURES)
    assert LABELS["interval_class/1"] == "semitones / major 7ths sounding together"
    assert LABELS["pc_in_key/3"] == "time on the key's ♭3"
    rows = giveaway(np.ones((2, len(FEATURES))), np.zeros((2, len(FEATURES))), np.zeros((3, len(FEATURES))))
    assert {r["label"] for r in rows} == set(LABELS.values())


def test_training_batches_name_the_features_that_give_them_away(sets):
    ref, bad = sets["ref"][:64], noisy(sets["held"][:64], 9)
    m = realism_metrics(torch.from_numpy(bad).float(), torch.from_numpy(ref).float(), SPEC, top_features=3)
    rows = giveaway(descriptors(bad, SPEC), np.zeros((0, len(FEATURES))), descriptors(ref, SPEC))
    top = {f"realism/giveaway/{r['feature']}": r["output"] for r in rows[:3]}
    assert {k: v for k, v in m.items() if k.startswith("realism/giveaway/")} == pytest.approx(top)
    assert m["realism/giveaway_max"] == pytest.approx(abs(rows[0]["output"]))
    assert m["realism/giveaway_over_0.5"] == sum(abs(r["output"]) > 0.5 for r in rows)
    assert not any(k.startswith("realism/giveaway") for k in realism_metrics(bad, ref, SPEC))
