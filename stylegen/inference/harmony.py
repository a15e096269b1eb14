"""Harmony plans: the content the generator hears, written by the harmony model
(``models/harmony.py``) where a piece has no harmony of its own.

    resolve_form(form, bars) -> [Section]      "AABA" (or the default for the length) as
                                               sections of whole bars
    plan_composition(H, cspec, pos, style, form=..., primer=...) -> Plan
                                               each new section's harmony sampled once and
                                               re-used where its letter comes back; a
                                               primer's blocks heard first, then continued
    plan_accompaniment(H, cspec, pos, style, melody notes) -> Plan
                                               the harmony of a bare melody, block by block,
                                               from the melody of the block and of the next
    is_bare_melody(score, resolution) -> bool  one monophonic line (a piano piece is not one)
    Plan.content(dim...) / plan_content(...)   the plan as content features (T, D), laid out
                                               exactly as ``data.content.content_features``

Shapes (N = harmony blocks: ``content.block`` steps from each bar line):

    pos (T,) bar positions ─block_meter─▶ meter (N, M)
    melody notes ─melody_blocks─▶ (N, 24) ─melody_input─▶ (N, 61): this block, the next, the
                                                              melody so far, a flag
    HarmonyLSTM.sample(meter (1, N, M), style, melody (1, N, 25) | None) ─▶ sets (N, 12), bass (N,)
    plan_to_content(sets, bass, pos) ─▶ content (T, D): chroma = the set, bass one-hot,
                                         "harmony withheld" 0, position one-hot

Nothing here reads files or imports ``stylegen.training``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import torch

from stylegen.data.content import ContentSpec
from stylegen.data.score import DURATION, ONSET, PITCH, Score
from stylegen.device import torch_threads
from stylegen.errors import StylegenError
from stylegen.models.harmony import (
    NO_BASS, PCS, block_layout, block_meter, melody_blocks, melody_input, plan_to_content,
)

MAX_SECTIONS = 64
BARE_POLYPHONY = 0.15  # a bare melody: at most this share of its sounding steps with two notes at once (measured: pop909 MELODY tracks <= 0.06, piano pieces >= 0.6)
BARE_MIN_NOTES = 4


# --------------------------------------------------------------------------- form


@dataclass(frozen=True)
class Section:
    letter: str
    first_bar: int  # bar index within the composed bars
    bars: int


def default_form(bars: int) -> str:
    """The form used when none is asked: sections of 8 bars (4 under 24 bars, the whole
    piece under 8): A, AB, ABA, AABA, then AABA again for longer pieces."""
    sec = 8 if bars >= 24 else 4 if bars >= 8 else bars
    k = max(1, bars // max(1, sec))
    patterns = {1: "A", 2: "AB", 3: "ABA", 4: "AABA"}
    return patterns.get(k) or ("AABA" * ((k + 3) // 4))[:k]


def resolve_form(form: str | None, bars: int) -> list[Section]:
    """``form`` (letters, one per section, e.g. "AABA"; None: :func:`default_form`) over
    ``bars`` bars: sections of bars // len(form) bars each, the bars left over added to the
    last section (its extra bars are new material).  StylegenError on a bad form."""
    text = default_form(bars) if form is None else str(form).strip().upper()
    if not text or not re.fullmatch(r"[A-Z]+", text):
        raise StylegenError(f"form must be letters, one per section (e.g. AABA), got {form!r}")
    if len(text) > MAX_SECTIONS:
        raise StylegenError(f"form has {len(text)} sections; at most {MAX_SECTIONS}")
    if len(text) > bars:
        raise StylegenError(f"form {text} has {len(text)} sections but the piece has only {bars} bars")
    size = bars // len(text)
    out = [Section(c, i * size, size) for i, c in enumerate(text)]
    last = out[-1]
    out[-1] = Section(last.letter, last.first_bar, bars - last.first_bar)
    return out


def form_text(sections: list[Section]) -> str:
    return "".join(s.letter for s in sections)


# --------------------------------------------------------------------------- plans


@dataclass
class Plan:
    """A harmony plan over a piece's blocks (see the module docstring)."""

    sets: np.ndarray  # (N, 12) 0/1
    bass: np.ndarray  # (N,) int64, 12 = none
    starts: np.ndarray  # (N,) first step of each block
    sections: list[tuple[str, int, int]] = field(default_factory=list)  # (letter, first block, blocks), new part only
    first_block: int = 0  # blocks before this one were heard (a primer), not planned

    def content(self, pos: np.ndarray, cspec: ContentSpec) -> torch.Tensor:
        """The plan laid over the steps of ``pos`` (T,) -> (T, cspec.dim) float32."""
        return torch.from_numpy(plan_content(self.sets, self.bass, pos, cspec))


def plan_content(sets: np.ndarray, bass: np.ndarray | None, pos: np.ndarray, cspec: ContentSpec) -> np.ndarray:
    return plan_to_content(np.asarray(sets, np.float32), bass, np.asarray(pos, np.int64), cspec.block, cspec.dim,
                           cspec.chroma, cspec.bass, cspec.bar_steps)


def _bar_of_blocks(pos: np.ndarray, starts: np.ndarray) -> np.ndarray:
    bar_lines = np.flatnonzero(np.asarray(pos) == 0)
    if len(bar_lines) == 0 or bar_lines[0] != 0:
        bar_lines = np.concatenate([[0], bar_lines])
    return np.searchsorted(bar_lines, starts, side="right") - 1


def content_blocks(content: torch.Tensor, pos: np.ndarray, cspec: ContentSpec) -> tuple[np.ndarray, np.ndarray]:
    """The harmony of content features (T, D) per block: sets (N, 12) 0/1 (chroma at least
    half the largest) and bass (N,) (12 = none): how a primer's harmony is heard."""
    starts = block_layout(pos, cspec.block)
    c = content.detach().cpu().numpy()[starts] if len(starts) else np.zeros((0, cspec.dim), np.float32)
    if cspec.chroma:
        sets = (c[:, :PCS] >= 0.5).astype(np.float32)
    else:
        sets = np.zeros((len(starts), PCS), np.float32)
    if cspec.bass:
        o = PCS if cspec.chroma else 0
        b = c[:, o:o + PCS]
        bass = np.where(b.max(1) > 0, b.argmax(1), NO_BASS).astype(np.int64)
    else:
        bass = np.full(len(starts), NO_BASS, np.int64)
    return sets, bass


def _style_rows(style: torch.Tensor) -> torch.Tensor:
    return style if style.dim() == 1 else style[:1]


def plan_composition(H, cspec: ContentSpec, pos: np.ndarray, style: torch.Tensor, resolution: int, *,
                     sections: list[Section], new_from: int = 0, primer_content: torch.Tensor | None = None,
                     first_bar: int = 0, temperature: float = 1.0, generator: torch.Generator | None = None,
                     threads: int | None = 1, final_cadence: bool = True) -> Plan:
    """A plan for a composed piece: ``pos`` (T,) bar positions of the whole piece (primer and
    new bars), ``new_from`` the first new step (a bar line; 0 without a primer),
    ``primer_content`` (new_from, D) what the primer's blocks are (heard, not planned),
    ``sections`` over the new bars (bar 0 = the bar at ``new_from``).  Each new letter's
    blocks are sampled once; a letter that comes back has the same sets (heard by the model
    as its own, so what follows continues from them).  With ``final_cadence``, when the
    last section repeats a letter, the piece's last bar is the one exception: it is planned
    anew, as the model ends a piece (the final cadence; the meter's bars-to-the-end input).
    No block after the primer is silent."""
    pos = np.asarray(pos, np.int64)
    starts = block_layout(pos, cspec.block)
    N = len(starts)
    bar_of = _bar_of_blocks(pos, starts)
    last_bar = int(bar_of[-1]) if N else 0
    meter = torch.from_numpy(block_meter(pos, cspec.block, cspec.bar_steps, resolution, first_bar, last_bar))[None]
    sets = np.zeros((N, PCS), np.float32)
    bass = np.full(N, NO_BASS, np.int64)
    k0 = int(np.searchsorted(starts, new_from, side="left"))  # first new block
    new_bar0 = int(bar_of[k0]) if k0 < N else 0
    style = _style_rows(style)
    state, prev = None, None
    with torch.inference_mode(), torch_threads(threads):
        if k0 > 0 and primer_content is not None:
            ps, pb = content_blocks(primer_content, pos[:new_from], cspec)
            ps, pb = ps[:k0], pb[:k0]
            sets[:k0], bass[:k0] = ps, pb
            forced = torch.from_numpy(ps)[None]
            s, b, state, prev = H.sample(meter[:, :k0], style, None, temperature, generator, None, None,
                                         forced=forced, forced_bass=torch.from_numpy(pb)[None],
                                         forced_mask=torch.ones(1, k0, dtype=torch.bool))
        seen: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        planned = []
        for j, sec in enumerate(sections):
            lo_bar, hi_bar = new_bar0 + sec.first_bar, new_bar0 + sec.first_bar + sec.bars
            idx = np.flatnonzero((bar_of >= lo_bar) & (bar_of < hi_bar) & (np.arange(N) >= k0))
            if len(idx) == 0:
                continue
            lo, hi = int(idx[0]), int(idx[-1]) + 1
            n = hi - lo
            forced = forced_bass = mask = None
            if sec.letter in seen:
                fs, fb = seen[sec.letter]
                m = min(n, len(fs))
                forced = torch.zeros(1, n, PCS)
                forced[0, :m] = torch.from_numpy(fs[:m])
                forced_bass = torch.full((1, n), NO_BASS, dtype=torch.long)
                forced_bass[0, :m] = torch.from_numpy(fb[:m])
                mask = torch.zeros(1, n, dtype=torch.bool)
                mask[0, :m] = True
                if final_cadence and j == len(sections) - 1 and sec.bars > 1:
                    mask[0, bar_of[lo:hi] == bar_of[hi - 1]] = False  # the last bar: the end of the piece
            s, b, state, prev = H.sample(meter[:, lo:hi], style, None, temperature, generator, state, prev,
                                         forced=forced, forced_bass=forced_bass, forced_mask=mask,
                                         allow_empty=False)
            sets[lo:hi], bass[lo:hi] = s[0].numpy(), b[0].numpy()
            if sec.letter not in seen:
                seen[sec.letter] = (sets[lo:hi].copy(), bass[lo:hi].copy())
            planned.append((sec.letter, lo, n))
    return Plan(sets, bass, starts, planned, k0)


def plan_accompaniment(H, cspec: ContentSpec, pos: np.ndarray, style: torch.Tensor, resolution: int,
                       melody: np.ndarray, *, temperature: float = 1.0, generator: torch.Generator | None = None,
                       threads: int | None = 1) -> Plan:
    """The harmony of a bare melody: ``melody`` (M, 5) notes on the model's grid, ``pos``
    (T,) the piece's bar positions.  Each block is drawn from the melody of the block and
    of the next one (a bounded look-ahead); blocks from the melody's first bar to its last
    are never silent."""
    pos = np.asarray(pos, np.int64)
    starts = block_layout(pos, cspec.block)
    N = len(starts)
    bar_of = _bar_of_blocks(pos, starts)
    if len(melody):
        bar_lines = np.flatnonzero(pos == 0)
        T = len(pos)
        on = int(melody[:, ONSET].min())
        end = int((melody[:, ONSET] + np.maximum(1, melody[:, DURATION])).max()) - 1
        fb = int(np.searchsorted(bar_lines, min(on, T - 1), side="right") - 1) if len(bar_lines) else 0
        lb = int(np.searchsorted(bar_lines, min(end, T - 1), side="right") - 1) if len(bar_lines) else None
    else:
        fb, lb = 0, None
    meter = torch.from_numpy(block_meter(pos, cspec.block, cspec.bar_steps, resolution, max(0, fb), lb))[None]
    mel = melody_blocks(melody[:, PITCH], melody[:, ONSET], melody[:, DURATION], pos, cspec.block, resolution)
    mel_in = torch.from_numpy(melody_input(mel, N))[None]
    inside = (bar_of >= fb) & (bar_of <= (lb if lb is not None else bar_of[-1] if N else 0))
    with torch.inference_mode(), torch_threads(threads):
        s, b, _, _ = H.sample(meter, _style_rows(style), mel_in, temperature, generator,
                              allow_empty=torch.from_numpy(~inside)[None])
    return Plan(s[0].numpy(), b[0].numpy(), starts, [], 0)


# --------------------------------------------------------------------------- bare melodies


def polyphony(score: Score, resolution: int = 4) -> float:
    """The share of a piece's sounding steps (on a grid of ``resolution`` steps a beat) with
    two or more notes at once, each note shortened by half a beat first (a legato overlap
    or a grace note is not a second voice): 0 for a single line, far above for a piano piece."""
    notes = score.notes
    if len(notes) == 0:
        return 0.0
    f = resolution / score.resolution
    on = np.rint(notes[:, ONSET].astype(np.float64) * f).astype(np.int64)
    end = np.rint((notes[:, ONSET].astype(np.float64) + notes[:, DURATION]) * f).astype(np.int64)
    end = np.maximum(on + 1, end - max(1, resolution // 2))
    T = int(end.max()) + 1
    count = np.zeros(T + 1, np.int64)
    np.add.at(count, on, 1)
    np.add.at(count, end, -1)
    sounding = np.cumsum(count)[:T]
    n = int((sounding > 0).sum())
    return float((sounding > 1).sum() / n) if n else 0.0


def is_bare_melody(score: Score, resolution: int = 4) -> bool:
    """One monophonic line: at least a few notes, at most ``BARE_POLYPHONY`` of the
    sounding steps with two notes at once (:func:`polyphony`: legato overlaps and grace
    notes pass), drums aside.  A piano piece, a melody with chords, a duet are not."""
    return len(score.notes) >= BARE_MIN_NOTES and polyphony(score, resolution) <= BARE_POLYPHONY


__all__ = ["Section", "Plan", "default_form", "resolve_form", "form_text", "plan_composition",
           "plan_accompaniment", "plan_content", "content_blocks", "is_bare_melody", "polyphony"]
