import numpy as np
import pytest
import torch

from stylegen.data.content import (ContentSpec, bar_positions, block_ids, chroma_blocks, content_features,
                                   empty_content, melody_clamp, regular_bars, top_voice, top_voice_mask,
                                   without_harmony)
from stylegen.data.roll import RollSpec

SPEC = RollSpec(resolution=4, lowest_pitch=48, n_pitches=24)  # C3..B4


def note(roll, pitch, start, end):
    roll[0, start, pitch - 48] = 1
    roll[1, start:end, pitch - 48] = 1


def test_bar_positions_follow_the_bar_lines():
    bars = np.array([0, 12, 28])  # a 3/4 bar, then a 4/4 bar
    assert bar_positions(6, bars, start=10).tolist() == [10, 11, 0, 1, 2, 3]
    assert bar_positions(3, bars, start=27).tolist() == [15, 0, 1]
    assert bar_positions(3, np.array([4]), start=0).tolist() == [0, 1, 2]  # before the first bar line
    assert regular_bars(40, 16).tolist() == [0, 16, 32]


def test_blocks_restart_at_every_bar_line():
    pos = torch.tensor(bar_positions(28, np.array([0, 12])))  # 3/4 then 4/4
    ids = block_ids(pos, 8)
    assert ids.tolist() == [0] * 8 + [1] * 4 + [2] * 8 + [3] * 8


def test_chroma_and_bass_per_half_bar():
    roll = torch.zeros(2, 32, 24)
    note(roll, 60, 0, 8)  # C4 over the first half bar
    note(roll, 48, 0, 4)  # C3 for one beat: the bass
    note(roll, 52, 4, 8)  # E3 for the next beat: the bass
    note(roll, 67, 8, 16)  # G4 alone in the second half
    pos = torch.tensor(bar_positions(32, regular_bars(32, 16)))
    f = content_features(roll, pos, SPEC, ContentSpec())
    assert f.shape == (32, 12 + 12 + 1 + 16)
    chroma, bass, flag, position = f[:, :12], f[:, 12:24], f[:, 24], f[:, 25:]
    # block 0: C sounds 8 + 4 steps, E 4 steps; max-normalised
    assert chroma[0].tolist() == pytest.approx([1, 0, 0, 0, 1 / 3, 0, 0, 0, 0, 0, 0, 0])
    assert torch.equal(chroma[0], chroma[7]) and chroma[8].argmax() == 7  # a block holds one value; G next
    assert bass[0, 0] == pytest.approx(0.5) and bass[0, 4] == pytest.approx(0.5)
    assert chroma[16:].abs().sum() == 0 and bass[16:].abs().sum() == 0  # a silent bar: no harmony
    assert flag.abs().sum() == 0
    assert position.argmax(-1).tolist() == list(range(16)) * 2


def test_binary_content_is_the_set_of_pitch_classes_and_one_bass():
    roll = torch.zeros(2, 16, 24)
    note(roll, 60, 0, 16)
    note(roll, 48, 0, 12)  # C3 is the bass for 12 of 16 steps ...
    note(roll, 43 + 12, 12, 16)  # ... G3 for the last 4 (the lowest note then)
    note(roll, 64, 0, 2)  # E4 for 2 steps: under half of C's weight
    pos = torch.tensor(bar_positions(16, regular_bars(16, 16)))
    f = content_features(roll, pos, SPEC, ContentSpec(block=16, binary=True))
    assert f[0, :12].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert f[0, 12:24].tolist() == [1] + [0] * 11


def test_withheld_harmony_is_not_silence():
    roll = torch.zeros(2, 16, 24)
    note(roll, 60, 0, 16)
    pos = torch.tensor(bar_positions(16, regular_bars(16, 16)))
    cs = ContentSpec()
    f = content_features(roll, pos, SPEC, cs)
    w = without_harmony(f, cs)
    assert w[:, :24].abs().sum() == 0 and (w[:, 24] == 1).all() and torch.equal(w[:, 25:], f[:, 25:])
    assert torch.equal(empty_content(pos, cs), w)
    silent = content_features(torch.zeros(2, 16, 24), pos, SPEC, cs)
    assert not torch.equal(silent, w)  # "no harmony given" differs from "a silent block"


def test_content_is_the_same_for_any_texture_of_the_same_harmony():
    pos = torch.tensor(bar_positions(16, regular_bars(16, 16)))
    block = torch.zeros(2, 16, 24)  # a C major block chord held for the bar
    for p in (48, 52, 55):
        note(block, p, 0, 16)
    alberti = torch.zeros(2, 16, 24)  # the same chord broken: C G E G, in 16ths
    for t in range(16):
        note(alberti, (48, 55, 52, 55)[t % 4], t, t + 1)
    cs = ContentSpec(bass=False)
    a = content_features(block, pos, SPEC, cs)
    b = content_features(alberti, pos, SPEC, cs)
    assert torch.allclose(a[:, :12] > 0, b[:, :12] > 0)  # the same pitch classes
    assert torch.equal(a[:, 12:], b[:, 12:])


def test_chroma_is_differentiable():
    roll = torch.rand(1, 2, 16, 24, requires_grad=True)
    pos = torch.tensor(bar_positions(16, regular_bars(16, 16)))[None]
    chroma_blocks(roll, pos, SPEC, 8).sum().backward()
    assert roll.grad is not None and roll.grad[:, 1].abs().sum() > 0


def test_top_voice_and_melody_clamp():
    roll = torch.zeros(2, 8, 24)
    note(roll, 67, 0, 4)  # melody G4, then a rest
    note(roll, 48, 0, 8)  # bass C3 throughout
    mel = top_voice(roll)
    assert mel[:4, 67 - 48].all() and mel[4:, 0].all()  # under the rest the bass is the top voice
    only_g = torch.zeros(8, 24, dtype=torch.bool)
    only_g[:4, 67 - 48] = True
    values, mask = melody_clamp(roll, only_g)
    assert torch.equal(values[:, :, 67 - 48], roll[:, :, 67 - 48]) and values[:, :, :19].sum() == 0
    assert mask[:4, 19:].all() and not mask[:4, :19].any()  # at and above the melody: forced
    assert not mask[4:].any()  # a melody rest leaves the model free


def test_top_voice_is_the_highest_sounding_pitch_at_each_onset():
    n = np.array([[0, 4, 60, 80, 0], [0, 4, 67, 80, 0], [4, 2, 64, 80, 0], [5, 1, 62, 80, 0],
                  [6, 2, 72, 80, 0], [6, 2, 48, 80, 0], [7, 1, 50, 80, 0], [2, 1, 62, 80, 0]], np.int32)
    assert top_voice_mask(n).tolist() == [False, True, True, False, True, False, False, False]
    assert top_voice_mask(np.zeros((0, 5), np.int32)).tolist() == []
