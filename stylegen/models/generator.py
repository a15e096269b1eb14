"""The style-conditioned generator: a texture plan per bar, then the notes step by step.

It hears only *what* the piece is (content features, ``data/content.py``: the harmony of
each bar and the position in the bar) and the target style.  It writes in two levels, as
whole-song systems do (plan first, then write):

1. **The plan**: one texture code per bar (``data/texture.py``: the bar's rhythm, voicing,
   note lengths and register, vector-quantised on real bars).  A small style-conditioned
   LSTM over bars (the *prior*) proposes the codes, hearing the previous bar's code and the
   bar's harmony, so a figure recurs as it does in real music.  In training the codes of
   the real window are given (teacher forcing of the plan).
2. **The notes**: an LSTM over steps hears the previous frame, the frame one bar earlier
   (the *lookback*: what a held figure repeats), the content, the bar's code and the style,
   and writes each step's notes from its own previous output.

    prev (B, 2, T, P) ─frame─▶ (B,T,F) ┐
    lookback (B, 2, T, P) ─▶ (B,T,F)   ├ concat ─▶ LSTM 1 ─FiLM(s)─▶ ... LSTM L ─FiLM(s)─▶ h (B, T, H)
    content (B, T, D) ─▶ (B,T,F)       │
    plan code per step ─embed─▶ (B,T,E)│
    style (B,) ─embed─▶ s (B, S_d) ────┘

**A step's notes are chosen together.**  Every pitch is ``off``, ``onset`` or ``hold``
(``hold`` only continues a note sounding at t-1, so durations come from the model).  A
step is a short list of decisions made in order, each knowing the ones before:

    holds     each sounding note of t-1 goes on or ends: Bernoulli(hold_logit_p)  (P,)
    onsets    from the top down: the next onset is a pitch *below* the last one chosen, or
              STOP.  Its logits (P + 1,) for candidate q, with ``bag`` the notes already
              sounding in the step (holds and chosen onsets) and ``last`` the last onset:
                  base_q(h) + copy(h) * lookback_onset_q          where it is, and repetition
                + sum_c v_c(h) * (bag (*) K_c)_q                  intervals to every sounding note
                + sum_c u_c(h) * Gap_c[last - q]                  the interval to the note above
              STOP: stop(h) + count_j + last_emb[last]

``K`` (C kernels over +-``reach`` semitones) and ``Gap`` are learned and shift-invariant
along the keyboard: that a semitone against a sounding note is rare, or that a left hand
leaves a gap under the melody, is learned once for every register.  The top-down order
puts the melody first: transfer forces it, and the accompaniment is then chosen knowing
it.  No pitch is chosen twice (each onset is below the last), no hold without a sounding
note, and the log-likelihood is exact (a set has one top-down order).

Style id ``n_styles`` is "no style" (trained with ``style_dropout``): at inference every
logit is  u + g (c - u)  with c conditional, u unconditional and g the guidance scale
(0: no style, 1: as trained, > 1: stronger), for the plan as for the notes.  ``sample``
owns the step loop (as nanoGPT's model owns ``generate``): free sampling for transfer and
composition, or a relaxed (straight-through Gumbel) roll-out through which the
adversarial stage back-propagates.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from stylegen.data.texture import (assign_codes, bar_descriptors, bar_ids, descriptor_dim, positions_from_content,
                                   step_codes)
from stylegen.models.registry import register
from stylegen.models.styles import StyleTable, grow_tables

OFF, ONSET, HOLD = 0, 1, 2
State = list[tuple[torch.Tensor, torch.Tensor]]  # per layer (h, c), each (1, B, H)
NEG = -1e4  # logit of an impossible choice (finite: keeps bf16/fp16 and gradients sane)


def roll_to_states(roll: torch.Tensor) -> torch.Tensor:
    """(B, 2, T, P) onset/sustain roll -> (B, T, P) long states (off, onset, hold).

    A sustain that does not continue a note sounding at t-1 counts as an onset."""
    on, sus = roll[:, 0] > 0.5, roll[:, 1] > 0.5
    prev = F.pad(sus[:, :-1], (0, 0, 1, 0))
    hold = sus & ~on & prev
    onset = (on | sus) & ~hold
    return onset.long() * ONSET + hold.long() * HOLD


def states_to_frame(y: torch.Tensor) -> torch.Tensor:
    """(..., P, 3) one-hot (or relaxed) states -> (..., 2, P) onset and sustain."""
    return torch.stack([y[..., ONSET], y[..., ONSET] + y[..., HOLD]], dim=-2)


def _gumbel_argmax(logits: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A draw from softmax(logits) along the last axis (the Gumbel-max trick)."""
    u = torch.rand(logits.shape, generator=generator, device=logits.device).clamp_(1e-10, 1.0)
    return (logits - torch.log(-torch.log(u))).argmax(-1)


MIN_TEMPERATURE = 1e-4  # a temperature above 0 is at least this


def _choose(logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A draw from softmax(logits / temperature) along the last axis; temperature 0 is the
    most likely choice (the first of equals), exactly and with no random draw, so every row
    of a batch gets what it gets alone.  ``logits`` are masked (NEG) before they come here:
    dividing by the temperature keeps an impossible choice below every possible one."""
    if temperature <= 0:
        return logits.argmax(-1)
    return _gumbel_argmax(logits / max(float(temperature), MIN_TEMPERATURE), generator)


def lookback_index(pos: torch.Tensor) -> torch.Tensor:
    """(B, T) bar positions -> (B, T) long: the step at the same position one bar earlier,
    or -1 (in the first bar, or where the previous bar is shorter)."""
    B, T = pos.shape
    ids = bar_ids(pos)
    t = torch.arange(T, device=pos.device).expand(B, T)
    starts = torch.zeros(B, int(ids.max()) + 2 if T else 1, dtype=torch.long, device=pos.device)
    starts.scatter_reduce_(1, ids, t, reduce="amin", include_self=False)
    prev_start = starts.gather(1, (ids - 1).clamp_min(0))
    this_start = starts.gather(1, ids)
    lb = prev_start + (t - this_start)
    return torch.where((ids > 0) & (lb < this_start), lb, torch.full_like(lb, -1))


def gather_steps(roll: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """roll (B, 2, T, P), idx (B, T) (-1: silence) -> (B, 2, T, P) the frames at idx."""
    B, C, T, P = roll.shape
    g = roll.gather(2, idx.clamp_min(0)[:, None, :, None].expand(B, C, T, P))
    return g * (idx >= 0)[:, None, :, None].to(roll.dtype)


class TexturePrior(nn.Module):
    """A style-conditioned LSTM over bars: p(code_n | codes < n, harmony of bar n, style).

        codes (B, N) ─shift right, embed─▶ (B, N, E) ┐
        bar harmony (B, N, A) ─────────────────────▶  ├ LSTM ─▶ logits (B, N, K)
        style (B,) ─embed─▶ (B, S) ────────────────── ┘
    """

    def __init__(self, codes: int, n_styles: int, harmony_dim: int, code_dim: int = 16, style_dim: int = 16,
                 size: int = 64, code_bias: bool = False):
        super().__init__()
        self.codes = codes
        # with ``code_bias``: a logit offset per style and code, zero until trained (stylegen adapt)
        self.code_bias = StyleTable(n_styles, codes, null=True, init="zeros") if code_bias else None
        self.embed = nn.Embedding(codes + 1, code_dim)  # the last row starts a piece
        self.style = StyleTable(n_styles, style_dim, null=True)
        self.lstm = nn.LSTM(code_dim + harmony_dim + style_dim, size, batch_first=True)
        self.out = nn.Linear(size, codes)

    def forward(self, codes_in: torch.Tensor, harmony: torch.Tensor, style: torch.Tensor, state=None):
        """codes_in (B, N) the previous bar's code (``codes`` = start), harmony (B, N, A) ->
        logits (B, N, K), state."""
        s = self.style(style)[:, None].expand(-1, codes_in.shape[1], -1)
        h, state = self.lstm(torch.cat([self.embed(codes_in), harmony, s], -1), state)
        logits = self.out(h)
        if self.code_bias is not None:
            logits = logits + self.code_bias(style)[:, None]
        return logits, state


@register("generator", "planned")
class PlannedTexture(nn.Module):
    def __init__(
        self,
        n_pitches: int = 84,
        n_styles: int = 4,
        content_dim: int = 29,
        bar_steps: int = 16,
        lowest_pitch: int = 24,
        hidden_size: int = 192,
        num_layers: int = 2,
        style_dim: int = 32,
        frame_dim: int = 96,
        codes: int = 64,
        code_dim: int = 16,
        prior_size: int = 64,
        channels: int = 8,
        reach: int = 24,
        max_notes: int = 12,
        plan_context: int = 4,
        dropout: float = 0.1,
        onset_rate: float = 0.015,
        style_offsets: bool = False,
    ):
        super().__init__()
        self.n_pitches, self.n_styles, self.content_dim, self.bar_steps = n_pitches, n_styles, content_dim, bar_steps
        self.lowest_pitch = lowest_pitch
        self.hidden_size, self.num_layers, self.codes = hidden_size, num_layers, codes
        self.channels, self.reach, self.max_notes = channels, reach, max_notes
        self.plan_context = plan_context  # codes the prior hears before a bar: its training windows' bars - 1
        P, H, C = n_pitches, hidden_size, channels
        self.harmony_dim = content_dim - bar_steps  # the harmony features and the "dropped" flag
        # the texture codebook (data/texture.py), fitted on real bars before training
        self.register_buffer("codebook", torch.zeros(codes, descriptor_dim(bar_steps)))
        self.prior = TexturePrior(codes, n_styles, self.harmony_dim, code_dim, size=prior_size, code_bias=style_offsets)
        self.frame = nn.Linear(2 * P, frame_dim)
        self.lookback = nn.Linear(2 * P, frame_dim)
        self.content = nn.Linear(content_dim, frame_dim)
        self.code = nn.Embedding(codes, code_dim)
        self.style = StyleTable(n_styles, style_dim, null=True)  # the last row is "no style"
        sizes = [3 * frame_dim + code_dim + style_dim] + [H] * (num_layers - 1)
        self.lstms = nn.ModuleList([nn.LSTM(n, H, batch_first=True) for n in sizes])
        self.films = nn.ModuleList([nn.Linear(style_dim, 2 * H) for _ in range(num_layers)])
        # ``style_offsets``: each layer's FiLM (and the plan's code logits) also gets a row per
        # style of its own, zero until trained: what ``stylegen adapt`` gives a new style beyond
        # its embedding (which reaches the FiLMs only through their shared weights)
        self.film_offsets = nn.ModuleList([StyleTable(n_styles, 2 * H, null=True, init="zeros")
                                           for _ in range(num_layers)]) if style_offsets else None
        self.drop = nn.Dropout(dropout)
        # h -> hold (P), onset base (P), v (C), u (C), stop (1), copy gains (2)
        self.head = nn.Linear(H, 2 * P + 2 * C + 3)
        self.style_bias = StyleTable(n_styles, 2 * P + 1, null=True, init="zeros")  # hold, onset, stop biases
        self.kernel = nn.Parameter(torch.randn(C, 2 * reach + 1) * 0.1)  # intervals to sounding notes
        self.gap = nn.Parameter(torch.randn(P + 1, C) * 0.1)  # the interval to the onset above
        self.count = nn.Embedding(max_notes + 1, 1)  # STOP by the number of onsets so far
        self.last = nn.Embedding(P + 1, 1)  # STOP by the last onset's pitch (P: none yet)
        for film in self.films:
            nn.init.zeros_(film.weight)
            nn.init.zeros_(film.bias)
        nn.init.normal_(self.head.weight, std=0.01)
        with torch.no_grad():  # start at the data's density: few onsets, sounding notes go on
            self.head.bias.zero_()
            self.head.bias[:P] = math.log(4.0)
            self.head.bias[P:2 * P] = math.log(onset_rate)
            self.head.bias[2 * P + 2 * C] = math.log(P * onset_rate)
            nn.init.zeros_(self.count.weight)
            nn.init.zeros_(self.last.weight)
        q = torch.arange(P)
        self.register_buffer("_gap_index", (torch.arange(P + 1)[:, None] - q[None, :]).clamp(0, P),
                             persistent=False)  # (P + 1, P): last - q
        self.register_buffer("_below", q[None, :] < torch.arange(P + 1)[:, None], persistent=False)  # (P+1, P)
        d = torch.arange(P)[:, None] - torch.arange(P)[None, :]  # p - q
        self.register_buffer("_kernel_index", (d + reach).clamp(0, 2 * reach), persistent=False)
        self.register_buffer("_kernel_mask", d.abs() <= reach, persistent=False)

    # ------------------------------------------------------------ conditioning

    @property
    def null_style(self) -> int:
        return self.n_styles

    def add_styles(self, n: int) -> range:
        """``n`` new styles: a row more in every style table (the new ids, before "no style")."""
        ids = grow_tables(self, n)
        self.n_styles += n
        return ids

    def init_state(self, batch: int, device=None) -> State:
        z = torch.zeros(1, batch, self.hidden_size, device=device)
        return [(z, z.clone()) for _ in range(self.num_layers)]

    def conditions(self, style: torch.Tensor):
        """What the style gives every step, once a call: s (B, S_d), each layer's FiLM
        (scale, shift) (B, H), and the output biases (B, 2P + 1)."""
        s = self.style(style)  # ids (``n_styles`` = none) or mixture weights over the rows
        films = [film(s) for film in self.films]
        if self.film_offsets is not None:
            films = [f + off(style) for f, off in zip(films, self.film_offsets)]
        return s, [f.chunk(2, dim=-1) for f in films], self.style_bias(style)

    def harmony_table(self) -> torch.Tensor:
        """(P, C, P), built from the kernels once a call: row p is what a sounding note at p
        adds to every candidate's C interval features."""
        k = self.kernel[:, self._kernel_index] * self._kernel_mask  # (C, P, P): [c, p, q]
        return k.permute(1, 0, 2).contiguous()

    # ------------------------------------------------------------ the plan

    def bar_harmony(self, content: torch.Tensor, ids: torch.Tensor, n: int) -> torch.Tensor:
        """(B, T, D) content, (B, T) bar ids -> (B, n, A): each bar's mean harmony features."""
        x = content[..., : self.harmony_dim]
        B, T, A = x.shape
        sums = x.new_zeros(B, n, A).scatter_add_(1, ids[..., None].expand(B, T, A), x)
        cnt = x.new_zeros(B, n, 1).scatter_add_(1, ids[..., None], x.new_ones(B, T, 1))
        return sums / cnt.clamp_min(1)

    def plan_log_prob(self, codes: torch.Tensor, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """Teacher-forced log-likelihood of a plan: codes (B, N) -> (B, N) nats."""
        ids = bar_ids(positions_from_content(content, self.bar_steps))
        N = codes.shape[1]
        prev = torch.cat([torch.full_like(codes[:, :1], self.codes), codes[:, :-1]], 1)
        logits, _ = self.prior(prev, self.bar_harmony(content, ids, N), style)
        return -F.cross_entropy(logits.float().transpose(1, 2), codes, reduction="none")

    @torch.no_grad()
    def sample_plan(self, content: torch.Tensor, style: torch.Tensor, guidance: float = 1.0,
                    temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Propose one code per bar of ``content`` (B, T, D) -> codes (B, N).

        Bar n's code is drawn after hearing the ``plan_context`` codes before it, from a
        fresh state (start, c[n-k], ..., c[n-1]), exactly as the prior was trained on
        windows of k + 1 bars: run over a whole song in one pass, its state leaves what it
        was trained on after a few bars and the plan thins out (measured: pop's onsets per
        bar fell from 3.6 to 0.9 by the ninth bar)."""
        B = content.shape[0]
        ids = bar_ids(positions_from_content(content, self.bar_steps))
        N = int(ids.max()) + 1 if ids.numel() else 1
        harmony = self.bar_harmony(content, ids, N)
        guided = guidance != 1.0
        if guided:
            style, harmony = self._with_null(style), torch.cat([harmony, harmony])
        start = torch.full((B, 1), self.codes, dtype=torch.long, device=content.device)
        codes = start[:, :0]
        for n in range(N):
            lo = max(0, n - self.plan_context)
            seq = torch.cat([start, codes[:, lo:n]], 1)  # (B, n - lo + 1)
            logits, _ = self.prior(torch.cat([seq, seq]) if guided else seq, harmony[:, lo:n + 1], style)
            logits = logits[:, -1].float()
            if guided:
                logits = logits[B:] + guidance * (logits[:B] - logits[B:])
            codes = torch.cat([codes, _choose(logits, temperature, generator)[:, None]], 1)
        return codes

    def _with_null(self, style: torch.Tensor) -> torch.Tensor:
        """[style; no style] for the two guidance streams (2B,)."""
        null = torch.full((style.shape[0],), self.null_style, dtype=torch.long, device=style.device)
        if style.dtype not in (torch.int64, torch.int32):  # mixture weights: the null as a weight row too
            style, null = F.pad(style, (0, 1)), F.one_hot(null, self.n_styles + 1).to(style.dtype)
        return torch.cat([style, null])

    # ------------------------------------------------------------ the step network

    def forward(self, prev: torch.Tensor, content: torch.Tensor, style: torch.Tensor, plan: torch.Tensor,
                lookback: torch.Tensor, state: State | None = None):
        """prev (B, 2, T, P) the output one step behind, content (B, T, D), style (B,) or
        (B, S) weights, plan (B, T) each step's code, lookback (B, 2, T, P) the frames one bar
        earlier -> head outputs (B, T, 2P + 2C + 3), the style biases (B, 2P + 1), state."""
        cond = self.conditions(style)
        h, state = self._run(prev, self.content(content), self.code(plan), lookback, cond, state)
        return self.head(h), cond[2], state

    def _run(self, prev, content_proj, code_emb, lookback, cond, state):
        B, _, T, P = prev.shape
        s, films, _ = cond
        flat = lambda r: r.permute(0, 2, 1, 3).reshape(B, T, 2 * P)  # noqa: E731
        x = torch.cat([self.frame(flat(prev)), self.lookback(flat(lookback)), content_proj, code_emb,
                       s[:, None].expand(B, T, s.shape[-1])], dim=-1)
        new_state: State = []
        for i, (lstm, (scale, shift)) in enumerate(zip(self.lstms, films)):
            if T == 1 and state is not None:  # one step (the sampling loop): the plain cell is ~10x faster
                hc = torch.lstm_cell(x[:, 0], (state[i][0][0], state[i][1][0]), lstm.weight_ih_l0,
                                     lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
                h, st = hc[0][:, None], (hc[0][None], hc[1][None])
            else:
                h, st = lstm(x, None if state is None else state[i])  # (B, T, H)
            new_state.append(st)
            x = self.drop(h * (1 + scale[:, None]) + shift[:, None])  # FiLM (B, H) each
        return x, new_state

    def _split(self, out: torch.Tensor, bias: torch.Tensor, lookback: torch.Tensor):
        """Head outputs (..., 2P+2C+3), biases (..., 2P+1) broadcastable, lookback (..., 2, P) ->
        hold logits (..., P), onset base (..., P), v (..., C), u (..., C), stop (...,)."""
        P, C = self.n_pitches, self.channels
        gain_on, gain_sus = out[..., 2 * P + 2 * C + 1], out[..., 2 * P + 2 * C + 2]
        hold = out[..., :P] + bias[..., :P] + gain_sus[..., None] * lookback[..., 1, :]
        base = out[..., P:2 * P] + bias[..., P:2 * P] + gain_on[..., None] * lookback[..., 0, :]
        v, u = out[..., 2 * P:2 * P + C], out[..., 2 * P + C:2 * P + 2 * C]
        stop = out[..., 2 * P + 2 * C] + bias[..., 2 * P]
        return hold, base, v, u, stop

    def _onset_logits(self, base, v, u, stop, bag_feat, last, count, allowed):
        """(N, P + 1) logits of the next onset (or STOP, the last column).

        base (N, P), v/u (N, C), stop (N,), bag_feat (N, C, P), last (N,) long,
        count (N,) long, allowed (N, P) bool."""
        P = self.n_pitches
        gap = (u @ self.gap.T).gather(1, self._gap_index[last])  # (N, P): sum_c u_c Gap_c[last - q]
        gap = gap * self._below[last] * (last < P)[:, None]  # only below the last onset; none at the start
        notes = base + torch.einsum("nc,ncp->np", v, bag_feat) + gap
        notes = torch.where(allowed, notes, torch.full_like(notes, NEG))
        s = stop + self.count(count.clamp(max=self.max_notes))[:, 0] + self.last(last)[:, 0]
        return torch.cat([notes, s[:, None]], -1)

    # ------------------------------------------------------------ likelihood

    def log_prob(self, roll: torch.Tensor, content: torch.Tensor, style: torch.Tensor, plan: torch.Tensor,
                 state: State | None = None, first: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced log-likelihood of each step of ``roll`` (B, 2, T, P) -> (B, T) nats.

        Step t is predicted from roll[:, :, :t] (``first`` (B, 2, P) is the frame before
        step 0; silence when None), content[:, t] and its bar's code; ``plan`` (B, N) codes
        per bar (bars counted from the positions in ``content``)."""
        B, _, T, P = roll.shape
        first = roll.new_zeros(B, 2, P) if first is None else first
        prev = torch.cat([first[:, :, None], roll[:, :, :-1]], dim=2)  # (B, 2, T, P)
        pos = positions_from_content(content, self.bar_steps)
        ids = bar_ids(pos)
        lb = gather_steps(roll, lookback_index(pos))  # (B, 2, T, P)
        out, bias, _ = self(prev, content, style, step_codes(plan, ids), lb, state)
        hold, base, v, u, stop = self._split(out.float(), bias.float()[:, None], lb.permute(0, 2, 1, 3))
        y = roll_to_states(torch.cat([first[:, :, None], roll], dim=2))[:, 1:]  # (B, T, P)
        could = prev[:, 1] > 0.5  # a note sounded at t-1
        held = y == HOLD
        lp_hold = torch.where(could, F.logsigmoid(torch.where(held, hold, -hold)), torch.zeros_like(hold)).sum(-1)
        return lp_hold + self._onsets_log_prob(y, base, v, u, stop)

    def _onsets_log_prob(self, y, base, v, u, stop) -> torch.Tensor:
        """log p(the onsets of each step | holds): y (B, T, P) states, the head's parts -> (B, T)."""
        B, T, P = y.shape
        onset, held = (y == ONSET).reshape(B * T, P), (y == HOLD).reshape(B * T, P)
        q = torch.arange(P, device=y.device)
        # one decision per step with no onset chosen yet (last = P), and one after each onset
        cells = onset.nonzero()  # (M, 2): row, pitch
        rows = torch.cat([torch.arange(B * T, device=y.device), cells[:, 0]])
        last = torch.cat([torch.full((B * T,), P, device=y.device, dtype=torch.long), cells[:, 1]])
        above = q[None, :] >= last[:, None]  # (N, P): onsets at or above last are chosen already
        chosen = onset[rows] & above
        bag = (held[rows] | chosen).float()
        count = chosen.sum(-1)
        top = torch.where(onset, q, torch.full_like(q, -1)).cummax(-1).values  # highest onset <= q
        nxt = torch.where(last == P, top[rows, P - 1], top[rows, (last - 1).clamp_min(0)])
        nxt = torch.where(last == 0, torch.full_like(nxt, -1), nxt)
        target = torch.where(nxt >= 0, nxt, torch.full_like(nxt, P))  # P: STOP
        harmony = self.harmony_table()
        bag_feat = (bag @ harmony.reshape(P, -1)).view(-1, self.channels, P)
        allowed = ~above & ~held[rows]
        logits = self._onset_logits(base.reshape(B * T, P)[rows], v.reshape(B * T, -1)[rows],
                                    u.reshape(B * T, -1)[rows], stop.reshape(B * T)[rows], bag_feat, last, count,
                                    allowed)
        lp = F.log_softmax(logits, -1).gather(1, target[:, None])[:, 0]
        return torch.zeros(B * T, device=y.device).index_add_(0, rows, lp).view(B, T)

    # ------------------------------------------------------------ the step loop

    def sample(
        self,
        content: torch.Tensor,  # (B, T, D)
        style: torch.Tensor,  # (B,) long or (B, n_styles) weights
        guidance: float = 1.0,
        temperature: float = 1.0,
        clamp: tuple[torch.Tensor, torch.Tensor] | None = None,  # values (B, 2, T, P), mask (B, T, P) bool
        state: State | None = None,
        first: torch.Tensor | None = None,  # (B, 2, P): the frame before step 0
        generator: torch.Generator | None = None,
        relaxed: bool = False,
        tau: float = 1.0,
        plan: torch.Tensor | None = None,  # (B, N) codes per bar; proposed by the prior when None
    ) -> tuple[torch.Tensor, State]:
        """Write T steps, each from the previous one: -> roll (B, 2, T, P), final state.

        ``clamp`` forces cells (the kept melody, and silence around it) where mask is True;
        the generator then hears the forced frame as its own, and chooses its own notes
        knowing the forced ones.  ``relaxed`` draws with the straight-through Gumbel-softmax
        (hard choices forward, soft gradients) so a loss on the roll reaches the weights
        through every step and every choice."""
        B, T, _ = content.shape
        P, C = self.n_pitches, self.channels
        dev = content.device
        if plan is None:  # the plan draws from its own stream (one draw of ours seeds it), so the
            # notes' draws are the same whatever the piece's length: a longer piece starts the same
            plan_gen = None
            if generator is not None:
                seed = int(torch.randint(2**62, (1,), generator=generator, device=generator.device))
                plan_gen = torch.Generator(device=generator.device).manual_seed(seed)
            plan = self.sample_plan(content, style, guidance, temperature, plan_gen)
        pos = positions_from_content(content, self.bar_steps)
        step_code = step_codes(plan, bar_ids(pos))  # (B, T)
        lb_index = lookback_index(pos)  # (B, T)
        prev = content.new_zeros(B, 2, P) if first is None else first
        state = self.init_state(B, dev) if state is None else state
        # guidance: the conditional and the unconditional ("no style") stream run as one batch
        # of 2B, each with its own state, both hearing the frames drawn from the guided logits
        guided = guidance != 1.0
        two = (lambda x: torch.cat([x, x])) if guided else (lambda x: x)  # noqa: E731
        if guided:
            style = self._with_null(style)
            state = [(torch.cat([h, h], 1), torch.cat([c, c], 1)) for h, c in state]
        cond = self.conditions(style)  # once a call, not once a step
        content_proj, code_emb = self.content(two(content)), self.code(two(step_code))
        harmony_flat = self.harmony_table().reshape(P, -1)
        # temperature 0 is the most likely choice, exactly: no random draw, no tie left to the noise
        greedy = float(temperature) <= 0 and not relaxed
        temp = max(float(temperature), MIN_TEMPERATURE)
        mix = (lambda x: x[B:] + guidance * (x[:B] - x[B:])) if guided else (lambda x: x)  # noqa: E731
        q = torch.arange(P, device=dev)
        frames: list[torch.Tensor] = []  # relaxed: the differentiable frames
        buf = None if relaxed else content.new_zeros(B, 2, T, P)  # else: one buffer
        for t in range(T):
            lb = self._lookback(frames, buf, lb_index[:, t], prev)  # (B, 2, P)
            h, state = self._run(two(prev)[:, :, None], content_proj[:, t:t + 1], code_emb[:, t:t + 1],
                                 two(lb)[:, :, None], cond, state)
            out = self.head(h[:, 0]).float()
            hold_l, base, v, u, stop = self._split(out, cond[2].float(), two(lb))
            could = prev[:, 1] > 0.5  # (B, P)
            if clamp is not None:
                values, mask = clamp[0][:, :, t], clamp[1][:, t]  # (B, 2, P), (B, P)
                f_sus = values[:, 1] > 0.5
                f_hold = mask & f_sus & (values[:, 0] < 0.5) & could
                f_on = mask & f_sus & ~f_hold
            else:
                mask = torch.zeros(B, P, dtype=torch.bool, device=dev)
                f_hold = f_on = mask
            # holds: each sounding note goes on or ends
            hold_l = mix(hold_l) / temp
            free_hold = could & ~mask
            if relaxed:
                pair = torch.stack([hold_l, torch.zeros_like(hold_l)], -1)
                held = F.gumbel_softmax(pair, tau=tau, hard=True)[..., 0] * free_hold
            elif greedy:  # the more likely of going on and ending (a tie ends the note)
                held = ((hold_l > 0) & free_hold).float()
            else:
                draw = torch.rand(hold_l.shape, generator=generator, device=dev)
                held = ((draw < torch.sigmoid(hold_l)) & free_hold).float()
            held = held + f_hold.float()
            onsets = f_on.float()
            # onsets, from the top down: the forced ones first (the melody), then the model's
            bag = held + onsets
            last = torch.where(f_on.any(-1), torch.where(f_on, q, P).amin(-1), torch.full((B,), P, device=dev))
            count = f_on.sum(-1)
            alive = torch.ones(B, device=dev)
            blocked = mask | (held > 0.5)
            for _ in range(self.max_notes):
                allowed = (q[None, :] < last[:, None]) & ~blocked & (onsets < 0.5)
                if not bool(allowed.any()):
                    break
                bag_feat = (bag @ harmony_flat).view(B, C, P)
                logits = self._onset_logits(base, v, u, stop, two(bag_feat), two(last), two(count), two(allowed))
                # masked before the temperature divides: NEG / temp stays below every possible
                # choice (STOP included) however low the temperature (masked after it, a STOP
                # logit below NEG * temp lost to the impossible pitches, one of which the noise picked)
                logits = mix(logits)
                logits[:, :P] = torch.where(allowed, logits[:, :P], torch.full_like(logits[:, :P], NEG))
                if relaxed:
                    pick = F.gumbel_softmax(logits / temp, tau=tau, hard=True)  # (B, P + 1)
                    choice = pick.argmax(-1)
                    new = pick[:, :P] * alive[:, None]
                    alive = alive * (1 - pick[:, P])
                else:
                    choice = _choose(logits, 0.0 if greedy else temp, generator)
                    go = (choice < P) & (alive > 0)
                    new = F.one_hot(choice.clamp(max=P - 1), P).float() * go[:, None]
                    alive = alive * go.float()
                onsets = onsets + new
                bag = bag + new
                went = (alive > 0.5) & (choice < P)
                last = torch.where(went, choice, last)
                count = count + went.long()
                if not bool((alive > 0.5).any()):
                    break
            frame = torch.stack([onsets, onsets + held], 1)  # (B, 2, P)
            if relaxed:
                frames.append(frame)
            else:
                buf[:, :, t] = frame
            prev = frame
        if guided:
            state = [(h[:, :B], c[:, :B]) for h, c in state]  # the conditional stream's
        return (torch.stack(frames, dim=2) if relaxed else buf), state  # (B, 2, T, P)

    @staticmethod
    def _lookback(frames: list, buf: torch.Tensor | None, li: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """The frames at steps ``li`` (B,) (-1: silence) of the output so far -> (B, 2, P)."""
        ok = (li >= 0).to(prev.dtype)[:, None, None]
        if buf is not None:
            return buf[torch.arange(li.shape[0], device=li.device), :, li.clamp_min(0)] * ok
        out = torch.zeros_like(prev)
        for i in li.unique().tolist():  # the rows of a training batch share their bar lines: one term
            if i >= 0:
                out = out + frames[i] * (li == i).to(prev.dtype)[:, None, None]
        return out

    # ------------------------------------------------------------ hearing a given piece

    def encode_plan(self, roll: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """The codes of a real roll (B, 2, T, P) with bar positions (B, T) -> (B, N): what the
        plan of that piece is (teacher forcing in training; priming a continuation)."""
        desc, _ = bar_descriptors(roll, pos, self.bar_steps, self.lowest_pitch)
        return assign_codes(desc, self.codebook)

    def hear(self, roll: torch.Tensor, content: torch.Tensor, style: torch.Tensor) -> State:
        """The state after hearing ``roll`` (B, 2, T, P) as if it had written it (one
        teacher-forced pass with the roll's own plan): to continue a primer."""
        prev = torch.cat([torch.zeros_like(roll[:, :, :1]), roll[:, :, :-1]], dim=2)
        pos = positions_from_content(content, self.bar_steps)
        plan = step_codes(self.encode_plan(roll, pos), bar_ids(pos))
        _, _, state = self(prev, content, style, plan, gather_steps(roll, lookback_index(pos)), None)
        return state
