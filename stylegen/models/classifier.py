"""The style classifier: the judge of transfer strength (separate from the GAN's discriminator).

A small CNN over piano-roll windows (B, 2, T, P) -> (B, n_styles) logits.  It is trained
on real windows only (training/classifier_training.py) and used by metrics/strength.py to say
which style a piece (or a transferred piece) sounds like.

Layout (C = ``channels``):

    x (B, 2, T, P)              onset + sustain rolls, values in [0, 1]
    + N(0, input_noise^2)       training only: the CycleGAN paper's sigma_C, so that the
                                judge is not thrown by the soft/noisy rolls a generator makes
    block 1: conv (4, 13) stride (2, 2) 2->C     -> (B, C, T/2, P/2)
             an octave-wide pitch kernel sees chord shapes and intervals; the stride keeps
             the big first activation small (this judge must train on a laptop CPU)
    block 2: conv (3, 3) C->2C, max-pool (2, 2)  -> (B, 2C, T/4, P/4)
    block 3: conv (3, 3) 2C->4C, max-pool (2, 1) -> (B, 4C, T/8, P/4)
    pitch:   adaptive average pool to ``pitch_bins`` register bands -> (B, 4C, T/8, K)
    time:    mean and max over time (any T >= MIN_STEPS)          -> (B, 8C, K)
    head:    dropout, linear 8C*K -> n_styles

Each conv is followed by batch norm (per-sample in eval mode) and a leaky ReLU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stylegen.models.registry import register

MIN_STEPS = 8  # three 2x poolings in time: shorter windows would pool to nothing


def _block(c_in: int, c_out: int, kernel: tuple[int, int], pool: tuple[int, int] | None,
           stride: tuple[int, int] = (1, 1), padding: tuple[int, int] | None = None) -> nn.Sequential:
    pad = padding if padding is not None else (kernel[0] // 2, kernel[1] // 2)
    layers = [nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=pad, bias=False),
              nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]
    if pool is not None:
        layers.append(nn.MaxPool2d(pool, ceil_mode=True))
    return nn.Sequential(*layers)


@register("classifier", "cnn")
class CNNClassifier(nn.Module):
    """Piano-roll windows (B, 2, T, P) -> style logits (B, n_styles)."""

    min_steps = MIN_STEPS

    def __init__(self, n_pitches: int = 84, n_styles: int = 3, channels: int = 16, dropout: float = 0.3,
                 input_noise: float = 0.1, in_channels: int = 2, pitch_bins: int = 7):
        super().__init__()
        if n_styles < 2:
            raise ValueError("a style classifier needs at least two styles")
        if n_pitches < 4 * pitch_bins:
            raise ValueError(f"n_pitches {n_pitches} is too small for {pitch_bins} pitch bins")
        self.n_pitches = n_pitches
        self.n_styles = n_styles
        self.input_noise = input_noise
        self.pitch_bins = pitch_bins
        C = channels
        self.features = nn.Sequential(
            _block(in_channels, C, (4, 13), None, stride=(2, 2), padding=(1, 6)),  # (B, C, T/2, P/2)
            _block(C, 2 * C, (3, 3), (2, 2)),  # (B, 2C, T/4, P/4)
            _block(2 * C, 4 * C, (3, 3), (2, 1)),  # (B, 4C, T/8, P/4)
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(8 * C * pitch_bins, n_styles)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 2, T, P) -> (B, 8C * pitch_bins) features (before the linear head)."""
        if x.dim() != 4 or x.shape[-1] != self.n_pitches:
            raise ValueError(f"expected rolls (B, C, T, {self.n_pitches}), got {tuple(x.shape)}")
        if x.shape[2] < MIN_STEPS:
            raise ValueError(f"windows need at least {MIN_STEPS} steps, got {x.shape[2]}")
        if self.training and self.input_noise > 0:
            x = x + self.input_noise * torch.randn_like(x)
        h = self.features(x)  # (B, 4C, T', P')
        h = F.adaptive_avg_pool2d(h, (h.shape[2], self.pitch_bins))  # (B, 4C, T', K)
        h = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)  # (B, 8C, K)
        return h.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 2, T, P) float rolls -> (B, n_styles) logits."""
        return self.head(self.dropout(self.embed(x)))
