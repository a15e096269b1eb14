"""Reading back the audio files stylegen writes, and the check every audio test makes:
the file holds sound, at the renderer's loudness target (measured, not taken on trust)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import soundfile
import torch

from stylegen.audio.loudness import measure_loudness
from stylegen.audio.render import render_score

# the loudness every render is normalised to unless told otherwise
TARGET_LUFS = inspect.signature(render_score).parameters["loudness"].default


def read_audio(path: str | Path) -> tuple[torch.Tensor, int]:
    """A WAV or FLAC file -> ((channels, samples) float32 in [-1, 1], sample rate)."""
    data, sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    return torch.from_numpy(np.ascontiguousarray(data.T)), int(sr)


def assert_sound_at_target(path: str | Path, target: float = TARGET_LUFS, tolerance: float = 1.0) -> float:
    """The file is not silent and its integrated loudness is within ``tolerance`` LU of
    ``target``; returns the measured loudness."""
    wave, sr = read_audio(path)
    assert wave.shape[1] > 0 and float(wave.abs().max()) > 0.01, f"{path} is silent"
    lufs = measure_loudness(wave, sr)
    assert abs(lufs - target) <= tolerance, f"{path}: {lufs:.2f} LUFS, target {target} +- {tolerance}"
    return lufs
