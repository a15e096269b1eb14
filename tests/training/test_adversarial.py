"""The adversarial stage on tiny models built in code: what each loss is and what it moves."""

import pytest
import torch
import torch.nn.functional as F

from stylegen.config import LossConfig
from stylegen.data.content import ContentSpec, chroma_blocks, top_voice
from stylegen.data.roll import RollSpec
from stylegen.models.discriminator import CNNDiscriminator
from stylegen.models.generator import PlannedTexture
from stylegen.training.adversarial import AdversarialStage, judge_input, other_styles

SPEC = RollSpec(resolution=4, lowest_pitch=48, n_pitches=24)
CSPEC = ContentSpec(block=16, bar_steps=16, chroma=True, bass=False, binary=True)
T = 32


def models(seed=0):
    torch.manual_seed(seed)
    G = PlannedTexture(n_pitches=SPEC.n_pitches, n_styles=2, content_dim=CSPEC.dim, bar_steps=16,
                       lowest_pitch=SPEC.lowest_pitch, hidden_size=16, num_layers=1, style_dim=4, frame_dim=8, codes=4,
                       code_dim=3, prior_size=6, channels=2, reach=6, max_notes=4, dropout=0.0)
    with torch.no_grad():  # a fresh G writes few notes: make it busy, so every loss has something to move
        G.head.bias[SPEC.n_pitches:2 * SPEC.n_pitches] = 0.0
    D = CNNDiscriminator(n_pitches=SPEC.n_pitches, n_styles=2, n_channels=3, channels=4, input_noise=0.0)
    return G, D


def batch():
    """Two 2-bar windows: a melody (one note a beat, on top) over a held chord, styles 0 and 1."""
    roll = torch.zeros(2, 2, T, SPEC.n_pitches)
    for b, chord in enumerate(([0, 4, 7], [2, 5, 9])):
        for t in range(0, T, 4):
            p = 16 + (t // 4) % 5
            roll[b, 0, t, p] = 1
            roll[b, 1, t:t + 4, p] = 1
        for bar in range(2):
            roll[b, 0, bar * 16, chord] = 1
            roll[b, 1, bar * 16:(bar + 1) * 16, chord] = 1
    pos = (torch.arange(T) % 16).expand(2, T).clone()
    return {"roll": roll, "pos": pos, "style": torch.tensor([0, 1]), "start": torch.zeros(2, dtype=torch.long)}


def stage(D, **weights):
    cfg = LossConfig(**weights)
    return AdversarialStage(D, torch.optim.Adam(D.parameters(), lr=1e-3), SPEC, CSPEC, cfg, rollout_steps=T,
                            n_styles=2, grad_clip=1.0)


def capture_rollout(st):
    """Keep what the stage rolled out, to check the losses against it."""
    seen = {}
    original = st.rollout

    def rollout(G, roll, pos, src):
        seen["x"], seen["p"], seen["tgt"], seen["fake"] = out = original(G, roll, pos, src)
        return out

    st.rollout = rollout
    return seen


def test_the_content_loss_alone_is_the_chroma_difference_and_moves_the_generator():
    G, D = models()
    st = stage(D, adversarial_weight=0.0, style_weight=0.0, content_weight=1.0)
    seen = capture_rollout(st)
    torch.manual_seed(1)
    loss, logged = st.g_loss(G, batch())
    want = chroma_blocks(seen["x"], seen["p"], SPEC, CSPEC.block)
    got = chroma_blocks(seen["fake"], seen["p"], SPEC, CSPEC.block)
    named = F.mse_loss(got, want).item()
    assert named > 0 and logged["loss/g_content"] == pytest.approx(named, rel=1e-6)
    assert loss.item() == pytest.approx(named, rel=1e-6)  # nothing else is switched on
    before = [p.detach().clone() for p in G.parameters()]
    opt = torch.optim.SGD(G.parameters(), lr=0.1)
    opt.zero_grad()
    loss.backward()
    opt.step()
    moved = sum(float((p.detach() - b).abs().sum()) for p, b in zip(G.parameters(), before))
    assert moved > 0


def test_a_roll_out_keeps_the_melody_and_the_silence_above_it():
    G, D = models()
    st = stage(D)
    torch.manual_seed(2)
    x, p, tgt, fake = st.rollout(G, batch()["roll"], batch()["pos"], torch.tensor([0, 1]))
    assert (tgt != torch.tensor([0, 1])).all()  # another style than the source
    mel = top_voice(x)  # (B, T, P)
    assert torch.equal(fake[:, 0][mel], x[:, 0][mel])  # the melody's onsets
    assert torch.equal(fake[:, 1][mel], x[:, 1][mel])  # and its sustain
    idx = torch.arange(SPEC.n_pitches)
    mel_pitch = torch.where(mel, idx, SPEC.n_pitches).amin(-1)  # (B, T)
    above = idx[None, None] > mel_pitch[..., None]
    assert fake[:, 1][above].sum() == 0 and fake[:, 0][above].sum() == 0
    assert fake.requires_grad  # the roll-out is differentiable


def test_the_discriminator_step_moves_only_the_discriminator():
    G, D = models()
    st = stage(D)
    before_g = [p.detach().clone() for p in G.parameters()]
    before_d = [p.detach().clone() for p in D.parameters()]
    torch.manual_seed(3)
    loss, logged = st.g_loss(G, batch())  # runs D's step inside
    assert all(torch.equal(p, b) for p, b in zip(G.parameters(), before_g))
    assert any(not torch.equal(p, b) for p, b in zip(D.parameters(), before_d))
    assert {"loss/d", "loss/g_adv", "loss/g_style", "loss/g_content", "d/real", "d/fake"} <= set(logged)
    assert all(p.requires_grad for p in D.parameters())  # D is unfrozen again after G's loss


def test_judge_input_tiles_the_harmony_over_every_octave():
    roll = torch.zeros(1, 2, 4, SPEC.n_pitches)
    chroma = torch.zeros(1, 4, 12)
    chroma[0, :, 0] = 1  # C
    x = judge_input(roll, chroma, SPEC)
    assert x.shape == (1, 3, 4, SPEC.n_pitches)
    assert x[0, 2, 0].nonzero().flatten().tolist() == [0, 12]  # C3 and C4 on this 24-note keyboard


def test_other_styles_never_returns_the_source():
    src = torch.tensor([0, 1, 2, 3] * 25)
    out = other_styles(src, 4, torch.Generator().manual_seed(0))
    assert (out != src).all() and set(out.tolist()) <= {0, 1, 2, 3}
    assert torch.equal(other_styles(torch.tensor([0, 0]), 1), torch.tensor([0, 0]))
