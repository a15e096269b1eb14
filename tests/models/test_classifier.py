import pytest
import torch

from stylegen.models import registry
from stylegen.models.classifier import MIN_STEPS, CNNClassifier


@pytest.mark.parametrize("T", [MIN_STEPS, 9, 64, 100])
@pytest.mark.parametrize("P", [48, 84])
def test_any_window_length_gives_one_logit_per_style(T, P):
    m = CNNClassifier(n_pitches=P, n_styles=3, channels=4).eval()
    assert m(torch.zeros(2, 2, T, P)).shape == (2, 3)


def test_registered_and_small():
    m = registry.build("classifier", "cnn", n_pitches=84, n_styles=3)
    assert isinstance(m, CNNClassifier)
    assert sum(p.numel() for p in m.parameters()) < 100_000  # a few hundred KB on disk


def test_input_noise_only_in_training():
    torch.manual_seed(0)
    m = CNNClassifier(n_pitches=48, n_styles=2, channels=4, dropout=0.0, input_noise=0.5)
    x = (torch.rand(3, 2, 32, 48) > 0.9).float()
    m.eval()
    assert torch.equal(m(x), m(x))
    m.train()
    assert not torch.allclose(m(x), m(x))
    m.input_noise = 0.0
    m.eval()
    with torch.no_grad():
        a = m(x)
    assert torch.equal(a, m(x))


def test_bad_shapes_and_arguments():
    m = CNNClassifier(n_pitches=48, n_styles=2, channels=4)
    with pytest.raises(ValueError, match="at least 8 steps"):
        m(torch.zeros(1, 2, MIN_STEPS - 1, 48))
    with pytest.raises(ValueError, match="expected rolls"):
        m(torch.zeros(1, 2, 32, 84))
    with pytest.raises(ValueError):
        CNNClassifier(n_styles=1)
    with pytest.raises(ValueError):
        CNNClassifier(n_pitches=20, pitch_bins=7)
