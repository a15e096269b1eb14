import math

import pytest
import torch

from stylegen.models import registry
from stylegen.models.generator import HOLD, OFF, ONSET, TextureLSTM, roll_to_states, states_to_frame

P, D = 12, 5


def small(**kw):
    torch.manual_seed(0)
    args = dict(n_pitches=P, n_styles=3, content_dim=D, hidden_size=8, num_layers=2, style_dim=4, frame_dim=6,
                mixture=3, dropout=0.0)
    args.update(kw)
    return TextureLSTM(**args).eval()


def lively(g):
    """Give the zero-initialised FiLM and style bias weights, so the style matters."""
    with torch.no_grad():
        for film in g.films:
            torch.nn.init.normal_(film.weight)
        torch.nn.init.normal_(g.style_bias.weight, std=2.0)
    return g


def test_registered_by_name():
    assert registry.get("generator", "texture") is TextureLSTM


def test_states_of_a_roll():
    roll = torch.zeros(1, 2, 4, P)
    roll[0, 1, 0:3, 0] = 1  # a note sounding for 3 steps, struck at step 0 ...
    roll[0, 0, 0:2, 0] = 1  # ... and re-struck at step 1
    roll[0, 1, 0, 1] = 1  # sustain without an onset at step 0: nothing sounded before, so an onset
    y = roll_to_states(roll)[0]
    assert y[:, 0].tolist() == [ONSET, ONSET, HOLD, OFF]
    assert y[:, 1].tolist() == [ONSET, OFF, OFF, OFF]
    frame = states_to_frame(torch.nn.functional.one_hot(y, 3).float())  # (T, 2, P)
    assert frame[:, 0, 0].tolist() == [1, 1, 0, 0] and frame[:, 1, 0].tolist() == [1, 1, 1, 0]


def test_teacher_forced_pass_shapes():
    g = small()
    prev = (torch.rand(2, 2, 7, P) < 0.2).float()
    notes, mix, state = g(prev, torch.randn(2, 7, D), torch.tensor([0, 3]))  # 3 = "no style"
    assert notes.shape == (2, 7, 3, P, 3) and mix.shape == (2, 7, 3)
    assert len(state) == 2 and state[0][0].shape == (1, 2, 8)


def test_log_prob_is_a_normalised_distribution():
    """Summing p(x_t) over every possible frame of a 2-pitch model gives 1."""
    g = small(n_pitches=2)
    c = torch.randn(1, 1, D)
    total = 0.0
    for a in range(3):
        for b in range(3):
            roll = torch.zeros(1, 2, 1, 2)
            for p, s in enumerate((a, b)):
                if s == ONSET:
                    roll[0, :, 0, p] = 1
                elif s == HOLD:  # impossible after silence: p = 0 (counted as an onset by the states)
                    continue
            if HOLD in (a, b):
                continue
            total += math.exp(g.log_prob(roll, c, torch.tensor([1])).item())
    assert total == pytest.approx(1.0, abs=1e-4)


def test_step_by_step_equals_one_pass_and_the_future_does_not_leak():
    g = small()
    prev = (torch.rand(2, 2, 9, P) < 0.3).float()
    c = torch.randn(2, 9, D)
    s = torch.tensor([0, 2])
    full, mix, _ = g(prev, c, s)
    state, outs = None, []
    for t in range(9):
        n, _, state = g(prev[:, :, t:t + 1], c[:, t:t + 1], s, state)
        outs.append(n)
    assert torch.allclose(torch.cat(outs, 1), full, atol=1e-5)
    changed = prev.clone()
    changed[:, :, 5:] = 1 - changed[:, :, 5:]
    again, _, _ = g(changed, c, s)
    assert torch.equal(again[:, :5], full[:, :5])


def test_sample_is_canonical_reproducible_and_styled():
    g = lively(small())
    c = torch.randn(1, 40, D)
    a, _ = g.sample(c, torch.tensor([0]), generator=torch.Generator().manual_seed(1))
    b, _ = g.sample(c, torch.tensor([0]), generator=torch.Generator().manual_seed(1))
    other, _ = g.sample(c, torch.tensor([2]), generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and not torch.equal(a, other)
    on, sus = a[0, 0], a[0, 1]
    assert (on <= sus).all()  # an onset always sounds
    starts = sus * (1 - torch.nn.functional.pad(sus[:-1], (0, 0, 1, 0)))
    assert (starts <= on).all()  # every note begins with an onset: a hold only continues a note


def test_guidance_scales_and_mixture_weights():
    g = lively(small())
    c = torch.randn(2, 12, D)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    base, _ = g.sample(c, torch.tensor([0, 1]), guidance=1.0, generator=gen())
    for scale in (0.0, 2.5):
        out, _ = g.sample(c, torch.tensor([0, 1]), guidance=scale, generator=gen())
        assert out.shape == base.shape
    # one-hot weights are the same as ids
    w = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    same, _ = g.sample(c, w, guidance=1.0, generator=gen())
    assert torch.equal(same, base)
    mixed, _ = g.sample(c, torch.tensor([[0.5, 0.5, 0.0]] * 2), guidance=2.0, generator=gen())
    assert mixed.shape == base.shape


def test_clamp_forces_cells_and_the_model_hears_them():
    g = lively(small())
    c = torch.randn(1, 10, D)
    values = torch.zeros(1, 2, 10, P)
    values[0, :, 2:6, 7] = 1
    values[0, 0, 3:6, 7] = 0  # one note of 4 steps
    mask = torch.zeros(1, 10, P, dtype=torch.bool)
    mask[0, :, 7:] = True  # the note, and silence above it
    out, _ = g.sample(c, torch.tensor([1]), clamp=(values, mask), generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[0, :, :, 7:], values[0, :, :, 7:])


def test_relaxed_sample_passes_gradients():
    g = small()
    g.train()
    out, _ = g.sample(torch.randn(2, 6, D), torch.tensor([0, 1]), relaxed=True)
    assert set(out.unique().tolist()) <= {0.0, 1.0}  # hard notes forward
    out[:, 1].sum().backward()
    assert g.lstms[0].weight_hh_l0.grad is not None and g.lstms[0].weight_hh_l0.grad.abs().sum() > 0
