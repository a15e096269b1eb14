"""Evaluating style transfer: where an evaluation's pieces come from, the rows it scores and
the report it writes.  The measures themselves are in ``stylegen/metrics/`` (below this
package: nothing there imports from here).

    from stylegen.evaluation import evaluate_pairs, write_report
    from stylegen.metrics import load_classifier, selection_score

    clf = load_classifier()                       # the shipped checkpoints/classifier.pt
    ev = evaluate_pairs(inputs, outputs, "classical", clf, real_target=real, source="pop")
    write_report(ev, "reports/pop2classical")     # report.json, report.md, plots, TensorBoard
    selection_score(ev.metrics, prefix="output/") # one number to pick a checkpoint by (gated)

Modules: pieces.py (folders of MIDI paired by name, a recipe's split, real target pieces),
checkpoint_eval.py (a checkpoint transferring a recipe's validation pieces), baselines.py
(the rule baseline), evaluate.py (``evaluate_pairs``: the rows), judge_training.py (the
feature judge trained on a recipe's real pieces), report.py (report.json/.md, plots,
TensorBoard), training.py (the trainer's evaluation hook).  See docs/metrics.md.
"""

from stylegen.evaluation.evaluate import Evaluation, evaluate_pairs
from stylegen.evaluation.report import write_report

__all__ = ["Evaluation", "evaluate_pairs", "write_report"]
