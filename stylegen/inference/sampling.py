"""The tensor work of inference: pieces padded into one batch and one causal pass of the
generator's ``sample`` over all of them.

    sample_pieces(G, contents [(T_i, D)], style (B,) | (B, S), clamps [(values (2, T_i, P),
                  mask (T_i, P)) | None], strength, temperature, generator, device, threads,
                  state=None, first=None) -> [roll (2, T_i, P) float 0/1 on the CPU]
    sample_seeded(G, pieces, style (1,) | (1, S), strength, temperature, seed, ...) -> [roll]
                  the same over pieces (anything with ``content`` and ``clamp``), one random
                  generator seeded with ``seed`` shared by the batch
    prime(G, roll (2, T, P), content (T, D), style (1,) | (1, S)) -> state
                  the generator's state after hearing ``roll`` (teacher forcing), to continue it

Pieces of a batch are padded at their end to the longest: the generator is causal, so a
piece's steps never see the padding after them.  Everything runs under
``torch.inference_mode()`` on ``threads`` CPU threads (one by default: the step loop is many
small operations, which more threads only slow down on a busy machine).
"""

from __future__ import annotations

import torch

from stylegen.device import torch_threads
from stylegen.inference.options import make_generator

Clamp = tuple[torch.Tensor, torch.Tensor]


def pad_batch(contents: list[torch.Tensor], clamps: list[Clamp | None], n_pitches: int):
    """-> content (B, T, D), clamp (values (B, 2, T, P), mask (B, T, P)) or None, T = the longest."""
    B, T = len(contents), max(int(c.shape[0]) for c in contents)
    D = int(contents[0].shape[-1])
    content = torch.zeros(B, T, D)
    for i, c in enumerate(contents):
        content[i, : c.shape[0]] = c
    if all(c is None for c in clamps):
        return content, None
    values = torch.zeros(B, 2, T, n_pitches)
    mask = torch.zeros(B, T, n_pitches, dtype=torch.bool)
    for i, c in enumerate(clamps):
        if c is not None:
            v, m = c
            values[i, :, : v.shape[1]] = v
            mask[i, : m.shape[0]] = m
    return content, (values, mask)


def sample_pieces(G, contents: list[torch.Tensor], style: torch.Tensor, clamps: list[Clamp | None] | None = None,
                  strength: float = 1.0, temperature: float = 1.0, generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu", threads: int | None = 1, state=None,
                  first: torch.Tensor | None = None) -> list[torch.Tensor]:
    """One ``G.sample`` call over a batch of pieces of any lengths; returns each piece's
    roll (2, T_i, P) as 0/1 floats on the CPU."""
    clamps = clamps if clamps is not None else [None] * len(contents)
    with torch.inference_mode(), torch_threads(threads):
        content, clamp = pad_batch(contents, clamps, G.n_pitches)
        if clamp is not None:
            clamp = (clamp[0].to(device), clamp[1].to(device))
        roll, _ = G.sample(content.to(device), style.to(device), guidance=float(strength),
                           temperature=float(temperature), clamp=clamp, state=state,
                           first=None if first is None else first.to(device), generator=generator)
        roll = roll.float().cpu()
    return [roll[i, :, : c.shape[0]] for i, c in enumerate(contents)]


def sample_seeded(G, pieces: list, style: torch.Tensor, *, strength: float, temperature: float,
                  seed: int | None, device: torch.device | str = "cpu", threads: int | None = 1, state=None,
                  first: torch.Tensor | None = None) -> list[torch.Tensor]:
    """:func:`sample_pieces` over ``pieces`` (each with ``content`` (T_i, D) and ``clamp``)
    in ``style`` (1,) or (1, S), with one random generator seeded with ``seed`` (fresh when
    None) shared by the batch."""
    gen = make_generator(seed, device)
    return sample_pieces(G, [p.content for p in pieces], style.expand(len(pieces), *style.shape[1:]),
                         [p.clamp for p in pieces], strength=strength, temperature=temperature, generator=gen,
                         device=device, threads=threads, state=state, first=first)


def prime(G, roll: torch.Tensor, content: torch.Tensor, style: torch.Tensor, device: torch.device | str = "cpu",
          threads: int | None = 1):
    """The generator's state after it has heard ``roll`` (2, T, P) with ``content`` (T, D)
    as if it had written it (``G.hear``: one teacher-forced pass with the roll's own plan)."""
    with torch.inference_mode(), torch_threads(threads):
        return G.hear(roll.float()[None].to(device), content[None].to(device), style.to(device))


__all__ = ["sample_pieces", "sample_seeded", "prime", "pad_batch"]
