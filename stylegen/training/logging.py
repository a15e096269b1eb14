"""TensorBoard logging for training: scalars, piano-roll images, audio, the recipe, hparams.

Only rank 0 writes.  Piano-rolls are drawn as RGB images (pitch up, time right): sustain
grey, onsets white, with the input on the left and each transfer beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import yaml


def roll_image(roll: torch.Tensor | np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """(C, T, P) roll (bools or probabilities) -> (3, P, T) float image in [0, 1], high pitches on top."""
    r = roll.detach().float().cpu().numpy() if isinstance(roll, torch.Tensor) else np.asarray(roll, dtype=np.float32)
    onset, sustain = r[0], r[1]  # (T, P)
    img = np.zeros((3, r.shape[2], r.shape[1]), dtype=np.float32)
    sus = np.clip(sustain, 0, 1).T[::-1]  # (P, T), row 0 = highest pitch
    on = np.clip(onset, 0, 1).T[::-1]
    img[0] = np.maximum(0.55 * sus, on)
    img[1] = np.maximum(0.55 * sus, on * 0.85)
    img[2] = np.maximum(0.65 * sus, on * 0.3)
    return img


def side_by_side(images: list[np.ndarray], gap: int = 2) -> np.ndarray:
    """Concatenate (3, H, W) images left to right with a thin blue separator."""
    h = images[0].shape[1]
    sep = np.zeros((3, h, gap), dtype=np.float32)
    sep[2] = 1.0
    parts = []
    for i, im in enumerate(images):
        if i:
            parts.append(sep)
        parts.append(im)
    return np.concatenate(parts, axis=2)


class TrainLogger:
    """A SummaryWriter that does nothing on ranks other than 0."""

    def __init__(self, log_dir: Path | None, purge_step: int | None = None):
        self.writer = None
        if log_dir is not None:
            from torch.utils.tensorboard import SummaryWriter  # heavy (tensorboard): only when logging

            self.writer = SummaryWriter(str(log_dir), purge_step=purge_step)

    def scalars(self, values: dict[str, float], step: int) -> None:
        if self.writer:
            for k, v in values.items():
                self.writer.add_scalar(k, v, step)

    def image(self, tag: str, img: np.ndarray, step: int) -> None:
        if self.writer:
            self.writer.add_image(tag, img, step, dataformats="CHW")

    def audio(self, tag: str, wave: torch.Tensor, step: int, sample_rate: int) -> None:
        if self.writer:
            self.writer.add_audio(tag, wave, step, sample_rate=sample_rate)

    def recipe(self, recipe_dict: dict) -> None:
        if self.writer:
            text = yaml.safe_dump(recipe_dict, sort_keys=False)
            self.writer.add_text("recipe", "```\n" + text + "\n```", 0)

    def hparams(self, hparams: dict, metrics: dict) -> None:
        if self.writer:
            clean = {k: v for k, v in hparams.items() if isinstance(v, (int, float, str, bool))}
            self.writer.add_hparams(clean, {f"hparam/{k}": v for k, v in metrics.items()}, run_name=".")

    def flush(self) -> None:
        if self.writer:
            self.writer.flush()

    def close(self) -> None:
        if self.writer:
            self.writer.close()
