"""``stylegen transfer INPUT --style STYLE``: re-write a MIDI file, or a folder of them, in a style.

    stylegen transfer song.mid --style classical                  # writes song.classical.mid beside it
    stylegen transfer song.mid --style classical -o out.mid --wav # MIDI and audio
    stylegen transfer songs/ --style classical -o out/            # a whole folder (same names under out/)

A thin layer over :meth:`stylegen.transfer.Model.transfer_file`; docs/transfer.md explains
each option.  Nothing is overwritten without ``--force``; files are written atomically.
Start-up stays light: torch is imported when the model loads, muspy never.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from stylegen.errors import StylegenError

MIDI_SUFFIXES = (".mid", ".midi")


# --------------------------------------------------------------------------- shared with generate


def add_model_arguments(p: argparse.ArgumentParser) -> None:
    """Options every model command shares."""
    p.add_argument("--style", default=None,
                   help="target style, e.g. classical (the error lists the checkpoint's styles); "
                        "a mixture: classical=0.7,folk=0.3")
    p.add_argument("-o", "--output", default=None, metavar="PATH", help="output file (or folder)")
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="generator checkpoint (default: the shipped checkpoints/pop2classical.pt)")
    p.add_argument("--temperature", type=float, default=1.0, metavar="T",
                   help="scale of the generator's noise: 1 = as trained (default), 0 = none, >1 freer")
    p.add_argument("--threshold", type=float, default=0.5, metavar="P",
                   help="a note sounds where its probability exceeds this (default 0.5, as in training); "
                        "lower: more notes")
    p.add_argument("--device", default="cpu", metavar="D", help="cpu (default), cuda, cuda:N, mps or auto")
    p.add_argument("--force", action="store_true", help="overwrite existing outputs")
    p.add_argument("--wav", action="store_true", help="also write audio (.wav beside each MIDI file)")


def style_slug(style: str) -> str:
    """A style argument as a file-name part: 'classical' -> 'classical', 'a=0.7,b=0.3' -> 'a0.7-b0.3'."""
    slug = re.sub(r"[=:]", "", style.strip())
    slug = re.sub(r"[^A-Za-z0-9.+-]+", "-", slug).strip("-.")
    return slug or "styled"


def load_model(args: argparse.Namespace):
    from stylegen.transfer import load

    return load(args.checkpoint, device=args.device)


def check_style(model, style: str | None) -> None:
    from stylegen.transfer import parse_style

    if not style:
        raise StylegenError(f"no --style given (known: {', '.join(model.styles)})")
    parse_style(style, model.styles)


def wav_path(midi_path: Path) -> Path:
    return midi_path.with_suffix(".wav")


def audio_writer():
    """The audio renderer, imported now so that a missing one fails before any work."""
    try:
        from stylegen.audio.render import render_score, write_audio
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
        n = len(existing) - 1
        more = f" and {n} other output{'s' if n > 1 else ''} already exist" if n else " already exists"
        raise StylegenError(f"{existing[0]}{more}: use --force to overwrite")


def midi_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MIDI_SUFFIXES
                  and not p.name.startswith("."))


# --------------------------------------------------------------------------- transfer


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="a MIDI file, or a folder (searched recursively for .mid/.midi)")
    add_model_arguments(p)
    p.add_argument("--source", default=None, metavar="STYLE",
                   help="the input's own style; needed for --strength below 1")
    p.add_argument("--strength", type=float, default=1.0, metavar="S",
                   help="0..1: blend from --source (0) to --style (1, default)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="noise seed (default 0): same seed, same output")
    p.add_argument("--keep-melody", action="store_true",
                   help="keep the melody note for note on its own track (the track named as melody, "
                        "else the top voice) and re-write the rest")
    p.add_argument("--drop-drums", action="store_true", help="leave drum tracks out (default: kept unchanged)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def _options(args: argparse.Namespace) -> dict:
    return dict(source=args.source, strength=args.strength, seed=args.seed, temperature=args.temperature,
                threshold=args.threshold, keep_melody=args.keep_melody, drop_drums=args.drop_drums)


def _check_options(model, args: argparse.Namespace) -> None:
    """Every option checked once, before any file is read or written."""
    from stylegen.transfer import check_threshold, make_noise, style_weights

    check_style(model, args.style)
    style_weights(model.styles, args.style, args.source, args.strength)
    check_threshold(args.threshold)
    make_noise(0, 1, 0, args.temperature)


def run(args: argparse.Namespace) -> int:
    src = Path(args.input)
    if not src.exists():
        raise StylegenError(f"{src}: no such file or folder")
    writer = audio_writer() if args.wav else None
    if src.is_dir():
        return _run_folder(args, src, writer)
    model = load_model(args)
    _check_options(model, args)
    name = f"{src.stem}.{style_slug(args.style)}.mid"
    if args.output is None:
        out = src.with_name(name)
    else:
        out = Path(args.output)
        if out.is_dir() or str(args.output).endswith(("/", os.sep)):
            out = out / name
    if out.resolve() == src.resolve():
        raise StylegenError(f"{out}: the output would replace the input; choose another -o")
    refuse_existing([out] + ([wav_path(out)] if writer else []), args.force)
    score = model.transfer_file(src, out, args.style, **_options(args))
    if writer:
        write_wav(writer, score, wav_path(out))
    if not args.quiet:
        extra = f" and {wav_path(out)}" if writer else ""
        print(f"wrote {out}{extra}: {score.n_beats:g} beats, {len(score.notes)} notes in {args.style}")
    return 0


def _run_folder(args: argparse.Namespace, folder: Path, writer) -> int:
    files = midi_files(folder)
    model = load_model(args)
    _check_options(model, args)
    slug = style_slug(args.style)
    if args.output is None:
        # beside each input; earlier outputs of any style (NAME.STYLE.mid) are not inputs
        known = {style_slug(s).lower() for s in model.styles} | {slug.lower()}
        files = [f for f in files if not (len(f.suffixes) >= 2 and f.suffixes[-2].lstrip(".").lower() in known)]
        pairs = [(f, f.with_name(f"{f.stem}.{slug}.mid")) for f in files]
    else:
        out_dir = Path(args.output)
        if out_dir.exists() and not out_dir.is_dir():
            raise StylegenError(f"{out_dir}: exists and is not a folder (a folder input needs an output folder)")
        inside = out_dir.resolve()
        files = [f for f in files if inside not in f.resolve().parents]  # earlier outputs under songs/out/
        pairs = [(f, out_dir / f.relative_to(folder).with_suffix(".mid")) for f in files]
        seen: dict[Path, Path] = {}
        for f, o in pairs:
            if o in seen:
                raise StylegenError(f"{seen[o]} and {f} would both be written to {o}")
            seen[o] = f
    if not pairs:
        raise StylegenError(f"{folder}: no MIDI files (.mid, .midi) in it")
    outs = [o for _, o in pairs] + ([wav_path(o) for _, o in pairs] if writer else [])
    refuse_existing(outs, args.force)

    from tqdm import tqdm

    failed: list[tuple[Path, str]] = []
    opts = _options(args)
    bar = tqdm(pairs, desc=f"transfer to {args.style}", unit="file", disable=args.quiet, dynamic_ncols=True,
               file=sys.stderr)
    for src, out in bar:
        try:
            score = model.transfer_file(src, out, args.style, **opts)
            if writer:
                write_wav(writer, score, wav_path(out))
        except StylegenError as e:
            failed.append((src, str(e)))
        except Exception as e:  # one odd file must not stop a folder of hundreds
            failed.append((src, f"{src}: {type(e).__name__}: {e}"))
        bar.set_postfix(failed=len(failed), refresh=False)
    bar.close()
    done = len(pairs) - len(failed)
    where = args.output if args.output is not None else "beside the inputs"
    if failed or not args.quiet:
        print(f"transferred {done} of {len(pairs)} files to {args.style} ({where})"
              + (f"; {len(failed)} failed:" if failed else ""), file=sys.stderr if failed else sys.stdout)
    for _, msg in failed:
        print(f"  {msg}", file=sys.stderr)
    return 1 if failed else 0
