"""Tiny pieces and a stub classifier, built in code, for the metric tests."""

from __future__ import annotations

import numpy as np

from stylegen.data.score import Score, TrackInfo
from stylegen.errors import StylegenError


def score(notes, resolution: int = 4, length: int | None = None, time_signatures=((0, 4, 4),), keys=(),
          title: str = "t") -> Score:
    """A one-track Score from (onset, duration, pitch) or (onset, duration, pitch, velocity) rows, in steps."""
    rows = [tuple(n) + (80,) * (4 - len(n)) + (0,) for n in notes]
    arr = np.array(rows, dtype=np.int32).reshape(-1, 5)
    end = int((arr[:, 0] + arr[:, 1]).max()) if len(arr) else 0
    s = Score(resolution=resolution, notes=arr, tracks=[TrackInfo("Piano", 0)], length=end if length is None else length,
              tempos=[(0, 120.0)], time_signatures=list(time_signatures), key_signatures=list(keys), title=title)
    return s.with_notes(arr)


def scale(start: int = 0, pitches=(60, 62, 64, 65, 67, 69, 71, 72), step: int = 4, shift: int = 0) -> Score:
    """One note per beat (4 steps at resolution 4)."""
    return score([(start + i * step, step, p + shift) for i, p in enumerate(pitches)])


class StubClassifier:
    """Calls a piece 'high' (style 1) when its highest pitch is at least 72, else 'low' (style 0).

    Probabilities per piece are [0.8, 0.1, 0.1] or [0.1, 0.8, 0.1]; every piece is one window."""

    styles = ["low", "high", "other"]
    path = "stub"

    def index(self, style: str) -> int:
        if style not in self.styles:
            raise StylegenError(f"unknown style {style!r}")
        return self.styles.index(style)

    @staticmethod
    def row(s: Score) -> list[float]:
        if len(s.notes) == 0:
            return [float("nan")] * 3
        return [0.1, 0.8, 0.1] if s.notes[:, 2].max() >= 72 else [0.8, 0.1, 0.1]

    def classify(self, scores, progress=None, batch_size=256, return_windows=False):
        p = np.array([self.row(s) for s in scores], dtype=np.float64).reshape(-1, 3)
        if return_windows:
            return p, p[np.isfinite(p).all(axis=1)]
        return p
