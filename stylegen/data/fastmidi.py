"""Write a :class:`Score` as a MIDI file with mido alone: the writer of ``stylegen transfer``
and ``generate``.

    write_score_fast(score, path)          a type-1 file that keeps score.length
    score_to_midifile(score) -> MidiFile   the same, in memory
    midi_length_beats(path) -> float      a file's length in beats (its last event)

``import muspy`` costs about 2.7 s of CPU, as much again as torch, so the CLI writes with
mido directly (``import mido``: ~0.05 s).  The writer puts the end of every track at
``score.length``, so a piece that ends in a rest keeps its length in beats (muspy's writer
ends a file at its last event), and writes 480 ticks per beat.

Reading has one path, :func:`stylegen.data.midi.read_score` (symusic's C++ parser).
"""

from __future__ import annotations

import os
from pathlib import Path

import mido
import numpy as np

from stylegen.data.midi import MIDO_KEYS
from stylegen.data.score import Score, TrackInfo
from stylegen.fileio import atomic_path

def _events_to_track(events: list[tuple[int, int, object]], end: int):
    """Absolute-time events (tick, order, message) -> a mido track ending at ``end``."""
    track = mido.MidiTrack()
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end - now)))
    return track


def score_to_midifile(score: Score, include_drums: bool = True, ticks_per_beat: int | None = None):
    """A Score as a type-1 ``mido.MidiFile``.

    ``ticks_per_beat`` defaults to the multiple of ``score.resolution`` nearest below 480
    (480 for a 4-step grid): every step is a whole number of ticks, and sequencers that
    expect a common MIDI resolution get one.

    Track 0 holds the title, tempo map, time and key signatures; then one track per
    instrument track (channels 0-15 skipping 9, as muspy assigns them) and one per drum
    track (channel 9).  Every track ends at ``score.length``.  At a shared tick, note-offs
    come before note-ons, so repeated notes of one pitch stay apart.
    """
    tpb = int(ticks_per_beat or score.resolution * max(1, 480 // score.resolution))
    if tpb % score.resolution:
        raise ValueError(f"ticks_per_beat {tpb} is not a multiple of the score's resolution {score.resolution}")
    k = tpb // score.resolution  # ticks per step
    mf = mido.MidiFile(type=1, ticks_per_beat=tpb)
    notes = score.notes.astype(np.int64)
    drums = score.drums.astype(np.int64) if include_drums else np.zeros((0, 5), np.int64)
    last = [int((a[:, 0] + a[:, 1]).max()) for a in (notes, drums) if len(a)]
    end = max([int(score.length)] + last) * k

    meta: list[tuple[int, int, object]] = []
    if score.title:
        meta.append((0, 0, mido.MetaMessage("track_name", name=score.title)))
    for t, num, den in score.time_signatures:
        meta.append((int(t) * k, 1, mido.MetaMessage("time_signature", numerator=int(num), denominator=int(den))))
    for t, root, mode in score.key_signatures:
        if mode in MIDO_KEYS:
            meta.append((int(t) * k, 2, mido.MetaMessage("key_signature", key=MIDO_KEYS[mode][int(root) % 12])))
    for t, qpm in score.tempos:
        meta.append((int(t) * k, 3, mido.MetaMessage("set_tempo", tempo=int(round(60_000_000 / qpm)))))
    mf.tracks.append(_events_to_track(meta, end))

    def instrument(info: TrackInfo, sel: np.ndarray, channel: int):
        ev: list[tuple[int, int, object]] = []
        if info.name:
            ev.append((0, 0, mido.MetaMessage("track_name", name=info.name)))
        ev.append((0, 1, mido.Message("program_change", program=int(info.program) % 128, channel=channel)))
        for on, dur, pitch, vel, _ in sel.tolist():
            ev.append((on * k, 3, mido.Message("note_on", note=pitch, velocity=vel, channel=channel)))
            ev.append(((on + dur) * k, 2, mido.Message("note_off", note=pitch, velocity=64, channel=channel)))
        mf.tracks.append(_events_to_track(ev, end))

    for i, info in enumerate(score.tracks):
        ch = i % 15
        instrument(info, notes[notes[:, 4] == i], ch + 1 if ch > 8 else ch)
    if include_drums:
        for i, info in enumerate(score.drum_tracks):
            instrument(info, drums[drums[:, 4] == i], 9)
    return mf


def write_score_fast(score: Score, path: str | os.PathLike, include_drums: bool = True,
                     ticks_per_beat: int | None = None) -> Path:
    """Write a Score as a MIDI file atomically (temp file + rename); it ends at score.length.

    >>> write_score_fast(score, "out.mid")   # doctest: +SKIP
    """
    path = Path(path)
    mf = score_to_midifile(score, include_drums=include_drums, ticks_per_beat=ticks_per_beat)
    with atomic_path(path, suffix=".mid") as tmp:  # usual permissions, renamed into place
        mf.save(str(tmp))
    return path


def midi_length_beats(path: str | os.PathLike) -> float:
    """The length of a MIDI file in beats: the tick of its last event (end of track included)."""
    mf = mido.MidiFile(filename=str(path))
    return max((sum(m.time for m in tr) for tr in mf.tracks), default=0) / mf.ticks_per_beat


__all__ = ["write_score_fast", "score_to_midifile", "midi_length_beats"]
