"""Data sources: a recipe's folders, globs and muspy datasets -> a list of items per style.

An :class:`Item` is one piece to read: a MIDI file, or one entry of a local muspy dataset.
Listing is cheap (no file is parsed here); reading happens in ``dataset.py``'s workers.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from stylegen.config import Recipe, SourceConfig
from stylegen.data.midi import item_file, list_midi_files, muspy_dataset_items
from stylegen.errors import StylegenError

@dataclass(frozen=True)
class Item:
    style: str
    path: str  # the file (absolute); for muspy items, the file behind the item
    ref: str | tuple | None = None  # muspy dataset item reference (None for plain files)
    dataset: tuple[str, str] | None = None  # (muspy class name, root) for muspy items

    @property
    def key(self) -> str:
        """A stable identity for splitting and caching."""
        return self.path if self.ref is None or not isinstance(self.ref, tuple) else f"{self.path}#{self.ref[1:]}"

    def stat(self) -> tuple[str, int, int]:
        try:
            st = os.stat(self.path)
            return (self.key, st.st_size, st.st_mtime_ns)
        except OSError:
            return (self.key, -1, -1)

    def fingerprint(self, root: str) -> tuple[str, int, str]:
        """What the data cache is keyed on: the item's name under the data folder ``root``
        (its key where it lies outside), its file's size and a hash of the file's bytes.
        Not where the folder lies, nor when the file was copied: two clones with their own
        copies of the data share a cache; any change of content reads the style again.
        (Hashing the 2,511 files of pop2classical, 26 MB, takes about 0.1 s.)"""
        name = self.key[len(root):].lstrip("/") if self.key.startswith(root) else self.key
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return (name, -1, "")
        return (name, len(data), hashlib.blake2b(data, digest_size=16).hexdigest())


def list_source(recipe: Recipe, style: str, source: SourceConfig) -> list[Item]:
    """The items one source provides, sorted by path.

    Paths are resolved (``..`` and symbolic links taken out), so the same files reached by
    two spellings (``work/../shared/data``, ``stylegen/../shared/data``) are the same items,
    with the same cache key and split."""
    if source.path is not None:
        p = recipe.resolve(source.path)
        if p.is_file():
            return [Item(style, str(p.resolve()))]
        if p.is_dir():
            return [Item(style, str(f)) for f in list_midi_files(p.resolve())]
        raise StylegenError(f"{recipe.source_file}: styles.{style}: no such file or folder: {p}")
    if source.glob is not None:
        pattern = str(recipe.resolve(source.glob))
        files = sorted({Path(f).resolve() for f in globlib.glob(pattern, recursive=True)})
        return [Item(style, str(f)) for f in files if f.is_file()]
    root = recipe.resolve(source.root).resolve()
    refs = muspy_dataset_items(source.muspy, root)
    out = []
    for ref in refs:
        ref = tuple(str(x) if isinstance(x, Path) else x for x in ref) if isinstance(ref, (tuple, list)) else str(ref)
        out.append(Item(style, str(item_file(ref).resolve()), ref=ref, dataset=(source.muspy, str(root))))
    return out


def list_style(recipe: Recipe, style: str) -> list[Item]:
    """All items of a style, each once (a file named by two sources counts once)."""
    seen: set[str] = set()
    items: list[Item] = []
    for i, source in enumerate(recipe.styles[style].sources):
        try:
            listed = list_source(recipe, style, source)
        except StylegenError as e:
            if source.muspy is None:
                raise
            raise StylegenError(f"{recipe.source_file}: styles.{style}.sources[{i}]: {e}") from None
        for item in listed:
            if item.key not in seen:
                seen.add(item.key)
                items.append(item)
    return items
