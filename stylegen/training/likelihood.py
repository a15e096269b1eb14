"""The likelihood step: every real window rebuilt from its own content, plan and style.

    roll (B, 2, C+T, P), pos (B, C+T), style (B,)
      ──content_features──▶ content (B, C+T, D)       (harmony withheld for a share: composing)
      ──G.encode_plan──▶ plan (B, N): each bar's texture code (data/texture.py)
      style ──▶ "no style" for a share                (guidance at inference)
      G.log_prob(roll | content, plan, style) (B, C+T) ──▶ NLL per frame over the last T steps
      G.plan_log_prob(plan | content, style) (B, N)   ──▶ the prior's NLL per bar (same shares)

The first C steps (``data.context_bars``) are heard but not scored: the window starts in
the middle of a piece, and the LSTM has not yet heard what came before.  A window that
starts where its piece starts is scored from its first step: that is exactly what the
generator meets at the start of every transfer and composition (a silent past, a zero
state), and left untrained it writes a cluster of notes there.
"""

from __future__ import annotations

import torch

from stylegen.data.content import ContentSpec, content_features, without_harmony
from stylegen.data.roll import RollSpec


def drop_conditions(content: torch.Tensor, style: torch.Tensor, cspec: ContentSpec, null_style: int,
                    style_dropout: float, harmony_dropout: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Withhold the harmony of a random share of windows and the style of another."""
    B = style.shape[0]
    drop_h = torch.rand(B) < harmony_dropout
    drop_s = torch.rand(B) < style_dropout
    if drop_h.any():
        content = content.clone()
        content[drop_h.to(content.device)] = without_harmony(content[drop_h.to(content.device)], cspec)
    style = torch.where(drop_s.to(style.device), torch.full_like(style, null_style), style)
    return content, style


def likelihood_loss(G, batch: dict, spec: RollSpec, cspec: ContentSpec, ctx: int, style_dropout: float = 0.0,
                    harmony_dropout: float = 0.0, device=None) -> tuple[torch.Tensor, dict[str, float]]:
    """Mean NLL in nats per frame of the scored steps, and the values to log."""
    roll = batch["roll"].to(device)  # (B, 2, C+T, P)
    pos = batch["pos"].to(device)  # (B, C+T)
    style = batch["style"].to(device)  # (B,)
    content = content_features(roll, pos, spec, cspec)  # (B, C+T, D)
    plan = G.encode_plan(roll, pos)  # (B, N)
    content, style = drop_conditions(content, style, cspec, G.null_style, style_dropout, harmony_dropout)
    lp = G.log_prob(roll, content, style, plan)  # (B, C+T)
    scored = scored_steps(batch["start"].to(lp.device), lp.shape[1], ctx)  # (B, C+T)
    nll = -(lp * scored).sum() / scored.sum()
    plan_nll = -G.plan_log_prob(plan, content, style).mean()
    return nll + plan_nll * plan.shape[1] / scored.sum(1).mean(), {"loss/nll": nll.item(), "loss/plan_nll": plan_nll.item()}


def scored_steps(start: torch.Tensor, length: int, ctx: int) -> torch.Tensor:
    """(B, length) float mask: steps from ``ctx`` on, and every step of a window that
    starts at its piece's first step (start == 0)."""
    t = torch.arange(length, device=start.device)
    return ((t[None] >= ctx) | (start[:, None] == 0)).float()


@torch.no_grad()
def nll_per_style(G, batch: dict, spec: RollSpec, cspec: ContentSpec, ctx: int, n_styles: int,
                  device=None) -> torch.Tensor:
    """(2, n_styles): mean NLL per frame of the scored steps (row 0) and of the plan per bar
    (row 1), with the true content, plan and style (NaN for a style without windows)."""
    roll, pos, style = batch["roll"].to(device), batch["pos"].to(device), batch["style"].to(device)
    content = content_features(roll, pos, spec, cspec)
    plan = G.encode_plan(roll, pos)
    per_window = -G.log_prob(roll, content, style, plan)[:, ctx:].mean(dim=1)  # (B,)
    per_plan = -G.plan_log_prob(plan, content, style).mean(dim=1)  # (B,)
    out = torch.full((2, n_styles), float("nan"))
    for s in range(n_styles):
        sel = style == s
        if sel.any():
            out[0, s], out[1, s] = per_window[sel].mean().cpu(), per_plan[sel].mean().cpu()
    return out
