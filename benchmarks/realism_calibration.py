"""Measurements behind the realism descriptor and its shrinkage (docs/metrics.md).

    python benchmarks/realism_calibration.py [--recipe recipes/pop2classical.yaml] [--classifier PATH]

1. Shrinkage.  The Fréchet distance of n windows of real classical validation pieces to the
   classical training windows (the floor) and of n pop validation windows to the same, for
   several n, with a plain and a Ledoit-Wolf covariance (mean of 5 draws).  A plain
   covariance of 60 features inflates small samples' distances; what matters is that the
   floor stays small and the gap stays readable at the window counts evaluations have.
2. Descriptor or classifier embedding.  The distance of corrupted pop validation windows
   (metrics/corruptions.py) to the pop training windows, as a multiple of the uncorrupted
   pop validation windows' distance, with the musical descriptors and with the classifier's
   penultimate layer (the FID-like choice).  An embedding that barely moves under a
   corruption inherits the classifier's blind spot to it.
Windows: 4 bars at every 2nd bar line, as the classifier and the evaluation cut them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylegen.config import load_recipe  # noqa: E402
from stylegen.data.dataset import prepare  # noqa: E402
from stylegen.data.roll import notes_to_roll  # noqa: E402
from stylegen.data.windows import WindowDataset  # noqa: E402
from stylegen.metrics.style_classifier import load_classifier  # noqa: E402
from stylegen.metrics.corruptions import CORRUPTIONS, corrupt  # noqa: E402
from stylegen.metrics.realism import descriptors, frechet_distance, standardiser  # noqa: E402


def windows(ds: WindowDataset, style: int, max_n: int, rng, kind: str | None = None) -> np.ndarray:
    idx = [i for i in range(len(ds)) if ds.corpus.pieces[ds.index[i, 0]].style == style]
    if len(idx) > max_n:
        idx = sorted(rng.choice(idx, max_n, replace=False).tolist())
    out = np.zeros((len(idx), 2, ds.window, ds.spec.n_pitches), dtype=bool)
    crng = np.random.default_rng(1)
    for j, i in enumerate(idx):
        _, start, notes = ds.window_notes(i)
        if kind is not None:
            notes = corrupt(notes, kind, crng, ds.spec.resolution)
        out[j] = notes_to_roll(notes, ds.spec, start, ds.window)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", default=str(ROOT / "recipes" / "pop2classical.yaml"))
    ap.add_argument("--classifier", default=None)
    ap.add_argument("--max-windows", type=int, default=3000)
    a = ap.parse_args()
    torch.set_num_threads(1)
    recipe = load_recipe(a.recipe, [])
    corpus = prepare(recipe)
    spec = corpus.spec
    rng = np.random.default_rng(0)
    train = WindowDataset(corpus, "train", 4, 2)
    val = WindowDataset(corpus, "val", 4, 2)
    pop, cla = corpus.styles.index("pop"), corpus.styles.index("classical")
    t0 = time.perf_counter()
    d_cla_train = descriptors(windows(train, cla, a.max_windows, rng), spec)
    d_cla_val = descriptors(windows(val, cla, a.max_windows, rng), spec)
    d_pop_val = descriptors(windows(val, pop, a.max_windows, rng), spec)
    print(f"descriptors: classical train {len(d_cla_train)}, classical val {len(d_cla_val)}, pop val "
          f"{len(d_pop_val)} windows ({time.perf_counter() - t0:.1f} s)")
    st = standardiser(d_cla_train)
    print("\n1. FD to classical training windows, n windows per draw (mean of 5 draws)\n")
    print("| n | real classical, plain | real classical, shrunk | pop, plain | pop, shrunk | pop/real plain | pop/real shrunk |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (50, 100, 200, 500, 1000):
        if n > min(len(d_cla_val), len(d_pop_val)):
            break
        r = {}
        for name, d in (("real", d_cla_val), ("pop", d_pop_val)):
            for shrink in (False, True):
                vals = [frechet_distance(d[rng.choice(len(d), n, replace=False)], d_cla_train, shrink=shrink,
                                         standardise=st) for _ in range(5)]
                r[name, shrink] = float(np.mean(vals))
        print(f"| {n} | {r['real', False]:.2f} | {r['real', True]:.2f} | {r['pop', False]:.2f} | {r['pop', True]:.2f} "
              f"| {r['pop', False] / r['real', False]:.2f} | {r['pop', True] / r['real', True]:.2f} |", flush=True)

    clf = load_classifier(a.classifier)
    lo = spec.lowest_pitch - clf.spec.lowest_pitch

    def embed(w: np.ndarray) -> np.ndarray:
        x = torch.zeros((len(w), 2, w.shape[2], clf.spec.n_pitches))
        x[..., lo: lo + spec.n_pitches] = torch.from_numpy(w).float()
        with torch.no_grad():
            return torch.cat([clf.model.embed(x[i: i + 256]) for i in range(0, len(x), 256)]).numpy()

    w_pop_train = windows(train, pop, a.max_windows, rng)
    ref_d, ref_e = descriptors(w_pop_train, spec), embed(w_pop_train)
    w_pop_val = windows(val, pop, a.max_windows, np.random.default_rng(5))
    base_d = frechet_distance(descriptors(w_pop_val, spec), ref_d)
    base_e = frechet_distance(embed(w_pop_val), ref_e)
    print(f"\n2. FD of corrupted pop val windows to pop training windows, as a multiple of uncorrupted pop val's "
          f"(descriptors {base_d:.2f}, classifier embedding {base_e:.2f}; classifier {clf.path})\n")
    print("| corruption | descriptors | classifier embedding |")
    print("|---|---:|---:|")
    for kind in CORRUPTIONS:
        w = windows(val, pop, a.max_windows, np.random.default_rng(5), kind)
        fd_d = frechet_distance(descriptors(w, spec), ref_d)
        fd_e = frechet_distance(embed(w), ref_e)
        print(f"| {kind} | {fd_d / base_d:.1f}x | {fd_e / base_e:.1f}x |", flush=True)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
