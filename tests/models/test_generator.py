import torch

from stylegen.models import registry
from stylegen.models.generator import LSTMGenerator


def small(**kw):
    torch.manual_seed(0)
    return LSTMGenerator(n_pitches=12, n_styles=3, hidden_size=8, num_layers=2, style_dim=4, noise_dim=2,
                         content_dim=8, dropout=0.0, **kw).eval()


def test_registered_by_name():
    assert registry.get("generator", "lstm") is LSTMGenerator


def test_output_shape_matches_input_for_any_length():
    g = small()
    for T in (1, 7, 64):
        x = (torch.rand(2, 2, T, 12) < 0.2).float()
        logits, (h, c) = g(x, torch.tensor([0, 2]))
        assert logits.shape == (2, 2, T, 12)
        assert h.shape == c.shape == (2, 2, 8)


def test_style_conditioning_changes_the_output():
    g = small()
    torch.nn.init.normal_(g.film.weight)  # zero-initialised FiLM: give it weights
    x = (torch.rand(1, 2, 16, 12) < 0.2).float()
    noise = torch.zeros(1, 16, 2)
    a, _ = g(x, torch.tensor([0]), noise)
    b, _ = g(x, torch.tensor([1]), noise)
    assert not torch.allclose(a, b)
    # style reaches every step, not only the first
    assert (a - b).abs().amax(dim=(0, 1, 3)).min() > 0


def test_mixture_weights_equal_one_hot_ids():
    g = small()
    x = (torch.rand(1, 2, 8, 12) < 0.2).float()
    noise = torch.randn(1, 8, 2)
    a, _ = g(x, torch.tensor([2]), noise)
    b, _ = g(x, torch.tensor([[0.0, 0.0, 1.0]]), noise)
    assert torch.allclose(a, b, atol=1e-6)


def test_causal_step_by_step_equals_one_pass():
    g = small()
    x = (torch.rand(1, 2, 10, 12) < 0.3).float()
    noise = torch.randn(1, 10, 2)
    style = torch.tensor([1])
    full, _ = g(x, style, noise)
    state, parts = None, []
    for t in range(10):
        out, state = g(x[:, :, t:t + 1], style, noise[:, t:t + 1], state)
        parts.append(out)
    assert torch.allclose(full, torch.cat(parts, dim=2), atol=1e-5)
    # changing the future does not change the past
    x2 = x.clone()
    x2[:, :, 6:] = 1 - x2[:, :, 6:]
    early, _ = g(x2, style, noise)
    assert torch.allclose(full[:, :, :6], early[:, :, :6], atol=1e-6)


def test_skip_makes_copying_the_starting_point():
    g = small()
    x = (torch.rand(1, 2, 16, 12) < 0.2).float()
    logits, _ = g(x, torch.tensor([0]), torch.zeros(1, 16, 2))
    assert torch.equal((logits > 0).float(), x)
