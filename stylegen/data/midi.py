"""MIDI in and out.  The only module in stylegen that calls muspy.

A MIDI file becomes a :class:`Score`: every note on a beat grid of ``resolution`` steps
per beat (by MIDI ticks, so tempo does not matter), plus what is needed to write the
piece back faithfully: tempo map, time signatures, key signatures, track names and
programs, which track carries the melody, and the drum notes (kept apart: they never
enter a piano-roll).

    read_score(path, resolution) -> Score          write_score(score, path)
    music_to_score(music, resolution) -> Score     score_to_music(score) -> muspy.Music
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from stylegen.data.score import (  # noqa: F401  (re-exported: the type's old home)
    DURATION, NOTE_COLUMNS, ONSET, PITCH, TRACK, VELOCITY, Score, TrackInfo, sort_notes)
from stylegen.errors import StylegenError

MELODY_NAMES = re.compile(r"melod|vocal|voice|lead|singer|tune|soprano", re.IGNORECASE)


class SkipFile(StylegenError):
    """A file that cannot be used; ``reason`` is a short category counted by the data report."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------- reading


def check_header(path: Path) -> None:
    """Raise SkipFile (with the data report's reason) for a file that is not a usable
    MIDI file, from its first 14 bytes; shared by both readers (this one and fastmidi)."""
    try:
        with open(path, "rb") as f:
            head = f.read(14)
    except OSError as e:
        raise SkipFile("unreadable", e.strerror or str(e)) from None
    if len(head) == 0:
        raise SkipFile("empty file")
    if head[:4] != b"MThd":
        raise SkipFile("not a MIDI file", "no MThd header")
    if len(head) >= 14:
        fmt = int.from_bytes(head[8:10], "big")
        division = int.from_bytes(head[12:14], "big")
        if fmt == 2:
            raise SkipFile("type-2 MIDI", "independent sequences are not supported")
        if division == 0:
            raise SkipFile("zero ticks per beat")
        if division & 0x8000:
            raise SkipFile("SMPTE timing", "frame-based time division is not supported")


def _read_music(path: Path):
    import muspy

    check_header(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return muspy.read_midi(path)
    except Exception as e:  # muspy/mido raise many types for a corrupt file
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SkipFile("corrupt MIDI", msg[:120]) from None


def preload() -> None:
    """Import muspy (and music21) now: worker processes forked afterwards start warm."""
    import muspy  # noqa: F401


def read_music(path: str | Path):
    """Read a MIDI file as ``muspy.Music`` (raises SkipFile with a reason when it cannot)."""
    return _read_music(Path(path))


def music_to_score(music, resolution: int, title: str = "", copy: bool = True) -> Score:
    """Put a ``muspy.Music`` on a grid of ``resolution`` steps per beat.

    With ``copy=False`` the Music object is re-timed in place (faster; for objects we own)."""
    import muspy

    if music.resolution <= 0:
        raise SkipFile("zero ticks per beat")
    music = muspy.adjust_resolution(music.deepcopy() if copy else music, resolution)

    rows: list[tuple[int, int, int, int, int]] = []
    drums: list[tuple[int, int, int, int, int]] = []
    tracks: list[TrackInfo] = []
    drum_tracks: list[TrackInfo] = []
    end = 0
    for track in music.tracks:
        if not track.notes:
            continue
        info = TrackInfo(name=(track.name or "").strip(), program=int(track.program or 0))
        target, index = (drums, len(drum_tracks)) if track.is_drum else (rows, len(tracks))
        (drum_tracks if track.is_drum else tracks).append(info)
        for n in track.notes:
            # a note shorter than a step still sounds: give it one step
            dur = max(1, int(n.duration))
            onset = max(0, int(n.time))
            vel = int(n.velocity) if n.velocity is not None else 64
            target.append((onset, dur, int(n.pitch), min(127, max(1, vel)), index))
            end = max(end, onset + dur)
    melody = [i for i, t in enumerate(tracks) if MELODY_NAMES.search(t.name)]
    if melody:
        tracks[melody[0]].is_melody = True

    tempos = [(int(t.time), float(t.qpm)) for t in music.tempos if t.qpm and t.qpm > 0]
    sigs = [(int(t.time), int(t.numerator), int(t.denominator)) for t in music.time_signatures]
    keys = [
        (int(k.time), int(k.root) % 12 if k.root is not None else 0, k.mode or "major")
        for k in music.key_signatures
    ]
    return Score(
        resolution=resolution,
        notes=sort_notes(np.array(rows, dtype=np.int32).reshape(-1, 5)),
        tracks=tracks,
        length=end,
        tempos=sorted(tempos),
        time_signatures=sorted(sigs),
        key_signatures=sorted(keys),
        drums=sort_notes(np.array(drums, dtype=np.int32).reshape(-1, 5)),
        drum_tracks=drum_tracks,
        title=title or (music.metadata.title if music.metadata and music.metadata.title else ""),
    )


def read_score(path: str | Path, resolution: int) -> Score:
    """Read a MIDI file onto the grid.  Raises SkipFile(reason) for files that cannot be used
    (not MIDI, corrupt, type 2, zero ticks per beat, no notes, drums only)."""
    path = Path(path)
    score = music_to_score(_read_music(path), resolution, title=path.stem, copy=False)
    if len(score.notes) == 0:
        raise SkipFile("drums only" if len(score.drums) else "no notes")
    return score


# --------------------------------------------------------------------------- writing


def score_to_music(score: Score, include_drums: bool = True):
    """A ``muspy.Music`` at the score's resolution with its tempo map, meter and keys."""
    import muspy

    tracks = []
    for i, info in enumerate(score.tracks):
        sel = score.notes[score.notes[:, TRACK] == i]
        notes = [
            muspy.Note(time=int(r[ONSET]), pitch=int(r[PITCH]), duration=int(r[DURATION]), velocity=int(r[VELOCITY]))
            for r in sel
        ]
        tracks.append(muspy.Track(program=info.program, is_drum=False, name=info.name or None, notes=notes))
    if include_drums:
        for i, info in enumerate(score.drum_tracks):
            sel = score.drums[score.drums[:, TRACK] == i]
            notes = [
                muspy.Note(time=int(r[ONSET]), pitch=int(r[PITCH]), duration=int(r[DURATION]), velocity=int(r[VELOCITY]))
                for r in sel
            ]
            tracks.append(muspy.Track(program=info.program, is_drum=True, name=info.name or None, notes=notes))
    return muspy.Music(
        metadata=muspy.Metadata(title=score.title or None, source_format="midi"),
        resolution=score.resolution,
        tempos=[muspy.Tempo(time=t, qpm=q) for t, q in score.tempos],
        time_signatures=[muspy.TimeSignature(time=t, numerator=n, denominator=d) for t, n, d in score.time_signatures],
        key_signatures=[muspy.KeySignature(time=t, root=r, mode=m) for t, r, m in score.key_signatures],
        tracks=tracks,
    )


# Key names as mido spells them (by the circle of fifths).  muspy names every root with a
# sharp ("D#" major), which mido rejects: Eb, Ab and Bb major could not be written.
_MIDO_KEYS = {
    "major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    "minor": ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"),
}


def music_to_mido(music):
    """A ``muspy.Music`` as a ``mido.MidiFile`` (muspy's conversion, key signatures ours)."""
    import mido
    import muspy

    keys = music.key_signatures
    music.key_signatures = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            midi = muspy.to_mido(music)
    finally:
        music.key_signatures = keys
    extra = [
        (int(k.time), mido.MetaMessage("key_signature", key=_MIDO_KEYS[k.mode][int(k.root) % 12]))
        for k in keys if k.root is not None and k.mode in _MIDO_KEYS
    ]
    if extra:
        meta, now, timed = midi.tracks[0], 0, []
        for msg in meta:
            now += msg.time
            if msg.type != "end_of_track":
                timed.append((now, msg))
        timed = sorted(timed + extra, key=lambda e: e[0])  # stable: the track name stays first
        meta.clear()
        now = 0
        for t, msg in timed:
            meta.append(msg.copy(time=t - now))
            now = t
        meta.append(mido.MetaMessage("end_of_track", time=0))
    return midi


def write_music(music, path: str | Path) -> None:
    """Write a ``muspy.Music`` as a MIDI file, atomically (a temp file renamed into place)."""
    from stylegen.fileio import atomic_path

    with atomic_path(path, suffix=".mid") as tmp:
        music_to_mido(music).save(tmp)


def write_score(score: Score, path: str | Path, include_drums: bool = True) -> None:
    """Write a Score as a MIDI file (atomically)."""
    write_music(score_to_music(score, include_drums=include_drums), path)


def load_music(music_or_path, resolution: int) -> Score:
    """A Score from a path or from a ``muspy.Music`` (the API accepts either)."""
    import muspy

    if isinstance(music_or_path, muspy.Music):
        score = music_to_score(music_or_path, resolution)
        if len(score.notes) == 0:
            raise StylegenError("the piece has no (non-drum) notes")
        return score
    path = Path(music_or_path)
    if not path.exists():
        raise StylegenError(f"{path}: no such file")
    try:
        return read_score(path, resolution)
    except SkipFile as e:
        raise StylegenError(f"{path}: {e}") from None


_DATASETS: dict[tuple[str, str], object] = {}


def _is_folder_dataset(cls) -> bool:
    """A muspy dataset of files in a local folder that muspy knows how to download
    (MIDI, ABC, MusicXML, ... folders: LakhMIDIDataset, NottinghamDatabase, ...)."""
    import muspy

    return (isinstance(cls, type) and issubclass(cls, muspy.FolderDataset) and issubclass(cls, muspy.RemoteDataset)
            and bool(getattr(cls, "_sources", None)))


def open_muspy_dataset(name: str, root: str | Path, refresh: bool = False):
    """A muspy dataset by class name over a local root; never downloads.

    muspy marks a complete local copy with a ``.muspy.success`` file in the root (written
    by its own download); a root without it is reported, not fetched.  Opened datasets are
    kept per process; ``refresh`` lists the root again.
    """
    import muspy.datasets as mds

    key = (name, str(root))
    if key in _DATASETS and not refresh:
        return _DATASETS[key]
    cls = getattr(mds, name, None)
    if not _is_folder_dataset(cls):
        known = sorted(n for n in dir(mds) if _is_folder_dataset(getattr(mds, n)))
        raise StylegenError(f"unknown muspy dataset {name!r} (known: {', '.join(known)})")
    root = Path(root)
    if not (root / ".muspy.success").is_file():
        raise StylegenError(
            f"{root}: no local copy of muspy's {name} (download it with muspy.{name}(root, download_and_extract=True))"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = cls(root, download_and_extract=False, convert=False, use_converted=False, verbose=False)
        except Exception as e:  # muspy raises ValueError("Nothing found...") and others
            raise StylegenError(f"{root}: cannot open muspy's {name}: {e}") from None
    _DATASETS[key] = ds
    return ds


def muspy_dataset_items(name: str, root: str | Path) -> list:
    """The items of a local muspy dataset: file paths, or (path, start, end) for ABC books."""
    return list(open_muspy_dataset(name, root, refresh=True)._filenames)


def item_file(ref) -> Path:
    """The file behind a muspy dataset item (for cache keys and messages)."""
    return Path(ref[0] if isinstance(ref, (tuple, list)) else ref)


def read_muspy_item(name: str, root: str | Path, ref, resolution: int) -> Score:
    """Read one item of a muspy dataset onto the grid (SkipFile when it cannot be used)."""
    if not isinstance(ref, (tuple, list)) and Path(ref).suffix.lower() in (".mid", ".midi"):
        # a MIDI file: the same reader (and skip reasons) as a plain folder source
        score = music_to_score(_read_music(Path(ref)), resolution, title=Path(ref).stem, copy=False)
        if len(score.notes) == 0:
            raise SkipFile("drums only" if len(score.drums) else "no notes")
        return score
    ds = open_muspy_dataset(name, root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            music = ds._factory(ref)
    except Exception as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SkipFile("corrupt file", msg[:120]) from None
    if music is None:
        raise SkipFile("corrupt file", "muspy returned nothing")
    score = music_to_score(music, resolution, title=item_file(ref).stem, copy=False)
    if len(score.notes) == 0:
        raise SkipFile("drums only" if len(score.drums) else "no notes")
    return score
