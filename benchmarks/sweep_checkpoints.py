"""Score every checkpoint of a run on one style pair, by the score that selects the release.

    python benchmarks/sweep_checkpoints.py runs/pop2classical/release --source pop --target classical
    python benchmarks/sweep_checkpoints.py a.pt b.pt --recipe recipes/pop2classical.yaml

For each ``step-*.pt`` of the run (or each checkpoint given): transfer a fixed sample of the
source style's validation pieces (the first ``--pieces`` by name, each cut to its first
``--bars`` bars) to the target with ``stylegen.load(path).transfer_score``, and score them with
``evaluate_pairs`` against the target style's validation pieces: the classifier's strength,
melody recall, onset F1, the realism of the outputs and of the identity copy (Fréchet
distance of window descriptors; two-sample AUC), and ``selection_score`` (metrics/selection.py),
in which realism and melody gate strength: a checkpoint less realistic than the copy, or
that keeps under half the melody, scores below zero however classical it sounds to the
classifier.  The best is the one with the highest selection score; `stylegen evaluate`
then scores it on whole pieces.  The same function picks ``best.pt`` in training, on windows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylegen.checkpoint import load_checkpoint  # noqa: E402
from stylegen.config import load_recipe, recipe_from_dict  # noqa: E402
from stylegen.evaluation import evaluate_pairs  # noqa: E402
from stylegen.metrics import load_classifier  # noqa: E402
from stylegen.evaluation.pieces import recipe_pieces  # noqa: E402

SHOWN = ("strength/target_prob", "content/melody_recall", "content/onset_f1", "content/chroma", "realism/fd",
         "realism/auc", "selection")


def first_bars(score, bars: int):
    """The score cut to its first ``bars`` bars (whole notes only)."""
    starts = score.bar_starts()
    end = int(starts[bars]) if len(starts) > bars else int(score.length)
    notes = score.notes[score.notes[:, 0] + score.notes[:, 1] <= end]
    out = score.with_notes(notes)
    out.length = min(int(score.length), end)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", nargs="+", help="a run folder (runs/<recipe>/<run>) or checkpoint files")
    ap.add_argument("--source", default="pop")
    ap.add_argument("--target", default="classical")
    ap.add_argument("--recipe", default=None, help="recipe of the validation pieces (default: the checkpoint's)")
    ap.add_argument("--classifier", default=None)
    ap.add_argument("--pieces", type=int, default=16)
    ap.add_argument("--bars", type=int, default=32)
    a = ap.parse_args()
    import torch

    from stylegen.transfer import load

    torch.set_num_threads(1)
    first_arg = Path(a.run[0])
    paths = sorted((first_arg / "checkpoints").glob("step-*.pt")) if first_arg.is_dir() else [Path(p) for p in a.run]
    if a.recipe:
        recipe = load_recipe(a.recipe, [])
    else:
        recipe = recipe_from_dict(load_checkpoint(paths[0])["recipe"], str(paths[0]))
    clf = load_classifier(a.classifier)
    res = clf.spec.resolution
    _, inputs, _, _ = recipe_pieces(recipe, a.source, "val", res, False, a.pieces)
    inputs = [first_bars(s, a.bars) for s in inputs]
    _, real, _, _ = recipe_pieces(recipe, a.target, "val", res, False)
    rows = []
    for path in paths:
        t0 = time.perf_counter()
        model = load(str(path))
        outputs = [model.transfer_score(s, a.target) for s in inputs]
        ev = evaluate_pairs(inputs, outputs, a.target, clf, real_target=real, source=a.source, musicality=False,
                            rule=False, n_examples=0)
        m = ev.metrics
        row = {"checkpoint": path.name, **{k: round(m.get(f"output/{k}", float("nan")), 4) for k in SHOWN},
               "identity/realism/fd": round(m["identity/realism/fd"], 4), "seconds": round(time.perf_counter() - t0, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    best = max(rows, key=lambda r: r["selection"])
    print(f"best: {best['checkpoint']} (selection {best['selection']}; "
          f"{'passes' if best['selection'] >= 0 else 'FAILS'} the realism and melody gates)")


if __name__ == "__main__":
    main()
