"""The feature judge trained from a recipe's real pieces written by the test
(evaluation/judge_training.py)."""

import numpy as np

import stylegen.evaluation.pieces as pieces
from stylegen.config import load_recipe
from stylegen.data.roll import RollSpec
from stylegen.evaluation.judge_training import train_feature_judge
from stylegen.metrics.realism import FEATURES
from tests.commands.test_evaluate_cli import ROOT, tiny_data


def test_trained_from_a_recipe_on_real_train_pieces_and_checked_on_val(tmp_path, monkeypatch):
    data = tiny_data(tmp_path / "data")  # styles a (scales) and b (chords), 4 pieces each
    recipe = load_recipe(ROOT / "tests" / "recipes" / "tiny.yaml",
                         [f"data_root={data}", f"data.cache_dir={tmp_path / 'cache'}"])
    read = []
    real_read = pieces.read_score
    monkeypatch.setattr(pieces, "read_score", lambda path, res: read.append(str(path)) or real_read(path, res))
    spec = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)
    j = train_feature_judge(recipe, spec)
    assert j.styles == ["a", "b"] and j.weights.shape == (len(FEATURES), 2)
    # 3 train pieces and 1 val piece a style (val_fraction 0.25): every file read once, no other
    assert len(read) == 8 and len(set(read)) == 8
    assert j.info["train_pieces"] == {"a": "3 of 3", "b": "3 of 3"}
    assert j.info["val_pieces"] == {"a": "1 of 1", "b": "1 of 1"}
    assert j.info["heldout_accuracy"] == {"a": 1.0, "b": 1.0, "mean": 1.0, "pieces": 2.0}
    again = train_feature_judge(recipe, spec)
    assert np.array_equal(j.weights, again.weights)
