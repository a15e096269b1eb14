"""``stylegen harmony`` (train or copy the harmony part into a checkpoint), ``generate
--form`` and ``transfer --melody-only`` through ``main([...])``: results and one-line errors."""

from __future__ import annotations

import pytest
import torch

from stylegen.checkpoint import harmony_part, load_checkpoint, save_checkpoint
from stylegen.cli import main
from tests.checkpoints import write_tiny_checkpoint
from tests.commands import cli
from tests.commands.cli import run
from tests.conftest import TINY
from tests.midifiles import Track, chord_piece, scale_piece, write_midi


def one_line_error(command, code, err, *needles):
    cli.one_line_error(command, code, err, *needles)


@pytest.fixture
def ckpt_ab(tmp_path):
    """A tiny generator checkpoint for tests/recipes/tiny.yaml's styles a and b (same content spec)."""
    ck = load_checkpoint(write_tiny_checkpoint(tmp_path / "pop.pt"))
    ck["styles"] = ["a", "b"]
    return save_checkpoint(tmp_path / "ab.pt", {k: v for k, v in ck.items() if k != "format"})


def harmony_args(tiny_corpus, tmp_path, *more):
    return ["harmony", TINY, f"data_root={tiny_corpus}", f"data.cache_dir={tmp_path / 'cache'}",
            "model.harmony.steps=4", "model.harmony.eval_every=2", "model.harmony.hidden_size=16",
            "model.harmony.batch_size=4", "model.harmony.sequence_blocks=8", *more]


def test_train_the_part_into_a_copy_then_copy_it_in_place(capsys, tiny_corpus, tmp_path, ckpt_ab):
    out = tmp_path / "with.pt"
    before = ckpt_ab.read_bytes()
    code, stdout, err = run(capsys, *harmony_args(tiny_corpus, tmp_path, "--into", ckpt_ab, "-o", out, "--quiet"))
    assert code == 0, err
    assert ckpt_ab.read_bytes() == before  # -o: the --into file is not changed
    part = harmony_part(load_checkpoint(out))
    assert part is not None and part[2]["steps"] == 4 and part[2]["styles"] == ["a", "b"]
    assert set(part[2]["val_nll"]["model"]) == {"a", "b"} and "bigram" in part[2]["val_nll"]
    assert torch.equal(load_checkpoint(out)["models"]["generator"]["head.weight"],
                       load_checkpoint(ckpt_ab)["models"]["generator"]["head.weight"])

    code, stdout, err = run(capsys, "generate", "--checkpoint", out, "--style", "a", "--bars", 8, "--seed", 1,
                            "--form", "AABA", "-o", tmp_path / "new.mid")
    assert code == 0, err
    assert "form AABA, harmony planned" in stdout and "note:" not in stdout

    code, stdout, err = run(capsys, "harmony", "--from", out, "--into", ckpt_ab)
    assert code == 0 and f"wrote {ckpt_ab}" in stdout, err
    assert harmony_part(load_checkpoint(ckpt_ab)) is not None
    code, _, err = run(capsys, "harmony", "--from", out, "--into", ckpt_ab)
    one_line_error("harmony", code, err, "already has a harmony part", "--force")
    assert run(capsys, "harmony", "--from", out, "--into", ckpt_ab, "--force")[0] == 0


def test_bad_harmony_input_is_one_line(capsys, tiny_corpus, tmp_path, ckpt_ab):
    pop = write_tiny_checkpoint(tmp_path / "popclassical.pt")
    code, _, err = run(capsys, *harmony_args(tiny_corpus, tmp_path, "--into", pop))
    one_line_error("harmony", code, err, "does not fit", "styles ['a', 'b']")
    code, _, err = run(capsys, "harmony", "--into", ckpt_ab)
    one_line_error("harmony", code, err, "give a recipe", "--from")
    code, _, err = run(capsys, "harmony", TINY, "--from", pop, "--into", ckpt_ab)
    one_line_error("harmony", code, err, "not both")
    code, _, err = run(capsys, "harmony", "--from", pop, "--into", ckpt_ab)
    one_line_error("harmony", code, err, "has no harmony part to copy")
    code, _, err = run(capsys, *harmony_args(tiny_corpus, tmp_path, "--into", tmp_path / "nope.pt"))
    one_line_error("harmony", code, err, "nope.pt: no such checkpoint")
    code, _, err = run(capsys, *harmony_args(tiny_corpus, tmp_path, "model.harmony.lr=0", "--into", ckpt_ab))
    one_line_error("harmony", code, err, "model.harmony.lr: must be positive")
    (tmp_path / "exists.pt").write_bytes(b"x")
    code, _, err = run(capsys, *harmony_args(tiny_corpus, tmp_path, "--into", ckpt_ab, "-o", tmp_path / "exists.pt"))
    one_line_error("harmony", code, err, "already exists", "--force")
    assert harmony_part(load_checkpoint(ckpt_ab)) is None


def test_generate_without_a_harmony_model(capsys, tmp_path):
    ck = write_tiny_checkpoint(tmp_path / "plain.pt")
    code, stdout, err = run(capsys, "generate", "--checkpoint", ck, "--style", "pop", "--bars", 4, "--seed", 1,
                            "-o", tmp_path / "a.mid")
    assert code == 0, err
    assert stdout.count("has no harmony model") == 1 and "harmony withheld" in stdout and err == ""
    code, _, err = run(capsys, "generate", "--checkpoint", ck, "--style", "pop", "--form", "AABA", "-o", tmp_path / "b.mid")
    one_line_error("generate", code, err, "a form needs a checkpoint with a harmony model")
    code, _, err = run(capsys, "generate", "--checkpoint", ck, "--style", "pop", "--form", "A1", "-o", tmp_path / "c.mid")
    one_line_error("generate", code, err, "form must be letters")
    code, _, err = run(capsys, "generate", "--checkpoint", ck, "--style", "pop", "--bars", 2, "--form", "ABC",
                       "-o", tmp_path / "d.mid")
    one_line_error("generate", code, err, "3 sections but the piece has only 2 bars")


def test_transfer_says_which_harmony_it_used(capsys, tmp_path):
    ck = write_tiny_checkpoint(tmp_path / "plain.pt")
    tune = write_midi(tmp_path / "tune.mid", [Track(scale_piece(4, 67), name="Melody")])
    song = write_midi(tmp_path / "song.mid", [Track(scale_piece(4, 67), name="Melody"),
                                              Track(chord_piece(4, 48), name="Piano")])
    code, stdout, err = run(capsys, "transfer", tune, "--style", "classical", "--checkpoint", ck)
    assert code == 0 and "harmony: the melody's own pitch classes (this checkpoint has no harmony model)" in stdout, err
    code, stdout, err = run(capsys, "transfer", song, "--style", "classical", "--checkpoint", ck)
    assert code == 0 and "harmony: the input's own notes" in stdout, err
    code, stdout, err = run(capsys, "transfer", song, "--style", "classical", "--checkpoint", ck, "--melody-only",
                            "--force")
    assert code == 0 and "harmony: the melody's own pitch classes" in stdout, err
    with pytest.raises(SystemExit) as e:
        main(["transfer", str(song), "--style", "classical", "--melody-only", "--free-melody"])
    assert e.value.code == 2 and "not allowed with argument" in capsys.readouterr().err.splitlines()[-1]
