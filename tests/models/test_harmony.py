"""The harmony model: its distribution, its sampling loop and the block layout it writes,
checked against the content features the texture generator hears (data/content.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from stylegen.data.content import ContentSpec, bar_positions, block_ids, content_features, regular_bars
from stylegen.data.roll import RollSpec
from stylegen.models import registry
from stylegen.models.harmony import (
    MELODY_DIM, NO_BASS, HarmonyLSTM, block_layout, block_meter, melody_blocks, melody_input, meter_dim,
    plan_to_content, rotate_melody,
)

M = 9


def small(bass=False, n_styles=2, **kw):
    torch.manual_seed(0)
    args = dict(n_styles=n_styles, meter_dim=M, bass=bass, hidden_size=8, num_layers=1, style_dim=3, nade_size=5,
                dropout=0.0)
    args.update(kw)
    return HarmonyLSTM(**args).eval()


def test_registered_by_name():
    assert registry.get("harmony", "lstm") is HarmonyLSTM


@pytest.mark.parametrize("bass", [False, True])
def test_log_prob_is_a_normalised_distribution_over_every_set(bass):
    """Summing p(block) over all 4096 pitch-class sets (and every bass) gives 1, whatever the
    context: the NADE output is an exact distribution."""
    h = small(bass=bass)
    sets = torch.tensor(list(itertools.product([0, 1], repeat=12)), dtype=torch.float32)  # (4096, 12)
    if bass:
        sets = sets.repeat_interleave(13, 0)
        basses = torch.arange(13).repeat(4096)
    else:
        basses = None
    n = len(sets)
    meter = torch.randn(1, 1, M).expand(n, 1, M)
    melody = torch.rand(1, 1, MELODY_DIM).expand(n, 1, MELODY_DIM)
    lp = h.log_prob(sets[:, None], meter, melody, torch.ones(n, dtype=torch.long),
                    bass=None if basses is None else basses[:, None])[:, 0]
    total = torch.logsumexp(lp, 0)
    assert total.item() == pytest.approx(0.0, abs=1e-4)


def test_sampling_writes_blocks_that_the_likelihood_scores():
    h = small(bass=True)
    gen = torch.Generator().manual_seed(0)
    meter = torch.randn(3, 7, M)
    sets, bass, state, prev = h.sample(meter, torch.tensor([0, 1, 1]), generator=gen)
    assert sets.shape == (3, 7, 12) and bass.shape == (3, 7) and prev.shape == (3, 12 + 13)
    assert set(sets.unique().tolist()) <= {0.0, 1.0}
    assert (sets.sum(-1) > 0).all()  # blocks are never silent unless allowed
    assert ((bass < 12) == (sets.sum(-1) > 0)).all()  # a bass exactly where something sounds
    lp = h.log_prob(sets, meter, torch.zeros(3, 7, MELODY_DIM), torch.tensor([0, 1, 1]), bass=bass)
    assert torch.isfinite(lp).all()


def test_same_seed_same_blocks_and_style_mixtures():
    h = small()
    meter = torch.randn(1, 6, M)
    a = h.sample(meter, torch.tensor([1]), generator=torch.Generator().manual_seed(3))[0]
    b = h.sample(meter, torch.tensor([1]), generator=torch.Generator().manual_seed(3))[0]
    assert torch.equal(a, b)
    mix = h.sample(meter, torch.tensor([[0.5, 0.5]]), generator=torch.Generator().manual_seed(3))[0]
    assert mix.shape == (1, 6, 12)


def test_forced_blocks_are_kept_and_heard():
    h = small()
    meter = torch.randn(1, 5, M)
    forced = torch.zeros(1, 5, 12)
    forced[0, :, [0, 4, 7]] = 1  # a C major triad in every block
    mask = torch.tensor([[True, True, False, False, True]])
    sets, _, _, _ = h.sample(meter, torch.tensor([0]), forced=forced, forced_mask=mask,
                             generator=torch.Generator().manual_seed(0))
    assert torch.equal(sets[0, mask[0]], forced[0, mask[0]])
    # continuing a call from its state and last block is the same as one call
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    whole = h.sample(meter, torch.tensor([0]), generator=g1, temperature=0.0)[0]
    s1, _, st, prev = h.sample(meter[:, :2], torch.tensor([0]), generator=g2, temperature=0.0)
    s2 = h.sample(meter[:, 2:], torch.tensor([0]), generator=g2, state=st, prev=prev, temperature=0.0)[0]
    assert torch.equal(whole, torch.cat([s1, s2], 1))


def test_empty_blocks_only_where_allowed():
    h = small()
    with torch.no_grad():  # a model that would rather stay silent
        h.nade_b.bias.fill_(-8.0)
    meter = torch.randn(1, 6, M)
    allow = torch.tensor([[True, True, True, False, False, False]])
    sets = h.sample(meter, torch.tensor([0]), allow_empty=allow, generator=torch.Generator().manual_seed(0))[0]
    assert (sets[0, 3:].sum(-1) >= 1).all()
    assert (sets[0, :3].sum(-1) == 0).all()  # allowed and likely


def test_block_layout_is_the_contents():
    for bars, block in (([0, 16, 28, 40], 8), ([0, 12, 24], 16), ([0, 16, 32], 16)):
        pos = bar_positions(48, np.array(bars))
        starts = block_layout(pos, block)
        ids = block_ids(torch.from_numpy(pos), block).numpy()
        assert starts.tolist() == np.flatnonzero(np.diff(np.concatenate([[-1], ids]))).tolist()


@pytest.mark.parametrize("cspec", [ContentSpec(block=16, bar_steps=16, chroma=True, bass=False, binary=True),
                                   ContentSpec(block=8, bar_steps=16, chroma=True, bass=True, binary=True)])
def test_plan_content_is_what_content_features_make_of_those_chords(cspec):
    """A plan laid over the steps equals the content the generator hears from a roll that
    plays exactly those pitch classes (bass = the lowest), block by block, meter changes
    included: the generator gets the layout it was trained on."""
    spec = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)
    T = 16 * 3 + 12 * 2  # three 4/4 bars, then two 3/4 bars
    pos = bar_positions(T, np.array([0, 16, 32, 48, 60]))
    starts = block_layout(pos, cspec.block)
    N = len(starts)
    rng = np.random.default_rng(0)
    sets = (rng.random((N, 12)) < 0.3).astype(np.float32)
    sets[2] = 0  # a silent block
    bass = np.full(N, NO_BASS)
    roll = torch.zeros(2, T, spec.n_pitches)
    ends = np.concatenate([starts[1:], [T]])
    for n, (a, b) in enumerate(zip(starts, ends)):
        pcs = np.flatnonzero(sets[n])
        if len(pcs) == 0:
            continue
        bass[n] = pcs[-1]  # play the last class an octave below the others: it is the bass
        for pc in pcs:
            pitch = 48 + pc - (12 if pc == bass[n] else 0)
            roll[0, a, pitch - spec.lowest_pitch] = 1
            roll[1, a:b, pitch - spec.lowest_pitch] = 1
    want = content_features(roll, torch.from_numpy(pos), spec, cspec).numpy()
    got = plan_to_content(sets, bass, pos, cspec.block, cspec.dim, cspec.chroma, cspec.bass, cspec.bar_steps)
    assert got.shape == (T, cspec.dim)
    np.testing.assert_allclose(got, want)


def test_meter_features():
    pos = bar_positions(16 * 10, regular_bars(16 * 10, 16))
    m = block_meter(pos, 16, 16, 4, first_bar=1, last_bar=8)
    assert m.shape == (10, meter_dim(16, 16)) and (m.sum(1) == 4).all()  # four one-hots
    S = 2  # slots for block 16 in a bar of 16
    hyper = m[:, S + 8:S + 16].argmax(1)
    assert hyper.tolist() == [7, 0, 1, 2, 3, 4, 5, 6, 7, 0]  # counted from the first bar with a note
    countdown = m[:, S + 16:].argmax(1)
    assert countdown.tolist() == [4, 4, 4, 4, 4, 3, 2, 1, 0, 4]  # bars to the last bar; after it unknown
    beats = m[:, S:S + 8].argmax(1) + 1
    assert (beats == 4).all()


def test_melody_blocks_look_ahead_and_key_so_far():
    pos = bar_positions(48, regular_bars(48, 16))
    # C for a bar; G for half a bar (two beats) then E (two beats); then a rest
    mel = melody_blocks(np.array([60, 67, 64]), np.array([0, 16, 24]), np.array([16, 8, 8]), pos, 16, 4)
    assert mel.shape == (3, 24)
    assert mel[0, :12].tolist() == [1.0] + [0.0] * 11 and mel[0, 12:].tolist() == [1.0] + [0.0] * 11
    assert mel[1, 7] == 1.0 and mel[1, 4] == 1.0  # as long as each other
    assert mel[1, 12 + 7] == 1.0 and mel[1, 12 + 4] == pytest.approx(2 / 3)  # G on beats 1 (x2) and 2, E on 3 and 4
    assert mel[2].sum() == 0
    x = melody_input(mel, 3)
    assert x.shape == (3, MELODY_DIM)
    np.testing.assert_array_equal(x[0, 24:48], mel[1])  # the look-ahead is the next block
    assert x[2, 24:48].sum() == 0 and (x[:, -1] == 1).all()
    assert x[0, 48:60].tolist() == x[1, 48:60].tolist()  # the melody so far, to the end of the look-ahead
    assert x[0, [48, 52, 55]].tolist() == [1.0, 1.0, 1.0] and x[0, 49] == 0  # C, E, G heard by the end of block 1
    assert (melody_input(None, 3) == 0).all()
    up = rotate_melody(x, 2)
    np.testing.assert_array_equal(up[:, 2], x[:, 0])
    np.testing.assert_array_equal(up[:, 48 + 9], x[:, 48 + 7])
    assert (up[:, -1] == 1).all()


@pytest.mark.parametrize("layers", [1, 2])
def test_the_sampling_loop_is_the_teacher_forced_model(layers):
    """The block loop (a plain cell for one layer) computes what log_prob computes: at
    temperature 0 each class is the more likely value under log_prob's own logits."""
    h = small(num_layers=layers)
    meter, mel = torch.randn(2, 6, M), torch.rand(2, 6, MELODY_DIM)
    style = torch.tensor([0, 1])
    sets = h.sample(meter, style, mel, temperature=0.0, allow_empty=True)[0]
    prev = torch.cat([torch.zeros(2, 1, 12), sets[:, :-1]], 1)
    start = torch.zeros(2, 6, 1)
    start[:, 0] = 1
    hid, _ = h.hidden(prev, start, meter, mel, h.style(style))
    logits = h.set_logits(hid, sets)
    assert torch.equal((logits > 0).float(), sets)


def test_temperature_zero_is_the_most_likely_choice_and_never_an_impossible_one():
    """Temperature 0: each class and the bass at its most likely value with no random draw,
    so any seed gives the same plan and a piece in a batch gets what it gets alone (exact
    ties here, which a random draw would decide).  At no temperature an impossible choice:
    a bass "none" under a chord, a bass under a silent block, a silent block where it is not
    allowed (the bass's mask must hold however large or small the temperature)."""
    h = small(bass=True)
    with torch.no_grad():
        h.nade_b.weight *= 10  # sets of 0 to 4 classes, some blocks silent
        h.nade_b.bias -= 2
        h.nade_v[2], h.nade_b.weight[2], h.nade_b.bias[2] = 0.0, 0.0, 0.0  # class 2: a logit of exactly 0
        last = h.bass_head[2]
        last.weight *= 10
        last.weight[[3, 5]], last.bias[[3, 5]] = 0.0, 1.0  # basses 3 and 5: equal, whatever the block
        last.bias[NO_BASS] = -2e4  # "none" below bass_logits' mask (-1e4): still the only bass of a silent block
    g = torch.Generator().manual_seed(11)
    meter, mel = torch.randn(2, 16, M, generator=g), torch.rand(2, 16, MELODY_DIM, generator=g)
    style = torch.tensor([0, 1])
    allow = torch.rand(2, 16, generator=g) < 0.5

    def plan(rows, temperature, seed):
        gen = None if seed is None else torch.Generator().manual_seed(seed)
        s, b, _, _ = h.sample(meter[rows], style[rows], mel[rows], temperature=temperature, generator=gen,
                              allow_empty=allow[rows])
        return s, b

    both = [0, 1]
    sets, bass = plan(both, 0.0, 1)
    for seed in (2, None):
        other = plan(both, 0.0, seed)
        assert torch.equal(sets, other[0]) and torch.equal(bass, other[1])
    for i in both:
        alone = plan([i], 0.0, 1 + i)
        assert torch.equal(sets[i:i + 1], alone[0]) and torch.equal(bass[i:i + 1], alone[1])
    assert (sets.sum(-1) == 0).any() and (bass == 3).any()  # silent blocks, and the tie decided
    assert not (bass == 5).any()  # ... for the first of the equals
    for temperature in (0.0, 1e-40, 1.0, 1e4):
        s, b = plan(both, temperature, 3)
        empty = s.sum(-1) == 0
        assert not (empty & ~allow).any(), temperature
        assert torch.equal(b == NO_BASS, empty), temperature
