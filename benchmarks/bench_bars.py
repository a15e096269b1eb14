"""Bar lines of a piece whose time signature changes far past its end (was a timed unit test).

    python benchmarks/bench_bars.py [--runs 5]

A one-note MIDI file in 4/4 with a 3/4 signature 50 million beats after the note (4 ticks
per beat, so the delta time fits the MIDI standard's four bytes).  ``Score.bar_starts``
once enumerated every empty bar up to that signature (31 s and 0.5 GB); bar lines now
stop at the end of the piece.  Times ``read_score`` and ``bar_starts`` separately (median
of ``--runs``) and checks the bar lines.  Target: bar_starts under 0.5 s on a loaded
machine (it is microseconds when right).  Prints a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import mido

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from stylegen.data.midi import read_score  # noqa: E402


def write_far_signature(path: Path) -> Path:
    mid = mido.MidiFile(ticks_per_beat=4)
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    track.append(mido.Message("note_on", note=60, velocity=80, time=0))
    track.append(mido.Message("note_off", note=60, velocity=0, time=16))
    track.append(mido.MetaMessage("time_signature", numerator=3, denominator=4, time=200_000_000 - 16))
    track.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(track)
    mid.save(str(path))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_far_signature(Path(tmp) / "far.mid")
        reads, bars = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            score = read_score(path, 4)
            reads.append(time.perf_counter() - t)
            t = time.perf_counter()
            lines = score.bar_starts()
            bars.append(time.perf_counter() - t)
    assert lines.tolist() == [0], lines[:10]
    summary = {"machine": info, "runs": args.runs, "read_score_s": round(statistics.median(reads), 4),
               "bar_starts_s": round(statistics.median(bars), 6), "bar_starts_max_s": round(max(bars), 6),
               "target_bar_starts_s": 0.5}
    print(f"read_score {summary['read_score_s']} s, bar_starts {summary['bar_starts_s']} s "
          f"(max {summary['bar_starts_max_s']} s) over {args.runs} runs")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
