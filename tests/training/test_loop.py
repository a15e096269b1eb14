import os
import signal
import threading
from pathlib import Path

import pytest
import torch

from stylegen.checkpoint import load_checkpoint
from stylegen.cli import main
from stylegen.data.content import content_features, top_voice
from stylegen.data.dataset import prepare
from stylegen.errors import StylegenError
from stylegen.training.loop import Trainer, find_resume, train

ROOT = Path(__file__).resolve().parents[2]


def make_trainer(recipe, run_dir=None):
    return Trainer(recipe, prepare(recipe), torch.device("cpu"), run_dir, progress=False)


def val_nll(t, batch):
    t.G.eval()
    with torch.no_grad():
        c = content_features(batch["roll"], batch["pos"], t.spec, t.cspec)
        plan = t.G.encode_plan(batch["roll"], batch["pos"])
        out = -t.G.log_prob(batch["roll"], c, batch["style"], plan)[:, t.ctx:].mean().item()
    t.G.train()
    return out


def test_items_carry_context_and_bar_positions(tiny_recipe):
    t = make_trainer(tiny_recipe("data.context_bars=1"))
    batch = t.stream.batch(0)
    assert t.ctx == 16 and batch["roll"].shape[2] == 16 + 32  # 1 bar of context + 2-bar window
    assert batch["pos"].shape == (4, 48)
    assert batch["pos"][:, 0].eq(0).all() and batch["pos"][:, 16].eq(0).all()  # windows start on bar lines


def test_likelihood_steps_lower_the_nll_of_a_fixed_batch(tiny_recipe):
    t = make_trainer(tiny_recipe("schedule.adversarial_start=100", "optim.lr_g=0.01",
                                 "loss.style_dropout=0", "loss.harmony_dropout=0"))
    batch = t.stream.batch(0)
    before = val_nll(t, batch)
    for _ in range(5):
        out = t.train_step(batch)
    assert val_nll(t, batch) < 0.8 * before
    assert "loss/nll" in out and "loss/d" not in out  # no discriminator before adversarial_start


def test_likelihood_stage_leaves_the_discriminator_alone(tiny_recipe):
    t = make_trainer(tiny_recipe("schedule.adversarial_start=5"))
    d_before = [p.clone() for p in t.D.parameters()]
    t.train_step(t.stream.batch(0))
    assert all(torch.equal(a, b) for a, b in zip(d_before, t.D.parameters()))


def test_adversarial_step_updates_d_and_reaches_g_through_the_rollout(tiny_recipe):
    t = make_trainer(tiny_recipe("schedule.adversarial_start=0", "loss.likelihood_weight=0",
                                 "loss.content_weight=0"))
    d_before = [p.clone() for p in t.D.parameters()]
    g_before = {k: v.clone() for k, v in t.G.state_dict().items()}
    out = t.train_step(t.stream.batch(0))
    assert {"loss/d", "loss/g_adv", "loss/g_style", "loss/g_content", "d/real", "d/fake"} <= set(out)
    assert any(not torch.equal(a, b) for a, b in zip(d_before, t.D.parameters()))
    # with the likelihood switched off, only the roll-out's gradient can move the LSTM
    assert not torch.equal(g_before["lstms.0.weight_hh_l0"], t.G.state_dict()["lstms.0.weight_hh_l0"])


def test_rollouts_keep_the_melody_and_change_the_style(tiny_recipe):
    t = make_trainer(tiny_recipe("schedule.adversarial_start=0"))
    batch = t.stream.batch(0)
    x, p, tgt, fake = t.adversarial.rollout(t.G, batch["roll"], batch["pos"], batch["style"])
    assert fake.shape == (4, 2, 8, 48) and (tgt != batch["style"]).all()

    mel = top_voice(x)
    assert torch.equal(fake[:, 1][mel], x[:, 1][mel])  # the melody's cells are the input's


def test_checkpoint_is_self_describing_and_round_trips(tiny_recipe, tmp_path):
    r = tiny_recipe()
    t = make_trainer(r, tmp_path / "run")
    t.train_step(t.stream.batch(0))
    t.step = 1
    path = t.save()
    ckpt = load_checkpoint(path, kind="gan")
    assert ckpt["styles"] == ["a", "b"]
    assert ckpt["spec"] == {"resolution": 4, "lowest_pitch": 36, "n_pitches": 48, "channels": ["onset", "sustain"]}
    assert ckpt["content"] == {"block": 8, "bar_steps": 16, "chroma": True, "bass": True, "binary": False}
    assert ckpt["model_config"]["generator"]["name"] == "planned"
    assert ckpt["models"]["generator"]["codebook"].abs().sum() > 0  # fitted on the real bars before step 0
    assert ckpt["model_config"]["generator"]["content_dim"] == 41
    assert ckpt["model_config"]["discriminator"]["n_channels"] == 3
    assert ckpt["step"] == 1 and "rng" in ckpt and "optimizers" in ckpt
    t2 = make_trainer(r)
    t2.load_state(ckpt)
    for a, b in zip(t.G.state_dict().values(), t2.G.state_dict().values()):
        assert torch.equal(a, b)
    assert not list(path.parent.glob(".*.tmp"))  # the temp file was renamed away


def test_keep_last_n(tiny_recipe, tmp_path):
    t = make_trainer(tiny_recipe("checkpoint.keep_last_n=2"), tmp_path / "run")
    for step in (1, 2, 3):
        t.step = step
        t.save()
    names = sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("step-*.pt"))
    assert names == ["step-0000002.pt", "step-0000003.pt"]


def _same_state(a, b, where: str) -> None:
    """Nested dicts/lists of tensors and numbers, equal item for item."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _same_state(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same_state(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f"{where} differs after resume"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def test_resume_inside_the_adversarial_stage_equals_an_uninterrupted_run(tiny_recipe, tmp_path):
    # the checkpoint (step 3) falls inside the adversarial stage (from step 2 on): a resume
    # that forgot the discriminator or either optimiser would go on differently
    r = tiny_recipe("schedule.steps=6", "schedule.adversarial_start=2", "checkpoint.every=3", "schedule.eval_every=3")
    full = train(r, run_dir=tmp_path / "full", progress=False)
    part = tmp_path / "part"
    train(r, run_dir=part, progress=False, stop_after=3)  # "killed" after step 3
    assert sorted(p.name for p in (part / "checkpoints").glob("step-*.pt")) == ["step-0000003.pt"]
    mid = load_checkpoint(part / "checkpoints" / "step-0000003.pt")
    fresh = make_trainer(r)  # what a resume that forgot D and its optimiser would start from
    assert mid["step"] > r.schedule.adversarial_start
    assert mid["optimizers"]["discriminator"]["state"], "no discriminator step before the checkpoint"
    assert any(not torch.equal(v, mid["models"]["discriminator"][k]) for k, v in fresh.D.state_dict().items())
    resumed = train(r, resume=str(part), progress=False)
    a = load_checkpoint(full)
    b = load_checkpoint(resumed)
    assert a["step"] == b["step"] == 6
    for name in ("generator", "discriminator"):
        _same_state(a["models"][name], b["models"][name], f"models.{name}")
        _same_state(a["optimizers"][name], b["optimizers"][name], f"optimizers.{name}")


def test_resume_auto_finds_the_newest_run(tiny_recipe, tmp_path):
    r = tiny_recipe("schedule.steps=2", "checkpoint.every=1")
    train(r, progress=False)
    path = find_resume(r, "auto")
    assert path.name == "step-0000002.pt" and path.parent.parent.parent.name == "tiny"


def test_checkpoint_of_another_recipe_is_a_clear_error(tiny_recipe, tmp_path):
    r = tiny_recipe("schedule.steps=1")
    path = train(r, run_dir=tmp_path / "run", progress=False)
    other = tiny_recipe("model.generator.hidden_size=24")
    with pytest.raises(StylegenError, match="written for another recipe: model config differs"):
        make_trainer(other).load_state(load_checkpoint(path), str(path))
    coarse = tiny_recipe("content.block=16")
    with pytest.raises(StylegenError, match="content spec"):
        make_trainer(coarse).load_state(load_checkpoint(path), str(path))
    with pytest.raises(StylegenError, match="a gan checkpoint, expected a classifier"):
        load_checkpoint(path, kind="classifier")


def test_non_finite_loss_stops_with_the_last_good_checkpoint(tiny_recipe, tmp_path, monkeypatch):
    r = tiny_recipe("schedule.steps=4", "checkpoint.every=1")
    calls = {"n": 0}
    real_step = Trainer.train_step

    def flaky(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise FloatingPointError("loss/g")
        return real_step(self, batch)

    monkeypatch.setattr(Trainer, "train_step", flaky)
    with pytest.raises(StylegenError, match=r"non-finite loss/g at step 3.*step-0000002\.pt"):
        train(r, run_dir=tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "checkpoints" / "step-0000002.pt").is_file()


def test_nan_in_a_loss_is_detected(tiny_recipe):
    t = make_trainer(tiny_recipe())
    batch = t.stream.batch(0)
    batch["roll"][-1, 1, -1, 0] = float("nan")
    with pytest.raises(FloatingPointError):
        t.train_step(batch)


def test_sigint_writes_a_checkpoint_and_says_how_to_resume(tiny_recipe, tmp_path, capsys):
    r = tiny_recipe("schedule.steps=50", "checkpoint.every=1000", "schedule.eval_every=1000")
    t = make_trainer(r, tmp_path / "run")
    real_step = t.train_step

    def step_then_interrupt(batch):
        out = real_step(batch)
        if t.step == 2:  # the third step: Ctrl-C arrives in the middle of it
            os.kill(os.getpid(), signal.SIGINT)
        return out

    t.train_step = step_then_interrupt
    assert threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT)
    path = t.fit()
    assert path is not None and path.name == "step-0000003.pt" and path.is_file()
    assert load_checkpoint(path)["step"] == 3
    err = capsys.readouterr().err
    assert "SIGINT: stopped at step 3" in err and f"--resume {tmp_path / 'run'}" in err
    assert signal.getsignal(signal.SIGINT) == before  # the handler is put back


def test_cli_smoke_trains_end_to_end(tiny_root, tmp_path, capsys):
    from tests.training.conftest import SMALL_MODEL

    rc = main(["train", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}",
               f"data.cache_dir={tmp_path / 'cache'}", "schedule.steps=4", "schedule.adversarial_start=3",
               "schedule.eval_every=2", "checkpoint.every=2", *SMALL_MODEL,
               "--run-dir", str(tmp_path / "run"), "--quiet"])
    assert rc == 0
    assert "last checkpoint" in capsys.readouterr().out
    assert (tmp_path / "run" / "checkpoints" / "step-0000004.pt").is_file()
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()
    assert list((tmp_path / "run").glob("events.out.tfevents.*"))


def test_train_export_and_transfer_through_the_cli(tiny_root, tmp_path, capsys):
    """The whole chain on the tests' own data: a few likelihood and adversarial steps of the
    planned generator, exported, then a song transferred with it through the CLI."""
    from stylegen.transfer import read_midi
    from tests.midifiles import Track, scale_piece, write_midi
    from tests.training.conftest import SMALL_MODEL

    run = tmp_path / "run"
    assert main(["train", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}",
                 f"data.cache_dir={tmp_path / 'cache'}", "schedule.steps=3", "schedule.adversarial_start=2",
                 "schedule.eval_every=3", "checkpoint.every=3", *SMALL_MODEL, "--run-dir", str(run), "--quiet"]) == 0
    release = tmp_path / "release.pt"
    assert main(["export", str(run / "checkpoints" / "step-0000003.pt"), "-o", str(release)]) == 0
    assert load_checkpoint(release)["model_config"]["generator"]["name"] == "planned"
    song = write_midi(tmp_path / "song.mid", [Track(scale_piece(4, 72), name="Melody"),
                                              Track([(float(b), 1.0, 48 + b % 5, 70) for b in range(16)], name="Piano")])
    out = tmp_path / "song.b.mid"
    capsys.readouterr()
    assert main(["transfer", str(song), "--style", "b", "--checkpoint", str(release), "-o", str(out)]) == 0
    assert "song.b.mid" in capsys.readouterr().out
    src, got = read_midi(song), read_midi(out)
    melody = src.notes[src.notes[:, 4] == 0]
    kept = got.notes[got.notes[:, 4] == next(i for i, t in enumerate(got.tracks) if t.is_melody)]
    assert sorted(map(tuple, melody[:, :3].tolist())) == sorted(map(tuple, kept[:, :3].tolist()))
    assert got.length == src.length


def test_resuming_a_finished_run_says_it_is_complete_and_how_to_extend_it(tiny_root, tmp_path, capsys):
    from tests.training.conftest import SMALL_MODEL

    argv = ["train", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}",
            f"data.cache_dir={tmp_path / 'cache'}", "schedule.steps=2", "checkpoint.every=1", *SMALL_MODEL]
    run = tmp_path / "run"
    assert main([*argv, "--run-dir", str(run), "--quiet"]) == 0
    capsys.readouterr()
    before = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert main([*argv, "--resume", str(run)]) == 0
    out, err = capsys.readouterr()
    assert "already complete" in out and "step 2 of schedule.steps=2" in out
    assert f"--resume {run} schedule.steps=4" in out
    assert len(out.splitlines()) == 1 and "train:" not in err  # no "resuming ..." line, no empty progress bar
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == before
    # the suggested extension trains on from step 2
    assert main([*argv, "--resume", str(run), "schedule.steps=3", "--quiet"]) == 0
    assert load_checkpoint(run / "checkpoints" / "step-0000003.pt")["step"] == 3


def test_cli_bad_override_is_one_line(tiny_root, tmp_path, capsys):
    rc = main(["train", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}",
               "model.generator.hidden_size=big"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1
    assert err[0].endswith("model.generator.hidden_size: expected int, got 'big'")


def test_tensorboard_images_side_by_side():
    from stylegen.training.logging import roll_image, side_by_side

    roll = torch.zeros(2, 4, 3)
    roll[0, 1, 2] = roll[1, 1:3, 2] = 1
    img = roll_image(roll)
    assert img.shape == (3, 3, 4)
    assert img[0, 0, 1] == 1.0 and img[0, 0, 2] == pytest.approx(0.55)  # highest pitch on the top row
    assert side_by_side([img, img]).shape == (3, 3, 10)


def test_resuming_from_an_exported_checkpoint_is_a_clear_error(tiny_recipe, tmp_path):
    from stylegen.checkpoint import export_inference

    r = tiny_recipe("schedule.steps=1")
    path = train(r, run_dir=tmp_path / "run", progress=False)
    exported = export_inference(path, tmp_path / "release.pt")
    assert load_checkpoint(exported)["content"] == load_checkpoint(path)["content"]
    with pytest.raises(StylegenError, match="inference-only checkpoint"):
        make_trainer(r).load_state(load_checkpoint(exported), str(exported))


def test_a_window_at_the_start_of_its_piece_is_scored_from_its_first_step():
    from stylegen.training.likelihood import scored_steps

    mask = scored_steps(torch.tensor([0, 16]), 6, 3)
    assert mask.tolist() == [[1, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]]
