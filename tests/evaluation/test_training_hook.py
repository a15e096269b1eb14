"""The evaluation hook training calls (evaluation/training.py): realism per target style and a
selection score that noise cannot win."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from stylegen.checkpoint import load_checkpoint, save_checkpoint
from stylegen.data.roll import RollSpec
from stylegen.evaluation.training import compatible_classifier, make_eval_fn, real_windows, to_pitch_range
from stylegen.metrics.style_classifier import load_classifier
from tests.metrics.test_classifier_loading import write_classifier
from tests.metrics.test_window import SPEC as WSPEC, C, E, roll

SPEC = RollSpec(resolution=4, lowest_pitch=24, n_pitches=84)  # the shipped classifier's rows
T = 64


def window(kind: str, seed: int) -> torch.Tensor:
    """A 4-bar window: 'pop' = a melody over block chords on every beat, 'classical' = the
    same melody over an Alberti bass in 16ths."""
    rng = np.random.default_rng(seed)
    roll = torch.zeros(2, T, SPEC.n_pitches)
    root = int(rng.integers(0, 12)) + 48 - 24
    for b in range(0, T, 4):  # melody in quarter notes
        p = root + 24 + int(rng.choice([0, 2, 4, 5, 7, 9]))
        roll[0, b, p] = 1
        roll[1, b:b + 4, p] = 1
    for b in range(0, T, 4):
        if kind == "pop":
            for iv in (0, 4, 7):
                roll[0, b, root + iv] = 1
                roll[1, b:b + 4, root + iv] = 1
        else:
            for k, iv in enumerate((0, 7, 4, 7)):
                roll[0, b + k, root - 12 + iv] = 1
                roll[1, b + k, root - 12 + iv] = 1
    return roll


class FakeVal:
    def __init__(self, n_per_style: int = 12):
        self.items = [("pop", i) for i in range(n_per_style)] + [("classical", 100 + i) for i in range(n_per_style)]
        self.index = np.array([[i, 0] for i in range(len(self.items))])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        kind, seed = self.items[i]
        return {"roll": window(kind, seed)}


def fake_trainer():
    val = FakeVal()
    pieces = [SimpleNamespace(style=0 if k == "pop" else 1) for k, _ in val.items]
    return SimpleNamespace(spec=SPEC, styles=["pop", "classical"], device=torch.device("cpu"), val_ds=val,
                           corpus=SimpleNamespace(pieces=pieces), ctx=0)


def test_real_windows_are_drawn_per_style():
    reals = real_windows(fake_trainer(), per_style=5)
    assert sorted(reals) == [0, 1] and reals[0].shape == (5, 2, T, SPEC.n_pitches)


def test_noise_cannot_win_the_selection_however_it_is_classified():
    fn = make_eval_fn(fake_trainer())
    inputs = torch.stack([window("pop", 500 + i) for i in range(8)])
    sources = torch.zeros(8, dtype=torch.long)
    targets = torch.ones(8, dtype=torch.long)  # pop -> classical
    rewritten = torch.stack([window("classical", 500 + i) for i in range(8)])  # the same tune, classical texture
    g = torch.Generator().manual_seed(0)
    noise = (torch.rand(inputs.shape, generator=g) < 0.03).float()
    noise[:, 0] = noise[:, 1]  # every noise cell is a one-step note
    good = fn(inputs, rewritten, sources, targets)
    bad = fn(inputs, noise, sources, targets)
    for m in (good, bad):
        assert {"val/realism/fd", "val/identity/realism/fd", "val/content/melody_recall", "val/score"} <= set(m)
    assert good["val/content/melody_recall"] == pytest.approx(1.0)
    assert bad["val/content/melody_recall"] < 0.2
    assert good["val/realism/fd"] < good["val/identity/realism/fd"] < bad["val/realism/fd"]
    assert good["val/score"] >= 0 > bad["val/score"]  # the gates: realism and melody


def test_without_a_classifier_the_trainer_selects_by_likelihood(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("STYLEGEN_CLASSIFIER", str(tmp_path / "missing.pt"))
    fn = make_eval_fn(fake_trainer())
    assert "without style strength" in capsys.readouterr().err
    x = torch.stack([window("pop", i) for i in range(4)])
    m = fn(x, x, torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.long))
    assert "val/score" not in m and "val/realism/fd" in m


def test_the_features_that_give_each_target_style_away_are_logged():
    from stylegen.metrics.realism import FEATURES, descriptors, giveaway
    from stylegen.evaluation.training import GIVEAWAY_TOP

    trainer = fake_trainer()
    fn = make_eval_fn(trainer)
    inputs = torch.stack([window("pop", 500 + i) for i in range(8)])
    g = torch.Generator().manual_seed(0)
    noise = (torch.rand(inputs.shape, generator=g) < 0.03).float()
    noise[:, 0] = noise[:, 1]
    m = fn(inputs, noise, torch.zeros(8, dtype=torch.long), torch.ones(8, dtype=torch.long))
    rows = giveaway(descriptors(noise, SPEC), np.zeros((0, len(FEATURES))),
                    descriptors(real_windows(trainer)[1], SPEC))
    logged = {k: v for k, v in m.items() if k.startswith("val/realism/giveaway/")}
    assert logged == pytest.approx({f"val/realism/giveaway/classical/{r['feature']}": r["output"]
                                    for r in rows[:GIVEAWAY_TOP]})
    assert m["val/realism/giveaway_max/classical"] == pytest.approx(abs(rows[0]["output"]))
    assert m["val/realism/giveaway_over_0.5/classical"] == sum(abs(r["output"]) > 0.5 for r in rows)
    assert "val/realism/giveaway_max" not in m  # per style only: features of two styles are never averaged


def test_training_hook_maps_styles_and_scores(tmp_path, monkeypatch):
    path = write_classifier(tmp_path / "clf.pt", styles=["b", "a"], spec=WSPEC)
    ckpt = load_checkpoint(path)  # a decisive judge (a fresh head says about 0.5 to everything)
    ckpt["models"]["classifier"]["head.weight"] *= 200
    save_checkpoint(path, ckpt)

    class NoWindows:
        index = np.zeros((0, 2), np.int64)

        def __len__(self):
            return 0

    class Trainer:
        spec = WSPEC
        styles = ["a", "b", "c"]
        device = torch.device("cpu")
        val_ds = NoWindows()  # no real windows: realism (tests/metrics/test_training_hook.py) is left out
        corpus = None
        ctx = 0

    fn = make_eval_fn(Trainer(), classifier_path=str(path))
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
    clf, why = compatible_classifier(other, ["a"], str(path))
    assert clf is None and "steps per beat" in why
    clf, why = compatible_classifier(WSPEC, ["x"], str(path))
    assert clf is None and "none of the styles" in why


def test_rolls_move_onto_the_classifiers_pitch_rows():
    wide = RollSpec(resolution=4, lowest_pitch=24, n_pitches=84)
    x = torch.stack([roll([(0, 4, C), (4, 4, 0), (8, 4, 47)])])  # C4, the lowest and the highest row
    y = to_pitch_range(x, WSPEC, wide)
    assert y.shape == (1, 2, 32, 84)
    assert y[0, 1, 0, 60 - 24] == 1 and y[0, 1, 4, 36 - 24] == 1 and y[0, 1, 8, 83 - 24] == 1
    assert y.sum() == x.sum()
    back = to_pitch_range(y, wide, WSPEC)
    assert torch.equal(back, x)
    assert to_pitch_range(x, WSPEC, WSPEC) is x
