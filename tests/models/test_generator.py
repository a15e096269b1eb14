import itertools
from collections import Counter

import pytest
import torch

from stylegen.models import registry
from stylegen.models.generator import (HOLD, OFF, ONSET, PlannedTexture, gather_steps, lookback_index,
                                       roll_to_states, states_to_frame)

P, BAR = 12, 4  # a 12-note keyboard, 4 steps a bar
D = 4 + 1 + BAR  # content: 4 harmony features, the "dropped" flag, the position one-hot


def small(**kw):
    torch.manual_seed(0)
    args = dict(n_pitches=P, n_styles=3, content_dim=D, bar_steps=BAR, lowest_pitch=60, hidden_size=8, num_layers=2,
                style_dim=4, frame_dim=6, codes=5, code_dim=3, prior_size=6, channels=2, reach=3, max_notes=4,
                dropout=0.0)
    args.update(kw)
    return PlannedTexture(**args).eval()


def lively(g, std=1.0):
    """Give every weight a push: a fresh model starts with the style, FiLM and interval
    kernels switched off, which would make most tests pass for the wrong reason."""
    with torch.no_grad():
        for p in g.parameters():
            p.add_(torch.randn_like(p) * std)
    return g


def content(B, T, harmony=None):
    c = torch.zeros(B, T, D)
    c[:, torch.arange(T), 5 + torch.arange(T) % BAR] = 1
    if harmony is not None:
        c[..., :4] = harmony
    return c


def n_bars(T):
    return (T + BAR - 1) // BAR


def test_registered_by_name():
    assert registry.get("generator", "planned") is PlannedTexture


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


def test_lookback_is_the_same_position_one_bar_earlier():
    pos = torch.tensor([[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 3]])  # 4/4, 4/4, a 3-step bar, 4/4
    assert lookback_index(pos)[0].tolist() == [-1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 8, 9, 10, -1]
    roll = torch.arange(15.0).view(1, 1, 15, 1).expand(1, 2, 15, 1)
    got = gather_steps(roll, lookback_index(pos))
    assert got[0, 0, :, 0].tolist() == [0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 0]


def all_rolls(T, n):
    """Every canonical roll of T steps on n pitches: (N, 2, T, n)."""
    out = []
    for states in itertools.product((OFF, ONSET, HOLD), repeat=T * n):
        s = torch.tensor(states).view(T, n)
        if any(s[t, p] == HOLD and (t == 0 or s[t - 1, p] == OFF) for t in range(T) for p in range(n)):
            continue
        out.append(torch.stack([(s == ONSET).float(), (s != OFF).float()]))
    return torch.stack(out)


def test_log_prob_is_exact_and_sampling_draws_from_it():
    """Over every roll of 2 steps on 3 pitches the probabilities sum to 1, and the sampler's
    frequencies match them: the serial decoder is one exact distribution."""
    g = lively(small(n_pitches=3, reach=2), 0.5)
    rolls = all_rolls(2, 3)  # 125 rolls
    N = len(rolls)
    c = content(N, 2)
    plan, style = torch.zeros(N, 1, dtype=torch.long), torch.zeros(N, dtype=torch.long)
    p = g.log_prob(rolls, c, style, plan).sum(1).exp()
    assert N == 125 and p.sum().item() == pytest.approx(1.0, abs=1e-5)
    n = 3000
    y, _ = g.sample(content(n, 2), torch.zeros(n, dtype=torch.long), plan=torch.zeros(n, 1, dtype=torch.long),
                    generator=torch.Generator().manual_seed(1))
    seen = Counter(tuple(r.flatten().tolist()) for r in y)
    index = {tuple(r.flatten().tolist()): i for i, r in enumerate(rolls)}
    assert set(seen) <= set(index)
    assert max(abs(seen[k] / n - p[i].item()) for k, i in index.items()) < 0.03


def test_the_plan_prior_is_a_distribution_per_bar():
    g = lively(small())
    codes = torch.arange(5)[:, None].repeat(1, 1)  # every code for a one-bar piece
    lp = g.plan_log_prob(codes, content(5, BAR), torch.zeros(5, dtype=torch.long))
    assert lp.shape == (5, 1) and lp.exp().sum().item() == pytest.approx(1.0, abs=1e-5)
    plan = g.sample_plan(content(2, 10), torch.tensor([0, 1]), generator=torch.Generator().manual_seed(0))
    assert plan.shape == (2, n_bars(10)) and plan.max() < 5


def test_step_by_step_equals_one_pass_and_the_future_does_not_leak():
    g = lively(small())
    roll = (torch.rand(2, 2, 9, P) < 0.3).float()
    prev = torch.cat([torch.zeros_like(roll[:, :, :1]), roll[:, :, :-1]], 2)
    c, s = content(2, 9), torch.tensor([0, 2])
    plan = torch.randint(0, 5, (2, 9))
    lb = gather_steps(roll, lookback_index(torch.arange(9).remainder(BAR).expand(2, 9)))
    full, _, _ = g(prev, c, s, plan, lb)
    state, outs = None, []
    for t in range(9):
        o, _, state = g(prev[:, :, t:t + 1], c[:, t:t + 1], s, plan[:, t:t + 1], lb[:, :, t:t + 1], state)
        outs.append(o)
    assert torch.allclose(torch.cat(outs, 1), full, atol=1e-5)
    changed = roll.clone()
    changed[:, :, 5:] = 1 - changed[:, :, 5:]
    a = g.log_prob(roll, c, s, plan[:, ::BAR])
    b = g.log_prob(changed, c, s, plan[:, ::BAR])
    assert torch.equal(a[:, :5], b[:, :5])  # step t's likelihood never depends on steps after t


def test_sample_is_canonical_reproducible_and_styled():
    g = lively(small())
    c = content(1, 40)
    gen = lambda: torch.Generator().manual_seed(1)  # noqa: E731
    a, _ = g.sample(c, torch.tensor([0]), generator=gen())
    b, _ = g.sample(c, torch.tensor([0]), generator=gen())
    other, _ = g.sample(c, torch.tensor([2]), generator=gen())
    assert torch.equal(a, b) and not torch.equal(a, other)
    on, sus = a[0, 0], a[0, 1]
    assert set(on.unique().tolist()) <= {0.0, 1.0} and set(sus.unique().tolist()) <= {0.0, 1.0}  # one onset a pitch
    assert (on <= sus).all()  # an onset always sounds
    starts = sus * (1 - torch.nn.functional.pad(sus[:-1], (0, 0, 1, 0)))
    assert (starts <= on).all()  # a hold only continues a sounding note


def test_a_step_never_starts_more_than_max_notes():
    g = small(max_notes=2)
    with torch.no_grad():
        g.head.bias[P:2 * P] = 5.0  # every pitch wants an onset
        g.head.bias[2 * P + 2 * g.channels] = -20.0  # and STOP is never wanted
    y, _ = g.sample(content(3, 8), torch.tensor([0, 1, 2]), generator=torch.Generator().manual_seed(0))
    assert y[:, 0].sum(-1).max().item() == 2


def test_the_decoder_hears_the_plan():
    g = lively(small())
    c, s = content(1, 16), torch.tensor([1])
    gen = lambda: torch.Generator().manual_seed(4)  # noqa: E731
    a, _ = g.sample(c, s, plan=torch.zeros(1, 4, dtype=torch.long), generator=gen())
    b, _ = g.sample(c, s, plan=torch.full((1, 4), 3), generator=gen())
    assert not torch.equal(a, b)


def test_guidance_zero_ignores_the_style_and_a_larger_scale_changes_the_piece():
    g = lively(small())
    c = content(1, 24)
    plan = torch.zeros(1, 6, dtype=torch.long)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    zero = [g.sample(c, torch.tensor([s]), guidance=0.0, plan=plan, generator=gen())[0] for s in range(3)]
    assert torch.equal(zero[0], zero[1]) and torch.equal(zero[0], zero[2])
    one, _ = g.sample(c, torch.tensor([0]), guidance=1.0, plan=plan, generator=gen())
    bold, _ = g.sample(c, torch.tensor([0]), guidance=2.5, plan=plan, generator=gen())
    assert not torch.equal(one, bold)
    w, _ = g.sample(c, torch.tensor([[1.0, 0, 0]]), guidance=1.0, plan=plan, generator=gen())
    assert torch.equal(w, one)  # a one-hot weight row is the style id


def melody_clamp_of(T):
    """A kept note at pitch 7 from step 2 to 5 (struck once), and silence above it."""
    values = torch.zeros(1, 2, T, P)
    values[0, :, 2:6, 7] = 1
    values[0, 0, 3:6, 7] = 0
    mask = torch.zeros(1, T, P, dtype=torch.bool)
    mask[0, 2:6, 7:] = True
    return values, mask


def test_clamp_forces_cells_and_the_model_hears_what_was_forced():
    g = lively(small())
    T = 12
    c, s, plan = content(1, T), torch.tensor([1]), torch.tensor([[0, 2, 4]])
    values, mask = melody_clamp_of(T)
    out, state = g.sample(c, s, clamp=(values, mask), plan=plan, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[0, :, 2:6, 7:], values[0, :, 2:6, 7:])
    # its final state is a teacher-forced pass over the frames it returned, the forced ones included
    prev = torch.cat([torch.zeros_like(out[:, :, :1]), out[:, :, :-1]], 2)
    lb = gather_steps(out, lookback_index(torch.arange(T).remainder(BAR)[None]))
    _, _, forced = g(prev, c, s, plan.repeat_interleave(BAR, 1), lb)
    for (h1, c1), (h2, c2) in zip(state, forced):
        assert torch.allclose(h1, h2, atol=1e-5) and torch.allclose(c1, c2, atol=1e-5)


def test_temperature_zero_is_the_most_likely_choice_and_never_an_impossible_one():
    """Temperature 0 draws nothing (the seed, and so a batch's shared stream, does not
    matter), and a step whose most likely choice is STOP stops, however low STOP's logit:
    masked cells (the clamp, pitches above the last onset) are never written."""
    g = lively(small())
    with torch.no_grad():
        g.head.bias[P:2 * P] = -20.0  # no onset is wanted
        g.head.bias[2 * P + 2 * g.channels] = -5.0  # STOP is the most likely, with a logit well below 0
    T = 12
    c, s = content(2, T, harmony=torch.rand(2, T, 4)), torch.tensor([1, 2])
    values, mask = melody_clamp_of(T)
    clamp = (values.expand(2, -1, -1, -1), mask.expand(2, -1, -1))
    outs = [g.sample(c, s, temperature=0.0, clamp=clamp, generator=torch.Generator().manual_seed(k))[0]
            for k in range(3)]
    assert all(torch.equal(o, outs[0]) for o in outs[1:])
    assert torch.equal(outs[0][:, :, 2:6, 7:], values.expand(2, -1, -1, -1)[:, :, 2:6, 7:])
    assert set(outs[0].unique().tolist()) <= {0.0, 1.0}
    alone = g.sample(c[1:], s[1:], temperature=0.0, clamp=(values, mask), generator=torch.Generator())[0]
    assert torch.equal(alone[0], outs[0][1])


def test_a_clamped_note_that_starts_as_a_hold_becomes_an_onset():
    g = small()
    values = torch.zeros(1, 2, 4, P)
    values[0, 1, 1:3, 5] = 1  # sustain only: the kept note began before the piece (or the clamp)
    mask = torch.zeros(1, 4, P, dtype=torch.bool)
    mask[0, 1:3, 5] = True
    out, _ = g.sample(content(1, 4), torch.tensor([0]), clamp=(values, mask), generator=torch.Generator().manual_seed(0))
    assert out[0, 0, 1:3, 5].tolist() == [1.0, 0.0] and out[0, 1, 1:3, 5].tolist() == [1.0, 1.0]


def test_relaxed_sample_passes_gradients_through_every_choice():
    g = lively(small())
    g.train()
    values, mask = melody_clamp_of(8)
    out, _ = g.sample(content(1, 8), torch.tensor([0]), clamp=(values, mask), relaxed=True)
    assert set(out.unique().tolist()) <= {0.0, 1.0}  # hard notes forward
    assert torch.equal(out[0, :, 2:6, 7:], values[0, :, 2:6, 7:])
    out[:, 1].sum().backward()
    for p in (g.lstms[0].weight_hh_l0, g.kernel, g.gap, g.head.weight):
        assert p.grad is not None and p.grad.abs().sum() > 0


def test_a_longer_piece_of_the_same_seed_starts_the_same():
    g = lively(small())
    short, _ = g.sample(content(1, 8), torch.tensor([0]), generator=torch.Generator().manual_seed(5))
    long, _ = g.sample(content(1, 20), torch.tensor([0]), generator=torch.Generator().manual_seed(5))
    assert torch.equal(long[:, :, :8], short)


def test_the_prior_hears_only_its_training_context_of_bars():
    """At temperature ~0, bar n's code is the prior's choice after (start, c[n-k] .. c[n-1]),
    from a fresh state: the windows it was trained on, however long the piece."""
    g = lively(small(plan_context=2))
    c = content(2, 10 * BAR, harmony=torch.rand(2, 10 * BAR, 4))
    s = torch.tensor([0, 2])
    codes = g.sample_plan(c, s, temperature=1e-6, generator=torch.Generator().manual_seed(0))
    harmony = g.bar_harmony(c, torch.arange(10 * BAR).div(BAR, rounding_mode="floor").expand(2, -1), 10)
    start = torch.full((2, 1), g.codes)
    for n in range(10):
        lo = max(0, n - 2)
        logits, _ = g.prior(torch.cat([start, codes[:, lo:n]], 1), harmony[:, lo:n + 1], s)
        assert torch.equal(codes[:, n], logits[:, -1].argmax(-1))
