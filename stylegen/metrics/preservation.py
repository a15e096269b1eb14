"""Content preservation: did the piece survive the transfer?

Each function compares an input piece with its output (both :class:`Score`; the output is
put on the input's grid first) and returns a float, NaN when undefined.  Drums are left
out: they never enter a piano-roll.

    chroma_similarity    per bar, cosine similarity of the duration-weighted pitch-class
                         profiles (12 bins: steps each pitch class sounds, summed over notes);
                         a bar silent in both is skipped, a bar silent in one only scores 0
    onset_f1             F1 of the sets of onset steps on the grid (pitch_class=True: of
                         the (onset step, pitch class) pairs)
    contour_correlation  Pearson correlation of the top voice (highest sounding pitch,
                         ``data.content.top_voice_pitches``) of input and output at the
                         steps where both sound
    length_beats         a piece's length in beats (``Score.length``: its end of track)
    length_match         1.0 when the output's music ends where the input's does and the
                         whole lengths agree, each within ``tolerance``
                         beats, else 0.0
"""

from __future__ import annotations

import math

import numpy as np

from stylegen.data.content import top_voice_pitches
from stylegen.data.score import DURATION, ONSET, PITCH, Score, to_grid

LENGTH_TOLERANCE_BEATS = 1.0


def same_grid(inp: Score, out: Score) -> Score:
    """``out`` on ``inp``'s grid (``data.score.to_grid``)."""
    return to_grid(out, inp.resolution)


def bar_edges(score: Score, end: int | None = None) -> np.ndarray:
    """Bar boundaries (n_bars + 1,) in steps from the score's bar lines, extended with its
    last bar length until they cover ``end`` (default: the score's length)."""
    end = max(int(score.length if end is None else end), 1)
    starts = [int(s) for s in score.bar_starts()]
    sigs = score.trusted_time_signatures()
    if sigs:
        _, num, den = sigs[-1]
        bar = round(num * 4 / den * score.resolution)
    else:
        bar = 4 * score.resolution
    bar = max(1, bar)
    while starts[-1] + bar < end:
        starts.append(starts[-1] + bar)
    return np.array(starts + [max(end, starts[-1] + 1)], dtype=np.int64)


def _activity(notes: np.ndarray, length: int, n_bins: int, key) -> np.ndarray:
    """(length, n_bins) count of sounding notes per step and bin (``key`` maps pitches to bins)."""
    acc = np.zeros((length + 1, n_bins), dtype=np.int64)
    if len(notes):
        on = np.clip(notes[:, ONSET].astype(np.int64), 0, length)
        off = np.clip(on + notes[:, DURATION], 0, length)
        b = key(notes[:, PITCH].astype(np.int64))
        np.add.at(acc, (on, b), 1)
        np.add.at(acc, (off, b), -1)
    return np.cumsum(acc, axis=0)[:length]


def bar_chroma(score: Score, edges: np.ndarray) -> np.ndarray:
    """(n_bars, 12) duration-weighted pitch-class profile of each bar between ``edges``."""
    length = int(edges[-1])
    act = _activity(score.notes, length, 12, lambda p: p % 12).astype(np.float64)  # (T, 12)
    return np.add.reduceat(act, edges[:-1], axis=0) if len(edges) > 1 else np.zeros((0, 12))


def chroma_similarity(inp: Score, out: Score) -> float:
    """Mean over bars of the cosine similarity of input and output bar chroma.

    Bars silent in both are skipped; a bar silent in exactly one scores 0.  NaN when every
    bar is silent in both."""
    out = same_grid(inp, out)
    edges = bar_edges(inp, max(inp.length, out.length))
    a, b = bar_chroma(inp, edges), bar_chroma(out, edges)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    keep = (na > 0) | (nb > 0)
    if not keep.any():
        return math.nan
    both = (na > 0) & (nb > 0)
    cos = np.zeros(len(a))
    cos[both] = (a[both] * b[both]).sum(axis=1) / (na[both] * nb[both])
    return float(cos[keep].mean())


def onset_f1(inp: Score, out: Score, pitch_class: bool = False) -> float:
    """F1 between the onset sets of input and output: 2|I & O| / (|I| + |O|).

    With ``pitch_class`` an onset is the pair (step, pitch class).  NaN when both are empty."""
    out = same_grid(inp, out)

    def onsets(s: Score) -> np.ndarray:
        if pitch_class:
            return np.unique(s.notes[:, ONSET].astype(np.int64) * 12 + s.notes[:, PITCH] % 12)
        return np.unique(s.notes[:, ONSET].astype(np.int64))

    i, o = onsets(inp), onsets(out)
    if len(i) + len(o) == 0:
        return math.nan
    return float(2 * len(np.intersect1d(i, o)) / (len(i) + len(o)))


def contour_correlation(inp: Score, out: Score) -> float:
    """Pearson correlation of the input's and the output's top voice over the steps where
    both sound.  NaN with fewer than two such steps or a flat top voice in either."""
    out = same_grid(inp, out)
    T = max(inp.length, out.length)
    a, b = top_voice_pitches(inp.notes, T), top_voice_pitches(out.notes, T)
    both = (a >= 0) & (b >= 0)
    if both.sum() < 2:
        return math.nan
    x, y = a[both].astype(np.float64), b[both].astype(np.float64)
    x -= x.mean()
    y -= y.mean()
    den = math.sqrt(float((x * x).sum() * (y * y).sum()))
    if den == 0:
        return math.nan
    return float((x * y).sum() / den)


def length_beats(score: Score) -> float:
    """The piece's length in beats (``Score.length``: a final rest included where the file
    keeps its end of track)."""
    return score.length / score.resolution


def length_match(inp: Score, out: Score, tolerance: float = LENGTH_TOLERANCE_BEATS) -> float:
    """1.0 when the output keeps the input's length, else 0.0, as transfer means it
    (``inference/pieces.finish``): its music ends where the input's does (the end of the last
    note or drum hit, within ``tolerance`` beats: a final rest stays a rest), and its whole
    length (``Score.length``: with the final rest where the reader kept the file's end of
    track) is the input's, within ``tolerance`` beats too."""

    def music_end(s: Score) -> float:
        ends = [int((a[:, ONSET].astype(np.int64) + a[:, DURATION]).max()) for a in (s.notes, s.drums) if len(a)]
        return max(ends, default=0) / s.resolution

    return float(abs(music_end(out) - music_end(inp)) <= tolerance
                 and abs(length_beats(out) - length_beats(inp)) <= tolerance)


def content_metrics(inp: Score, out: Score) -> dict[str, float]:
    """All content metrics of one (input, output) pair."""
    out = same_grid(inp, out)
    return {
        "chroma": chroma_similarity(inp, out),
        "onset_f1": onset_f1(inp, out),
        "onset_pc_f1": onset_f1(inp, out, pitch_class=True),
        "contour": contour_correlation(inp, out),
        "length_match": length_match(inp, out),
        "length_diff_beats": length_beats(out) - length_beats(inp),
    }
