"""Shared fixtures.

Every test runs with ``STYLEGEN_CACHE`` pointing into its own temporary folder, so no test
ever reads or writes the user's real cache (~/.cache/stylegen).  ``tiny_corpus`` writes a
small two-style corpus for ``tests/recipes/tiny.yaml`` (MIDI built in code, never committed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.midifiles import Track, chord_piece, scale_piece, write_midi

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
TINY = REPO / "tests" / "recipes" / "tiny.yaml"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("STYLEGEN_CACHE", str(tmp_path_factory.mktemp("stylegen-cache")))


def write_tiny_corpus(root: Path, n: int = 4) -> Path:
    """Style ``a``: n pieces of 8 bars in 4/4, a named melody over whole-bar chords.
    Style ``b``: n pieces of 8 bars in 3/4, one unnamed track.  Returns ``root``."""
    for i in range(n):
        write_midi(root / "a" / f"a{i}.mid",
                   [Track(scale_piece(8, 60 + i), name="Melody"), Track(chord_piece(8, 48 + i), name="Piano")])
        write_midi(root / "b" / "sub" / f"b{i}.mid", [Track(scale_piece(6, 55 + i, beats_per_bar=4))],
                   time_signature=(3, 4), tempo_bpm=90)
    return root


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    """A two-style corpus for tests/recipes/tiny.yaml under tmp_path/data (4 good pieces a style)."""
    return write_tiny_corpus(tmp_path / "data")


@pytest.fixture
def tiny_recipe(tiny_corpus, tmp_path):
    """Load tests/recipes/tiny.yaml over ``tiny_corpus`` with its cache in tmp_path/cache."""
    from stylegen.config import load_recipe

    def load(*overrides: str):
        return load_recipe(TINY, [f"data_root={tiny_corpus}", f"data.cache_dir={tmp_path / 'cache'}", *overrides])

    return load


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models on a 2-core machine: one torch thread (a second only adds synchronisation,
    up to 40x slower when anything else runs); the caller's setting is restored."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
