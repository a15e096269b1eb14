"""``stylegen render in.mid [-o out.wav]``: a MIDI file to loudness-normalised audio.

Uses a General MIDI soundfont when one is found (``--soundfont``, ``$STYLEGEN_SOUNDFONT``,
the system places), else the built-in synthesiser; the line printed to stderr says which.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stylegen.errors import StylegenError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help="MIDI file")
    p.add_argument("-o", "--output", help="audio file, .wav or .flac (default: the input's name with .wav)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--soundfont", metavar="PATH",
                       help="General MIDI soundfont (.sf2/.sf3); default: $STYLEGEN_SOUNDFONT, then the system's")
    which.add_argument("--builtin", action="store_true",
                       help="use the built-in synthesiser even when a soundfont is installed")
    p.add_argument("--sample-rate", type=int, default=44100, metavar="HZ", help="sample rate (default: 44100)")
    p.add_argument("--loudness", type=float, default=-16.0, metavar="LUFS",
                   help="integrated loudness to normalise to (default: -16)")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")


def _duration(seconds: float) -> str:
    m, s = divmod(seconds, 60.0)
    return f"{int(m)}:{s:04.1f}"


def run(args: argparse.Namespace) -> int:
    # audio (torch, scipy, a synthesiser): not while the CLI builds its parser
    from stylegen.audio.loudness import peak_db
    from stylegen.audio.render import check_input_path, check_output_path, find_soundfont, render_midi, write_audio

    src = Path(args.input)
    out = Path(args.output) if args.output else src.with_suffix(".wav")
    if not -70.0 <= args.loudness <= 0.0:
        raise StylegenError(f"--loudness must be between -70 and 0 LUFS, got {args.loudness:g}")
    # inputs first (the MIDI file, the soundfont), then the output: all before the work
    check_input_path(src)
    if not args.builtin:
        find_soundfont(args.soundfont)
    if out.exists() and out.resolve() == src.resolve():
        raise StylegenError(f"{out}: the output would replace the input")
    check_output_path(out, overwrite=args.force)
    r = render_midi(src, sample_rate=args.sample_rate, soundfont=args.soundfont, loudness=args.loudness,
                    renderer="builtin" if args.builtin else "auto")
    write_audio(out, r.waveform, r.sample_rate, overwrite=args.force)
    if not args.quiet:
        level = "silent (no notes)" if r.loudness != r.loudness else f"{r.loudness:.1f} LUFS"
        layout = {1: "mono", 2: "stereo"}.get(r.channels, f"{r.channels} channels")
        print(f"stylegen render: wrote {out} ({_duration(r.seconds)}, {r.sample_rate} Hz {layout}, {level}, "
              f"peak {peak_db(r.waveform):.1f} dBFS) with {r.renderer}", file=sys.stderr)
    return 0
