"""The torch Dataset training uses: N-bar piano-roll windows of one split.

    WindowDataset(corpus, "train", window_bars, hop_bars, transpose, seed)[i]
        -> dict(roll (2, T, P) float32, pos (T,) int64 steps since the bar line, style, piece,
                start, shift)

Rolls are rendered from the corpus's note arrays on the fly (about 50 us a window).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from stylegen.config import Recipe
from stylegen.data.content import bar_positions
from stylegen.data.dataset import Corpus, Piece, style_counts, window_index, window_steps
from stylegen.data.score import DURATION as DURATION_COL
from stylegen.data.score import ONSET, PITCH
from stylegen.data.roll import in_range, notes_to_roll

class WindowDataset(Dataset):
    """N-bar windows of one split.  Item: dict(roll (2, T, P) float32, style, piece, start, shift).

    The train split transposes each window by a random shift in ``[-transpose, transpose]``
    (restricted so that the window's notes stay in range), drawn from (seed, epoch, index)
    so runs are reproducible; call :meth:`set_epoch` each epoch.
    """

    def __init__(self, corpus: Corpus, split: str, window_bars: int = 4, hop_bars: int = 2,
                 transpose: int = 0, seed: int = 0):
        self.corpus = corpus
        self.spec = corpus.spec
        self.split = split
        self.window = window_steps(window_bars, corpus.spec.resolution)  # T
        self.transpose = transpose if split == "train" else 0
        self.seed = seed
        self.epoch = 0
        self.index = window_index(corpus, split, self.window, hop_bars)  # (n_windows, 2): piece, start

    @classmethod
    def from_recipe(cls, corpus: Corpus, recipe: Recipe, split: str) -> "WindowDataset":
        d = recipe.data
        return cls(corpus, split, d.window_bars, d.hop_bars, d.transpose, recipe.seed)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.index)

    def style_counts(self) -> list[int]:
        return style_counts(self.corpus, self.index)

    def window_notes(self, i: int) -> tuple[Piece, int, np.ndarray]:
        pid, start = (int(x) for x in self.index[i])
        piece = self.corpus.pieces[pid]
        notes = piece.notes
        # notes sounding in [start, start + T): onsets before start+T, ends after start
        hi = np.searchsorted(notes[:, ONSET], start + self.window, side="left")
        sel = notes[:hi]
        sel = sel[sel[:, ONSET] + sel[:, DURATION_COL] > start]
        return piece, start, sel

    def _shift(self, i: int, notes: np.ndarray) -> int:
        if self.transpose == 0 or len(notes) == 0:
            return 0
        inr = in_range(notes, self.spec)
        if not inr.any():
            return 0
        lo = max(-self.transpose, self.spec.lowest_pitch - int(notes[inr, PITCH].min()))
        hi = min(self.transpose, self.spec.highest_pitch - int(notes[inr, PITCH].max()))
        if lo > hi:
            return 0
        rng = np.random.default_rng((self.seed, self.epoch, i))
        return int(rng.integers(lo, hi + 1))

    def __getitem__(self, i: int) -> dict:
        piece, start, notes = self.window_notes(i)
        shift = self._shift(i, notes)
        roll = notes_to_roll(notes, self.spec, start, self.window, shift)
        return {
            "roll": torch.from_numpy(roll).float(),  # (2, T, P)
            "pos": torch.from_numpy(bar_positions(self.window, piece.bars, start)),  # (T,)
            "style": piece.style,
            "piece": int(self.index[i, 0]),
            "start": start,
            "shift": shift,
        }


def collate_windows(batch: list[dict]) -> dict:
    """Stack windows: roll (B, 2, T, P) float32; pos (B, T), style, piece, start, shift (B,) int64."""
    return {
        "roll": torch.stack([b["roll"] for b in batch]),
        "pos": torch.stack([b["pos"] for b in batch]),
        "style": torch.tensor([b["style"] for b in batch], dtype=torch.long),
        "piece": torch.tensor([b["piece"] for b in batch], dtype=torch.long),
        "start": torch.tensor([b["start"] for b in batch], dtype=torch.long),
        "shift": torch.tensor([b["shift"] for b in batch], dtype=torch.long),
    }
