"""``stylegen classifier RECIPE [key=value ...] [-o PATH] [--steps N] [--corruptions SHARE] [--force]``: train the style judge.

Trains the style classifier on the recipe's real training windows, prints its validation
accuracy per style (per window and per piece) and saves a self-describing checkpoint
(default ``runs/<recipe>/classifier.pt``).  The shipped ``checkpoints/classifier.pt`` is::

    stylegen classifier recipes/pop2classical.yaml --corruptions 0.25 --threads 1 -o checkpoints/classifier.pt --force
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from stylegen.config import load_recipe
from stylegen.errors import StylegenError
from stylegen.fileio import exists_error


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recipe", help="recipe YAML file")
    p.add_argument("overrides", nargs="*", default=[], metavar="key=value",
                   help="dotted overrides, e.g. classifier_training.lr=1e-3 model.classifier.channels=24")
    p.add_argument("-o", "--output", default=None, metavar="PATH",
                   help="checkpoint to write (default: <logging.dir>/<recipe name>/classifier.pt)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: classifier_training.steps)")
    p.add_argument("--logdir", default=None, help="TensorBoard folder (default: beside the checkpoint)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    p.add_argument("--corruptions", type=float, default=0.0, metavar="SHARE",
                   help="share of training windows replaced by a corrupted copy (notes deleted, stray notes, "
                        "register shifted, sparse repeated notes) labelled with their source style (default 0)")
    p.add_argument("--force", action="store_true", help="replace an existing checkpoint at -o")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import torch  # not while the CLI builds its parser

    from stylegen.training.classifier_training import train_classifier  # torch: only when run

    if args.threads is not None:
        torch.set_num_threads(max(1, args.threads))
    recipe = load_recipe(args.recipe, args.overrides)
    out = Path(args.output) if args.output else Path(recipe.logging.dir) / recipe.name / "classifier.pt"
    if not 0.0 <= args.corruptions <= 1.0:
        raise StylegenError(f"--corruptions must be between 0 and 1, got {args.corruptions}")
    if out.exists() and not args.force:
        raise exists_error(out)
    logdir = Path(args.logdir) if args.logdir else out.parent / f"{out.stem}-tb"
    report = train_classifier(recipe, out, steps=args.steps, progress=not args.quiet, log_dir=logdir,
                              corruptions=args.corruptions)
    print(report.table())
    print(f"piece confusion [true][predicted] ({', '.join(report.styles)}): {json.dumps(report.piece_confusion)}")
    size = out.stat().st_size / 1e6
    print(f"saved {out} ({size:.2f} MB); TensorBoard: {logdir}")
    return 0
