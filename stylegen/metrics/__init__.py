"""Objective evaluation of style transfer: strength, content preservation, musicality.

    from stylegen.metrics import load_classifier, evaluate_pairs, write_report, combined_score

    clf = load_classifier()                       # the shipped checkpoints/classifier.pt
    ev = evaluate_pairs(inputs, outputs, "classical", clf, real_target=real, source="pop")
    write_report(ev, "reports/pop2classical")     # report.json, report.md, plots, TensorBoard
    combined_score(ev.metrics, prefix="output/")  # one number to pick a checkpoint by

    window_metrics(in_rolls, out_rolls, targets, spec, clf)   # cheap, inside training

Modules: classifier.py (the judge at inference), strength.py, content.py, musicality.py
(functions of pieces returning floats, NaN when undefined), evaluate.py (evaluate_pairs),
window.py (window_metrics), score.py (combined_score), report.py (writing it all down),
training.py (the GAN trainer's evaluation hook).  See docs/metrics.md.
"""

from stylegen.metrics.classifier import StyleClassifier, default_classifier_path, load_classifier
from stylegen.metrics.evaluate import Evaluation, evaluate_pairs
from stylegen.metrics.score import DEFAULT_WEIGHTS, combined_score
from stylegen.metrics.window import window_metrics


def write_report(*args, **kwargs):
    """See :func:`stylegen.metrics.report.write_report` (imported lazily: it pulls in matplotlib)."""
    from stylegen.metrics.report import write_report as _write

    return _write(*args, **kwargs)


__all__ = ["StyleClassifier", "default_classifier_path", "load_classifier", "Evaluation", "evaluate_pairs",
           "DEFAULT_WEIGHTS", "combined_score", "window_metrics", "write_report"]
