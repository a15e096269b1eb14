"""Composition: a piece written from nothing, or a primer continued, assembled as a Score.

    plan_new(H, cspec, style, resolution, bars, beats_per_bar, sections, ...) -> (Plan, pos (T,))
                 the harmony plan of a piece from nothing (inference/harmony.py
                 ``plan_composition`` over regular bars)
    compose(G, H | None, spec, cspec, style, bars, sections, ...) -> Score
                 melody and accompaniment from nothing, in ``beats_per_bar``/4 at ``tempo``,
                 on one piano track
    continue_primer(G, H | None, spec, cspec, style, primer, bars, sections, ...) -> Score
                 the primer unchanged, then ``bars`` new bars from its next bar line

``H`` is the checkpoint's harmony model: with it the harmony is planned first (each new
section once, repeated where its letter comes back; a primer's harmony heard first and
continued), without it (None) the harmony is withheld.  The generator then writes every step
(``inference/sampling.py``).  Arguments come checked (``inference/options.py``,
``harmony.resolve_form``): ``stylegen/transfer.py``'s ``Model.generate_score`` checks them
and calls these.  Nothing here reads files or imports ``stylegen.training``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from stylegen.data.content import ContentSpec, bar_positions, content_features, empty_content, regular_bars
from stylegen.data.roll import RollSpec, in_range, notes_to_roll, roll_to_notes
from stylegen.data.score import ONSET, TRACK, VELOCITY, Score, notes_to_grid, scale_steps, to_grid
from stylegen.errors import StylegenError
from stylegen.inference.harmony import Plan, Section, plan_composition
from stylegen.inference.options import make_generator
from stylegen.inference.pieces import PIANO, bar_lines, bar_steps, metric_velocities
from stylegen.inference.sampling import prime, sample_seeded

HARMONY_SEED_OFFSET = 7919  # the harmony plan draws from its own stream: the generator's stay those of ``seed``


def harmony_generator(seed: int | None) -> torch.Generator:
    """The harmony plan's own random stream (the generator's draws stay those of ``seed``)."""
    return make_generator(None if seed is None else int(seed) + HARMONY_SEED_OFFSET)


class Composed:
    """A piece composed from nothing, as :func:`sample_seeded` sees it: content, no clamp."""

    def __init__(self, content: torch.Tensor):
        self.content, self.clamp = content, None


def new_positions(bars: int, bar: int) -> np.ndarray:
    """(bars * bar,) bar positions of ``bars`` regular bars of ``bar`` steps."""
    T = bars * bar
    return bar_positions(T, regular_bars(T, bar))


def plan_new(H, cspec: ContentSpec, style: torch.Tensor, resolution: int, bars: int, beats_per_bar: int,
             sections: list[Section], *, temperature: float, seed: int | None,
             threads: int | None = 1) -> tuple[Plan, np.ndarray]:
    """The harmony plan of ``bars`` bars of ``beats_per_bar``/4 composed from nothing, and
    their bar positions (T,)."""
    pos = new_positions(bars, int(beats_per_bar) * resolution)
    plan = plan_composition(H, cspec, pos, style, resolution, sections=sections, temperature=temperature,
                            generator=harmony_generator(seed), threads=threads)
    return plan, pos


def compose(G, H, spec: RollSpec, cspec: ContentSpec, style: torch.Tensor, bars: int, sections: list[Section], *,
            seed: int | None, strength: float, temperature: float, tempo: float | None, beats_per_bar: int,
            device: torch.device | str = "cpu", threads: int | None = 1) -> Score:
    """``bars`` bars from nothing in ``beats_per_bar``/4 at ``tempo`` (120 qpm when None), on
    one piano track, velocities by metre (``metric_velocities``)."""
    if int(beats_per_bar) < 1:
        raise StylegenError(f"beats per bar must be at least 1, got {beats_per_bar}")
    qpm = 120.0 if tempo is None else float(tempo)
    if not (np.isfinite(qpm) and 1.0 <= qpm <= 1000.0):
        raise StylegenError(f"tempo must be between 1 and 1000 quarter notes per minute, got {tempo!r}")
    res = spec.resolution
    bar = int(beats_per_bar) * res
    T = bars * bar
    if H is not None:
        plan, pos = plan_new(H, cspec, style, res, bars, beats_per_bar, sections, temperature=temperature,
                             seed=seed, threads=threads)
        piece = Composed(plan.content(pos, cspec))
    else:
        piece = Composed(empty_content(torch.from_numpy(new_positions(bars, bar)), cspec))
    roll = sample_seeded(G, [piece], style, strength=strength, temperature=temperature, seed=seed, device=device,
                         threads=threads)[0]
    notes = metric_velocities(roll_to_notes(roll.numpy() > 0.5, spec), res, bar)
    return Score(resolution=res, notes=notes, tracks=[replace(PIANO)], length=T, tempos=[(0, qpm)],
                 time_signatures=[(0, int(beats_per_bar), 4)], title="")


def continue_primer(G, H, spec: RollSpec, cspec: ContentSpec, style: torch.Tensor, primer: Score, bars: int,
                    sections: list[Section], *, seed: int | None, strength: float, temperature: float,
                    device: torch.device | str = "cpu", threads: int | None = 1) -> Score:
    """The primer, unchanged, followed by ``bars`` new bars (from the primer's next bar line
    on) on a piano track, with the primer's tempo map, meter and keys.  The generator first
    hears the primer (one teacher-forced pass sets its state); a harmony model hears the
    primer's harmony and continues it."""
    res = spec.resolution
    grid = to_grid(primer, res)
    bar = bar_steps(grid)
    lines = bar_lines(grid)
    start = int(lines[-1]) if len(lines) else 0
    while start < grid.length:
        start += bar  # the first bar line at or after the primer's end
    T = bars * bar
    inside = in_range(grid.notes, spec)
    heard = torch.from_numpy(notes_to_roll(grid.notes[inside], spec, 0, start)).float()  # (2, start, P)
    all_lines = np.concatenate([lines[lines < start], regular_bars(T, bar) + start])
    pos = torch.from_numpy(bar_positions(start + T, all_lines))
    state, first, content = None, None, None
    if start > 0:
        with torch.inference_mode():
            content = content_features(heard, pos[:start], spec, cspec)  # (start, D)
        state = prime(G, heard, content, style, device, threads)
        first = heard[None, :, start - 1]  # (1, 2, P): the frame before the first new step
    if H is not None:
        on = grid.notes[inside, ONSET]
        first_bar = int(np.searchsorted(all_lines, int(on.min()), side="right") - 1) if len(on) else 0
        plan = plan_composition(H, cspec, pos.numpy(), style, res, sections=sections, new_from=start,
                                primer_content=content, first_bar=max(0, first_bar), temperature=temperature,
                                generator=harmony_generator(seed), threads=threads)
        piece = Composed(plan.content(pos.numpy(), cspec)[start:])
    else:
        piece = Composed(empty_content(pos[start:], cspec))
    roll = sample_seeded(G, [piece], style, strength=strength, temperature=temperature, seed=seed, device=device,
                         threads=threads, state=state, first=first)[0]
    new = roll_to_notes(roll.numpy() > 0.5, spec, offset=start)
    tail = grid.notes[grid.notes[:, ONSET] >= max(0, start - bar)]
    new[:, VELOCITY] = int(np.median(tail[:, VELOCITY])) if len(tail) else 80
    f = primer.resolution / res
    new = notes_to_grid(new, f)  # onto the primer's own grid
    new[:, TRACK] = len(primer.tracks)
    out = primer.with_notes(np.concatenate([primer.notes, new]), tracks=[*primer.tracks, replace(PIANO)])
    out.length = int(scale_steps(start + T, f))
    return out


__all__ = ["plan_new", "compose", "continue_primer", "harmony_generator", "new_positions", "Composed"]
