import math

import numpy as np
import pytest
import torch

from stylegen.data.roll import RollSpec
from stylegen.errors import StylegenError
from stylegen.metrics.score import DEFAULT_WEIGHTS, combined_score
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


def test_training_hook_maps_styles_and_scores(tmp_path, monkeypatch):
    from stylegen.metrics import training
    from stylegen.checkpoint import load_checkpoint, save_checkpoint
    from stylegen.metrics.classifier import load_classifier
    from tests.metrics.test_classifier_loading import write_classifier

    path = write_classifier(tmp_path / "clf.pt", styles=["b", "a"], spec=SPEC)
    ckpt = load_checkpoint(path)  # a decisive judge (a fresh head says about 0.5 to everything)
    ckpt["models"]["classifier"]["head.weight"] *= 200
    save_checkpoint(path, ckpt)

    class NoWindows:
        index = np.zeros((0, 2), np.int64)

        def __len__(self):
            return 0

    class Trainer:
        spec = SPEC
        styles = ["a", "b", "c"]
        device = torch.device("cpu")
        val_ds = NoWindows()  # no real windows: realism (tests/metrics/test_training_hook.py) is left out
        corpus = None
        ctx = 0

    fn = training.make_eval_fn(Trainer(), classifier_path=str(path))
    x = torch.stack([roll([(0, 16, C)]), roll([(0, 4, E), (8, 8, C + 7)]), roll([(0, 32, C), (4, 4, E)])])
    out = fn(x, x, torch.tensor([0, 1, 0]), torch.tensor([1, 0, 2]))  # style c is unknown to the classifier
    assert out["val/content/chroma"] == 1.0
    # targets b, a, c are the classifier's labels 0, 1 and none: only the first two windows are judged
    p = load_classifier(path).probs(x.float())
    assert out["val/strength/target_prob"] == pytest.approx(float(p[0, 0] + p[1, 1]) / 2, abs=1e-6)
    assert out["val/strength/target_share"] == pytest.approx(float((p[0].argmax() == 0) + (p[1].argmax() == 1)) / 2)
    unmapped = float(p[0, 1] + p[1, 0]) / 2  # what the recipe's own indices would have given
    assert abs(unmapped - out["val/strength/target_prob"]) > 0.05  # the check can tell the two apart
    assert out["val/score"] == float("-inf")  # no realism against real windows: nothing to select by
    other = RollSpec(resolution=8, lowest_pitch=36, n_pitches=48)
    clf, why = training.compatible_classifier(other, ["a"], str(path))
    assert clf is None and "steps per beat" in why
    clf, why = training.compatible_classifier(SPEC, ["x"], str(path))
    assert clf is None and "none of the styles" in why


def test_rolls_move_onto_the_classifiers_pitch_rows():
    from stylegen.metrics.training import to_pitch_range

    wide = RollSpec(resolution=4, lowest_pitch=24, n_pitches=84)
    x = torch.stack([roll([(0, 4, C), (4, 4, 0), (8, 4, 47)])])  # C4, the lowest and the highest row
    y = to_pitch_range(x, SPEC, wide)
    assert y.shape == (1, 2, 32, 84)
    assert y[0, 1, 0, 60 - 24] == 1 and y[0, 1, 4, 36 - 24] == 1 and y[0, 1, 8, 83 - 24] == 1
    assert y.sum() == x.sum()
    back = to_pitch_range(y, wide, SPEC)
    assert torch.equal(back, x)
    assert to_pitch_range(x, SPEC, SPEC) is x
