"""Build tiny generator checkpoints in code for the transfer and generate tests.

    write_tiny_checkpoint(path, lively=True) -> Path

The layout is the one the trainer writes (``training/loop.py``: kind "gan", recipe, spec,
content, styles, models {generator, discriminator}, model_config built by the trainer's own
``model_configs``, step, metrics), with a small randomly initialised planned generator (its codebook zeros: every bar
gets code 0 when a piece is heard): no training is needed to test the plumbing.
``lively=True`` makes the style matter (random FiLM, per-style output biases, a stronger
head and plan prior; a fresh generator starts with the style switched off), so guidance
and style change the output.
"""

from __future__ import annotations

from pathlib import Path

import torch

from stylegen.checkpoint import save_checkpoint
from stylegen.config import recipe_from_dict
from stylegen.data.roll import RollSpec
from stylegen.models.registry import build_from_config
from stylegen.training.loop import KIND, content_spec, model_configs

STYLES = ("pop", "classical")
SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)  # pitches 36..83
GENERATOR = dict(name="planned", hidden_size=16, num_layers=1, style_dim=4, frame_dim=16, codes=4, code_dim=4,
                 prior_size=8, channels=2, reach=12, max_notes=6, dropout=0.0)
DISCRIMINATOR = dict(channels=4)


def tiny_recipe():
    return recipe_from_dict({
        "name": "tiny-transfer",
        "styles": {s: {"sources": [{"path": s}]} for s in STYLES},
        "roll": {"resolution": SPEC.resolution, "lowest_pitch": SPEC.lowest_pitch, "n_pitches": SPEC.n_pitches},
        "model": {"generator": dict(GENERATOR), "discriminator": dict(DISCRIMINATOR)},
    })


def tiny_models(lively: bool = True, seed: int = 0):
    recipe = tiny_recipe()
    configs = model_configs(recipe, SPEC, len(STYLES))
    torch.manual_seed(seed)
    g = build_from_config(configs["generator"], "generator")
    d = build_from_config(configs["discriminator"], "discriminator")
    if lively:
        with torch.no_grad():
            for film in g.films:
                torch.nn.init.normal_(film.weight, std=1.0)
            torch.nn.init.normal_(g.style_bias.weight, std=1.0)
            torch.nn.init.normal_(g.head.weight, std=0.3)
            torch.nn.init.normal_(g.prior.out.weight, std=1.0)
            torch.nn.init.normal_(g.prior.style.weight, std=1.0)
    return recipe, configs, g.eval(), d


def write_tiny_checkpoint(path: str | Path, lively: bool = True, seed: int = 0) -> Path:
    recipe, configs, g, d = tiny_models(lively, seed)
    return save_checkpoint(path, {
        "kind": KIND,
        "recipe": recipe.to_dict(),
        "spec": SPEC.to_dict(),
        "content": content_spec(recipe).to_dict(),
        "styles": list(STYLES),
        "models": {"generator": g.state_dict(), "discriminator": d.state_dict()},
        "model_config": configs,
        "step": 0,
        "metrics": {},
    })
