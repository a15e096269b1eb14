"""stylegen/checkpoint.py: self-describing checkpoints, atomic writes, one clear error for
anything that is not ours, and rebuilding a model through the registry."""

from __future__ import annotations

import pytest
import torch

from stylegen import __version__
from stylegen.checkpoint import CHECKPOINT_FORMAT, build_model, export_inference, load_checkpoint, save_checkpoint
from stylegen.errors import StylegenError
from stylegen.models import registry

CFG = {"name": "cnn", "n_pitches": 24, "n_styles": 2, "channels": 4, "pitch_bins": 3}


def payload(model: torch.nn.Module, kind: str = "classifier", **extra) -> dict:
    return {"kind": kind, "recipe": {"name": "t"}, "spec": {"resolution": 4}, "styles": ["a", "b"],
            "models": {"classifier": model.state_dict()}, "model_config": {"classifier": dict(CFG)}, **extra}


def model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return registry.build_from_config(CFG, "classifier")


def test_save_load_round_trip_adds_format_and_version(tmp_path):
    m = model()
    path = save_checkpoint(tmp_path / "deep" / "c.pt", payload(m, step=7))
    assert path == tmp_path / "deep" / "c.pt"
    assert [p.name for p in path.parent.iterdir()] == ["c.pt"]  # written atomically, no temp left
    ck = load_checkpoint(path, kind="classifier")
    assert (ck["format"], ck["version"], ck["step"], ck["styles"]) == (CHECKPOINT_FORMAT, __version__, 7, ["a", "b"])
    back = build_model(ck, "classifier")
    assert type(back) is type(m)
    for (k, v), (k2, v2) in zip(m.state_dict().items(), back.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)


def test_build_from_config_does_not_change_the_config():
    cfg = dict(CFG)
    registry.build_from_config(cfg, "classifier")
    assert cfg == CFG
    with pytest.raises(KeyError, match="unknown classifier 'nope'"):
        registry.build_from_config({**CFG, "name": "nope"}, "classifier")
    with pytest.raises(KeyError, match="no 'name'"):
        registry.build_from_config({"n_styles": 2}, "classifier")


@pytest.mark.parametrize("content, message", [
    (None, "no such checkpoint"),
    (b"not a torch file", "not a readable checkpoint"),
    ({"weights": 1}, "not a stylegen checkpoint"),
    ({"format": CHECKPOINT_FORMAT + 1, "kind": "classifier", "version": "9.9"}, "checkpoint format 2 \\(written by stylegen 9.9\\)"),
    ({"format": CHECKPOINT_FORMAT, "kind": "gan"}, "a gan checkpoint, expected a classifier checkpoint"),
    ({"format": CHECKPOINT_FORMAT, "kind": "classifier", "spec": {}, "styles": []}, "lacks 'models'"),
])
def test_anything_not_ours_is_one_clear_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "x.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        torch.save(content, path)
    with pytest.raises(StylegenError, match=message) as e:
        load_checkpoint(path, kind="classifier")
    assert str(path) in str(e.value)


def test_weights_that_do_not_match_the_config_are_one_clear_error(tmp_path):
    ck = load_checkpoint(save_checkpoint(tmp_path / "c.pt", payload(model())))
    ck["model_config"]["classifier"]["channels"] = 8
    with pytest.raises(StylegenError, match="checkpoint's classifier does not match its own config"):
        build_model(ck, "classifier")


def test_a_failed_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "c.pt", payload(model(0), step=1))

    def broken(obj, f, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, payload(model(1), step=2))
    monkeypatch.undo()
    assert load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_export_keeps_the_generator_and_discriminator_only_and_can_halve_them(tmp_path):
    g = model(3)  # any registered module stands in for the generator here
    src = save_checkpoint(tmp_path / "train.pt", {
        "kind": "gan", "recipe": {"name": "t"}, "spec": {"resolution": 4}, "styles": ["a", "b"], "step": 50,
        "models": {"generator": g.state_dict(), "discriminator": {"w": torch.zeros(3)}},
        "model_config": {"generator": dict(CFG), "discriminator": {"name": "x"}},
        "optimizers": {"G": {}}, "rng": {}, "metrics": {"val/x": 0.5}, "best_metric": 0.5})
    for half in (False, True):
        out = load_checkpoint(export_inference(src, tmp_path / f"rel{half}.pt", half=half), kind="gan")
        assert out["inference_only"] is True and set(out["models"]) == {"generator", "discriminator"}
        assert "optimizers" not in out and "rng" not in out and out["model_config"]["discriminator"] == {"name": "x"}
        assert out["models"]["discriminator"]["w"].dtype == (torch.float16 if half else torch.float32)
        assert (out["step"], out["metrics"], out["best_metric"]) == (50, {"val/x": 0.5}, 0.5)
        assert out["weights_dtype"] == ("float16" if half else "float32")
        w = out["models"]["generator"]
        for k, v in g.state_dict().items():
            if v.is_floating_point():
                assert w[k].dtype == (torch.float16 if half else torch.float32)
                assert torch.allclose(w[k].float(), v, atol=1e-2 if half else 0)


def test_export_of_a_checkpoint_without_a_generator_is_an_error(tmp_path):
    src = save_checkpoint(tmp_path / "c.pt", payload(model(), kind="gan"))
    with pytest.raises(StylegenError, match="holds no generator"):
        export_inference(src, tmp_path / "out.pt")
