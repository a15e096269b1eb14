"""The melody of a piece: which notes it is, what the generator must keep, and putting the
original notes back.

    melody_mask(score) -> (mask (N,), how)    the track the file names as its melody (when it
                                              has notes), else the top voice: every note that
                                              is the highest sounding pitch at its onset step
                                              (the definition metrics/melody.py measures with)
    top_voice_mask(notes, length) -> (N,)     that top voice
    melody_clamp_cells(notes, spec, length)   the cells the generator must write: the melody's
                                              onsets and sustains, silence at and above it
    clear_clamped(roll, mask)                 the generated roll without those cells, so the
                                              melody is written back from the original notes

Transfer keeps the melody note for note: the generator is made to write it (so every later
step hears it, as in training), and the written file carries the input's own melody notes,
with their original ticks, durations and velocities, on their own track.
"""

from __future__ import annotations

import numpy as np
import torch

from stylegen.data.content import melody_clamp
from stylegen.data.roll import RollSpec, notes_to_roll
from stylegen.data.score import DURATION, ONSET, PITCH, TRACK, Score


def top_voice_mask(notes: np.ndarray, length: int | None = None) -> np.ndarray:
    """(N,) bool: the notes that are the highest sounding pitch at their onset step.

    >>> n = np.array([[0, 4, 60, 80, 0], [0, 4, 67, 80, 0], [4, 2, 64, 80, 0], [2, 1, 62, 80, 0]])
    >>> top_voice_mask(n).tolist()
    [False, True, True, False]
    """
    if len(notes) == 0:
        return np.zeros(0, dtype=bool)
    on = notes[:, ONSET].astype(np.int64)
    end = on + np.maximum(1, notes[:, DURATION].astype(np.int64))
    T = max(int(end.max()), int(length or 0))
    pitch = notes[:, PITCH].astype(np.int64)
    count = np.zeros((T + 1, 128), dtype=np.int32)  # notes sounding per (step, pitch), by differences
    np.add.at(count, (on, pitch), 1)
    np.add.at(count, (end, pitch), -1)
    sounding = np.cumsum(count, axis=0)[:T] > 0  # (T, 128)
    top = 127 - np.argmax(sounding[:, ::-1], axis=1)  # highest sounding pitch per step
    return top[on] == pitch


def melody_mask(score: Score) -> tuple[np.ndarray, str]:
    """(N,) bool mask of ``score.notes`` that carry the melody, and how it was found
    ("track 'NAME'" or "top voice")."""
    m = score.melody_track
    if m is not None:
        mask = score.notes[:, TRACK] == m
        if mask.any():
            return mask, f"track {score.tracks[m].name!r}"
    return top_voice_mask(score.notes, score.length), "top voice"


def melody_clamp_cells(notes: np.ndarray, spec: RollSpec, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The clamp for the generator's ``sample`` from the melody's notes on the model's grid:
    values (2, T, P) float and mask (T, P) bool (``data.content.melody_clamp``)."""
    roll = torch.from_numpy(notes_to_roll(notes, spec, 0, length)).float()  # (2, T, P)
    return melody_clamp(roll, roll[1] > 0.5)


def clear_clamped(roll: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``roll`` (2, T, P) with every clamped cell (mask (T, P)) silent: what the generator
    wrote beside the melody it was made to keep."""
    return roll.masked_fill(mask[None], 0)


__all__ = ["top_voice_mask", "melody_mask", "melody_clamp_cells", "clear_clamped"]
