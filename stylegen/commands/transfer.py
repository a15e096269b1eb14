"""``stylegen transfer INPUT --style STYLE``: re-write a MIDI file, or a folder of them, in a style.

    stylegen transfer song.mid --style classical                  # writes song.classical.mid beside it
    stylegen transfer song.mid --style classical -o out.mid --wav # MIDI and audio
    stylegen transfer songs/ --style classical                    # songs/**/NAME.classical.mid beside each
    stylegen transfer songs/ --style classical -o out/            # out/**/NAME.classical.mid

A thin layer over :meth:`stylegen.transfer.Model.transfer_file` and ``transfer_files``;
docs/transfer.md explains each option.  Outputs are always named ``NAME.<style>.mid``, and
a folder's earlier outputs (``NAME.<style>.mid`` of any of the model's styles, generate's
``NAME.<style>-continued.mid``) are never inputs.  Nothing is overwritten without
``--force``; files are written atomically.  Start-up stays light: torch is imported when
the model loads, muspy never.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from tqdm import tqdm

from stylegen.data.midi import list_midi_files
from stylegen.errors import StylegenError
from stylegen.fileio import beats_text, exists_error, style_slug
from stylegen.inference.options import DEFAULT_STRENGTH, check_strength, check_temperature, parse_style

REMOVED = {  # options of the old frame-wise generator, refused with the reason
    "threshold": "--threshold was removed: the generator now writes whole notes itself (there is no probability "
                 "to cut); use --temperature for safer or freer choices (docs/transfer.md)",
    "source": "--source was removed: --strength is now the guidance scale (0 = no style, 1 = as trained, > 1 "
              "stronger) and needs no source style (docs/transfer.md)",
}


# --------------------------------------------------------------------------- shared with generate


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Options every model command shares."""
    p.add_argument("--style", default=None,
                   help="target style, e.g. classical (the error lists the checkpoint's styles); "
                        "a mixture: classical=0.7,folk=0.3")
    p.add_argument("-o", "--output", default=None, metavar="PATH", help="output file (or folder)")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="generator checkpoint (default: the shipped checkpoints/pop2classical.pt)")
    p.add_argument("--strength", type=float, default=DEFAULT_STRENGTH, metavar="G",
                   help=f"guidance scale towards the style: 0 = no style, 1 = as trained, >1 stronger "
                        f"(default {DEFAULT_STRENGTH:g})")
    p.add_argument("--temperature", type=float, default=1.0, metavar="T",
                   help="sampling temperature: 1 = as trained (default), lower = safer choices, 0 = the most "
                        "likely at every step")
    p.add_argument("--device", default="cpu", metavar="D", help="cpu (default), cuda, cuda:N, mps or auto")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--wav", action="store_true", help="also write audio (.wav beside each MIDI file)")
    for name in REMOVED:
        p.add_argument(f"--{name}", default=None, help=argparse.SUPPRESS)


def refuse_removed(args: argparse.Namespace) -> None:
    for name, why in REMOVED.items():
        if getattr(args, name, None) is not None:
            raise StylegenError(why)


def own_output_pattern(styles: list[str]) -> re.Pattern:
    """File names stylegen writes for these styles: ``NAME.<style>.mid``, a mixture's
    ``NAME.a0.7-b0.3.mid`` and generate's ``NAME.<style>-continued.mid``."""
    names = "|".join(sorted((re.escape(style_slug(s)) for s in styles), key=len, reverse=True))
    part = rf"(?:{names})(?:[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)?"
    return re.compile(rf"^.+\.{part}(?:-{part})*(?:-continued)?\.midi?$", re.IGNORECASE)


def load_model(args: argparse.Namespace):
    from stylegen.transfer import load  # torch comes with it: only once a model is needed

    return load(args.checkpoint, device=args.device)


def check_options(model, args: argparse.Namespace) -> None:
    """Every model option checked before any input is read or output written (the model's
    methods check them again for their own callers: inference/options.py)."""
    refuse_removed(args)
    if not args.style:
        raise StylegenError(f"no --style given (known: {', '.join(model.styles)})")
    parse_style(args.style, model.styles)
    check_strength(args.strength)
    check_temperature(args.temperature)


def wav_path(midi_path: Path) -> Path:
    return midi_path.with_suffix(".wav")


def audio_writer():
    """The audio renderer, imported now so that a missing one fails before any work."""
    try:
        from stylegen.audio.render import render_score, write_audio  # audio: only with --wav, and may be missing
    except ImportError as e:
        raise StylegenError(f"--wav: audio rendering is not available in this install ({e})") from None
    return render_score, write_audio


def write_wav(writer, score, path: Path) -> None:
    """Render ``score`` (a soundfont when one is installed, else the built-in synth) to ``path``."""
    render_score, write_audio = writer
    rendered = render_score(score, sample_rate=44100)  # loudness-normalised to -16 LUFS
    write_audio(path, rendered.waveform, rendered.sample_rate)


def refuse_existing(paths: list[Path], force: bool) -> None:
    if force:
        return
    existing = [p for p in paths if p.exists()]
    if existing:
        raise exists_error(existing[0], len(existing) - 1)


# --------------------------------------------------------------------------- transfer


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="a MIDI file, or a folder (searched recursively for .mid/.midi)")
    add_model_arguments(p)
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="random seed (default 0): same seed, same output")
    melody = p.add_mutually_exclusive_group()
    melody.add_argument("--free-melody", action="store_true",
                        help="let the model re-write the melody too (default: the melody, the track named as "
                             "such or else the top voice, is kept note for note)")
    melody.add_argument("--keep-melody", action="store_true",
                        help="keep the melody note for note (the default; kept for old scripts)")
    melody.add_argument("--melody-only", action="store_true",
                        help="take only the input's melody and accompany it: its harmony is planned by the "
                             "checkpoint's harmony model (a bare melody, one monophonic line, is found without it)")
    p.add_argument("--drop-drums", action="store_true", help="leave drum tracks out (default: kept unchanged)")
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="a folder's pieces per pass of the model (default 32)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _options(args: argparse.Namespace) -> dict:
    return dict(strength=args.strength, seed=args.seed, temperature=args.temperature,
                free_melody=args.free_melody, drop_drums=args.drop_drums,
                melody_only=True if getattr(args, "melody_only", False) else None)


def output_name(src: Path, style: str) -> str:
    return f"{src.stem}.{style_slug(style)}.mid"


def run(args: argparse.Namespace) -> int:
    refuse_removed(args)
    src = Path(args.input)
    if not src.exists():
        raise StylegenError(f"{src}: no such file or folder")
    if args.batch_size is not None and args.batch_size < 1:
        raise StylegenError(f"--batch-size must be at least 1, got {args.batch_size}")
    writer = audio_writer() if args.wav else None
    if src.is_dir():
        return _run_folder(args, src, writer)
    model = load_model(args)
    check_options(model, args)
    name = output_name(src, args.style)
    if args.output is None:
        out = src.with_name(name)
    else:
        out = Path(args.output)
        if out.is_dir() or str(args.output).endswith(("/", os.sep)):
            out = out / name
    if out.resolve() == src.resolve():
        raise StylegenError(f"{out}: the output would replace the input; choose another -o")
    from stylegen.transfer import HARMONY_SOURCES, read_midi, write_midi  # torch: only when run

    score_in = read_midi(src)  # inputs before outputs: an unusable file is named even where the output exists
    refuse_existing([out] + ([wav_path(out)] if writer else []), args.force)
    options = _options(args)
    harmony = HARMONY_SOURCES[model.harmony_source(score_in, options["melody_only"])]
    score = model.transfer_score(score_in, args.style, **options)
    write_midi(score, out, include_drums=not args.drop_drums)
    if writer:
        write_wav(writer, score, wav_path(out))
    if not args.quiet:
        extra = f" and {wav_path(out)}" if writer else ""
        print(f"wrote {out}{extra}: {beats_text(score.n_beats)} beats, {len(score.notes)} notes in {args.style}; "
              f"harmony: {harmony}")
    return 0


def folder_pairs(folder: Path, files: list[Path], style: str, styles: list[str],
                 output: str | None) -> tuple[list[tuple[Path, Path]], int]:
    """(input, output) pairs of a folder transfer and how many files were skipped as
    stylegen's own earlier outputs.  Outputs are ``NAME.<style>.mid`` beside each input, or
    under ``output`` mirroring the input's subfolders."""
    own = own_output_pattern(list(styles) + [style])
    inputs = [f for f in files if not own.match(f.name)]
    skipped = len(files) - len(inputs)
    if output is None:
        pairs = [(f, f.with_name(output_name(f, style))) for f in inputs]
    else:
        out_dir = Path(output)
        if out_dir.exists() and not out_dir.is_dir():
            raise StylegenError(f"{out_dir}: exists and is not a folder (a folder input needs an output folder)")
        inside = out_dir.resolve()
        kept = [f for f in inputs if inside not in f.resolve().parents]  # earlier outputs under songs/out/
        skipped += len(inputs) - len(kept)
        pairs = [(f, out_dir / f.relative_to(folder).parent / output_name(f, style)) for f in kept]
    seen: dict[Path, Path] = {}
    for f, o in pairs:
        if o in seen:
            raise StylegenError(f"{seen[o]} and {f} would both be written to {o}")
        seen[o] = f
    return pairs, skipped


def _run_folder(args: argparse.Namespace, folder: Path, writer) -> int:
    files = list_midi_files(folder)
    model = load_model(args)
    check_options(model, args)
    pairs, skipped = folder_pairs(folder, files, args.style, model.styles, args.output)
    if not pairs:
        more = f" ({skipped} earlier stylegen outputs skipped)" if skipped else ""
        raise StylegenError(f"{folder}: no MIDI files to transfer in it{more}")
    outs = [o for _, o in pairs] + ([wav_path(o) for _, o in pairs] if writer else [])
    refuse_existing(outs, args.force)
    failed: list[tuple[Path, str]] = []
    bar = tqdm(total=len(pairs), desc=f"transfer to {args.style}", unit="file", disable=args.quiet,
               dynamic_ncols=True, file=sys.stderr)
    results = model.transfer_files(pairs, args.style, batch_size=args.batch_size, **_options(args))
    for src, out, result in results:
        if isinstance(result, StylegenError):
            failed.append((src, str(result)))
        elif writer:
            try:
                write_wav(writer, result, wav_path(out))
            except StylegenError as e:
                failed.append((src, str(e)))
        bar.update(1)
        bar.set_postfix(failed=len(failed), refresh=False)
    bar.close()
    done = len(pairs) - len(failed)
    where = args.output if args.output is not None else "beside the inputs"
    also = f"; {skipped} earlier stylegen output{'s' if skipped != 1 else ''} skipped" if skipped else ""
    if failed or not args.quiet:
        print(f"transferred {done} of {len(pairs)} files to {args.style} ({where}){also}"
              + (f"; {len(failed)} failed:" if failed else ""), file=sys.stderr if failed else sys.stdout)
    for _, msg in failed:
        print(f"  {msg}", file=sys.stderr)
    return 1 if failed else 0
