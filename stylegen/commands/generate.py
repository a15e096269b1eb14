"""``stylegen generate --style STYLE``: compose melody and accompaniment in a style, or continue a primer.

    stylegen generate --style classical --bars 32 --seed 7 -o new.mid
    stylegen generate --style classical --bars 32 --form AABA      # sections that come back
    stylegen generate --style pop --primer intro.mid --bars 16     # continue a primer in a style

A thin layer over :meth:`stylegen.transfer.Model.generate_score`; docs/transfer.md explains
each option.  Without ``--seed`` a random seed is drawn and printed, so a piece you like
can be made again.  A piece without a single note is never written: the command says so
(a model problem, to report) and exits with status 2.  With a harmony model in the
checkpoint the harmony of a form is planned first (``--form``, default by length); without
one the harmony is withheld as before, and the command says so in one line.
"""

from __future__ import annotations

import argparse
import secrets
import warnings
from pathlib import Path

from stylegen.commands.transfer import (
    add_model_arguments, audio_writer, check_options, load_model, refuse_existing, refuse_removed, wav_path,
    write_wav,
)
from stylegen.errors import StylegenError
from stylegen.fileio import style_slug


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_model_arguments(p)
    p.add_argument("--bars", type=int, default=32, metavar="N",
                   help="bars to compose (after the primer, with --primer); default 32")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random seed: same seed, same piece (default: random, printed)")
    p.add_argument("--primer", default=None, metavar="MIDI",
                   help="continue this piece: it is kept unchanged and the new bars follow it")
    p.add_argument("--tempo", type=float, default=None, metavar="QPM",
                   help="quarter notes per minute without a primer (default 120)")
    p.add_argument("--beats-per-bar", type=int, default=4, metavar="N", help="beats per bar without a primer (default 4)")
    p.add_argument("--form", default=None, metavar="LETTERS",
                   help="sections of the new bars, one letter each, a letter that comes back repeats its harmony "
                        "(e.g. AABA; default by length: A, AB, ABA, AABA; needs a checkpoint with a harmony model)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    from stylegen.transfer import read_midi, write_midi  # torch comes with it: only once the options parse

    refuse_removed(args)
    writer = audio_writer() if args.wav else None
    primer_path = Path(args.primer) if args.primer else None
    if primer_path is not None and not primer_path.is_file():
        raise StylegenError(f"{primer_path}: no such file")
    if args.bars < 1:
        raise StylegenError(f"--bars must be at least 1, got {args.bars}")
    model = load_model(args)
    check_options(model, args)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    slug = style_slug(args.style)
    if primer_path is not None:
        name = f"{primer_path.stem}.{slug}-continued.mid"
        default_dir = primer_path.parent
    else:
        name = f"{slug}-seed{seed}.mid"
        default_dir = Path(".")
    if args.output is None:
        out = default_dir / name
    else:
        out = Path(args.output)
        if out.is_dir() or str(args.output).endswith(("/", "\\")):
            out = out / name
    if primer_path is not None and out.resolve() == primer_path.resolve():
        raise StylegenError(f"{out}: the output would replace the primer; choose another -o")
    primer = read_midi(primer_path) if primer_path is not None else None  # inputs before outputs
    refuse_existing([out] + ([wav_path(out)] if writer else []), args.force)

    from stylegen.inference.harmony import form_text, resolve_form  # torch: only when run

    sections = resolve_form(args.form, args.bars)  # a bad form: one line, before any work
    planned = model.composition_harmony(args.form) is not None if args.form is not None else model.harmony is not None
    if not planned and not args.quiet:
        print(f"note: {model.info.get('path')} has no harmony model: composing with the harmony withheld, as before "
              "(stylegen harmony RECIPE --into CHECKPOINT adds one)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # said above, once, as a line
        score = model.generate_score(args.style, args.bars, seed=seed, primer=primer, strength=args.strength,
                                     temperature=args.temperature, tempo=args.tempo,
                                     beats_per_bar=args.beats_per_bar, form=args.form)
    n_new = len(score.notes) - (len(primer.notes) if primer is not None else 0)
    if n_new == 0:
        raise StylegenError(
            f"the model wrote no notes ({args.bars} bars of {args.style}, seed {seed}, checkpoint "
            f"{model.info.get('path')}): nothing written; this is a problem of the model, please report it")
    write_midi(score, out)
    if writer:
        write_wav(writer, score, wav_path(out))
    if not args.quiet:
        extra = f" and {wav_path(out)}" if writer else ""
        harmony = (f"form {form_text(sections)}, harmony planned" + (" after the primer's" if primer is not None else "")
                   if planned else "harmony withheld")
        print(f"wrote {out}{extra}: {args.bars} bars of {args.style}, {n_new} new notes, {harmony} "
              f"(seed {seed}{'' if args.seed is not None else '; pass --seed ' + str(seed) + ' to repeat'})")
    return 0
