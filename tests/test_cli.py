"""The ``stylegen`` command line, ``data`` subcommand first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from stylegen import __version__
from stylegen.cli import COMMANDS, main
from tests.conftest import REPO, TINY
from tests.midifiles import Track, scale_piece, write_midi


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def data_args(corpus, tmp_path, *extra):
    return ["data", TINY, f"data_root={corpus}", f"data.cache_dir={tmp_path / 'c'}", "--quiet", *extra]


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: stylegen")
    for name in COMMANDS:
        assert f"    {name} " in out or f"    {name}\n" in out
    assert "data" in COMMANDS


def test_no_subcommand_prints_help_and_fails(capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "usage: stylegen" in out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"stylegen {__version__}"


def test_data_help(capsys):
    with pytest.raises(SystemExit):
        main(["data", "--help"])
    out = capsys.readouterr().out
    assert "recipe" in out and "key=value" in out and "--no-cache" in out and "--show-skipped" in out


def test_data_prints_the_table_then_hits_the_cache(capsys, tiny_corpus, tmp_path):
    (tiny_corpus / "a" / "broken.mid").write_bytes(b"MThd\0\0\0\6\0\1\0\1\1\xe0MTrk\0\0\0\xff")
    (tiny_corpus / "b" / "empty.mid").write_bytes(b"")
    code, out, err = run(capsys, *data_args(tiny_corpus, tmp_path))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ("roll: 4 steps/beat, pitches 36-83 (48), channels onset+sustain, window 32 steps "
                        "(+ 32 of context: training items of 64 steps)")
    header = lines[2].split()
    assert header[:10] == ["style", "found", "used", "skipped", "train", "val", "test", "win", "train", "win"]
    rows = {line.split()[0]: line.split() for line in lines[4:6]}
    #                  found used skipped  train val test  win train/val/test  beats  notes  out-of-range
    assert rows["a"][:13] == ["a", "5", "4", "1", "3", "1", "0", "24", "8", "0", "128", "224", "0"]
    assert rows["b"][:13] == ["b", "5", "4", "1", "3", "1", "0", "24", "8", "0", "96", "96", "0"]
    assert rows["a"][-2:] == ["miss", "(read)"]
    assert "skipped in a: corrupt MIDI 1" in lines and "skipped in b: empty file 1" in lines
    assert any(line.startswith(f"cache: {tmp_path / 'c'} (") for line in lines)
    assert "cache hit" not in out

    code, out, err = run(capsys, *data_args(tiny_corpus, tmp_path))
    assert code == 0
    assert "cache hit for a, b: nothing was read again" in out
    assert {line.split()[0]: line.split()[-1] for line in out.splitlines()[4:6]} == {"a": "hit", "b": "hit"}


def test_show_skipped_lists_each_file(capsys, tiny_corpus, tmp_path):
    (tiny_corpus / "a" / "notes.mid").write_text("hello")
    code, out, _ = run(capsys, *data_args(tiny_corpus, tmp_path, "--show-skipped"))
    assert code == 0
    assert f"    {tiny_corpus / 'a' / 'notes.mid'}: not a MIDI file: no MThd header" in out.splitlines()
    assert "skipped in b" not in out


def test_nothing_skipped_says_so(capsys, tiny_corpus, tmp_path):
    code, out, _ = run(capsys, *data_args(tiny_corpus, tmp_path, "--no-cache"))
    assert code == 0 and "skipped: none" in out.splitlines()
    assert not (tmp_path / "c").exists()  # --no-cache writes nothing


def test_overrides_reach_the_data_run(capsys, tiny_corpus, tmp_path):
    code, out, _ = run(capsys, *data_args(tiny_corpus, tmp_path, "data.val_fraction=0.5", "roll.resolution=2"))
    assert code == 0
    assert out.splitlines()[0].startswith("roll: 2 steps/beat") and out.splitlines()[0].endswith("window 16 steps (+ 16 of context: training items of 32 steps)")
    assert out.splitlines()[4].split()[4:6] == ["2", "2"]


def test_the_cache_follows_stylegen_cache(capsys, tiny_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("STYLEGEN_CACHE", str(tmp_path / "env-cache"))
    code, out, _ = run(capsys, "data", TINY, f"data_root={tiny_corpus}", "--quiet")
    assert code == 0 and any(line.startswith(f"cache: {tmp_path / 'env-cache'} (") for line in out.splitlines())
    assert len(list((tmp_path / "env-cache").glob("tiny-*.pkl"))) == 2


@pytest.mark.parametrize("args, message", [
    (["model.generator.hidden_size=big"], "{tiny}: model.generator.hidden_size: expected int, got 'big'"),
    (["optim.lr_g"], "{tiny}: optim.lr_g: an override must look like key.sub=value"),
    (["data.val_fraction=0.6", "data.test_fraction=0.4"],
     "{tiny}: data.test_fraction: val_fraction + test_fraction must leave pieces for training"),
    (["data_root=/nonexistent/stylegen"], "{tiny}: styles.a.sources[0].path: no such file or folder: "
                                          "/nonexistent/stylegen/a"),
])
def test_a_bad_recipe_is_one_line_on_stderr_and_exit_2(capsys, args, message):
    code, out, err = run(capsys, "data", TINY, *args)
    assert code == 2 and out == ""
    assert err == f"stylegen data: error: {message.format(tiny=TINY)}\n"


def test_a_missing_recipe_file(capsys, tmp_path):
    code, _, err = run(capsys, "data", tmp_path / "none.yaml")
    assert (code, err) == (2, f"stylegen data: error: {tmp_path / 'none.yaml'}: no such recipe file\n")


def test_a_bad_recipe_file(capsys, tmp_path):
    (tmp_path / "r.yaml").write_text("styles:\n  a: {sources: [{path: a}]}\nroll:\n  resolution: many\n")
    code, _, err = run(capsys, "data", tmp_path / "r.yaml")
    assert (code, err) == (2, f"stylegen data: error: {tmp_path / 'r.yaml'}: roll.resolution: expected int, got 'many'\n")


def test_python_dash_m_and_the_console_script(tmp_path):
    env = {**os.environ, "STYLEGEN_CACHE": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "stylegen", "--help"], capture_output=True, text=True, cwd=REPO,
                       env=env, timeout=120)
    assert p.returncode == 0 and p.stdout.startswith("usage: stylegen") and " data " in p.stdout
    p = subprocess.run([sys.executable, "-m", "stylegen", "data", str(TINY), "seed=x"], capture_output=True,
                       text=True, cwd=REPO, env=env, timeout=120)
    assert p.returncode == 2 and p.stderr == f"stylegen data: error: {TINY}: seed: expected int, got 'x'\n"
    assert "Traceback" not in p.stderr
    exe = shutil.which("stylegen")
    if exe is None:
        pytest.skip("the console script is not installed (pip install -e .)")
    p = subprocess.run([exe, "--help"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0 and " data " in p.stdout


def test_a_warm_data_run_imports_neither_torch_nor_muspy(tiny_corpus, tmp_path, capsys):
    # the warm run's budget is under 3 s on the full data: importing torch (via the model
    # registry) or muspy would spend it all before reading the cache
    assert run(capsys, *data_args(tiny_corpus, tmp_path))[0] == 0  # fills the cache
    code = ("import sys; from stylegen.cli import main; rc = main(sys.argv[1:]); "
            "print(rc, sorted(m for m in ('torch', 'muspy', 'music21') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code, *map(str, data_args(tiny_corpus, tmp_path))], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert p.stdout.splitlines()[-1] == "0 []", p.stderr
    assert "cache hit for a, b" in p.stdout


def test_data_does_not_need_the_model_section_to_name_a_known_model(capsys, tiny_corpus, tmp_path):
    code, out, err = run(capsys, *data_args(tiny_corpus, tmp_path, "model.generator.name=not_written_yet"))
    assert code == 0, err


def test_a_muspy_root_without_its_marker_is_one_line(capsys, tmp_path):
    (tmp_path / "lmd").mkdir()
    (tmp_path / "r.yaml").write_text("styles:\n  x:\n    sources: [{muspy: LakhMIDIDataset, root: lmd}]\n"
                                     f"data_root: {tmp_path}\n")
    code, out, err = run(capsys, "data", tmp_path / "r.yaml", "--quiet")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith(f"stylegen data: error: {tmp_path / 'r.yaml'}: styles.x.sources[0]: {tmp_path / 'lmd'}: "
                          "no local copy of muspy's LakhMIDIDataset")


# --------------------------------------------------------------------------- arguments of the recipe commands


# the commands with a required argument (generate and serve run with none)
@pytest.mark.parametrize("name", ["data", "train", "classifier", "transfer", "export", "render", "evaluate"])
def test_no_arguments_names_only_what_is_required(capsys, name):
    with pytest.raises(SystemExit) as e:
        main([name])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.splitlines()[-1].startswith(f"stylegen {name}: error: ")
    assert "key=value" not in err.splitlines()[-1]  # overrides are optional


@pytest.mark.parametrize("name", ["data", "train", "classifier"])
def test_recipe_commands_need_only_the_recipe(capsys, name):
    with pytest.raises(SystemExit):
        main([name])
    assert capsys.readouterr().err.splitlines()[-1] == f"stylegen {name}: error: the following arguments are required: recipe"


@pytest.fixture
def train_calls(monkeypatch):
    """Run `stylegen train` up to the training call: record the overrides and the resume argument."""
    import stylegen.commands.train as command
    import stylegen.training.loop as loop

    calls = []
    monkeypatch.setattr(command, "load_recipe", lambda path, overrides: calls.append(list(overrides)) or "recipe")
    monkeypatch.setattr(command, "finished_run", lambda recipe, resume: None)
    monkeypatch.setattr(loop, "train", lambda recipe, resume, run_dir, progress: calls.append(resume))
    return calls


@pytest.mark.parametrize("argv, overrides, resume", [
    (["--resume", "schedule.steps=40"], ["schedule.steps=40"], "auto"),
    (["--resume=schedule.steps=40"], ["schedule.steps=40"], "auto"),
    (["seed=1", "--resume", "schedule.steps=40", "seed=2"], ["seed=1", "schedule.steps=40", "seed=2"], "auto"),
    (["--resume", "styles.a.sources.0.path=x", "--quiet"], ["styles.a.sources.0.path=x"], "auto"),
    (["--resume"], [], "auto"),
    (["--resume", "runs/tiny/run1", "seed=3"], ["seed=3"], "runs/tiny/run1"),
    (["--resume", "runs/x=1/checkpoints/best.pt"], [], "runs/x=1/checkpoints/best.pt"),
    (["seed=3"], ["seed=3"], None),
])
def test_resume_does_not_swallow_an_override(train_calls, argv, overrides, resume):
    assert main(["train", "r.yaml", *argv]) == 0
    assert train_calls == [overrides, resume]


def test_resume_takes_an_existing_file_even_with_an_equals_sign(train_calls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "step=40.pt").write_bytes(b"")
    assert main(["train", "r.yaml", "--resume", "step=40.pt", "seed=1"]) == 0
    assert train_calls == [["seed=1"], "step=40.pt"]


# --------------------------------------------------------------------------- what the help promises


def test_render_writes_the_flac_its_help_promises(capsys, tmp_path):
    import soundfile

    from tests.audiofiles import assert_sound_at_target

    with pytest.raises(SystemExit):
        main(["render", "--help"])
    assert ".flac" in capsys.readouterr().out
    src = write_midi(tmp_path / "s.mid", [Track(scale_piece(2, 60))])
    assert main(["render", str(src), "-o", str(tmp_path / "s.flac"), "--builtin", "--sample-rate", "22050"]) == 0
    info = soundfile.info(str(tmp_path / "s.flac"))
    assert (info.format, info.subtype, info.samplerate) == ("FLAC", "PCM_16", 22050)
    assert info.duration >= 4.0  # 2 bars at 120 bpm
    assert_sound_at_target(tmp_path / "s.flac")


def test_data_and_train_report_the_same_train_windows(capsys, tmp_path):
    """One definition of a training window: `stylegen data` counts what `stylegen train` trains on."""
    import re

    from tests.training.conftest import SMALL_MODEL

    # notes in bars 0, 5 and 7 of 8: a window that also spans the context bar before it sees
    # other bar lines holding notes than the window alone (issue 11: 73,074 against 73,096)
    for style in ("a", "b"):
        for i in range(4):
            write_midi(tmp_path / "data" / style / f"{style}{i}.mid",
                       [Track([(0, 4, 60 + i, 80), (20, 4, 64 + i, 80), (28, 4, 67, 80)])])
    common = [f"data_root={tmp_path / 'data'}", f"data.cache_dir={tmp_path / 'c'}", "data.context_bars=1"]
    code, out, err = run(capsys, "data", TINY, *common, "--quiet")
    assert code == 0, err
    lines = out.splitlines()
    rows = [line.split() for line in lines[4:6]]
    assert [r[0] for r in rows] == ["a", "b"]
    data_windows = sum(int(r[7]) for r in rows)  # the "win train" column
    code, out, err = run(capsys, "train", TINY, *common, *SMALL_MODEL, "schedule.steps=1", "schedule.batch_size=2",
                         "schedule.eval_every=1", f"logging.dir={tmp_path / 'runs'}")
    assert code == 0, err
    # the shipped classifier knows neither style a nor b: one clear line, no Python warning
    assert "Warning" not in err and "warnings.warn" not in err
    assert len([line for line in err.splitlines() if "without style strength" in line]) == 1
    m = re.search(r"([\d,]+) train windows", out)
    assert m, out
    assert int(m.group(1).replace(",", "")) == data_windows


def test_only_the_command_being_run_is_imported():
    """cli.py says so: ``stylegen --help`` imports no command, ``stylegen data ...`` only data's."""
    code = ("import sys, stylegen.cli as c\n"
            "for argv in (['--help'], ['data', '--help']):\n"
            "    try:\n"
            "        c.main(argv)\n"
            "    except SystemExit:\n"
            "        pass\n"
            "    print(sorted(m for m in sys.modules if m.startswith('stylegen.commands.')), file=sys.stderr)\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    after_help, after_data = p.stderr.strip().splitlines()[-2:]
    assert after_help == "[]"
    assert after_data == "['stylegen.commands.data']"
