"""``stylegen train RECIPE [key=value ...] [--resume [PATH]]``: adversarial training.

``--resume`` alone continues the newest run of the recipe; ``--resume PATH`` a given run
folder or checkpoint.  A run that already reached ``schedule.steps`` is not "resumed" for
no steps: the command says it is complete and how to extend it, and exits 0.  A ``key=value`` word right after ``--resume`` is an override, not a
path (``stylegen train R.yaml --resume schedule.steps=40``), unless a file of that name exists.

Several GPUs or nodes: ``torchrun --nproc_per_node=N -m stylegen train RECIPE``.
"""

from __future__ import annotations

import argparse
import os
import re

from stylegen.config import load_recipe
from stylegen.errors import StylegenError

# a dotted recipe key (list items as .0 or [0]) followed by "=": what an override looks like
_OVERRIDE = re.compile(r"[A-Za-z_]\w*(?:\.\w+|\[\d+\])*=")


def looks_like_override(word: str) -> bool:
    """True for ``schedule.steps=40``; False for a path, and for a word naming an existing file."""
    return bool(_OVERRIDE.match(word)) and not os.path.exists(word)


class _Resume(argparse.Action):
    """``--resume [PATH]``: an override after it stays an override (and means "the newest run")."""

    def __call__(self, parser, namespace, value, option_string=None):
        if value is not None and looks_like_override(value):
            namespace.resume = "auto"
            namespace.overrides = [*(getattr(namespace, "overrides", None) or []), value]
            namespace.resume_overrides = [*getattr(namespace, "resume_overrides", []), value]
        else:
            namespace.resume = "auto" if value is None else value


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recipe", help="recipe YAML file")
    # a default makes the overrides optional in argparse's own "required" message
    p.add_argument("overrides", nargs="*", default=[], metavar="key=value",
                   help="dotted overrides, e.g. optim.lr_g=1e-4 device=cpu styles.pop.sources.0.path=DIR")
    p.add_argument("--resume", nargs="?", action=_Resume, default=None, metavar="PATH",
                   help="continue the newest run of this recipe, or the given run folder / checkpoint "
                        "(a key=value after --resume is an override, not a path)")
    p.set_defaults(resume_overrides=[])
    p.add_argument("--run-dir", default=None, help="write this run here instead of runs/<recipe>/<timestamp>")
    p.add_argument("--threads", type=int, default=0,
                   help="torch CPU threads per process (0 = torch's default; 1 is fastest on a busy 2-core machine)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def overrides_of(args: argparse.Namespace) -> list[str]:
    """The overrides in command-line order, with those that followed ``--resume`` (argparse
    replaces the list when the positional overrides come after the option)."""
    lost = [o for o in args.resume_overrides if o not in args.overrides]
    return [*lost, *args.overrides]


def finished_run(recipe, resume: str) -> str | None:
    """What to say when the checkpoint ``--resume`` finds has already reached the recipe's
    ``schedule.steps`` (None when there are steps left to train)."""
    from stylegen.checkpoint import load_checkpoint  # torch: only when run
    from stylegen.training.loop import KIND, find_resume  # torch too

    path = find_resume(recipe, resume)
    step = int(load_checkpoint(path, kind=KIND).get("step", 0))
    total = recipe.schedule.steps
    if step < total:
        return None
    run = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    return (f"{run} is already complete: {path.name} is at step {step} of schedule.steps={total}, so there is "
            f"nothing to resume.  To train it further, raise the steps: stylegen train {recipe.source_file} "
            f"--resume {run} schedule.steps={step + total}")


def run(args: argparse.Namespace) -> int:
    import torch  # not while the CLI builds its parser

    from stylegen.training.loop import train  # torch too

    if args.threads < 0:
        raise StylegenError(f"--threads must be >= 0, got {args.threads}")
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = load_recipe(args.recipe, overrides_of(args))
    if args.resume:  # every rank looks (all of them stop, or none), rank 0 says it
        done = finished_run(recipe, args.resume)
        if done:
            if int(os.environ.get("RANK", "0")) == 0:
                print(done)
            return 0
    last = train(recipe, resume=args.resume, run_dir=args.run_dir, progress=not args.quiet)
    if last is not None and int(os.environ.get("RANK", "0")) == 0:
        print(f"last checkpoint: {last}")
    return 0
