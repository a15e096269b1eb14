import math

import pytest

from stylegen.data.content import top_voice_pitches
from stylegen.metrics.preservation import (bar_edges, chroma_similarity, content_metrics, contour_correlation,
                                           length_beats, length_match, onset_f1)
from tests.metrics.helpers import scale, score

C4, E4, F4, G4 = 60, 64, 65, 67


def test_bar_chroma_cosine_per_bar():
    inp = score([(0, 16, C4), (16, 16, E4)])
    out = score([(0, 16, C4), (16, 16, G4)])
    assert chroma_similarity(inp, out) == pytest.approx(0.5)  # bar 0: 1, bar 1: 0


def test_chroma_is_duration_weighted_and_octave_blind():
    inp = score([(0, 12, C4), (12, 4, E4)])
    out = score([(0, 4, C4 + 12), (4, 12, E4 - 12)])
    # (12, 4) . (4, 12) / (|(12, 4)| |(4, 12)|) = 96 / 160
    assert chroma_similarity(inp, out) == pytest.approx(0.6)


def test_chroma_skips_bars_silent_in_both_and_scores_zero_when_one_is_silent():
    inp = score([(0, 16, C4), (32, 16, E4)], length=64)
    out = score([(0, 16, C4), (48, 16, G4)], length=64)
    # bar 0: 1; bar 1 silent in both: skipped; bar 2: only the input plays: 0; bar 3: only the output: 0
    assert chroma_similarity(inp, out) == pytest.approx(1 / 3)
    assert math.isnan(chroma_similarity(score([], length=16), score([], length=16)))


def test_onset_f1_on_the_grid_and_with_pitch_classes():
    inp = score([(0, 4, C4), (4, 4, E4), (8, 4, G4), (12, 4, C4)])
    out = score([(0, 4, C4), (4, 2, F4), (6, 2, C4)])
    assert onset_f1(inp, out) == pytest.approx(2 * 2 / (4 + 3))  # {0, 4} shared
    assert onset_f1(inp, out, pitch_class=True) == pytest.approx(2 * 1 / (4 + 3))  # only (0, C)
    assert onset_f1(inp, score([], length=16)) == 0.0
    assert math.isnan(onset_f1(score([], length=16), score([], length=16)))


def test_top_voice_and_contour_correlation():
    inp = score([(0, 4, 60), (4, 4, 62), (8, 4, 64), (12, 4, 65), (0, 16, 48)])  # a bass under the tune
    assert top_voice_pitches(inp.notes, inp.length).tolist() == [60] * 4 + [62] * 4 + [64] * 4 + [65] * 4
    up = score([(0, 4, 67), (4, 4, 69), (8, 4, 71), (12, 4, 72)])
    down = score([(0, 4, 72), (4, 4, 70), (8, 4, 68), (12, 4, 67)])  # the mirror image
    assert contour_correlation(inp, up) == pytest.approx(1.0)  # same contour, 7 semitones up
    assert contour_correlation(inp, down) == pytest.approx(-1.0)
    assert math.isnan(contour_correlation(inp, score([(0, 16, 60)])))  # a flat top voice


def test_length_in_beats_must_match_within_one_beat():
    inp = score([(0, 32, C4)])
    assert length_beats(inp) == 8.0
    assert length_match(inp, score([(0, 36, C4)])) == 1.0
    assert length_match(inp, score([(0, 40, C4)])) == 0.0


def test_bar_edges_follow_the_meter_and_extend_to_the_end():
    three = score([(0, 12, C4)], time_signatures=[(0, 3, 4)])
    assert bar_edges(three, 30).tolist() == [0, 12, 24, 30]
    assert bar_edges(score([(0, 16, C4)])).tolist() == [0, 16]


def test_output_on_another_grid_is_compared_on_the_inputs_grid():
    inp = scale()
    out = score([(8 * i, 8, p) for i, p in enumerate((60, 62, 64, 65, 67, 69, 71, 72))], resolution=8)
    m = content_metrics(inp, out)
    assert m["chroma"] == pytest.approx(1.0)
    assert m["onset_f1"] == 1.0 and m["onset_pc_f1"] == 1.0
    assert m["contour"] == pytest.approx(1.0)
    assert m["length_match"] == 1.0 and m["length_diff_beats"] == 0.0
