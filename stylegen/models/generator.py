"""The style-conditioned LSTM generator.

It reads a content roll (the piece to re-write) and per-step noise, and writes a roll of
the same length in the target style.  It is causal: step t sees content[:t+1], so it can
run step by step (``state`` carries the LSTM memory between calls) for streaming input and
for pieces of any length.

    content (B, C, T, P) ──frame encoder──▶ (B, T, E) ─┐
    noise   (B, T, Z) ────────────────────────────────┼─▶ concat ─▶ LSTM ─▶ (B, T, H)
    style   (B,) or (B, S) weights ──embedding──▶ s ──┘ (every step)        │
                                              s ──FiLM(h)──▶ head ─▶ delta logits (B, C, T, P)
    logits = delta + gain[c] * (2 * content - 1)          (a learned skip from the input)

The style reaches every step twice: concatenated to the LSTM input and as a FiLM
(scale, shift) on the LSTM output.  The skip makes "copy the input" the starting point,
so the network learns what to change; with an empty content roll the skip says "silence"
and the LSTM composes from noise alone (``generate``).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from stylegen.models.registry import register

State = tuple[torch.Tensor, torch.Tensor]  # LSTM (h, c), each (num_layers, B, H)


@register("generator", "lstm")
class LSTMGenerator(nn.Module):
    def __init__(
        self,
        n_pitches: int = 84,
        n_styles: int = 3,
        n_channels: int = 2,
        hidden_size: int = 256,
        num_layers: int = 2,
        style_dim: int = 32,
        noise_dim: int = 16,
        content_dim: int = 256,
        dropout: float = 0.1,
    ):
        super().__init__()
        self.n_pitches, self.n_styles, self.n_channels = n_pitches, n_styles, n_channels
        self.noise_dim, self.hidden_size, self.num_layers = noise_dim, hidden_size, num_layers
        frame = n_channels * n_pitches
        self.style = nn.Embedding(n_styles, style_dim)
        self.encode = nn.Sequential(nn.Linear(frame, content_dim), nn.GELU(), nn.Linear(content_dim, content_dim))
        self.lstm = nn.LSTM(content_dim + noise_dim + style_dim, hidden_size, num_layers=num_layers,
                            batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.film = nn.Linear(style_dim, 2 * hidden_size)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, frame)
        self.gain = nn.Parameter(torch.full((n_channels,), 3.0))  # skip strength per channel
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        nn.init.normal_(self.head.weight, std=0.01)
        nn.init.constant_(self.head.bias, 0.0)

    def style_vector(self, style: torch.Tensor) -> torch.Tensor:
        """(B,) style ids or (B, S) mixture weights -> (B, style_dim)."""
        if style.dtype in (torch.int64, torch.int32):
            return self.style(style)
        return style.to(self.style.weight.dtype) @ self.style.weight

    def init_state(self, batch: int, device: torch.device | str = "cpu") -> State:
        z = torch.zeros(self.num_layers, batch, self.hidden_size, device=device)
        return (z, z.clone())

    def forward(
        self,
        content: torch.Tensor,  # (B, C, T, P) in [0, 1]
        style: torch.Tensor,  # (B,) long, or (B, S) float weights
        noise: torch.Tensor | None = None,  # (B, T, Z); sampled when None
        state: State | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, State]:
        B, C, T, P = content.shape
        x = content.permute(0, 2, 1, 3).reshape(B, T, C * P)  # (B, T, C*P)
        s = self.style_vector(style)  # (B, style_dim)
        if noise is None:
            noise = torch.randn(B, T, self.noise_dim, device=content.device, dtype=content.dtype, generator=generator)
        inp = torch.cat([self.encode(x), noise, s[:, None, :].expand(B, T, s.shape[-1])], dim=-1)  # (B, T, E+Z+S)
        h, state = self.lstm(inp, state)  # (B, T, H)
        scale, shift = self.film(s).chunk(2, dim=-1)  # (B, H) each
        h = F.gelu(h * (1 + scale[:, None]) + shift[:, None])
        delta = self.head(self.drop(h)).reshape(B, T, C, P).permute(0, 2, 1, 3)  # (B, C, T, P)
        logits = delta + self.gain.view(1, C, 1, 1) * (2 * content - 1)
        return logits, state
