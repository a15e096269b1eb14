"""Build MIDI files in code for the tests (no data files are committed).

    write_midi(path, [Track(notes=[(onset_beats, duration_beats, pitch, velocity), ...])],
               ticks_per_beat=480, tempo_bpm=120, time_signature=(4, 4))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import mido


@dataclass
class Track:
    notes: list[tuple[float, float, int, int]] = field(default_factory=list)  # (onset, duration) in beats
    name: str = ""
    program: int = 0
    drum: bool = False


def write_midi(path, tracks: list[Track], ticks_per_beat: int = 480, tempo_bpm: float | list = 120.0,
               time_signature: tuple[int, int] | list | None = (4, 4), key: str | None = None, type_: int = 1) -> Path:
    """Write a type-1 MIDI file.  ``tempo_bpm`` / ``time_signature`` may be lists of
    (beat, value) for changes.  Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mf = mido.MidiFile(type=type_, ticks_per_beat=ticks_per_beat)
    meta = mido.MidiTrack()
    events = []
    tempos = tempo_bpm if isinstance(tempo_bpm, list) else [(0, tempo_bpm)]
    for beat, bpm in tempos:
        events.append((round(beat * ticks_per_beat), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))))
    if time_signature is not None:
        sigs = time_signature if isinstance(time_signature, list) else [(0, time_signature)]
        for beat, (num, den) in sigs:
            events.append((round(beat * ticks_per_beat), mido.MetaMessage("time_signature", numerator=num, denominator=den)))
    if key:
        events.append((0, mido.MetaMessage("key_signature", key=key)))
    _append(meta, events)
    mf.tracks.append(meta)
    for i, tr in enumerate(tracks):
        mt = mido.MidiTrack()
        ch = 9 if tr.drum else i % 16 if i % 16 != 9 else 10
        ev = []
        if tr.name:
            ev.append((0, mido.MetaMessage("track_name", name=tr.name)))
        ev.append((0, mido.Message("program_change", program=tr.program, channel=ch)))
        for onset, dur, pitch, vel in tr.notes:
            on = round(onset * ticks_per_beat)
            off = round((onset + dur) * ticks_per_beat)
            ev.append((on, mido.Message("note_on", note=pitch, velocity=vel, channel=ch)))
            ev.append((off, mido.Message("note_off", note=pitch, velocity=0, channel=ch)))
        _append(mt, ev)
        mf.tracks.append(mt)
    mf.save(path)
    return path


def _append(track: mido.MidiTrack, events: list) -> None:
    # note_off before note_on at the same tick, so repeated notes stay separate
    order = {"note_off": 0, "note_on": 1}
    events.sort(key=lambda e: (e[0], order.get(getattr(e[1], "type", ""), -1)))
    now = 0
    for t, msg in events:
        track.append(msg.copy(time=t - now))
        now = t
    track.append(mido.MetaMessage("end_of_track", time=0))


def scale_piece(n_bars: int = 8, base: int = 60, beats_per_bar: int = 4) -> list[tuple[float, float, int, int]]:
    """A simple melody: one quarter note per beat walking a C major scale."""
    steps = [0, 2, 4, 5, 7, 9, 11, 12]
    return [(float(b), 1.0, base + steps[b % 8], 80) for b in range(n_bars * beats_per_bar)]


def chord_piece(n_bars: int = 8, root: int = 48) -> list[tuple[float, float, int, int]]:
    """Whole-bar triads: I-IV-V-I."""
    prog = [0, 5, 7, 0]
    out = []
    for bar in range(n_bars):
        r = root + prog[bar % 4]
        for iv in (0, 4, 7):
            out.append((bar * 4.0, 4.0, r + iv, 70))
    return out
