"""Audio out: render a score or a MIDI file to a loudness-normalised waveform, write WAV/FLAC.

    render_score(score, sample_rate=44100, soundfont=None, loudness=-16.0) -> Rendered
    render_midi(path, sample_rate=44100, soundfont=None, loudness=-16.0) -> Rendered   (to the file's end of track)
    render_for_tensorboard(score, sample_rate=16000) -> (1, samples) float32 in [-1, 1]
    write_audio(path, waveform, sample_rate) -> Path         (atomic; .wav always, .flac with soundfile)
    find_soundfont(explicit=None) -> Path | None

``Rendered`` has ``waveform`` ((channels, samples) float32 torch tensor, peaks below
``peak_db``), ``sample_rate``, ``renderer`` (what made it: ``"soundfont FluidR3_GM.sf2"``
or ``"built-in synth"``) and ``loudness`` (integrated LUFS as measured, NaN for silence);
it unpacks as ``waveform, sample_rate, renderer = render_score(...)``.

Which renderer: ``renderer="auto"`` uses a soundfont when :func:`find_soundfont` finds
one (explicit path > ``$STYLEGEN_SOUNDFONT`` > system places) and the built-in
synthesiser otherwise; ``"soundfont"`` insists on a soundfont (error when there is none);
``"builtin"`` always uses the synthesiser.  Soundfonts render through symusic at
>= 44.1 kHz (resampled down with torchaudio when a lower rate is asked for: the
synthesiser's own sample interpolation would alias); the built-in synthesiser renders at
the asked rate directly (it is band-limited by construction).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy.io.wavfile
import torch

from stylegen.audio.loudness import normalize_loudness
from stylegen.audio.soundfont import (
    SOUNDFONT_ENV,
    find_soundfont,
    read_symusic,
    render_soundfont,
    score_to_symusic,
    soundfont_name,
    symusic_note_count,
)
from stylegen.audio.synth import PianoVoice, synthesize
from stylegen.audio.timing import score_seconds, steps_to_seconds
from stylegen.data.fastmidi import midi_length_beats
from stylegen.data.score import DURATION, ONSET, PITCH, VELOCITY
from stylegen.device import torch_threads
from stylegen.errors import StylegenError
from stylegen.fileio import atomic_path, exists_error

__all__ = [
    "BUILTIN", "RENDERERS", "Rendered", "find_soundfont", "render_score", "render_midi",
    "render_for_tensorboard", "write_audio", "check_input_path", "check_output_path", "audio_format",
    "end_of_track", "SOUNDFONT_ENV",
]

BUILTIN = "built-in synth"
RENDERERS = ("auto", "soundfont", "builtin")
SOUNDFONT_MIN_RATE = 44100  # soundfonts are rendered at least at this rate, then resampled
MIN_RATE, MAX_RATE = 8000, 192000
MIN_SECONDS = 0.1  # even an empty score gives a playable file
TAIL_SECONDS = 3.0  # at most this much of a soundfont's release tail after the score ends
TAIL_DB = -80.0  # ... and only while it is above this level relative to the peak
RENDER_THREADS = 1  # torch threads while rendering (see stylegen.device.torch_threads)
AUDIO_FORMATS = {".wav": "WAV", ".flac": "FLAC"}


@dataclass(frozen=True)
class Rendered:
    """One render.  Unpacks as ``waveform, sample_rate, renderer``."""

    waveform: torch.Tensor  # (channels, samples) float32; 2 channels from a soundfont, 1 from the synth
    sample_rate: int
    renderer: str  # "soundfont FluidR3_GM.sf2" or "built-in synth"
    loudness: float = float("nan")  # integrated loudness in LUFS (NaN: silence)

    def __iter__(self):
        return iter((self.waveform, self.sample_rate, self.renderer))

    @property
    def seconds(self) -> float:
        return self.waveform.shape[-1] / self.sample_rate

    @property
    def channels(self) -> int:
        return int(self.waveform.shape[0])


def _check_rate(sample_rate) -> int:
    try:
        sr = int(sample_rate)
    except (TypeError, ValueError):
        raise StylegenError(f"sample rate must be a whole number of Hz, got {sample_rate!r}") from None
    if sr != sample_rate or not MIN_RATE <= sr <= MAX_RATE:
        raise StylegenError(f"sample rate must be a whole number between {MIN_RATE} and {MAX_RATE} Hz, got {sample_rate}")
    return sr


def _choose(renderer: str, soundfont) -> Path | None:
    """The soundfont to render with, or None for the built-in synthesiser."""
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {RENDERERS}, got {renderer!r}")
    if renderer == "builtin":
        if soundfont is not None:
            raise ValueError("a soundfont was given with renderer='builtin'")
        return None
    sf = find_soundfont(soundfont)
    if sf is None and renderer == "soundfont":
        raise StylegenError(
            f"no soundfont found: pass --soundfont PATH, set {SOUNDFONT_ENV}, or install one "
            "(Debian/Ubuntu: apt-get install fluid-soundfont-gm)"
        )
    return sf


def _channels(w: torch.Tensor, channels: int | None) -> torch.Tensor:
    if channels is None or channels == w.shape[0]:
        return w
    if channels == 1:
        return w.mean(0, keepdim=True)
    if channels == 2 and w.shape[0] == 1:
        return w.expand(2, -1).clone()
    raise ValueError(f"channels must be None, 1 or 2, got {channels}")


def _trim_tail(w: torch.Tensor, min_samples: int, max_samples: int) -> torch.Tensor:
    """Cut a release tail once it has fallen TAIL_DB below the peak (keeping min_samples)."""
    if w.shape[1] <= min_samples:
        return w
    mag = w.abs().amax(0)  # (samples,)
    peak = float(mag.max())
    if peak == 0.0:
        return w[:, :min_samples]
    loud = torch.nonzero(mag > peak * 10 ** (TAIL_DB / 20)).flatten()
    end = int(loud[-1]) + 1 if len(loud) else 0
    return w[:, : min(max(end, min_samples), max_samples)]


def _finish(w: torch.Tensor, sr: int, renderer: str, loudness: float | None, peak_db: float,
            channels: int | None) -> Rendered:
    w = _channels(w, channels)
    w, lufs = normalize_loudness(w, sr, loudness, peak_db=peak_db)
    return Rendered(w.contiguous(), sr, renderer, lufs)


def _render_soundfont(sym_score, sf: Path, sr: int, score_end_s: float) -> torch.Tensor:
    """(2, samples) at ``sr``: rendered at >= 44.1 kHz, resampled, tail trimmed."""
    import torchaudio.functional as AF  # heavy (seconds on a busy machine): only soundfont renders resample

    rate = max(sr, SOUNDFONT_MIN_RATE)
    end = max(score_end_s, MIN_SECONDS)
    if symusic_note_count(sym_score) == 0:
        return torch.zeros(2, int(math.ceil(end * sr)))
    w = render_soundfont(sym_score, sf, rate)  # (2, samples at rate)
    if rate != sr:
        w = AF.resample(w, rate, sr)
    n_end = int(math.ceil(end * sr))
    if w.shape[1] < n_end:
        w = torch.nn.functional.pad(w, (0, n_end - w.shape[1]))
    return _trim_tail(w, n_end, n_end + int(TAIL_SECONDS * sr))


@dataclass
class _Events:
    """What the built-in synthesiser plays, in seconds: pitched notes (N,) and drum hits (M,)."""

    on: np.ndarray
    off: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    drum_on: np.ndarray
    drum_pitch: np.ndarray
    drum_velocity: np.ndarray
    end: float  # seconds: the end of the piece (the audio lasts at least this long)


def _score_events(score) -> _Events:
    """A Score's notes and drums through its tempo map."""
    n, d = score.notes, score.drums
    to_s = functools.partial(steps_to_seconds, tempos=score.tempos, resolution=score.resolution)
    return _Events(to_s(n[:, ONSET]), to_s(n[:, ONSET] + n[:, DURATION]), n[:, PITCH], n[:, VELOCITY],
                   to_s(d[:, ONSET]), d[:, PITCH], d[:, VELOCITY], score_seconds(score))


def _symusic_events(sym, end_tick: int = 0) -> _Events:
    """A symusic Score (ticks) through its tempo map; the sustain pedal holds notes on.
    ``end_tick``: the file's own end (its end of track), which symusic does not keep: the
    piece lasts to the later of it and the last event."""
    tempos = sym.tempos.numpy()
    tempo_map = list(zip(tempos["time"].tolist(), (6e7 / np.maximum(tempos["mspq"], 1)).tolist()))
    tpq = max(1, int(sym.ticks_per_quarter))
    parts: dict[bool, list] = {False: [], True: []}
    for track in sym.tracks:
        notes = track.notes.numpy()
        if not len(notes["time"]):
            continue
        on = notes["time"].astype(np.int64)
        off = on + np.maximum(notes["duration"].astype(np.int64), 1)
        pedals = track.pedals.numpy()
        if not track.is_drum and len(pedals["time"]):
            order = np.argsort(pedals["time"], kind="stable")
            p_on = pedals["time"].astype(np.int64)[order]
            p_off = p_on + pedals["duration"].astype(np.int64)[order]
            k = np.searchsorted(p_on, off, side="right") - 1  # the last pedal pressed at or before the note-off
            down = (k >= 0) & (off <= p_off[np.maximum(k, 0)])
            off = np.where(down, np.maximum(off, p_off[np.maximum(k, 0)]), off)
        parts[bool(track.is_drum)].append((on, off, notes["pitch"].astype(np.int64) & 127,
                                           notes["velocity"].astype(np.int64) & 127))

    def cat(group, i):
        return np.concatenate([g[i] for g in group]) if group else np.zeros(0, np.int64)

    to_s = functools.partial(steps_to_seconds, tempos=tempo_map, resolution=tpq)
    end = float(to_s(max(int(sym.end()), int(end_tick))))
    return _Events(to_s(cat(parts[False], 0)), to_s(cat(parts[False], 1)), cat(parts[False], 2),
                   cat(parts[False], 3), to_s(cat(parts[True], 0)), cat(parts[True], 2), cat(parts[True], 3), end)


def _render_builtin(ev: _Events, sr: int, voice: PianoVoice = PianoVoice()) -> torch.Tensor:
    """(1, samples) at ``sr``."""
    return synthesize(ev.on, ev.off, ev.pitch, ev.velocity, sr, drums_on=ev.drum_on, drums_pitch=ev.drum_pitch,
                      drums_velocity=ev.drum_velocity, min_seconds=max(ev.end, MIN_SECONDS), voice=voice)


def render_score(score, sample_rate: int = 44100, soundfont: str | Path | None = None,
                 loudness: float | None = -16.0, *, renderer: str = "auto", channels: int | None = None,
                 peak_db: float = -1.0) -> Rendered:
    """Render a :class:`~stylegen.data.score.Score` (notes and drums) to audio.

    ``soundfont``: a path (overrides ``$STYLEGEN_SOUNDFONT`` and the system places; an error
    when missing or broken).  ``loudness``: target integrated loudness in LUFS, or None to
    keep the renderer's level (peaks are limited either way).  ``channels``: None keeps the
    renderer's (2 for a soundfont, 1 for the synth); 1 or 2 forces mono or stereo.
    ``peak_db``: no sample reaches above this (dBFS).

    The audio starts at the score's time 0 and lasts to its end plus the release tail.  A
    score without notes renders as silence of its length (at least 0.1 s), no error.
    """
    sr = _check_rate(sample_rate)
    sf = _choose(renderer, soundfont)
    with torch_threads(RENDER_THREADS):
        if sf is not None:
            w = _render_soundfont(score_to_symusic(score), sf, sr, score_seconds(score))
            name = f"soundfont {soundfont_name(sf)}"
        else:
            w, name = _render_builtin(_score_events(score), sr), BUILTIN
        return _finish(w, sr, name, loudness, peak_db, channels)


def render_midi(path: str | Path, sample_rate: int = 44100, soundfont: str | Path | None = None,
                loudness: float | None = -16.0, *, renderer: str = "auto", channels: int | None = None,
                peak_db: float = -1.0) -> Rendered:
    """Render a MIDI file; the arguments are those of :func:`render_score`.

    The file is read with symusic at its own resolution (exact timing).  A soundfont plays
    it as it is (programs, pedals, controllers); the built-in synthesiser plays its notes
    through the tempo map, holding notes on while the sustain pedal is down, and its drums.
    A missing, unreadable or corrupt file is a StylegenError naming it."""
    path = Path(path)
    sr = _check_rate(sample_rate)
    if not path.exists():
        raise StylegenError(f"{path}: no such file")
    if path.is_dir():
        raise StylegenError(f"{path}: is a directory, not a MIDI file")
    sf = _choose(renderer, soundfont)
    sym = read_symusic(path)
    events = _symusic_events(sym, end_of_track(path, sym.ticks_per_quarter))
    with torch_threads(RENDER_THREADS):
        if sf is not None:
            w = _render_soundfont(sym, sf, sr, events.end)
            name = f"soundfont {soundfont_name(sf)}"
        else:
            w, name = _render_builtin(events, sr), BUILTIN
        return _finish(w, sr, name, loudness, peak_db, channels)


def end_of_track(path: str | Path, ticks_per_quarter: int) -> int:
    """The tick of a MIDI file's last event, end of track included (0 when mido cannot read
    a file that symusic could): a final rest, or a piece of silence, lasts its length."""
    try:
        return round(midi_length_beats(path) * max(1, int(ticks_per_quarter)))
    except Exception:
        return 0


def check_input_path(path: str | Path) -> Path:
    """A MIDI file that :func:`render_midi` can read (a StylegenError naming it otherwise):
    the CLI checks its input, and the soundfont, before its output."""
    path = Path(path)
    if not path.exists():
        raise StylegenError(f"{path}: no such file")
    if path.is_dir():
        raise StylegenError(f"{path}: is a directory, not a MIDI file")
    read_symusic(path)
    return path


def render_for_tensorboard(score, sample_rate: int = 16000, soundfont: str | Path | None = None,
                           max_seconds: float | None = 30.0, *, renderer: str = "auto",
                           loudness: float = -16.0) -> torch.Tensor:
    """Mono audio of a score for ``SummaryWriter.add_audio``: (1, samples) float32 in [-1, 1].

    At a modest rate (16 kHz), cut at ``max_seconds`` (notes starting later are left out;
    the cut fades over 50 ms), normalised like every render so that steps compare by ear.
    A soundfont is used when one is found (as :func:`render_score`), else the synthesiser."""
    if max_seconds is not None:
        starts = steps_to_seconds(score.notes[:, ONSET], score.tempos, score.resolution)
        d_starts = steps_to_seconds(score.drums[:, ONSET], score.tempos, score.resolution)
        if (starts >= max_seconds).any() or (d_starts >= max_seconds).any():
            score = replace(score, notes=score.notes[starts < max_seconds], drums=score.drums[d_starts < max_seconds])
    r = render_score(score, sample_rate, soundfont, loudness=None, renderer=renderer, channels=1)
    w = r.waveform
    if max_seconds is not None and w.shape[1] > int(max_seconds * sample_rate):
        w = w[:, : int(max_seconds * sample_rate)].clone()
        fade = min(w.shape[1], int(0.05 * sample_rate))
        w[:, w.shape[1] - fade:] *= torch.linspace(1.0, 0.0, fade)
    with torch_threads(RENDER_THREADS):
        w, _ = normalize_loudness(w, sample_rate, loudness)
    return w.clamp(-1.0, 1.0)


# --------------------------------------------------------------------------- writing


def audio_format(path: str | Path) -> str:
    """"WAV" or "FLAC" from the file name; a StylegenError for anything else, and for FLAC
    when no FLAC writer (the ``soundfile`` package) is installed."""
    path = Path(path)
    fmt = AUDIO_FORMATS.get(path.suffix.lower())
    if fmt is None:
        shown = path.suffix or "no extension"
        raise StylegenError(f"{path}: unknown audio format ({shown}); use .wav or .flac")
    if fmt == "FLAC":
        try:
            import soundfile  # noqa: F401  (optional: only FLAC output needs it)
        except ImportError:
            raise StylegenError(
                f"{path}: writing FLAC needs the soundfile package (pip install soundfile); .wav always works"
            ) from None
    return fmt


def check_output_path(path: str | Path, overwrite: bool = False) -> Path:
    """A path audio may be written to: a known format, not a directory, and (unless
    ``overwrite``) not an existing file.  Call it before rendering to fail early."""
    path = Path(path)
    audio_format(path)
    if path.is_dir():
        raise StylegenError(f"{path}: is a directory")
    if path.exists() and not overwrite:
        raise exists_error(path)
    return path


def _as_array(waveform) -> np.ndarray:
    w = waveform.detach().cpu().numpy() if isinstance(waveform, torch.Tensor) else np.asarray(waveform)
    w = np.asarray(w, dtype=np.float32)
    if w.ndim == 1:
        w = w[None, :]
    if w.ndim != 2:
        raise ValueError(f"expected a (channels, samples) waveform, got shape {w.shape}")
    if not np.isfinite(w).all():
        raise ValueError("waveform contains inf or NaN")
    return w


def write_audio(path: str | Path, waveform, sample_rate: int, *, overwrite: bool = True,
                sample_format: str = "int16") -> Path:
    """Write a (channels, samples) waveform (torch or numpy, float in [-1, 1]) as WAV or FLAC.

    The format comes from the extension (:func:`audio_format`).  ``sample_format``:
    "int16" (16-bit PCM, default) or "float32" (WAV only).  The file is written to a
    temporary name in the same folder and renamed into place, so a reader never sees half
    a file and a failure leaves what was there.  With ``overwrite=False`` an existing file
    is a StylegenError, checked atomically at the rename.  Returns the path."""
    path = Path(path)
    fmt = audio_format(path)
    if sample_format not in ("int16", "float32"):
        raise ValueError(f"sample_format must be 'int16' or 'float32', got {sample_format!r}")
    if sample_format == "float32" and fmt != "WAV":
        raise StylegenError(f"{path}: float32 samples are written only to .wav")
    w = _as_array(waveform)  # (C, S) float32
    data = np.ascontiguousarray(np.clip(w, -1.0, 1.0).T)  # (S, C): the layout both writers want
    if sample_format == "int16":
        data = np.round(data * 32767.0).astype(np.int16)
    if data.shape[1] == 1:
        data = data[:, 0]
    with atomic_path(path, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
        if fmt == "WAV":
            scipy.io.wavfile.write(f, int(sample_rate), data)
        else:
            import soundfile  # optional (not every install can write FLAC): only FLAC output needs it

            soundfile.write(f, data, int(sample_rate), format="FLAC", subtype="PCM_16")
    return path
