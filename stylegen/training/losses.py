"""GAN losses.  Each takes D's raw scores (B,) and returns a scalar.

    hinge          D: relu(1 - real) + relu(1 + fake)      G: -fake
    lsgan          D: (real - 1)^2 + fake^2                G: (fake - 1)^2
    nonsaturating  D: softplus(-real) + softplus(fake)     G: softplus(-fake)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

ADVERSARIAL = ("hinge", "lsgan", "nonsaturating")


def d_loss(real: torch.Tensor, fake: torch.Tensor, kind: str = "hinge") -> torch.Tensor:
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if kind == "lsgan":
        return ((real - 1) ** 2).mean() + (fake ** 2).mean()
    if kind == "nonsaturating":
        return F.softplus(-real).mean() + F.softplus(fake).mean()
    raise ValueError(f"unknown adversarial loss {kind!r} (known: {', '.join(ADVERSARIAL)})")


def g_loss(fake: torch.Tensor, kind: str = "hinge") -> torch.Tensor:
    if kind == "hinge":
        return -fake.mean()
    if kind == "lsgan":
        return ((fake - 1) ** 2).mean()
    if kind == "nonsaturating":
        return F.softplus(-fake).mean()
    raise ValueError(f"unknown adversarial loss {kind!r} (known: {', '.join(ADVERSARIAL)})")


def reconstruction(logits: torch.Tensor, target: torch.Tensor, pos_weight: float = 1.0) -> torch.Tensor:
    """BCE between generator logits (B, C, T, P) and a binary roll; notes are sparse (~3% of
    cells), so positives weigh ``pos_weight`` times more."""
    w = torch.tensor(pos_weight, device=logits.device, dtype=logits.dtype)
    return F.binary_cross_entropy_with_logits(logits, target, pos_weight=w)


def feature_matching(real_feats: list[torch.Tensor], fake_feats: list[torch.Tensor]) -> torch.Tensor:
    """L1 between the batch means of D's intermediate activations on real and fake rolls."""
    loss = real_feats[0].new_zeros(())
    for r, f in zip(real_feats, fake_feats):
        loss = loss + (r.detach().mean(0) - f.mean(0)).abs().mean()
    return loss / max(1, len(real_feats))


def straight_through(logits: torch.Tensor) -> torch.Tensor:
    """Binary rolls for D with the gradient of the probabilities: forward is (p > 0.5), the
    backward pass sees p = sigmoid(logits).  D thus only ever sees binary rolls, as the user
    gets after decoding, and cannot tell real from fake by 'is it exactly 0/1'."""
    p = torch.sigmoid(logits)
    hard = (p > 0.5).to(p.dtype)
    return hard + p - p.detach()
