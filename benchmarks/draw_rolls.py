"""Piano-rolls to look at before believing a number: input, output and a real piece.

    python benchmarks/draw_rolls.py [--checkpoint C] [--recipe R] [--songs 3] [--bars 16] \
        [--source pop] [--target classical] [--free-melody] -o folder/

For each of ``--songs`` validation songs of ``--source`` (spread over the split), one PNG
with three panels on the same pitch axis and scale: the input, the output transferred to
``--target`` (the kept melody in red), and the first ``--bars`` bars of a real validation
piece of ``--target`` (of the train split when the source is the target, so never the input itself).
Also writes the outputs as MIDI and, with --wav, audio.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from stylegen.config import load_recipe
from stylegen.evaluation.pieces import recipe_pieces
from stylegen.transfer import load, write_midi


def draw(ax, score, bars: int, title: str, melody_track: int | None = None) -> None:
    steps = bars * 4 * score.resolution
    n = score.notes[score.notes[:, 0] < steps]
    for on, dur, pitch, _, track in n[:, :5]:
        red = melody_track is not None and track == melody_track
        ax.add_patch(_rect(on / score.resolution, pitch, min(dur, steps - on) / score.resolution,
                           "#c0392b" if red else "#2c3e50"))
    ax.set_xlim(0, bars * 4)
    ax.set_ylim(21, 108)
    ax.set_xticks(np.arange(0, bars * 4 + 1, 4))
    ax.set_xticklabels([str(b + 1) for b in range(bars + 1)])
    for c in range(24, 108, 12):
        ax.axhline(c, color="#ddd", lw=0.5, zorder=0)
    ax.set_yticks(range(24, 108, 12))
    ax.set_yticklabels([f"C{c // 12 - 1}" for c in range(24, 108, 12)])
    ax.set_title(title, fontsize=9, loc="left")


def _rect(x, pitch, w, color):
    from matplotlib.patches import Rectangle

    return Rectangle((x, pitch - 0.4), max(w, 0.05), 0.8, color=color, lw=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--recipe", default="recipes/pop2classical.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="key=value")
    ap.add_argument("--songs", type=int, default=3)
    ap.add_argument("--bars", type=int, default=16)
    ap.add_argument("--source", default="pop")
    ap.add_argument("--target", default="classical")
    ap.add_argument("--free-melody", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--wav", action="store_true")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    model = load(args.checkpoint)
    recipe = load_recipe(args.recipe, args.set)
    names, songs, _, _ = recipe_pieces(recipe, args.source, "val", 4, progress=False, limit=args.songs, spread=True)
    real_split = "train" if args.source == args.target else "val"  # never the input itself
    real_names, reals, _, _ = recipe_pieces(recipe, args.target, real_split, 4, progress=False, limit=args.songs,
                                            spread=True)
    for i, (name, song) in enumerate(zip(names, songs)):
        result = model.transfer_score(song, args.target, seed=args.seed, free_melody=args.free_melody)
        mel = next((k for k, t in enumerate(result.tracks) if t.is_melody), None)
        fig, axes = plt.subplots(3, 1, figsize=(12, 9), sharex=True)
        draw(axes[0], song, args.bars, f"input: {name} ({args.source})")
        draw(axes[1], result, args.bars, f"output: {args.target}" + ("" if args.free_melody else " (kept melody in red)"),
             mel)
        real = reals[i % len(reals)]
        draw(axes[2], real, args.bars, f"real {args.target}: {real_names[i % len(reals)]}")
        axes[2].set_xlabel("bar")
        fig.tight_layout()
        stem = name.replace("/", "_")
        fig.savefig(out / f"{stem}.png", dpi=80)
        plt.close(fig)
        midi = out / f"{stem}.{args.target}.mid"
        write_midi(result, midi)
        if args.wav:
            from stylegen.audio.render import render_score, write_audio

            r = render_score(result)
            write_audio(midi.with_suffix(".wav"), r.waveform, r.sample_rate)
        print(out / f"{stem}.png")


if __name__ == "__main__":
    main()
