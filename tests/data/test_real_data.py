"""A few real files from ../shared/data (skipped where the folder is absent; a file missing
from a folder that is there is a failure)."""

from __future__ import annotations

import numpy as np
import pytest

from stylegen.data.midi import read_score, write_score
from stylegen.data.roll import RollSpec, roll_to_notes, score_to_roll
from tests.conftest import SHARED_DATA

pytestmark = [pytest.mark.data,
              pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is not on this machine")]


def shared(rel: str):
    path = SHARED_DATA / rel
    assert path.is_file(), f"{rel} is missing from {SHARED_DATA}"
    return path


def test_pop909_bogus_one_four_gives_four_beat_bars():
    s = read_score(shared("pop909/014.mid"), 4)
    assert s.time_signatures == [(0, 1, 4)]  # kept as written, not trusted
    assert s.trusted_time_signatures() == []
    bars = s.bar_starts()
    assert bars.tolist() == list(range(0, s.length, 16))  # 4-beat bars from the first tick
    assert [t.name for t in s.tracks] == ["MELODY", "BRIDGE", "PIANO"] and s.melody_track == 0
    assert s.tempos == [(0, pytest.approx(127.0, abs=0.01))]
    assert len(s.drums) == 0 and set(np.unique(s.notes[:, 4])) == {0, 1, 2}


def test_piano_midi_time_signature_changes_give_bar_lines():
    # Chopin, Prelude op. 28 no. 18: 7 bars of 4/4, one bar of 5/4, then 4/4 again
    s = read_score(shared("piano-midi/chpn-p18.mid"), 4)
    assert s.time_signatures == [(0, 4, 4), (112, 5, 4), (132, 4, 4)]
    assert s.bar_starts()[:11].tolist() == [0, 16, 32, 48, 64, 80, 96, 112, 132, 148, 164]
    assert [t.name for t in s.tracks] == ["Piano right", "Piano left"] and s.melody_track is None
    assert len(s.tempos) > 100  # a real, hand-made tempo map
    assert s.key_signatures == [(0, 8, "major")]  # A-flat major: muspy alone could not write it back


def test_piano_midi_survives_write_and_read(tmp_path):
    s = read_score(shared("piano-midi/chpn-p18.mid"), 4)
    write_score(s, tmp_path / "p18.mid")
    t = read_score(tmp_path / "p18.mid", 4)
    assert np.array_equal(t.notes, s.notes)
    assert t.time_signatures == s.time_signatures and t.key_signatures == s.key_signatures
    assert [a for a, _ in t.tempos] == [a for a, _ in s.tempos]
    assert [q for _, q in t.tempos] == pytest.approx([q for _, q in s.tempos], rel=1e-4)


def test_pop909_roll_round_trip_keeps_every_onset():
    s = read_score(shared("pop909/014.mid"), 4)
    spec = RollSpec()
    inside = s.notes[(s.notes[:, 2] >= spec.lowest_pitch) & (s.notes[:, 2] <= spec.highest_pitch)]
    back = roll_to_notes(score_to_roll(s, spec), spec)
    # overlapping notes of one pitch (across tracks) merge; every distinct (onset, pitch) comes back
    assert {(int(o), int(p)) for o, _, p, _, _ in back} == {(int(o), int(p)) for o, _, p, _, _ in inside}


def test_bach_chorale_soprano_is_the_melody():
    import glob

    files = sorted(glob.glob(str(SHARED_DATA / "bach-chorales" / "*.mid")))
    assert files, f"no bach-chorales in {SHARED_DATA}"
    s = read_score(files[0], 4)
    assert [t.name for t in s.tracks][:4] == ["Soprano", "Alto", "Tenor", "Bass"] and s.melody_track == 0


def test_nottingham_without_tempo_events_is_read():
    s = read_score(shared("nottingham/ashover10.mid"), 4)
    assert s.tempos == [] and len(s.tracks) == 2 and len(s.notes) > 50
    assert s.bar_starts()[:4].tolist() == [0, 16, 32, 48]
