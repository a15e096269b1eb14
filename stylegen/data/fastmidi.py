"""Read and write a :class:`Score` with mido alone: the fast path of ``stylegen transfer``.

``import muspy`` costs about 2.7 s of CPU (it pulls in music21, pypianoroll, scipy.stats
and matplotlib), as much again as torch.  The CLI reads one file, transfers it and writes
one file, so it reads and writes with mido directly (``import mido``: ~0.05 s):

    read_score_fast(path, resolution) -> Score     the same Score as midi.read_score
    write_score_fast(score, path)                  a type-1 file that keeps score.length

The reader follows muspy 0.5.0's ``read_midi`` (mido backend, FIFO for duplicate notes),
``adjust_resolution`` (round half to even of time * factor; a note's end is rounded, not
its duration) and ``midi.music_to_score`` step for step, and the tests check that both
give equal Scores on MIDI written by the tests and on the shared data.  The writer puts the
end of every track at ``score.length``, so a piece that ends in a rest keeps its length in
beats (muspy's writer ends a file at its last event), and writes 480 ticks per beat.
"""

from __future__ import annotations

import os
from collections import OrderedDict, defaultdict
from pathlib import Path

import numpy as np

from stylegen.data.midi import MELODY_NAMES, Score, SkipFile, TrackInfo, check_header, sort_notes

_NOTE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}

# Key names as mido spells them (by the circle of fifths; mido rejects muspy's "D#" major).
_MIDO_KEYS = {
    "major": ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"),
    "minor": ("Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"),
}


def _key_root(name: str) -> int:
    """muspy's note_str_to_note_num: 'Eb' -> 3, 'Cb' -> -1 (kept unreduced, as muspy does)."""
    root = _NOTE[name[0]]
    for c in name[1:]:
        root += 1 if c == "#" else -1 if c == "b" else 0
    return root


def read_score_fast(path: str | os.PathLike, resolution: int) -> Score:
    """Read a MIDI file onto a grid of ``resolution`` steps per beat without muspy.

    Gives the same :class:`Score` as :func:`stylegen.data.midi.read_score` (tested), and
    raises the same :class:`SkipFile` reasons.

    >>> score = read_score_fast("song.mid", resolution=4)   # doctest: +SKIP
    """
    import mido

    path = Path(path)
    check_header(path)
    try:
        mf = mido.MidiFile(filename=str(path))
    except Exception as e:  # mido raises many types for a corrupt file
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SkipFile("corrupt MIDI", msg[:120]) from None
    if mf.type == 2:
        raise SkipFile("type-2 MIDI", "independent sequences are not supported")
    if mf.ticks_per_beat < 1:
        raise SkipFile("zero ticks per beat")

    tempos: list[tuple[int, float]] = []
    sigs: list[tuple[int, int, int]] = []
    keys: list[tuple[int, int, str]] = []
    # per MIDI track: (program, channel) -> notes [(time, pitch, duration, velocity)], in
    # the order muspy creates its sub-tracks (at a sub-track's first note-off or controller)
    tracks: list[OrderedDict] = [OrderedDict() for _ in mf.tracks]
    names: list[str | None] = [None] * len(mf.tracks)
    for ti, mtrack in enumerate(mf.tracks):
        now = 0
        programs = [0] * 16
        active: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        subs = tracks[ti]
        for msg in mtrack:
            now += msg.time
            t = msg.type
            if t == "note_on" and msg.velocity > 0:
                active[(msg.channel, msg.note)].append((now, msg.velocity))
            elif t == "note_off" or t == "note_on":
                ons = active[(msg.channel, msg.note)]
                if not ons:
                    continue
                on, vel = ons.pop(0)
                subs.setdefault((programs[msg.channel], msg.channel), []).append((on, msg.note, now - on, vel))
            elif t == "set_tempo":
                tempos.append((now, float(mido.tempo2bpm(msg.tempo))))
            elif t == "time_signature":
                sigs.append((now, int(msg.numerator), int(msg.denominator)))
            elif t == "key_signature":
                minor = msg.key.endswith("m")
                keys.append((now, _key_root(msg.key[:-1] if minor else msg.key), "minor" if minor else "major"))
            elif t == "track_name":
                if not (mf.type == 0 or ti == 0):
                    names[ti] = msg.name
            elif t == "program_change":
                programs[msg.channel] = msg.program
            elif t == "control_change":
                subs.setdefault((programs[msg.channel], msg.channel), [])
            elif t == "end_of_track":
                break
        for (ch, pitch), ons in active.items():
            for on, vel in ons:
                subs.setdefault((programs[ch], ch), []).append((on, pitch, now - on, vel))

    # muspy.adjust_resolution: new time = round(time * f); a note's end is rounded, not its duration
    f = resolution / mf.ticks_per_beat

    def adj(x: int) -> int:
        return round(x * f)

    rows: list[tuple[int, int, int, int, int]] = []
    drums: list[tuple[int, int, int, int, int]] = []
    infos: list[TrackInfo] = []
    drum_infos: list[TrackInfo] = []
    end = 0
    for ti, subs in enumerate(tracks):
        for (program, channel), notes in subs.items():
            if not notes:
                continue
            is_drum = channel == 9
            info = TrackInfo(name=(names[ti] or "").strip(), program=int(program))
            target, index = (drums, len(drum_infos)) if is_drum else (rows, len(infos))
            (drum_infos if is_drum else infos).append(info)
            for time, pitch, dur, vel in sorted(notes, key=lambda n: (n[0], n[1], n[2], n[3])):
                t0 = adj(time)
                d = adj(time + dur) - t0
                onset, d = max(0, t0), max(1, d)
                target.append((onset, d, pitch, min(127, max(1, vel)), index))
                end = max(end, onset + d)
    melody = [i for i, t in enumerate(infos) if MELODY_NAMES.search(t.name)]
    if melody:
        infos[melody[0]].is_melody = True
    score = Score(
        resolution=resolution,
        notes=sort_notes(np.array(rows, dtype=np.int32).reshape(-1, 5)),
        tracks=infos,
        length=end,
        tempos=sorted((adj(t), q) for t, q in tempos if q > 0),
        time_signatures=sorted((adj(t), n, d) for t, n, d in sigs),
        key_signatures=sorted((adj(t), r % 12, m) for t, r, m in keys),
        drums=sort_notes(np.array(drums, dtype=np.int32).reshape(-1, 5)),
        drum_tracks=drum_infos,
        title=path.stem,
    )
    if len(score.notes) == 0:
        raise SkipFile("drums only" if len(score.drums) else "no notes")
    return score


def _events_to_track(events: list[tuple[int, int, object]], end: int):
    """Absolute-time events (tick, order, message) -> a mido track ending at ``end``."""
    import mido

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
    import mido

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
        if mode in _MIDO_KEYS:
            meta.append((int(t) * k, 2, mido.MetaMessage("key_signature", key=_MIDO_KEYS[mode][int(root) % 12])))
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
    from stylegen.fileio import atomic_path

    path = Path(path)
    mf = score_to_midifile(score, include_drums=include_drums, ticks_per_beat=ticks_per_beat)
    with atomic_path(path, suffix=".mid") as tmp:  # usual permissions, renamed into place
        mf.save(str(tmp))
    return path


def midi_length_beats(path: str | os.PathLike) -> float:
    """The length of a MIDI file in beats: the tick of its last event (end of track included)."""
    import mido

    mf = mido.MidiFile(filename=str(path))
    return max((sum(m.time for m in tr) for tr in mf.tracks), default=0) / mf.ticks_per_beat


__all__ = ["read_score_fast", "write_score_fast", "score_to_midifile", "midi_length_beats"]
