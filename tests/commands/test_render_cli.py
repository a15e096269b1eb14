"""``stylegen render``: exit codes, the file written, and what is never overwritten."""

from __future__ import annotations

import scipy.io.wavfile

from stylegen.audio import soundfont as SF
from stylegen.cli import main
from tests.midifiles import Track, write_midi


def midi(tmp_path, name="song.mid"):
    return write_midi(tmp_path / name, [Track(notes=[(0, 1, 60, 80), (1, 1, 64, 90), (2, 2, 67, 100)])])


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("stylegen render: error: ")
    return lines[0]


def test_default_output_next_to_input_with_builtin_synth(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(SF, "SYSTEM_SOUNDFONTS", ())  # a fresh machine: no soundfont anywhere
    monkeypatch.delenv(SF.SOUNDFONT_ENV, raising=False)
    src = midi(tmp_path)
    assert main(["render", str(src), "--sample-rate", "22050"]) == 0
    out = tmp_path / "song.wav"
    sr, data = scipy.io.wavfile.read(out)
    assert sr == 22050 and data.ndim == 1 and 2.0 * sr <= len(data) <= 2.3 * sr  # 4 beats at 120 bpm + release
    assert abs(int(data.astype(int).__abs__().max()) / 32767 - 10 ** (-1 / 20)) < 0.01  # peak at -1 dBFS
    err = capsys.readouterr().err
    assert "built-in synth" in err and "-16.0 LUFS" in err


def test_existing_output_needs_force(tmp_path, capsys):
    src = midi(tmp_path)
    out = tmp_path / "mine.wav"
    out.write_bytes(b"the user's file")
    assert main(["render", str(src), "-o", str(out), "--builtin"]) == 2
    assert "exists" in one_error_line(capsys.readouterr().err)
    assert out.read_bytes() == b"the user's file"
    assert main(["render", str(src), "-o", str(out), "--builtin", "--force", "--quiet"]) == 0
    assert out.read_bytes()[:4] == b"RIFF"
    assert capsys.readouterr().err == ""


def test_bad_inputs_are_one_line_errors_and_write_nothing(tmp_path, capsys):
    src = midi(tmp_path)
    broken = tmp_path / "broken.mid"
    broken.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0MTrk\x00\x00\xff\xff")  # header, then garbage
    not_sf = tmp_path / "notes.txt"
    not_sf.write_text("not a soundfont")
    cases = [
        ([str(tmp_path / "missing.mid")], "no such file"),
        ([str(broken), "--builtin"], "broken.mid"),
        ([str(src), "--soundfont", str(tmp_path / "missing.sf2")], "missing.sf2: no such file"),
        ([str(src), "--soundfont", str(not_sf)], "not a SoundFont"),
        ([str(src), "-o", str(tmp_path / "song.mp3")], "unknown audio format"),
        ([str(src), "--sample-rate", "10"], "sample rate"),
    ]
    for argv, expected in cases:
        assert main(["render", *argv]) == 2, argv
        assert expected in one_error_line(capsys.readouterr().err), argv
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mid", "notes.txt", "song.mid"]


def test_soundfont_and_builtin_are_exclusive(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as e:
        main(["render", str(midi(tmp_path)), "--builtin", "--soundfont", "x.sf2"])
    assert e.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_inputs_are_checked_before_the_output(tmp_path, capsys):
    """A bad input or soundfont is what is reported, even where the output already exists."""
    src = midi(tmp_path)
    out = tmp_path / "existing.wav"
    out.write_bytes(b"the user's file")
    not_midi = tmp_path / "notes.txt"
    not_midi.write_text("not MIDI")
    cases = [
        ([str(tmp_path / "missing.mid"), "-o", str(out)], "missing.mid: no such file"),
        ([str(not_midi), "-o", str(out), "--builtin"], "not a MIDI file"),
        ([str(src), "--soundfont", str(tmp_path / "missing.sf2"), "-o", str(out)], "missing.sf2: no such file"),
    ]
    for argv, expected in cases:
        assert main(["render", *argv]) == 2, argv
        line = one_error_line(capsys.readouterr().err)
        assert expected in line and "already exists" not in line, (argv, line)
    assert out.read_bytes() == b"the user's file"
    assert main(["render", str(src), "-o", str(out), "--builtin"]) == 2
    assert one_error_line(capsys.readouterr().err).endswith(f"{out} already exists: use --force to overwrite it")


def test_a_file_without_notes_renders_silence_of_its_length(tmp_path, capsys):
    """No notes and 8 s of end of track (16 beats at 120 bpm): 8 s of silence, as docs/audio.md says."""
    import mido

    mf = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0),
                            mido.MetaMessage("end_of_track", time=16 * 480)])
    mf.tracks.append(track)
    mf.save(tmp_path / "rest.mid")
    assert main(["render", str(tmp_path / "rest.mid"), "--builtin", "--sample-rate", "8000"]) == 0
    assert "silent" in capsys.readouterr().err
    sr, data = scipy.io.wavfile.read(tmp_path / "rest.wav")
    assert len(data) == 8 * sr and not data.any()
