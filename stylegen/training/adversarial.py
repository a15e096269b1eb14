"""The adversarial step: cross-style roll-outs judged by the CNN discriminator.

After likelihood training G can rebuild a piece in its own style; this stage is what moves
a piece to *another* style.  Each step:

    window x of style s (B, 2, C+T, P) ─▶ content (harmony of x) + melody (top voice of x)
    G.sample(content[:R], style t != s, melody clamped, relaxed=True)  ─▶ fake (B', 2, R, P)
        (free-running, straight-through Gumbel: hard notes forward, gradients through every step)
    D sees  [onset, sustain, harmony tiled over octaves] (B, 3, R, P)  and the style:
        D step:  real windows with their own style  vs  fakes with their target style
                 + the auxiliary style head on real windows
        G loss:  adversarial (fool D for style t) + style (D's head says t)
                 + content (the fake's block chroma matches the input's)

The likelihood loss goes on beside it (training/loop.py), which keeps G musical.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from stylegen.config import LossConfig
from stylegen.data.content import ContentSpec, chroma_blocks, content_features, melody_clamp, pitch_classes, top_voice
from stylegen.data.roll import RollSpec
from stylegen.training import losses


def other_styles(src: torch.Tensor, n_styles: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random style other than the source for each window (the same one if only one)."""
    if n_styles == 1:
        return src.clone()
    off = torch.randint(1, n_styles, src.shape, generator=generator)
    return (src.cpu() + off).remainder(n_styles).to(src.device)


def judge_input(roll: torch.Tensor, chroma: torch.Tensor, spec: RollSpec) -> torch.Tensor:
    """What D reads: roll (B, 2, T, P) and the harmony it should follow, chroma (B, T, 12),
    tiled over every octave -> (B, 3, T, P)."""
    tiled = chroma @ pitch_classes(spec, roll.device).T  # (B, T, P)
    return torch.cat([roll, tiled[:, None]], dim=1)


class AdversarialStage:
    """Owns the discriminator and its optimiser; ``g_loss`` is called inside G's step."""

    def __init__(self, D, opt_d, spec: RollSpec, cspec: ContentSpec, cfg: LossConfig, rollout_steps: int,
                 n_styles: int, grad_clip: float, D_ddp=None):
        self.D, self.opt_d, self.D_ddp = D, opt_d, D_ddp or D
        self.spec, self.cspec, self.cfg = spec, cspec, cfg
        self.R, self.n_styles, self.grad_clip = rollout_steps, n_styles, grad_clip
        self.targets: list[int] | None = None  # roll every window out to one of these styles (adapt: the new ones)

    def rollout(self, G, roll: torch.Tensor, pos: torch.Tensor, src: torch.Tensor):
        """Cross-style roll-outs of the first R steps of each window (melody kept)."""
        R = min(self.R, roll.shape[2])
        x, p = roll[:, :, :R], pos[:, :R]
        content = content_features(x, p, self.spec, self.cspec)  # (B, R, D)
        if self.targets is None:
            tgt = other_styles(src, self.n_styles)
        else:  # any window, its own style's included, re-written in a style being learnt
            pick = torch.tensor(self.targets)[torch.randint(len(self.targets), src.shape)]
            tgt = pick.to(src.device)
        clamp = melody_clamp(x, top_voice(x))
        fake, _ = G.sample(content, tgt, clamp=clamp, relaxed=True)  # (B, 2, R, P), differentiable
        return x, p, tgt, fake

    def d_step(self, real, real_chroma, real_style, fake, fake_chroma, fake_style) -> dict[str, float]:
        cfg = self.cfg
        both = self.D_ddp(torch.cat([judge_input(real, real_chroma, self.spec),
                                     judge_input(fake.detach(), fake_chroma, self.spec)]),
                          torch.cat([real_style, fake_style]))
        B = real.shape[0]
        d_real, d_fake = both["adv"].float().split([B, fake.shape[0]])
        real_logits = both["style_logits"][:B].float()
        loss_adv = losses.d_loss(d_real, d_fake, cfg.adversarial)
        loss_cls = F.cross_entropy(real_logits, real_style)
        loss = loss_adv + cfg.style_weight * loss_cls
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(self.D.parameters(), self.grad_clip)
        self.opt_d.step()
        return {"loss/d": loss.item(), "loss/d_adv": loss_adv.item(), "loss/d_style": loss_cls.item(),
                "d/real": d_real.mean().item(), "d/fake": d_fake.mean().item(),
                "d/style_acc_real": (real_logits.argmax(1) == real_style).float().mean().item(),
                "grad_norm/d": float(gn)}

    def g_loss(self, G, batch: dict, device=None) -> tuple[torch.Tensor, dict[str, float]]:
        """Roll out, update D on the roll-outs, then G's adversarial, style and content losses."""
        roll, pos, src = batch["roll"].to(device), batch["pos"].to(device), batch["style"].to(device)
        x, p, tgt, fake = self.rollout(G, roll, pos, src)
        want = chroma_blocks(x, p, self.spec, self.cspec.block)  # (B, R, 12): the input's harmony
        out = self.d_step(x, want, src, fake, want, tgt)
        for q in self.D.parameters():
            q.requires_grad_(False)
        try:
            judged = self.D(judge_input(fake, want, self.spec), tgt)  # the plain module: D is frozen here
        finally:
            for q in self.D.parameters():
                q.requires_grad_(True)
        cfg = self.cfg
        loss_adv = losses.g_loss(judged["adv"].float(), cfg.adversarial)
        loss_style = F.cross_entropy(judged["style_logits"].float(), tgt)
        got = chroma_blocks(fake, p, self.spec, self.cspec.block)
        loss_content = F.mse_loss(got, want)
        loss = cfg.adversarial_weight * loss_adv + cfg.style_weight * cfg.adversarial_weight * loss_style \
            + cfg.content_weight * loss_content
        out.update({"loss/g_adv": loss_adv.item(), "loss/g_style": loss_style.item(),
                    "loss/g_content": loss_content.item(),
                    "g/style_acc_fake": (judged["style_logits"].argmax(1) == tgt).float().mean().item(),
                    "g/density": fake[:, 1].detach().mean().item(),
                    "g/density_real": x[:, 1].mean().item()})
        return loss, out
