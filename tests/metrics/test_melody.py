"""Melody recall and the selection score's gates (the rule baseline: tests/evaluation/test_baselines.py)."""

import math

import numpy as np
import pytest

from stylegen.data.score import Score, TrackInfo
from stylegen.errors import StylegenError
from stylegen.data.content import melody_notes
from stylegen.metrics.melody import melody_recall, window_melody_recall
from stylegen.metrics.selection import MELODY_MIN, selection_score, selection_terms
from tests.metrics.helpers import score


def two_tracks() -> Score:
    """A named melody (track 0, one note per beat) over a C major chord per bar (track 1)."""
    mel = [(i * 4, 4, p, 90, 0) for i, p in enumerate([72, 74, 76, 77, 79, 77, 76, 74])]
    acc = [(b * 16, 16, p, 60, 1) for b in range(2) for p in (48, 52, 55)]
    notes = np.array(mel + acc, dtype=np.int32)
    s = Score(resolution=4, notes=notes, tracks=[TrackInfo("Melody", 0, is_melody=True), TrackInfo("Piano", 0)],
              length=32, time_signatures=[(0, 4, 4)], tempos=[(0, 100.0)])
    return s.with_notes(notes)


def test_identity_keeps_everything_and_an_empty_output_nothing():
    s = two_tracks()
    assert melody_recall(s, s) == 1.0
    assert melody_recall(s, s.with_notes(s.notes[:0])) == 0.0
    assert math.isnan(melody_recall(s.with_notes(s.notes[:0]), s))


def test_the_named_melody_track_is_the_melody_else_the_top_voice():
    s = two_tracks()
    assert len(melody_notes(s)) == 8 and set(melody_notes(s)[:, 4]) == {0}
    low_melody = score([(0, 4, 40), (4, 4, 41)] + [(0, 8, 60)])  # one track: the top voice is 60 only
    assert melody_notes(low_melody)[:, 2].tolist() == [60]
    # the melody an octave up, or a step late, is lost
    up = s.with_notes(s.notes + np.array([0, 0, 12, 0, 0], dtype=np.int32))
    late = s.with_notes(s.notes + np.array([1, 0, 0, 0, 0], dtype=np.int32))
    assert melody_recall(s, up) == 0.0 and melody_recall(s, late) == 0.0
    # half the melody kept
    keep = s.notes[(s.notes[:, 4] == 1) | (s.notes[:, 0] < 16)]
    assert melody_recall(s, s.with_notes(keep)) == 0.5


def test_window_melody_recall_on_rolls():
    from stylegen.data.roll import RollSpec, notes_to_roll

    spec = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)
    s = two_tracks()
    x = notes_to_roll(s.notes, spec, 0, 32)[None]
    assert window_melody_recall(x, x) == 1.0
    assert window_melody_recall(x, np.zeros_like(x)) == 0.0
    only_chords = notes_to_roll(s.notes[s.notes[:, 4] == 1], spec, 0, 32)[None]
    assert window_melody_recall(x, only_chords) == 0.0
    assert math.isnan(window_melody_recall(np.zeros_like(x), x))


def metrics(tp=0.9, melody=0.9, fd=5.0, fd_id=10.0, prefix=""):
    return {f"{prefix}strength/target_prob": tp, f"{prefix}content/melody_recall": melody,
            f"{prefix}realism/fd": fd, "identity/realism/fd": fd_id}


def test_selection_gates_strength_by_realism_and_melody():
    good = selection_score(metrics())
    assert 0 <= good <= 1
    assert good == pytest.approx(0.5 * 0.9 + 0.25 * 0.9 + 0.25 * 0.5)
    less_real = selection_score(metrics(tp=1.0, fd=12.0))  # fully "classical", less real than the copy
    tune_lost = selection_score(metrics(tp=1.0, melody=MELODY_MIN - 0.01))
    weak_but_sound = selection_score(metrics(tp=0.05, melody=0.6, fd=9.9))
    assert less_real < 0 and tune_lost < 0 and weak_but_sound >= 0
    assert max(less_real, tune_lost) < weak_but_sound
    assert selection_score(metrics(fd=float("nan"))) == float("-inf")
    assert selection_terms(metrics(prefix="output/"), prefix="output/")["realism"] == pytest.approx(0.5)
    with pytest.raises(StylegenError, match="content/melody_recall"):
        selection_score({"strength/target_prob": 1.0})
