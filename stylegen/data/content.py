"""What a piece is, without how it is played: the generator's content features.

The generator hears only these (never the raw roll, the note density or the texture) and
writes the target style's texture itself from its own previous output.  They are computed
the same way for every corpus, from a roll and the metrical position of each step:

    roll (..., 2, T, P) + pos (..., T)  ──content_features──▶  (..., T, D)   D = spec.dim

    chroma   (12)  pitch-class weight of the sounding notes in the step's harmony block,
                   scaled so its largest class is 1 (all 0 in a silent block)
    bass     (12)  the pitch class of the lowest sounding note, as a share of the block
    dropped  (1)   1 where the harmony is withheld (composition from nothing), else 0:
                   "no harmony given" is not the same as "a silent block"
    position (bar_steps) one-hot step within the bar (pos clipped to bar_steps - 1)

A harmony block is ``spec.block`` steps, counted from each bar line: a 4/4 bar of 16ths in
the shipped recipe (``content.block: 16``, pitch-class sets, no bass), half a bar for the
class default of 8.  The generator looks at most ``block - 1`` steps ahead (the rest of the
bar with the shipped recipe): streaming stays possible.  The melody is not a feature: transfer clamps it into the
generator's output, from where it reaches the next steps.  Coarse harmony keeps the
style out of the content (measured with ``stylegen.metrics.leakage``; see checkpoints/README.md).

``chroma_blocks`` is differentiable in the roll: the adversarial stage re-computes the
harmony of the generator's (relaxed) output and asks it to match the input's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from stylegen.data.roll import SUSTAIN_CH, RollSpec
from stylegen.data.score import DURATION, ONSET, PITCH, TRACK, Score


@dataclass(frozen=True)
class ContentSpec:
    """How content features are computed; stored in every checkpoint."""

    block: int = 8  # steps per harmony block, counted from each bar line
    bar_steps: int = 16  # position one-hot size (a 4/4 bar at 4 steps per beat)
    chroma: bool = True
    bass: bool = True
    binary: bool = False  # chroma as the set of pitch classes (weight >= half the largest), bass as one class

    @property
    def harmony_dim(self) -> int:
        return 12 * int(self.chroma) + 12 * int(self.bass)

    @property
    def dim(self) -> int:
        return self.harmony_dim + 1 + self.bar_steps

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ContentSpec":
        return cls(**d)


def bar_positions(length: int, bars: np.ndarray, start: int = 0) -> np.ndarray:
    """(length,) int64: steps since the last bar line for steps start .. start+length-1.

    ``bars`` holds the steps where bars start (sorted); steps before the first bar line
    count from 0."""
    t = np.arange(start, start + length, dtype=np.int64)
    bars = np.asarray(bars, dtype=np.int64)
    if len(bars) == 0:
        return t.copy()
    i = np.searchsorted(bars, t, side="right") - 1
    base = np.where(i >= 0, bars[np.clip(i, 0, None)], 0)
    return t - base


def regular_bars(length: int, bar_steps: int) -> np.ndarray:
    """Bar lines every ``bar_steps`` steps: the meter of a piece composed from nothing."""
    return np.arange(0, max(length, 1), bar_steps, dtype=np.int64)


def pitch_classes(spec: RollSpec, device=None, dtype=torch.float32) -> torch.Tensor:
    """(P, 12) one-hot pitch class of each roll row."""
    pc = (torch.arange(spec.n_pitches, device=device) + spec.lowest_pitch) % 12
    return torch.nn.functional.one_hot(pc, 12).to(dtype)


def block_ids(pos: torch.Tensor, block: int) -> torch.Tensor:
    """(..., T) long: index of each step's harmony block; a block starts at every step
    whose bar position is a multiple of ``block`` and at step 0."""
    starts = (pos % block) == 0  # a new tensor: safe to write into
    starts[..., 0] = True
    return torch.cumsum(starts.long(), dim=-1) - 1


def _block_mean(x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """x (B, T, F), ids (B, T) -> each step's block mean of x, (B, T, F)."""
    B, T, F = x.shape
    n = int(ids.max().item()) + 1 if T else 1
    sums = x.new_zeros(B, n, F).scatter_add(1, ids[..., None].expand(B, T, F), x)
    counts = x.new_zeros(B, n, 1).scatter_add(1, ids[..., None], x.new_ones(B, T, 1))
    means = sums / counts.clamp_min(1)
    return means.gather(1, ids[..., None].expand(B, T, F))


def _flat(roll: torch.Tensor, pos: torch.Tensor):
    lead = roll.shape[:-3]
    T, P = roll.shape[-2:]
    return roll.reshape(-1, roll.shape[-3], T, P), pos.reshape(-1, T), lead


def chroma_blocks(roll: torch.Tensor, pos: torch.Tensor, spec: RollSpec, block: int) -> torch.Tensor:
    """(..., 2, T, P) roll (0/1 or probabilities) -> (..., T, 12): each step's block chroma,
    max-normalised.  Differentiable in ``roll``."""
    r, p, lead = _flat(roll, pos)
    sus = r[:, SUSTAIN_CH].float()  # (B, T, P)
    pcs = sus @ pitch_classes(spec, sus.device)  # (B, T, 12)
    c = _block_mean(pcs, block_ids(p, block))
    c = c / c.amax(dim=-1, keepdim=True).clamp_min(1e-6)
    return c.reshape(*lead, c.shape[-2], 12)


def bass_blocks(roll: torch.Tensor, pos: torch.Tensor, spec: RollSpec, block: int) -> torch.Tensor:
    """(..., 2, T, P) -> (..., T, 12): share of the block's sounding steps on which each
    pitch class is the lowest note."""
    r, p, lead = _flat(roll, pos)
    sus = r[:, SUSTAIN_CH] > 0.5  # (B, T, P)
    sounding = sus.any(dim=-1)  # (B, T)
    lowest = sus.float().argmax(dim=-1)  # first True along pitch = lowest note
    pc = (lowest + spec.lowest_pitch) % 12
    onehot = torch.nn.functional.one_hot(pc, 12).float() * sounding[..., None]
    b = _block_mean(onehot, block_ids(p, block))
    return b.reshape(*lead, b.shape[-2], 12)


def position_onehot(pos: torch.Tensor, bar_steps: int) -> torch.Tensor:
    """(..., T) long -> (..., T, bar_steps)."""
    return torch.nn.functional.one_hot(pos.long().clamp(0, bar_steps - 1), bar_steps).float()


def content_features(roll: torch.Tensor, pos: torch.Tensor, spec: RollSpec, cspec: ContentSpec) -> torch.Tensor:
    """The generator's content input: (..., 2, T, P) roll, (..., T) bar positions ->
    (..., T, cspec.dim) float32."""
    parts = []
    if cspec.chroma:
        c = chroma_blocks(roll, pos, spec, cspec.block)
        parts.append((c >= 0.5).float() if cspec.binary else c)
    if cspec.bass:
        b = bass_blocks(roll, pos, spec, cspec.block)
        if cspec.binary:  # the block's most frequent lowest pitch class
            b = torch.nn.functional.one_hot(b.argmax(-1), 12).float() * (b.sum(-1, keepdim=True) > 0)
        parts.append(b)
    parts.append(torch.zeros(*pos.shape, 1, device=roll.device))
    parts.append(position_onehot(pos, cspec.bar_steps).to(roll.device))
    return torch.cat(parts, dim=-1)


def without_harmony(content: torch.Tensor, cspec: ContentSpec) -> torch.Tensor:
    """The same features with the harmony zeroed: what `generate` (compose from nothing)
    gives the generator; training drops the harmony this way some of the time."""
    out = content.clone()
    out[..., : cspec.harmony_dim] = 0
    out[..., cspec.harmony_dim] = 1
    return out


def empty_content(pos: torch.Tensor, cspec: ContentSpec) -> torch.Tensor:
    """(..., T) bar positions -> (..., T, dim) features with the harmony withheld."""
    out = torch.zeros(*pos.shape, cspec.dim, device=pos.device)
    out[..., cspec.harmony_dim] = 1
    out[..., cspec.harmony_dim + 1:] = position_onehot(pos, cspec.bar_steps)
    return out


# --------------------------------------------------------------------------- the melody
# The project's one definition of the top voice (the highest sounding pitch of each step)
# and of a piece's melody (the track the file names as its melody when it has notes, else
# the top voice: every note that is the highest sounding pitch at its onset step), on rolls
# (training, the texture codes, window metrics) and on notes (transfer's clamp, the
# evaluation's melody recall, the rule baseline, the harmony model's data).


def top_voice(roll: torch.Tensor) -> torch.Tensor:
    """(..., 2, T, P) roll -> (..., T, P) bool: the highest sounding pitch of each step (the
    skyline melody, extracted the same way for every corpus)."""
    sus = roll[..., SUSTAIN_CH, :, :] > 0.5  # (..., T, P)
    P = sus.shape[-1]
    idx = torch.arange(P, device=roll.device)
    top = torch.where(sus, idx, torch.full_like(idx, -1)).amax(dim=-1)  # (..., T), -1 where silent
    return (idx == top[..., None]) & (top[..., None] >= 0)


def top_voice_pitches(notes: np.ndarray, length: int) -> np.ndarray:
    """(length,) int64: the highest sounding MIDI pitch of notes (N, 5) at each step, -1
    where nothing sounds; a note sounds from its onset for its duration (at least one step),
    cut at ``length``.  :func:`top_voice` on notes instead of a roll."""
    T = max(int(length), 0)
    count = np.zeros((T + 1, 128), dtype=np.int32)  # notes sounding per (step, pitch), by differences
    if len(notes):
        on = notes[:, ONSET].astype(np.int64)
        end = on + np.maximum(1, notes[:, DURATION].astype(np.int64))
        pitch = notes[:, PITCH].astype(np.int64)
        np.add.at(count, (np.clip(on, 0, T), pitch), 1)
        np.add.at(count, (np.clip(end, 0, T), pitch), -1)
    sounding = np.cumsum(count, axis=0)[:T] > 0  # (T, 128)
    top = 127 - np.argmax(sounding[:, ::-1], axis=1)
    top[~sounding.any(axis=1)] = -1
    return top.astype(np.int64)


def top_voice_mask(notes: np.ndarray, length: int | None = None) -> np.ndarray:
    """(N,) bool: the notes that are the highest sounding pitch at their onset step.

    >>> n = np.array([[0, 4, 60, 80, 0], [0, 4, 67, 80, 0], [4, 2, 64, 80, 0], [2, 1, 62, 80, 0]])
    >>> top_voice_mask(n).tolist()
    [False, True, True, False]
    """
    if len(notes) == 0:
        return np.zeros(0, dtype=bool)
    on = notes[:, ONSET].astype(np.int64)
    end = on + np.maximum(1, notes[:, DURATION].astype(np.int64))
    top = top_voice_pitches(notes, max(int(end.max()), int(length or 0)))
    return top[on] == notes[:, PITCH]


def melody_of(notes: np.ndarray, melody_track: int | None, length: int | None = None) -> np.ndarray:
    """(N,) bool: the melody of notes (N, 5): the notes of ``melody_track`` (None or -1: the
    file names none) when it has notes, else the top voice (:func:`top_voice_mask`)."""
    if melody_track is not None and melody_track >= 0:
        mask = notes[:, TRACK] == melody_track
        if mask.any():
            return mask
    return top_voice_mask(notes, length)


def melody_mask(score: Score) -> tuple[np.ndarray, str]:
    """(N,) bool mask of ``score.notes`` that carry the melody (:func:`melody_of`), and how
    it was found ("track 'NAME'" or "top voice")."""
    m = score.melody_track
    mask = melody_of(score.notes, m, score.length)
    named = m is not None and bool((score.notes[:, TRACK] == m).any())
    return mask, (f"track {score.tracks[m].name!r}" if named else "top voice")


def melody_notes(score: Score) -> np.ndarray:
    """The melody's notes (M, 5) (:func:`melody_mask`)."""
    return score.notes[melody_of(score.notes, score.melody_track, score.length)]


def melody_clamp(roll: torch.Tensor, melody: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """What the generator must keep: ``melody`` (..., T, P) bool cells of ``roll`` (..., 2, T, P).

    Returns (values (..., 2, T, P), mask (..., T, P)): the melody's onset and sustain cells,
    and, at every step where the melody sounds, silence at and above its pitch, so the kept
    melody stays the top voice."""
    values = roll * melody.unsqueeze(-3).to(roll.dtype)
    P = melody.shape[-1]
    idx = torch.arange(P, device=roll.device)
    mel_pitch = torch.where(melody, idx, torch.full_like(idx, P)).amin(dim=-1)  # (..., T), P where none
    mask = idx >= mel_pitch[..., None]
    return values, mask
