import numpy as np
import pytest
import torch

from stylegen.checkpoint import load_checkpoint, save_checkpoint
from stylegen.data.dataset import prepare
from stylegen.metrics.style_classifier import load_classifier
from stylegen.training.classifier_training import ClassifierTrainer, evaluate_windows, train_classifier

SMALL = ["model.classifier.channels=4", "model.classifier.dropout=0.0", "classifier_training.batch_size=8",
         "classifier_training.lr=0.01", "classifier_training.eval_every=2", "classifier_training.steps=20"]



@pytest.fixture
def setup(tiny_recipe):
    recipe = tiny_recipe(*SMALL)
    return recipe, prepare(recipe)


def test_loss_goes_down_on_a_fixed_batch(setup):
    recipe, corpus = setup
    torch.manual_seed(0)
    trainer = ClassifierTrainer(recipe, corpus)
    batch = trainer.sample_batch()
    assert batch["roll"].shape == (8, 2, 32, 48)
    trainer.model.eval()
    with torch.no_grad():
        before = trainer.loss(batch).item()
    for _ in range(15):
        trainer.train_step(batch)
    trainer.model.eval()
    with torch.no_grad():
        after = trainer.loss(batch).item()
    assert after < before * 0.7


def test_balanced_batches_and_determinism(setup):
    recipe, corpus = setup
    a = ClassifierTrainer(recipe, corpus).sample_batch()
    b = ClassifierTrainer(recipe, corpus).sample_batch()
    assert torch.equal(a["roll"], b["roll"]) and torch.equal(a["style"], b["style"])
    styles = torch.cat([ClassifierTrainer(recipe, corpus).sample_batch()["style"] for _ in range(1)])
    assert set(styles.tolist()) <= {0, 1}


def test_checkpoint_reloads_with_the_same_outputs(setup, tmp_path):
    recipe, corpus = setup
    trainer = ClassifierTrainer(recipe, corpus)
    for _ in range(3):
        trainer.train_step(trainer.sample_batch())
    report = trainer.evaluate()
    path = save_checkpoint(tmp_path / "clf.pt", trainer.checkpoint(report))
    clf = load_classifier(path)
    x = trainer.sample_batch()["roll"]
    trainer.model.eval()
    with torch.no_grad():
        expected = torch.softmax(trainer.model(x), 1)
    assert torch.allclose(clf.probs(x), expected, atol=1e-6)
    assert clf.styles == ["a", "b"] and clf.window == 32 and clf.hop_bars == 1
    ck = load_checkpoint(path, kind="classifier")
    assert ck["step"] == 3 and ck["metrics"]["pieces"] == report.pieces


def test_evaluation_counts_windows_and_pieces_per_style(setup):
    recipe, corpus = setup
    trainer = ClassifierTrainer(recipe, corpus)
    r = evaluate_windows(trainer.model, trainer.val_ds, trainer.styles, torch.device("cpu"), noise_sigma=0.1)
    assert r.pieces == {"a": 1, "b": 1}  # val_fraction 0.25 of 4 pieces per style
    assert sum(r.windows.values()) == len(trainer.val_ds)
    assert sum(map(sum, r.piece_confusion)) == 2
    for s in ("a", "b"):
        assert r.window_acc[s] in {i / r.windows[s] for i in range(r.windows[s] + 1)}
        assert r.piece_acc[s] in (0.0, 1.0)
    assert set(r.window_acc_noisy) == {"a", "b"}
    assert "mean (per style)" in r.table()


def test_train_classifier_end_to_end(setup, tmp_path):
    recipe, corpus = setup
    report = train_classifier(recipe, tmp_path / "c.pt", steps=4, corpus=corpus, progress=False,
                              log_dir=tmp_path / "tb")
    assert set(report.window_acc) == {"a", "b"}
    assert np.isfinite(report.loss)
    ck = load_checkpoint(tmp_path / "c.pt", kind="classifier")
    assert ck["training"]["steps"] == 4 and ck["step"] == 4
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))


def test_stylegen_classifier_command(tiny_root, tmp_path, capsys):
    from stylegen.cli import main
    from tests.training.conftest import ROOT

    out = tmp_path / "judge.pt"
    rc = main(["classifier", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}",
               f"data.cache_dir={tmp_path / 'cache'}", *SMALL, "-o", str(out), "--steps", "2", "--quiet"])
    assert rc == 0 and out.is_file()
    printed = capsys.readouterr().out
    assert "mean (per style)" in printed and "piece confusion" in printed
    assert load_classifier(out).styles == ["a", "b"]
    rc = main(["classifier", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}", "--steps", "0",
               "--quiet"])
    assert rc == 2


def test_the_validation_pass_has_its_own_progress_bar(tiny_root, tmp_path, capsys):
    from stylegen.cli import main
    from tests.training.conftest import ROOT

    rc = main(["classifier", str(ROOT / "tests" / "recipes" / "tiny.yaml"), f"data_root={tiny_root}",
               f"data.cache_dir={tmp_path / 'cache'}", *SMALL, "-o", str(tmp_path / "judge.pt"), "--steps", "2"])
    assert rc == 0
    assert "validating" in capsys.readouterr().err  # not the step bar sitting at 100% while it validates
