"""MIDI <-> Score: the grid, drums, tracks, melody, tempo map, meter, keys, bars, bad input."""

from __future__ import annotations


import mido
import numpy as np
import pytest

from stylegen.data.midi import (
    DURATION, ONSET, PITCH, TRACK, VELOCITY, Score, SkipFile, TrackInfo, read_music, read_score,
    score_to_music, write_score,
)
from tests.midifiles import Track, chord_piece, scale_piece, write_midi


def rows(score: Score) -> list[tuple[int, ...]]:
    return [tuple(int(x) for x in r) for r in score.notes]


# --------------------------------------------------------------------------- the grid


def test_notes_land_on_the_grid_exactly(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([(0, 1, 60, 80), (1, 0.5, 62, 90), (1.5, 0.25, 64, 100),
                                               (1.75, 2.25, 65, 10)])])
    s = read_score(p, resolution=4)
    assert rows(s) == [(0, 4, 60, 80, 0), (4, 2, 62, 90, 0), (6, 1, 64, 100, 0), (7, 9, 65, 10, 0)]
    assert s.length == 16 and s.n_beats == 4.0 and s.resolution == 4
    assert s.notes.dtype == np.int32 and s.notes.shape == (4, 5)


@pytest.mark.parametrize("ticks_per_beat", [96, 480, 960, 1024])
@pytest.mark.parametrize("bpm", [40, 120, 250])
def test_grid_is_by_ticks_so_tempo_and_file_resolution_do_not_matter(tmp_path, ticks_per_beat, bpm):
    p = write_midi(tmp_path / "x.mid", [Track(scale_piece(2))], ticks_per_beat=ticks_per_beat, tempo_bpm=bpm)
    s = read_score(p, 4)
    assert rows(s) == [(4 * b, 4, 60 + [0, 2, 4, 5, 7, 9, 11, 12][b % 8], 80, 0) for b in range(8)]
    assert s.tempos == [(0, pytest.approx(bpm, rel=1e-4))]


def test_triplets_on_a_12_step_grid(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([(i / 3, 1 / 3, 60 + i, 80) for i in range(6)])], ticks_per_beat=480)
    s = read_score(p, 12)
    assert [(r[ONSET], r[DURATION]) for r in s.notes] == [(4 * i, 4) for i in range(6)]


def test_notes_off_the_grid_are_rounded_and_never_vanish(tmp_path):
    # a 64th note at a 16th grid still sounds for one step
    p = write_midi(tmp_path / "x.mid", [Track([(0, 1 / 16, 60, 80), (1.02, 0.98, 62, 80)])])
    s = read_score(p, 4)
    assert rows(s) == [(0, 1, 60, 80, 0), (4, 4, 62, 80, 0)]


# --------------------------------------------------------------------------- tracks, drums, melody


def three_tracks(tmp_path, **kw):
    return write_midi(tmp_path / "x.mid", [
        Track([(0, 1, 72, 100), (1, 1, 74, 100)], name="MELODY", program=73),
        Track([(0, 2, 48, 60)], name="PIANO", program=0),
        Track([(0, 0.5, 36, 120), (1, 0.5, 38, 110)], name="Drums", drum=True),
    ], **kw)


def test_tracks_are_merged_with_a_track_column(tmp_path):
    s = read_score(three_tracks(tmp_path), 4)
    assert rows(s) == [(0, 8, 48, 60, 1), (0, 4, 72, 100, 0), (4, 4, 74, 100, 0)]
    assert [(t.name, t.program) for t in s.tracks] == [("MELODY", 73), ("PIANO", 0)]


def test_drums_are_kept_apart_from_the_notes(tmp_path):
    s = read_score(three_tracks(tmp_path), 4)
    assert 36 not in s.notes[:, PITCH] and 38 not in s.notes[:, PITCH]
    assert [tuple(int(x) for x in r) for r in s.drums] == [(0, 2, 36, 120, 0), (4, 2, 38, 110, 0)]
    assert [t.name for t in s.drum_tracks] == ["Drums"]


@pytest.mark.parametrize("name, melody", [("MELODY", 0), ("Lead Vocal", 0), ("Soprano", 0), ("melodie", 0),
                                          ("Piano", None), ("", None)])
def test_the_melody_track_is_recognised_by_name(tmp_path, name, melody):
    p = write_midi(tmp_path / "x.mid", [Track([(0, 1, 72, 90)], name=name), Track([(0, 1, 48, 90)], name="Bass")])
    s = read_score(p, 4)
    assert s.melody_track == melody
    assert [t.is_melody for t in s.tracks] == [melody == 0, False]


def test_only_the_first_melody_named_track_is_the_melody(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([(0, 1, 48, 90)], name="Piano"), Track([(0, 1, 72, 90)], name="Melody"),
                                        Track([(0, 1, 76, 90)], name="Melody 2")])
    assert read_score(p, 4).melody_track == 1


def test_empty_tracks_are_dropped(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([], name="Empty"), Track([(0, 1, 60, 80)], name="Melody")])
    s = read_score(p, 4)
    assert [t.name for t in s.tracks] == ["Melody"] and s.melody_track == 0 and rows(s)[0][TRACK] == 0


# --------------------------------------------------------------------------- meta events survive a round trip


def test_tempo_map_time_and_key_signatures_survive_write_and_read(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track(scale_piece(4), name="Melody", program=40), Track(chord_piece(4))],
                   tempo_bpm=[(0, 100), (4, 140), (10, 60)], time_signature=[(0, (4, 4)), (4, (3, 4)), (10, (6, 8))],
                   key="Eb")
    s = read_score(p, 4)
    assert s.tempos == [(0, pytest.approx(100, rel=1e-5)), (16, pytest.approx(140, rel=1e-5)), (40, pytest.approx(60, rel=1e-5))]
    assert s.time_signatures == [(0, 4, 4), (16, 3, 4), (40, 6, 8)]
    assert s.key_signatures == [(0, 3, "major")]
    write_score(s, tmp_path / "out" / "y.mid")
    t = read_score(tmp_path / "out" / "y.mid", 4)
    assert rows(t) == rows(s)
    assert t.tempos == [(a, pytest.approx(b, rel=1e-5)) for a, b in s.tempos]
    assert t.time_signatures == s.time_signatures
    assert t.key_signatures == s.key_signatures
    assert [(x.name, x.program, x.is_melody) for x in t.tracks] == [(x.name, x.program, x.is_melody) for x in s.tracks]
    assert t.length == s.length


@pytest.mark.parametrize("root", range(12))
@pytest.mark.parametrize("mode", ["major", "minor"])
def test_every_key_signature_can_be_written(tmp_path, root, mode):
    # muspy spells roots with sharps ("D#" major), which mido refuses: Eb, Ab, Bb major
    s = Score(4, np.array([[0, 4, 60, 80, 0]], np.int32), [TrackInfo("p", 0)], 4, [(0, 120.0)], [(0, 4, 4)],
              [(0, root, mode), (2, (root + 7) % 12, mode)])
    write_score(s, tmp_path / "k.mid")
    assert read_score(tmp_path / "k.mid", 4).key_signatures == s.key_signatures


def test_written_meta_events_are_in_time_order(tmp_path):
    s = read_score(three_tracks(tmp_path, tempo_bpm=[(0, 90), (1, 100)], key="Bb"), 4)
    write_score(s, tmp_path / "y.mid")
    meta = mido.MidiFile(tmp_path / "y.mid").tracks[0]
    assert all(m.time >= 0 for m in meta) and meta[-1].type == "end_of_track"
    assert [m.type for m in meta if m.type in ("key_signature", "set_tempo")] == ["set_tempo", "key_signature",
                                                                                  "set_tempo"]


def test_drums_are_written_back_unless_left_out(tmp_path):
    s = read_score(three_tracks(tmp_path), 4)
    write_score(s, tmp_path / "with.mid")
    write_score(s, tmp_path / "without.mid", include_drums=False)
    with_drums = read_score(tmp_path / "with.mid", 4)
    assert np.array_equal(with_drums.drums, s.drums) and with_drums.drum_tracks[0].name == "Drums"
    assert len(read_score(tmp_path / "without.mid", 4).drums) == 0


def test_score_to_music_keeps_resolution_and_meta():
    s = Score(4, np.array([[0, 4, 60, 80, 0], [4, 2, 60, 70, 0]], np.int32), [TrackInfo("Melody", 5, True)], 6,
              [(0, 77.0)], [(0, 3, 4)], [(0, 9, "minor")], title="t")
    m = score_to_music(s)
    assert m.resolution == 4 and m.metadata.title == "t"
    assert [(n.time, n.duration, n.pitch, n.velocity) for n in m.tracks[0].notes] == [(0, 4, 60, 80), (4, 2, 60, 70)]
    assert m.tracks[0].program == 5 and m.tempos[0].qpm == 77.0
    assert (m.time_signatures[0].numerator, m.time_signatures[0].denominator) == (3, 4)
    assert (m.key_signatures[0].root, m.key_signatures[0].mode) == (9, "minor")


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    s = read_score(three_tracks(tmp_path), 4)
    write_score(s, tmp_path / "o" / "y.mid")
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["y.mid"]


# --------------------------------------------------------------------------- bars


def score_with(sigs, length, resolution=4) -> Score:
    return Score(resolution, np.zeros((0, 5), np.int32), [], length, time_signatures=sigs)


def test_bars_follow_a_time_signature_change():
    # 2 bars of 4/4 (16 steps), then 3/4 (12 steps)
    s = score_with([(0, 4, 4), (32, 3, 4)], length=32 + 3 * 12)
    assert s.bar_starts().tolist() == [0, 16, 32, 44, 56]


def test_bars_of_compound_and_odd_meters():
    assert score_with([(0, 6, 8)], 48).bar_starts().tolist() == [0, 12, 24, 36]
    assert score_with([(0, 7, 8)], 28).bar_starts().tolist() == [0, 14]
    assert score_with([(0, 2, 2)], 32).bar_starts().tolist() == [0, 16]


def test_bogus_signature_falls_back_to_a_four_beat_grid():
    # pop909's 1/4: never trusted, even when other signatures look fine
    assert score_with([(0, 1, 4)], 64).bar_starts().tolist() == [0, 16, 32, 48]
    assert score_with([(0, 4, 4), (16, 1, 4)], 48).bar_starts().tolist() == [0, 16, 32]
    assert score_with([(0, 3, 5)], 32).bar_starts().tolist() == [0, 16]  # a denominator no meter has


def test_no_signature_means_a_four_beat_grid():
    assert score_with([], 40).bar_starts().tolist() == [0, 16, 32]
    assert score_with([], 0).bar_starts().tolist() == [0]


def test_a_late_first_signature_gets_four_four_before_it():
    assert score_with([(8, 3, 4)], 32).bar_starts().tolist() == [0, 8, 20]


def test_repeated_signatures_at_one_step_keep_the_last():
    assert score_with([(0, 4, 4), (0, 3, 4)], 24).bar_starts().tolist() == [0, 12]


def test_bars_from_a_file_with_a_meter_change(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track(scale_piece(4))], time_signature=[(0, (4, 4)), (8, (3, 4))])
    assert read_score(p, 4).bar_starts().tolist() == [0, 16, 32, 44, 56]


def test_bogus_signature_in_a_file(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track(scale_piece(4))], time_signature=(1, 4))
    s = read_score(p, 4)
    assert s.time_signatures == [(0, 1, 4)]  # kept for writing back
    assert s.trusted_time_signatures() == []
    assert s.bar_starts().tolist() == [0, 16, 32, 48]


def test_a_signature_far_past_the_end_gives_no_bars_after_the_end(tmp_path):
    # once enumerated every empty bar up to the signature: 31 s and 0.5 GB for this file
    # (4 ticks per beat: 50 M beats fit the 4-byte delta times of the MIDI standard)
    p = write_midi(tmp_path / "x.mid", [Track([(0, 4, 60, 80)])], time_signature=[(0, (4, 4)), (50_000_000, (3, 4))],
                   ticks_per_beat=4)
    s = read_score(p, 4)
    assert s.time_signatures == [(0, 4, 4), (200_000_000, 3, 4)]
    assert s.bar_starts().tolist() == [0]


def test_a_delta_time_longer_than_the_standard_allows_is_corrupt(tmp_path):
    # 50 M beats at 480 ticks per beat need a 5-byte delta time; MIDI allows 4
    p = write_midi(tmp_path / "x.mid", [Track([(0, 4, 60, 80)])], time_signature=[(0, (4, 4)), (50_000_000, (3, 4))])
    with pytest.raises(SkipFile) as e:
        read_score(p, 4)
    assert e.value.reason == "corrupt MIDI"


# --------------------------------------------------------------------------- bad input


def good_bytes(tmp_path) -> bytes:
    return write_midi(tmp_path / "good.mid", [Track(scale_piece(2))]).read_bytes()


def test_truncated_file_is_corrupt(tmp_path):
    data = good_bytes(tmp_path)
    (tmp_path / "t.mid").write_bytes(data[: len(data) // 2])
    with pytest.raises(SkipFile) as e:
        read_score(tmp_path / "t.mid", 4)
    assert e.value.reason == "corrupt MIDI"


def test_header_only_is_corrupt(tmp_path):
    (tmp_path / "h.mid").write_bytes(good_bytes(tmp_path)[:14])
    with pytest.raises(SkipFile) as e:
        read_score(tmp_path / "h.mid", 4)
    assert e.value.reason == "corrupt MIDI"


@pytest.mark.parametrize("content", [b"not a MIDI file at all, just text\n", b"RIFF\x00\x00\x00\x00WAVEfmt ", b"M"])
def test_non_midi_renamed_mid(tmp_path, content):
    (tmp_path / "x.mid").write_bytes(content)
    with pytest.raises(SkipFile) as e:
        read_score(tmp_path / "x.mid", 4)
    assert e.value.reason == "not a MIDI file"


def test_empty_file(tmp_path):
    (tmp_path / "x.mid").write_bytes(b"")
    with pytest.raises(SkipFile) as e:
        read_score(tmp_path / "x.mid", 4)
    assert e.value.reason == "empty file"


def test_no_notes(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([], name="Silence")])
    with pytest.raises(SkipFile) as e:
        read_score(p, 4)
    assert e.value.reason == "no notes"


def test_no_tracks_at_all(tmp_path):
    mido.MidiFile(type=1).save(tmp_path / "x.mid")
    with pytest.raises(SkipFile, match="no notes"):
        read_score(tmp_path / "x.mid", 4)


def test_drums_only(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([(0, 1, 36, 100), (1, 1, 38, 100)], drum=True)])
    with pytest.raises(SkipFile) as e:
        read_score(p, 4)
    assert e.value.reason == "drums only"


def test_type_2_is_skipped(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track(scale_piece(1)), Track(scale_piece(1))], type_=2)
    with pytest.raises(SkipFile) as e:
        read_score(p, 4)
    assert e.value.reason == "type-2 MIDI"


def test_type_0_is_read(tmp_path):
    mf = mido.MidiFile(type=0, ticks_per_beat=96)
    tr = mido.MidiTrack([mido.Message("note_on", note=60, velocity=80, time=0),
                         mido.Message("note_off", note=60, velocity=0, time=96),
                         mido.Message("note_on", note=64, velocity=80, time=0, channel=1),
                         mido.Message("note_off", note=64, velocity=0, time=192, channel=1)])
    mf.tracks.append(tr)
    mf.save(tmp_path / "x.mid")
    s = read_score(tmp_path / "x.mid", 4)
    assert sorted((r[ONSET], r[DURATION], r[PITCH]) for r in s.notes) == [(0, 4, 60), (4, 8, 64)]


def test_zero_ticks_per_beat(tmp_path):
    data = bytearray(good_bytes(tmp_path))
    data[12:14] = b"\x00\x00"
    (tmp_path / "x.mid").write_bytes(bytes(data))
    with pytest.raises(SkipFile) as e:
        read_score(tmp_path / "x.mid", 4)
    assert e.value.reason == "zero ticks per beat"


def test_smpte_time_division(tmp_path):
    data = bytearray(good_bytes(tmp_path))
    data[12:14] = bytes([0xE7, 40])  # -25 frames per second, 40 ticks per frame
    (tmp_path / "x.mid").write_bytes(bytes(data))
    with pytest.raises(SkipFile) as e:
        read_score(tmp_path / "x.mid", 4)
    assert e.value.reason == "SMPTE timing"


def test_unreadable_path(tmp_path):
    (tmp_path / "dir.mid").mkdir()
    with pytest.raises(SkipFile) as e:
        read_music(tmp_path / "dir.mid")
    assert e.value.reason == "unreadable"


def write_long_midi(path, beats: int, ticks_per_beat: int = 96):
    """One quarter note a beat for ``beats`` beats: 14,400 beats = 2 hours at 120 bpm."""
    mf = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    msgs = [mido.MetaMessage("set_tempo", tempo=500000, time=0)]
    on, off = mido.Message("note_on", note=60, velocity=80), mido.Message("note_off", note=60, velocity=0)
    for b in range(beats):
        p = 48 + b % 24
        msgs.append(on.copy(note=p, time=0))
        msgs.append(off.copy(note=p, time=ticks_per_beat))
    mf.tracks.append(mido.MidiTrack(msgs))
    mf.save(path)
    return path


def test_a_two_hour_midi_is_read_correctly(tmp_path):
    p = write_long_midi(tmp_path / "long.mid", 14_400)
    s = read_score(p, 4)
    assert len(s.notes) == 14_400 and s.length == 14_400 * 4 and s.n_beats == 14_400
    assert s.notes[-1].tolist() == [14_399 * 4, 4, 48 + 14_399 % 24, 80, 0]
    assert len(s.bar_starts()) == 3600
    assert s.tempos == [(0, 120.0)]  # 14,400 beats at 120 bpm: two hours


def test_velocity_column_is_clamped_to_midi_range(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([(0, 1, 60, 1), (1, 1, 62, 127)])])
    assert read_score(p, 4).notes[:, VELOCITY].tolist() == [1, 127]
