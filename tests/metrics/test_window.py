import math

import pytest
import torch

from stylegen.data.roll import RollSpec
from stylegen.errors import StylegenError
from stylegen.metrics.selection import DEFAULT_WEIGHTS, combined_score
from stylegen.metrics.window import window_metrics

SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)
C, E = 60 - 36, 64 - 36  # rows of C4 and E4


def roll(notes, T=32):
    """(2, T, P) from (onset, duration, row)."""
    r = torch.zeros(2, T, SPEC.n_pitches)
    for on, dur, p in notes:
        r[0, on, p] = 1
        r[1, on: on + dur, p] = 1
    return r


class FixedClassifier:
    """Gives every window the same probabilities."""

    def __init__(self, probs):
        self.p = torch.tensor(probs)

    def probs(self, rolls):
        return self.p.expand(rolls.shape[0], -1)


def test_identical_windows_keep_all_content():
    x = torch.stack([roll([(0, 16, C), (16, 8, E)])])
    m = window_metrics(x, x.clone(), [0], SPEC)
    assert m == {"content/chroma": 1.0, "content/onset_f1": 1.0, "content/onset_pc_f1": 1.0}


def test_exact_window_content():
    x = torch.stack([roll([(0, 16, C)])])  # bar 0: C held; bar 1 silent
    y = torch.stack([roll([(0, 8, C), (0, 8, E)])])  # bar 0: C and E together for half a bar
    m = window_metrics(x, y, [-1], SPEC)
    # bar chroma (16 on C) vs (8 on C, 8 on E): 128 / (16 * sqrt(128)); bar 1 silent in both: skipped
    assert m["content/chroma"] == pytest.approx(1 / math.sqrt(2))
    assert m["content/onset_f1"] == 1.0  # one onset step, 0, in both
    assert m["content/onset_pc_f1"] == pytest.approx(2 / 3)  # {(0, C)} vs {(0, C), (0, E)}


def test_probabilities_are_thresholded_and_silence_is_undefined():
    x = torch.zeros(1, 2, 32, SPEC.n_pitches)
    m = window_metrics(x, x + 0.4, [0], SPEC)  # 0.4 < 0.5: silent
    assert math.isnan(m["content/chroma"]) and math.isnan(m["content/onset_f1"])


def test_strength_from_a_classifier_and_unjudged_windows():
    x = torch.stack([roll([(0, 4, C)])] * 3)
    clf = FixedClassifier([0.2, 0.7, 0.1])
    m = window_metrics(x, x, [1, 0, -1], SPEC, classifier=clf)
    assert m["strength/target_share"] == 0.5  # window 0 (target 1) yes, window 1 (target 0) no, window 2 unjudged
    assert m["strength/target_prob"] == pytest.approx((0.7 + 0.2) / 2)
    none = window_metrics(x, x, [-1, -1, -1], SPEC, classifier=clf)
    assert math.isnan(none["strength/target_share"])


def test_shapes_must_match():
    with pytest.raises(ValueError):
        window_metrics(torch.zeros(1, 2, 32, 48), torch.zeros(1, 2, 16, 48), [0], SPEC)


def test_combined_score_is_a_weighted_mean():
    m = {"strength/target_prob": 0.8, "content/chroma": 0.6, "content/onset_f1": 0.4}
    assert combined_score(m) == pytest.approx(0.5 * 0.8 + 0.25 * 0.6 + 0.25 * 0.4)
    assert combined_score(m, {"content/chroma": 2, "content/onset_f1": 2}) == pytest.approx(0.5)
    prefixed = {f"output/{k}": v for k, v in m.items()}
    assert combined_score(prefixed, prefix="output/") == combined_score(m)
    assert set(DEFAULT_WEIGHTS) == set(m)


def test_combined_score_nan_and_missing_keys():
    assert math.isnan(combined_score({"a": float("nan"), "b": 1.0}, {"a": 1, "b": 1}))
    with pytest.raises(StylegenError, match="no metric 'c'"):
        combined_score({"a": 1.0}, {"c": 1.0})
    with pytest.raises(StylegenError):
        combined_score({"a": 1.0}, {"a": 0.0})
