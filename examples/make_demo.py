"""Write examples/pop_demo.mid: 16 bars of a pop-style song made here (no dataset).

A I-V-vi-IV progression in C at 96 bpm: a melody track named "Melody", a piano
accompaniment of broken chords and bass, and a drum track (kept apart by stylegen).

    python examples/make_demo.py
"""

from pathlib import Path

import numpy as np

from stylegen.data.midi import write_score
from stylegen.data.score import Score, TrackInfo

RES = 4  # steps per beat
CHORDS = [(60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60)]  # C G Am F
MELODY = [  # (beat in bar, beats, pitch) for each of the 4 chords, repeated with a variation
    [(0, 1, 76), (1, 1, 74), (2, 2, 72)],
    [(0, 1.5, 74), (1.5, 0.5, 72), (2, 2, 71)],
    [(0, 1, 72), (1, 1, 71), (2, 1, 69), (3, 1, 72)],
    [(0, 3, 69), (3, 1, 67)],
]


def main(path: Path = Path(__file__).with_name("pop_demo.mid")) -> Path:
    notes, drums = [], []
    for bar in range(16):
        root = CHORDS[bar % 4]
        start = bar * 4 * RES
        for beat, beats, pitch in MELODY[bar % 4]:
            lift = 2 if bar >= 8 and pitch + 2 in (74, 76, 77, 79) else 0
            notes.append((start + int(beat * RES), int(beats * RES), pitch + lift, 96, 0))
        notes.append((start, 8, root[0] - 24, 80, 1))  # bass on beats 1 and 3
        notes.append((start + 8, 8, root[0] - 24, 76, 1))
        for k in range(8):  # broken chord in eighths
            notes.append((start + 2 * k, 2, root[k % 3] - 12 if k % 4 else root[0] - 12, 64, 1))
        for beat in range(4):
            drums.append((start + beat * RES, 1, 36 if beat % 2 == 0 else 38, 90, 0))
            drums.append((start + beat * RES + 2, 1, 42, 60, 0))
    score = Score(
        resolution=RES,
        notes=np.array(notes, dtype=np.int32),
        tracks=[TrackInfo("Melody", 0, is_melody=True), TrackInfo("Piano", 0)],
        length=16 * 4 * RES,
        tempos=[(0, 96.0)],
        time_signatures=[(0, 4, 4)],
        key_signatures=[(0, 0, "major")],
        drums=np.array(drums, dtype=np.int32),
        drum_tracks=[TrackInfo("Drums", 0)],
        title="stylegen pop demo",
    )
    write_score(score.with_notes(score.notes), path)
    return path


if __name__ == "__main__":
    print(main())
