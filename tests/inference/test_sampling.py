"""inference/sampling.py on its own: pieces padded into one batch, one ``sample`` pass over
them, and a state primed from a primer.  The generator is the tests' tiny planned one
(tests/checkpoints.py): no checkpoint file, no training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegen.data.content import bar_positions, content_features, melody_clamp, regular_bars, top_voice
from stylegen.data.roll import notes_to_roll
from stylegen.inference.options import make_generator
from stylegen.inference.sampling import pad_batch, prime, sample_pieces, sample_seeded
from stylegen.models.generator import positions_from_content
from stylegen.training.loop import content_spec
from tests.checkpoints import SPEC, tiny_models

RECIPE, _, G, _ = tiny_models(lively=True, seed=0)
CSPEC = content_spec(RECIPE)  # what the tiny generator hears
P = SPEC.n_pitches


def a_piece(steps: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(roll (2, T, P), content (T, D)): a melody over chords, every bar a fresh chord."""
    rng = np.random.default_rng(seed)
    rows = []
    for bar in range(0, steps, 16):
        root = 48 + int(rng.integers(0, 7))
        rows += [(bar, 16, root + iv, 80, 1) for iv in (0, 4, 7)]
        rows += [(bar + b, 4, 72 + int(rng.integers(0, 8)), 90, 0) for b in range(0, 16, 4) if bar + b < steps]
    notes = np.array(rows, np.int32)
    notes[:, 1] = np.minimum(notes[:, 1], steps - notes[:, 0])
    roll = torch.from_numpy(notes_to_roll(notes, SPEC, 0, steps)).float()
    pos = torch.from_numpy(bar_positions(steps, regular_bars(steps, 16)))
    return roll, content_features(roll, pos, SPEC, CSPEC)


# --------------------------------------------------------------------------- pad_batch


def test_pad_batch_pads_each_piece_at_its_end():
    c1, c2 = torch.ones(3, 2), 2 * torch.ones(5, 2)
    content, clamp = pad_batch([c1, c2], [None, None], n_pitches=4)
    assert content.shape == (2, 5, 2) and clamp is None
    assert torch.equal(content[0, :3], c1) and not content[0, 3:].any()
    assert torch.equal(content[1], c2)
    values = torch.ones(2, 3, 4)
    mask = torch.zeros(3, 4, dtype=torch.bool)
    mask[1, 2] = True
    content, (v, m) = pad_batch([c1, c2], [(values, mask), None], n_pitches=4)
    assert v.shape == (2, 2, 5, 4) and m.shape == (2, 5, 4) and m.dtype == torch.bool
    assert torch.equal(v[0, :, :3], values) and not v[0, :, 3:].any() and not v[1].any()
    assert m.sum() == 1 and m[0, 1, 2]  # only the one forced cell; the padding and the unclamped piece are free


# --------------------------------------------------------------------------- sample_pieces


@pytest.fixture
def even_dice(monkeypatch):
    """Every uniform draw is 0.5: the sampler's hold draws and Gumbel noise are then the same
    for every row of a batch and every seed, so a piece's notes depend only on what it hears
    (a batch draws its random numbers row after row, so otherwise a piece's stream depends on
    its batch)."""
    real = torch.rand

    def half(*shape, generator=None, device=None, dtype=None, **kw):
        size = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list, torch.Size)) else shape
        return torch.full(tuple(size), 0.5, device=device, dtype=dtype or torch.float32)

    monkeypatch.setattr(torch, "rand", half)
    yield
    monkeypatch.setattr(torch, "rand", real)


def alone_and_in_a_batch(strength: float, clamped: bool):
    """A 2-bar piece sampled alone, then first and last in a batch beside a 3-bar piece (so
    padded), each time from another seed; and the cells its clamp forces (none unclamped)."""
    roll1, c1 = a_piece(32, 1)
    _, c2 = a_piece(48, 2)
    clamp1 = melody_clamp(roll1, top_voice(roll1)) if clamped else None
    forced = clamp1[1] if clamped else torch.zeros(32, P, dtype=torch.bool)
    style = torch.tensor([0])
    alone = sample_pieces(G, [c1], style, [clamp1], strength=strength, generator=make_generator(5))[0]
    first = sample_pieces(G, [c1, c2], torch.tensor([0, 1]), [clamp1, None], strength=strength,
                          generator=make_generator(9))
    last = sample_pieces(G, [c2, c1], torch.tensor([1, 0]), [None, clamp1], strength=strength,
                         generator=make_generator(11))
    return alone, first, last, forced


@pytest.mark.parametrize("strength,clamped", [(1.0, False), (1.0, True), (2.5, True)])
def test_a_piece_gives_the_same_notes_alone_and_padded_in_a_batch(even_dice, strength, clamped):
    alone, first, last, forced = alone_and_in_a_batch(strength, clamped)
    assert alone.shape == (2, 32, P) and first[1].shape == (2, 48, P) and last[0].shape == (2, 48, P)
    assert (alone * ~forced).any()  # the generator's own notes, beside any it was made to keep
    # the generator is causal, so the padding after the shorter piece is never heard, and the
    # other piece of the batch never reaches this one
    assert torch.equal(first[0], alone)
    assert torch.equal(last[1], alone)
    assert torch.equal(first[1], last[0])  # the longer piece, first or second in its batch
    assert set(torch.unique(alone).tolist()) <= {0.0, 1.0}


def test_the_clamped_melody_is_written_and_nothing_above_it():
    roll, c = a_piece(32, 3)
    melody = top_voice(roll)
    values, mask = melody_clamp(roll, melody)
    out = sample_pieces(G, [c], torch.tensor([0]), [(values, mask)], temperature=1.0, generator=make_generator(0))[0]
    assert torch.equal(out[:, mask], values[:, mask])  # every forced cell as forced: the melody, silence above


def test_sample_seeded_is_sample_pieces_with_one_seeded_stream():
    _, c1 = a_piece(32, 4)
    _, c2 = a_piece(16, 5)

    class Piece:
        def __init__(self, content):
            self.content, self.clamp = content, None

    style = torch.tensor([1])
    a = sample_seeded(G, [Piece(c1), Piece(c2)], style, strength=1.0, temperature=1.0, seed=3)
    b = sample_pieces(G, [c1, c2], torch.tensor([1, 1]), strength=1.0, temperature=1.0,
                      generator=make_generator(3))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    other = sample_seeded(G, [Piece(c1), Piece(c2)], style, strength=1.0, temperature=1.0, seed=4)
    assert not all(torch.equal(x, y) for x, y in zip(a, other))


# --------------------------------------------------------------------------- prime


def test_prime_is_the_state_of_writing_the_primer_step_by_step():
    """Priming hears the primer as if the generator had written it: the state equals the one
    ``sample`` reaches when every cell of the primer is forced, with the primer's own plan."""
    roll, c = a_piece(32, 6)
    style = torch.tensor([0])
    state = prime(G, roll, c, style)
    pos = positions_from_content(c[None], G.bar_steps)
    plan = G.encode_plan(roll[None], pos)
    everything = torch.ones(1, 32, P, dtype=torch.bool)
    with torch.inference_mode():
        written, forced_state = G.sample(c[None], style, temperature=1.0, clamp=(roll[None], everything), plan=plan,
                                         generator=make_generator(0))
    assert torch.equal(written[0], roll)  # a canonical roll, forced everywhere: written as it is
    for (h, cc), (h2, c2) in zip(state, forced_state):
        assert torch.allclose(h, h2, atol=1e-5) and torch.allclose(cc, c2, atol=1e-5)
    shifted = prime(G, torch.cat([torch.zeros_like(roll[:, :1]), roll[:, :-1]], 1), c, style)
    assert not all(torch.allclose(h, h2, atol=1e-3) for (h, _), (h2, _) in zip(shifted, state))
