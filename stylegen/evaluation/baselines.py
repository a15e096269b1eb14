"""A rule every style-transfer system must beat: the melody kept, block chords under it.

    rule_baseline(score) -> Score

The melody (the named melody track, else the top voice: ``data.content.melody_notes``) is
kept note for note.  Everything else is replaced, bar by bar (the score's bar lines), by a
block chord on every beat, one beat long: the bar's most present pitch classes (duration-
weighted; at most four, each at least a tenth of the strongest) in the octave below middle C
(48-59), over the pitch class of the bar's lowest accompaniment note in the octave below
that (36-47).  The pitch classes come from the accompaniment of the bar, or from the melody
where the bar has no accompaniment.  Tempo map, meter, keys and drums are the input's.
Evaluations report it as the ``rule`` row: a system is only "better than a rule" where it
beats this row.
"""

from __future__ import annotations

import numpy as np

from stylegen.data.content import melody_notes
from stylegen.data.score import DURATION, ONSET, PITCH, TRACK, VELOCITY, Score, TrackInfo
from stylegen.metrics.preservation import bar_chroma, bar_edges

CHORD_LOW = 48  # the chord's octave: C3..B3
BASS_LOW = 36  # the bass's octave: C2..B2
MAX_CHORD_PCS = 4
MIN_PC_SHARE = 0.1


def rule_baseline(score: Score) -> Score:
    """The melody kept, the rest replaced by block chords of each bar's pitch classes on every beat."""
    notes = score.notes
    mel = melody_notes(score)
    is_mel = np.isin(notes[:, ONSET].astype(np.int64) * 1024 + notes[:, PITCH] * 8 + notes[:, TRACK] % 8,
                     mel[:, ONSET].astype(np.int64) * 1024 + mel[:, PITCH] * 8 + mel[:, TRACK] % 8)
    acc = notes[~is_mel]
    end = int(score.length)
    edges = bar_edges(score, end)
    acc_chroma = bar_chroma(score.with_notes(acc), edges)
    mel_chroma = bar_chroma(score.with_notes(mel), edges)
    res = score.resolution
    velocity = int(np.median(acc[:, VELOCITY])) if len(acc) else (int(np.median(mel[:, VELOCITY])) if len(mel) else 64)
    out = [np.column_stack([mel[:, ONSET], mel[:, DURATION], mel[:, PITCH], mel[:, VELOCITY],
                            np.zeros(len(mel), np.int32)])]
    for b in range(len(edges) - 1):
        lo, hi = int(edges[b]), int(edges[b + 1])
        prof = acc_chroma[b] if acc_chroma[b].sum() > 0 else mel_chroma[b]
        if prof.sum() <= 0:
            continue
        order = np.argsort(-prof, kind="stable")
        pcs = [int(pc) for pc in order[:MAX_CHORD_PCS] if prof[pc] >= MIN_PC_SHARE * prof[order[0]]]
        in_bar = acc[(acc[:, ONSET] < hi) & (acc[:, ONSET] + acc[:, DURATION] > lo)]
        bass_pc = int(in_bar[:, PITCH].min()) % 12 if len(in_bar) else pcs[0]
        chord = sorted({CHORD_LOW + pc for pc in pcs}) + [BASS_LOW + bass_pc]
        for on in range(lo, min(hi, max(end, lo + 1)), res):
            dur = min(res, hi - on)
            out.append(np.array([[on, dur, p, velocity, 1] for p in chord], dtype=np.int32))
    new = np.concatenate(out) if out else np.zeros((0, 5), np.int32)
    tracks = [TrackInfo(name="Melody", program=0, is_melody=True), TrackInfo(name="Chords", program=0)]
    return score.with_notes(new, tracks)
