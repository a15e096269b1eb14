"""The page's piano-rolls: the whole piece, its time axis in bars, input and output alike.

    save_rolls(name, score_in, score_out, folder, single=False) -> (input PNG or None, output PNG)
    roll_figure(score, bars, low, high, length) -> matplotlib Figure     one roll, for tests too

Each roll is one image as wide as the piece (``PX_PER_BAR`` pixels a bar, so a long piece
scrolls sideways on the page rather than being squeezed or cut), onsets bright, sustains
dim, bar lines in white, the x-axis numbered in bars from the piece's own bar lines (its
time signatures), the y-axis in pitches with the Cs named.  The input's and the output's
images share the pitch range, the length and the bar lines, so that they line up.
matplotlib (a dependency) is imported on the first drawing, with the Agg backend.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from stylegen.data.score import DURATION, ONSET, PITCH, Score

PX_PER_BAR = 28  # pixels per bar at DPI: 400 bars (the page's longest piece) make an image 11,200 pixels wide
DPI = 90
HEIGHT_IN = 2.4  # inches
MARGIN_IN = 0.75  # the pitch axis and its labels
MIN_LABEL_PX = 24  # bar numbers at least this far apart
NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _plt():
    import matplotlib  # heavy: only once a roll is drawn

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt  # after the backend is chosen

    return plt


def roll_image(score: Score, low: int, high: int, length: int) -> np.ndarray:
    """(high - low + 1, length) float image: sustain 0.5, onset 1."""
    img = np.zeros((high - low + 1, max(1, length)), dtype=np.float32)
    for on, dur, p in score.notes[:, [ONSET, DURATION, PITCH]]:
        if on >= length or not low <= p <= high:
            continue
        end = min(length, on + max(1, dur))
        img[p - low, on:end] = np.maximum(img[p - low, on:end], 0.5)
        img[p - low, on] = 1.0
    return img


def bar_ticks(bars: np.ndarray, length: int) -> tuple[list[int], list[str]]:
    """Steps and labels of the numbered bars (1 = the first), thinned so that the numbers
    stay ``MIN_LABEL_PX`` apart."""
    bars = [int(b) for b in bars if b < max(1, length)] or [0]
    every = max(1, math.ceil(MIN_LABEL_PX / PX_PER_BAR))
    every = next(k for k in (1, 2, 4, 5, 10, 20, 50, 100) if k >= every)
    picked = [(b, i + 1) for i, b in enumerate(bars) if i % every == 0]
    return [b for b, _ in picked], [str(n) for _, n in picked]


def roll_figure(score: Score, bars: np.ndarray, low: int, high: int, length: int, title: str = ""):
    """One roll as a matplotlib Figure: ``length`` steps wide (``PX_PER_BAR`` a bar), pitches
    ``low``..``high``, bar lines at ``bars`` (steps), the x-axis numbered in bars."""
    plt = _plt()
    n_bars = max(1, len(bars))
    width = MARGIN_IN + 0.15 + n_bars * PX_PER_BAR / DPI
    fig = plt.figure(figsize=(width, HEIGHT_IN), dpi=DPI)
    ax = fig.add_axes((MARGIN_IN / width, 0.2, 1 - (MARGIN_IN + 0.15) / width, 0.68))
    ax.imshow(roll_image(score, low, high, length), origin="lower", aspect="auto", cmap="magma", vmin=0, vmax=1,
              extent=(0, length, low - 0.5, high + 0.5), interpolation="nearest")
    for b in bars[1:]:
        if b < length:
            ax.axvline(b, color="white", linewidth=0.5, alpha=0.5)
    ticks, labels = bar_ticks(bars, length)
    ax.set_xticks(ticks, labels)
    ax.set_xlim(0, length)
    ax.set_xlabel("bar", fontsize=7, labelpad=1)
    cs = [p for p in range(low, high + 1) if p % 12 == 0] or [low]
    ax.set_yticks(cs, [f"{NAMES[p % 12]}{p // 12 - 1}" for p in cs])
    ax.set_ylabel("pitch", fontsize=7)
    ax.tick_params(labelsize=6, length=2)
    if title:
        ax.set_title(title, fontsize=8, loc="left")
    return fig


def save_rolls(name: str, score_in: Score, score_out: Score, folder: Path, single: bool = False,
               file_name: str | None = None) -> tuple[Path | None, Path]:
    """Both rolls as PNGs in ``folder`` (``NAME.input-roll.png``, ``NAME.output-roll.png``),
    on one pitch range, length and set of bar lines (the input's); ``single``: the output's
    only (composition).  The Scores must be on one grid."""
    plt = _plt()
    both = [score_out] if single else [score_in, score_out]
    pitches = np.concatenate([s.notes[:, PITCH] for s in both])
    low, high = (int(pitches.min()), int(pitches.max())) if len(pitches) else (60, 72)
    low, high = max(0, low - 1), min(127, high + 1)
    length = max(1, *(int(s.length) for s in both))
    ref = score_out if single else score_in
    bars = replace(ref, length=length).bar_starts()  # to the end of the longer of the two
    stem = file_name or name
    paths: list[Path | None] = []
    for which, score in (("input", score_in), ("output", score_out)):
        if single and which == "input":
            paths.append(None)
            continue
        fig = roll_figure(score, bars, low, high, length, title=f"{name}: {which}")
        try:
            path = folder / f"{stem}.{which}-roll.png"
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)
        paths.append(path)
    return paths[0], paths[1]


__all__ = ["save_rolls", "roll_figure", "roll_image", "bar_ticks", "PX_PER_BAR"]
