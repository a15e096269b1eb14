"""Real music made wrong on purpose: what a judge must not call music of a style.

    corrupt(notes, kind, rng, resolution=4) -> notes        one corruption of a note array (N, 5)
    CORRUPTIONS                                             the kinds, in table order

    deleted          half the notes removed at random
    stray            as many random notes as half the piece added (random pitch 36-95, onset,
                     1-4 steps long)
    register         everything two octaves up (notes above MIDI 127 dropped)
    sparse_repeated  what a collapsed generator writes: the accompaniment gone, one staccato
                     note (one step) on every beat that sounds, repeating the highest pitch of
                     its bar an octave up

Used to measure a style classifier's blind spot (checkpoints/README.md) and, labelled with
their source style, to train one that is not fooled by them (training/classifier_training.py).
"""

from __future__ import annotations

import numpy as np

from stylegen.data.score import DURATION, ONSET, PITCH, TRACK, VELOCITY, sort_notes

CORRUPTIONS = ("deleted", "stray", "register", "sparse_repeated")


def corrupt(notes: np.ndarray, kind: str, rng: np.random.Generator, resolution: int = 4,
            bar_steps: int | None = None) -> np.ndarray:
    """A corrupted copy of ``notes`` (N, 5) on a grid of ``resolution`` steps per beat."""
    notes = np.asarray(notes, dtype=np.int32).reshape(-1, 5)
    if len(notes) == 0:
        return notes.copy()
    if kind == "deleted":
        return notes[rng.random(len(notes)) >= 0.5].copy()
    if kind == "stray":
        n = max(1, len(notes) // 2)
        lo, hi = int(notes[:, ONSET].min()), int((notes[:, ONSET] + notes[:, DURATION]).max())
        extra = np.zeros((n, 5), dtype=np.int32)
        extra[:, ONSET] = rng.integers(lo, max(lo + 1, hi), n)
        extra[:, DURATION] = rng.integers(1, 5, n)
        extra[:, PITCH] = rng.integers(36, 96, n)
        extra[:, VELOCITY] = int(np.median(notes[:, VELOCITY]))
        extra[:, TRACK] = notes[0, TRACK]
        return sort_notes(np.concatenate([notes, extra]))
    if kind == "register":
        out = notes.copy()
        out[:, PITCH] += 24
        return out[out[:, PITCH] <= 127]
    if kind == "sparse_repeated":
        bar = bar_steps or 4 * resolution
        on = notes[:, ONSET].astype(np.int64)
        end = notes[:, ONSET] + notes[:, DURATION]
        rows = []
        for beat in range(int(on.min()) // resolution * resolution, int(end.max()), resolution):
            sounding = (on <= beat) & (end > beat)
            if not sounding.any():
                continue
            b0 = beat // bar * bar
            in_bar = (on < b0 + bar) & (end > b0)
            pitch = min(127, int(notes[in_bar, PITCH].max()) + 12)
            rows.append([beat, 1, pitch, int(np.median(notes[:, VELOCITY])), int(notes[0, TRACK])])
        return sort_notes(np.array(rows, dtype=np.int32).reshape(-1, 5))
    raise ValueError(f"unknown corruption {kind!r} (known: {', '.join(CORRUPTIONS)})")
