"""The decoder judged on whole validation pieces: the easiest case first, then transfer.

    python benchmarks/eval_decoder.py [--checkpoint C] [--recipe R] [--pieces 30] \
        [--rows classical_free classical_kept pop] [--seed 0] [--strength 1] [--plan prior|retrieve] \
        [-o out.json]

Rows (each against the same reference: ``--real-pieces`` real classical piano pieces of the
train split, spread over it, so no input is among them):
- ``classical_free``: real classical validation pieces re-written as classical from their
  own content, the melody re-written too (``--free-melody``): if this is not real music,
  no transfer will be (issue 15's first target: FD within 1.5x the floor, AUC <= 0.75);
- ``classical_kept``: the same with the melody kept;
- ``pop``: pop validation songs transferred to classical, melody kept (the product).

The classical rows' inputs are the classical validation pieces, so their ``identity`` row
(the pieces unchanged) is the real-against-real floor; the report's own ``real`` row is one
half of the reference against the other.  For each row: the shipped classifier's and the feature
judge's share classified classical, melody recall, bar chroma, realism FD and two-sample
AUC with the real-vs-real floor and the identity copy beside them, the ten features that
give the outputs away most, and the figures a new user sees first: the share of notes a
16th or shorter, the share below C2, the most notes struck at once, the pitch range.
Prints one JSON object (and writes it with ``-o``).

``--plan retrieve`` replaces the prior's proposals by retrieval, as AccoMontage retrieves
phrases: each piece's plan is 4-bar phrases of codes taken from real classical train
windows (drawn at random, the seed fixed), one after another.  It compares the two ways
of planning on the same pieces; the product uses the prior (nothing of the data ships).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from stylegen.config import load_recipe
from stylegen.metrics.style_classifier import load_classifier
from stylegen.evaluation.evaluate import evaluate_pairs
from stylegen.evaluation.judge_training import train_feature_judge
from stylegen.evaluation.pieces import recipe_pieces
from stylegen.transfer import load

KEYS = ("strength/target_share", "feature_judge/target_share", "content/melody_recall", "content/chroma",
        "realism/fd", "realism/auc")


def texture_figures(scores, resolution: int) -> dict[str, float]:
    """What a new user notices first, over whole pieces (all notes, drums excluded)."""
    short, total, low, most, lo, hi = 0, 0, 0, 0, 127, 0
    sixteenth = resolution / 4
    for s in scores:
        n = s.notes
        if not len(n):
            continue
        total += len(n)
        short += int((n[:, 1] <= sixteenth).sum())
        low += int((n[:, 2] < 36).sum())
        most = max(most, int(np.bincount(n[:, 0].astype(np.int64)).max()))
        lo, hi = min(lo, int(n[:, 2].min())), max(hi, int(n[:, 2].max()))
    return {"short_share": round(short / max(total, 1), 3), "below_C2_share": round(low / max(total, 1), 3),
            "most_struck_at_once": most, "lowest": lo, "highest": hi}


def retrieval_plans(model, recipe, style: str, seed: int, windows: int = 2000):
    """A ``sample_plan`` that strings together 4-bar code phrases of real ``style`` windows."""
    import torch

    from stylegen.data.dataset import prepare
    from stylegen.data.windows import WindowDataset, collate_windows

    corpus = prepare(recipe, progress=False)
    ds = WindowDataset(corpus, "train", recipe.data.window_bars, recipe.data.hop_bars, 0, recipe.seed)
    s = list(corpus.styles).index(style)
    idx = np.flatnonzero(np.array([corpus.pieces[p].style for p in ds.index[:, 0]]) == s)
    idx = idx[np.linspace(0, len(idx) - 1, min(windows, len(idx))).round().astype(int)]
    G = model.generator
    bars = recipe.data.window_bars  # a 64-step window holds more bars in 3/4: keep its first ``bars``
    phrases = torch.cat([G.encode_plan(b["roll"], b["pos"])[:, :bars] for b in
                         (collate_windows([ds[int(i)] for i in idx[lo: lo + 256]]) for lo in range(0, len(idx), 256))])
    rng = np.random.default_rng(seed)

    def sample_plan(content, style, guidance=1.0, temperature=1.0, generator=None):
        from stylegen.data.texture import bar_ids, positions_from_content

        n = int(bar_ids(positions_from_content(content, G.bar_steps)).max()) + 1
        k = -(-n // phrases.shape[1])
        rows = [phrases[rng.integers(len(phrases), size=k)].reshape(-1)[:n] for _ in range(content.shape[0])]
        return torch.stack(rows).to(content.device)

    return sample_plan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    ap.add_argument("--pieces", type=int, default=30)
    ap.add_argument("--real-pieces", type=int, default=60, help="classical train pieces as the reference")
    ap.add_argument("--rows", nargs="*", default=["classical_free", "classical_kept", "pop"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--plan", choices=("prior", "retrieve"), default="prior")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    t_start = time.perf_counter()
    model = load(args.checkpoint)
    recipe = load_recipe(args.recipe, args.set)
    clf = load_classifier()
    res = clf.spec.resolution
    judge = train_feature_judge(recipe, clf.spec)
    if args.plan == "retrieve":
        model.generator.sample_plan = retrieval_plans(model, recipe, "classical", args.seed)
    _, own, _, _ = recipe_pieces(recipe, "classical", "val", res, progress=False, limit=args.pieces, spread=True)
    _, real, _, _ = recipe_pieces(recipe, "classical", "train", res, progress=False, limit=args.real_pieces,
                                  spread=True)
    out: dict = {"checkpoint": str(args.checkpoint or "shipped"), "seed": args.seed, "strength": args.strength,
                 "plan": args.plan,
                 "real_pieces": len(real), "real_texture": texture_figures(real, res), "rows": {}}
    for row in args.rows:
        t0 = time.perf_counter()
        if row == "pop":
            _, inputs, _, _ = recipe_pieces(recipe, "pop", "val", res, progress=False, limit=args.pieces, spread=True)
        else:
            inputs = own
        outputs = model.transfer_scores(inputs, "classical", strength=args.strength, seed=args.seed,
                                        free_melody=row == "classical_free")
        t_transfer = time.perf_counter() - t0
        ev = evaluate_pairs(inputs, outputs, "classical", clf, real_target=real, source="pop" if row == "pop" else None,
                            musicality=False, rule=row == "pop", feature_judge=judge)
        m = ev.metrics
        r = {"pieces": len(inputs), "seconds_to_transfer": round(t_transfer, 1)}
        for name in ("output", "identity", "real", "rule"):
            vals = {k: round(m[f"{name}/{k}"], 3) for k in KEYS if f"{name}/{k}" in m and np.isfinite(m[f"{name}/{k}"])}
            if vals:
                r[name] = vals
        r["texture"] = texture_figures(outputs, res)
        r["input_texture"] = texture_figures(inputs, res)
        r["giveaway"] = [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in g.items()
                          if k in ("feature", "label", "output", "real", "identity")} for g in ev.giveaway[:10]]
        r["beyond_half_sd"] = int(sum(abs(g["output"]) > 0.5 for g in ev.giveaway))
        out["rows"][row] = r
        print(row, json.dumps(r), flush=True)
    out["seconds"] = round(time.perf_counter() - t_start, 1)
    text = json.dumps(out, indent=1)
    print(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
