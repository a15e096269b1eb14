"""The second judge of style (metrics/feature_judge.py) on feature arrays built in code
(trained from a recipe's real pieces: tests/evaluation/test_judge_training.py)."""

import math

import numpy as np
import pytest

from stylegen.errors import StylegenError
from stylegen.metrics.feature_judge import FeatureJudge, fit_judge, heldout_accuracy, judge_metrics


def blobs(n_per: list[int], seed: int, d: int = 4, spread: float = 0.5):
    """Windows of len(n_per) styles: style s is a Gaussian around 3 * e_s (a different axis each)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for s, n in enumerate(n_per):
        centre = np.zeros(d)
        centre[s] = 3.0
        xs.append(centre + spread * rng.normal(size=(n, d)))
        ys.append(np.full(n, s))
    return np.concatenate(xs), np.concatenate(ys)


def hand_judge() -> FeatureJudge:
    """Two features, two styles: logit difference = 2 * (x0 - x1)."""
    return FeatureJudge(["a", "b"], mean=np.zeros(2), scale=np.ones(2),
                        weights=np.array([[1.0, -1.0], [-1.0, 1.0]]), bias=np.zeros(2))


def test_window_and_piece_probabilities_by_hand():
    j = hand_judge()
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    p = j.window_probs(x)
    s = 1 / (1 + math.exp(-2))  # softmax of (1, -1)
    assert p == pytest.approx(np.array([[0.5, 0.5], [s, 1 - s], [1 - s, s]]))
    # a piece is the mean of its windows; a piece without windows is NaN (unclassified)
    pp = j.piece_probs(x, np.array([0, 0, 2]), 3)
    assert pp[0] == pytest.approx([(0.5 + s) / 2, (0.5 + 1 - s) / 2])
    assert np.isnan(pp[1]).all()
    assert pp[2] == pytest.approx([1 - s, s])
    m = judge_metrics(pp, target=0)
    assert m["target_share"] == pytest.approx(0.5) and m["unclassified"] == 1.0
    assert m["target_prob"] == pytest.approx(((0.5 + s) / 2 + (1 - s)) / 2)
    assert math.isnan(judge_metrics(np.full((2, 2), np.nan), 0)["target_share"])
    with pytest.raises(StylegenError, match="not one of them"):
        j.index("jazz")


def test_fit_separates_styles_and_is_deterministic():
    x, y = blobs([200, 150, 100], seed=0)
    j = fit_judge(x, y, ["a", "b", "c"])
    xt, yt = blobs([50, 50, 50], seed=1)
    assert (j.window_probs(xt).argmax(axis=1) == yt).mean() > 0.97
    again = fit_judge(x, y, ["a", "b", "c"])
    assert np.array_equal(j.weights, again.weights) and np.array_equal(j.bias, again.bias)
    assert j.info["train_windows"] == {"a": 200, "b": 150, "c": 100}
    # the standardisation is the training windows' own
    assert j.mean == pytest.approx(x.mean(axis=0)) and j.scale == pytest.approx(x.std(axis=0))


def test_styles_weigh_the_same_whatever_their_window_counts():
    """On a feature that says nothing about the style, a class-balanced judge is undecided;
    one weighted by window counts would lean 9:1 towards the larger style."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 1))  # the same distribution for both styles
    y = np.array([0] * 900 + [1] * 100)
    p = fit_judge(x, y, ["big", "small"]).window_probs(np.zeros((1, 1)))[0]
    assert p == pytest.approx([0.5, 0.5], abs=0.03)


def test_heldout_accuracy_per_piece_and_style():
    j = hand_judge()
    # pieces: p1 (a) right, p2 (a) wrong, p3 (b) right: each by the mean of its windows
    x = np.array([[1.0, 0.0], [0.5, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, 0.0], [0.0, 1.0]])
    labels = np.array([0, 0, 0, 0, 1, 1])
    groups = np.array(["p1", "p1", "p2", "p2", "p3", "p3"])
    acc = heldout_accuracy(j, x, labels, groups)
    assert acc == {"a": 0.5, "b": 1.0, "mean": 0.75, "pieces": 3.0}


def test_a_style_without_windows_is_one_clear_error():
    x, y = blobs([20, 20], seed=0)
    with pytest.raises(StylegenError, match="no real windows of c"):
        fit_judge(x, y, ["a", "b", "c"])
