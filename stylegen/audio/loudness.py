"""Loudness: measure (ITU-R BS.1770 via torchaudio), normalise, and peak-limit.

    measure_loudness(waveform, sample_rate) -> LUFS (NaN for silence)
    normalize_loudness(waveform, sample_rate, target=-16.0, peak_db=-1.0) -> (waveform, LUFS)
    limit_peaks(waveform, sample_rate, ceiling) -> waveform

Every render is brought to one integrated loudness so that renders of different pieces,
renderers and styles can be compared by ear, then limited so that no sample reaches the
ceiling (default -1 dBFS).  Two details of ``torchaudio.functional.loudness`` are handled
here: its K-weighting filters clamp their output to [-1, 1] (so a loud input measures too
quiet: we measure a copy scaled to a 0.25 peak and add the gain back), and it needs at
least one 400 ms gating block (shorter audio is measured padded with silence).
"""

from __future__ import annotations

import math

import torch

MEASURE_PEAK = 0.25  # peak of the copy that torchaudio measures (K-weighting boosts highs by <= 4 dB)
GATE_SECONDS = 0.4  # one BS.1770 gating block


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


def measure_loudness(waveform: torch.Tensor, sample_rate: int) -> float:
    """Integrated loudness in LUFS of a (channels, samples) waveform, channels <= 5
    (ITU-R BS.1770-4, ``torchaudio.functional.loudness``).  NaN for silence."""
    import torchaudio.functional as AF

    w = _as_2d(waveform)
    if w.shape[0] > 5:
        raise ValueError(f"loudness is defined for up to 5 channels, got {w.shape[0]}")
    peak = float(w.abs().max()) if w.numel() else 0.0
    if not math.isfinite(peak):
        raise ValueError("waveform contains inf or NaN")
    if peak == 0.0:
        return float("nan")
    scale = MEASURE_PEAK / peak
    gate = int(round(GATE_SECONDS * sample_rate))
    if w.shape[1] < gate:
        w = torch.nn.functional.pad(w, (0, gate - w.shape[1]))
    lufs = float(AF.loudness(w * scale, sample_rate)) - gain_to_db(scale)
    return lufs if math.isfinite(lufs) else float("nan")


def limit_peaks(waveform: torch.Tensor, sample_rate: int, ceiling: float) -> torch.Tensor:
    """A look-ahead peak limiter: after it no sample's magnitude exceeds ``ceiling``.

    The gain each ~1 ms block needs is spread by a minimum over +-10 ms, smoothed by a
    moving average and interpolated per sample; that construction never lets the gain
    exceed what any sample needs, and moves it gradually (no clicks).  Channels share
    one gain (the stereo image stays).  Audio that is below the ceiling is returned as is.
    """
    w = _as_2d(waveform)
    if w.numel() == 0 or float(w.abs().max()) <= ceiling:
        return w
    n = w.shape[1]
    block = max(8, round(sample_rate * 0.001))
    radius = 10  # blocks
    n_blocks = -(-n // block)
    mag = torch.nn.functional.pad(w.abs().amax(0), (0, n_blocks * block - n))  # (B * block,)
    need = (ceiling / mag.view(n_blocks, block).amax(1).clamp_min(1e-12)).clamp(max=1.0)  # (B,)
    # minimum over +-radius blocks, then mean over +-(radius - 1): each smoothed value is
    # <= the need of its block and both neighbours, so interpolating between neighbours is safe
    held = -torch.nn.functional.max_pool1d(-need.view(1, 1, -1), 2 * radius + 1, 1, radius, ceil_mode=False)
    held = torch.nn.functional.pad(held, (radius - 1, radius - 1), mode="replicate")
    smooth = torch.nn.functional.avg_pool1d(held, 2 * radius - 1, 1)  # (1, 1, B)
    gain = torch.nn.functional.interpolate(smooth, size=n_blocks * block, mode="linear", align_corners=False)
    out = w * gain.view(-1)[:n]
    return out.clamp(-ceiling, ceiling)  # float rounding only


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
        out = limit_peaks(out, sample_rate, ceiling)
        loudness = measure_loudness(out, sample_rate)
        shortfall = target - loudness
        if abs(shortfall) < 0.1 or gain_db >= target - measured + max_boost_db:
            break
        gain_db = min(gain_db + shortfall, target - measured + max_boost_db)
    return out, loudness
