"""``stylegen generate`` through ``main([...])``: from nothing and continuing a primer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegen.checkpoint import load_checkpoint, save_checkpoint
from stylegen.data.fastmidi import midi_length_beats
from stylegen.data.midi import read_score
from stylegen.data.score import TRACK
from tests.checkpoints import write_tiny_checkpoint
from tests.commands import cli
from tests.commands.cli import run
from tests.midifiles import Track, scale_piece, write_midi


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> str:
    return str(write_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt"))


def one_line_error(code: int, err: str, *needles: str) -> None:
    cli.one_line_error("generate", code, err, *needles)


def test_generate_bars_in_a_style(capsys, tmp_path, ckpt):
    out = tmp_path / "new.mid"
    code, stdout, _ = run(capsys, "generate", "--style", "classical", "--bars", 8, "--seed", 7, "-o", out,
                          "--checkpoint", ckpt)
    assert code == 0 and f"wrote {out}" in stdout and "seed 7" in stdout
    score = read_score(out, 4)
    assert len(score.notes) > 0 and [t.name for t in score.tracks] == ["Piano"]
    assert midi_length_beats(out) == 32.0  # 8 bars of 4 beats, asked and written
    assert score.tempos == [(0, pytest.approx(120.0))] and score.time_signatures == [(0, 4, 4)]
    assert int(score.notes[:, 0].max()) >= 7 * 16  # the last bar is not left empty


@pytest.mark.parametrize("strength", ["0", "1", "3"])
def test_guidance_scales(capsys, tmp_path, ckpt, strength):
    out = tmp_path / "g.mid"
    assert run(capsys, "generate", "--style", "classical", "--bars", 2, "--seed", 1, "--strength", strength,
               "-o", out, "--checkpoint", ckpt)[0] == 0
    assert len(read_score(out, 4).notes) > 0


def test_same_seed_same_piece(capsys, tmp_path, ckpt):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        assert run(capsys, "generate", "--style", "pop", "--bars", 4, "--seed", seed, "-o", tmp_path / f"{name}.mid",
                   "--checkpoint", ckpt)[0] == 0
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()
    assert not np.array_equal(read_score(tmp_path / "a.mid", 4).notes, read_score(tmp_path / "c.mid", 4).notes)


def test_longer_piece_of_the_same_seed_starts_the_same(capsys, tmp_path, ckpt):
    run(capsys, "generate", "--style", "pop", "--bars", 4, "--seed", 3, "-o", tmp_path / "4.mid", "--checkpoint", ckpt)
    run(capsys, "generate", "--style", "pop", "--bars", 8, "--seed", 3, "-o", tmp_path / "8.mid", "--checkpoint", ckpt)
    short, long = read_score(tmp_path / "4.mid", 4).notes, read_score(tmp_path / "8.mid", 4).notes
    starts_early = long[long[:, 0] + long[:, 1] <= 64]
    assert len(starts_early) and {tuple(r) for r in starts_early.tolist()} <= {tuple(r) for r in short.tolist()}


def test_without_a_seed_one_is_drawn_and_printed(capsys, tmp_path, ckpt, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = run(capsys, "generate", "--style", "classical", "--bars", 2, "--checkpoint", ckpt)
    assert code == 0 and "pass --seed" in stdout
    seed = int(stdout.split("pass --seed ")[1].split()[0].rstrip(")"))
    assert (tmp_path / f"classical-seed{seed}.mid").is_file()
    assert run(capsys, "generate", "--style", "classical", "--bars", 2, "--seed", seed, "-o", "again.mid",
               "--checkpoint", ckpt)[0] == 0
    assert (tmp_path / "again.mid").read_bytes() == (tmp_path / f"classical-seed{seed}.mid").read_bytes()


def test_meter_and_tempo(capsys, tmp_path, ckpt):
    out = tmp_path / "w.mid"
    assert run(capsys, "generate", "--style", "pop", "--bars", 4, "--seed", 1, "--tempo", 84, "--beats-per-bar", 3,
               "-o", out, "--checkpoint", ckpt, "--temperature", 0.5)[0] == 0
    score = read_score(out, 4)
    assert midi_length_beats(out) == 12.0
    assert score.tempos == [(0, pytest.approx(84.0, rel=1e-4))] and score.time_signatures == [(0, 3, 4)]


def test_continue_a_primer(capsys, tmp_path, ckpt):
    primer = write_midi(tmp_path / "intro.mid", [Track(scale_piece(2, 64), name="Melody")], tempo_bpm=75)
    code, stdout, _ = run(capsys, "generate", "--style", "pop", "--primer", primer, "--bars", 4, "--seed", 2,
                          "--checkpoint", ckpt)
    assert code == 0
    out = tmp_path / "intro.pop-continued.mid"
    score, orig = read_score(out, 4), read_score(primer, 4)
    assert midi_length_beats(out) == 8 + 16
    assert score.tempos == [(0, pytest.approx(75.0, rel=1e-4))]
    assert np.array_equal(score.notes[score.notes[:, TRACK] == 0], orig.notes)
    new = score.notes[score.notes[:, TRACK] == 1]
    assert len(new) and new[:, 0].min() >= 32
    fine, orig_fine = read_score(out, 480), read_score(primer, 480)  # the primer's own ticks
    assert np.array_equal(fine.notes[fine.notes[:, TRACK] == 0], orig_fine.notes)


def test_errors_are_one_line(capsys, tmp_path, ckpt):
    one_line_error(*run(capsys, "generate", "--bars", 2, "-o", tmp_path / "x.mid", "--checkpoint", ckpt)[::2],
                   "no --style given", "pop, classical")
    one_line_error(*run(capsys, "generate", "--style", "jazz", "-o", tmp_path / "x.mid", "--checkpoint", ckpt)[::2],
                   "unknown style 'jazz'", "known: pop, classical")
    one_line_error(*run(capsys, "generate", "--style", "pop", "--bars", 0, "--checkpoint", ckpt)[::2], "--bars")
    one_line_error(*run(capsys, "generate", "--style", "pop", "--primer", tmp_path / "no.mid", "--checkpoint",
                        ckpt)[::2], "no such file")
    one_line_error(*run(capsys, "generate", "--style", "pop", "--tempo", 0, "-o", tmp_path / "x.mid",
                        "--checkpoint", ckpt)[::2], "tempo")
    one_line_error(*run(capsys, "generate", "--style", "pop", "--strength", -2, "-o", tmp_path / "x.mid",
                        "--checkpoint", ckpt)[::2], "strength")
    one_line_error(*run(capsys, "generate", "--style", "pop", "--threshold", 0.3, "-o", tmp_path / "x.mid",
                        "--checkpoint", ckpt)[::2], "--threshold was removed")
    assert not (tmp_path / "x.mid").exists()
    existing = tmp_path / "mine.mid"
    existing.write_bytes(b"keep me")
    one_line_error(*run(capsys, "generate", "--style", "pop", "--seed", 1, "-o", existing, "--checkpoint",
                        ckpt)[::2], "already exists", "--force")
    assert existing.read_bytes() == b"keep me"
    assert run(capsys, "generate", "--style", "pop", "--seed", 1, "-o", existing, "--checkpoint", ckpt, "--force",
               "--quiet") == (0, "", "")
    assert existing.read_bytes().startswith(b"MThd")
    bad_primer = tmp_path / "intro.mid"
    bad_primer.write_text("not MIDI")
    code, _, err = run(capsys, "generate", "--style", "pop", "--primer", bad_primer, "-o", existing, "--checkpoint",
                       ckpt)
    one_line_error(code, err, "intro.mid: not a MIDI file")  # the input before the existing output


def test_wav(capsys, tmp_path, ckpt):
    from tests.audiofiles import assert_sound_at_target

    out = tmp_path / "g.mid"
    assert run(capsys, "generate", "--style", "pop", "--bars", 1, "--seed", 1, "-o", out, "--wav",
               "--checkpoint", ckpt)[0] == 0
    assert_sound_at_target(out.with_suffix(".wav"))


def test_a_model_that_writes_silence_is_reported_not_hidden(capsys, tmp_path, ckpt):
    data = load_checkpoint(ckpt)
    g = data["models"]["generator"]
    P = data["model_config"]["generator"]["n_pitches"]
    bias = g["head.bias"].clone()
    bias[P:2 * P] = -1e4  # no note can ever start (the onsets' base logits)
    data["models"]["generator"] = {**g, "head.bias": bias}
    silent = save_checkpoint(tmp_path / "silent.pt", {k: v for k, v in data.items() if k != "format"})
    assert torch.equal(load_checkpoint(silent)["models"]["generator"]["head.bias"], bias)
    code, _, err = run(capsys, "generate", "--style", "pop", "--bars", 2, "--seed", 1, "-o", tmp_path / "s.mid",
                       "--checkpoint", silent)
    one_line_error(code, err, "the model wrote no notes", "seed 1", "report it")
    assert not (tmp_path / "s.mid").exists()
