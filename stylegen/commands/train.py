"""``stylegen train RECIPE [key=value ...] [--resume [PATH]]``: adversarial training.

Several GPUs or nodes: ``torchrun --nproc_per_node=N -m stylegen train RECIPE``.
"""

from __future__ import annotations

import argparse

from stylegen.config import load_recipe


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recipe", help="recipe YAML file")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="dotted overrides, e.g. optim.lr_g=1e-4 device=cpu")
    p.add_argument("--resume", nargs="?", const="auto", default=None, metavar="PATH",
                   help="continue the newest run of this recipe, or the given run folder / checkpoint")
    p.add_argument("--run-dir", default=None, help="write this run here instead of runs/<recipe>/<timestamp>")
    p.add_argument("--threads", type=int, default=0,
                   help="torch CPU threads per process (0 = torch's default; 1 is fastest on a busy 2-core machine)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import os

    import torch

    from stylegen.errors import StylegenError
    from stylegen.training.gan import train

    if args.threads < 0:
        raise StylegenError(f"--threads must be >= 0, got {args.threads}")
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = load_recipe(args.recipe, args.overrides)
    last = train(recipe, resume=args.resume, run_dir=args.run_dir, progress=not args.quiet)
    if last is not None and int(os.environ.get("RANK", "0")) == 0:
        print(f"last checkpoint: {last}")
    return 0
