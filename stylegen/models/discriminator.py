"""The style-conditioned CNN discriminator.

    roll (B, C, T, P) ─(+ Gaussian noise in training)─▶ 4 strided convs ─▶ (B, 4c, T/8, P/8)
        ─mean over time─▶ flatten over pitch ─▶ linear ─▶ h (B, F)
    adv   = w·h + <embed(style), h>   (projection conditioning, Miyato & Koyama 2018)
    style = aux(h)                    (auxiliary style classifier, trained on real rolls only;
                                       the generator's style loss reads it on generated rolls)

Every layer is spectrally normalised (Miyato et al. 2018), which keeps D Lipschitz and
the GAN stable without gradient penalties.  Pooling over time makes D work for any
window length T >= 8; the pitch axis keeps its layout (a note's register matters).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm as sn

from stylegen.models.registry import register
from stylegen.models.styles import grow_rows


@register("discriminator", "cnn")
class CNNDiscriminator(nn.Module):
    def __init__(
        self,
        n_pitches: int = 84,
        n_styles: int = 3,
        n_channels: int = 2,
        channels: int = 32,
        style_head: str = "projection",
        spectral_norm: bool = True,
        input_noise: float = 0.1,
        features: int = 256,
    ):
        super().__init__()
        if style_head not in ("projection", "auxiliary"):
            raise ValueError(f"style_head must be 'projection' or 'auxiliary', got {style_head!r}")
        wrap = sn if spectral_norm else (lambda m: m)
        c = channels
        self.style_head, self.input_noise, self.n_styles = style_head, input_noise, n_styles
        self._wrap = wrap
        self.convs = nn.ModuleList([
            wrap(nn.Conv2d(n_channels, c, (4, 12), stride=(2, 2), padding=(1, 5))),  # octave-wide pitch kernel
            wrap(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1)),
            wrap(nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1)),
            wrap(nn.Conv2d(4 * c, 4 * c, 3, stride=1, padding=1)),
        ])
        p = n_pitches
        for _ in range(3):
            p = (p + 2 - 4) // 2 + 1 if _ else (p + 10 - 12) // 2 + 1
        self.fc = wrap(nn.Linear(4 * c * p, features))
        self.adv = wrap(nn.Linear(features, 1))
        self.embed = wrap(nn.Embedding(n_styles, features)) if style_head == "projection" else None
        self.aux = wrap(nn.Linear(features, n_styles))

    @torch.no_grad()
    def add_styles(self, n: int) -> range:
        """``n`` new styles: a row more in the projection and the style head (each the mean of
        the others' rows), the spectral norm's power-iteration vectors carried over."""
        old = self.n_styles

        def grown(module: nn.Module, fresh: nn.Module) -> nn.Module:
            state = module.state_dict()
            rows = {k: grow_rows(v, n) if k.endswith((".original", "weight", "bias")) and v.shape[0] == old
                    else torch.cat([v, v.new_zeros(n)]) if k.endswith("._u") else v for k, v in state.items()}
            fresh.load_state_dict(rows)
            return fresh.to(next(module.parameters()).device).train(module.training)

        features = self.aux.in_features
        if self.embed is not None:
            self.embed = grown(self.embed, self._wrap(nn.Embedding(old + n, features)))
        self.aux = grown(self.aux, self._wrap(nn.Linear(features, old + n)))
        self.n_styles = old + n
        return range(old, old + n)

    def forward(self, roll: torch.Tensor, style: torch.Tensor | None = None) -> dict[str, torch.Tensor | list]:
        """roll (B, C, T, P); style (B,) long (needed for projection). Returns adv (B,),
        style_logits (B, S), features [per-layer activations] for feature matching."""
        x = roll
        if self.training and self.input_noise > 0:
            x = x + self.input_noise * torch.randn_like(x)
        feats = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
            feats.append(x)
        h = x.mean(dim=2).flatten(1)  # (B, 4c * P')
        h = F.leaky_relu(self.fc(h), 0.2)  # (B, F)
        adv = self.adv(h).squeeze(1)  # (B,)
        if self.embed is not None and style is not None:
            adv = adv + (self.embed(style) * h).sum(dim=1)
        return {"adv": adv, "style_logits": self.aux(h), "features": feats}
