"""The adapt gap: a style added by ``stylegen adapt`` against the same style trained jointly.

    python benchmarks/adapt_gap.py --joint checkpoints/pop2classical.pt \
        --base BASE.pt --adapted all=ADAPTED_ALL.pt 50=ADAPTED_50.pt \
        [--style folk] [--source pop] [--pieces 30] [--bars 32] [--real-limit 60] [--set data_root=...] \
        [--cache DIR]

BASE is a checkpoint trained on the recipe without ``--style`` (the leave-one-out run);
each ADAPTED one is BASE with the style added from its folder.  For every checkpoint:

- transfers: ``--pieces`` validation pieces of ``--source`` re-written in ``--style``;
- compositions: ``--pieces`` pieces of ``--bars`` bars in ``--style`` (seeds 0..N-1);
each judged by realism (Fréchet distance and two-sample AUC of window features, against
the style's validation pieces of the joint recipe: pieces no model trained on) and by the
shipped classifier (the share of pieces it calls ``--style``).  Context rows: the source
pieces untouched (the wrong style) and the style's own train pieces (real music: the floor).
The easiest case beside them: ``--pieces`` of the style's own validation pieces re-written in
it from their own content (melody kept), against the style's train pieces, with the pieces
unchanged as the floor.  With BASE, a row of where a new style starts: BASE with no style at all (strength 0).
Then the old styles: the same source pieces re-written as ``--old-target`` by BASE and by
every ADAPTED checkpoint (identical by construction: only new rows train) and the joint one.
Prints one JSON object; the gap is (FD_adapted - FD_joint) / FD_joint.  With ``--cache DIR``
each checkpoint's rows are kept in DIR/<label>.json and read back on a later run (the joint
model can be judged while the leave-one-out run is still training).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from stylegen.config import load_recipe
from stylegen.evaluation.pieces import recipe_pieces
from stylegen.metrics.realism import realism_rows
from stylegen.metrics.style_classifier import load_classifier
from stylegen.transfer import load


def share(clf, scores, style: str) -> float:
    return round(float(np.mean([clf.styles[int(np.argmax(clf.piece_probs(s)))] == style for s in scores])), 3)


def rows_of(metrics: dict) -> dict:
    return {k: round(v, 3) for k, v in metrics.items() if k.endswith(("/fd", "/auc"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--joint", required=True)
    ap.add_argument("--base", default=None)
    ap.add_argument("--adapted", nargs="*", default=[], metavar="LABEL=PATH")
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    ap.add_argument("--style", default="folk")
    ap.add_argument("--source", default="pop")
    ap.add_argument("--old-target", default="classical")
    ap.add_argument("--pieces", type=int, default=30)
    ap.add_argument("--bars", type=int, default=32)
    ap.add_argument("--real-limit", type=int, default=60)
    ap.add_argument("--cache", default=None, metavar="DIR")
    args = ap.parse_args()
    cache = Path(args.cache) if args.cache else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)

    def cached(label: str, compute):
        f = cache / f"{label}.json" if cache else None
        if f is not None and f.is_file():
            return json.loads(f.read_text())
        row = compute()
        if f is not None:
            f.write_text(json.dumps(row))
        return row

    recipe = load_recipe(args.recipe, args.set)
    clf = load_classifier()
    spec = clf.spec
    res = spec.resolution
    t0 = time.perf_counter()
    _, real, n_real, _ = recipe_pieces(recipe, args.style, "val", res, False, limit=args.real_limit, spread=True)
    _, floor, _, _ = recipe_pieces(recipe, args.style, "train", res, False, limit=args.real_limit, spread=True)
    _, inputs, _, _ = recipe_pieces(recipe, args.source, "val", res, False, limit=args.pieces, spread=True)
    _, old_real, _, _ = recipe_pieces(recipe, args.old_target, "val", res, False, limit=args.real_limit, spread=True)
    out: dict = {"style": args.style, "source": args.source, "pieces": args.pieces, "bars": args.bars,
                 "real_val_pieces": len(real), "of": n_real}
    ctx, _ = realism_rows({"input": inputs, "real": floor}, real, spec, split=False)
    out["context"] = {**rows_of(ctx), "input/classified": share(clf, inputs, args.style),
                      "real/classified": share(clf, floor, args.style)}
    print("context", json.dumps(out["context"]), flush=True)
    models = {"joint": args.joint, **dict(a.split("=", 1) for a in args.adapted)}
    def judge_new_style(path: str, strength: float | None = None) -> dict:
        m = load(path)
        t1 = time.perf_counter()
        style, kw = (args.style, {}) if strength is None else (m.styles[0], {"strength": strength})
        transfers = [m.transfer_score(s, style, seed=i, **kw) for i, s in enumerate(inputs)]
        comps = [m.generate_score(style=style, bars=args.bars, seed=i, **kw) for i in range(args.pieces)]
        met, _ = realism_rows({"transfer": transfers, "composition": comps}, real, spec, split=False)
        return {**rows_of(met), "transfer/classified": share(clf, transfers, args.style),
                "composition/classified": share(clf, comps, args.style),
                "notes_per_beat": round(float(np.mean([len(s.notes) / max(1, s.length / res) for s in transfers])), 2),
                "seconds": round(time.perf_counter() - t1, 1)}

    def judge_old_style(path: str) -> dict:
        m = load(path)
        ys = [m.transfer_score(s, args.old_target, seed=i) for i, s in enumerate(inputs)]
        met, _ = realism_rows({"transfer": ys}, old_real, spec, split=False)
        return {**rows_of(met), "classified": share(clf, ys, args.old_target), "notes": int(sum(len(y.notes) for y in ys))}

    if args.base:  # the base with no style (strength 0): where a new row starts, before it trains
        out["base-no-style"] = cached("base-no-style", lambda: judge_new_style(args.base, strength=0.0))
        print("base-no-style", json.dumps(out["base-no-style"]), flush=True)
    for label, path in models.items():
        row = cached(label, lambda: judge_new_style(path))
        out[label] = row
        print(label, json.dumps(row), flush=True)
    # the easiest case: folk's own validation pieces re-written as folk from their own content
    # (melody kept), against folk train pieces; the pieces unchanged give the floor
    _, own_in, _, _ = recipe_pieces(recipe, args.style, "val", res, False, limit=args.pieces, spread=True)

    def judge_own(path: str) -> dict:
        m = load(path)
        ys = [m.transfer_score(s, args.style, seed=i) for i, s in enumerate(own_in)]
        met, _ = realism_rows({"own": ys, "identity": own_in}, floor, spec, split=False)
        return {**rows_of(met), "own/classified": share(clf, ys, args.style)}

    for label, path in models.items():
        out[label].update(cached(f"{label}-own", lambda: judge_own(path)))
        print(label, "own", json.dumps({k: v for k, v in out[label].items() if k.startswith(("own", "identity"))}),
              flush=True)
    for label in list(models)[1:]:  # the adapted ones
        for kind in ("transfer", "composition"):
            j, a = out["joint"][f"{kind}/realism/fd"], out[label][f"{kind}/realism/fd"]
            out[label][f"{kind}/gap"] = round((a - j) / j, 3)
    old = {}
    for label, path in (({"base": args.base} if args.base else {}) | models).items():
        old[label] = cached(f"{label}-{args.old_target}", lambda: judge_old_style(path))
        print(f"{args.source}->{args.old_target}", label, json.dumps(old[label]), flush=True)
    out[f"{args.source}->{args.old_target}"] = old
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
