from pathlib import Path

import pytest
import torch

from stylegen.checkpoint import load_checkpoint
from stylegen.cli import main
from stylegen.data.dataset import prepare
from stylegen.data.windows import collate_windows
from stylegen.errors import StylegenError
from stylegen.training import losses
from stylegen.training.gan import GANTrainer, find_resume, train

ROOT = Path(__file__).resolve().parents[2]


def make_trainer(recipe, run_dir=None):
    return GANTrainer(recipe, prepare(recipe), torch.device("cpu"), run_dir, progress=False)


def test_only_the_window_after_the_context_is_judged(tiny_recipe):
    r = tiny_recipe("data.context_bars=1")
    t = make_trainer(r)
    batch = t.stream.batch(0)
    assert t.ctx == 16 and batch["roll"].shape[2] == 16 + 32  # 1 bar of context + 2-bar window
    seen = {}
    real_d = t.D_ddp.forward

    def spy(roll, style=None):
        seen["T"] = roll.shape[2]
        return real_d(roll, style)

    t.D_ddp.forward = spy
    t.recipe.schedule.pretrain_steps = 0
    t.train_step(batch)
    assert seen["T"] == 32  # D judges the window, not the warm-up


def test_one_step_lowers_the_loss_on_a_fixed_batch(tiny_recipe):
    r = tiny_recipe("schedule.pretrain_steps=0", "optim.lr_g=0.01", "optim.lr_d=0.01")
    t = make_trainer(r)
    batch = t.stream.batch(0)
    x, s = batch["roll"], batch["style"]

    def identity_loss():
        t.G.eval()
        with torch.no_grad():
            logits, _ = t.G(x, s, torch.zeros(x.shape[0], x.shape[2], t.G.noise_dim))
        t.G.train()
        return losses.reconstruction(logits[:, :, t.ctx:], x[:, :, t.ctx:], r.loss.onset_pos_weight).item()

    before = identity_loss()
    for _ in range(3):
        out = t.train_step(batch)
    assert identity_loss() < before
    assert {"loss/d", "loss/g", "loss/identity", "loss/cycle", "loss/g_style", "d/real", "d/fake"} <= set(out)


def test_pretraining_skips_the_discriminator(tiny_recipe):
    t = make_trainer(tiny_recipe("schedule.pretrain_steps=5"))
    d_before = [p.clone() for p in t.D.parameters()]
    out = t.train_step(t.stream.batch(0))
    assert "loss/d" not in out and "loss/identity" in out
    assert all(torch.equal(a, b) for a, b in zip(d_before, t.D.parameters()))


def test_checkpoint_is_self_describing_and_round_trips(tiny_recipe, tmp_path):
    r = tiny_recipe()
    t = make_trainer(r, tmp_path / "run")
    t.train_step(t.stream.batch(0))
    t.step = 1
    path = t.save()
    ckpt = load_checkpoint(path, kind="gan")
    assert ckpt["styles"] == ["a", "b"]
    assert ckpt["spec"] == {"resolution": 4, "lowest_pitch": 36, "n_pitches": 48, "channels": ["onset", "sustain"]}
    assert ckpt["recipe"]["model"]["generator"]["hidden_size"] == 16
    assert ckpt["model_config"]["generator"]["name"] == "lstm"
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


def test_resume_equals_an_uninterrupted_run(tiny_recipe, tmp_path):
    r = tiny_recipe("schedule.steps=6", "schedule.pretrain_steps=2", "checkpoint.every=3", "schedule.eval_every=3")
    full = train(r, run_dir=tmp_path / "full", progress=False)
    part = tmp_path / "part"
    train(r, run_dir=part, progress=False, stop_after=3)  # "killed" after step 3
    assert sorted(p.name for p in (part / "checkpoints").glob("step-*.pt")) == ["step-0000003.pt"]
    resumed = train(r, resume=str(part), progress=False)
    a = load_checkpoint(full)
    b = load_checkpoint(resumed)
    assert a["step"] == b["step"] == 6
    for name in ("generator", "discriminator"):
        for k, v in a["models"][name].items():
            assert torch.equal(v, b["models"][name][k]), f"{name}.{k} differs after resume"


def test_resume_auto_finds_the_newest_run(tiny_recipe, tmp_path):
    r = tiny_recipe("schedule.steps=2", "schedule.pretrain_steps=1", "checkpoint.every=1")
    train(r, progress=False)
    path = find_resume(r, "auto")
    assert path.name == "step-0000002.pt" and path.parent.parent.parent.name == "tiny"


def test_checkpoint_of_another_recipe_is_a_clear_error(tiny_recipe, tmp_path):
    r = tiny_recipe("schedule.steps=1", "schedule.pretrain_steps=1")
    path = train(r, run_dir=tmp_path / "run", progress=False)
    other = tiny_recipe("model.generator.hidden_size=24")
    with pytest.raises(StylegenError, match="written for another recipe: model config differs"):
        make_trainer(other).load_state(load_checkpoint(path), str(path))
    with pytest.raises(StylegenError, match="a gan checkpoint, expected a classifier"):
        load_checkpoint(path, kind="classifier")


def test_non_finite_loss_stops_with_the_last_good_checkpoint(tiny_recipe, tmp_path, monkeypatch):
    r = tiny_recipe("schedule.steps=4", "schedule.pretrain_steps=0", "checkpoint.every=1")
    calls = {"n": 0}
    real_step = GANTrainer.train_step

    def flaky(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            raise FloatingPointError("loss/g")
        return real_step(self, batch)

    monkeypatch.setattr(GANTrainer, "train_step", flaky)
    with pytest.raises(StylegenError, match=r"non-finite loss/g at step 3.*step-0000002\.pt"):
        train(r, run_dir=tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "checkpoints" / "step-0000002.pt").is_file()


def test_nan_in_a_loss_is_detected(tiny_recipe):
    t = make_trainer(tiny_recipe("schedule.pretrain_steps=0"))
    batch = t.stream.batch(0)
    batch["roll"][-1, 0, -1, 0] = float("nan")  # in the judged part of a transferred window
    with pytest.raises(FloatingPointError):
        t.train_step(batch)


def test_cli_smoke_trains_end_to_end(tiny_root, tmp_path, capsys):
    from tests.training.conftest import SMALL_MODEL

    rc = main(["train", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}",
               f"data.cache_dir={tmp_path / 'cache'}", "schedule.steps=4", "schedule.pretrain_steps=1",
               "schedule.eval_every=2", "checkpoint.every=2", *SMALL_MODEL,
               "--run-dir", str(tmp_path / "run"), "--quiet"])
    assert rc == 0
    assert "last checkpoint" in capsys.readouterr().out
    assert (tmp_path / "run" / "checkpoints" / "step-0000004.pt").is_file()
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()
    assert list((tmp_path / "run").glob("events.out.tfevents.*"))


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

    r = tiny_recipe("schedule.steps=1", "schedule.pretrain_steps=1")
    path = train(r, run_dir=tmp_path / "run", progress=False)
    exported = export_inference(path, tmp_path / "release.pt")
    with pytest.raises(StylegenError, match="inference-only checkpoint"):
        make_trainer(r).load_state(load_checkpoint(exported), str(exported))
