"""Training throughput of the default pop2classical model: steps/s, frames/s, peak memory.

    python benchmarks/bench_train.py [--steps 20] [--device cpu|cuda] [--threads N] [key=value ...]

Times both kinds of step on random-content batches shaped like the recipe's windows, after
3 warm-up steps, so the figure does not depend on the data being present: the likelihood
step (teacher-forced NLL) and the adversarial step (likelihood + a relaxed roll-out of
``schedule.rollout_steps`` steps, a D update and G's adversarial/style/content losses).
Overrides change the model, e.g. model.generator.hidden_size=256.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stylegen.config import load_recipe  # noqa: E402
from stylegen.data.dataset import Corpus, Piece  # noqa: E402
from stylegen.data.roll import RollSpec  # noqa: E402
from stylegen.training.loop import Trainer  # noqa: E402


def synthetic_corpus(recipe, n_pieces: int = 64) -> Corpus:
    """Random pieces (8 notes a beat, 64 bars) so the benchmark needs no data."""
    import numpy as np

    spec = RollSpec.from_config(recipe.roll)
    rng = np.random.default_rng(0)
    pieces = []
    for i in range(n_pieces):
        n = 64 * 4 * 8
        on = np.sort(rng.integers(0, 64 * 16 * spec.resolution // 4 * 4, n))
        notes = np.stack([on, rng.integers(1, 8, n), rng.integers(spec.lowest_pitch + 12, spec.highest_pitch - 12, n),
                          np.full(n, 80), np.zeros(n, int)], 1).astype(np.int32)
        pieces.append(Piece(key=f"p{i}", style=i % len(recipe.styles), notes=notes,
                            bars=np.arange(0, 64 * 16, 16, dtype=np.int64), length=64 * 16,
                            split="val" if i % 8 == 0 else "train"))
    return Corpus(spec=spec, styles=recipe.style_names, pieces=pieces, reports={}, cache_dir=Path("."))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--recipe", default=str(ROOT / "recipes" / "pop2classical.yaml"))
    ap.add_argument("overrides", nargs="*")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    recipe = load_recipe(a.recipe, [*a.overrides, "logging.progress=false"], check_data=False)
    device = torch.device(a.device)
    t = Trainer(recipe, synthetic_corpus(recipe), device, None, progress=False)

    def timed(step0: int, adversarial: bool) -> float:
        t.step = 0 if not adversarial else recipe.schedule.adversarial_start
        for s in range(3):
            t.train_step(t.stream.batch(step0 + s))
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for s in range(a.steps):
            t.train_step(t.stream.batch(step0 + 3 + s))
        if device.type == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - t0) / a.steps

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    dt_lik = timed(0, False)
    dt_adv = timed(100, True)
    g = sum(p.numel() for p in t.G.parameters())
    d = sum(p.numel() for p in t.D.parameters())
    frames = recipe.schedule.batch_size * t.train_ds.window
    out = {
        "device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads(), "batch_size": recipe.schedule.batch_size,
        "window_steps": t.train_ds.window, "G_params": g, "D_params": d,
        "likelihood_seconds_per_step": round(dt_lik, 4), "likelihood_frames_per_second": round(frames / dt_lik),
        "adversarial_seconds_per_step": round(dt_adv, 4), "adversarial_frames_per_second": round(frames / dt_adv),
        "peak_rss_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if device.type == "cuda":
        out["peak_cuda_MB"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
