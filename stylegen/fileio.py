"""Atomic file writing, shared by every writer in stylegen (MIDI, checkpoints, caches).

    with atomic_path(path) as tmp:      # a fresh temp name beside `path`
        write_something(tmp)            # write it however you like
    # renamed over `path` on success; removed on any error, leaving what was there

The temp file is created with the usual permissions (0666 minus the umask), unlike
``tempfile.mkstemp``'s 0600, so outputs are readable like any other file.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")
    open(tmp, "xb").close()  # claim the name; fails if it somehow exists
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
