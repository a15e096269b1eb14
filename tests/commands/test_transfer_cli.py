"""``stylegen transfer`` (and ``stylegen export``) through ``main([...])`` on MIDI written here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest

from stylegen.commands.transfer import own_output_pattern
from stylegen.data.fastmidi import midi_length_beats
from stylegen.data.midi import read_score
from stylegen.data.score import TRACK
from tests.checkpoints import write_tiny_checkpoint
from tests.commands import cli
from tests.commands.cli import run
from tests.midifiles import Track, chord_piece, scale_piece, write_midi

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> str:
    return str(write_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt"))


def song(path: Path, bars: int = 8, tempo: float = 100.0, drums: bool = False) -> Path:
    tracks = [Track(scale_piece(bars, 60), name="Melody", program=73), Track(chord_piece(bars, 40), name="Piano")]
    if drums:
        tracks.append(Track([(b * 0.5, 0.25, 36 + (b % 2) * 2, 100) for b in range(bars * 8)], name="Kit", drum=True))
    return write_midi(path, tracks, tempo_bpm=tempo)


def melody(score) -> list[tuple[int, ...]]:
    notes = score.notes[score.notes[:, TRACK] == score.melody_track]
    return sorted(tuple(int(v) for v in r[:4]) for r in notes)


def one_line_error(code: int, err: str, *needles: str) -> None:
    cli.one_line_error("transfer", code, err, *needles)


# --------------------------------------------------------------------------- one file


def test_writes_song_style_mid_beside_the_input(capsys, tmp_path, ckpt):
    src = song(tmp_path / "song.mid", tempo=87)
    code, out, _ = run(capsys, "transfer", src, "--style", "classical", "--checkpoint", ckpt)
    assert code == 0
    dst = tmp_path / "song.classical.mid"
    assert dst.is_file() and f"wrote {dst}" in out
    back, orig = read_score(dst, 480), read_score(src, 480)
    assert [t.name for t in back.tracks] == ["Melody", "Piano"] and len(back.notes[back.notes[:, TRACK] == 1])
    assert melody(back) == melody(orig)  # kept note for note by default
    assert midi_length_beats(dst) == orig.n_beats == 32.0
    assert back.tempos == [(0, pytest.approx(87, rel=1e-4))] and back.time_signatures == orig.time_signatures


def test_the_melody_keeps_its_ticks_and_the_piece_its_final_rest(capsys, tmp_path, ckpt):
    tune = [(b + 0.07 * (b % 3), 0.45 + 0.1 * (b % 3), 65 + b % 5, 50 + 2 * b) for b in range(16)]
    src = write_midi(tmp_path / "t.mid", [Track(tune, name="Lead"), Track(chord_piece(4, 40), name="Keys")],
                     tempo_bpm=[(0, 90), (8, 72)], time_signature=[(0, (4, 4)), (8, (2, 4))])
    mf = mido.MidiFile(str(src))
    for tr in mf.tracks:  # the file ends 5 beats after its last note
        tr[-1] = tr[-1].copy(time=tr[-1].time + 5 * mf.ticks_per_beat)
    mf.save(str(src))
    assert run(capsys, "transfer", src, "--style", "classical", "--keep-melody", "-o", tmp_path / "k.mid",
               "--checkpoint", ckpt)[0] == 0
    orig, out = read_score(src, 480), read_score(tmp_path / "k.mid", 480)
    assert melody(out) == melody(orig) and out.tracks[0].name == "Lead"
    assert midi_length_beats(tmp_path / "k.mid") == midi_length_beats(src) == 21.0
    assert out.tempos == [(t, pytest.approx(q, rel=1e-4)) for t, q in orig.tempos]
    assert out.time_signatures == orig.time_signatures


def test_free_melody_writes_one_piano_track(capsys, tmp_path, ckpt):
    src = song(tmp_path / "song.mid")
    assert run(capsys, "transfer", src, "--style", "classical", "--free-melody", "--checkpoint", ckpt)[0] == 0
    back = read_score(tmp_path / "song.classical.mid", 4)
    assert [t.name for t in back.tracks] == ["Piano"] and len(back.notes) > 0


def test_output_file_or_folder(capsys, tmp_path, ckpt):
    src = song(tmp_path / "song.mid")
    assert run(capsys, "transfer", src, "--style", "pop", "-o", tmp_path / "x" / "out.mid", "--checkpoint", ckpt)[0] == 0
    assert (tmp_path / "x" / "out.mid").is_file()
    (tmp_path / "dir").mkdir()
    assert run(capsys, "transfer", src, "--style", "pop", "-o", tmp_path / "dir", "--checkpoint", ckpt)[0] == 0
    assert (tmp_path / "dir" / "song.pop.mid").is_file()


def test_seed_reproducibility(capsys, tmp_path, ckpt):
    src = song(tmp_path / "song.mid")
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        assert run(capsys, "transfer", src, "--style", "classical", "--seed", seed, "-o", tmp_path / f"{name}.mid",
                   "--checkpoint", ckpt)[0] == 0
    a, b, c = (read_score(tmp_path / f"{n}.mid", 4).notes for n in "abc")
    assert np.array_equal(a, b) and (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()
    assert not np.array_equal(a, c)


def test_drums_are_kept_or_dropped(capsys, tmp_path, ckpt):
    src = song(tmp_path / "song.mid", drums=True)
    assert run(capsys, "transfer", src, "--style", "classical", "-o", tmp_path / "d.mid", "--checkpoint", ckpt)[0] == 0
    assert run(capsys, "transfer", src, "--style", "classical", "-o", tmp_path / "n.mid", "--drop-drums",
               "--checkpoint", ckpt)[0] == 0
    orig = read_score(src, 480)
    kept, dropped = read_score(tmp_path / "d.mid", 480), read_score(tmp_path / "n.mid", 480)
    assert np.array_equal(kept.drums, orig.drums) and [t.name for t in kept.drum_tracks] == ["Kit"]
    assert len(dropped.drums) == 0
    assert np.array_equal(kept.notes, dropped.notes)


def test_strength_temperature_and_mixtures(capsys, tmp_path, ckpt):
    src = song(tmp_path / "song.mid")
    for g in ("0", "1", "2.5"):
        assert run(capsys, "transfer", src, "--style", "classical", "--strength", g, "-o", tmp_path / f"g{g}.mid",
                   "--checkpoint", ckpt)[0] == 0
    notes = [read_score(tmp_path / f"g{g}.mid", 4).notes for g in ("0", "1", "2.5")]
    assert not np.array_equal(notes[0], notes[1]) and not np.array_equal(notes[1], notes[2])
    assert run(capsys, "transfer", src, "--style", "pop=0.5,classical=0.5", "--temperature", "0.5",
               "--checkpoint", ckpt)[0] == 0
    assert (tmp_path / "song.pop0.5-classical0.5.mid").is_file()


# --------------------------------------------------------------------------- errors: one line, exit 2


def test_no_style_lists_the_known_ones(capsys, tmp_path, ckpt):
    one_line_error(*run(capsys, "transfer", song(tmp_path / "s.mid"), "--checkpoint", ckpt)[::2],
                   "no --style given", "pop, classical")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mid"]


def test_unknown_style_lists_the_known_ones(capsys, tmp_path, ckpt):
    one_line_error(*run(capsys, "transfer", song(tmp_path / "s.mid"), "--style", "jazz", "--checkpoint", ckpt)[::2],
                   "unknown style 'jazz'", "(known: pop, classical)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mid"]


def test_existing_output_is_not_overwritten_without_force(capsys, tmp_path, ckpt):
    src = song(tmp_path / "s.mid")
    dst = tmp_path / "s.classical.mid"
    dst.write_bytes(b"the user's file")
    one_line_error(*run(capsys, "transfer", src, "--style", "classical", "--checkpoint", ckpt)[::2],
                   str(dst), "already exists", "--force")
    assert dst.read_bytes() == b"the user's file"
    assert run(capsys, "transfer", src, "--style", "classical", "--checkpoint", ckpt, "--force")[0] == 0
    assert len(read_score(dst, 4).notes) > 0


def test_a_bad_input_is_reported_before_an_existing_output(capsys, tmp_path, ckpt):
    src = tmp_path / "s.mid"
    src.write_text("not MIDI")
    dst = tmp_path / "s.classical.mid"
    dst.write_bytes(b"the user's file")
    code, _, err = run(capsys, "transfer", src, "--style", "classical", "--checkpoint", ckpt)
    one_line_error(code, err, "s.mid: not a MIDI file")
    assert "already exists" not in err and dst.read_bytes() == b"the user's file"
    # export: the checkpoint it reads first, then the output it would write
    out = tmp_path / "rel.pt"
    out.write_bytes(b"the user's file")
    code, _, err = run(capsys, "export", tmp_path / "missing.pt", "-o", out)
    cli.one_line_error("export", code, err, "missing.pt: no such checkpoint")
    code, _, err = run(capsys, "export", ckpt, "-o", out)
    cli.one_line_error("export", code, err, f"{out} already exists: use --force to overwrite it")
    assert out.read_bytes() == b"the user's file"


def test_export_writes_under_runs_by_default(capsys, tmp_path, ckpt, monkeypatch):
    """Not into checkpoints/, where a checkout keeps its shipped models (runs/ is ignored by git)."""
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "export", ckpt)
    assert code == 0 and out.startswith(f"wrote {Path('runs') / 'tiny-transfer.pt'}:")
    assert (tmp_path / "runs" / "tiny-transfer.pt").is_file() and not (tmp_path / "checkpoints").exists()
    assert "/runs/" in (REPO / ".gitignore").read_text().split(), "runs/ is not ignored by the repository's .gitignore"


def test_the_input_is_never_the_output(capsys, tmp_path, ckpt):
    src = song(tmp_path / "s.mid")
    before = src.read_bytes()
    one_line_error(*run(capsys, "transfer", src, "--style", "pop", "-o", src, "--force", "--checkpoint", ckpt)[::2],
                   "would replace the input")
    assert src.read_bytes() == before


@pytest.mark.parametrize("args, needle", [
    (["--strength", "-1"], "strength must be between 0 and 10"),
    (["--strength", "nan"], "strength"),
    (["--temperature", "-1"], "temperature"),
    (["--threshold", "0.4"], "--threshold was removed"),
    (["--source", "pop"], "--source was removed"),
    (["--batch-size", "0"], "--batch-size"),
    (["--device", "cuda:7"] if not __import__("torch").cuda.is_available() else ["--device", "nonsense"], "device"),
])
def test_bad_options(capsys, tmp_path, ckpt, args, needle):
    src = song(tmp_path / "s.mid")
    one_line_error(*run(capsys, "transfer", src, "--style", "classical", "--checkpoint", ckpt, *args)[::2], needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.mid"]


def test_bad_inputs_and_checkpoints(capsys, tmp_path, ckpt):
    one_line_error(*run(capsys, "transfer", tmp_path / "nope.mid", "--style", "pop", "--checkpoint", ckpt)[::2],
                   "no such file")
    (tmp_path / "fake.mid").write_text("hello")
    one_line_error(*run(capsys, "transfer", tmp_path / "fake.mid", "--style", "pop", "--checkpoint", ckpt)[::2],
                   "fake.mid", "not a MIDI file")
    write_midi(tmp_path / "drums.mid", [Track([(0, 1, 36, 100)], name="Kit", drum=True)])
    one_line_error(*run(capsys, "transfer", tmp_path / "drums.mid", "--style", "pop", "--checkpoint", ckpt)[::2],
                   "drums.mid", "drums only")
    src = song(tmp_path / "s.mid")
    one_line_error(*run(capsys, "transfer", src, "--style", "pop", "--checkpoint", tmp_path / "none.pt")[::2],
                   "no such checkpoint")


def test_missing_shipped_checkpoint(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("stylegen.transfer.default_checkpoint", lambda: tmp_path / "pop2classical.pt")
    one_line_error(*run(capsys, "transfer", song(tmp_path / "s.mid"), "--style", "classical")[::2],
                   "shipped checkpoint", "--checkpoint")


# --------------------------------------------------------------------------- folders


def folder(tmp_path: Path) -> Path:
    songs = tmp_path / "songs"
    song(songs / "a.mid", bars=4)
    song(songs / "sub" / "b.midi", bars=6, tempo=70)
    song(songs / "c.MID", bars=2)
    (songs / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00\x01\x00\x01\x01\xe0")
    (songs / "notes.txt").write_text("not music")
    return songs


def test_folder_to_an_output_folder_counts_failures(capsys, tmp_path, ckpt):
    songs = folder(tmp_path)
    code, out, err = run(capsys, "transfer", songs, "--style", "classical", "-o", tmp_path / "out",
                         "--batch-size", 2, "--checkpoint", ckpt)
    assert code == 1
    assert "transferred 3 of 4 files" in err and "1 failed" in err and "broken.mid" in err
    got = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.mid"))
    assert got == ["a.classical.mid", "c.classical.mid", "sub/b.classical.mid"]  # named as a single file's output
    b = tmp_path / "out" / "sub" / "b.classical.mid"
    assert midi_length_beats(b) == 24.0
    assert read_score(b, 4).tempos == [(0, pytest.approx(70, rel=1e-4))]
    assert melody(read_score(b, 480)) == melody(read_score(songs / "sub" / "b.midi", 480))
    # a second run refuses to overwrite, before doing any work
    code, _, err = run(capsys, "transfer", songs, "--style", "classical", "-o", tmp_path / "out", "--checkpoint", ckpt)
    one_line_error(code, err, "and 2 other outputs already exist", "--force")
    assert run(capsys, "transfer", songs, "--style", "classical", "-o", tmp_path / "out", "--checkpoint", ckpt,
               "--force", "--quiet")[0] == 1


def test_folder_beside_the_inputs_skips_its_own_earlier_outputs(capsys, tmp_path, ckpt):
    songs = folder(tmp_path)
    (songs / "broken.mid").unlink()
    song(songs / "demo.final.mid", bars=2)  # a user's name with a dot: an input
    code, out, _ = run(capsys, "transfer", songs, "--style", "pop", "--checkpoint", ckpt)
    assert code == 0 and "transferred 4 of 4 files" in out
    assert (songs / "a.pop.mid").is_file() and (songs / "sub" / "b.pop.mid").is_file()
    assert (songs / "demo.final.pop.mid").is_file()
    code, out, _ = run(capsys, "transfer", songs, "--style", "classical", "--checkpoint", ckpt)
    assert code == 0 and "transferred 4 of 4 files" in out and "4 earlier stylegen outputs skipped" in out
    assert not (songs / "a.pop.classical.mid").exists() and (songs / "a.classical.mid").is_file()
    # an output folder inside the input folder: what is in it is never an input
    code, out, _ = run(capsys, "transfer", songs, "--style", "pop", "-o", songs / "out", "--force",
                       "--checkpoint", ckpt)
    assert code == 0 and "transferred 4 of 4 files" in out
    code, out, _ = run(capsys, "transfer", songs, "--style", "pop", "-o", songs / "out", "--force",
                       "--checkpoint", ckpt)
    assert code == 0 and "transferred 4 of 4 files" in out and "12 earlier stylegen outputs skipped" in out


def test_own_outputs_are_recognised_by_name():
    own = own_output_pattern(["pop", "classical", "folk"])
    for name in ("a.pop.mid", "x.y.Classical.mid", "a.pop0.5-classical0.5.mid", "intro.folk-continued.mid",
                 "b.classical.midi"):
        assert own.match(name), name
    for name in ("a.mid", "pop.mid", "a.final.mid", "a.jazz.mid", "a.pop.wav", "classical-seed7.mid"):
        assert not own.match(name), name


def test_empty_folder(capsys, tmp_path, ckpt):
    (tmp_path / "empty").mkdir()
    one_line_error(*run(capsys, "transfer", tmp_path / "empty", "--style", "pop", "--checkpoint", ckpt)[::2],
                   "no MIDI files")


# --------------------------------------------------------------------------- audio


def test_wav_beside_the_midi(capsys, tmp_path, ckpt):
    from tests.audiofiles import assert_sound_at_target

    src = song(tmp_path / "s.mid", bars=2)
    code, out, err = run(capsys, "transfer", src, "--style", "classical", "-o", tmp_path / "o.mid", "--wav",
                         "--checkpoint", ckpt)
    assert code == 0, err
    wav = tmp_path / "o.wav"
    assert wav.is_file() and wav.stat().st_size > 1000 and "o.wav" in out
    import wave

    with wave.open(str(wav)) as w:
        seconds = w.getnframes() / w.getframerate()
    assert seconds >= 8 * 60 / 100 * 0.99  # 8 beats at 100 bpm, plus the release tail
    assert_sound_at_target(wav)


# --------------------------------------------------------------------------- start-up and export


def test_transfer_start_up_imports_no_muspy_training_or_tensorboard(tmp_path, ckpt):
    src = song(tmp_path / "s.mid")
    code = (
        "import sys; from stylegen.cli import main; "
        f"rc = main(['transfer', {str(src)!r}, '--style', 'pop', '--checkpoint', {ckpt!r}, '--quiet']); "
        "bad = [m for m in ('muspy', 'stylegen.training', 'tensorboard', 'torch.utils.tensorboard', 'matplotlib',"
        " 'music21') if m in sys.modules]; "
        "assert rc == 0 and not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_export_writes_an_inference_checkpoint(capsys, tmp_path, ckpt):
    code, out, _ = run(capsys, "export", ckpt, "-o", tmp_path / "rel.pt", "--half")
    assert code == 0 and "float16" in out
    code, _, err = run(capsys, "export", ckpt, "-o", tmp_path / "rel.pt")
    assert code == 2 and "already exists" in err and len(err.strip().splitlines()) == 1
    src = song(tmp_path / "s.mid")
    assert run(capsys, "transfer", src, "--style", "pop", "--checkpoint", tmp_path / "rel.pt")[0] == 0
    code, _, err = run(capsys, "export", tmp_path / "missing.pt", "-o", tmp_path / "x.pt")
    assert code == 2 and "no such checkpoint" in err
