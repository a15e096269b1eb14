"""Did the tune survive?  Melody recall, on pieces and on windows.

    melody_recall(inp, out) -> float           share of the input's melody notes that the output
                                               plays at the same onset step and pitch
    window_melody_recall(inputs, outputs)      the same on rolls (B, 2, T, P): the input's
                                               top-voice onsets found in the output

The melody is ``data.content.melody_notes``: the named melody track's notes, else the top
voice, every note that is the highest sounding pitch at its onset step (the project's one
definition, on rolls ``data.content.top_voice``).  Recall is NaN when the input has no
melody notes; an output with no notes scores 0; the input itself scores 1.  An
octave-displaced or delayed melody counts as lost: recall asks whether a listener would
hear the same tune at the same time.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from stylegen.data.content import melody_notes, top_voice
from stylegen.data.roll import ONSET_CH, canonical_roll
from stylegen.data.score import ONSET, PITCH, Score
from stylegen.metrics.preservation import same_grid


def _keys(notes: np.ndarray) -> np.ndarray:
    return np.unique(notes[:, ONSET].astype(np.int64) * 128 + notes[:, PITCH])


def melody_recall(inp: Score, out: Score) -> float:
    """Share of the input's melody notes (distinct onset step and pitch) that the output
    plays at the same onset and pitch.  NaN when the input has no melody notes."""
    out = same_grid(inp, out)
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

    x, y = canonical_roll(as_np(inputs)), canonical_roll(as_np(outputs))
    if x.shape != y.shape:
        raise ValueError(f"inputs and outputs differ in shape: {x.shape} and {y.shape}")
    mel = x[:, ONSET_CH] & top_voice(torch.from_numpy(x)).numpy()  # (B, T, P) top-voice onsets
    if not mel.any():
        return math.nan
    return float(y[:, ONSET_CH][mel].mean())
