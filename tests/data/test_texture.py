import numpy as np
import pytest
import torch

from stylegen.data.texture import (ONSET_CAP, assign_codes, bar_descriptors, bar_ids, descriptor_dim, fit_codebook,
                                   positions_from_content, step_codes)

BAR, LOW, P = 4, 48, 36  # 4 steps a bar, pitches 48..83 (C3..B5)


def roll_of(notes, T=8):
    """notes: (pitch, start, length) -> (1, 2, T, P)."""
    r = torch.zeros(1, 2, T, P)
    for pitch, start, length in notes:
        r[0, 0, start, pitch - LOW] = 1
        r[0, 1, start:start + length, pitch - LOW] = 1
    return r


def pos_of(T):
    return (torch.arange(T) % BAR)[None]


def test_bar_ids_and_positions():
    assert bar_ids(torch.tensor([[0, 1, 2, 0, 1, 0]])).tolist() == [[0, 0, 0, 1, 1, 2]]
    assert bar_ids(torch.tensor([[2, 3, 0, 1]])).tolist() == [[0, 0, 1, 1]]  # a piece that starts mid-bar
    c = torch.zeros(1, 3, 2 + BAR)
    c[0, torch.arange(3), 2 + torch.tensor([0, 1, 3])] = 1
    assert positions_from_content(c, BAR).tolist() == [[0, 1, 3]]
    codes = torch.tensor([[5, 7]])
    assert step_codes(codes, bar_ids(pos_of(8))).tolist() == [[5, 5, 5, 5, 7, 7, 7, 7]]


def test_descriptor_of_a_bar_exact_values():
    # bar 0: melody E5 (76) held all bar; accompaniment C4+G4 struck on steps 0 and 2, two steps each
    # bar 1: the melody alone: the accompaniment is empty
    r = roll_of([(76, 0, 8), (60, 0, 2), (67, 0, 2), (60, 2, 2), (67, 2, 2)])
    d, ids = bar_descriptors(r, pos_of(8), BAR, LOW)
    assert d.shape == (1, 2, descriptor_dim(BAR)) and ids.tolist() == [[0, 0, 0, 0, 1, 1, 1, 1]]
    bar = d[0, 0].tolist()
    assert bar[:BAR] == pytest.approx([2 / ONSET_CAP, 0, 2 / ONSET_CAP, 0])  # two onsets on steps 0 and 2
    assert bar[BAR:BAR + 4] == pytest.approx([0.5] * 4)  # two notes sound at every step (/ 4)
    mean, span, above = (60 + 67) / 2 / 12 - 5, 7 / 12, (76 - 63.5) / 12
    assert bar[BAR + 4:BAR + 7] == pytest.approx([mean, span, above], abs=1e-5)
    assert bar[-1] == 0
    assert d[0, 1].tolist() == pytest.approx([0.0] * (descriptor_dim(BAR) - 1) + [1.0])


def chord_bar(pitches, rhythm):
    """A melody note over a chord of ``pitches`` struck at each step in ``rhythm``, for 2 bars."""
    notes = [(79, 0, 8)]
    for bar in range(2):
        for s in rhythm:
            notes += [(p, bar * BAR + s, 1) for p in pitches]
    return roll_of(notes)


def test_a_code_follows_the_rhythm_not_the_pitch_classes():
    c_major_block = chord_bar([60, 64, 67], [0])
    a_minor_block = chord_bar([60, 64, 69], [0])  # the same voicing and rhythm over another chord
    c_major_pulse = chord_bar([60, 64, 67], [0, 1, 2, 3])
    c_major_low = chord_bar([48, 52, 55], [0])  # an octave lower
    bars = [bar_descriptors(r, pos_of(8), BAR, LOW)[0][0] for r in (c_major_block, c_major_pulse, c_major_low)]
    book = torch.from_numpy(fit_codebook(torch.cat(bars).numpy(), 3, seed=0))
    code = lambda r: assign_codes(bar_descriptors(r, pos_of(8), BAR, LOW)[0], book)[0, 0].item()  # noqa: E731
    assert code(c_major_block) == code(a_minor_block)
    assert code(c_major_block) != code(c_major_pulse)
    assert code(c_major_block) != code(c_major_low)


def test_fit_codebook_is_deterministic_and_finds_separate_clusters():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 0.05, (50, 3)), rng.normal(5, 0.05, (50, 3))]).astype(np.float32)
    a, b = fit_codebook(x, 2, seed=1), fit_codebook(x, 2, seed=1)
    assert np.array_equal(a, b)
    assert sorted(np.round(a.mean(1)).tolist()) == [0.0, 5.0]
    assert fit_codebook(x[:1], 3).shape == (3, 3)  # fewer bars than codes: centroids repeat
    with pytest.raises(ValueError, match="no bars"):
        fit_codebook(x[:0], 2)
