"""The rule baseline (evaluation/baselines.py): the melody kept, a chord on every beat."""

from stylegen.evaluation.baselines import rule_baseline
from stylegen.metrics.melody import melody_recall
from tests.metrics.helpers import scale
from tests.metrics.test_melody import two_tracks


def test_rule_baseline_keeps_the_melody_and_puts_a_chord_on_every_beat():
    s = two_tracks()
    r = rule_baseline(s)
    assert melody_recall(s, r) == 1.0
    assert r.length == s.length and r.tempos == s.tempos and r.time_signatures == s.time_signatures
    chords = r.notes[r.notes[:, 4] == 1]
    assert sorted(set(chords[:, 0].tolist())) == list(range(0, 32, 4))  # every beat of both bars
    assert set(chords[:, 1].tolist()) == {4}
    assert set((chords[:, 2] % 12).tolist()) == {0, 4, 7}  # C major, as the accompaniment
    assert chords[:, 2].min() == 36  # the bass: the lowest accompaniment note's pitch class, C2
    assert r.tracks[r.melody_track].name == "Melody"
    # a piece with one track: its top voice is kept, chords from the rest
    one = scale()
    assert melody_recall(one, rule_baseline(one)) == 1.0
