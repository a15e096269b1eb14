"""Score every checkpoint of a run on one style pair, at the window level.

    python benchmarks/sweep_checkpoints.py runs/pop2classical/release --source pop --target classical

For each `step-*.pt` of the run: transfer a fixed, evenly spaced sample of the source
style's validation windows (every 25th, at most 160), each after its `data.context_bars` of
warm-up (as in training; the warm-up is not judged), to the target, and print the
shipped classifier's strength (share of windows called the target, mean target
probability), chroma similarity and onset F1 (stylegen.metrics.window), the note density
ratio, and ``combined_score`` (0.5 target prob + 0.25 chroma + 0.25 onset F1).  The release
checkpoint is the one with the best combined score among those meeting the content
targets (chroma >= 0.6, onset F1 >= 0.5); `stylegen evaluate` then scores it on whole pieces.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylegen.checkpoint import build_model, load_checkpoint  # noqa: E402
from stylegen.config import recipe_from_dict  # noqa: E402
from stylegen.data.dataset import prepare  # noqa: E402
from stylegen.data.roll import canonical_roll  # noqa: E402
from stylegen.data.windows import WindowDataset, collate_windows  # noqa: E402
from stylegen.metrics.classifier import load_classifier  # noqa: E402
from stylegen.metrics.score import combined_score  # noqa: E402
from stylegen.metrics.window import window_metrics  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", nargs="+", help="a run folder (runs/<recipe>/<run>) or checkpoint files")
    ap.add_argument("--source", default="pop")
    ap.add_argument("--target", default="classical")
    ap.add_argument("--every", type=int, default=25)
    ap.add_argument("--max-windows", type=int, default=160)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    first_arg = Path(a.run[0])
    paths = sorted((first_arg / "checkpoints").glob("step-*.pt")) if first_arg.is_dir() else [Path(p) for p in a.run]
    first = load_checkpoint(paths[0], kind="gan")
    recipe = recipe_from_dict(first["recipe"], str(paths[0]))
    corpus = prepare(recipe)
    d = recipe.data
    ctx = d.context_bars * 4 * recipe.roll.resolution  # warm-up steps before each judged window, as in training
    ds = WindowDataset(corpus, "val", d.window_bars + d.context_bars, d.hop_bars, 0, recipe.seed)
    src = corpus.styles.index(a.source)
    idx = [i for i in range(len(ds)) if corpus.pieces[ds.index[i, 0]].style == src][:: a.every][: a.max_windows]
    x_full = collate_windows([ds[i] for i in idx])["roll"]  # (B, C, ctx + T, P)
    x = x_full[:, :, ctx:]
    clf = load_classifier()
    tgt_clf = torch.full((len(x),), clf.index(a.target))
    rows = []
    for path in paths:
        ck = load_checkpoint(path, kind="gan")
        g = build_model(ck, "generator").eval()
        with torch.no_grad():
            style = torch.full((len(x),), ck["styles"].index(a.target))
            logits, _ = g(x_full, style, generator=torch.Generator().manual_seed(a.seed))
        y = canonical_roll((torch.sigmoid(logits[:, :, ctx:]) > 0.5).float())  # what a MIDI file of it holds
        m = window_metrics(x, y, tgt_clf, corpus.spec, classifier=clf)
        m["density_ratio"] = (y[:, 1].mean() / x[:, 1].mean()).item()
        m["score"] = combined_score(m)
        m["meets_content"] = m["content/chroma"] >= 0.6 and m["content/onset_f1"] >= 0.5
        rows.append({"checkpoint": path.name, "step": ck["step"], **{k: round(v, 4) if isinstance(v, float) else v
                                                                      for k, v in m.items()}})
        print(json.dumps(rows[-1]))
    ok = [r for r in rows if r["meets_content"]]
    if ok:
        best = max(ok, key=lambda r: r["score"])
        print(f"best: {best['checkpoint']} (step {best['step']}, score {best['score']})")


if __name__ == "__main__":
    main()
