"""Evaluating a transfer checkpoint: transfer a recipe's validation pieces, and S_tot of a pair.

    cp = transfer_pieces(checkpoint, recipe, source, target, max_pieces=None, pair=False)
    cp.names, cp.inputs, cp.outputs, cp.cycles        source val pieces, transferred, and back
    cp.reverse                                        (names, inputs, outputs, cycles) of target -> source
    pair_strength(classifier, source, target, reverse, s_forward) -> {"pair/S_reverse", "pair/S_tot"}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stylegen.checkpoint import load_checkpoint
from stylegen.config import stored_recipe
from stylegen.data.midi import write_score
from stylegen.errors import StylegenError
from stylegen.evaluation.pieces import progress_bar, recipe_pieces
from stylegen.metrics.strength import brunner_strength, brunner_total, source_share
from stylegen.transfer import load


@dataclass
class CheckpointPieces:
    names: list[str]
    inputs: list
    outputs: list
    cycles: list
    recipe: object
    counts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reverse: tuple | None = None


def _transfer_all(model, scores: list, style: str, desc: str, progress: bool) -> list:
    bar = progress_bar(len(scores), desc, progress)
    out = []
    for s in scores:
        out.append(model.transfer_score(s, style))
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    return out


def transfer_pieces(checkpoint: str, source: str, target: str, recipe=None, overrides: list[str] | None = None,
                    max_pieces: int | None = None, pair: bool = False, device: str = "cpu",
                    progress: bool = False) -> CheckpointPieces:
    """Transfer ``recipe``'s (default: the checkpoint's own recipe's) validation pieces of
    ``source`` to ``target`` and back; with ``pair`` also the target's pieces to the source
    and back."""
    if max_pieces is not None and max_pieces < 1:
        raise StylegenError("--max-pieces must be at least 1")
    if recipe is None:
        ckpt = load_checkpoint(checkpoint)
        recipe, _ = stored_recipe(ckpt["recipe"], f"{checkpoint} (its recipe)", overrides or [])
    for st in (source, target):
        if st not in recipe.styles:
            raise StylegenError(f"{recipe.source_file}: no style {st!r} (styles: {', '.join(recipe.styles)})")
    model = load(checkpoint, device=device)
    res = model.spec.resolution
    counts, notes = {}, []

    def sources_of(style: str):
        names, scores, total, _ = recipe_pieces(recipe, style, "val", res, progress, max_pieces)
        counts[f"val_pieces_{style}"] = total
        if len(scores) < total:
            notes.append(f"{style}: the first {len(scores)} of {total} validation pieces by name (--max-pieces)")
        return names, scores

    names, inputs = sources_of(source)
    outputs = _transfer_all(model, inputs, target, f"{source} -> {target}", progress)
    cycles = _transfer_all(model, outputs, source, f"back to {source}", progress)
    reverse = None
    if pair:
        r_names, r_in = sources_of(target)
        r_out = _transfer_all(model, r_in, source, f"{target} -> {source}", progress)
        r_cyc = _transfer_all(model, r_out, target, f"back to {target}", progress)
        reverse = (r_names, r_in, r_out, r_cyc)
    notes.append(f"transferred by {checkpoint}")
    return CheckpointPieces(names, inputs, outputs, cycles, recipe, counts, notes, reverse)


def save_pairs(names: list[str], inputs: list, outputs: list, out_dir: str | Path) -> None:
    """Write inputs and outputs as MIDI under out_dir/inputs and out_dir/outputs (same names),
    so that ``stylegen evaluate --inputs --outputs`` can score them again."""
    out_dir = Path(out_dir)
    for n, a, b in zip(names, inputs, outputs):
        write_score(a, out_dir / "inputs" / f"{n}.mid")
        write_score(b, out_dir / "outputs" / f"{n}.mid")


def pair_strength(classifier, source: str, target: str, reverse: tuple, s_forward: float) -> dict[str, float]:
    """Brunner et al.'s S of the reverse direction (target -> source -> target) and S_tot of
    the pair, from the reverse pieces (names, inputs, outputs, cycles)."""
    _, r_in, r_out, r_cyc = reverse
    t, s = classifier.index(target), classifier.index(source)
    p_in, p_out, p_cyc = (classifier.classify(x) for x in (r_in, r_out, r_cyc))
    s_rev = brunner_strength(source_share(p_in, t, s), source_share(p_out, t, s), source_share(p_cyc, t, s))
    return {"pair/S_reverse": s_rev, "pair/S_tot": brunner_total(s_forward, s_rev)}
