"""Cheap window-level metrics for use inside training (no MIDI, no muspy).

    window_metrics(inputs, outputs, targets, spec, classifier=None) -> {name: float}

on a batch of rolls: ``inputs`` and ``outputs`` are (B, 2, T, P) tensors (bools or
probabilities, thresholded at 0.5), ``targets`` (B,) the target style of each output as
an index into the classifier's styles (-1: not judged).  The names are the ones the full
report uses for the same quantity, so ``combined_score`` works on either:

    strength/target_share   share of output windows the classifier calls the target style
    strength/target_prob    mean probability of the target style
    content/chroma          per-bar chroma cosine (bars of 4 beats inside the window; a bar
                            silent in both skipped, silent in one scores 0), mean over bars
    content/onset_f1        onset F1 of the onset steps, per window, mean over windows
    content/onset_pc_f1     the same for (step, pitch class) onsets
"""

from __future__ import annotations

import math

import torch

from stylegen.data.roll import ONSET_CH, SUSTAIN_CH, RollSpec, canonical_roll

BAR_BEATS = 4


def _binary(x: torch.Tensor, threshold: float) -> torch.Tensor:
    return (x > threshold) if x.dtype != torch.bool else x


def _pc_matrix(spec: RollSpec, device) -> torch.Tensor:
    """(P, 12) one-hot map from roll rows to pitch classes."""
    pcs = (torch.arange(spec.n_pitches, device=device) + spec.lowest_pitch) % 12
    return torch.nn.functional.one_hot(pcs, 12).float()


def _f1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-row F1 of two boolean sets (B, N): NaN where both are empty."""
    inter = (a & b).flatten(1).sum(1).float()
    total = a.flatten(1).sum(1).float() + b.flatten(1).sum(1).float()
    return torch.where(total > 0, 2 * inter / total.clamp_min(1), torch.full_like(total, math.nan))


def _nanmean(x: torch.Tensor) -> float:
    x = x[torch.isfinite(x)]
    return float(x.mean()) if x.numel() else math.nan


@torch.no_grad()
def window_metrics(inputs: torch.Tensor, outputs: torch.Tensor, targets, spec: RollSpec, classifier=None,
                   threshold: float = 0.5) -> dict[str, float]:
    """Strength (when a classifier is given) and content of a batch of transferred windows."""
    if inputs.shape != outputs.shape or inputs.dim() != 4:
        raise ValueError(f"inputs and outputs must both be (B, 2, T, P), got {tuple(inputs.shape)} and "
                         f"{tuple(outputs.shape)}")
    # judge what a MIDI file of each window holds: raw network rolls can carry cells no real
    # roll has (sustain without onset, ...) that fool a classifier (data/roll.py canonical_roll)
    x = canonical_roll(_binary(inputs, threshold).float()) > 0.5
    y = canonical_roll(_binary(outputs, threshold).float()) > 0.5
    B, _, T, P = x.shape
    out: dict[str, float] = {}
    if classifier is not None:
        t = torch.as_tensor(targets, dtype=torch.long).reshape(-1).cpu()
        judged = t >= 0
        if judged.any():
            probs = classifier.probs(y[judged.to(y.device)].float())  # (B', S) on CPU
            tj = t[judged]
            out["strength/target_share"] = float((probs.argmax(1) == tj).float().mean())
            out["strength/target_prob"] = float(probs.gather(1, tj[:, None]).mean())
        else:
            out["strength/target_share"] = out["strength/target_prob"] = math.nan
    # chroma per bar: (B, T, P) sustain -> (B, n_bars, 12)
    pcm = _pc_matrix(spec, x.device)
    bar = BAR_BEATS * spec.resolution
    n_bars = max(1, math.ceil(T / bar))
    pad = n_bars * bar - T

    def chroma(r: torch.Tensor) -> torch.Tensor:
        s = r[:, SUSTAIN_CH].float() @ pcm  # (B, T, 12)
        s = torch.nn.functional.pad(s, (0, 0, 0, pad))
        return s.reshape(B, n_bars, bar, 12).sum(2)  # (B, n_bars, 12)

    a, b = chroma(x), chroma(y)
    na, nb = a.norm(dim=2), b.norm(dim=2)
    keep = (na > 0) | (nb > 0)
    cos = (a * b).sum(2) / (na * nb).clamp_min(1e-12)
    cos = torch.where((na > 0) & (nb > 0), cos, torch.zeros_like(cos))
    out["content/chroma"] = float(cos[keep].mean()) if keep.any() else math.nan
    # onsets: (B, T) and (B, T, 12)
    on_x, on_y = x[:, ONSET_CH], y[:, ONSET_CH]  # (B, T, P)
    out["content/onset_f1"] = _nanmean(_f1(on_x.any(2), on_y.any(2)))
    out["content/onset_pc_f1"] = _nanmean(_f1((on_x.float() @ pcm) > 0, (on_y.float() @ pcm) > 0))
    return out
