"""Where MIDI becomes a tensor: the piano-roll representation and its exact inverse.

A roll is a tensor of shape (C, T, P):
    C = 2 channels, ``onset`` (1 at the step a note starts) and ``sustain`` (1 at every step
        a note sounds, its onset step included), so two repeated notes of one pitch stay two;
    T = time steps on the beat grid (``spec.resolution`` per beat);
    P = pitches ``spec.lowest_pitch`` .. ``spec.lowest_pitch + spec.n_pitches - 1``.

Decoding reads each pitch row: a note starts at an onset (or where sustain begins without
one) and lasts until sustain stops or the next onset.  Notes on the grid that do not overlap
another note of the same pitch come back exactly (pitch, onset, duration).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from stylegen.data.score import DURATION, ONSET, PITCH, TRACK, VELOCITY, Score, TrackInfo, sort_notes

CHANNELS = ("onset", "sustain")
ONSET_CH, SUSTAIN_CH = 0, 1


@dataclass(frozen=True)
class RollSpec:
    """The grid and pitch range of a roll.  Stored in every checkpoint and cache."""

    resolution: int = 4  # steps per beat
    lowest_pitch: int = 24
    n_pitches: int = 84
    channels: tuple[str, ...] = CHANNELS

    @property
    def highest_pitch(self) -> int:
        return self.lowest_pitch + self.n_pitches - 1

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    def steps_per_bar(self, beats: int = 4) -> int:
        return beats * self.resolution

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RollSpec":
        d = dict(d)
        d["channels"] = tuple(d.get("channels", CHANNELS))
        return cls(**d)

    @classmethod
    def from_config(cls, cfg) -> "RollSpec":
        return cls(resolution=cfg.resolution, lowest_pitch=cfg.lowest_pitch, n_pitches=cfg.n_pitches)


# --------------------------------------------------------------------------- encode


def in_range(notes: np.ndarray, spec: RollSpec, shift: int = 0) -> np.ndarray:
    """Boolean mask of the notes whose (shifted) pitch fits the roll."""
    p = notes[:, PITCH] + shift
    return (p >= spec.lowest_pitch) & (p <= spec.highest_pitch)


def notes_to_roll(
    notes: np.ndarray, spec: RollSpec, start: int = 0, length: int | None = None, shift: int = 0
) -> np.ndarray:
    """Render notes (N, 5) into a bool roll (C, T, P) covering steps [start, start+length).

    Notes partly inside the window contribute their sustain (their onset only if it falls
    inside).  ``shift`` transposes by semitones; notes outside the pitch range are left out
    (count them with :func:`in_range`).
    """
    if length is None:
        length = int((notes[:, ONSET] + notes[:, DURATION]).max()) - start if len(notes) else 0
    length = max(0, int(length))
    P = spec.n_pitches
    roll = np.zeros((2, length, P), dtype=bool)
    if len(notes) == 0 or length == 0:
        return roll
    on = notes[:, ONSET].astype(np.int64) - start
    off = on + notes[:, DURATION]
    keep = (on < length) & (off > 0) & in_range(notes, spec, shift)
    on, off = on[keep], off[keep]
    p = notes[keep, PITCH].astype(np.int64) + shift - spec.lowest_pitch
    # sustain: +1 at the start, -1 at the end, cumulative sum over time
    acc = np.zeros((length + 1, P), dtype=np.int32)
    np.add.at(acc, (np.clip(on, 0, length), p), 1)
    np.add.at(acc, (np.clip(off, 0, length), p), -1)
    roll[SUSTAIN_CH] = np.cumsum(acc, axis=0)[:length] > 0
    inside = on >= 0
    roll[ONSET_CH, on[inside], p[inside]] = True
    return roll


def score_to_roll(score: Score, spec: RollSpec):
    """The whole piece as a bool tensor (2, T, P), T = score.length."""
    import torch  # not at module level: a warm `stylegen data` reads rolls' specs without torch

    if score.resolution != spec.resolution:
        raise ValueError(f"score is on a {score.resolution}-step grid, spec wants {spec.resolution}")
    return torch.from_numpy(notes_to_roll(score.notes, spec, 0, score.length))


def canonical_roll(roll):
    """The roll that decoding then encoding would give: what a MIDI file of it contains.

    A network can write cells no real roll has: sustain without an onset where a note
    begins, or an onset without sustain.  Decoding reads them as notes anyway (a note starts
    at an onset or where sustain begins; an onset alone lasts one step), so the canonical
    roll has sustain = onset OR sustain, and an onset wherever a sustain run begins.  Works
    on torch tensors (..., 2, T, P) of 0/1 floats, keeping gradients (the straight-through
    fakes of training), and on bool numpy arrays.  Judge generated rolls only in this form:
    a classifier shown the raw ones can be fooled by patterns no MIDI file holds."""
    if hasattr(roll, "detach"):
        import torch  # a torch tensor came in, so torch is loaded already (see score_to_roll)

        on, sus = roll[..., ONSET_CH, :, :], roll[..., SUSTAIN_CH, :, :]
        s2 = torch.maximum(on, sus)
        prev = torch.nn.functional.pad(s2[..., :-1, :], (0, 0, 1, 0))
        o2 = torch.maximum(on, s2 * (1 - prev))
        return torch.stack([o2, s2], dim=-3)
    r = np.asarray(roll, dtype=bool)
    on, sus = r[..., ONSET_CH, :, :], r[..., SUSTAIN_CH, :, :]
    s2 = on | sus
    prev = np.zeros_like(s2)
    prev[..., 1:, :] = s2[..., :-1, :]
    return np.stack([on | (s2 & ~prev), s2], axis=-3)


# --------------------------------------------------------------------------- decode


def roll_to_notes(roll, spec: RollSpec, threshold: float = 0.5, velocity: int = 80, offset: int = 0) -> np.ndarray:
    """Decode a roll (C, T, P) of bools or probabilities into notes (N, 5).

    Velocities are all ``velocity`` and the track column is 0; ``offset`` is added to onsets.
    """
    r = roll.detach().cpu().numpy() if hasattr(roll, "detach") else np.asarray(roll)
    if r.dtype != bool:
        r = r > threshold
    if r.ndim != 3 or r.shape[0] < 2 or r.shape[2] != spec.n_pitches:
        raise ValueError(f"expected a roll of shape (2, T, {spec.n_pitches}), got {tuple(r.shape)}")
    onset, sustain = r[ONSET_CH], r[SUSTAIN_CH]
    T, P = onset.shape
    active = onset | sustain
    prev = np.zeros_like(active)
    prev[1:] = active[:-1]
    starts = onset | (active & ~prev)  # (T, P)
    boundary = starts | ~active
    # work per pitch on rows of length T+1 (a sentinel boundary at T), flattened
    b = np.ones((P, T + 1), dtype=bool)
    b[:, :T] = boundary.T
    s = np.zeros((P, T + 1), dtype=bool)
    s[:, :T] = starts.T
    s_idx = np.flatnonzero(s)
    b_idx = np.flatnonzero(b)
    # the end of each note: the first boundary strictly after its start (same row: the sentinel)
    ends = b_idx[np.searchsorted(b_idx, s_idx, side="right")]
    pitch = s_idx // (T + 1)
    t0 = s_idx % (T + 1)
    dur = ends - s_idx
    notes = np.stack(
        [t0 + offset, dur, pitch + spec.lowest_pitch, np.full_like(t0, velocity), np.zeros_like(t0)], axis=1
    )
    return sort_notes(notes.astype(np.int32))


def transfer_velocities(notes: np.ndarray, template: np.ndarray, default: int | None = None) -> np.ndarray:
    """Copy velocities from ``template`` notes where a note survives (same onset and pitch);
    elsewhere use the velocity of the nearest earlier template onset (or ``default``)."""
    notes = notes.copy()
    if len(notes) == 0:
        return notes
    if len(template) == 0:
        notes[:, VELOCITY] = default or 80
        return notes
    key = template[:, ONSET].astype(np.int64) * 128 + template[:, PITCH]
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    q = notes[:, ONSET].astype(np.int64) * 128 + notes[:, PITCH]
    pos = np.searchsorted(key_sorted, q)
    pos_c = np.clip(pos, 0, len(key_sorted) - 1)
    hit = key_sorted[pos_c] == q
    vel = np.empty(len(notes), dtype=np.int32)
    vel[hit] = template[order[pos_c[hit]], VELOCITY]
    if (~hit).any():
        if default is not None:
            vel[~hit] = default
        else:
            t_on = template[:, ONSET]
            t_order = np.argsort(t_on, kind="stable")
            idx = np.searchsorted(t_on[t_order], notes[~hit, ONSET], side="right") - 1
            vel[~hit] = template[t_order[np.clip(idx, 0, len(t_on) - 1)], VELOCITY]
    notes[:, VELOCITY] = vel
    return notes


def roll_to_score(
    roll, spec: RollSpec, template: Score | None = None, threshold: float = 0.5, velocity: int = 80,
    track_name: str = "Piano", program: int = 0,
) -> Score:
    """Decode a roll into a one-track Score.

    With a ``template`` (the input piece), the result keeps its tempo map, time signatures,
    key signatures, drums and length, and takes its velocities where notes survive.
    """
    notes = roll_to_notes(roll, spec, threshold=threshold, velocity=velocity)
    track = [TrackInfo(name=track_name, program=program)]
    T = int(roll.shape[1])
    if template is None:
        return Score(resolution=spec.resolution, notes=notes, tracks=track, length=T, tempos=[(0, 120.0)],
                     time_signatures=[(0, 4, 4)])
    if template.resolution != spec.resolution:
        raise ValueError("template is on another grid than the spec")
    notes = transfer_velocities(notes, template.notes)
    out = template.with_notes(notes, tracks=track)
    out.length = max(template.length, T)
    return out


__all__ = [
    "CHANNELS", "ONSET_CH", "SUSTAIN_CH", "RollSpec", "in_range", "notes_to_roll", "score_to_roll", "canonical_roll",
    "roll_to_notes", "roll_to_score", "transfer_velocities",
    "ONSET", "DURATION", "PITCH", "VELOCITY", "TRACK",
]
