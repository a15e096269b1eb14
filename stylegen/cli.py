"""The ``stylegen`` command: a thin layer over the library.

Each subcommand is a module under ``stylegen/commands/`` with ``add_arguments(parser)``
(its options, on the subparser the CLI makes) and ``run(args) -> int``; it is listed once
in ``COMMANDS``, with its one-line help in ``HELP``.  Only the module of the command being
run is imported (``stylegen --help`` imports none: the list comes from ``HELP``).  A
:class:`StylegenError` (bad input) is printed as one line and exits with status 2; nothing
else is caught.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from stylegen import __version__
from stylegen.errors import StylegenError

# name -> module under stylegen.commands; build_parser imports only the one being run
COMMANDS = {
    "data": "stylegen.commands.data",
    "train": "stylegen.commands.train",
    "transfer": "stylegen.commands.transfer",
    "generate": "stylegen.commands.generate",
    "harmony": "stylegen.commands.harmony",
    "adapt": "stylegen.commands.adapt",
    "export": "stylegen.commands.export",
    "classifier": "stylegen.commands.classifier",
    "evaluate": "stylegen.commands.evaluate",
    "render": "stylegen.commands.render",
    "serve": "stylegen.commands.serve",
}

HELP = {
    "data": "read a recipe's data: count files, skip reasons, splits and windows; fill the cache",
    "train": "train the style-conditioned LSTM-GAN of a recipe (TensorBoard logs and checkpoints under runs/)",
    "transfer": "re-write a MIDI file or a folder of them in a style (song.mid -> song.classical.mid)",
    "generate": "compose in a style from scratch, or continue a primer",
    "harmony": "train the harmony model of a recipe (or copy one) into an existing generator checkpoint",
    "adapt": "add a style to a trained model from a folder of MIDI files, in minutes (only its new rows train)",
    "export": "write an inference-only release checkpoint from a training checkpoint",
    "classifier": "train the style classifier that judges transfer strength (on real pieces only)",
    "evaluate": "score transfers: style strength, content preservation, musicality; report.md/.json, plots, TensorBoard",
    "render": "render a MIDI file to loudness-normalised WAV/FLAC (a soundfont if installed, else a built-in synth)",
    "serve": "a local web page: upload a piece, pick a style, listen, see the rolls, download (extra: web)",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that command's module is imported and only its
    subparser gets its options (the others are listed with their help line).  None: every
    command's options (for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="stylegen",
        description="Re-write music in another style and compose in a chosen style (LSTM-GAN over piano-rolls).",
    )
    parser.add_argument("--version", action="version", version=f"stylegen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=HELP.get(name), description=HELP.get(name))
        if command is None or name == command:
            mod = importlib.import_module(module)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    return parser


def command_of(argv: list[str]) -> str:
    """The subcommand named in ``argv`` ("" when none): its first word that is not an option
    (the top level has only options without values: --help, --version)."""
    return next((a for a in argv if not a.startswith("-")), "")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(argv))
    args, extra = parser.parse_known_args(argv)
    # key=value overrides may follow an option (`stylegen data R.yaml --quiet seed=1`):
    # argparse stops filling a nargs="*" positional at the first option
    if extra and isinstance(getattr(args, "overrides", None), list) and not any(a.startswith("-") for a in extra):
        args.overrides += extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except StylegenError as e:
        print(f"stylegen {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"stylegen {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
