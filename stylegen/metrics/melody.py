"""Did the tune survive?  Melody recall, on pieces and on windows.

    melody_notes(score) -> (M, 5) notes        the named melody track's notes, else the top voice
    melody_recall(inp, out) -> float           share of the input's melody notes that the output
                                               plays at the same onset step and pitch
    window_melody_recall(inputs, outputs)      the same on rolls (B, 2, T, P): the input's
                                               top-voice onsets found in the output

The top voice of a piece is every note that is the highest sounding pitch at its onset step.
Recall is NaN when the input has no melody notes; an output with no notes scores 0; the
input itself scores 1.  An octave-displaced or delayed melody counts as lost: recall asks
whether a listener would hear the same tune at the same time.
"""

from __future__ import annotations

import math

import numpy as np

from stylegen.data.score import ONSET, PITCH, TRACK, Score
from stylegen.data.roll import ONSET_CH, SUSTAIN_CH


def melody_notes(score: Score) -> np.ndarray:
    """The melody: the notes of the track the file names as its melody when it has notes,
    else the top voice (the notes that are the highest sounding pitch at their onset)."""
    notes = score.notes
    m = score.melody_track
    if m is not None:
        sel = notes[notes[:, TRACK] == m]
        if len(sel):
            return sel
    if len(notes) == 0:
        return notes
    from stylegen.metrics.preservation import top_voice

    top = top_voice(score, max(int(score.length), int((notes[:, ONSET] + notes[:, 1]).max())))
    on = notes[:, ONSET].astype(np.int64)
    return notes[top[np.clip(on, 0, len(top) - 1)] == notes[:, PITCH]]


def _keys(notes: np.ndarray) -> np.ndarray:
    return np.unique(notes[:, ONSET].astype(np.int64) * 128 + notes[:, PITCH])


def melody_recall(inp: Score, out: Score) -> float:
    """Share of the input's melody notes (distinct onset step and pitch) that the output
    plays at the same onset and pitch.  NaN when the input has no melody notes."""
    from stylegen.metrics.preservation import _same_grid

    out = _same_grid(inp, out)
    mel = _keys(melody_notes(inp))
    if len(mel) == 0:
        return math.nan
    return float(np.isin(mel, _keys(out.notes)).mean())


def window_melody_recall(inputs, outputs) -> float:
    """Over a batch of rolls (B, 2, T, P) (bool, or 0/1 values thresholded at 0.5): the
    share of the inputs' top-voice onsets (an onset at the highest sounding pitch of its
    step) that the outputs have at the same step and pitch.  NaN without any."""
    def as_np(r):
        if hasattr(r, "detach"):
            return r.detach().float().cpu().numpy() > 0.5
        return np.asarray(r) > 0.5

    from stylegen.data.roll import canonical_roll

    x, y = canonical_roll(as_np(inputs)), canonical_roll(as_np(outputs))
    if x.shape != y.shape:
        raise ValueError(f"inputs and outputs differ in shape: {x.shape} and {y.shape}")
    sus = x[:, SUSTAIN_CH]
    P = sus.shape[-1]
    sounding = sus.any(axis=2)
    top = P - 1 - np.argmax(sus[:, :, ::-1], axis=2)  # (B, T)
    b, t = np.nonzero(sounding)
    p = top[b, t]
    mel = x[:, ONSET_CH][b, t, p]
    if not mel.any():
        return math.nan
    return float(y[:, ONSET_CH][b[mel], t[mel], p[mel]].mean())
