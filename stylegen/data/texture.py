"""How a bar is played, without what it is: the texture plan the generator is given.

The generator hears the harmony of each bar (``data/content.py``); how the bar is *played*
(its rhythm, how many voices, how long the notes are, where on the keyboard the
accompaniment sits) is a per-bar texture code.  A code is the nearest of K centroids
(a vector-quantised codebook, fitted by k-means on real bars of every style) to the bar's
texture descriptor:

    roll (B, 2, T, P) + pos (B, T)  ──bar_descriptors──▶  (B, n_bars, DESC_DIM), bar ids (B, T)

    onsets    (bar_steps)  accompaniment onsets at each step of the bar, capped at 3, / 3
    sounding  (4)          accompaniment notes sounding, averaged per quarter of the bar, / 4
    register  (3)          mean accompaniment pitch (octaves from C4), its span (octaves),
                           the top voice's mean pitch above it (octaves)
    empty     (1)          1 where the bar's accompaniment is silent

"Accompaniment" is every note under the top voice (``content.top_voice``): the part that
transfer writes under a kept melody.  Pitch classes never enter the descriptor, so a bar
with the same rhythm and voicing over another chord has (nearly) the same descriptor;
only the register moves with the notes, by a fraction of a semitone over an octave scale.

The codes of a real window are what the generator is trained with (teacher forcing of the
plan); at transfer and composition a style-conditioned prior over codes proposes them
(``models/generator.py``), so the source piece's texture never reaches the output.
"""

from __future__ import annotations

import numpy as np
import torch

from stylegen.data.content import top_voice
from stylegen.data.roll import ONSET_CH, SUSTAIN_CH

ONSET_CAP, SOUND_CAP = 3.0, 4.0
REGISTER_WEIGHT = 1.0  # an octave of register counts as much as a step of rhythm in the distance


def descriptor_dim(bar_steps: int) -> int:
    return bar_steps + 4 + 3 + 1


def bar_ids(pos: torch.Tensor) -> torch.Tensor:
    """(B, T) bar positions -> (B, T) long: index of each step's bar (a bar starts where
    pos == 0, and at step 0)."""
    starts = pos == 0  # a new tensor: safe to write into
    starts[..., 0] = True
    return torch.cumsum(starts.long(), dim=-1) - 1


def positions_from_content(content: torch.Tensor, bar_steps: int) -> torch.Tensor:
    """(B, T, D) content features -> (B, T) long bar positions (the one-hot at their end)."""
    return content[..., -bar_steps:].argmax(-1)


def bar_descriptors(roll: torch.Tensor, pos: torch.Tensor, bar_steps: int, lowest_pitch: int
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """roll (B, 2, T, P) 0/1, pos (B, T) -> descriptors (B, n_bars, DESC_DIM), ids (B, T).

    ``n_bars`` is the largest bar count of the batch; bars a window does not have are zeros."""
    B, _, T, P = roll.shape
    ids = bar_ids(pos)  # (B, T)
    n = int(ids.max().item()) + 1 if T else 1
    top = top_voice(roll)  # (B, T, P)
    on = (roll[:, ONSET_CH] > 0.5) & ~top
    sus = (roll[:, SUSTAIN_CH] > 0.5) & ~top
    n_on = on.sum(-1).float().clamp(max=ONSET_CAP) / ONSET_CAP  # (B, T)
    n_sus = sus.sum(-1).float().clamp(max=SOUND_CAP) / SOUND_CAP  # (B, T)
    p = pos.clamp(0, bar_steps - 1)
    onsets = torch.zeros(B, n, bar_steps, device=roll.device)
    onsets.view(B, n * bar_steps).scatter_add_(1, ids * bar_steps + p, n_on)
    quarter = (p * 4) // bar_steps  # (B, T) 0..3
    sounding = torch.zeros(B, n, 4, device=roll.device).view(B, n * 4)
    counts = torch.zeros_like(sounding)
    sounding.scatter_add_(1, ids * 4 + quarter, n_sus)
    counts.scatter_add_(1, ids * 4 + quarter, torch.ones_like(n_sus))
    sounding = (sounding / counts.clamp_min(1)).view(B, n, 4)
    pitch = (torch.arange(P, device=roll.device, dtype=torch.float32) + lowest_pitch - 60) / 12  # octaves from C4
    acc_sum = _bar_sum((sus.float() * pitch).sum(-1), ids, n)  # (B, n)
    acc_n = _bar_sum(sus.float().sum(-1), ids, n)
    mean = acc_sum / acc_n.clamp_min(1)
    big = torch.tensor(1e4, device=roll.device)
    hi = _bar_max(torch.where(sus, pitch, -big).amax(-1), ids, n)
    lo = -_bar_max(torch.where(sus, -pitch, -big).amax(-1), ids, n)
    empty = (acc_n == 0).float()
    span = torch.where(empty > 0, torch.zeros_like(hi), hi - lo)
    top_sum = _bar_sum((top.float() * pitch).sum(-1), ids, n)
    top_n = _bar_sum(top.float().sum(-1), ids, n)
    above = torch.where((top_n > 0) & (empty == 0), top_sum / top_n.clamp_min(1) - mean, torch.zeros_like(mean))
    mean = torch.where(empty > 0, torch.zeros_like(mean), mean)
    register = torch.stack([mean, span, above], -1) * REGISTER_WEIGHT
    return torch.cat([onsets, sounding, register, empty[..., None]], dim=-1), ids


def _bar_sum(x: torch.Tensor, ids: torch.Tensor, n: int) -> torch.Tensor:
    return x.new_zeros(x.shape[0], n).scatter_add_(1, ids, x)


def _bar_max(x: torch.Tensor, ids: torch.Tensor, n: int) -> torch.Tensor:
    out = x.new_full((x.shape[0], n), -1e4)
    return out.scatter_reduce_(1, ids, x, reduce="amax")


def assign_codes(desc: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """(..., DESC_DIM) descriptors, (K, DESC_DIM) centroids -> (...) long: the nearest code."""
    flat = desc.reshape(-1, desc.shape[-1])
    d = torch.cdist(flat.float(), codebook.float())
    return d.argmin(-1).reshape(desc.shape[:-1])


def step_codes(codes: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """(B, n_bars) codes, (B, T) bar ids -> (B, T) each step's bar code."""
    return codes.gather(1, ids)


def fit_codebook(desc: np.ndarray, k: int, iters: int = 25, seed: int = 0) -> np.ndarray:
    """k-means++ then Lloyd iterations: (N, DESC_DIM) real bars -> (k, DESC_DIM) centroids.

    Deterministic for a seed.  With fewer distinct bars than ``k`` the extra centroids
    repeat existing ones (never chosen twice by ``assign_codes``' argmin: harmless)."""
    x = torch.from_numpy(np.asarray(desc, dtype=np.float32))
    g = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    if n == 0:
        raise ValueError("no bars to fit the texture codebook on")
    centers = [x[torch.randint(n, (1,), generator=g)].squeeze(0)]
    d2 = ((x - centers[0]) ** 2).sum(-1)
    for _ in range(1, k):
        if float(d2.sum()) <= 0:
            centers.append(centers[-1].clone())
            continue
        i = torch.multinomial(d2 / d2.sum(), 1, generator=g)
        centers.append(x[i].squeeze(0))
        d2 = torch.minimum(d2, ((x - centers[-1]) ** 2).sum(-1))
    c = torch.stack(centers)
    for _ in range(iters):
        a = torch.cdist(x, c).argmin(-1)
        sums = torch.zeros_like(c).index_add_(0, a, x)
        cnt = torch.bincount(a, minlength=k).float()[:, None]
        c = torch.where(cnt > 0, sums / cnt.clamp_min(1), c)
    return c.numpy()

