"""Build tiny generator checkpoints in code for the transfer and generate tests.

    write_tiny_checkpoint(path, lively=True) -> Path

The layout is the one training writes (kind "gan", recipe, spec, styles, models,
model_config, step, metrics), with a small randomly initialised LSTMGenerator: no
training is needed to test the plumbing.  ``lively=True`` strengthens the generator's head so
that its output depends on the style and the noise (a freshly initialised generator
copies its input almost exactly).
"""

from __future__ import annotations

from pathlib import Path

import torch

from stylegen.checkpoint import save_checkpoint
from stylegen.config import recipe_from_dict
from stylegen.data.roll import RollSpec
from stylegen.models.generator import LSTMGenerator

STYLES = ("pop", "classical")
SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)  # pitches 36..83
GENERATOR = dict(hidden_size=16, num_layers=1, style_dim=4, noise_dim=4, content_dim=16, dropout=0.0)


def tiny_generator(lively: bool = True, seed: int = 0) -> LSTMGenerator:
    torch.manual_seed(seed)
    g = LSTMGenerator(n_pitches=SPEC.n_pitches, n_styles=len(STYLES), n_channels=SPEC.n_channels, **GENERATOR)
    if lively:
        with torch.no_grad():
            # most input notes survive, some are added or dropped, and the noise and the
            # style change the output (8 bars of melody and chords: ~80 notes out of 56)
            torch.nn.init.normal_(g.head.weight, std=0.5)
            torch.nn.init.normal_(g.film.weight, std=1.0)
            g.head.bias.fill_(-3.5)
    return g.eval()


def write_tiny_checkpoint(path: str | Path, lively: bool = True, seed: int = 0) -> Path:
    recipe = recipe_from_dict({
        "name": "tiny-transfer",
        "styles": {s: {"sources": [{"path": s}]} for s in STYLES},
        "roll": {"resolution": SPEC.resolution, "lowest_pitch": SPEC.lowest_pitch, "n_pitches": SPEC.n_pitches},
        "model": {"generator": dict(GENERATOR)},
    })
    g = tiny_generator(lively, seed)
    return save_checkpoint(path, {
        "kind": "gan",
        "recipe": recipe.to_dict(),
        "spec": SPEC.to_dict(),
        "styles": list(STYLES),
        "models": {"generator": g.state_dict()},
        "model_config": {"generator": {"name": "lstm", "n_pitches": SPEC.n_pitches, "n_styles": len(STYLES),
                                       "n_channels": SPEC.n_channels, **GENERATOR}},
        "step": 0,
        "metrics": {},
    })
