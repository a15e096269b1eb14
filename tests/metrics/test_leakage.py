import numpy as np
import pytest
import torch

from stylegen.metrics.leakage import plan_histogram, style_from_features


def windows(n_pieces=12, per_piece=10, separable=True, seed=0):
    rng = np.random.default_rng(seed)
    styles = np.repeat(np.arange(n_pieces) % 3, per_piece)
    keys = [f"piece{p}" for p in np.repeat(np.arange(n_pieces), per_piece)]
    x = rng.normal(size=(len(styles), 4))
    if separable:
        x[:, 0] += 6 * styles  # the style is written in feature 0
    return torch.tensor(x, dtype=torch.float32), styles, keys


def test_a_style_written_in_the_features_is_found_and_noise_is_chance():
    names = ["a", "b", "c"]
    found = style_from_features(*windows(), names)
    assert found["balanced_accuracy"] > 0.95 and found["chance"] == pytest.approx(1 / 3)
    noise = style_from_features(*windows(separable=False), names)
    assert noise["balanced_accuracy"] < 0.6
    assert set(k for k in found if k.startswith("recall/")) == {"recall/a", "recall/b", "recall/c"}


def test_plan_histogram_is_the_share_of_bars_per_code():
    h = plan_histogram(torch.tensor([[0, 0, 2, 3], [1, 1, 1, 1]]), 4)
    assert h.tolist() == [[0.5, 0.0, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]]
