"""The built-in synthesiser: a piano-like additive voice and noise-burst drums, in torch.

Used when no soundfont is installed, so audio comes out on a fresh machine.  Every note is
a sum of ``partials`` slightly stretched harmonics (piano strings are stiff:
``f_h = h f0 sqrt(1 + B h^2)``), each decaying exponentially, higher partials faster,
with a short attack ramp, a "prompt" component that fades in the first ~0.1 s (the
percussive start of a piano note), and a damper release after the note-off.  Velocity
sets both level (``(v/127)^2``) and brightness (loud notes have stronger upper partials).
Partials at or above 0.45 x the sample rate are dropped, so nothing aliases at any rate.
All tracks use this one voice; MIDI programs are ignored.

Drums are noise bursts (white to high-passed) and pitch-swept sines (kick, toms), one
recipe per General MIDI drum key (see ``_drum_table``); every hit of a key is the same
seeded sample, scaled by velocity, like a drum machine.

How it is fast: like a sampler.  For each key that is played, the sustained tone is
computed once (partials x time, float64 phases so long notes stay in tune) at four timbre
layers (velocity 32, 64, 95, 127); a note is then a crossfade of two layers times its gain
and damper curve.  Notes of one key are grouped by length and rendered as a padded
(notes, time) block, added into the output with ``index_add_``; no Python loop runs per
sample or per note.  No note sounds longer than the time its fundamental takes to fall
60 dB, plus the release, so a held bass note costs a few seconds of samples at most.

    synthesize(seconds_on, seconds_off, pitch, velocity, sample_rate, ...) -> (1, samples)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

CHUNK_SAMPLES = 1 << 20  # samples in one (notes, time) block (~4 MB per float32 temporary)


@dataclass(frozen=True)
class PianoVoice:
    """Parameters of the built-in piano-like voice (times in seconds)."""

    partials: int = 8
    attack: float = 0.003  # linear ramp at the onset (no click)
    release: float = 0.2  # damper: the note fades to zero this long after its note-off
    decay_c4: float = 2.4  # time constant of the fundamental of middle C
    decay_per_octave: float = 0.62  # the time constant is multiplied by this per octave up
    partial_decay: float = 0.45  # partial h decays (1 + partial_decay (h - 1)) times faster
    inharmonicity_c4: float = 3e-4  # string stiffness B at middle C, doubling every 19 semitones
    prompt: float = 1.5  # extra level at the onset, fading with ...
    prompt_time: float = 0.06  # ... this time constant
    rolloff_hz: float = 5000.0  # gentle low-pass on the partials (1 / (1 + (f/rolloff)^2))
    max_sustain: float = 12.0  # no note sounds longer than this (plus release)


@dataclass(frozen=True)
class _Drum:
    tone_hz: float = 0.0  # final frequency of the swept sine (0: no tone)
    sweep_hz: float = 0.0  # extra frequency at the onset, falling with time constant 30 ms
    tone_decay: float = 0.1
    tone_level: float = 0.0
    noise_decay: float = 0.05
    noise_level: float = 0.0
    brightness: float = 0.5  # 0: white noise, 1: differentiated (high-passed) noise


def _drum_table() -> dict[int, _Drum]:
    """General MIDI percussion keys -> a recipe; keys not listed use a short mid noise."""
    kick = _Drum(tone_hz=50, sweep_hz=110, tone_decay=0.16, tone_level=1.0, noise_decay=0.01, noise_level=0.15)
    snare = _Drum(tone_hz=185, sweep_hz=40, tone_decay=0.05, tone_level=0.45, noise_decay=0.08, noise_level=0.8,
                  brightness=0.45)
    table = {35: kick, 36: kick, 38: snare, 40: snare,
             37: _Drum(noise_decay=0.02, noise_level=0.6, brightness=0.8, tone_hz=400, tone_decay=0.01, tone_level=0.3),
             39: _Drum(noise_decay=0.06, noise_level=0.8, brightness=0.6)}  # side stick, clap
    for key, hz in ((41, 75), (43, 90), (45, 110), (47, 130), (48, 150), (50, 175)):  # toms
        table[key] = _Drum(tone_hz=hz, sweep_hz=hz * 0.6, tone_decay=0.2, tone_level=0.9, noise_decay=0.02,
                           noise_level=0.2)
    for key in (42, 44):  # closed / pedal hi-hat
        table[key] = _Drum(noise_decay=0.035, noise_level=0.45, brightness=1.0)
    table[46] = _Drum(noise_decay=0.22, noise_level=0.4, brightness=1.0)  # open hi-hat
    for key in (49, 52, 55, 57):  # crash, china, splash
        table[key] = _Drum(noise_decay=0.7, noise_level=0.35, brightness=0.95)
    for key in (51, 53, 59):  # ride
        table[key] = _Drum(noise_decay=0.3, noise_level=0.25, brightness=1.0, tone_hz=3200, tone_decay=0.3,
                           tone_level=0.05)
    return table


_DRUMS = _drum_table()
_OTHER_DRUM = _Drum(noise_decay=0.05, noise_level=0.4, brightness=0.7)
DRUM_LEVEL = 0.5  # drums relative to a piano note of the same velocity


LAYERS = torch.tensor([0.25, 0.5, 0.75, 1.0], dtype=torch.float64)  # velocity/127 of the timbre layers


def _piano_templates(pitch: int, n_samples: int, phase: torch.Tensor, sr: int, v: PianoVoice) -> torch.Tensor:
    """The sustained tone of one key at each timbre layer, before velocity gain and damper.

    Returns (len(LAYERS), n_samples) float32: partials (stretched harmonics, each with its
    own decay) weighted by the layer's spectral slope, times attack and prompt envelope."""
    f0 = 440.0 * 2.0 ** ((pitch - 69) / 12.0)
    octaves = (pitch - 60) / 12.0
    rate1 = 1.0 / (v.decay_c4 * v.decay_per_octave**octaves)  # 1/s, decay rate of the fundamental
    stiffness = v.inharmonicity_c4 * 2.0 ** ((pitch - 60) / 19.0)
    h = torch.arange(1, v.partials + 1, dtype=torch.float64)  # (H,)
    fh = h * f0 * torch.sqrt(1.0 + stiffness * h * h)  # (H,) Hz
    keep = fh < 0.45 * sr  # band limit: nothing aliases
    h, fh, phase = h[keep], fh[keep], phase[keep]
    t_idx = torch.arange(n_samples, dtype=torch.float64)  # (T,)
    t = (t_idx / sr).to(torch.float32)
    # phase in cycles in float64 (long notes stay in tune), wrapped to [0, 1) before sin
    cyc = t_idx[None, :] * (fh / sr)[:, None] + phase[:, None]  # (H, T)
    cyc = (cyc - torch.floor(cyc)).to(torch.float32)
    rates = (rate1 * (1.0 + v.partial_decay * (h - 1.0))).to(torch.float32)  # (H,)
    partials = torch.sin(2 * math.pi * cyc) * torch.exp(-t[None, :] * rates[:, None])  # (H, T)
    slope = 1.7 - 0.9 * LAYERS  # (L,) loud layers are brighter
    weights = h[None, :] ** (-slope[:, None]) / (1.0 + (fh[None, :] / v.rolloff_hz) ** 2)  # (L, H)
    env = torch.clamp(t / v.attack, max=1.0) * (1.0 + v.prompt * torch.exp(-t / v.prompt_time)) / (1.0 + v.prompt)
    return (weights.to(torch.float32) @ partials) * env[None, :]  # (L, T)


def _groups(lengths: np.ndarray, limit: int = CHUNK_SAMPLES, slack: float = 1.25):
    """Split note indices, sorted by length, into groups rendered as one padded (n, width)
    block: the longest note of a group is at most ``slack`` times its shortest, and a
    block holds at most about ``limit`` samples."""
    order = np.argsort(lengths, kind="stable")
    i = 0
    while i < len(order):
        shortest = lengths[order[i]]
        j = i + 1
        while j < len(order) and lengths[order[j]] <= slack * shortest and (j + 1 - i) * lengths[order[j]] <= limit:
            j += 1
        yield order[i:j]
        i = j


def _piano_key(out: torch.Tensor, pitch: int, start: np.ndarray, length: np.ndarray, hold: np.ndarray,
               vel: np.ndarray, phase: torch.Tensor, sr: int, v: PianoVoice) -> None:
    """Add every note of one key into ``out`` (samples + padding,).  Per-note arrays are
    (n,) int64; ``hold`` is samples from onset to damper; ``phase`` (partials,) in cycles."""
    n_layers = len(LAYERS)
    width = int(length.max())
    templates = _piano_templates(pitch, width, phase, sr, v)  # (L, width)
    loud = torch.from_numpy(vel).to(torch.float64) / 127.0
    pos = ((loud - LAYERS[0]) / (LAYERS[1] - LAYERS[0])).clamp(0, n_layers - 1)  # position among layers
    lower = pos.floor().clamp(max=n_layers - 2)
    w = pos - lower  # (n,) crossfade to the layer above
    gain = loud**2
    a, b = (gain * (1 - w)).to(torch.float32), (gain * w).to(torch.float32)
    lower = lower.long()
    n_rel = max(1, round(v.release * sr))
    damper = (1.0 - torch.arange(n_rel + 1, dtype=torch.float32) / n_rel) ** 3  # (R+1,) cubic fade to 0
    start_t, hold_t = torch.from_numpy(start), torch.from_numpy(hold)
    for sel in _groups(length):
        sel = torch.from_numpy(sel)
        span = int(length[sel.numpy()].max())
        t = torch.arange(span)  # (T,)
        lo = lower.index_select(0, sel)
        head = templates[:, :span]  # (L, T) view
        y = a.index_select(0, sel)[:, None] * head.index_select(0, lo)  # (n, T)
        y += b.index_select(0, sel)[:, None] * head.index_select(0, lo + 1)
        # damper: 1 until the hold, cubic fade over n_rel samples, 0 after (padding included)
        y *= damper.index_select(0, (t[None, :] - hold_t.index_select(0, sel)[:, None]).clamp_(0, n_rel).view(-1)).view_as(y)
        out.index_add_(0, (start_t.index_select(0, sel)[:, None] + t[None, :]).view(-1), y.view(-1))


def _drum_template(recipe: _Drum, n_samples: int, sr: int, gen: torch.Generator) -> torch.Tensor:
    """One hit of a drum at full velocity: (n_samples,) float32, fading to 0 at the end."""
    t = torch.arange(n_samples, dtype=torch.float32) / sr
    # swept sine: f(t) = tone + sweep e^(-t/30ms); its phase (in cycles) integrates that
    tau = 0.03
    cyc = recipe.tone_hz * t + recipe.sweep_hz * tau * (1.0 - torch.exp(-t / tau))
    tone = torch.sin(2 * math.pi * (cyc - torch.floor(cyc))) * torch.exp(-t / recipe.tone_decay) * recipe.tone_level
    white = torch.randn(n_samples + 1, generator=gen)
    colored = (1.0 - recipe.brightness) * white[1:] + recipe.brightness * 0.7 * (white[1:] - white[:-1])
    noise = colored * torch.exp(-t / recipe.noise_decay) * recipe.noise_level
    attack = torch.clamp(t / 0.001, max=1.0)
    fade = 1.0 - torch.arange(n_samples, dtype=torch.float32) / n_samples  # reaches 0: no click at the end
    return (tone + noise) * attack * fade * DRUM_LEVEL


def _drum_seconds(recipe: _Drum) -> float:
    return min(5.0 * max(recipe.tone_decay if recipe.tone_level > 0 else 0.0, recipe.noise_decay), 2.0)


def synthesize(on: np.ndarray, off: np.ndarray, pitch: np.ndarray, velocity: np.ndarray, sample_rate: int,
               drums_on: np.ndarray | None = None, drums_pitch: np.ndarray | None = None,
               drums_velocity: np.ndarray | None = None, min_seconds: float = 0.0,
               voice: PianoVoice = PianoVoice(), seed: int = 0) -> torch.Tensor:
    """Render notes given in seconds.  Returns a (1, samples) float32 tensor, not normalised.

    ``on``/``off``/``pitch``/``velocity`` are (N,) arrays of the pitched notes (on and off in
    seconds); the optional ``drums_*`` arrays (M,) are drum hits (their length comes from the
    drum recipe, not the note).  The output lasts until the last release ends, and at least
    ``min_seconds``.  Deterministic for a given input and ``seed`` (drum noise, partial phases).
    """
    sr = int(sample_rate)
    gen = torch.Generator().manual_seed(seed)
    on = np.asarray(on, np.float64).reshape(-1)
    off = np.maximum(np.asarray(off, np.float64).reshape(-1), on)
    pitch = np.clip(np.asarray(pitch, np.int64).reshape(-1), 0, 127)
    velocity = np.clip(np.asarray(velocity, np.int64).reshape(-1), 1, 127)

    # pitched notes: sound until the fundamental is 60 dB down (or the note-off), then release
    octaves = (pitch - 60) / 12.0
    t60 = 6.91 * voice.decay_c4 * voice.decay_per_octave**octaves
    hold_s = np.minimum(np.minimum(off - on, t60), voice.max_sustain)
    start = np.round(on * sr).astype(np.int64)
    hold = np.maximum(np.round(hold_s * sr).astype(np.int64), 1)
    length = hold + max(1, round(voice.release * sr))

    d_on = np.zeros(0) if drums_on is None else np.asarray(drums_on, np.float64).reshape(-1)
    d_start = np.round(d_on * sr).astype(np.int64)
    d_pitch = np.zeros(0, np.int64) if drums_on is None else np.asarray(drums_pitch, np.int64).reshape(-1)
    d_vel = np.zeros(0, np.int64) if drums_on is None else np.clip(np.asarray(drums_velocity, np.int64).reshape(-1), 1, 127)
    d_len = np.array([max(1, round(_drum_seconds(_DRUMS.get(int(p), _OTHER_DRUM)) * sr)) for p in d_pitch], np.int64)

    total = max(int(np.max(start + length, initial=0)), int(np.max(d_start + d_len, initial=0)),
                int(math.ceil(min_seconds * sr)))
    pad = int(max(np.max(length, initial=0), np.max(d_len, initial=0)))  # padded blocks may reach past the end
    out = torch.zeros(total + pad, dtype=torch.float32)  # (samples + pad,)

    if len(on):
        phase = torch.rand(128, voice.partials, generator=gen, dtype=torch.float64)  # (128, partials) cycles
        for key in np.unique(pitch):
            sel = pitch == key
            _piano_key(out, int(key), start[sel], length[sel], hold[sel], velocity[sel], phase[key], sr, voice)
    for key in np.unique(d_pitch):  # every hit of a drum key is its template times (v/127)^2
        sel = np.flatnonzero(d_pitch == key)
        template = _drum_template(_DRUMS.get(int(key), _OTHER_DRUM), int(d_len[sel[0]]), sr,
                                  torch.Generator().manual_seed(seed * 1000 + int(key)))  # (T,)
        gains = torch.from_numpy((d_vel[sel] / 127.0) ** 2).to(torch.float32)  # (n,)
        starts = torch.from_numpy(d_start[sel])
        for part in torch.split(torch.arange(len(sel)), max(1, CHUNK_SAMPLES // len(template))):
            y = gains[part, None] * template[None, :]  # (n, T)
            out.index_add_(0, (starts[part, None] + torch.arange(len(template))[None, :]).view(-1), y.view(-1))
    return out[:total].unsqueeze(0)  # (1, samples)
