"""The harmony model: a style-conditioned LSTM over harmony blocks that plans what the
generator hears.

The generator (``models/generator.py``) hears a piece's content
(``data/content.py``): per harmony block (``content.block`` steps from each bar line) the
set of sounding pitch classes (and the bass when the content spec has it), a "harmony
withheld" flag and the position in the bar.  Composition and a bare melody have no such
harmony; this model writes it, one block after another, so the generator can be given the
same kind of content it hears in transfer.

    per block n of a piece (N blocks):
      prev   (B, N, 12 [+ 13])  the previous block's pitch-class set [and bass, 12 + none]; zeros at n = 0
      start  (B, N, 1)          1 at the first block of the sequence
      meter  (B, N, M)          block_meter(): slot in the bar, beats in the bar, bar in the
                                8-bar hypermeter, bars to the end (0..3, 4 = further / unknown)
      melody (B, N, 61)         melody_input(): the melody's pitch classes in block n and in
                                block n + 1 (a one-block look-ahead), each by duration and on
                                the beats; the melody heard so far (to the end of block n + 1:
                                the key, causally); a "melody given" flag
      style  (B,) ids | (B, S) mixture weights  ─embed─▶ (B, S_d), concatenated to every input
    [prev, start, meter, melody, style] ─▶ LSTM ×L ─▶ h (B, N, H)
    h ─▶ NADE over the 12 pitch classes: x_k ~ Bernoulli(σ(b_k(h) + V_k · relu(A h + Σ_{j<k} W_j x_j)))
    [h, x] ─▶ bass logits (B, N, 13) (12 classes + "none"; "none" iff the set is empty)

The pitch-class set is autoregressive over its 12 classes (NADE, Larochelle & Murray 2011):
an exact likelihood over all 4096 sets and notes of a chord that depend on each other, at
the cost of 12 tiny steps per block when sampling.  ``sample`` owns the loop over blocks
(and classes); ``log_prob`` is the teacher-forced likelihood the trainer minimises.

The block layout helpers below (``block_layout``, ``block_meter``, ``melody_blocks``,
``plan_to_content``) are pure array functions shared by the trainer and inference.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from stylegen.models.registry import register
from stylegen.models.styles import StyleTable, grow_tables

PCS = 12
BASS_CLASSES = 13  # 12 pitch classes + "none" (a silent block)
NO_BASS = 12
MAX_BEATS = 8  # beats-per-bar one-hot: 1..8 (longer bars count as 8)
HYPER = 8  # bars of the hypermeter: a bar's index mod 8
COUNTDOWN = 5  # bars to the end: 0, 1, 2, 3, 4 = further or unknown
MELODY_PARTS = 5  # this block (by duration, on the beats), the next block (same), the melody so far
MELODY_DIM = MELODY_PARTS * PCS + 1  # + the "melody given" flag
State = tuple[torch.Tensor, torch.Tensor]  # the LSTM's (h, c), each (L, B, H)


# --------------------------------------------------------------------------- block layout


def n_slots(block: int, bar_steps: int) -> int:
    """Block slots in a bar: ceil(bar_steps / block), plus one for longer bars."""
    return max(1, math.ceil(bar_steps / block)) + 1


def meter_dim(block: int, bar_steps: int) -> int:
    return n_slots(block, bar_steps) + MAX_BEATS + HYPER + COUNTDOWN


def block_layout(pos: np.ndarray, block: int) -> np.ndarray:
    """(T,) bar positions -> (N,) int64 first step of each harmony block, the layout of
    ``data.content.block_ids``: a block starts at step 0 and wherever pos % block == 0."""
    pos = np.asarray(pos, dtype=np.int64)
    if len(pos) == 0:
        return np.zeros(0, np.int64)
    starts = (pos % block) == 0
    starts[0] = True
    return np.flatnonzero(starts).astype(np.int64)


def block_meter(pos: np.ndarray, block: int, bar_steps: int, resolution: int, first_bar: int = 0,
                last_bar: int | None = None) -> np.ndarray:
    """(T,) bar positions -> (N, meter_dim) float32 meter features of each block.

    ``first_bar``: index of the bar the hypermeter counts from (the first bar with a note);
    ``last_bar``: index of the bar that ends the piece (its last bar with a note), None when
    unknown (every block then says "further")."""
    pos = np.asarray(pos, dtype=np.int64)
    starts = block_layout(pos, block)
    N = len(starts)
    S = n_slots(block, bar_steps)
    out = np.zeros((N, meter_dim(block, bar_steps)), np.float32)
    if N == 0:
        return out
    T = len(pos)
    bar_lines = np.flatnonzero(pos == 0)
    if len(bar_lines) == 0 or bar_lines[0] != 0:
        bar_lines = np.concatenate([[0], bar_lines]).astype(np.int64)
    bar_of_step = np.searchsorted(bar_lines, np.arange(T), side="right") - 1  # (T,)
    bar_len = np.diff(np.concatenate([bar_lines, [T]]))
    if len(bar_len) > 1 and bar_len[-1] < bar_len[-2]:  # the last bar runs past the end: its meter is the previous one's
        bar_len[-1] = bar_len[-2]
    b = bar_of_step[starts]  # (N,) bar index of each block
    slot = np.minimum(pos[starts] // block, S - 1)
    beats = np.clip(np.rint(bar_len[b] / max(1, resolution)).astype(np.int64), 1, MAX_BEATS)
    hyper = (b - int(first_bar)) % HYPER
    if last_bar is None:
        count = np.full(N, COUNTDOWN - 1)
    else:
        left = int(last_bar) - b
        count = np.where(left < 0, COUNTDOWN - 1, np.minimum(left, COUNTDOWN - 1))
    rows = np.arange(N)
    out[rows, slot] = 1
    out[rows, S + beats - 1] = 1
    out[rows, S + MAX_BEATS + hyper] = 1
    out[rows, S + MAX_BEATS + HYPER + count] = 1
    return out


def block_of_steps(pos: np.ndarray, block: int) -> np.ndarray:
    """(T,) -> (T,) int64 index of each step's block."""
    starts = block_layout(pos, block)
    return np.searchsorted(starts, np.arange(len(pos)), side="right") - 1


def melody_blocks(pitches: np.ndarray, onsets: np.ndarray, durations: np.ndarray, pos: np.ndarray,
                  block: int, beat: int) -> np.ndarray:
    """The melody's pitch classes per block: notes (pitch, onset step, duration in steps) ->
    (N, 24) float32: the steps each class sounds in the block, and the classes sounding at
    its beats (``beat`` steps apart from the block's start; the first beat counts twice),
    each max-normalised (all 0 in a block where the melody rests)."""
    T = len(pos)
    pos = np.asarray(pos, np.int64)
    ids = block_of_steps(pos, block)
    N = int(ids[-1]) + 1 if T else 0
    act = np.zeros((T + 1, PCS), np.float32)
    if len(pitches):
        on = np.clip(np.asarray(onsets, np.int64), 0, T)
        off = np.clip(on + np.maximum(1, np.asarray(durations, np.int64)), 0, T)
        pc = np.asarray(pitches, np.int64) % PCS
        np.add.at(act, (on, pc), 1)
        np.add.at(act, (off, pc), -1)
    act = (np.cumsum(act, axis=0)[:T] > 0).astype(np.float32)  # (T, 12)
    starts = block_layout(pos, block)
    in_block = np.arange(T) - starts[ids] if T else np.zeros(0, np.int64)
    accent = np.where(in_block == 0, 2.0, np.where(in_block % max(1, beat) == 0, 1.0, 0.0)).astype(np.float32)
    out = np.zeros((N, 2 * PCS), np.float32)
    np.add.at(out[:, :PCS], ids, act)
    np.add.at(out[:, PCS:], ids, act * accent[:, None])
    for part in (out[:, :PCS], out[:, PCS:]):
        m = part.max(axis=1, keepdims=True)
        part[:] = np.where(m > 0, part / np.maximum(m, 1e-9), 0)
    return out


def melody_input(mel: np.ndarray | None, n: int) -> np.ndarray:
    """(N, 24) melody_blocks() (or None: no melody) -> (N, 61): this block's, the next
    block's (the look-ahead; 0 after the last), the melody so far (the durations of blocks
    0 .. n + 1 summed, max-normalised: the key as far as it is known) and the "melody
    given" flag.  Computed over the whole piece: a crop of it keeps its key profile."""
    out = np.zeros((n, MELODY_DIM), np.float32)
    if mel is None:
        return out
    out[:, :2 * PCS] = mel
    out[:-1, 2 * PCS:4 * PCS] = mel[1:]
    so_far = np.cumsum(mel[:, :PCS], axis=0)
    so_far = np.concatenate([so_far[1:], so_far[-1:]]) if n else so_far  # to the end of the look-ahead
    m = so_far.max(axis=1, keepdims=True)
    out[:, 4 * PCS:5 * PCS] = np.where(m > 0, so_far / np.maximum(m, 1e-9), 0)
    out[:, -1] = 1
    return out


def rotate_melody(x: np.ndarray, k: int) -> np.ndarray:
    """melody_input() rows (..., 61) in a key ``k`` semitones up."""
    if k == 0:
        return x
    parts = x[..., :MELODY_PARTS * PCS].reshape(*x.shape[:-1], MELODY_PARTS, PCS)
    return np.concatenate([np.roll(parts, k, axis=-1).reshape(*x.shape[:-1], MELODY_PARTS * PCS), x[..., -1:]], -1)


def plan_to_content(sets: np.ndarray, bass: np.ndarray | None, pos: np.ndarray, block: int, dim: int,
                    chroma: bool, with_bass: bool, bar_steps: int) -> np.ndarray:
    """A harmony plan (N, 12) 0/1 sets [+ (N,) bass class, 12 = none] laid over the steps of
    bar positions ``pos`` (T,) -> content (T, dim) float32 as ``data.content`` lays it out:
    chroma (the set), bass (one-hot), the "harmony withheld" flag 0, the position one-hot."""
    pos = np.asarray(pos, np.int64)
    T = len(pos)
    ids = block_of_steps(pos, block)
    out = np.zeros((T, dim), np.float32)
    c = 0
    if chroma:
        out[:, :PCS] = sets[ids]
        c = PCS
    if with_bass:
        if bass is not None:
            b = bass[ids]
            has = b < PCS
            out[np.flatnonzero(has), c + b[has]] = 1
        c += PCS
    # c is the flag (0: the harmony is given); then the position in the bar
    out[np.arange(T), c + 1 + np.clip(pos, 0, bar_steps - 1)] = 1
    return out


# --------------------------------------------------------------------------- the model


def bass_allowed(sets: torch.Tensor) -> torch.Tensor:
    """(..., 12) sets -> (..., 13) bool: the basses a set may have, "none" for an empty set
    and only for it."""
    empty = sets.float().sum(-1, keepdim=True) < 0.5  # (..., 1)
    none = F.one_hot(torch.tensor(NO_BASS, device=sets.device), BASS_CLASSES).bool()
    return torch.where(empty, none, ~none)


def _cell(x_gates: torch.Tensor, hc: tuple[torch.Tensor, torch.Tensor], w_hh: torch.Tensor, b_hh: torch.Tensor):
    """One step of a one-layer LSTM from its input's gate pre-activations x_gates (B, 4H)
    (nn.LSTM's gate order: input, forget, cell, output) -> (h, c), each (B, H)."""
    h, c = hc
    i, f, g, o = (x_gates + h @ w_hh.t() + b_hh).chunk(4, dim=-1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


@register("harmony", "lstm")
class HarmonyLSTM(nn.Module):
    def __init__(self, n_styles: int = 4, meter_dim: int = 23, bass: bool = False, hidden_size: int = 192,
                 num_layers: int = 1, style_dim: int = 16, nade_size: int = 64, dropout: float = 0.1,
                 style_offsets: bool = False):
        super().__init__()
        self.n_styles, self.meter_dim, self.bass = n_styles, meter_dim, bool(bass)
        self.hidden_size, self.num_layers, self.nade_size = hidden_size, num_layers, nade_size
        H, Hd = hidden_size, nade_size
        self.prev_dim = PCS + (BASS_CLASSES if self.bass else 0)
        self.style = StyleTable(n_styles, style_dim)
        # ``style_offsets``: a row per style added to what the NADE (and bass head) read of h (not
        # to the recurrence), zero until trained: what ``stylegen adapt`` gives a new style
        self.readout_offset = StyleTable(n_styles, hidden_size, init="zeros") if style_offsets else None
        self.inp = self.prev_dim + 1 + meter_dim + MELODY_DIM + style_dim
        self.lstm = nn.LSTM(self.inp, H, num_layers=num_layers, batch_first=True,
                            dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        # NADE over the 12 pitch classes: a hidden layer per class that sees h and the classes before it
        self.nade_h = nn.Linear(H, Hd)  # A h + c
        self.nade_w = nn.Parameter(torch.randn(Hd, PCS) * 0.1)  # W: column j is what x_j adds
        self.nade_v = nn.Parameter(torch.randn(PCS, Hd) * 0.1)  # V: row k reads class k's hidden layer
        self.nade_b = nn.Linear(H, PCS)  # b_k(h)
        if self.bass:
            self.bass_head = nn.Sequential(nn.Linear(H + PCS, Hd), nn.ReLU(), nn.Linear(Hd, BASS_CLASSES))

    # ------------------------------------------------------------ pieces of a pass

    def add_styles(self, n: int) -> range:
        """``n`` new styles: a row more in the style table (each the mean of the others)."""
        ids = grow_tables(self, n)
        self.n_styles += n
        return ids

    def readout(self, style: torch.Tensor) -> torch.Tensor:
        """(B, H): the style's offset to what the NADE reads of h (zeros without offsets)."""
        if self.readout_offset is None:
            return torch.zeros(style.shape[0], self.hidden_size, device=style.device)
        return self.readout_offset(style)

    def prev_input(self, sets: torch.Tensor, bass: torch.Tensor | None) -> torch.Tensor:
        """(B, N, 12) sets [+ (B, N) bass classes] -> (B, N, prev_dim): what block n + 1 reads."""
        if not self.bass:
            return sets.float()
        b = bass if bass is not None else torch.full(sets.shape[:-1], NO_BASS, dtype=torch.long, device=sets.device)
        return torch.cat([sets.float(), F.one_hot(b.long(), BASS_CLASSES).float()], dim=-1)

    def hidden(self, prev: torch.Tensor, start: torch.Tensor, meter: torch.Tensor, melody: torch.Tensor,
               style_vec: torch.Tensor, state=None):
        """prev (B, N, prev_dim), start (B, N, 1), meter (B, N, M), melody (B, N, 61), style
        vector (B, S_d) -> h (B, N, H), state."""
        B, N, _ = prev.shape
        x = torch.cat([prev, start, meter, melody, style_vec[:, None].expand(B, N, style_vec.shape[-1])], dim=-1)
        h, state = self.lstm(x, state)
        return self.drop(h), state

    def set_logits(self, h: torch.Tensor, sets: torch.Tensor) -> torch.Tensor:
        """Teacher-forced NADE: h (B, N, H), sets (B, N, 12) -> logits (B, N, 12), class k's
        logit seeing only classes < k of ``sets``."""
        x = sets.float()
        contrib = x[..., None, :] * self.nade_w  # (B, N, Hd, 12)
        before = torch.cumsum(contrib, dim=-1) - contrib  # exclusive: classes j < k
        hid = torch.relu(self.nade_h(h)[..., None] + before)  # (B, N, Hd, 12)
        return torch.einsum("bndk,kd->bnk", hid, self.nade_v) + self.nade_b(h)

    def bass_logits(self, h: torch.Tensor, sets: torch.Tensor) -> torch.Tensor:
        """(B, N, 13), "none" possible only for an empty set and only then."""
        logits = self.bass_head(torch.cat([h, sets.float()], dim=-1))
        return logits.masked_fill(~bass_allowed(sets), -1e4)

    # ------------------------------------------------------------ likelihood

    def log_prob(self, sets: torch.Tensor, meter: torch.Tensor, melody: torch.Tensor, style: torch.Tensor,
                 bass: torch.Tensor | None = None, state=None, prev: torch.Tensor | None = None,
                 start: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced log-likelihood of each block: sets (B, N, 12) 0/1, meter (B, N, M),
        melody (B, N, 61), style (B,) | (B, S), bass (B, N) long (12 = none) when the model
        has a bass -> (B, N) nats.  ``prev`` (B, prev_dim) is the block before block 0 (zeros
        when None) and ``start`` (B,) bool says which rows begin at the piece's first block
        (all when None: a sequence cut from the middle of a piece gives its previous block
        and start False)."""
        B, N, _ = sets.shape
        cur = self.prev_input(sets, bass)  # (B, N, prev_dim)
        first = cur.new_zeros(B, 1, self.prev_dim) if prev is None else prev[:, None].float()
        prev_seq = torch.cat([first, cur[:, :-1]], dim=1)
        start_in = torch.zeros(B, N, 1, device=sets.device)
        start_in[:, 0, 0] = 1.0 if start is None else start.float()
        h, _ = self.hidden(prev_seq, start_in, meter, melody, self.style(style), state)
        h = h + self.readout(style)[:, None]
        logits = self.set_logits(h, sets)
        lp = -F.binary_cross_entropy_with_logits(logits.float(), sets.float(), reduction="none").sum(-1)  # (B, N)
        if self.bass:
            lp = lp + F.log_softmax(self.bass_logits(h, sets).float(), -1).gather(-1, bass.long()[..., None])[..., 0]
        return lp

    # ------------------------------------------------------------ the block loop

    def _draw_set(self, h: torch.Tensor, temperature: float, generator, allow_empty: torch.Tensor) -> torch.Tensor:
        """h (B, H) -> one set per row (B, 12), class by class; temperature 0 = each class at
        its more likely value (absent at a tie), with no random draw, so a row gets what it
        gets alone and whatever the seed.  Rows where ``allow_empty`` (B,) bool is False never
        get the empty set: an empty draw is drawn again (up to 16 times), then the class most
        likely on its own is taken (the one class whose logit is highest on the empty set's
        path); at temperature 0 that class at once (a redraw would be the same empty set)."""
        B = h.shape[0]
        base = self.nade_h(h)  # (B, Hd)
        bias = self.nade_b(h)  # (B, 12)

        def draw() -> torch.Tensor:
            acc = base.clone()
            x = torch.zeros(B, PCS, device=h.device)
            # x_k = 1 with probability sigmoid(logit / T): logit > T * logit(u), u ~ U(0, 1), drawn at once
            if temperature <= 0:
                cut = torch.zeros(B, PCS, device=h.device)
            else:
                u = torch.rand(B, PCS, generator=generator, device=h.device).clamp_(1e-7, 1 - 1e-7)
                cut = temperature * (torch.log(u) - torch.log1p(-u))
            w = self.nade_w.t()  # (12, Hd)
            for k in range(PCS):
                logit = torch.relu(acc) @ self.nade_v[k] + bias[:, k]  # (B,)
                xk = (logit > cut[:, k]).float()
                x[:, k] = xk
                acc = acc + xk[:, None] * w[k]
            return x

        out = draw()
        todo = ~allow_empty & (out.sum(-1) < 0.5)
        for _ in range(16 if temperature > 0 else 0):
            if not bool(todo.any()):
                break
            out = torch.where(todo[:, None], draw(), out)
            todo = todo & (out.sum(-1) < 0.5)
        if bool(todo.any()):  # still empty: the class most likely on its own
            alone = torch.stack([torch.relu(base) @ self.nade_v[k] + bias[:, k] for k in range(PCS)], -1)
            out[todo] = F.one_hot(alone[todo].argmax(-1), PCS).float()
        return out

    @torch.no_grad()
    def sample(self, meter: torch.Tensor, style: torch.Tensor, melody: torch.Tensor | None = None,
               temperature: float = 1.0, generator: torch.Generator | None = None, state=None,
               prev: torch.Tensor | None = None, forced: torch.Tensor | None = None,
               forced_bass: torch.Tensor | None = None, forced_mask: torch.Tensor | None = None,
               allow_empty: bool | torch.Tensor = False):
        """Write N blocks, each from the ones before: meter (B, N, M), style (B,) | (B, S),
        melody (B, N, 61) or None (no melody).  ``state``/``prev`` (B, prev_dim) continue an
        earlier call (a primer, the previous section); ``forced`` (B, N, 12) with
        ``forced_mask`` (B, N) bool gives blocks that are not drawn but heard as if they had
        been (a repeated section, a primer), with ``forced_bass`` (B, N) for a bass model.
        ``allow_empty``: whether a drawn block may be silent, for all or per block (B, N) bool.
        Returns sets (B, N, 12) 0/1, bass (B, N) long (12 = none; all 12 without a bass
        model), the final state, and the last block's input for the next call (B, prev_dim)."""
        B, N, _ = meter.shape
        dev = meter.device
        mel = melody if melody is not None else torch.zeros(B, N, MELODY_DIM, device=dev)
        s = self.style(style)
        offset = self.readout(style)  # (B, H), zeros without offsets
        start_flag = prev is None
        p = torch.zeros(B, self.prev_dim, device=dev) if prev is None else prev.float()
        sets = torch.zeros(B, N, PCS, device=dev)
        basses = torch.full((B, N), NO_BASS, dtype=torch.long, device=dev)
        temp = max(float(temperature), 0.0)
        allow = torch.as_tensor(allow_empty, dtype=torch.bool, device=dev).expand(B, N)
        one_layer = self.num_layers == 1
        if one_layer:  # the plain cell, one block at a time: several times faster than nn.LSTM per step
            lstm = self.lstm
            # what does not depend on the drawn blocks goes through the input weights once: (B, N, 4H)
            fixed = torch.cat([meter, mel, s[:, None].expand(B, N, s.shape[-1])], dim=-1)
            w_prev, w_start, w_fixed = lstm.weight_ih_l0.split([self.prev_dim, 1, fixed.shape[-1]], dim=1)
            pre = fixed @ w_fixed.t() + lstm.bias_ih_l0
            hc = (state[0][0], state[1][0]) if state is not None else (
                torch.zeros(B, self.hidden_size, device=dev), torch.zeros(B, self.hidden_size, device=dev))
        for n in range(N):
            if one_layer:
                gates = pre[:, n] + p @ w_prev.t() + (w_start[:, 0] if start_flag and n == 0 else 0.0)
                hc = _cell(gates, hc, lstm.weight_hh_l0, lstm.bias_hh_l0)
                h = self.drop(hc[0])
                state = (hc[0][None], hc[1][None])
            else:
                start = torch.full((B, 1, 1), float(start_flag and n == 0), device=dev)
                h, state = self.hidden(p[:, None], start, meter[:, n:n + 1], mel[:, n:n + 1], s, state)
                h = h[:, 0]
            h = h + offset  # what the NADE reads; the recurrence goes on from hc / state
            if forced is not None and forced_mask is not None and bool(forced_mask[:, n].all()):
                x = forced[:, n].float()  # every row heard, none drawn
            else:
                x = self._draw_set(h, temp, generator, allow[:, n])
                if forced is not None and forced_mask is not None:
                    x = torch.where(forced_mask[:, n][:, None], forced[:, n].float(), x)
            b = torch.full((B,), NO_BASS, dtype=torch.long, device=dev)
            if self.bass:
                logits = self.bass_logits(h[:, None], x[:, None])[:, 0]
                if temp <= 0:  # the most likely bass, no random draw
                    z = logits
                else:
                    g = -torch.log(-torch.log(torch.rand(logits.shape, generator=generator, device=dev).clamp_(1e-10, 1)))
                    z = logits / temp + g
                # the impossible basses (a bass "none" under a chord, a bass under a silent block) are
                # masked to -inf after the temperature divides: bass_logits' -1e4, divided by a large
                # temperature, came near the possible logits and was drawn, and it beat a possible
                # logit under -1e4 at temperature 0.  A possible one that a tiny temperature sends to
                # -inf is kept above them (the clamp)
                z = z.clamp(min=torch.finfo(z.dtype).min)
                b = z.masked_fill(~bass_allowed(x), float("-inf")).argmax(-1)
                if forced is not None and forced_mask is not None and forced_bass is not None:
                    b = torch.where(forced_mask[:, n], forced_bass[:, n].long(), b)
            sets[:, n], basses[:, n] = x, b
            p = self.prev_input(x[:, None], b[:, None])[:, 0]
        return sets, basses, state, p


__all__ = ["HarmonyLSTM", "block_layout", "block_meter", "block_of_steps", "melody_blocks", "melody_input",
           "rotate_melody", "plan_to_content", "meter_dim", "n_slots", "PCS", "NO_BASS", "MELODY_DIM"]
