"""``stylegen export RUN_CHECKPOINT [-o runs/NAME.pt]``: an inference-only release checkpoint.

Keeps the generator's weights (float16 with ``--half``), its config, the roll spec, styles,
recipe, step and metrics, and the discriminator (``stylegen adapt`` trains against it when it
adds a style); drops the optimisers and RNG states.
``stylegen transfer --checkpoint`` and ``stylegen.load`` read it; training cannot resume it.
The default output, ``runs/<recipe name>.pt``, lies in a folder git ignores (a checkout's
``checkpoints/`` holds only the shipped models: write there only to replace one).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stylegen.errors import StylegenError
from stylegen.fileio import exists_error


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="a training checkpoint, e.g. runs/pop2classical/RUN/checkpoints/best.pt")
    p.add_argument("-o", "--output", default=None, metavar="PATH",
                   help="where to write it (default: runs/<recipe name>.pt, beside the runs)")
    p.add_argument("--half", action="store_true", help="store the weights as float16 (half the size)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output")


def run(args: argparse.Namespace) -> int:
    from stylegen.checkpoint import export_inference, load_checkpoint  # torch: only when run

    src = Path(args.checkpoint)
    # the input first (read and checked as a training checkpoint), then the output
    name = (load_checkpoint(src, kind="gan").get("recipe") or {}).get("name") or src.stem
    out = Path(args.output) if args.output is not None else Path("runs") / f"{name}.pt"
    if out.exists() and out.resolve() == src.resolve():
        raise StylegenError(f"{out}: the output would replace the checkpoint it is exported from")
    if out.exists() and not args.force:
        raise exists_error(out)
    export_inference(src, out, half=args.half)
    size_in, size_out = src.stat().st_size, out.stat().st_size
    print(f"wrote {out}: {size_out / 1e6:.1f} MB ({size_out / size_in:.0%} of {src}), "
          f"{'float16' if args.half else 'float32'} weights")
    return 0
