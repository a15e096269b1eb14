"""``stylegen adapt``: a style added to a trained tiny model from a folder written in code."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from stylegen.checkpoint import build_model, export_inference, load_checkpoint, put_harmony, save_checkpoint
from stylegen.cli import main
from stylegen.config import load_recipe
from stylegen.data.dataset import prepare
from stylegen.errors import StylegenError
from stylegen.models.styles import style_tables
from stylegen.training.adapt import AdaptOptions, adapt, parse_folders
from stylegen.training.harmony import train_harmony
from stylegen.training.loop import train
from stylegen.transfer import load, read_midi
from tests.midifiles import Track, write_midi

FAST = AdaptOptions(steps=3, adversarial_steps=1, harmony_steps=3, batch_size=4, eval_windows=4, replay=2)


def write_arpeggios(folder: Path, n: int = 4) -> Path:
    """Style c: broken chords in eighth notes, low."""
    for i in range(n):
        notes = [(b * 0.5, 0.5, 40 + (i + (0, 4, 7, 12)[b % 4]) % 24, 75) for b in range(64)]
        write_midi(folder / f"c{i}.mid", [Track(notes, name="Piano")])
    return folder


@pytest.fixture(scope="module")
def base(tmp_path_factory, tiny_root):
    """A tiny trained checkpoint of styles a and b, exported with its discriminator and a harmony part."""
    from tests.training.conftest import ROOT, SMALL_MODEL

    d = tmp_path_factory.mktemp("adapt")
    recipe = load_recipe(ROOT / "tests" / "recipes" / "tiny.yaml", [
        f"data_root={tiny_root}", f"data.cache_dir={d / 'cache'}", f"logging.dir={d / 'runs'}", *SMALL_MODEL,
        "schedule.steps=2", "model.harmony.hidden_size=8", "model.harmony.nade_size=4", "model.harmony.style_dim=3",
        "model.harmony.steps=2", "model.harmony.sequence_blocks=4", "model.harmony.batch_size=2"])
    path = train(recipe, run_dir=d / "run", progress=False)
    part = train_harmony(recipe, prepare(recipe), progress=False, baseline=False)
    put_harmony(path, part.state_dict, part.config, part.meta)
    return export_inference(path, d / "base.pt"), d, recipe


def test_parse_folders_reads_name_equals_folder_and_names_bad_words():
    assert parse_folders(["rag=some/dir", "folk=x"]) == {"rag": "some/dir", "folk": "x"}
    for bad, why in (("rag", "NAME=FOLDER"), ("=dir", "NAME=FOLDER"), ("9x=d", "a letter"), ("a b=d", "a letter")):
        with pytest.raises(StylegenError, match=why):
            parse_folders([bad])
    with pytest.raises(StylegenError, match="twice"):
        parse_folders(["x=a", "x=b"])


def test_adapting_adds_one_style_and_leaves_every_old_row_and_weight_exactly_as_it_was(base, tmp_path):
    path, d, _ = base
    before = load_checkpoint(path)
    folder = write_arpeggios(tmp_path / "arps")
    res = adapt(path, {"c": str(folder)}, tmp_path / "mine.pt", FAST, progress=False, log=lambda *a: None)
    after = load_checkpoint(tmp_path / "mine.pt")
    assert after["styles"] == ["a", "b", "c"] and res.added == ["c"]
    assert after["model_config"]["generator"]["n_styles"] == 3
    assert after["model_config"]["discriminator"]["n_styles"] == 3
    assert after["model_config"]["harmony"]["n_styles"] == 3 and after["harmony"]["styles"] == ["a", "b", "c"]
    assert res.reports["c"].used == 4 and res.pieces["c"] == {"train": 3, "val": 1}
    assert res.nll["c"]["after"] < res.nll["c"]["before"]  # the new rows learnt something of c

    for part in ("generator", "harmony"):
        old, new = before["models"][part], after["models"][part]
        model = build_model(after, part)
        tables = {f"{n}.weight" for n, m in model.named_modules() if m in style_tables(model)}
        assert tables, part
        for k, v in old.items():
            if k in tables:
                n_old = before["model_config"][part]["n_styles"]
                assert torch.equal(new[k][:n_old], v[:n_old])  # the old styles' rows
                assert torch.equal(new[k][n_old + 1:], v[n_old:])  # "no style" stays last
                assert not torch.equal(new[k][n_old], v[n_old:].mean(0) if part == "harmony" else v[n_old])
            else:
                assert torch.equal(new[k], v), f"{part}.{k} changed"
    recipe = load_recipe(res.recipe_path, check_data=False)
    assert recipe.style_names == ["a", "b", "c"] and recipe.name == "tiny+c"


def test_old_styles_write_exactly_what_they_wrote_before_and_the_new_one_is_used(base, tmp_path):
    path, d, recipe = base
    adapt(path, {"c": str(write_arpeggios(tmp_path / "arps"))}, tmp_path / "mine.pt", FAST, progress=False,
          log=lambda *a: None)
    song = read_midi(str(next((Path(recipe.data_root) / "a").glob("*.mid"))))
    old, new = load(path), load(tmp_path / "mine.pt")
    assert new.styles == ["a", "b", "c"]
    for style in ("a", "b"):
        x, y = old.transfer_score(song, style, seed=3), new.transfer_score(song, style, seed=3)
        assert (x.notes == y.notes).all()
    assert len(new.transfer_score(song, "c", seed=3).notes)
    from stylegen.web.service import Service  # the web page lists the new style and writes it

    service = Service(new)
    assert service.info()["styles"] == ["a", "b", "c"]
    out = tmp_path / "song.c.mid"
    src = next((Path(recipe.data_root) / "b").glob("*.mid"))
    assert main(["transfer", str(src), "--style", "c", "--checkpoint", str(tmp_path / "mine.pt"), "-o", str(out)]) == 0
    assert out.is_file()
    assert main(["generate", "--style", "c", "--bars", "2", "--checkpoint", str(tmp_path / "mine.pt"),
                 "-o", str(tmp_path / "gen.mid")]) == 0


def test_the_cli_writes_the_checkpoint_and_a_summary(base, tmp_path, capsys):
    path, _, _ = base
    folder = write_arpeggios(tmp_path / "arps")
    out = tmp_path / "cli.pt"
    rc = main(["adapt", f"c={folder}", "--checkpoint", str(path), "-o", str(out), "--steps", "2",
               "--adversarial-steps", "0", "--harmony-steps", "1", "--batch-size", "4", "--replay", "1",
               "--check", "0", "--quiet", "--run-dir", str(tmp_path / "run")])
    text = capsys.readouterr().out
    assert rc == 0 and out.is_file() and out.with_suffix(".yaml").is_file()
    assert "c: 3 train pieces" in text and "validation NLL" in text and "min in all" in text

    # the adapted recipe trains a judge of the same styles, and evaluate reads the new style with it
    from tests.training.test_classifier_training import SMALL

    judge = tmp_path / "judge.pt"
    assert main(["classifier", str(out.with_suffix(".yaml")), f"data.cache_dir={tmp_path / 'cache'}", *SMALL,
                 "-o", str(judge), "--steps", "2", "--quiet"]) == 0
    assert load_checkpoint(judge)["styles"] == ["a", "b", "c"]
    assert main(["evaluate", str(out), "--recipe", str(out.with_suffix(".yaml")), "--source", "a", "--target", "c",
                 "--classifier", str(judge), "-o", str(tmp_path / "report"), "--no-feature-judge"]) == 0
    assert (tmp_path / "report" / "report.json").is_file()


def one_line_error(capsys, argv) -> str:
    rc = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and len(err) == 1, err
    return err[0]


def test_bad_input_is_one_line_and_nothing_is_written(base, tmp_path, capsys):
    path, _, _ = base
    out = tmp_path / "mine.pt"
    args = ["--checkpoint", str(path), "-o", str(out), "--quiet"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no MIDI files" in one_line_error(capsys, ["adapt", f"c={empty}", *args])
    skipped = tmp_path / "short"
    write_midi(skipped / "x.mid", [Track([(0.0, 1.0, 60, 80)])])  # one beat: shorter than data.min_beats
    (skipped / "y.mid").write_bytes(b"not a midi file")
    line = one_line_error(capsys, ["adapt", f"c={skipped}", *args])
    assert "all 2 files were skipped" in line and str(skipped) in line
    arps = write_arpeggios(tmp_path / "arps")
    assert "exists already" in one_line_error(capsys, ["adapt", f"a={arps}", *args])
    assert "no such folder" in one_line_error(capsys, ["adapt", f"c={tmp_path / 'nope'}", *args])
    assert not out.exists() and not out.with_suffix(".yaml").exists()

    out.write_bytes(b"mine")  # an existing output is not replaced without --force
    assert "exists already" in one_line_error(capsys, ["adapt", f"c={arps}", *args])
    assert out.read_bytes() == b"mine"


def test_a_checkpoint_without_style_conditioning_is_one_line(base, tmp_path, capsys):
    path, _, _ = base
    from stylegen.models import registry

    class Plain(torch.nn.Module):  # a generator that knows no styles
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(2, 2)

    ck = load_checkpoint(path)
    registry._REGISTRY["generator"]["plain-test"] = Plain
    try:
        ck["models"] = {"generator": Plain().state_dict()}
        ck["model_config"] = {"generator": {"name": "plain-test"}}
        plain = save_checkpoint(tmp_path / "plain.pt", {k: v for k, v in ck.items() if k != "format"})
        arps = write_arpeggios(tmp_path / "arps")
        line = one_line_error(capsys, ["adapt", f"c={arps}", "--checkpoint", str(plain), "-o",
                                       str(tmp_path / "o.pt"), "--quiet"])
    finally:
        del registry._REGISTRY["generator"]["plain-test"]
    assert "no style conditioning" in line and str(plain) in line
