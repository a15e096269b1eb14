"""How much of the style the content features give away (the generator's "leakage").

The generator hears only content features (``data/content.py``).  If those alone tell the
corpus, a network that rebuilds each piece from its content learns p(texture | content)
and has no reason to listen to the style label, so transfer cannot move the style.  This
measures it: a small classifier of the style from the content of a window alone,
cross-validated by piece (no piece in both the training and the test fold).

    content_leakage(corpus, cspec) -> {"balanced_accuracy": 0.52, "chance": 0.25, "recall/pop": ..., ...}
    plan_leakage(corpus, cspec, G)  -> {"real": {...}, "proposed": {...}}   (the texture plan's)

Per window (T steps, D features), the classifier sees the time mean, the standard deviation
and the mean absolute step-to-step change of every harmony feature, and the share of
silent harmony blocks: what separates corpora (key, harmonic rhythm, how often the bass
moves, rests) without the position one-hot, which is the same for every window.  An MLP
(one hidden layer), class-balanced, trained with AdamW; 0.5 of the pieces' windows by
default keep the run short.  ``transpose`` shifts each window by a random number of
semitones (as training does), so the absolute key tells less.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from stylegen.data.content import ContentSpec, content_features
from stylegen.data.dataset import Corpus
from stylegen.data.windows import WindowDataset, collate_windows


def window_summary(content: torch.Tensor, cspec: ContentSpec) -> torch.Tensor:
    """(B, T, D) content -> (B, 3 * H + 1) summary statistics of the harmony part (H dims)."""
    h = content[..., : cspec.harmony_dim]  # (B, T, H)
    silent = (h.sum(-1) == 0).float().mean(-1, keepdim=True)  # (B, 1)
    change = (h[:, 1:] - h[:, :-1]).abs().mean(1)  # (B, H)
    return torch.cat([h.mean(1), h.std(1), change, silent], dim=-1)


def _fold(key: str, folds: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % folds


def collect(corpus: Corpus, cspec: ContentSpec, window_bars: int = 4, per_style: int = 1500, transpose: int = 0,
            seed: int = 0, featurize: Callable | None = None) -> tuple[torch.Tensor, np.ndarray, list[str]]:
    """Features (N, F), styles (N,) and piece keys of up to ``per_style`` windows a style,
    drawn from every split.  ``featurize(batch, content) -> (B, F)`` (default: the content's
    ``window_summary``)."""
    rng = np.random.default_rng(seed)
    featurize = featurize or (lambda b, c: window_summary(c, cspec))
    feats, styles, keys = [], [], []
    for split in ("train", "val", "test"):
        ds = WindowDataset(corpus, split, window_bars, 1, transpose, seed)
        if len(ds) == 0:
            continue
        by_style = [np.flatnonzero(np.array([corpus.pieces[p].style for p in ds.index[:, 0]]) == s)
                    for s in range(len(corpus.styles))]
        for s, idx in enumerate(by_style):
            take = rng.permutation(idx)[: per_style]
            for lo in range(0, len(take), 256):
                b = collate_windows([ds[int(i)] for i in take[lo: lo + 256]])
                c = content_features(b["roll"], b["pos"], corpus.spec, cspec)
                feats.append(featurize(b, c))
                styles.append(b["style"].numpy())
                keys += [corpus.pieces[int(p)].key for p in b["piece"]]
    return torch.cat(feats), np.concatenate(styles), keys


def _train_mlp(x: torch.Tensor, y: torch.Tensor, n_classes: int, steps: int = 400, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Linear(64, n_classes))
    counts = torch.bincount(y, minlength=n_classes).float().clamp_min(1)
    loss_fn = nn.CrossEntropyLoss(weight=counts.sum() / counts / n_classes)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=1e-3)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return model.eval()


def style_from_features(x: torch.Tensor, styles: np.ndarray, keys: list[str], names: list[str], folds: int = 3,
                        seed: int = 0) -> dict[str, float]:
    """Balanced accuracy (mean per-style recall) of an MLP telling the style from ``x``,
    cross-validated by piece (a piece's windows are all in one fold)."""
    y = torch.from_numpy(styles).long()
    fold = np.array([_fold(k, folds) for k in keys])
    n = len(names)
    pred = np.full(len(y), -1)
    for f in range(folds):
        test = fold == f
        if test.all() or not test.any():
            continue
        mu, sd = x[~test].mean(0), x[~test].std(0).clamp_min(1e-6)
        model = _train_mlp((x[~test] - mu) / sd, y[~test], n, seed=seed)
        with torch.no_grad():
            pred[test] = model((x[test] - mu) / sd).argmax(1).numpy()
    out: dict[str, float] = {"chance": 1.0 / n, "windows": float(len(y))}
    recalls = []
    for s, name in enumerate(names):
        sel = (styles == s) & (pred >= 0)
        if sel.any():
            r = float((pred[sel] == s).mean())
            out[f"recall/{name}"] = r
            recalls.append(r)
    out["balanced_accuracy"] = float(np.mean(recalls)) if recalls else float("nan")
    return out


def content_leakage(corpus: Corpus, cspec: ContentSpec, window_bars: int = 4, per_style: int = 1500,
                    folds: int = 3, transpose: int = 0, seed: int = 0) -> dict[str, float]:
    """Balanced accuracy (mean per-style recall) of telling the style from the content
    alone, cross-validated by piece; ``chance`` = 1 / number of styles."""
    x, styles, keys = collect(corpus, cspec, window_bars, per_style, transpose, seed)
    return style_from_features(x, styles, keys, list(corpus.styles), folds, seed)


def plan_histogram(codes: torch.Tensor, n_codes: int) -> torch.Tensor:
    """(B, N) bar codes -> (B, n_codes) the share of the window's bars with each code."""
    return torch.nn.functional.one_hot(codes, n_codes).float().mean(1)


def plan_leakage(corpus: Corpus, cspec: ContentSpec, G, target: int = 0, window_bars: int = 4, per_style: int = 1500,
                 folds: int = 3, seed: int = 0) -> dict[str, dict[str, float]]:
    """How much of the source style the texture plan carries, for a planned generator ``G``.

    ``real``: the window's own plan (its bars' codes): what transfer would carry over if it
    copied the source's codes (it does not).  ``proposed``: the plan G's prior proposes for
    style ``target`` from the window's content: what transfer uses; it can tell the source
    only through the content, so it should be near ``content_leakage``.  Each: balanced
    accuracy of telling the source style from the histogram of codes, as content_leakage."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name in ("real", "proposed"):
        @torch.no_grad()
        def featurize(b, c, name=name):
            if name == "real":
                codes = G.encode_plan(b["roll"], b["pos"])
            else:
                codes = G.sample_plan(c, torch.full((c.shape[0],), target, dtype=torch.long), generator=g)
            return plan_histogram(codes, G.codes)

        x, styles, keys = collect(corpus, cspec, window_bars, per_style, 0, seed, featurize)
        out[name] = style_from_features(x, styles, keys, list(corpus.styles), folds, seed)
    return out
