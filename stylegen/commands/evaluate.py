"""``stylegen evaluate``: score style transfers and write a report.

Two folders of MIDI paired by file name (any system's outputs)::

    stylegen evaluate --inputs DIR_IN --outputs DIR_OUT --target classical [--source pop]
                      [--classifier PATH] [--real DIR | --recipe R.yaml] [-o REPORT_DIR]

A GAN checkpoint, transferring the validation pieces of the source style itself::

    stylegen evaluate CHECKPOINT --recipe R.yaml --source pop --target classical [--pair]

Both write REPORT_DIR/report.json, report.md, plots/*.png and TensorBoard events
(REPORT_DIR/tensorboard, or --logdir).  Real target pieces for the context row and the
musicality overlap come from --real DIR, or from a recipe's validation split of the target
style (--recipe, or --real R.yaml); without either, from the classifier's own recipe when
its data is on this machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from stylegen.errors import StylegenError


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
    p.add_argument("--device", default="cpu", help="device for the classifier (and the transfer model)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


# --------------------------------------------------------------------------- reading


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="file", dynamic_ncols=True, leave=False)


def list_midi(folder: Path, what: str) -> dict[str, Path]:
    """MIDI files under ``folder`` by name (relative path without suffix)."""
    from stylegen.data.sources import MIDI_SUFFIXES

    if not folder.is_dir():
        raise StylegenError(f"{what} {folder}: no such folder")
    found: dict[str, Path] = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.suffix.lower() in MIDI_SUFFIXES and not f.name.startswith("."):
            key = str(f.relative_to(folder).with_suffix(""))
            if key in found:
                raise StylegenError(f"{what} {folder}: two files named {key} ({found[key].name}, {f.name})")
            found[key] = f
    return found


def read_folder_pairs(inputs: Path, outputs: Path, resolution: int, progress: bool,
                      cycles: Path | None = None):
    """(names, input scores, output scores, cycle scores | None, counts, notes) for the
    files of the two folders that share a name."""
    from stylegen.data.midi import SkipFile, Score, read_score

    ins, outs = list_midi(inputs, "--inputs"), list_midi(outputs, "--outputs")
    if not ins:
        raise StylegenError(f"--inputs {inputs}: no MIDI files")
    if not outs:
        raise StylegenError(f"--outputs {outputs}: no MIDI files (empty outputs)")
    cyc = list_midi(cycles, "--cycles") if cycles is not None else None
    common = sorted(set(ins) & set(outs))
    if not common:
        ex_in, ex_out = ", ".join(sorted(ins)[:3]), ", ".join(sorted(outs)[:3])
        raise StylegenError(f"no file names in common between --inputs {inputs} ({len(ins)} files, e.g. {ex_in}) "
                            f"and --outputs {outputs} ({len(outs)} files, e.g. {ex_out}); pairs are matched by name")
    counts = {"input_files": len(ins), "output_files": len(outs),
              "unpaired_inputs": len(set(ins) - set(outs)), "unpaired_outputs": len(set(outs) - set(ins))}
    notes = []
    for kind, names in (("inputs without an output", sorted(set(ins) - set(outs))),
                        ("outputs without an input", sorted(set(outs) - set(ins)))):
        if names:
            more = f" and {len(names) - 10} more" if len(names) > 10 else ""
            notes.append(f"{len(names)} {kind} (not scored): {', '.join(names[:10])}{more}")
    if cyc is not None:
        missing = [n for n in common if n not in cyc]
        if missing:
            raise StylegenError(f"--cycles {cycles}: no file for {len(missing)} pair(s), e.g. {missing[0]}")
    names, a_list, b_list, c_list = [], [], [], []
    skipped: dict[str, str] = {}
    bar = _progress(len(common), "reading pairs", progress)
    for name in common:
        try:
            a = read_score(ins[name], resolution)
        except SkipFile as e:
            skipped[name] = f"input {e}"
            if bar:
                bar.update(1)
            continue

        def read_out(path: Path):
            try:
                return read_score(path, resolution)
            except SkipFile as e:
                if e.reason in ("no notes", "drums only"):  # an empty output is a failed transfer: scored
                    return Score(resolution=resolution, notes=a.notes[:0].copy(), tracks=[], length=0,
                                 tempos=list(a.tempos), time_signatures=list(a.time_signatures), title=path.stem)
                raise

        try:
            b = read_out(outs[name])
            c = read_out(cyc[name]) if cyc is not None else None
        except SkipFile as e:
            skipped[name] = f"output {e}"
            if bar:
                bar.update(1)
            continue
        names.append(name)
        a_list.append(a)
        b_list.append(b)
        if c is not None:
            c_list.append(c)
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    counts["unreadable_pairs"] = len(skipped)
    if skipped:
        items = list(skipped.items())
        more = f" and {len(items) - 10} more" if len(items) > 10 else ""
        notes.append(f"{len(skipped)} pair(s) skipped, unreadable: "
                     + "; ".join(f"{k} ({v})" for k, v in items[:10]) + more)
    if not names:
        raise StylegenError(f"none of the {len(common)} paired files could be read ({next(iter(skipped.values()))})")
    return names, a_list, b_list, (c_list if cyc is not None else None), counts, notes


def read_folder(folder: Path, resolution: int, progress: bool, what: str):
    """Every readable MIDI file of a folder as a Score, and the count of unreadable ones."""
    from stylegen.data.midi import SkipFile, read_score

    files = list_midi(folder, what)
    if not files:
        raise StylegenError(f"{what} {folder}: no MIDI files")
    scores, bad = [], 0
    bar = _progress(len(files), f"reading {what.lstrip('-')}", progress)
    for path in files.values():
        try:
            scores.append(read_score(path, resolution))
        except SkipFile:
            bad += 1
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    if not scores:
        raise StylegenError(f"{what} {folder}: none of the {len(files)} MIDI files could be read")
    return scores, bad


def piece_score(piece, resolution: int):
    """A corpus piece as a Score: read again from its file (tempo map, meter) when it is one."""
    from stylegen.data.midi import SkipFile, Score, TrackInfo, read_score

    path = Path(piece.key)
    if path.is_file():
        try:
            return read_score(path, resolution)
        except SkipFile:
            pass
    n_tracks = int(piece.notes[:, 4].max()) + 1 if len(piece.notes) else 0
    return Score(resolution=resolution, notes=piece.notes.copy(), length=piece.length,
                 tracks=[TrackInfo(name=f"track {i}", program=0) for i in range(n_tracks)],
                 title=piece.title or path.stem)


def piece_name(piece) -> str:
    p = Path(piece.key.split("#")[0])
    return f"{p.parent.name}/{p.stem}" if p.parent.name else p.stem


def recipe_pieces(recipe, style: str, split: str, resolution: int, progress: bool, limit: int | None = None):
    """(names, scores, total) of a recipe's split of one style: the first ``limit`` pieces by
    name (all by default) and how many the split holds."""
    from stylegen.data.dataset import prepare

    if style not in recipe.styles:
        raise StylegenError(f"{recipe.source_file}: no style {style!r} (styles: {', '.join(recipe.styles)})")
    corpus = prepare(recipe, progress=progress)
    si = corpus.styles.index(style)
    pieces = sorted((p for p in corpus.pieces if p.style == si and p.split == split), key=piece_name)
    if not pieces:
        raise StylegenError(f"{recipe.source_file}: no {split} pieces of style {style!r}")
    total = len(pieces)
    pieces = pieces[:limit] if limit is not None else pieces
    bar = _progress(len(pieces), f"reading {style} {split}", progress)
    names, scores = [], []
    for p in pieces:
        names.append(piece_name(p))
        scores.append(piece_score(p, resolution))
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    return names, scores, total


def real_pieces(args, clf, recipe, counts: dict, notes: list, progress: bool):
    """Real target pieces for the context row, from --real, --recipe, or the classifier's recipe."""
    from stylegen.config import load_recipe, recipe_from_dict

    target, res = args.target, clf.spec.resolution
    real = args.real
    if real and not real.lower().endswith((".yaml", ".yml")):
        scores, bad = read_folder(Path(real), res, progress, "--real")
        counts["real_unreadable"] = bad
        notes.append(f"real {target} pieces: {len(scores)} files of {real}" + (f" ({bad} unreadable)" if bad else ""))
        return scores
    if real:
        recipe = load_recipe(real, args.overrides)
    if recipe is not None:
        _, scores, _ = recipe_pieces(recipe, target, "val", res, progress)
        notes.append(f"real {target} pieces: the val split of {recipe.source_file} ({len(scores)} pieces)")
        return scores
    # the classifier's own recipe, when its data is on this machine
    data = clf.meta.get("recipe")
    if data:
        try:
            r = recipe_from_dict(data, f"{clf.path} (its recipe)")
            if target in r.styles:
                from stylegen.config import check_paths

                check_paths(r)
                _, scores, _ = recipe_pieces(r, target, "val", res, progress)
                notes.append(f"real {target} pieces: the val split of the classifier's recipe {r.name!r} "
                             f"({len(scores)} pieces)")
                return scores
        except StylegenError as e:
            notes.append(f"real {target} pieces: none (the classifier's recipe cannot be read here: {e})")
            return []
    return []


# --------------------------------------------------------------------------- modes


def _transfer_all(model, scores: list, style: str, desc: str, progress: bool) -> list:
    bar = _progress(len(scores), desc, progress)
    out = []
    for s in scores:
        out.append(model.transfer_score(s, style))
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    return out


def checkpoint_mode(args, clf, progress: bool):
    """Transfer the recipe's val pieces of --source with a GAN checkpoint; return what
    evaluate_pairs needs (and the reverse direction's S with --pair)."""
    from stylegen.checkpoint import load_checkpoint
    from stylegen.config import load_recipe, recipe_from_dict

    if args.inputs or args.outputs:
        raise StylegenError("give either a CHECKPOINT or --inputs/--outputs, not both")
    if not args.source:
        raise StylegenError("a CHECKPOINT needs --source: the style of the validation pieces to transfer")
    if args.max_pieces is not None and args.max_pieces < 1:
        raise StylegenError("--max-pieces must be at least 1")
    try:
        from stylegen.transfer import load
    except ImportError as e:
        raise StylegenError(f"checkpoint mode needs stylegen.transfer, which cannot be imported here ({e})") from None
    if args.recipe:
        recipe = load_recipe(args.recipe, args.overrides)
    else:
        ckpt = load_checkpoint(args.checkpoint)
        recipe = recipe_from_dict(ckpt["recipe"], f"{args.checkpoint} (its recipe)", args.overrides)
    for st in (args.source, args.target):
        if st not in recipe.styles:
            raise StylegenError(f"{recipe.source_file}: no style {st!r} (styles: {', '.join(recipe.styles)})")
    model = load(args.checkpoint, device=args.device)
    res = model.spec.resolution
    counts, notes = {}, []

    def sources_of(style: str):
        names, scores, total = recipe_pieces(recipe, style, "val", res, progress, args.max_pieces)
        counts[f"val_pieces_{style}"] = total
        if len(scores) < total:
            notes.append(f"{style}: the first {len(scores)} of {total} validation pieces by name (--max-pieces)")
        return names, scores

    names, inputs = sources_of(args.source)
    outputs = _transfer_all(model, inputs, args.target, f"{args.source} -> {args.target}", progress)
    cycles = _transfer_all(model, outputs, args.source, f"back to {args.source}", progress)
    reverse = None
    if args.pair:
        r_names, r_in = sources_of(args.target)
        r_out = _transfer_all(model, r_in, args.source, f"{args.target} -> {args.source}", progress)
        r_cyc = _transfer_all(model, r_out, args.target, f"back to {args.target}", progress)
        reverse = (r_names, r_in, r_out, r_cyc)
    if args.save_midi:
        from stylegen.data.midi import write_score

        out_dir = Path(args.output_dir) / "midi"
        for n, a, b in zip(names, inputs, outputs):
            write_score(a, out_dir / "inputs" / f"{n}.mid")
            write_score(b, out_dir / "outputs" / f"{n}.mid")
        notes.append(f"inputs and outputs written to {out_dir} (re-score them with --inputs/--outputs)")
    notes.append(f"transferred by {args.checkpoint}")
    return names, inputs, outputs, cycles, recipe, counts, notes, reverse


def run(args: argparse.Namespace) -> int:
    import torch

    with torch.no_grad():  # scoped: main() may run in a process that trains afterwards
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from stylegen.metrics import evaluate_pairs, load_classifier
    from stylegen.metrics.report import format_markdown, write_report
    from stylegen.metrics.strength import brunner_total, source_share, brunner_strength

    progress = not args.quiet
    clf = load_classifier(args.classifier, device=args.device)
    clf.index(args.target)  # fail early, before reading anything
    if args.source is not None:
        clf.index(args.source)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.output_dir = args.output or f"reports/{args.source or 'any'}2{args.target}-{stamp}"

    from stylegen.config import load_recipe

    reverse = None
    if args.checkpoint:
        names, inputs, outputs, cycles, recipe, counts, notes, reverse = checkpoint_mode(args, clf, progress)
    else:
        if not args.inputs or not args.outputs:
            raise StylegenError("give a CHECKPOINT, or both --inputs DIR_IN and --outputs DIR_OUT")
        if args.pair or args.save_midi or args.max_pieces is not None:
            raise StylegenError("--pair, --save-midi and --max-pieces are for checkpoint mode")
        if args.cycles and not args.source:
            raise StylegenError("--cycles needs --source (the style they were transferred back to)")
        recipe = load_recipe(args.recipe, args.overrides) if args.recipe else None
        names, inputs, outputs, cycles, counts, notes = read_folder_pairs(
            Path(args.inputs), Path(args.outputs), clf.spec.resolution, progress,
            Path(args.cycles) if args.cycles else None)
    real = real_pieces(args, clf, recipe, counts, notes, progress)
    ev = evaluate_pairs(inputs, outputs, args.target, clf, real_target=real, source=args.source, cycles=cycles,
                        names=names, musicality=not args.no_musicality, progress=progress,
                        n_examples=max(0, args.examples), counts=counts, notes=notes)
    if reverse is not None:
        r_names, r_in, r_out, r_cyc = reverse
        t, s = clf.index(args.target), clf.index(args.source)
        p_in, p_out, p_cyc = (clf.classify(x) for x in (r_in, r_out, r_cyc))
        s_rev = brunner_strength(source_share(p_in, t, s), source_share(p_out, t, s), source_share(p_cyc, t, s))
        ev.metrics["pair/S_reverse"] = s_rev
        ev.metrics["pair/S_tot"] = brunner_total(ev.metrics.get("output/strength/S", float("nan")), s_rev)
        ev.counts["reverse_pairs"] = len(r_in)
        ev.notes.append(f"S_tot of the pair {args.source}<->{args.target}: mean of S({args.source}->{args.target}->"
                        f"{args.source}) and S({args.target}->{args.source}->{args.target}) over "
                        f"{len(r_in)} reverse pieces")
    ev.meta["command"] = "stylegen evaluate " + " ".join(_argv(args))
    paths = write_report(ev, args.output_dir, logdir=args.logdir)
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
