"""The style judge at inference: load a classifier checkpoint and classify pieces.

    clf = load_classifier()                  # the shipped checkpoints/classifier.pt
    clf = load_classifier("runs/x/classifier.pt")
    clf.styles                               # ["pop", "classical", "folk"]
    clf.piece_probs(score)                   # (n_styles,) mean of its windows' probabilities
    clf.probs(rolls)                         # (B, 2, T, P) tensor -> (B, n_styles) probabilities

A piece is cut into windows exactly as the classifier was trained: ``window.bars`` bars of
4 beats starting every ``window.hop_bars``-th bar line of the piece, keeping windows that
hold at least one note onset.  A piece shorter than one window is one zero-padded window.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from stylegen.checkpoint import build_model, load_checkpoint
from stylegen.data.score import DURATION, ONSET, Score, to_grid
from stylegen.data.roll import RollSpec, notes_to_roll
from stylegen.errors import StylegenError
from stylegen.shipped import shipped_path


def default_classifier_path() -> Path:
    """The shipped classifier: ``checkpoints/classifier.pt`` of the checkout, or the copy a
    wheel carries (``stylegen.shipped``)."""
    return shipped_path("classifier.pt")


class StyleClassifier:
    """A trained style classifier with what it needs to read pieces the way it was trained."""

    def __init__(self, model: torch.nn.Module, spec: RollSpec, styles: list[str], window: int, hop_bars: int,
                 path: str = "", meta: dict | None = None, device: str | torch.device = "cpu"):
        self.model = model.to(device).eval()
        self.spec = spec
        self.styles = list(styles)
        self.window = int(window)  # T, steps per window
        self.hop_bars = int(hop_bars)
        self.path = path
        self.meta = meta or {}
        self.device = torch.device(device)

    def __repr__(self) -> str:
        return f"StyleClassifier({self.path or '<memory>'}: {', '.join(self.styles)}; window {self.window} steps)"

    # ---------------------------------------------------------------- vocabulary

    def index(self, style: str) -> int:
        """The label of ``style``; a StylegenError naming the known styles otherwise."""
        try:
            return self.styles.index(style)
        except ValueError:
            where = f" ({self.path})" if self.path else ""
            raise StylegenError(
                f"the classifier{where} was trained on styles {', '.join(self.styles)}; "
                f"{style!r} is not one of them (train one that knows it: stylegen classifier RECIPE)"
            ) from None

    # ---------------------------------------------------------------- tensors

    @torch.no_grad()
    def probs(self, rolls: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
        """(B, 2, T, P) rolls (bools or probabilities) -> (B, n_styles) float probabilities (CPU)."""
        if rolls.shape[0] == 0:
            return torch.zeros((0, len(self.styles)))
        out = []
        for lo in range(0, rolls.shape[0], batch_size):
            x = rolls[lo: lo + batch_size].to(self.device, dtype=torch.float32)
            out.append(torch.softmax(self.model(x).float(), dim=1).cpu())
        return torch.cat(out)

    # ---------------------------------------------------------------- pieces

    def window_starts(self, score: Score) -> np.ndarray:
        """Steps where the windows of a piece start (bar lines every hop_bars bars, with an onset)."""
        return window_starts(self._on_grid(score), self.window, self.hop_bars)

    def windows(self, score: Score) -> np.ndarray:
        """The piece's windows as a bool array (N, 2, T, P); N = 0 for a piece with no notes."""
        return piece_windows(self._on_grid(score), self.spec, self.window, self.hop_bars)

    def window_probs(self, score: Score) -> np.ndarray:
        """(N, n_styles) probabilities of each window of the piece."""
        w = self.windows(score)
        return self.probs(torch.from_numpy(w)).numpy().astype(np.float64)

    def piece_probs(self, score: Score) -> np.ndarray:
        """(n_styles,) the mean of the piece's window probabilities; all NaN when it has no notes."""
        p = self.window_probs(score)
        if len(p) == 0:
            return np.full(len(self.styles), np.nan)
        return p.mean(axis=0)

    def classify(self, scores: list[Score], progress=None, batch_size: int = 256,
                 return_windows: bool = False):
        """(n_pieces, n_styles) piece probabilities for many pieces, windows batched across
        pieces; a piece with no notes gets a row of NaN.  With ``return_windows`` also the
        (n_windows, n_styles) probabilities of all their windows, concatenated."""
        out = np.full((len(scores), len(self.styles)), np.nan)
        all_windows: list[np.ndarray] = []
        pending: list[tuple[int, np.ndarray]] = []
        n_pending = 0

        def flush():
            nonlocal pending, n_pending
            if not pending:
                return
            p = self.probs(torch.from_numpy(np.concatenate([w for _, w in pending])), batch_size).numpy()
            p = p.astype(np.float64)
            all_windows.append(p)
            lo = 0
            for i, w in pending:
                out[i] = p[lo: lo + len(w)].mean(axis=0)
                lo += len(w)
            pending, n_pending = [], 0

        for i, s in enumerate(scores):
            w = self.windows(s)
            if len(w):
                pending.append((i, w))
                n_pending += len(w)
                if n_pending >= batch_size:
                    flush()
            if progress:
                progress(1)
        flush()
        if return_windows:
            win = np.concatenate(all_windows) if all_windows else np.zeros((0, len(self.styles)))
            return out, win
        return out

    def _on_grid(self, score: Score) -> Score:
        return to_grid(score, self.spec.resolution)


def window_starts(score: Score, window: int, hop_bars: int) -> np.ndarray:
    """Steps where a piece's windows of ``window`` steps start: every ``hop_bars``-th bar line
    before the end, keeping those whose window holds a note onset."""
    starts = score.bar_starts()[::hop_bars]
    starts = starts[starts < max(score.length, 1)]
    onsets = np.sort(score.notes[:, ONSET]) if len(score.notes) else np.zeros(0, np.int64)
    has = np.searchsorted(onsets, starts + window, side="left") > np.searchsorted(onsets, starts, side="left")
    return starts[has].astype(np.int64)


def piece_windows(score: Score, spec: RollSpec, window: int, hop_bars: int) -> np.ndarray:
    """A piece (on ``spec``'s grid) cut into bool rolls (N, 2, window, P) at ``window_starts``;
    N = 0 for a piece with no notes.  The one place pieces become windows for judging."""
    starts = window_starts(score, window, hop_bars)
    notes = score.notes
    out = np.zeros((len(starts), 2, window, spec.n_pitches), dtype=bool)
    if len(notes) == 0:
        return out
    ends = notes[:, ONSET] + notes[:, DURATION]
    for i, s in enumerate(starts):
        sel = notes[(notes[:, ONSET] < s + window) & (ends > s)]
        out[i] = notes_to_roll(sel, spec, int(s), window)
    return out


def load_classifier(path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> StyleClassifier:
    """Load a classifier checkpoint (default: the shipped ``checkpoints/classifier.pt``)."""
    p = Path(path) if path is not None else default_classifier_path()
    if path is None and not p.is_file():
        raise StylegenError(f"{p}: the shipped classifier is missing; train one with "
                            "`stylegen classifier recipes/pop2classical.yaml -o checkpoints/classifier.pt` "
                            "or pass --classifier PATH")
    ckpt = load_checkpoint(p, kind="classifier", map_location="cpu")
    if "window" not in ckpt:
        raise StylegenError(f"{p}: classifier checkpoint lacks its window settings")
    model = build_model(ckpt, "classifier", kind="classifier")
    spec = RollSpec.from_dict(ckpt["spec"])
    meta = {k: ckpt.get(k) for k in ("step", "metrics", "training", "version", "recipe")}
    return StyleClassifier(model, spec, ckpt["styles"], ckpt["window"]["steps"], ckpt["window"]["hop_bars"],
                           path=str(p), meta=meta, device=device)
