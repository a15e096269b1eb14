"""TEMPORARY (removed when the planned generator ships): the previous generator, kept so the
shipped checkpoint loads while its successor trains.

The style-conditioned generator: an LSTM that writes a piece's texture from its content.

It hears only *what* the piece is (content features, ``data/content.py``: harmony per half
bar, bass, position in the bar) and the target style, and writes the notes of each step
from its own previous output, like a language model writes words.

    prev  (B, 2, T, P) the roll one step behind (teacher forcing; its own samples when free)
    content (B, T, D)  ──┐
    prev ──frame──▶ (B, T, F)  concat  ──▶ LSTM layer 1 ─FiLM(s)─▶ ... LSTM layer L ─FiLM(s)─▶ h (B, T, H)
    style (B,) ──embed──▶ s (B, S_d)  (also concatenated to the first layer's input)
    h ──head──▶ mixture logits (B, T, K)  and  note logits (B, T, K, P, 3) + style bias (P, 3)

Notes, not cells: every pitch of a step is in one of three states, ``off``, ``onset`` (a
note starts) or ``hold`` (the note sounding at t-1 goes on).  ``hold`` is only possible
where a note sounded at t-1, so durations come from the model and the decoded roll is
always canonical.  The notes of one step depend on each other through a mixture of K
components (a chord-like choice): p(x_t) = sum_k pi_k prod_p Cat(x_tp | theta_kp).

Style id ``n_styles`` is "no style" (trained with ``style_dropout``): at inference the
logits are  u + g (c - u)  with c conditional, u unconditional and g the guidance scale
(0: no style, 1: as trained, > 1: stronger).  ``sample`` owns the step loop (as nanoGPT's
model owns ``generate``): free sampling for transfer and composition, or a relaxed
(straight-through Gumbel) roll-out through which the adversarial stage back-propagates.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from stylegen.models.registry import register

from stylegen.models.generator import HOLD, NEG, ONSET, State, _gumbel_argmax, roll_to_states, states_to_frame


@register("generator", "texture")
class TextureLSTM(nn.Module):
    def __init__(
        self,
        n_pitches: int = 84,
        n_styles: int = 4,
        content_dim: int = 41,
        hidden_size: int = 256,
        num_layers: int = 2,
        style_dim: int = 32,
        frame_dim: int = 128,
        mixture: int = 8,
        dropout: float = 0.1,
        onset_rate: float = 0.015,
    ):
        super().__init__()
        self.n_pitches, self.n_styles, self.content_dim = n_pitches, n_styles, content_dim
        self.hidden_size, self.num_layers, self.mixture = hidden_size, num_layers, mixture
        P, H, K = n_pitches, hidden_size, mixture
        self.frame = nn.Linear(2 * P, frame_dim)
        self.content = nn.Linear(content_dim, frame_dim)
        self.style = nn.Embedding(n_styles + 1, style_dim)  # the last row is "no style"
        sizes = [2 * frame_dim + style_dim] + [H] * (num_layers - 1)
        self.lstms = nn.ModuleList([nn.LSTM(n, H, batch_first=True) for n in sizes])
        self.films = nn.ModuleList([nn.Linear(style_dim, 2 * H) for _ in range(num_layers)])
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(H, K * P * 3 + K)
        self.style_bias = nn.Embedding(n_styles + 1, P * 3)  # a per-style output bias
        for film in self.films:
            nn.init.zeros_(film.weight)
            nn.init.zeros_(film.bias)
        nn.init.zeros_(self.style_bias.weight)
        nn.init.normal_(self.head.weight, std=0.01)
        with torch.no_grad():  # start at the data's note density, not at p = 1/3 per state
            b = self.head.bias.view(-1)
            b.zero_()
            notes = b[: K * P * 3].view(K, P, 3)
            notes[..., ONSET] = math.log(onset_rate)
            notes[..., HOLD] = math.log(4.0)  # a sounding note usually goes on

    # ------------------------------------------------------------ conditioning

    @property
    def null_style(self) -> int:
        return self.n_styles

    def _style(self, style: torch.Tensor, table: nn.Embedding) -> torch.Tensor:
        """(B,) ids (``n_styles`` = none) or (B, n_styles [+ 1]) mixture weights -> table rows."""
        if style.dtype in (torch.int64, torch.int32):
            return table(style)
        return style.to(table.weight.dtype) @ table.weight[: style.shape[-1]]

    def init_state(self, batch: int, device=None) -> State:
        z = torch.zeros(1, batch, self.hidden_size, device=device)
        return [(z, z.clone()) for _ in range(self.num_layers)]

    # ------------------------------------------------------------ one pass

    def conditions(self, style: torch.Tensor) -> tuple[torch.Tensor, list, torch.Tensor]:
        """What the style gives every step, computed once a call: the style vector s (B, S_d),
        each layer's FiLM (scale, shift) (B, H), and the output bias (B, P, 3)."""
        s = self._style(style, self.style)
        films = [film(s).chunk(2, dim=-1) for film in self.films]
        return s, films, self._style(style, self.style_bias).view(-1, self.n_pitches, 3)

    def forward(
        self,
        prev: torch.Tensor,  # (B, 2, T, P): the output one step behind
        content: torch.Tensor,  # (B, T, D)
        style: torch.Tensor,  # (B,) long or (B, n_styles) float weights
        state: State | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, State]:
        """Returns note logits (B, T, K, P, 3), mixture logits (B, T, K) and the new state.
        ``hold`` is not yet masked (see :meth:`mask_hold`)."""
        return self._run(prev, self.content(content), self.conditions(style), state)

    def _run(self, prev, content_proj, cond, state):
        """forward() with the content projected (B, T, F) and the style's conditions given."""
        B, _, T, P = prev.shape
        s, films, bias = cond
        x = torch.cat([
            self.frame(prev.permute(0, 2, 1, 3).reshape(B, T, 2 * P)),  # (B, T, F)
            content_proj,  # (B, T, F)
            s[:, None].expand(B, T, s.shape[-1]),
        ], dim=-1)
        new_state: State = []
        for i, (lstm, (scale, shift)) in enumerate(zip(self.lstms, films)):
            if T == 1 and state is not None:  # one step (the sampling loop): the plain cell is ~10x faster
                hc = torch.lstm_cell(x[:, 0], (state[i][0][0], state[i][1][0]), lstm.weight_ih_l0, lstm.weight_hh_l0,
                                     lstm.bias_ih_l0, lstm.bias_hh_l0)
                h, st = hc[0][:, None], (hc[0][None], hc[1][None])
            else:
                h, st = lstm(x, None if state is None else state[i])  # (B, T, H)
            new_state.append(st)
            x = self.drop(h * (1 + scale[:, None]) + shift[:, None])  # FiLM (B, H) each
        out = self.head(x)  # (B, T, K*P*3 + K)
        K = self.mixture
        notes = out[..., : K * P * 3].view(B, T, K, P, 3) + bias.view(B, 1, 1, P, 3)
        return notes, out[..., K * P * 3:], new_state

    @staticmethod
    def mask_hold(notes: torch.Tensor, prev_sustain: torch.Tensor) -> torch.Tensor:
        """Forbid ``hold`` where nothing sounded at t-1: notes (B, T, K, P, 3), prev_sustain (B, T, P)."""
        can = (prev_sustain > 0.5)[:, :, None, :]  # (B, T, 1, P)
        return torch.cat([notes[..., :2], torch.where(can, notes[..., 2], torch.full_like(notes[..., 2], NEG))[..., None]],
                         dim=-1)

    def log_prob(self, roll: torch.Tensor, content: torch.Tensor, style: torch.Tensor,
                 state: State | None = None, first: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced log-likelihood of each step of ``roll`` (B, 2, T, P) -> (B, T) nats.

        Step t is predicted from roll[:, :, :t] (``first`` (B, 2, P) is the frame before
        step 0; silence when None) and content[:, t]."""
        B, _, T, P = roll.shape
        first = roll.new_zeros(B, 2, P) if first is None else first
        prev = torch.cat([first[:, :, None], roll[:, :, :-1]], dim=2)  # (B, 2, T, P)
        notes, mix, _ = self(prev, content, style, state)
        notes = self.mask_hold(notes, prev[:, 1])
        y = roll_to_states(torch.cat([first[:, :, None], roll], dim=2))[:, 1:]  # (B, T, P)
        lp = F.log_softmax(notes.float(), dim=-1)  # (B, T, K, P, 3)
        lp = lp.gather(-1, y[:, :, None, :, None].expand(B, T, self.mixture, P, 1)).squeeze(-1).sum(-1)  # (B, T, K)
        return torch.logsumexp(F.log_softmax(mix.float(), dim=-1) + lp, dim=-1)  # (B, T)

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
    ) -> tuple[torch.Tensor, State]:
        """Write T steps, each from the previous one: -> roll (B, 2, T, P), final state.

        ``clamp`` forces cells (the kept melody, and silence around it) where mask is True;
        the generator then hears the forced frame as its own.  ``relaxed`` draws with the
        straight-through Gumbel-softmax (hard one-hot forward, soft gradients) so a loss on
        the roll reaches the weights through every step."""
        B, T, _ = content.shape
        P, K = self.n_pitches, self.mixture
        prev = content.new_zeros(B, 2, P) if first is None else first
        state = self.init_state(B, content.device) if state is None else state
        # guidance: the conditional and the unconditional ("no style") stream run as one batch
        # of 2B, each with its own state, both hearing the frames drawn from the guided logits
        guided = guidance != 1.0
        if guided:
            null = torch.full((B,), self.null_style, dtype=torch.long, device=content.device)
            if style.dtype not in (torch.int64, torch.int32):  # mixture weights: the null as a weight row too
                style, null = F.pad(style, (0, 1)), F.one_hot(null, self.n_styles + 1).to(style.dtype)
            style = torch.cat([style, null])
            content = torch.cat([content, content])
            state = [(torch.cat([h, h], 1), torch.cat([c, c], 1)) for h, c in state]
        cond = self.conditions(style)  # once a call, not once a step
        content_proj = self.content(content)  # (B or 2B, T, F)
        frames = []
        temp = max(float(temperature), 1e-4)
        for t in range(T):
            p = prev[:, :, None]
            notes, mix, state = self._run(torch.cat([p, p]) if guided else p, content_proj[:, t:t + 1], cond, state)
            if guided:
                notes = notes[B:] + guidance * (notes[:B] - notes[B:])
                mix = mix[B:] + guidance * (mix[:B] - mix[B:])
            notes = self.mask_hold(notes, prev[:, 1:2])[:, 0]  # (B, K, P, 3)
            mix = mix[:, 0]  # (B, K)
            if relaxed:
                k = F.gumbel_softmax(mix.float() / temp, tau=tau, hard=True)  # (B, K)
                logits = torch.einsum("bk,bkpc->bpc", k, notes.float())
                y = F.gumbel_softmax(logits / temp, tau=tau, hard=True)  # (B, P, 3)
            else:
                k = _gumbel_argmax(mix.float() / temp, generator)  # (B,)
                logits = notes[torch.arange(B), k].float() / temp  # (B, P, 3)
                y = F.one_hot(_gumbel_argmax(logits, generator), 3).float()  # (B, P, 3)
            frame = states_to_frame(y)  # (B, 2, P)
            if clamp is not None:
                values, mask = clamp
                m = mask[:, t][:, None, :]  # (B, 1, P)
                frame = torch.where(m, values[:, :, t], frame)
                # a forced cell that holds where nothing sounded becomes an onset
                fon, fsus = frame[:, 0], frame[:, 1]
                fon = torch.where(m[:, 0] & (fsus > 0.5) & (prev[:, 1] < 0.5), torch.ones_like(fon), fon)
                frame = torch.stack([fon, fsus], dim=1)
            frames.append(frame)
            prev = frame
        if guided:
            state = [(h[:, :B], c[:, :B]) for h, c in state]  # the conditional stream's
        return torch.stack(frames, dim=2), state  # (B, 2, T, P)
