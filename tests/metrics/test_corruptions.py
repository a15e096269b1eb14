"""metrics/corruptions.py: each corruption of a tiny piece built in code, value for value.
The random draws come from a stand-in generator that returns the draws the test chose."""

from __future__ import annotations

import numpy as np
import pytest

from stylegen.metrics.corruptions import CORRUPTIONS, corrupt

# (onset, duration, pitch, velocity, track) on a grid of 4 steps per beat: a melody note per
# half bar over a held C major triad, then a bar later a lone G5
PIECE = np.array([
    [0, 8, 60, 80, 0],
    [0, 16, 48, 60, 0],
    [8, 8, 64, 90, 0],
    [20, 2, 67, 100, 0],
], dtype=np.int32)


class Draws:
    """A stand-in for ``numpy.random.Generator``: ``random`` and ``integers`` return the
    arrays given, in order, and record what they were asked for."""

    def __init__(self, random=(), integers=()):
        self._random, self._integers = list(random), list(integers)
        self.asked: list[tuple] = []

    def random(self, n):
        self.asked.append(("random", n))
        return np.asarray(self._random.pop(0), dtype=np.float64)

    def integers(self, lo, hi, n):
        self.asked.append(("integers", lo, hi, n))
        return np.asarray(self._integers.pop(0), dtype=np.int64)


def test_the_kinds_in_table_order():
    assert CORRUPTIONS == ("deleted", "stray", "register", "sparse_repeated")


def test_deleted_keeps_the_notes_whose_draw_is_at_least_a_half():
    rng = Draws(random=[[0.1, 0.5, 0.49, 0.9]])
    out = corrupt(PIECE, "deleted", rng)
    assert rng.asked == [("random", 4)]
    assert out.tolist() == [[0, 16, 48, 60, 0], [20, 2, 67, 100, 0]]
    assert PIECE.shape == (4, 5)  # the input is not changed


def test_stray_adds_half_as_many_random_notes_within_the_piece():
    rng = Draws(integers=[[3, 21], [1, 4], [36, 95]])  # onsets, durations, pitches
    out = corrupt(PIECE, "stray", rng)
    # onsets from the first onset to the last end, 1-4 steps long, pitches 36-95
    assert rng.asked == [("integers", 0, 22, 2), ("integers", 1, 5, 2), ("integers", 36, 96, 2)]
    median_velocity = 85  # of 80, 60, 90, 100
    assert out.tolist() == [
        [0, 16, 48, 60, 0],
        [0, 8, 60, 80, 0],
        [3, 1, 36, median_velocity, 0],
        [8, 8, 64, 90, 0],
        [20, 2, 67, 100, 0],
        [21, 4, 95, median_velocity, 0],
    ]


def test_register_moves_everything_two_octaves_up_and_drops_what_leaves_midi():
    high = np.array([[0, 4, 103, 70, 0], [4, 4, 104, 70, 1]], dtype=np.int32)
    out = corrupt(np.concatenate([PIECE, high]), "register", np.random.default_rng(0))
    assert out.tolist() == [
        [0, 8, 84, 80, 0],
        [0, 16, 72, 60, 0],
        [8, 8, 88, 90, 0],
        [20, 2, 91, 100, 0],
        [0, 4, 127, 70, 0],  # 103 + 24 = 127, the highest MIDI pitch: kept; 104 + 24 dropped
    ]


def test_sparse_repeated_is_one_staccato_note_a_sounding_beat_on_the_top_of_its_bar_an_octave_up():
    out = corrupt(PIECE, "sparse_repeated", np.random.default_rng(0))
    # beats 0-12 in bar 0 (top pitch 64 -> 76); beat 16 sounds nothing (the triad ends there,
    # G5 starts at 20): skipped; beat 20 in bar 1 (top 67 -> 79); velocity: the median, 85
    assert out.tolist() == [
        [0, 1, 76, 85, 0],
        [4, 1, 76, 85, 0],
        [8, 1, 76, 85, 0],
        [12, 1, 76, 85, 0],
        [20, 1, 79, 85, 0],
    ]


def test_sparse_repeated_follows_the_bar_length_and_stops_at_midi_127():
    out = corrupt(PIECE, "sparse_repeated", np.random.default_rng(0), bar_steps=12)  # bars of 3 beats
    # bar 0 (steps 0-11) tops at 64; bar 1 (12-23) holds the triad's end, 64 until 16 and G5: 67
    assert out[:, 0].tolist() == [0, 4, 8, 12, 20]
    assert out[:, 2].tolist() == [76, 76, 76, 79, 79]
    top = np.array([[0, 4, 120, 64, 2]], dtype=np.int32)
    assert corrupt(top, "sparse_repeated", np.random.default_rng(0)).tolist() == [[0, 1, 127, 64, 2]]


def test_an_empty_piece_stays_empty_and_an_unknown_kind_is_an_error():
    empty = np.zeros((0, 5), np.int32)
    for kind in CORRUPTIONS:
        assert corrupt(empty, kind, np.random.default_rng(0)).shape == (0, 5)
    with pytest.raises(ValueError, match="unknown corruption 'noise'"):
        corrupt(PIECE, "noise", np.random.default_rng(0))
