"""Style-conditioned parts: the rows a model keeps per style, and how they grow.

Everything a model knows about *which* style to write lives in tables with one row per
style (generator: its style embedding, output biases and the texture prior's embedding;
harmony model: its style embedding).  The rest of the model is shared by every style.  So
a new style is one more row in each table (``stylegen adapt``: training/adapt.py):

    table = StyleTable(n_styles=4, dim=32, null=True)   # rows: pop, classical, chorale, folk, "no style"
    table(ids)             (B,) long  -> (B, 32)
    table(weights)         (B, k) float mixture weights over the first k rows -> (B, 32)
    table.grow(1)          rows: pop, classical, chorale, folk, NEW, "no style"; the new row
                           starts as the "no style" row (the model's own style-free behaviour),
                           or, in a table without one, as the mean of the style rows

A model that can take new styles says so with ``add_styles(n)``; :func:`style_tables`
lists a model's tables by walking its modules, so a table added to a model later is grown
(and trained by ``adapt``) without a list of names anywhere.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class StyleTable(nn.Module):
    """Rows per style, and with ``null`` a last "no style" row (trained by style dropout).

    ``weight`` (n_styles [+ 1], dim) has nn.Embedding's name, so state dicts are unchanged."""

    def __init__(self, n_styles: int, dim: int, null: bool = False, init: str = "normal"):
        super().__init__()
        self.n_styles, self.null = n_styles, bool(null)
        self.weight = nn.Parameter(torch.empty(n_styles + self.null, dim))
        nn.init.normal_(self.weight)  # nn.Embedding's draw, also before "zeros": a model's other weights stay as they were
        if init == "zeros":
            nn.init.zeros_(self.weight)

    def forward(self, style: torch.Tensor) -> torch.Tensor:
        """(B,) ids, or (B, k) mixture weights over the first k rows -> (B, dim)."""
        if style.dtype in (torch.int64, torch.int32):
            return F.embedding(style, self.weight)
        return style.to(self.weight.dtype) @ self.weight[: style.shape[-1]]

    @torch.no_grad()
    def grow(self, n: int) -> range:
        """Add ``n`` style rows before the "no style" row; returns their indices."""
        w = self.weight.data
        old = w[: self.n_styles]
        start = w[self.n_styles:] if self.null else old.mean(0, keepdim=True)
        new = start.expand(n, -1).clone()
        rows = torch.cat([old, new, w[self.n_styles:]]) if self.null else torch.cat([old, new])
        self.weight = nn.Parameter(rows, requires_grad=self.weight.requires_grad)
        first = self.n_styles
        self.n_styles += n
        return range(first, first + n)

    def extra_repr(self) -> str:
        return f"{self.n_styles} styles{' + none' if self.null else ''}, dim {self.weight.shape[1]}"


def style_tables(model: nn.Module) -> list[StyleTable]:
    """Every style table of ``model``, in module order."""
    return [m for m in model.modules() if isinstance(m, StyleTable)]


def grow_tables(model: nn.Module, n: int) -> range:
    """Grow every style table of ``model`` by ``n`` rows; the new styles' ids."""
    tables = style_tables(model)
    if not tables:
        raise ValueError(f"{type(model).__name__} has no style tables")
    ids = [t.grow(n) for t in tables]
    if any(r != ids[0] for r in ids):
        raise ValueError(f"{type(model).__name__}: its style tables disagree on the number of styles")
    return ids[0]


@torch.no_grad()
def grow_rows(weight: torch.Tensor, n: int) -> torch.Tensor:
    """``weight`` (S, ...) with ``n`` rows more, each the mean of the first S (for the rows
    of a plain layer: a discriminator's projection and style head)."""
    return torch.cat([weight, weight.mean(0, keepdim=True).expand(n, *weight.shape[1:])])


__all__ = ["StyleTable", "style_tables", "grow_tables", "grow_rows"]
