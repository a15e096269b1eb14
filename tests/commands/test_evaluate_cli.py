"""``stylegen evaluate`` end to end on MIDI files written by the test, with a tiny classifier."""

import json
from pathlib import Path

import numpy as np
import pytest

from stylegen.cli import main
from stylegen.data.roll import RollSpec
from stylegen.errors import StylegenError
from tests.metrics.test_classifier_loading import write_classifier
from tests.midifiles import Track, chord_piece, scale_piece, write_midi

ROOT = Path(__file__).resolve().parents[2]
SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)


@pytest.fixture
def folders(tmp_path):
    """inputs x, y, z; outputs x, y (an octave up), w (unpaired) and z (not MIDI); real pieces."""
    d = tmp_path
    for name in ("x", "y", "z"):
        write_midi(d / "in" / f"{name}.mid", [Track(scale_piece(4), name="Melody")])
    for name in ("x", "y", "w"):
        write_midi(d / "out" / f"{name}.mid", [Track([(o, du, p + 12, v) for o, du, p, v in scale_piece(4)])])
    (d / "out" / "z.mid").write_bytes(b"not a midi file")
    for i in range(3):
        write_midi(d / "real" / f"r{i}.mid", [Track(chord_piece(4, root=48 + i))])
    write_classifier(d / "clf.pt", styles=["a", "b"], spec=SPEC)
    return d


def run(*argv):
    return main(["evaluate", *map(str, argv), "--quiet"])


def test_two_folders_paired_by_name(folders, capsys):
    d = folders
    rc = run("--inputs", d / "in", "--outputs", d / "out", "--target", "b", "--source", "a",
             "--classifier", d / "clf.pt", "--real", d / "real", "-o", d / "rep", "--examples", "1")
    assert rc == 0
    rep = json.loads((d / "rep" / "report.json").read_text())
    c = rep["counts"]
    assert c["pairs"] == 2 and c["unpaired_outputs"] == 1 and c["unpaired_inputs"] == 0
    assert c["unreadable_pairs"] == 1 and c["real_target"] == 3
    assert rep["metrics"]["output/content/chroma"] == pytest.approx(1.0)  # an octave up keeps the chroma
    assert rep["metrics"]["output/content/onset_f1"] == 1.0
    assert rep["metrics"]["identity/content/chroma"] == 1.0
    assert [p["name"] for p in rep["pieces"]] == ["x", "y"]
    assert any("z (output" in n for n in rep["notes"])  # the unreadable output is named with its reason
    md = (d / "rep" / "report.md").read_text()
    assert "| real b |" in md and "identity (output = input)" in md
    assert (d / "rep" / "plots" / "rolls_x.png").is_file()
    assert list((d / "rep" / "tensorboard").glob("events.out.tfevents.*"))
    out = capsys.readouterr().out
    assert "| **output** (a → b) |" in out and "report:" in out


@pytest.mark.parametrize("argv, message", [
    (["--target", "jazz"], "'jazz' is not one of them"),
    (["--target", "b", "--source", "folk"], "'folk' is not one of them"),
    (["--target", "b", "--outputs", "{d}/empty"], "no MIDI files (empty outputs)"),
    (["--target", "b", "--outputs", "{d}/other"], "no file names in common"),
    (["--target", "b", "--outputs", "{d}/missing"], "no such folder"),
    (["--target", "b", "--classifier", "{d}/missing.pt"], "no such checkpoint"),
    (["ckpt.pt", "--target", "b"], "not both"),
])
def test_bad_input_is_one_line_and_exit_2(folders, capsys, argv, message):
    d = folders
    (d / "empty").mkdir()
    write_midi(d / "other" / "q.mid", [Track(scale_piece(2))])
    base = ["--inputs", d / "in", "--outputs", d / "out", "--classifier", d / "clf.pt"]
    argv = [a.format(d=d) for a in argv]
    # later options win: put the case's own options after the base ones
    rc = run(*base, *argv, "-o", d / "rep")
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and err[0].startswith("stylegen evaluate: error:") and message in err[0]
    assert not (d / "rep").exists()


class FakeModel:
    """Stands in for stylegen.transfer's Model: style b is an octave up, a an octave down."""

    spec = SPEC

    def transfer_score(self, score, style):
        shift = 12 if style == "b" else -12
        return score.with_notes(score.notes + np.array([0, 0, shift, 0, 0], dtype=np.int32))


def tiny_data(root: Path) -> Path:
    for i in range(4):
        write_midi(root / "a" / f"a{i}.mid", [Track(scale_piece(4, base=48 + i), name="Melody")])
        write_midi(root / "b" / f"b{i}.mid", [Track(chord_piece(4, root=55 + i))])
    return root


def test_checkpoint_mode_transfers_the_val_pieces(folders, monkeypatch):
    d = folders
    data = tiny_data(d / "data")
    monkeypatch.setattr("stylegen.evaluation.checkpoint_eval.load", lambda path, device="cpu": FakeModel())
    rc = run("gan.pt", "--recipe", ROOT / "tests" / "recipes" / "tiny.yaml", "--set", f"data_root={data}",
             "--set", f"data.cache_dir={d / 'cache'}", "--source", "a", "--target", "b", "--pair",
             "--classifier", d / "clf.pt", "-o", d / "rep", "--no-musicality", "--save-midi", "--examples", "0")
    assert rc == 0
    rep = json.loads((d / "rep" / "report.json").read_text())
    m = rep["metrics"]
    assert rep["counts"]["pairs"] == 1 and rep["counts"]["val_pieces_a"] == 1  # val_fraction 0.25 of 4
    assert rep["counts"]["real_target"] == 1 and rep["counts"]["reverse_pairs"] == 1
    assert "output/strength/P_source/cycle" in m and "pair/S_tot" in m
    assert m["output/content/chroma"] == pytest.approx(1.0)
    assert len(list((d / "rep" / "midi" / "outputs").rglob("*.mid"))) == 1
    assert "**S_tot** of the pair a ↔ b" in (d / "rep" / "report.md").read_text()


def test_checkpoint_mode_with_the_real_transfer_module(folders, tmp_path):
    pytest.importorskip("stylegen.transfer")
    checkpoints = pytest.importorskip("tests.checkpoints")
    d = folders
    data = d / "data"
    for i in range(4):
        write_midi(data / "pop" / f"p{i}.mid", [Track(scale_piece(4, base=60 + i), name="Melody")])
        write_midi(data / "classical" / f"c{i}.mid", [Track(chord_piece(4, root=48 + i))])
    ckpt = checkpoints.write_tiny_checkpoint(d / "gan.pt")
    write_classifier(d / "clf2.pt", styles=["pop", "classical"], spec=SPEC)
    recipe = d / "r.yaml"
    recipe.write_text("name: r\nstyles:\n  pop: {sources: [{path: pop}]}\n  classical: {sources: [{path: classical}]}\n"
                      "roll: {resolution: 4, lowest_pitch: 36, n_pitches: 48}\n"
                      "data: {window_bars: 2, hop_bars: 1, val_fraction: 0.25, min_beats: 4, workers: 1}\n")
    rc = run(ckpt, "--recipe", recipe, "--set", f"data_root={data}", "--set", f"data.cache_dir={d / 'cache'}",
             "--source", "pop", "--target", "classical", "--classifier", d / "clf2.pt", "-o", d / "rep",
             "--no-musicality", "--examples", "0")
    assert rc == 0
    m = json.loads((d / "rep" / "report.json").read_text())["metrics"]
    assert m["counts/pairs"] == 1.0 and m["output/content/length_match"] == 1.0  # the output keeps its length


def test_evaluate_leaves_autograd_on_for_the_rest_of_the_process(tmp_path):
    import torch

    from stylegen.cli import main

    main(["evaluate", "--inputs", str(tmp_path / "missing-in"), "--outputs", str(tmp_path / "missing-out"),
          "--target", "classical"])
    assert torch.is_grad_enabled()


def test_an_existing_report_is_kept_without_force(folders, capsys):
    d = folders
    base = ["--inputs", d / "in", "--outputs", d / "out", "--target", "b", "--classifier", d / "clf.pt",
            "--no-musicality", "--examples", "0", "-o", d / "rep"]
    (d / "rep").mkdir()
    (d / "rep" / "report.md").write_text("mine")
    assert run(*base) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0] and "--force" in err[0]
    assert (d / "rep" / "report.md").read_text() == "mine"
    assert run(*base, "--force") == 0
    assert (d / "rep" / "report.md").read_text().startswith("# Evaluation")


def test_the_real_row_reads_only_the_target_styles_val_pieces(folders, monkeypatch, capsys):
    import stylegen.evaluation.pieces as pieces

    d = folders
    data = tiny_data(d / "data")
    read = []
    real_read = pieces.read_score

    def counting(path, resolution):
        read.append(Path(path))
        return real_read(path, resolution)

    monkeypatch.setattr(pieces, "read_score", counting)
    rc = main(["evaluate", "--inputs", str(d / "in"), "--outputs", str(d / "out"), "--target", "b",
               "--classifier", str(d / "clf.pt"), "--recipe", str(ROOT / "tests" / "recipes" / "tiny.yaml"),
               "--set", f"data_root={data}", "--set", f"data.cache_dir={d / 'cache'}", "--no-musicality",
               "--examples", "0", "-o", str(d / "rep"), "--no-feature-judge"])  # the judge reads train pieces
    assert rc == 0
    # the 3 input/output pairs' files (x, y, z: z's output is unreadable), then style b's one val piece
    # (val_fraction 0.25 of 4): nothing of style a, no other piece of b, no cache written
    real = [p for p in read if d / "data" in p.parents]
    assert len(real) == 1 and real[0].parent.name == "b"
    assert not (d / "cache").exists()
    out = capsys.readouterr().out
    assert "real b pieces: reading the val split of" in out or "real b pieces: the val split" in out
    rep = json.loads((d / "rep" / "report.json").read_text())
    assert any("1 of the style's 4 files (no cache)" in n for n in rep["notes"])
    assert rep["counts"]["real_target"] == 1


def test_the_classifier_command_keeps_an_existing_checkpoint(tmp_path, capsys):
    out = tmp_path / "clf.pt"
    out.write_bytes(b"mine")
    data = tiny_data(tmp_path / "data")
    rc = main(["classifier", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={data}", "-o", str(out),
               "--steps", "1", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "already exists" in err[0] and "--force" in err[0]
    assert out.read_bytes() == b"mine"


def test_outputs_named_as_transfer_names_them_pair_with_their_inputs(tmp_path, capsys):
    """``stylegen transfer in/ --style b -o out/`` writes out/**/NAME.b.mid for in/**/NAME.mid
    (commands/transfer.py folder_pairs): evaluate pairs them by NAME."""
    from stylegen.commands.transfer import folder_pairs

    d = tmp_path
    files = [d / "in" / "001.mid", d / "in" / "002.mid", d / "in" / "sub" / "003.mid", d / "in" / "004.mid"]
    for f in files:
        write_midi(f, [Track(scale_piece(4), name="Melody")])
    pairs, skipped = folder_pairs(d / "in", files[:3], "b", ["a", "b"], str(d / "out"))
    assert skipped == 0 and pairs[0][1] == d / "out" / "001.b.mid"
    for _, out in pairs:
        write_midi(out, [Track([(o, du, p + 12, v) for o, du, p, v in scale_piece(4)])])
    write_midi(d / "out" / "005.b.mid", [Track(scale_piece(4))])  # no input 005
    for i in range(4):
        write_midi(d / "real" / f"r{i}.mid", [Track(chord_piece(4, root=48 + i))])
    write_classifier(d / "clf.pt", styles=["a", "b"], spec=SPEC)
    rc = run("--inputs", d / "in", "--outputs", d / "out", "--target", "b", "--source", "a", "--classifier",
             d / "clf.pt", "--real", d / "real", "-o", d / "rep", "--no-musicality", "--examples", "0")
    assert rc == 0
    rep = json.loads((d / "rep" / "report.json").read_text())
    assert [p["name"] for p in rep["pieces"]] == ["001", "002", "sub/003"]  # the inputs' names
    c = rep["counts"]
    assert c["pairs"] == 3 and c["unpaired_inputs"] == 1 and c["unpaired_outputs"] == 1
    assert rep["metrics"]["output/content/chroma"] == pytest.approx(1.0)  # each with its own input
    assert any("paired with the input named without their suffix (.b)" in n for n in rep["notes"])
    assert any("1 outputs without an input (not scored): 005.b" in n for n in rep["notes"])
    # an input with both NAME.mid and NAME.b.mid among the outputs is ambiguous: one line, exit 2
    write_midi(d / "out" / "001.mid", [Track(scale_piece(4))])
    assert run("--inputs", d / "in", "--outputs", d / "out", "--target", "b", "--classifier", d / "clf.pt",
               "-o", d / "rep2", "--no-musicality") == 2
    assert "two outputs for the input 001: 001 and 001.b" in capsys.readouterr().err


def test_transfers_back_may_carry_the_style_suffixes(tmp_path):
    from stylegen.evaluation.pieces import read_folder_pairs

    d = tmp_path
    for name in ("x", "y"):
        write_midi(d / "in" / f"{name}.mid", [Track(scale_piece(4))])
        write_midi(d / "out" / f"{name}.b.mid", [Track(scale_piece(4))])
    write_midi(d / "back" / "x.b.a.mid", [Track(scale_piece(4))])  # NAME.b.mid transferred back to a
    write_midi(d / "back" / "y.mid", [Track(scale_piece(4))])
    fp = read_folder_pairs(d / "in", d / "out", 4, False, d / "back", suffixes=[".b"], cycle_suffixes=[".a", ".b"])
    assert fp.names == ["x", "y"] and len(fp.cycles) == 2
    (d / "back" / "y.mid").unlink()
    with pytest.raises(StylegenError, match="no file for 1 pair"):
        read_folder_pairs(d / "in", d / "out", 4, False, d / "back", suffixes=[".b"], cycle_suffixes=[".a"])
    # without the suffix rule, the names share nothing
    with pytest.raises(StylegenError, match="no file names in common"):
        read_folder_pairs(d / "in", d / "out", 4, False)


def test_a_folder_transferred_by_stylegen_is_evaluated_as_it_was_written(tmp_path):
    """The chain a user runs: ``stylegen transfer in/ --style classical -o out/`` with a real
    (tiny) checkpoint, then ``stylegen evaluate --inputs in/ --outputs out/``."""
    pytest.importorskip("stylegen.transfer")
    checkpoints = pytest.importorskip("tests.checkpoints")
    d = tmp_path
    for i in range(3):
        write_midi(d / "in" / f"{i:03d}.mid", [Track(scale_piece(4, base=60 + i), name="Melody")])
        write_midi(d / "real" / f"c{i}.mid", [Track(chord_piece(4, root=48 + i))])
    ckpt = checkpoints.write_tiny_checkpoint(d / "gan.pt")
    assert main(["transfer", str(d / "in"), "--style", "classical", "-o", str(d / "out"), "--checkpoint",
                 str(ckpt), "--quiet"]) == 0
    assert sorted(p.name for p in (d / "out").iterdir()) == ["000.classical.mid", "001.classical.mid",
                                                             "002.classical.mid"]
    write_classifier(d / "clf2.pt", styles=["pop", "classical"], spec=SPEC)
    rc = run("--inputs", d / "in", "--outputs", d / "out", "--target", "classical", "--source", "pop",
             "--classifier", d / "clf2.pt", "--real", d / "real", "-o", d / "rep", "--no-musicality",
             "--examples", "0")
    assert rc == 0
    rep = json.loads((d / "rep" / "report.json").read_text())
    assert rep["counts"]["pairs"] == 3 and rep["counts"]["unpaired_outputs"] == 0
    assert [p["name"] for p in rep["pieces"]] == ["000", "001", "002"]


def test_the_feature_judge_is_trained_on_the_recipes_real_pieces_and_reported(folders):
    d = folders
    data = tiny_data(d / "data")
    rc = run("--inputs", d / "in", "--outputs", d / "out", "--target", "b", "--source", "a",
             "--classifier", d / "clf.pt", "--recipe", ROOT / "tests" / "recipes" / "tiny.yaml",
             "--set", f"data_root={data}", "--set", f"data.cache_dir={d / 'cache'}", "--no-musicality",
             "--examples", "0", "-o", d / "rep")
    assert rc == 0
    rep = json.loads((d / "rep" / "report.json").read_text())
    m = rep["metrics"]
    for row in ("output", "identity", "rule", "real"):
        assert f"{row}/feature_judge/target_share" in m
    assert m["feature_judge/heldout_accuracy"] == 1.0  # scales against chords: told apart
    assert m["identity/feature_judge/target_share"] == 0.0 and m["real/feature_judge/target_share"] == 1.0
    j = rep["meta"]["feature_judge"]
    assert j["recipe"] == "tiny" and j["train_pieces"] == {"a": "3 of 3", "b": "3 of 3"}
    assert "feature_judge_fit" in rep["meta"]["seconds"]
    md = (d / "rep" / "report.md").read_text()
    assert "target share, feature judge" in md and "held-out accuracy per piece 100.0% on 2 real val pieces" in md
    # without a recipe (and a classifier without one) there is no judge, and the report says why
    rc = run("--inputs", d / "in", "--outputs", d / "out", "--target", "b", "--classifier", d / "clf.pt",
             "--no-musicality", "--examples", "0", "-o", d / "rep2")
    assert rc == 0
    rep2 = json.loads((d / "rep2" / "report.json").read_text())
    assert not any("feature_judge" in k for k in rep2["metrics"])
    assert any(n.startswith("no feature judge: no recipe") for n in rep2["notes"])
