"""The one MIDI reader (read_score, symusic's C++ parser) gives the same Score as muspy's
reader (read_score_muspy); the mido writer the CLI uses (fastmidi) round-trips through it."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import mido
import numpy as np
import pytest

from stylegen.data.fastmidi import midi_length_beats, write_score_fast
from stylegen.data.midi import SkipFile, list_midi_files, read_score, read_score_muspy
from stylegen.data.score import Score, TrackInfo
from tests.conftest import SHARED_DATA
from tests.midifiles import Track, chord_piece, scale_piece, write_midi


def assert_same_score(a: Score, b: Score) -> None:
    assert np.array_equal(a.notes, b.notes)
    assert np.array_equal(a.drums, b.drums)
    assert a.tracks == b.tracks and a.drum_tracks == b.drum_tracks
    assert a.length == b.length and a.resolution == b.resolution and a.title == b.title
    assert a.tempos == b.tempos
    assert a.time_signatures == b.time_signatures and a.key_signatures == b.key_signatures


def _files(tmp_path):
    """Awkward MIDI written in code: tempo and meter changes, keys, drums, off-grid notes,
    overlapping notes of one pitch, program changes inside a track, type 0."""
    yield write_midi(tmp_path / "plain.mid", [Track(scale_piece(4), name="Melody"), Track(chord_piece(4))])
    yield write_midi(tmp_path / "changes.mid", [Track(scale_piece(6), name="lead", program=40)],
                     tempo_bpm=[(0, 90), (8, 133.3), (17, 60)], time_signature=[(0, (3, 4)), (9, (6, 8))], key="Eb")
    yield write_midi(tmp_path / "drums.mid", [
        Track([(0, 1, 72, 100), (1, 1, 74, 100)], name="MELODY", program=73),
        Track([(0, 2, 48, 60)], name="PIANO"),
        Track([(0, 0.5, 36, 120), (1, 0.5, 38, 110)], name="Drums", drum=True),
    ], key="F#m")
    yield write_midi(tmp_path / "offgrid.mid", [Track([(0, 1 / 16, 60, 80), (1.02, 0.98, 62, 80), (0.1, 0.13, 64, 1),
                                                      (2.5, 0.5, 60, 127), (2.75, 1, 60, 90)])],
                     ticks_per_beat=96)
    one = mido.MidiFile(write_midi(tmp_path / "type1.mid", [Track(scale_piece(2), name="x")]))
    zero = mido.MidiFile(type=0, ticks_per_beat=one.ticks_per_beat)
    zero.tracks.append(mido.merge_tracks(one.tracks))
    zero.save(tmp_path / "type0.mid")
    yield tmp_path / "type0.mid"
    # a program change in the middle of a track makes a second muspy track
    mf = mido.MidiFile(type=1, ticks_per_beat=480)
    t = mido.MidiTrack()
    t.append(mido.MetaMessage("track_name", name="Keys"))
    t.append(mido.Message("note_on", note=60, velocity=70, time=0))
    t.append(mido.Message("note_off", note=60, velocity=0, time=480))
    t.append(mido.Message("program_change", program=5, time=0))
    t.append(mido.Message("note_on", note=62, velocity=71, time=0))
    t.append(mido.Message("note_on", note=62, velocity=72, time=100))  # the same pitch again (FIFO)
    t.append(mido.Message("note_on", note=62, velocity=0, time=100))
    t.append(mido.Message("note_off", note=62, velocity=0, time=300))
    t.append(mido.Message("note_on", note=64, velocity=73, time=0))  # never closed
    mf.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    mf.tracks.append(t)
    mf.save(tmp_path / "programs.mid")
    yield tmp_path / "programs.mid"


def test_reads_the_same_score_as_muspy(tmp_path):
    for path in _files(tmp_path):
        for res in (4, 12):
            assert_same_score(read_score(path, res), read_score_muspy(path, res))


@pytest.mark.parametrize("content", [b"", b"RIFF0000WAVE", b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0",
                                     b"MThd\x00\x00\x00\x06\x00\x02\x00\x01\x01\xe0",
                                     b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x00\x00",
                                     b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\xe7\x28"])
def test_bad_files_give_the_same_skip_reason(tmp_path, content):
    p = tmp_path / "bad.mid"
    p.write_bytes(content)
    with pytest.raises(SkipFile) as slow:
        read_score_muspy(p, 4)
    with pytest.raises(SkipFile) as fast:
        read_score(p, 4)
    assert fast.value.reason == slow.value.reason


def test_drums_only_and_no_notes(tmp_path):
    p = write_midi(tmp_path / "d.mid", [Track([(0, 1, 36, 100)], drum=True)])
    with pytest.raises(SkipFile, match="drums only"):
        read_score(p, 4)
    p = write_midi(tmp_path / "e.mid", [Track([])])
    with pytest.raises(SkipFile, match="no notes"):
        read_score(p, 4)


def test_write_then_read_round_trip_with_both_readers(tmp_path):
    for path in _files(tmp_path):
        score = read_score(path, 4)
        out = write_score_fast(score, tmp_path / "out" / path.name)
        for reader in (read_score, read_score_muspy):
            back = reader(out, 4)
            back.title = score.title
            assert_same_score(back, score)


def test_the_written_file_keeps_a_trailing_rest(tmp_path):
    notes = np.array([[0, 4, 60, 80, 0]], np.int32)
    score = Score(resolution=4, notes=notes, tracks=[TrackInfo("Piano", 0)], length=64,
                  tempos=[(0, 100.0)], time_signatures=[(0, 4, 4)])
    p = write_score_fast(score, tmp_path / "rest.mid")
    assert midi_length_beats(p) == 16.0
    assert read_score(p, 4).notes.tolist() == notes.tolist()
    assert mido.MidiFile(p).length == pytest.approx(16 * 60 / 100)


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    score = read_score(next(_files(tmp_path)), 4)
    target = tmp_path / "w" / "x.mid"
    write_score_fast(score, target)
    assert [p.name for p in target.parent.iterdir()] == ["x.mid"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_ticks_per_beat(tmp_path):
    score = read_score(next(_files(tmp_path)), 4)
    assert mido.MidiFile(write_score_fast(score, tmp_path / "a.mid")).ticks_per_beat == 480
    p = write_score_fast(score, tmp_path / "b.mid", ticks_per_beat=4)
    assert mido.MidiFile(p).ticks_per_beat == 4
    back = read_score(p, 4)
    back.title = "a"
    assert_same_score(back, read_score(tmp_path / "a.mid", 4))
    with pytest.raises(ValueError, match="multiple"):
        write_score_fast(score, tmp_path / "c.mid", ticks_per_beat=6)


def test_drums_can_be_left_out(tmp_path):
    score = read_score(write_midi(tmp_path / "d.mid", [Track(scale_piece(1)), Track([(0, 1, 36, 100)], drum=True)]), 4)
    assert len(read_score(write_score_fast(score, tmp_path / "a.mid"), 4).drums) == 1
    assert len(read_score(write_score_fast(score, tmp_path / "b.mid", include_drums=False), 4).drums) == 0


def test_parts_of_one_track_come_in_channel_order(tmp_path):
    # the one known difference from muspy, which orders them by their first note-off
    mf = mido.MidiFile(type=0, ticks_per_beat=480)
    t = mido.MidiTrack([mido.Message("note_on", channel=5, note=72, velocity=80, time=0),
                        mido.Message("note_on", channel=2, note=48, velocity=81, time=0),
                        mido.Message("note_off", channel=5, note=72, velocity=0, time=480),
                        mido.Message("note_off", channel=2, note=48, velocity=0, time=480)])
    mf.tracks.append(t)
    mf.save(tmp_path / "o.mid")
    assert read_score(tmp_path / "o.mid", 4).notes.tolist() == [[0, 8, 48, 81, 0], [0, 4, 72, 80, 1]]
    assert read_score_muspy(tmp_path / "o.mid", 4).notes.tolist() == [[0, 8, 48, 81, 1], [0, 4, 72, 80, 0]]


def test_a_note_never_released_lasts_to_the_end_of_its_track(tmp_path):
    mf = mido.MidiFile(type=1, ticks_per_beat=480)
    mf.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="title")]))
    mf.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="Voice"),
                                     mido.Message("note_on", note=60, velocity=80, time=0),
                                     mido.Message("note_on", note=60, velocity=90, time=240),
                                     mido.Message("note_off", note=60, velocity=0, time=240),
                                     mido.MetaMessage("end_of_track", time=960)]))
    mf.save(tmp_path / "held.mid")
    score = read_score(tmp_path / "held.mid", 4)
    # FIFO: the note-off ends the first note; the second is held to the end of track (beat 3)
    assert score.notes.tolist() == [[0, 4, 60, 80, 0], [2, 10, 60, 90, 0]]
    assert score.tracks == [TrackInfo("Voice", 0, is_melody=True)] and score.length == 12
    assert_same_score(score, read_score_muspy(tmp_path / "held.mid", 4))


def _both(path) -> tuple:
    """(path, symusic Score or skip reason, muspy Score or skip reason) at 4 steps a beat."""
    out = [str(path)]
    for reader in (read_score, read_score_muspy):
        try:
            out.append(reader(path, 4))
        except SkipFile as e:
            out.append(e.reason)
    return tuple(out)


@pytest.mark.data
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent")
def test_same_scores_on_the_whole_shared_corpus():
    """Every file of ../shared/data: notes, drums, tempo map, time and key signatures, tracks
    (names, programs, melody flag), length.  About a minute of CPU (muspy's side), spread
    over the cores."""
    files = list_midi_files(SHARED_DATA)
    assert len(files) > 2000  # the whole corpus (2,511 files), not a sample
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as ex:
        results = list(ex.map(_both, files, chunksize=16))
    differ = []
    for path, fast, slow in results:
        if isinstance(fast, str) or isinstance(slow, str):
            if fast != slow:
                differ.append(f"{path}: {fast if isinstance(fast, str) else 'read'} / {slow if isinstance(slow, str) else 'read'}")
            continue
        try:
            assert_same_score(fast, slow)
        except AssertionError:
            differ.append(path)
    assert differ == []
    assert sum(not isinstance(f, str) for _, f, _ in results) > 2000
