"""Which guidance scale should ``--strength`` default to?  A sweep on whole validation pieces.

    python benchmarks/sweep_strength.py --checkpoint checkpoints/pop2classical.pt \
        [--source pop --target classical] [--pieces 8] [--strengths 0,1,1.5,2,3] [--seed 0]

The first ``--pieces`` validation pieces of ``--source`` (the checkpoint's own recipe and
split) are transferred whole to ``--target``, melody kept, all pieces of one strength in one
batched pass, at each strength.  For each strength: the share of pieces the shipped
classifier (checkpoints/classifier.pt) calls the target and its mean probability of the
target; bar chroma similarity with the input (metrics/preservation.py); the kept melody's
recall (metrics/melody.py: 1.0 by construction); notes per beat of the accompaniment
against the input's; seconds.  Prints a table and a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--source", default="pop")
    ap.add_argument("--target", default="classical")
    ap.add_argument("--pieces", type=int, default=8)
    ap.add_argument("--strengths", default="0,1,1.5,2,3", type=lambda s: [float(x) for x in s.split(",")])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-bars", type=int, default=None, help="cut each piece to its first N bars (faster)")
    a = ap.parse_args()

    from stylegen.checkpoint import load_checkpoint
    from stylegen.config import recipe_from_dict
    from stylegen.data.score import TRACK
    from stylegen.metrics.style_classifier import load_classifier
    from stylegen.metrics.preservation import chroma_similarity
    from stylegen.metrics.melody import melody_recall
    from stylegen.evaluation.pieces import recipe_pieces
    from stylegen.transfer import load

    load_avg = os.getloadavg()[0]
    model = load(a.checkpoint)
    recipe = recipe_from_dict(load_checkpoint(a.checkpoint)["recipe"], f"{a.checkpoint} (its recipe)")
    names, scores, total, how = recipe_pieces(recipe, a.source, "val", model.spec.resolution, False, a.pieces)
    if a.max_bars:
        for s in scores:
            end = a.max_bars * 4 * s.resolution
            s.notes = s.notes[s.notes[:, 0] < end]
            s.notes[:, 1] = np.minimum(s.notes[:, 1], end - s.notes[:, 0])
            s.length = min(s.length, end)
    clf = load_classifier()
    t_idx = clf.index(a.target)
    beats = sum(s.n_beats for s in scores)
    in_density = sum(len(s.notes) for s in scores) / beats
    rows = []
    for g in a.strengths:
        t = time.perf_counter()
        outs = model.transfer_scores(scores, a.target, strength=g, seed=a.seed)
        secs = time.perf_counter() - t
        p = clf.classify(outs)
        acc = [o.notes[o.notes[:, TRACK] == (1 if o.melody_track is not None else 0)] for o in outs]
        rows.append({
            "strength": g,
            "as_target": float(np.mean(np.nanargmax(p, axis=1) == t_idx)),
            "p_target": float(np.nanmean(p[:, t_idx])),
            "chroma": float(np.nanmean([chroma_similarity(i, o) for i, o in zip(scores, outs)])),
            "melody_recall": float(np.nanmean([melody_recall(i, o) for i, o in zip(scores, outs)])),
            "notes_per_beat": sum(len(x) for x in acc) / beats,
            "seconds": round(secs, 1),
        })
        r = rows[-1]
        print(f"strength {g:4g}: {r['as_target']:.0%} as {a.target}, p {r['p_target']:.3f}, chroma "
              f"{r['chroma']:.3f}, melody recall {r['melody_recall']:.3f}, accompaniment "
              f"{r['notes_per_beat']:.2f} notes/beat (input {in_density:.2f} all notes), {secs:.1f} s", flush=True)
    p_in = clf.classify(scores)
    summary = {
        "checkpoint": a.checkpoint, "step": model.info.get("step"), "source": a.source, "target": a.target,
        "pieces": names, "val_pieces_total": total, "beats": beats, "max_bars": a.max_bars,
        "inputs_as_target": float(np.mean(np.nanargmax(p_in, axis=1) == t_idx)),
        "inputs_p_target": float(np.nanmean(p_in[:, t_idx])),
        "classifier_styles": clf.styles, "load_avg_1m_at_start": round(load_avg, 2), "rows": rows,
    }
    print(json.dumps(summary, indent=1, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x))


if __name__ == "__main__":
    main()
