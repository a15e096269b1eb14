"""``stylegen evaluate``: score style transfers and write a report.

Two folders of MIDI paired by file name (any system's outputs; ``NAME.<target>.mid``, what
``stylegen transfer`` writes for a folder, pairs with ``NAME.mid``)::

    stylegen evaluate --inputs DIR_IN --outputs DIR_OUT --target classical [--source pop]
                      [--classifier PATH] [--real DIR | --recipe R.yaml] [-o REPORT_DIR]

A GAN checkpoint, transferring the validation pieces of the source style itself::

    stylegen evaluate CHECKPOINT --recipe R.yaml --source pop --target classical [--pair]

Both write REPORT_DIR/report.json, report.md, plots/*.png and TensorBoard events
(REPORT_DIR/tensorboard, or --logdir); an existing, non-empty REPORT_DIR is kept unless
--force.  Rows: output, identity, rule baseline and real target (docs/metrics.md).  The
library code is in stylegen/evaluation/ (pieces.py, checkpoint_eval.py, evaluate.py, report.py), the
measures in stylegen/metrics/.  Real target pieces for the context row and the
musicality overlap come from --real DIR, or from a recipe's validation split of the target
style (--recipe, or --real R.yaml); without either, from the classifier's own recipe when
its data is on this machine.  Beside the classifier, a second judge of style (a classifier
on the realism features, metrics/feature_judge.py) is trained in a few seconds on the same
recipe's real train pieces (--no-feature-judge skips it), and the report holds "what gives
it away" (realism.giveaway).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from stylegen.config import load_recipe
from stylegen.errors import StylegenError
from stylegen.fileio import style_slug


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", nargs="?", default=None,
                   help="a GAN checkpoint: transfer the recipe's validation pieces of --source and score them")
    p.add_argument("--inputs", metavar="DIR_IN", help="folder of input MIDI files (paired with --outputs by name)")
    p.add_argument("--outputs", metavar="DIR_OUT", help="folder of transferred MIDI files")
    p.add_argument("--target", required=True, help="the style the outputs should have")
    p.add_argument("--source", default=None, help="the style of the inputs (enables Brunner et al.'s strength S)")
    p.add_argument("--cycles", metavar="DIR", default=None,
                   help="folder of outputs transferred back to --source (paired by name), for S with the way back")
    p.add_argument("--classifier", default=None, metavar="PATH",
                   help="style classifier checkpoint (default: the shipped checkpoints/classifier.pt)")
    p.add_argument("--real", default=None, metavar="DIR|RECIPE",
                   help="real pieces of the target style: a folder of MIDI, or a recipe (its val split)")
    p.add_argument("--recipe", default=None, metavar="R.yaml",
                   help="recipe: its val split gives the real target pieces (and, with a checkpoint, the sources)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="key=value",
                   help="override a recipe key, e.g. --set data_root=/data (repeatable)")
    p.add_argument("-o", "--output", default=None, metavar="REPORT_DIR",
                   help="report folder (default: reports/<source>2<target>-<time>)")
    p.add_argument("--logdir", default=None, help="TensorBoard folder (default: REPORT_DIR/tensorboard)")
    p.add_argument("--max-pieces", type=int, default=None,
                   help="checkpoint mode: transfer at most N validation pieces (the first N by name)")
    p.add_argument("--pair", action="store_true",
                   help="checkpoint mode: also transfer target -> source and report S_tot of the pair")
    p.add_argument("--save-midi", action="store_true", help="checkpoint mode: write the outputs to REPORT_DIR/midi")
    p.add_argument("--examples", type=int, default=4, help="input/output piano-roll plots to draw (default 4)")
    p.add_argument("--no-musicality", action="store_true", help="skip the muspy metrics (faster)")
    p.add_argument("--no-feature-judge", action="store_true",
                   help="skip the second judge of style (a classifier on the realism features, trained here "
                        "on the recipe's real pieces in a few seconds)")
    p.add_argument("--device", default="cpu", help="device for the classifier (and the transfer model)")
    p.add_argument("--force", action="store_true", help="write into an existing, non-empty report folder")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import torch  # not while the CLI builds its parser

    with torch.no_grad():  # scoped: main() may run in a process that trains afterwards
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    # torch comes with these: not while the CLI builds its parser
    from stylegen.evaluation import evaluate_pairs
    from stylegen.evaluation.checkpoint_eval import pair_strength, save_pairs, transfer_pieces
    from stylegen.evaluation.pieces import read_folder_pairs, real_pieces
    from stylegen.evaluation.report import format_markdown, write_report
    from stylegen.metrics import load_classifier

    progress = not args.quiet
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.output_dir = args.output or f"reports/{args.source or 'any'}2{args.target}-{stamp}"
    out_dir = Path(args.output_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())) and not args.force:
        raise StylegenError(f"{out_dir}: already exists and is not empty (use --force to write a report there)")
    if args.checkpoint and (args.inputs or args.outputs):
        raise StylegenError("give either a CHECKPOINT or --inputs/--outputs, not both")
    clf = load_classifier(args.classifier, device=args.device)
    clf.index(args.target)  # fail early, before reading anything
    if args.source is not None:
        clf.index(args.source)
    recipe = load_recipe(args.recipe, args.overrides) if args.recipe else None
    reverse = None
    if args.checkpoint:
        if not args.source:
            raise StylegenError("a CHECKPOINT needs --source: the style of the validation pieces to transfer")
        cp = transfer_pieces(args.checkpoint, args.source, args.target, recipe=recipe, overrides=args.overrides,
                             max_pieces=args.max_pieces, pair=args.pair, device=args.device, progress=progress)
        names, inputs, outputs, cycles, recipe = cp.names, cp.inputs, cp.outputs, cp.cycles, cp.recipe
        counts, notes, reverse = cp.counts, cp.notes, cp.reverse
        if args.save_midi:
            save_pairs(names, inputs, outputs, out_dir / "midi")
            notes.append(f"inputs and outputs written to {out_dir / 'midi'} (re-score them with --inputs/--outputs)")
    else:
        if not args.inputs or not args.outputs:
            raise StylegenError("give a CHECKPOINT, or both --inputs DIR_IN and --outputs DIR_OUT")
        if args.pair or args.save_midi or args.max_pieces is not None:
            raise StylegenError("--pair, --save-midi and --max-pieces are for checkpoint mode")
        if args.cycles and not args.source:
            raise StylegenError("--cycles needs --source (the style they were transferred back to)")
        # stylegen transfer writes NAME.<style>.mid for NAME.mid: such outputs pair with NAME
        out_suffix = f".{style_slug(args.target)}"
        back = [f".{style_slug(args.source)}"] if args.source else []
        fp = read_folder_pairs(Path(args.inputs), Path(args.outputs), clf.spec.resolution, progress,
                               Path(args.cycles) if args.cycles else None, suffixes=[out_suffix],
                               cycle_suffixes=back + [out_suffix])
        names, inputs, outputs, cycles, counts, notes = fp.names, fp.inputs, fp.outputs, fp.cycles, fp.counts, fp.notes
    real, note, bad = real_pieces(args.target, clf.spec.resolution, real=args.real, recipe=recipe, classifier=clf,
                                  overrides=args.overrides, progress=progress)
    if note:
        notes.append(note)
    if bad:
        counts["real_unreadable"] = bad
    judge = None if args.no_feature_judge else _feature_judge(args.target, recipe, clf, notes, progress)
    ev = evaluate_pairs(inputs, outputs, args.target, clf, real_target=real, source=args.source, cycles=cycles,
                        names=names, musicality=not args.no_musicality, progress=progress,
                        n_examples=max(0, args.examples), counts=counts, notes=notes, feature_judge=judge)
    if reverse is not None:
        ev.metrics.update(pair_strength(clf, args.source, args.target, reverse,
                                        ev.metrics.get("output/strength/S", float("nan"))))
        ev.counts["reverse_pairs"] = len(reverse[1])
        ev.notes.append(f"S_tot of the pair {args.source}<->{args.target}: mean of S({args.source}->{args.target}->"
                        f"{args.source}) and S({args.target}->{args.source}->{args.target}) over "
                        f"{len(reverse[1])} reverse pieces")
    ev.meta["command"] = "stylegen evaluate " + " ".join(_argv(args))
    paths = write_report(ev, out_dir, logdir=args.logdir)
    md = format_markdown(ev)
    glance = md.split("## At a glance", 1)[1].split("\n\n")[1] if "## At a glance" in md else ""
    print(glance)
    if "pair/S_tot" in ev.metrics:
        print(f"S_tot ({args.source}<->{args.target}): {100 * ev.metrics['pair/S_tot']:.1f}%")
    for n in ev.notes:
        print(f"note: {n}")
    print(f"report: {paths['md']} (json: {paths['json']}; {len(paths['plots'])} plots; "
          f"TensorBoard: {paths['tensorboard']})")
    return 0


def _feature_judge(target: str, recipe, clf, notes: list[str], progress: bool):
    """The second judge of style, trained now on the real pieces of ``recipe`` (else of the
    classifier's own recipe); None, with a note saying why, when it cannot be."""
    from stylegen.evaluation.judge_training import train_feature_judge  # torch: see _run
    from stylegen.evaluation.pieces import classifier_recipe  # torch too

    why = ""
    if recipe is None:
        recipe, why = classifier_recipe(clf)
    if recipe is None:
        notes.append(f"no feature judge: {why or 'no recipe to train it on (give --recipe R.yaml)'}")
        return None
    if target not in recipe.styles:
        notes.append(f"no feature judge: recipe {recipe.name!r} has no style {target!r}")
        return None
    try:
        return train_feature_judge(recipe, clf.spec, progress=progress)
    except StylegenError as e:
        notes.append(f"no feature judge: {e}")
        return None


def _argv(args: argparse.Namespace) -> list[str]:
    out = [args.checkpoint] if args.checkpoint else []
    for k in ("inputs", "outputs", "target", "source", "cycles", "classifier", "real", "recipe"):
        v = getattr(args, k)
        if v:
            out += [f"--{k}", str(v)]
    for o in args.overrides:
        out += ["--set", o]
    out += ["-o", args.output_dir]
    return out
