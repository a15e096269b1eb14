"""Loudness: measure (ITU-R BS.1770), normalise, and peak-limit.

    measure_loudness(waveform, sample_rate) -> LUFS (NaN for silence)
    normalize_loudness(waveform, sample_rate, target=-16.0, peak_db=-1.0) -> (waveform, LUFS)
    limit_peaks(waveform, sample_rate, ceiling) -> waveform

Every render is brought to one integrated loudness so that renders of different pieces,
renderers and styles can be compared by ear, then limited so that no sample reaches the
ceiling (default -1 dBFS).

The meter is ``torchaudio.functional.loudness``'s BS.1770-4 algorithm (the same K-weighting
biquads, 400 ms blocks with 75 % overlap, -70 LUFS absolute and -10 LU relative gates, the
same channel weights), with the two biquads run by ``scipy.signal.sosfilt`` in float64.
The tests check it agrees with torchaudio to 0.01 LU.  Why not call torchaudio directly:
its ``lfilter`` runs the filters' FIR part through ``conv1d``, measured at 1.2-2.2 s per
biquad for 3 minutes of mono audio on this project's 2-core CPU (sosfilt: under 0.1 s), with
~370 MB of temporaries; and it clamps the filtered signal to [-1, 1], so audio louder than
full scale measures too quiet.  Audio shorter than one 400 ms block is measured padded
with silence.
"""

from __future__ import annotations

import math

import numpy as np
import torch

GATE_SECONDS = 0.4  # one BS.1770 gating block
OVERLAP = 0.75
ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU below the absolutely-gated loudness
CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)  # L, R, C, Ls, Rs
LOUDNESS_TOLERANCE = 0.2  # LU: close enough to the target to stop re-measuring after limiting


def _as_2d(waveform: torch.Tensor) -> torch.Tensor:
    w = torch.as_tensor(waveform, dtype=torch.float32)
    if w.dim() == 1:
        w = w.unsqueeze(0)
    if w.dim() != 2:
        raise ValueError(f"expected a (channels, samples) waveform, got shape {tuple(w.shape)}")
    return w


def db_to_gain(db: float) -> float:
    return 10.0 ** (db / 20.0)


def gain_to_db(gain: float) -> float:
    return 20.0 * math.log10(gain) if gain > 0 else float("-inf")


def peak_db(waveform: torch.Tensor) -> float:
    """Sample peak in dBFS (-inf for silence)."""
    w = _as_2d(waveform)
    return gain_to_db(float(w.abs().max())) if w.numel() else float("-inf")


def k_weighting_sos(sample_rate: int) -> np.ndarray:
    """BS.1770 K-weighting as two biquad sections (2, 6), with the parameters and RBJ
    cookbook formulas of torchaudio's ``treble_biquad(4 dB, 1500 Hz, Q 1/sqrt 2)`` and
    ``highpass_biquad(38 Hz, Q 0.5)``."""
    w0 = 2 * math.pi * 1500.0 / sample_rate
    alpha = math.sin(w0) / 2 / (1 / math.sqrt(2))
    A = math.exp(4.0 / 40 * math.log(10))
    t1, t2, t3 = 2 * math.sqrt(A) * alpha, (A - 1) * math.cos(w0), (A + 1) * math.cos(w0)
    shelf = [A * ((A + 1) + t2 + t1), -2 * A * ((A - 1) + t3), A * ((A + 1) + t2 - t1),
             (A + 1) - t2 + t1, 2 * ((A - 1) - t3), (A + 1) - t2 - t1]
    w0 = 2 * math.pi * 38.0 / sample_rate
    alpha = math.sin(w0) / 2.0 / 0.5
    c = math.cos(w0)
    highpass = [(1 + c) / 2, -1 - c, (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha]
    sos = np.array([shelf, highpass], dtype=np.float64)
    return np.concatenate([sos[:, :3] / sos[:, 3:4], sos[:, 3:] / sos[:, 3:4]], axis=1)


def measure_loudness(waveform: torch.Tensor, sample_rate: int) -> float:
    """Integrated loudness in LUFS of a (channels, samples) waveform, channels <= 5
    (ITU-R BS.1770-4 as ``torchaudio.functional.loudness``).  NaN for silence."""
    import scipy.signal  # heavy (seconds on a busy machine): imported when a loudness is measured

    w = _as_2d(waveform)
    if w.shape[0] > 5:
        raise ValueError(f"loudness is defined for up to 5 channels, got {w.shape[0]}")
    if not w.numel() or not bool(w.any()):
        return float("nan")
    if not bool(torch.isfinite(w).all()):
        raise ValueError("waveform contains inf or NaN")
    gate = int(round(GATE_SECONDS * sample_rate))
    step = int(round(gate * (1 - OVERLAP)))
    x = w.detach().cpu().numpy()
    if x.shape[1] < gate:
        x = np.pad(x, ((0, 0), (0, gate - x.shape[1])))
    y = scipy.signal.sosfilt(k_weighting_sos(sample_rate), x.astype(np.float64), axis=-1)  # (C, S) K-weighted
    np.square(y, out=y)
    n_blocks = (y.shape[1] - gate) // step + 1  # as torch's unfold(-1, gate, step)
    if gate == 4 * step:  # the usual rates: a block is 4 hops; sum per hop, then 4 neighbours
        hops = y[:, : (n_blocks + 3) * step].reshape(len(y), n_blocks + 3, step).sum(-1)  # (C, hops)
        energy = (hops[:, :-3] + hops[:, 1:-2] + hops[:, 2:-1] + hops[:, 3:]) / gate  # (C, blocks)
    else:
        cs = np.concatenate([np.zeros((len(y), 1)), np.cumsum(y, axis=1)], axis=1)  # (C, S + 1)
        starts = np.arange(n_blocks) * step
        energy = (cs[:, starts + gate] - cs[:, starts]) / gate  # (C, blocks) mean square per block
    g = np.array(CHANNEL_WEIGHTS[: len(y)])[:, None]
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10((g * energy).sum(0))  # (blocks,)
        gated = block_lufs > ABSOLUTE_GATE
        if not gated.any():
            return float("nan")
        relative = -0.691 + 10 * np.log10((g[:, 0] * energy[:, gated].mean(1)).sum()) + RELATIVE_GATE
        gated &= block_lufs > relative
        lufs = -0.691 + 10 * np.log10((g[:, 0] * energy[:, gated].mean(1)).sum())
    return float(lufs) if math.isfinite(lufs) else float("nan")


def limit_peaks(waveform: torch.Tensor, sample_rate: int, ceiling: float, *, inplace: bool = False) -> torch.Tensor:
    """A look-ahead peak limiter: after it no sample's magnitude exceeds ``ceiling``.

    The gain each ~1 ms block needs is spread by a minimum over +-10 ms, smoothed by a
    moving average and interpolated linearly per sample; that construction never lets the
    gain exceed what any sample needs, and moves it gradually (no clicks).  Channels share
    one gain (the stereo image stays).  Only the blocks near a peak are touched; audio
    below the ceiling is returned as is.  ``inplace`` scales ``waveform`` itself."""
    w = _as_2d(waveform)
    if w.numel() == 0 or float(w.abs().max()) <= ceiling:
        return w
    out = w if inplace else w.clone()
    n = w.shape[1]
    block = max(8, round(sample_rate * 0.001))
    radius = 10  # blocks
    n_blocks = -(-n // block)
    mag = torch.nn.functional.pad(w.abs().amax(0), (0, n_blocks * block - n))  # (blocks * block,)
    need = (ceiling / mag.view(n_blocks, block).amax(1).clamp_min(1e-12)).clamp(max=1.0)  # (blocks,)
    # minimum over +-radius blocks, then mean over +-(radius - 1): each smoothed value is
    # <= the need of its block and of both neighbours, so interpolating between neighbours is safe
    held = -torch.nn.functional.max_pool1d(-need.view(1, 1, -1), 2 * radius + 1, 1, radius)
    held = torch.nn.functional.pad(held, (radius - 1, radius - 1), mode="replicate")
    smooth = torch.nn.functional.avg_pool1d(held, 2 * radius - 1, 1).view(-1).to(torch.float64)  # (blocks,)
    # samples of a block interpolate between its value and a neighbour's: touch blocks next to a gain < 1
    low = smooth < 1.0
    near = low.clone()
    near[1:] |= low[:-1]
    near[:-1] |= low[1:]
    for blocks in torch.split(torch.nonzero(near).flatten(), 4096):  # (k,) a few seconds at a time
        idx = (blocks[:, None] * block + torch.arange(block)[None, :]).flatten()  # (k * block,) samples
        idx = idx[idx < n]
        pos = ((idx.to(torch.float64) + 0.5) / block - 0.5).clamp(0, n_blocks - 1)  # in blocks, as interpolate()
        lo = pos.floor().long()
        hi = (lo + 1).clamp(max=n_blocks - 1)
        frac = pos - lo
        out[:, idx] *= (smooth[lo] * (1 - frac) + smooth[hi] * frac).to(out.dtype)
    return out.clamp_(-ceiling, ceiling)  # float rounding only


def normalize_loudness(waveform: torch.Tensor, sample_rate: int, target: float | None = -16.0,
                       peak_db: float = -1.0, max_boost_db: float = 3.0) -> tuple[torch.Tensor, float]:
    """Bring a (channels, samples) waveform to ``target`` LUFS with no sample above ``peak_db``.

    Gain to the target, then the peak limiter; where limiting lowered the loudness, the gain
    is raised and the limiter run again (at most ``max_boost_db`` of such make-up gain, so
    dynamics are not crushed: a target that needs more ends up quieter, and the returned
    loudness says so).  ``target=None`` only limits peaks.  Silence stays silence (NaN
    loudness), never a division by zero.  Returns (waveform float32, loudness in LUFS).
    """
    w = _as_2d(waveform)
    ceiling = db_to_gain(peak_db)
    if w.numel() == 0 or float(w.abs().max()) == 0.0:
        return w.clone(), float("nan")
    if target is None:
        out = limit_peaks(w, sample_rate, ceiling)
        return out, measure_loudness(out, sample_rate)
    measured = measure_loudness(w, sample_rate)
    if not math.isnan(measured) and not math.isfinite(measured):
        raise ValueError("loudness of the waveform is not finite")
    if math.isnan(measured):  # not silent, yet every block below the -70 LUFS gate: leave as is
        return limit_peaks(w, sample_rate, ceiling), measured
    gain_db = target - measured
    loudness = target
    for _ in range(4):
        out = w * db_to_gain(gain_db)
        if float(out.abs().max()) <= ceiling:  # nothing to limit: the gain is exact
            loudness = measured + gain_db
            break
        out = limit_peaks(out, sample_rate, ceiling, inplace=True)
        loudness = measure_loudness(out, sample_rate)
        shortfall = target - loudness
        if abs(shortfall) < LOUDNESS_TOLERANCE or gain_db >= target - measured + max_boost_db:
            break
        gain_db = min(gain_db + shortfall, target - measured + max_boost_db)
    return out, loudness
