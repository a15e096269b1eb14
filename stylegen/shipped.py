"""Where the shipped checkpoints are, in a source checkout and in an installed wheel.

    shipped_path("pop2classical.pt") -> Path

A source checkout (and ``pip install -e .``) keeps them in ``checkpoints/`` at the project
root.  A wheel (``pip install .``) carries the same files inside the package as
``stylegen/_checkpoints/``: ``setup.py`` copies every ``checkpoints/*.pt`` there when it
builds one, by file name, so a retrained file of the same name ships without other changes.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
INSTALLED = "_checkpoints"  # the folder inside the package that a wheel carries


def shipped_path(name: str, package: Path = PACKAGE) -> Path:
    """The shipped file ``name`` (e.g. ``"pop2classical.pt"``): inside the installed package
    when it is there, else ``checkpoints/NAME`` beside the package (the path that error
    messages name when neither exists)."""
    inside = package / INSTALLED / name
    if inside.is_file():
        return inside
    return package.parent / "checkpoints" / name
