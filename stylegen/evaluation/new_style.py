"""How real a newly added style sounds: a few transfers to it against its held-back pieces.

    rows = new_style_realism("mine.pt", recipe, "ragtime", source="pop", pieces=8)

The inputs are validation pieces of ``source`` (an old style whose data is on this machine)
or, without one, the new style's own held-back pieces re-written from their own content.
Both are judged by realism (metrics/realism.py: Fréchet distance and two-sample AUC of
window features) against all of the new style's held-back pieces, beside two context rows:
the inputs as they were (the "wrong style") and the style's own train pieces (real music of
the style: the floor).  A small folder holds back few pieces: rough figures, said with n.
"""

from __future__ import annotations

from stylegen.evaluation.pieces import recipe_pieces
from stylegen.metrics.realism import realism_rows
from stylegen.transfer import load


def new_style_realism(checkpoint, recipe, style: str, source: str | None = None, pieces: int = 8,
                      progress: bool = False) -> dict:
    """{"source", "inputs", "real", "metrics"}: realism rows "output" (the transfers), "input"
    (the inputs untouched) and "real" (``pieces`` train pieces of the style) against all of
    ``style``'s validation pieces."""
    model = load(checkpoint)
    res = model.spec.resolution
    _, real, n_real, _ = recipe_pieces(recipe, style, "val", res, progress)
    if source is not None:
        _, inputs, _, _ = recipe_pieces(recipe, source, "val", res, progress, limit=pieces, spread=True)
    else:
        inputs = real[:pieces]
    _, train, _, _ = recipe_pieces(recipe, style, "train", res, progress, limit=pieces, spread=True)
    outputs = [model.transfer_score(s, style) for s in inputs]
    metrics, _ = realism_rows({"output": outputs, "input": inputs, "real": train}, real, model.spec, split=False)
    return {"source": source or f"{style} (its own held-back pieces)", "inputs": len(inputs), "real": n_real,
            "metrics": metrics}


__all__ = ["new_style_realism"]
