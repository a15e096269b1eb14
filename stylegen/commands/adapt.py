"""``stylegen adapt NAME=DIR [NAME2=DIR2 ...] -o mine.pt``: add styles to a trained model.

    stylegen adapt ragtime=~/midi/ragtime -o mine.pt            # from the shipped checkpoint
    stylegen adapt folk=DIR --checkpoint runs/x/ckpt.pt -o x+folk.pt --steps 400
    stylegen transfer song.mid --style ragtime --checkpoint mine.pt

Each folder is read, skipped and split as ``stylegen data`` reads a recipe; every style
table of the model gets a row per new style, and only those rows are trained (the old
styles stay exactly as they were): training/adapt.py.  It writes ``mine.pt`` and beside it
``mine.yaml``, the adapted recipe (``stylegen classifier mine.yaml`` trains a judge of the
same styles for ``stylegen evaluate``).  Progress bars show the time left; the summary:
pieces used and skipped, windows, minutes, the new style's validation NLL before and after,
and the realism of a few transfers to it against its held-back pieces.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from stylegen.errors import StylegenError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("styles", nargs="+", metavar="NAME=DIR", help="a new style's name and its folder of MIDI files")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="the adapted checkpoint to write (.pt)")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="the checkpoint to add the styles to (default: the shipped checkpoints/pop2classical.pt)")
    p.add_argument("--steps", type=int, default=1500, help="likelihood steps of the new rows (default 1500)")
    p.add_argument("--adversarial-steps", type=int, default=100, help="adversarial steps after them (default 100)")
    p.add_argument("--harmony-steps", type=int, default=300, help="steps of the harmony model's new row (default 300)")
    p.add_argument("--lr", type=float, default=0.03, help="step size for the new rows (default 0.03)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-offsets", action="store_true",
                   help="train only the style embedding rows, not the generator's per-style FiLM and plan-code rows")
    p.add_argument("--replay", type=int, default=8,
                   help="train pieces of each old style beside the new ones, where its data is found (default 8)")
    p.add_argument("--check", type=int, default=8, metavar="N",
                   help="transfer N held-back pieces to the new style and judge their realism (0: skip)")
    p.add_argument("--run-dir", default=None, help="TensorBoard logs of the adapting (default runs/adapt/<name>-<time>)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--force", action="store_true", help="replace an existing output checkpoint and recipe")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from stylegen.shipped import shipped_path
    from stylegen.training.adapt import AdaptOptions, adapt, parse_folders  # torch: only when run

    folders = parse_folders(args.styles)
    if args.check < 0:
        raise StylegenError("--check must be >= 0")
    out = Path(args.output)
    if out.suffix != ".pt":
        raise StylegenError(f"{out}: the adapted checkpoint is a .pt file")
    checkpoint = args.checkpoint or shipped_path("pop2classical.pt")
    run_dir = args.run_dir or Path("runs") / "adapt" / f"{out.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    options = AdaptOptions(steps=args.steps, adversarial_steps=args.adversarial_steps,
                           harmony_steps=args.harmony_steps, lr=args.lr, batch_size=args.batch_size,
                           replay=args.replay, seed=args.seed, threads=args.threads,
                           offsets=not args.no_offsets)
    say = (lambda *a: None) if args.quiet else print
    t0 = time.perf_counter()
    result = adapt(checkpoint, folders, out, options, run_dir=run_dir, force=args.force, progress=not args.quiet,
                   log=say)
    print(f"wrote {result.path} (styles: {', '.join(result.styles)}) and its recipe {result.recipe_path}")
    for style in result.added:
        w, n = result.windows[style], result.nll.get(style)
        line = f"{style}: {result.pieces[style]['train']} train pieces ({w['train']} windows), " \
               f"{result.pieces[style]['val']} held back ({w['val']} windows)"
        if n:
            line += f"; validation NLL {n['before']:.3f} -> {n['after']:.3f} nats/frame"
        h = result.harmony_nll.get(style)
        if h:
            line += f"; harmony NLL {h['before']:.3f} -> {h['after']:.3f} nats/block"
        print(line)
    for note in result.notes:
        print(f"note: {note}")
    if args.check:
        from stylegen.evaluation.new_style import new_style_realism

        old = [s for s in result.styles if s not in result.added]
        has_data = [s for s in old if result.pieces.get(s, {}).get("train")]
        for style in result.added:
            if result.pieces[style]["val"] < 2:
                print(f"{style}: fewer than 2 held-back pieces: no realism check")
                continue
            r = new_style_realism(result.path, result.recipe, style, source=has_data[0] if has_data else None,
                                  pieces=args.check)
            m = r["metrics"]
            def auc(v: float) -> str:
                return "n/a (too few pieces)" if math.isnan(v) else f"{v:.3f}"

            rows = [f"{row} FD {m[f'{row}/realism/fd']:.2f}, AUC {auc(m[f'{row}/realism/auc'])}"
                    for row in ("output", "input", "real") if f"{row}/realism/fd" in m]
            print(f"{style}: {r['inputs']} pieces of {r['source']} transferred, against {r['real']} held-back "
                  f"pieces: " + "; ".join(rows) + " (real: its own train pieces, the floor)")
    print(f"{(time.perf_counter() - t0) / 60:.1f} min in all (data {result.seconds['data']:.0f} s, generator "
          f"{result.seconds['generator']:.0f} s, harmony {result.seconds['harmony']:.0f} s)")
    return 0
