"""The melody of a piece in transfer: what the generator must keep, and putting the original
notes back.  Which notes are the melody is ``data.content.melody_mask`` (the track the file
names as its melody when it has notes, else the top voice), the project's one definition.

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


def melody_clamp_cells(notes: np.ndarray, spec: RollSpec, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The clamp for the generator's ``sample`` from the melody's notes on the model's grid:
    values (2, T, P) float and mask (T, P) bool (``data.content.melody_clamp``)."""
    roll = torch.from_numpy(notes_to_roll(notes, spec, 0, length)).float()  # (2, T, P)
    return melody_clamp(roll, roll[1] > 0.5)


def clear_clamped(roll: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``roll`` (2, T, P) with every clamped cell (mask (T, P)) silent: what the generator
    wrote beside the melody it was made to keep."""
    return roll.masked_fill(mask[None], 0)


__all__ = ["melody_clamp_cells", "clear_clamped"]
