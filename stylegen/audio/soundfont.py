"""General MIDI soundfonts: find one, check it, and render with symusic's synthesiser.

    find_soundfont(explicit=None) -> Path | None
    check_soundfont(path, origin) -> Path            (raises StylegenError)
    render_soundfont(sym_score, soundfont, sample_rate) -> (2, samples) float32 tensor

Where a soundfont comes from, first match wins:

1. an explicit path (``--soundfont PATH``, the ``soundfont=`` argument);
2. the ``STYLEGEN_SOUNDFONT`` environment variable;
3. the usual system places (``SYSTEM_SOUNDFONTS``: Debian/Ubuntu's ``fluid-soundfont-gm``
   installs ``/usr/share/sounds/sf2/FluidR3_GM.sf2``; Fedora and Arch use
   ``/usr/share/soundfonts``).

A path given by the user (1 or 2) that is missing or not a soundfont is an error; a
broken file in a system place is passed over.  We never download one (symusic's
``Synthesizer()`` without a path would).
"""

from __future__ import annotations

import functools
import glob
import os
from pathlib import Path

import numpy as np
import symusic
import torch

from stylegen.data.score import DURATION, ONSET, PITCH, TRACK, VELOCITY
from stylegen.errors import StylegenError

SOUNDFONT_ENV = "STYLEGEN_SOUNDFONT"

# Looked at in this order; globs are expanded and sorted.
SYSTEM_SOUNDFONTS: tuple[str, ...] = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
    "/usr/share/sounds/sf2/*.sf2",
    "/usr/share/sounds/sf3/*.sf3",
    "/usr/share/soundfonts/*.sf2",
    "/usr/share/soundfonts/*.sf3",
    "/usr/local/share/soundfonts/*.sf2",
    "/usr/local/share/soundfonts/*.sf3",
    "~/.local/share/soundfonts/*.sf2",
    "~/.local/share/soundfonts/*.sf3",
)


def _soundfont_problem(path: Path) -> str | None:
    """Why ``path`` is not a usable SoundFont 2/3 file, or None when its header looks right."""
    try:
        if not path.exists():
            return "no such file"
        if path.is_dir():
            return "is a directory"
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError as e:
        return e.strerror or str(e)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        return "not a SoundFont (.sf2/.sf3) file"
    return None


def check_soundfont(path: str | Path, origin: str = "soundfont") -> Path:
    """The path when it looks like a SoundFont; else a StylegenError naming ``origin``
    (e.g. ``"--soundfont"`` or ``"STYLEGEN_SOUNDFONT"``) and the problem."""
    p = Path(path).expanduser()
    problem = _soundfont_problem(p)
    if problem:
        raise StylegenError(f"{origin} {p}: {problem}")
    return p


def _system_candidates():
    for pattern in SYSTEM_SOUNDFONTS:
        pattern = os.path.expanduser(pattern)
        if any(c in pattern for c in "*?["):
            yield from (Path(p) for p in sorted(glob.glob(pattern)))
        else:
            yield Path(pattern)


def find_soundfont(explicit: str | Path | None = None) -> Path | None:
    """The soundfont to use: ``explicit`` > ``$STYLEGEN_SOUNDFONT`` > the system places.

    Returns None when there is none (the built-in synthesiser is then used).  Raises
    StylegenError when ``explicit`` or the variable names a missing or broken file."""
    if explicit is not None and str(explicit) != "":
        return check_soundfont(explicit, "soundfont")
    env = os.environ.get(SOUNDFONT_ENV, "").strip()
    if env:
        return check_soundfont(env, SOUNDFONT_ENV)
    for p in _system_candidates():
        if _soundfont_problem(p) is None:
            return p
    return None


def soundfont_name(path: Path) -> str:
    """How the log names a soundfont: the real file behind links (default-GM.sf2 -> FluidR3_GM.sf2)."""
    try:
        return Path(path).resolve().name
    except OSError:
        return Path(path).name


@functools.lru_cache(maxsize=4)
def _synthesizer(path: str, mtime_ns: int, sample_rate: int):
    return symusic.Synthesizer(path, sample_rate, 0)


def score_to_symusic(score, include_drums: bool = True):
    """A stylegen :class:`~stylegen.data.score.Score` as a ``symusic.Score`` (in memory, ticks
    = grid steps), with its tempo map, time signatures, tracks, programs and drums."""
    s = symusic.Score(max(1, int(score.resolution)))
    for step, qpm in score.tempos:
        if qpm and qpm > 0:
            s.tempos.append(symusic.Tempo(int(step), qpm=float(qpm)))
    for step, num, den in score.time_signatures:
        s.time_signatures.append(symusic.TimeSignature(int(step), int(num), int(den)))
    groups = [(score.notes, score.tracks, False)]
    if include_drums:
        groups.append((score.drums, score.drum_tracks, True))
    for notes, tracks, is_drum in groups:
        for i, info in enumerate(tracks):
            sel = notes[notes[:, TRACK] == i]
            if not len(sel):
                continue
            track = symusic.Track(info.name or "", int(info.program) % 128, is_drum)
            track.notes = symusic.Note.from_numpy(
                np.ascontiguousarray(sel[:, ONSET], dtype=np.int32),
                np.ascontiguousarray(np.maximum(sel[:, DURATION], 1), dtype=np.int32),
                np.ascontiguousarray(np.clip(sel[:, PITCH], 0, 127), dtype=np.int8),
                np.ascontiguousarray(np.clip(sel[:, VELOCITY], 1, 127), dtype=np.int8),
            )
            s.tracks.append(track)
    return s


def read_symusic(path: Path):
    """A MIDI file as a ``symusic.Score`` (StylegenError when it cannot be parsed)."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise StylegenError(f"{path}: {e.strerror or e}") from None
    if not data:
        raise StylegenError(f"{path}: empty file")
    if data[:4] != b"MThd":
        raise StylegenError(f"{path}: not a MIDI file (no MThd header)")
    try:
        return symusic.Score.from_midi(data)
    except Exception as e:  # symusic raises RuntimeError/ValueError with a C++ message
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StylegenError(f"{path}: corrupt MIDI ({msg[:120]})") from None


def symusic_note_count(sym_score) -> int:
    return int(sum(len(t.notes) for t in sym_score.tracks))


def render_soundfont(sym_score, soundfont: Path, sample_rate: int) -> torch.Tensor:
    """Render a ``symusic.Score`` with a soundfont.  Returns (2, samples) float32, not
    normalised, including the instruments' release tails.  The score must have notes."""
    path = Path(soundfont)
    try:
        synth = _synthesizer(str(path.resolve()), path.stat().st_mtime_ns, int(sample_rate))
        audio = synth.render(sym_score, True)  # (2, samples) float32, Fortran order
    except (RuntimeError, ValueError, OSError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StylegenError(f"soundfont {path}: cannot be read ({msg[:120]})") from None
    return torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32))
