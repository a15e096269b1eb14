import pytest
import torch

from stylegen.training import losses


def test_hinge_values():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.5])
    assert losses.d_loss(real, fake, "hinge").item() == pytest.approx(0.5 + 0.75)
    assert losses.g_loss(fake, "hinge").item() == pytest.approx(0.75)


def test_lsgan_and_nonsaturating_values():
    real, fake = torch.tensor([1.0]), torch.tensor([0.0])
    assert losses.d_loss(real, fake, "lsgan").item() == 0.0
    assert losses.g_loss(fake, "lsgan").item() == 1.0
    assert losses.g_loss(fake, "nonsaturating").item() == pytest.approx(0.6931, abs=1e-4)


def test_unknown_loss():
    with pytest.raises(ValueError, match="unknown adversarial"):
        losses.d_loss(torch.zeros(1), torch.zeros(1), "wgan")


def test_straight_through_is_binary_forward_with_sigmoid_gradient():
    logits = torch.tensor([-1.0, 0.5, 3.0], requires_grad=True)
    y = losses.straight_through(logits)
    assert y.tolist() == [0.0, 1.0, 1.0]
    y.sum().backward()
    p = torch.sigmoid(logits.detach())
    assert torch.allclose(logits.grad, p * (1 - p))


def test_reconstruction_weights_positives():
    logits = torch.zeros(1, 1, 1, 2)
    target = torch.tensor([[[[1.0, 0.0]]]])
    plain = losses.reconstruction(logits, target, 1.0).item()
    weighted = losses.reconstruction(logits, target, 3.0).item()
    assert plain == pytest.approx(0.6931, abs=1e-4)
    assert weighted == pytest.approx((3 * 0.6931 + 0.6931) / 2, abs=1e-4)
