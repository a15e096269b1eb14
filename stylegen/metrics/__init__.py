"""Objective evaluation of style transfer: strength, content preservation, musicality.

    from stylegen.metrics import load_classifier, evaluate_pairs, write_report, combined_score

    clf = load_classifier()                       # the shipped checkpoints/classifier.pt
    ev = evaluate_pairs(inputs, outputs, "classical", clf, real_target=real, source="pop")
    write_report(ev, "reports/pop2classical")     # report.json, report.md, plots, TensorBoard
    selection_score(ev.metrics, prefix="output/") # one number to pick a checkpoint by (gated)

    window_metrics(in_rolls, out_rolls, targets, spec, clf)   # cheap, inside training
    realism_metrics(out_rolls, real_rolls, spec, inputs=in_rolls)
    selection_score({**window, **realism})                    # best.pt

Modules: classifier.py (the judge at inference), strength.py, content.py, melody.py,
musicality.py (functions of pieces returning floats, NaN when undefined), realism.py (window
descriptors, Fréchet distance, two-sample AUC), corruptions.py (real music made wrong, for
the judge's blind spot), evaluate.py (evaluate_pairs), window.py (window_metrics), score.py
(selection_score, combined_score), report.py (writing it all down), pieces.py and
checkpoint_eval.py (where an evaluation's pieces come from), training.py (the trainer's
evaluation hook).  See docs/metrics.md.
"""

from stylegen.metrics.classifier import StyleClassifier, default_classifier_path, load_classifier
from stylegen.metrics.evaluate import Evaluation, evaluate_pairs
from stylegen.metrics.realism import realism_metrics
from stylegen.metrics.score import DEFAULT_WEIGHTS, combined_score, selection_score
from stylegen.metrics.window import window_metrics


def write_report(*args, **kwargs):
    """See :func:`stylegen.metrics.report.write_report` (imported lazily: it pulls in matplotlib)."""
    from stylegen.metrics.report import write_report as _write

    return _write(*args, **kwargs)


__all__ = ["StyleClassifier", "default_classifier_path", "load_classifier", "Evaluation", "evaluate_pairs",
           "DEFAULT_WEIGHTS", "combined_score", "selection_score", "realism_metrics", "window_metrics",
           "write_report"]
