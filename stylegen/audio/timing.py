"""Grid steps -> seconds through a score's tempo map (vectorised).

A :class:`~stylegen.data.score.Score` keeps time in grid steps (``resolution`` per beat) and
its tempo map as ``[(step, quarter notes per minute), ...]``.  Before the first tempo event,
and when there is none, MIDI's default of 120 qpm holds.

    steps_to_seconds(steps, tempos, resolution) -> seconds (float64, same shape)
"""

from __future__ import annotations

import numpy as np

DEFAULT_QPM = 120.0  # the MIDI default when a file sets no tempo


def tempo_segments(tempos, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tempo map as piecewise-linear segments.

    Returns ``(start_step, sec_per_step, start_sec)``, each (K,) float64 with
    ``start_step[0] == 0``: from ``start_step[k]`` on, one step lasts ``sec_per_step[k]``
    seconds and the segment begins ``start_sec[k]`` seconds into the piece.  Of several
    tempo events at one step the last listed wins; non-positive tempos are ignored.
    """
    if resolution <= 0:
        raise ValueError(f"resolution must be positive, got {resolution}")
    by_step: dict[int, float] = {}
    for step, qpm in tempos or ():
        if qpm and qpm > 0 and np.isfinite(qpm):
            by_step[max(0, int(step))] = float(qpm)
    if 0 not in by_step:
        by_step[0] = DEFAULT_QPM
    start = np.array(sorted(by_step), dtype=np.float64)  # (K,)
    qpm = np.array([by_step[int(s)] for s in start], dtype=np.float64)  # (K,)
    sec_per_step = 60.0 / (qpm * resolution)  # (K,)
    start_sec = np.concatenate([[0.0], np.cumsum(np.diff(start) * sec_per_step[:-1])])  # (K,)
    return start, sec_per_step, start_sec


def steps_to_seconds(steps, tempos, resolution: int) -> np.ndarray:
    """Seconds from the start of the piece at each grid step (any shape; float64 out)."""
    steps = np.asarray(steps, dtype=np.float64)
    start, sec_per_step, start_sec = tempo_segments(tempos, resolution)
    k = np.searchsorted(start, steps, side="right") - 1  # segment of each step
    k = np.clip(k, 0, len(start) - 1)
    return start_sec[k] + (steps - start[k]) * sec_per_step[k]


def score_seconds(score) -> float:
    """Length of a Score in seconds (its ``length`` in steps through the tempo map)."""
    return float(steps_to_seconds(score.length, score.tempos, score.resolution))
