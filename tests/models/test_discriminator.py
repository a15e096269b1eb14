import pytest
import torch

from stylegen.models.discriminator import CNNDiscriminator


def test_shapes_for_several_lengths():
    torch.manual_seed(0)
    d = CNNDiscriminator(n_pitches=84, n_styles=3, channels=4).eval()
    for T in (16, 64, 96):
        out = d(torch.rand(5, 2, T, 84), torch.tensor([0, 1, 2, 0, 1]))
        assert out["adv"].shape == (5,)
        assert out["style_logits"].shape == (5, 3)
        assert len(out["features"]) == 4


def test_projection_conditions_the_score_on_style():
    torch.manual_seed(0)
    d = CNNDiscriminator(n_pitches=24, n_styles=2, channels=4, input_noise=0.0).eval()
    x = torch.rand(1, 2, 16, 24)
    assert d(x, torch.tensor([0]))["adv"].item() != d(x, torch.tensor([1]))["adv"].item()


def test_auxiliary_head_ignores_style_for_the_score():
    torch.manual_seed(0)
    d = CNNDiscriminator(n_pitches=24, n_styles=2, channels=4, style_head="auxiliary", input_noise=0.0).eval()
    x = torch.rand(1, 2, 16, 24)
    assert d(x, torch.tensor([0]))["adv"].item() == d(x, torch.tensor([1]))["adv"].item()


def test_spectral_norm_bounds_the_first_layer():
    torch.manual_seed(0)
    d = CNNDiscriminator(n_pitches=24, n_styles=2, channels=4).train()
    for _ in range(30):  # power iterations converge during training-mode forwards
        d(torch.rand(2, 2, 16, 24), torch.tensor([0, 1]))
    w = d.convs[0].weight.flatten(1)
    assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_unknown_style_head_is_refused():
    with pytest.raises(ValueError, match="style_head"):
        CNNDiscriminator(style_head="both")
