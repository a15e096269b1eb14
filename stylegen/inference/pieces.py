"""A piece on its own grid <-> what the generator reads and writes on the model's grid.

    prepare(score, spec, cspec, keep_melody)     -> Prepared: the model-grid view of a piece:
                                                 length T, content (T, D), the melody's clamp
    finish(prepared, roll, spec, drop_drums)     the generated roll (2, T, P) written back into
                                                 the piece on its own grid -> Score
    bar_lines(score) / bar_steps(score)          small helpers shared with composition

(A piece moves onto the model's grid with ``data.score.to_grid``, the project's one way.)

A piece read from a file stays on the file's own grid (its ticks per beat), so everything
transfer keeps (the melody, drums, tempo map, meter, keys, the length with a final rest) is
written back tick for tick; only the generator's notes come from the model's 16th grid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from stylegen.data.content import ContentSpec, bar_positions, content_features, melody_mask
from stylegen.data.roll import RollSpec, in_range, notes_to_roll, roll_to_notes, transfer_velocities
from stylegen.data.score import DURATION, ONSET, TRACK, VELOCITY, Score, TrackInfo, scale_steps, sort_notes, to_grid
from stylegen.inference.melody import clear_clamped, melody_clamp_cells

PIANO = TrackInfo(name="Piano", program=0)


def bar_lines(score: Score) -> np.ndarray:
    """The steps where the score's bars start (its time signatures where they are real,
    else 4/4 from step 0)."""
    return score.bar_starts()


def bar_steps(score: Score) -> int:
    """Steps per bar of the score's last trusted time signature (4 beats when none)."""
    sigs = score.trusted_time_signatures()
    _, num, den = sigs[-1] if sigs else (0, 4, 4)
    return max(1, round(num * 4 / den * score.resolution))


@dataclass
class Prepared:
    """One piece as the generator sees it (see :func:`prepare`)."""

    score: Score  # the piece as given, on its own grid
    grid: Score  # the same piece on the model's grid; notes index-aligned with score.notes
    length: int  # T: steps on the model's grid
    content: torch.Tensor  # (T, D) float32
    inside: np.ndarray  # (N,) bool: notes inside the model's pitch range
    melody: np.ndarray  # (N,) bool: the kept melody (all False when the model re-writes it)
    how: str  # how the melody was found ("" when not kept)
    clamp: tuple[torch.Tensor, torch.Tensor] | None  # values (2, T, P), mask (T, P)


def prepare(score: Score, spec: RollSpec, cspec: ContentSpec, keep_melody: bool = True) -> Prepared:
    """The whole piece's content features (harmony of every note in the model's pitch range,
    drums never; positions from the piece's own bar lines) and, with ``keep_melody``, the
    clamp that makes the generator write the melody."""
    grid = to_grid(score, spec.resolution)
    notes = grid.notes
    T = max(1, int(grid.length), int((notes[:, ONSET] + notes[:, DURATION]).max()) if len(notes) else 0)
    grid = replace(grid, length=T)
    inside = in_range(notes, spec)
    roll = torch.from_numpy(notes_to_roll(notes[inside], spec, 0, T)).float()  # (2, T, P)
    pos = torch.from_numpy(bar_positions(T, bar_lines(grid)))  # (T,)
    content = content_features(roll, pos, spec, cspec)  # (T, D)
    if keep_melody:
        melody, how = melody_mask(grid)
    else:
        melody, how = np.zeros(len(notes), dtype=bool), ""
    clamp = melody_clamp_cells(notes[melody & inside], spec, T) if melody.any() else None
    return Prepared(score, grid, T, content, inside, melody, how, clamp)


def finish(p: Prepared, roll: torch.Tensor, spec: RollSpec, drop_drums: bool = False) -> Score:
    """Write the generated roll (2, T, P) back into the piece: the piece's own melody notes
    (unchanged) on their own track, the generator's notes on a piano track with velocities
    from the input's accompaniment, notes outside the model's pitch range unchanged, and the
    piece's tempo map, meter, keys, length and (unless ``drop_drums``) drums.

    The output keeps the input's length: its music ends where the input's does (the end of
    the input's last note or drum hit: the generator's notes are cut there), and a final rest
    after it stays a rest, to the input's length (a file's end of track).  The evaluation's
    ``length_match`` measures the same two things."""
    score, grid = p.score, p.grid
    if p.clamp is not None:
        roll = clear_clamped(roll, p.clamp[1])
    new = roll_to_notes(roll.cpu().numpy() > 0.5, spec)  # (M, 5) on the model's grid
    accompaniment = p.inside & ~p.melody
    template = grid.notes[accompaniment] if accompaniment.any() else grid.notes[p.inside]
    new = transfer_velocities(new, template)
    if len(new):  # onto the piece's own grid, ending where the piece's music ends
        f = score.resolution / spec.resolution
        on = scale_steps(new[:, ONSET], f)
        end = scale_steps(new[:, ONSET].astype(np.int64) + new[:, DURATION], f)
        ends = [int((a[:, ONSET].astype(np.int64) + a[:, DURATION]).max()) for a in (score.notes, score.drums) if len(a)]
        end = np.minimum(end, max(ends) if ends else max(int(score.length), 1))
        keep = on < end
        new = new[keep]
        new[:, ONSET], new[:, DURATION] = on[keep], (end - on)[keep]
    melody = score.notes[p.melody].copy()
    passthrough = score.notes[~p.inside & ~p.melody].copy()  # outside the model's pitch range
    tracks: list[TrackInfo] = []
    if len(melody):
        m = score.melody_track
        info = score.tracks[m] if m is not None and p.how.startswith("track") else TrackInfo("Melody", 0)
        tracks.append(TrackInfo(name=info.name or "Melody", program=info.program, is_melody=True))
        melody[:, TRACK] = 0
    piano = len(tracks)
    tracks.append(replace(PIANO))
    new[:, TRACK] = piano
    passthrough[:, TRACK] = piano
    out = score.with_notes(np.concatenate([melody, new.astype(np.int32), passthrough]), tracks=tracks)
    out.length = int(score.length)
    if drop_drums:
        out.drums = np.zeros((0, 5), np.int32)
        out.drum_tracks = []
    return out


def metric_velocities(notes: np.ndarray, resolution: int, steps_per_bar: int) -> np.ndarray:
    """Velocities for notes with no input to copy from: 72, +10 on a downbeat, +5 on a beat."""
    notes = notes.copy()
    on = notes[:, ONSET]
    notes[:, VELOCITY] = 72 + 10 * (on % steps_per_bar == 0) + 5 * ((on % resolution == 0) & (on % steps_per_bar != 0))
    return sort_notes(notes)


__all__ = ["PIANO", "Prepared", "prepare", "finish", "bar_lines", "bar_steps",
           "metric_velocities"]
