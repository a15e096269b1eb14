"""Render time and peak memory of a 3-minute piece with each available renderer.

    python benchmarks/bench_audio.py                  # every renderer found, 44.1 kHz
    python benchmarks/bench_audio.py --minutes 1 --repeats 1 --renderers builtin

The piece is built in code (no data files): 100 bpm, a melody in eighth notes, half-note
triads, a bass line in quarters and a drum pattern (kick, snare, hi-hats) -- 3 minutes is
300 beats, 1,350 pitched notes and 938 drum hits.  Each renderer runs in a fresh
process: one small warm-up render (imports, soundfont loading), then ``--repeats`` timed
renders of the whole piece; the best is reported.  Peak memory is the growth of the
process's maximum resident set over the warm state during the first timed
``render_score`` (the render alone, its result included).

Columns: ``render_score`` end to end (synthesis + loudness normalisation + peak limit) at
44.1 kHz; the loudness step alone; ``write_audio`` of the WAV; ``render_for_tensorboard``
of the first 30 s at 16 kHz; real-time factor (seconds of audio per second of work).
Prints a markdown table for benchmarks/README.md, then a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def build_piece(minutes: float = 3.0, qpm: float = 100.0, resolution: int = 4):
    """A Score of ``minutes`` at ``qpm``: melody, chords, bass and drums."""
    from stylegen.data.score import Score, TrackInfo

    beats = int(round(minutes * qpm))
    rng = np.random.default_rng(0)
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    prog = [0, 5, 3, 4]  # I-vi-IV-V as scale degrees
    notes, drums = [], []
    half = resolution // 2
    for b in range(beats):
        root = scale[prog[(b // 4) % 4]]
        for e in range(2):  # melody: eighth notes around C5
            deg = rng.integers(0, 7)
            notes.append((b * resolution + e * half, half, 72 + scale[deg] + 12 * (rng.random() < 0.15), int(rng.integers(70, 110)), 0))
        if b % 2 == 0:  # chords: half-note triads around C4
            for iv in (0, 2, 4):
                deg = (prog[(b // 4) % 4] + iv) % 7
                notes.append((b * resolution, 2 * resolution, 60 + scale[deg], 64, 1))
        notes.append((b * resolution, resolution, 36 + root, 80, 2))  # bass: quarters
        drums.append((b * resolution, 1, 36 if b % 2 == 0 else 38, 100, 0))  # kick / snare
        for e in range(2):
            drums.append((b * resolution + e * half, 1, 42, 70, 0))  # closed hi-hat eighths
        if b % 8 == 0:
            drums.append((b * resolution, 1, 49, 90, 0))  # crash
    n = np.array(notes, dtype=np.int32)
    d = np.array(drums, dtype=np.int32)
    order = np.lexsort((n[:, 2], n[:, 0]))
    return Score(resolution=resolution, notes=n[order], length=beats * resolution, tempos=[(0, qpm)],
                 tracks=[TrackInfo("melody", 0, True), TrackInfo("chords", 0), TrackInfo("bass", 32)],
                 time_signatures=[(0, 4, 4)], drums=d[np.lexsort((d[:, 2], d[:, 0]))],
                 drum_tracks=[TrackInfo("drums", 0)], title="bench")


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def run_one(renderer: str, minutes: float, repeats: int, sample_rate: int, threads: int) -> dict:
    """In this process: warm up, then time the renders."""
    import torch

    import stylegen.audio.render as render_module
    from stylegen.audio.loudness import normalize_loudness
    from stylegen.audio.render import render_for_tensorboard, render_score, write_audio

    render_module.RENDER_THREADS = threads
    piece = build_piece(minutes)
    kind = "builtin" if renderer == "builtin" else "soundfont"
    render_score(build_piece(0.05), sample_rate, renderer=kind)  # imports, soundfont load
    render_for_tensorboard(build_piece(0.05), renderer=kind)
    base = _maxrss_mb()
    best = {"render": float("inf"), "normalise": float("inf"), "write": float("inf"), "tensorboard": float("inf")}
    peak = None
    for _ in range(repeats):
        t = time.perf_counter()
        r = render_score(piece, sample_rate, renderer=kind)
        best["render"] = min(best["render"], time.perf_counter() - t)
        peak = _maxrss_mb() - base if peak is None else peak  # the first render alone
        raw = render_score(piece, sample_rate, renderer=kind, loudness=None).waveform
        torch.set_num_threads(threads)  # as render_score does
        t = time.perf_counter()
        normalize_loudness(raw, sample_rate, -16.0)
        best["normalise"] = min(best["normalise"], time.perf_counter() - t)
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            write_audio(Path(tmp) / "bench.wav", r.waveform, r.sample_rate)
            best["write"] = min(best["write"], time.perf_counter() - t)
        t = time.perf_counter()
        render_for_tensorboard(piece, renderer=kind)
        best["tensorboard"] = min(best["tensorboard"], time.perf_counter() - t)
    return {
        "renderer": r.renderer, "audio_s": r.seconds, "channels": r.channels, "loudness": r.loudness,
        "notes": int(len(piece.notes)), "drums": int(len(piece.drums)), **best,
        "peak_mb": peak, "threads": threads,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--sample-rate", type=int, default=44100)
    ap.add_argument("--threads", type=int, default=1, help="torch threads while rendering (RENDER_THREADS)")
    ap.add_argument("--renderers", nargs="*", default=None, help="builtin, soundfont (default: all available)")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child process: run one renderer, print JSON
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.minutes, args.repeats, args.sample_rate, args.threads)))
        return 0

    from stylegen.audio.soundfont import find_soundfont

    renderers = args.renderers or (["builtin"] + (["soundfont"] if find_soundfont() else []))
    if "soundfont" in renderers and not find_soundfont():
        print("no soundfont installed: skipping the soundfont renderer", file=sys.stderr)
        renderers = [r for r in renderers if r != "soundfont"]
    load_start = os.getloadavg()[0]
    rows = []
    for r in renderers:
        cmd = [sys.executable, __file__, "--one", r, "--minutes", str(args.minutes), "--repeats", str(args.repeats),
               "--sample-rate", str(args.sample_rate), "--threads", str(args.threads)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    first = rows[0]
    print(f"{first['audio_s']:.1f} s of audio ({first['notes']} notes + {first['drums']} drum hits), "
          f"{args.sample_rate} Hz, best of {args.repeats}, {os.cpu_count()} CPUs, torch threads {first['threads']}\n")
    print("| renderer | render_score | of which loudness | write WAV | TensorBoard 30 s @16 kHz | real-time factor | peak memory |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        ch = "mono" if row["channels"] == 1 else "stereo"
        print(f"| {row['renderer']} ({ch}) | {row['render']:.2f} s | {row['normalise']:.2f} s | {row['write']:.2f} s | "
              f"{row['tensorboard']:.2f} s | {row['audio_s'] / row['render']:.0f}x | +{row['peak_mb']:.0f} MB |")
    print(f"\nload average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    print(json.dumps({"sample_rate": args.sample_rate, "minutes": args.minutes, "threads": args.threads,
                      "load_start": load_start, "load_end": os.getloadavg()[0], "renderers": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
