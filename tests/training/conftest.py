"""A tiny two-style corpus written in code, and a small-model recipe over it."""

from __future__ import annotations

from pathlib import Path

import pytest

from stylegen.config import load_recipe
from tests.midifiles import Track, write_midi

ROOT = Path(__file__).resolve().parents[2]

SMALL_MODEL = [
    "model.generator.hidden_size=16", "model.generator.frame_dim=8", "model.generator.num_layers=1",
    "model.generator.style_dim=4", "model.generator.codes=8", "model.generator.code_dim=4",
    "model.generator.prior_size=8", "model.generator.channels=2", "model.generator.reach=12", "model.discriminator.channels=4",
    "schedule.batch_size=4", "schedule.eval_windows=4", "schedule.rollout_steps=8",
    "logging.progress=false", "logging.audio=false",
]


def write_tiny_corpus(root: Path) -> Path:
    """Style a: scalar melodies in quarter notes; style b: sustained chords. 4 pieces each."""
    for i in range(4):
        notes = [(float(b), 1.0, 60 + (b * (i + 2)) % 12, 80) for b in range(32)]
        write_midi(root / "a" / f"a{i}.mid", [Track(notes, name="Melody")])
        chords = [(bar * 4.0, 4.0, 48 + (bar * (i + 1)) % 7 + iv, 70) for bar in range(8) for iv in (0, 4, 7)]
        write_midi(root / "b" / f"b{i}.mid", [Track(chords, name="Piano")])
    return root


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    return write_tiny_corpus(tmp_path_factory.mktemp("tiny-data"))


@pytest.fixture
def tiny_recipe(tiny_root, tmp_path):
    def make(*overrides: str):
        return load_recipe(ROOT / "tests" / "recipes" / "tiny.yaml", [
            f"data_root={tiny_root}", f"data.cache_dir={tmp_path / 'cache'}", f"logging.dir={tmp_path / 'runs'}",
            *SMALL_MODEL, *overrides,
        ])
    return make
