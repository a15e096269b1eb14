"""Atomic file writing, shared by every writer in stylegen (MIDI, audio, checkpoints, caches).

    with atomic_path(path) as tmp:      # a fresh temp name beside `path`
        write_something(tmp)            # write it however you like
    # renamed over `path` on success; removed on any error, leaving what was there

    with atomic_path(path, overwrite=False) as tmp:   # never replaces an existing file
        ...                             # StylegenError "PATH already exists: use --force ..." at the end

The temp file is created with the usual permissions (0666 minus the umask), unlike
``tempfile.mkstemp``'s 0600, so outputs are readable like any other file.

Also the names and words that the CLI and the web page share about the files they write:

    style_slug("a=0.7,b=0.3") -> "a0.7-b0.3"     a style argument as a file-name part
    beats_text(294.00625) -> "294"               a length in beats as both of them print it
"""

from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from stylegen.errors import StylegenError


def exists_error(path: str | os.PathLike, others: int = 0) -> StylegenError:
    """The one message for an output that is already there (every command words it so),
    with ``others`` more outputs that are there too."""
    if others:
        return StylegenError(f"{path} and {others} other output{'s' if others > 1 else ''} already exist: "
                             "use --force to overwrite them")
    return StylegenError(f"{path} already exists: use --force to overwrite it")


def _place(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished temp file to ``path``; without ``overwrite``, only if nothing is
    there at that moment (a hard link fails on an existing name: no race between a check and
    the rename)."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise exists_error(path) from None
    except OSError:  # a filesystem without hard links: check, then rename
        if path.exists():
            raise exists_error(path) from None
        os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp", overwrite: bool = True) -> Iterator[Path]:
    """A temp name beside ``path`` to write to; renamed to ``path`` when the block ends
    without an error, removed in every case.  With ``overwrite=False`` an existing ``path``
    is a StylegenError (checked before the work and again, atomically, at the end)."""
    path = Path(path)
    if path.is_dir():
        raise StylegenError(f"{path}: is a directory")
    if not overwrite and path.exists():
        raise exists_error(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")
    open(tmp, "xb").close()  # claim the name; fails if it somehow exists
    try:
        yield tmp
        _place(tmp, path, overwrite)
    finally:
        tmp.unlink(missing_ok=True)


def style_slug(style: str) -> str:
    """A style argument as a file-name part: 'classical' -> 'classical', 'a=0.7,b=0.3' -> 'a0.7-b0.3'."""
    slug = re.sub(r"[=:]", "", style.strip())
    slug = re.sub(r"[^A-Za-z0-9.+-]+", "-", slug).strip("-.")
    return slug or "styled"


def beats_text(beats: float) -> str:
    """A length in beats as the CLI and the page print it: to the nearest 48th of a beat (a
    file's end of track a few ticks after a beat is that beat), at most two decimals.

    >>> beats_text(294.00625), beats_text(10.25), beats_text(32.0), beats_text(1 / 3)
    ('294', '10.25', '32', '0.33')
    """
    return f"{round(float(beats) * 48) / 48:.2f}".rstrip("0").rstrip(".")
