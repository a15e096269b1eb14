"""The central data type: a piece of music on a beat grid.

    Score      notes (N, 5) int32 on a grid of ``resolution`` steps per beat, plus what
               writes the piece back faithfully: tempo map, time and key signatures,
               tracks (name, program, which carries the melody), drums kept apart
    TrackInfo  one track's name, General MIDI program and melody flag
    ONSET, DURATION, PITCH, VELOCITY, TRACK    the columns of ``Score.notes``
    to_grid(score, resolution) -> Score        the one way a piece moves onto another grid
                                               (``scale_steps``, ``notes_to_grid`` for bare notes)

No I/O here: ``data/midi.py`` reads and writes MIDI files, ``data/roll.py`` turns notes
into piano-rolls, and everything else that only needs the type imports it from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

# Columns of Score.notes, an (N, 5) int32 array.
ONSET, DURATION, PITCH, VELOCITY, TRACK = range(5)
NOTE_COLUMNS = ("onset", "duration", "pitch", "velocity", "track")


@dataclass
class TrackInfo:
    name: str
    program: int
    is_melody: bool = False


@dataclass
class Score:
    """A piece on a beat grid.  All times are in grid steps (``resolution`` per beat)."""

    resolution: int
    notes: np.ndarray  # (N, 5) int32: onset, duration, pitch, velocity, track; sorted by onset, pitch
    tracks: list[TrackInfo]
    length: int  # steps, end of the last note (or of the file's last event)
    tempos: list[tuple[int, float]] = field(default_factory=list)  # (step, quarter notes per minute)
    time_signatures: list[tuple[int, int, int]] = field(default_factory=list)  # (step, numerator, denominator)
    key_signatures: list[tuple[int, int, str]] = field(default_factory=list)  # (step, root 0-11, "major"/"minor")
    drums: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.int32))  # like notes; track = drum track
    drum_tracks: list[TrackInfo] = field(default_factory=list)
    title: str = ""

    @property
    def n_beats(self) -> float:
        return self.length / self.resolution

    @property
    def melody_track(self) -> int | None:
        """Index of the track that carries the melody, when the file names one."""
        for i, t in enumerate(self.tracks):
            if t.is_melody:
                return i
        return None

    def with_notes(self, notes: np.ndarray, tracks: list[TrackInfo] | None = None) -> "Score":
        """A copy with other notes (same tempo map, meter, keys, drums)."""
        notes = sort_notes(np.asarray(notes, dtype=np.int32).reshape(-1, 5))
        return replace(self, notes=notes, tracks=list(self.tracks if tracks is None else tracks))

    # ---------------------------------------------------------------- bars

    def trusted_time_signatures(self) -> list[tuple[int, int, int]]:
        """Time signatures that look real; [] when any looks bogus (pop909's 1/4, say)."""
        sigs = sorted(set(self.time_signatures))
        for _, num, den in sigs:
            if num < 2 or den not in (1, 2, 4, 8, 16, 32):
                return []
        # several signatures at the same step: keep the last one written
        by_step: dict[int, tuple[int, int, int]] = {}
        for s in sorted(self.time_signatures, key=lambda t: t[0]):
            by_step[s[0]] = s
        return [by_step[k] for k in sorted(by_step)]

    def bar_starts(self) -> np.ndarray:
        """Steps at which bars begin, from the time signatures where they are trustworthy,
        else from a 4-beat grid starting at step 0.  Shape (n_bars,), int64."""
        sigs = self.trusted_time_signatures()
        if not sigs or sigs[0][0] > 0:
            sigs = [(0, 4, 4)] + sigs if sigs else [(0, 4, 4)]
        end = max(self.length, 1)
        starts: list[int] = []
        for i, (step, num, den) in enumerate(sigs):
            nxt = sigs[i + 1][0] if i + 1 < len(sigs) else end
            bar = max(1, round(num * 4 / den * self.resolution))
            # stop at the end of the piece: a signature far past the last note must not
            # enumerate millions of empty bars
            starts.extend(range(step, max(min(nxt, end), step + 1), bar))
        arr = np.array(sorted(set(s for s in starts if s < end)), dtype=np.int64)
        return arr if len(arr) else np.zeros(1, np.int64)


def sort_notes(notes: np.ndarray) -> np.ndarray:
    if len(notes) == 0:
        return notes.reshape(0, 5).astype(np.int32)
    order = np.lexsort((notes[:, TRACK], notes[:, PITCH], notes[:, ONSET]))
    return np.ascontiguousarray(notes[order], dtype=np.int32)


# --------------------------------------------------------------------------- grids


def scale_steps(steps, factor: float) -> np.ndarray:
    """Steps of one grid on another (``factor`` = new resolution / old), rounded half to
    even as the MIDI reader rounds ticks."""
    return np.rint(np.asarray(steps, dtype=np.float64) * factor).astype(np.int64)


def notes_to_grid(notes: np.ndarray, factor: float) -> np.ndarray:
    """Notes (N, 5) on another grid (``factor`` = new resolution / old): onset and end
    rounded (``scale_steps``), a note shorter than a step kept one step long; rows keep
    their order."""
    if len(notes) == 0:
        return notes.copy()
    on = scale_steps(notes[:, ONSET], factor)
    end = scale_steps(notes[:, ONSET].astype(np.int64) + notes[:, DURATION], factor)
    out = notes.copy()
    out[:, ONSET] = on
    out[:, DURATION] = np.maximum(1, end - on)
    return out


def to_grid(score: Score, resolution: int) -> Score:
    """``score`` on a grid of ``resolution`` steps per beat (itself when it already is).

    A note's onset and end are rounded (a note shorter than a step keeps one step), as the
    MIDI reader puts ticks on the grid; the length is rounded up, so a final rest is kept;
    notes keep their order (index i is the same note in both), and the tempo map, meter and
    keys move with them."""
    if score.resolution == resolution:
        return score
    f = resolution / score.resolution
    notes, drums = notes_to_grid(score.notes, f), notes_to_grid(score.drums, f)
    ends = [int((a[:, ONSET] + a[:, DURATION]).max()) for a in (notes, drums) if len(a)]
    length = max([math.ceil(score.length * f - 1e-9)] + ends)
    return replace(
        score, resolution=resolution, notes=notes, drums=drums, length=length,
        tempos=[(int(scale_steps(t, f)), q) for t, q in score.tempos],
        time_signatures=[(int(scale_steps(t, f)), n, d) for t, n, d in score.time_signatures],
        key_signatures=[(int(scale_steps(t, f)), r, m) for t, r, m in score.key_signatures],
    )


__all__ = ["Score", "TrackInfo", "sort_notes", "scale_steps", "notes_to_grid", "to_grid", "NOTE_COLUMNS", "ONSET",
           "DURATION", "PITCH", "VELOCITY", "TRACK"]
