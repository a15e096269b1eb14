"""MIDI in and out, and muspy's objects: with ``metrics/musicality.py`` (muspy's own
metrics), the only module in stylegen that calls muspy.

A MIDI file becomes a :class:`Score`: every note on a beat grid of ``resolution`` steps
per beat (by MIDI ticks, so tempo does not matter), plus what is needed to write the
piece back faithfully: tempo map, time signatures, key signatures, track names and
programs, which track carries the melody, and the drum notes (kept apart: they never
enter a piano-roll).

    read_score(path, resolution) -> Score          write_score(score, path)
    music_to_score(music, resolution) -> Score     score_to_music(score) -> muspy.Music
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import mido
import numpy as np
import symusic

from stylegen.data.score import (  # noqa: F401  (re-exported: the type's old home)
    DURATION, NOTE_COLUMNS, ONSET, PITCH, TRACK, VELOCITY, Score, TrackInfo, sort_notes)
from stylegen.errors import StylegenError
from stylegen.fileio import atomic_path

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


MIDI_SUFFIXES = (".mid", ".midi", ".kar", ".smf")


def is_midi_file(path: str | os.PathLike) -> bool:
    """A MIDI file by its name: a MIDI suffix (any case), not hidden (no leading dot)."""
    p = Path(path)
    return p.suffix.lower() in MIDI_SUFFIXES and not p.name.startswith(".")


def list_midi_files(folder: str | os.PathLike) -> list[Path]:
    """The MIDI files under ``folder`` (recursively), sorted: the one listing every command
    and data source uses."""
    return sorted(f for f in Path(folder).rglob("*") if is_midi_file(f) and f.is_file())


# Note-offs on every channel and pitch, twice: appended at the end of each track (see
# _close_held_notes), they end notes that are never released.
_NOTE_OFFS = b"\x00".join(bytes((0x80 | ch, pitch, 0)) for ch in range(16) for pitch in range(128))
_NOTE_OFFS = _NOTE_OFFS + b"\x00" + _NOTE_OFFS
_END_OF_TRACK = b"\xff\x2f\x00"


def _close_held_notes(data: bytes) -> tuple[bytes, int, bytes]:
    """The MIDI file ``data`` with note-offs for every channel and pitch appended at the end
    of every track; also the format and the first track's chunk (with the same addition).

    muspy (mido) holds a note that is never released to the end of its track; symusic drops
    it (the last chord of a few Bach chorales).  With these note-offs, at the time of the
    track's end-of-track event, symusic ends such notes where muspy does; they close nothing
    else (a note-off without a sounding note is ignored by both).
    """
    fmt = int.from_bytes(data[8:10], "big")
    announced = int.from_bytes(data[10:12], "big")
    pos = 8 + int.from_bytes(data[4:8], "big")
    out = [data[:pos]]
    first = b""
    found = 0
    while pos + 8 <= len(data):
        kind, size = data[pos:pos + 4], int.from_bytes(data[pos + 4:pos + 8], "big")
        body = data[pos + 8:pos + 8 + size]
        if len(body) < size:
            raise SkipFile("corrupt MIDI", f"a {kind.decode('latin-1')!r} chunk is cut short")
        if kind == b"MTrk":
            if body.endswith(_END_OF_TRACK):  # its delta time becomes the first note-off's
                body = body[:-3] + _NOTE_OFFS + b"\x00" + _END_OF_TRACK
            else:  # no end-of-track: the end is the last event, as mido reads it
                body = body + b"\x00" + _NOTE_OFFS + b"\x00" + _END_OF_TRACK
            chunk = kind + len(body).to_bytes(4, "big") + body
            first = first or chunk
            found += 1
        else:
            chunk = data[pos:pos + 8 + size]
        out.append(chunk)
        pos += 8 + size
    if found < announced:
        raise SkipFile("corrupt MIDI", f"the header announces {announced} tracks, the file holds {found}")
    return b"".join(out), fmt, first


def _parse(data: bytes):
    try:
        return symusic.Score.from_midi(data)
    except Exception as e:  # symusic raises several types for a corrupt file
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SkipFile("corrupt MIDI", msg[:120]) from None


def _track_names(parsed, fmt: int, header: bytes, first: bytes) -> list[str]:
    """Track names as muspy gives them: a type-0 file's only track and a type-1 file's
    first track hold the song's title, not a track name, so their notes get no name."""
    names = [(t.name or "").strip() for t in parsed.tracks]
    if fmt == 0:
        return [""] * len(names)
    if names and names[0] and first:
        # symusic lists tracks in file order: the first n come from the first track chunk
        n_first = len(_parse(header[:10] + (1).to_bytes(2, "big") + header[12:] + first).tracks)
        names[:n_first] = [""] * n_first
    return names


def _round_half_even(ticks: np.ndarray, factor: float) -> np.ndarray:
    """``round(t * factor)`` per element, ties to even: muspy.adjust_resolution's rounding."""
    return np.rint(ticks * factor).astype(np.int64)


def read_score(path: str | os.PathLike, resolution: int) -> Score:
    """Read a MIDI file onto a grid of ``resolution`` steps per beat (symusic's C++ parser).

    The same :class:`Score` as muspy's reader (``music_to_score(read_music(path))``; tested
    on the whole shared corpus): FIFO for repeated notes, a note never released held to
    the end of its track, times rounded as ``muspy.adjust_resolution`` rounds (a note's
    end is rounded, not its duration; a note shorter than a step gets one step).  Tracks
    are split by (channel, program) within each track of the file, in file order.  One
    known difference: where one track of the file plays on several channels or programs
    (type-0 files), its parts come ordered by channel then program; muspy orders them by
    when each first ends a note.
    Raises :class:`SkipFile` with the data report's reason for a file that cannot be used
    (not MIDI, corrupt, type 2, SMPTE or zero ticks per beat, no notes, drums only).

    >>> score = read_score("song.mid", resolution=4)   # doctest: +SKIP
    """
    path = Path(path)
    check_header(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SkipFile("unreadable", e.strerror or str(e)) from None
    closed, fmt, first = _close_held_notes(data)
    parsed = _parse(closed)
    factor = resolution / parsed.ticks_per_quarter
    names = _track_names(parsed, fmt, data[:14], first)

    parts: list[list[np.ndarray]] = [[], []]  # pitched, drums
    infos: list[list[TrackInfo]] = [[], []]
    end = 0
    for track, name in zip(parsed.tracks, names):
        a = track.notes.numpy()
        if len(a["time"]) == 0:
            continue
        t, d = a["time"].astype(np.int64), a["duration"].astype(np.int64)
        p, v = a["pitch"].astype(np.int64), a["velocity"].astype(np.int64)
        order = np.lexsort((v, d, p, t))  # muspy's note order: time, pitch, duration, velocity
        t, d, p, v = t[order], d[order], p[order], v[order]
        on = _round_half_even(t, factor)
        dur = np.maximum(1, _round_half_even(t + d, factor) - on)  # a note shorter than a step still sounds
        on = np.maximum(0, on)
        kind = 1 if track.is_drum else 0
        index = len(infos[kind])
        infos[kind].append(TrackInfo(name=name, program=int(track.program)))
        parts[kind].append(np.stack([on, dur, p, np.clip(v, 1, 127), np.full_like(on, index)], axis=1))
        end = max(end, int((on + dur).max()))
    tracks, drum_tracks = infos
    melody = [i for i, t in enumerate(tracks) if MELODY_NAMES.search(t.name)]
    if melody:
        tracks[melody[0]].is_melody = True

    def steps(tick: int) -> int:
        return round(tick * factor)

    def notes(arrays: list[np.ndarray]) -> np.ndarray:
        return sort_notes(np.concatenate(arrays).astype(np.int32) if arrays else np.zeros((0, 5), np.int32))

    score = Score(
        resolution=resolution,
        notes=notes(parts[0]),
        tracks=tracks,
        length=end,
        tempos=sorted((steps(t.time), 60 * 1e6 / t.mspq) for t in parsed.tempos if t.mspq > 0),
        time_signatures=sorted((steps(t.time), int(t.numerator), int(t.denominator)) for t in parsed.time_signatures),
        # symusic gives sharps (-7..7) and tonality; the root is the major (or relative minor) tonic
        key_signatures=sorted((steps(k.time), (7 * int(k.key) + (9 if k.tonality else 0)) % 12,
                               "minor" if k.tonality else "major") for k in parsed.key_signatures),
        drums=notes(parts[1]),
        drum_tracks=drum_tracks,
        title=path.stem,
    )
    if len(score.notes) == 0:
        raise SkipFile("drums only" if len(score.drums) else "no notes")
    return score


# --------------------------------------------------------------------------- muspy
# muspy serves where its objects are the interface: its datasets (ABC, MusicXML, ...),
# the metrics that take a muspy.Music, and the reference reader that read_score is tested
# against.  ``import muspy`` costs about 2.7 s of CPU (music21, pypianoroll, matplotlib),
# so it is imported inside the functions that use it, never at module level.


def preload_muspy() -> None:
    """Import muspy now, so that worker processes forked afterwards start with it."""
    import muspy  # noqa: F401  (the point: heavy, see "muspy" above)


def read_music(path: str | os.PathLike):
    """Read a MIDI file with muspy as a ``muspy.Music`` (SkipFile with a reason when it cannot)."""
    import muspy  # heavy (about 2.7 s): see "muspy" above

    path = Path(path)
    check_header(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return muspy.read_midi(path)
    except Exception as e:  # muspy/mido raise many types for a corrupt file
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SkipFile("corrupt MIDI", msg[:120]) from None


def read_score_muspy(path: str | os.PathLike, resolution: int) -> Score:
    """:func:`read_score` through muspy (mido's pure-Python parser, ~100x slower): the
    reference the fast reader is tested against."""
    path = Path(path)
    score = music_to_score(read_music(path), resolution, title=path.stem, copy=False)
    if len(score.notes) == 0:
        raise SkipFile("drums only" if len(score.drums) else "no notes")
    return score


def music_to_score(music, resolution: int, title: str = "", copy: bool = True) -> Score:
    """Put a ``muspy.Music`` on a grid of ``resolution`` steps per beat.

    With ``copy=False`` the Music object is re-timed in place (faster; for objects we own)."""
    import muspy  # heavy (about 2.7 s): see "muspy" above

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


# --------------------------------------------------------------------------- writing


def score_to_music(score: Score, include_drums: bool = True):
    """A ``muspy.Music`` at the score's resolution with its tempo map, meter and keys."""
    import muspy  # heavy (about 2.7 s): see "muspy" above

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


# Key names as mido spells them (by the circle of fifths), for both MIDI writers.  muspy
# names every root with a sharp ("D#" major), which mido rejects.
MIDO_KEYS = {
    "major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    "minor": ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"),
}


def music_to_mido(music):
    """A ``muspy.Music`` as a ``mido.MidiFile`` (muspy's conversion, key signatures ours)."""
    import muspy  # heavy (about 2.7 s): see "muspy" above

    keys = music.key_signatures
    music.key_signatures = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            midi = muspy.to_mido(music)
    finally:
        music.key_signatures = keys
    extra = [
        (int(k.time), mido.MetaMessage("key_signature", key=MIDO_KEYS[k.mode][int(k.root) % 12]))
        for k in keys if k.root is not None and k.mode in MIDO_KEYS
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
    with atomic_path(path, suffix=".mid") as tmp:
        music_to_mido(music).save(tmp)


def write_score(score: Score, path: str | Path, include_drums: bool = True) -> None:
    """Write a Score as a MIDI file (atomically)."""
    write_music(score_to_music(score, include_drums=include_drums), path)


_DATASETS: dict[tuple[str, str], object] = {}


def _is_folder_dataset(cls) -> bool:
    """A muspy dataset of files in a local folder that muspy knows how to download
    (MIDI, ABC, MusicXML, ... folders: LakhMIDIDataset, NottinghamDatabase, ...)."""
    import muspy  # heavy (about 2.7 s): see "muspy" above

    return (isinstance(cls, type) and issubclass(cls, muspy.FolderDataset) and issubclass(cls, muspy.RemoteDataset)
            and bool(getattr(cls, "_sources", None)))


def _open_read_only(cls, root: Path):
    """A muspy folder dataset over ``root`` in on-the-fly mode, built without its
    constructor: ``FolderDataset.__init__`` touches ``root/.muspy.success`` (and
    ``RemoteDataset.__init__`` may create ``root``), writing into the user's data folder.
    This sets the attributes those constructors set (muspy 0.5) and lists the raw files."""
    ds = cls.__new__(cls)
    ds.root = Path(root).expanduser().resolve()
    ds.kind = "json"
    ds._factory = lambda: None
    ds._filenames = []
    ds.raw_filenames = []
    ds.converted_filenames = []
    ds.on_the_fly()
    if not ds._filenames:
        raise ValueError("Nothing found in the directory.")
    return ds


def open_muspy_dataset(name: str, root: str | Path, refresh: bool = False):
    """A muspy dataset by class name over a local root; never downloads.

    muspy marks a complete local copy with a ``.muspy.success`` file in the root (written
    by its own download); a root without it is reported, not fetched.  Nothing is written
    into the root (muspy's constructor would touch the marker).  Opened datasets are kept
    per process (keyed by the resolved root); ``refresh`` lists the root again.
    """
    import muspy.datasets as mds  # heavy: see "muspy" above

    key = (name, str(Path(root).expanduser().resolve()))
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
            ds = _open_read_only(cls, root)
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
    if not isinstance(ref, (tuple, list)) and is_midi_file(ref):
        # a MIDI file: the same reader (and skip reasons) as a plain folder source
        return read_score(ref, resolution)
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
