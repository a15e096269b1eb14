"""Measures of pieces and rolls: functions of Scores (or roll tensors) that return numbers.

    from stylegen.metrics import load_classifier, selection_score, window_metrics

    clf = load_classifier()                                   # the shipped checkpoints/classifier.pt
    clf.piece_probs(score)                                    # the judge of style, per piece
    window_metrics(in_rolls, out_rolls, targets, spec, clf)   # cheap, inside training
    realism_metrics(out_rolls, real_rolls, spec, inputs=in_rolls)
    selection_score({**window, **realism})                    # best.pt

Modules: style_classifier.py (the judge of style: a classifier checkpoint reading pieces as it
was trained), strength.py, preservation.py (content preservation), melody.py, musicality.py
(functions of pieces returning floats, NaN when undefined), realism.py (window descriptors,
Fréchet distance, two-sample AUC), window.py (window_metrics), selection.py (selection_score,
combined_score), feature_judge.py (a second judge of style, on the realism descriptors),
leakage.py (how much style the content features let through), corruptions.py (real music
made wrong, for the judge's blind spot).  Nothing here reads a recipe, a folder or a generator checkpoint:
``stylegen/evaluation/`` does that, above this package.  See docs/metrics.md.
"""

from stylegen.metrics.style_classifier import StyleClassifier, default_classifier_path, load_classifier
from stylegen.metrics.realism import realism_metrics
from stylegen.metrics.selection import DEFAULT_WEIGHTS, combined_score, selection_score
from stylegen.metrics.window import window_metrics

__all__ = ["StyleClassifier", "default_classifier_path", "load_classifier", "DEFAULT_WEIGHTS", "combined_score",
           "selection_score", "realism_metrics", "window_metrics"]
