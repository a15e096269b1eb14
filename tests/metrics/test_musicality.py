import math

import numpy as np
import pytest

from stylegen.metrics.musicality import METRICS, SKIPPED, kde_overlap, measure_resolution, musicality, summarize
from tests.metrics.helpers import scale, score


def test_muspy_metrics_of_a_c_major_scale():
    # C4 D4 E4 F4 G4 A4 B4 C5, one quarter note each (4 steps), 4/4: 32 steps = 2 bars
    m = musicality(scale())
    assert set(m) == set(METRICS)
    assert m["pitch_range"] == 12
    assert m["n_pitches_used"] == 8
    assert m["n_pitch_classes_used"] == 7
    assert m["polyphony"] == 1.0
    assert m["polyphony_rate"] == 0.0
    assert m["scale_consistency"] == 1.0
    assert m["pitch_entropy"] == pytest.approx(3.0)  # 8 equally likely pitches
    assert m["pitch_class_entropy"] == pytest.approx(2.75)  # C twice, six others once: 0.5 + 6 * 3/8
    # muspy counts beats 0..length//resolution (9 here) and marks a note's end beat as sounding
    assert m["empty_beat_rate"] == 0.0
    # measures 0..length//16 (3 here): the first two share one groove, the third is empty
    assert m["groove_consistency"] == pytest.approx(1 - 4 / (16 * 2))
    assert m["empty_measure_rate"] == pytest.approx(0.0)
    assert math.isnan(m["pitch_in_scale_rate"])  # no key signature: undefined, counted


def test_rests_chords_and_a_key_signature():
    s = score([(0, 4, 60), (0, 4, 64), (0, 4, 67), (16, 4, 61)], keys=[(0, 0, "major")])
    m = musicality(s)
    assert m["polyphony"] == pytest.approx((3 * 4 + 4) / 8)  # 8 sounding steps, 16 pitch-steps
    assert m["polyphony_rate"] == pytest.approx(4 / 20)  # more than 2 pitches on 4 of 20 steps
    assert m["pitch_in_scale_rate"] == pytest.approx(3 / 4)  # C# is not in C major
    # beats 0..5: sounding 0, 1 (the end of the chord), 4, 5 -> 2 empty of 6
    assert m["empty_beat_rate"] == pytest.approx(2 / 6)


def test_no_notes_is_undefined_for_every_metric_and_drum_metrics_are_skipped():
    m = musicality(score([], length=16))
    assert all(math.isnan(v) for v in m.values())
    assert set(SKIPPED) == {"drum_in_pattern_rate", "drum_pattern_consistency"}
    assert not set(SKIPPED) & set(METRICS)


def test_measure_resolution_from_the_meter():
    assert measure_resolution(score([(0, 4, 60)], time_signatures=[(0, 3, 4)])) == 12
    assert measure_resolution(score([(0, 4, 60)], time_signatures=[(0, 6, 8)])) == 12
    assert measure_resolution(score([(0, 4, 60)], time_signatures=[(0, 1, 4)])) == 16  # bogus 1/4: 4 beats


def test_summarize_counts_nan_and_does_not_average_it():
    s = summarize([1.0, 2.0, float("nan")])
    assert s == {"mean": 1.5, "std": 0.5, "n": 2.0, "nan": 1.0}
    assert math.isnan(summarize([float("nan")])["mean"])


def test_kde_overlap_matches_direct_integration():
    from scipy import integrate, stats

    a, b = [0.0, 1.0, 2.5], [1.0, 2.0, 4.0, 4.5]
    ka, kb = stats.gaussian_kde(a), stats.gaussian_kde(b)
    expected, _ = integrate.quad(lambda x: min(ka(x)[0], kb(x)[0]), -20, 30, limit=200)
    assert kde_overlap(a, b) == pytest.approx(expected, abs=1e-5)
    assert kde_overlap(b, a) == pytest.approx(kde_overlap(a, b))


def test_kde_overlap_edges():
    assert kde_overlap([0, 1, 2], [0, 1, 2]) == pytest.approx(1.0, abs=1e-6)
    assert kde_overlap([0, 1], [100, 101]) == pytest.approx(0.0, abs=1e-9)
    assert kde_overlap([3, 3], [3, 3]) == pytest.approx(1.0, abs=1e-6)  # identical constants
    assert math.isnan(kde_overlap([1.0], [1.0, 2.0]))  # one value is no distribution
    assert kde_overlap([0, 1, float("nan")], [0, 1]) == pytest.approx(1.0, abs=1e-6)  # NaN left out
    assert 0.0 <= kde_overlap(np.arange(10), np.arange(5, 15)) <= 1.0
