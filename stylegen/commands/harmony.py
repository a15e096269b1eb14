"""``stylegen harmony RECIPE [key=value ...] --into CHECKPOINT [-o OUT] [--force]``: train the
harmony model of a recipe and add it to an existing generator checkpoint.

    stylegen harmony recipes/pop2classical.yaml --into checkpoints/pop2classical.pt            # in place
    stylegen harmony recipes/pop2classical.yaml --into checkpoints/pop2classical.pt -o /tmp/with_harmony.pt
    stylegen harmony --from /tmp/with_harmony.pt --into runs/pop2classical/RUN/checkpoints/best.pt   # no training

Only the harmony part is trained (``model.harmony``, by likelihood on every style's train
split, ``training/harmony.py``); the generator, discriminator, optimiser and RNG states,
step and recipe of the checkpoint are kept as they are.  ``--from`` copies the harmony part
of another checkpoint instead of training one.  The checkpoint's styles and content spec
must be the recipe's (or the other checkpoint's), checked before any training.  The file is
written atomically (a temp file renamed into place); a checkpoint that already has a
harmony part, or an ``-o`` that exists, is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stylegen.config import load_recipe
from stylegen.data.dataset import prepare
from stylegen.errors import StylegenError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("recipe", nargs="?", default=None, help="recipe YAML file (its data, content and model.harmony)")
    p.add_argument("overrides", nargs="*", default=[], metavar="key=value",
                   help="dotted overrides, e.g. model.harmony.steps=2000 model.harmony.hidden_size=128")
    p.add_argument("--into", required=True, metavar="CHECKPOINT",
                   help="the generator checkpoint that gets the harmony part (written in place unless -o)")
    p.add_argument("-o", "--output", default=None, metavar="PATH",
                   help="write the checkpoint with the harmony part here instead (the --into file is not changed)")
    p.add_argument("--from", dest="source", default=None, metavar="CHECKPOINT",
                   help="take the harmony part of this checkpoint instead of training one")
    p.add_argument("--force", action="store_true",
                   help="replace a harmony part the checkpoint already has, or an existing -o file")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads for training (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _nll_table(meta: dict) -> list[str]:
    v = meta.get("val_nll") or {}
    styles = meta.get("styles") or []
    if not v.get("model"):
        return []
    rows = ["validation NLL per block (nats):", f"  {'style':<10} {'blocks':>7} {'model':>7} {'+melody':>8} "
            f"{'bigram':>7} {'bigram 12 keys':>14}"]
    for s in styles:
        rows.append(f"  {s:<10} {v.get('blocks', {}).get(s, 0):>7} {v['model'].get(s, float('nan')):>7.3f} "
                    f"{v.get('model_with_melody', {}).get(s, float('nan')):>8.3f} "
                    f"{v.get('bigram', {}).get(s, float('nan')):>7.3f} {v.get('bigram_12_keys', {}).get(s, float('nan')):>14.3f}")
    rows.append(f"  {'all':<10} {sum(v.get('blocks', {}).values()):>7} {v.get('model_all', float('nan')):>7.3f} "
                f"{v.get('model_with_melody_all', float('nan')):>8.3f} {v.get('bigram_all', float('nan')):>7.3f} "
                f"{v.get('bigram_12_keys_all', float('nan')):>14.3f}")
    return rows


def run(args: argparse.Namespace) -> int:
    from stylegen.checkpoint import check_harmony_fits, harmony_part, load_checkpoint, put_harmony  # torch: only when run

    into = Path(args.into)
    out = Path(args.output) if args.output else into
    if (args.recipe is None) == (args.source is None):
        raise StylegenError("give a recipe to train the harmony model, or --from CHECKPOINT to copy one (not both)")
    if args.recipe is None and args.overrides:
        raise StylegenError(f"overrides {' '.join(args.overrides)} need a recipe")
    if args.threads < 1:
        raise StylegenError(f"--threads must be at least 1, got {args.threads}")
    if out != into and out.exists() and not args.force:
        raise StylegenError(f"{out} already exists: use --force to overwrite")
    target = load_checkpoint(into, kind="gan")  # a missing or foreign checkpoint fails before any work
    if "content" not in target:
        raise StylegenError(f"{into}: a checkpoint of the old frame-wise generator (no content spec): "
                            "the harmony part needs a texture-generator checkpoint")
    if harmony_part(target) is not None and not args.force:
        raise StylegenError(f"{into}: already has a harmony part: use --force to replace it")

    if args.source is not None:
        src = load_checkpoint(args.source, kind="gan")
        part = harmony_part(src)
        if part is None:
            raise StylegenError(f"{args.source}: has no harmony part to copy")
        weights, config, meta = part
        check_harmony_fits(target, meta, str(into))
        del target
        put_harmony(out, weights, config, meta, src=into, replace=True)
        if not args.quiet:
            print(f"wrote {out}: the harmony part of {args.source} (trained on {meta.get('recipe', '?')}, "
                  f"{meta.get('steps', '?')} steps)")
        return 0

    from stylegen.training.harmony import content_spec, train_harmony  # torch: only when run

    recipe = load_recipe(args.recipe, args.overrides)
    cspec = content_spec(recipe)
    check_harmony_fits(target, {"styles": recipe.style_names, "content": cspec.to_dict()}, str(into))
    if target["spec"].get("resolution") != recipe.roll.resolution:
        raise StylegenError(f"{into}: roll resolution {target['spec'].get('resolution')} != the recipe's "
                            f"{recipe.roll.resolution}")
    del target  # the checkpoint is read again when the part is written: nothing held for minutes
    corpus = prepare(recipe, progress=not args.quiet)
    part = train_harmony(recipe, corpus, cspec, progress=not args.quiet, threads=args.threads)
    put_harmony(out, part.state_dict, part.config, part.meta, src=into, replace=True)
    if not args.quiet:
        for line in _nll_table(part.meta):
            print(line)
        print(f"wrote {out}: harmony model trained on {recipe.name} ({part.meta['steps']} steps, "
              f"{part.meta['train_seconds']:.0f} s)")
    return 0
