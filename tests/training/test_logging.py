"""stylegen/training/logging.py: roll images and a TensorBoard writer that only rank 0 has."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from stylegen.training.logging import TrainLogger, roll_image, side_by_side


def test_roll_image_puts_high_pitches_on_top_and_onsets_brightest():
    roll = np.zeros((2, 6, 4), np.float32)  # (C, T, P)
    roll[1, 0:3, 3] = 1  # the highest pitch sustained for steps 0-2
    roll[0, 0, 3] = 1  # with an onset at step 0
    roll[1, 4, 0] = 1  # the lowest pitch, sustain only, at step 4
    img = roll_image(roll)
    assert img.shape == (3, 4, 6) and img.dtype == np.float32  # (RGB, P, T)
    assert img[:, 0, 0].tolist() == pytest.approx([1.0, 0.85, 0.65])  # top row = highest pitch; onset white-ish
    assert img[:, 0, 1].tolist() == pytest.approx([0.55, 0.55, 0.65])  # sustain grey
    assert np.array_equal(img[:, 3, 4], img[:, 0, 1])  # bottom row = lowest pitch
    assert not img[:, 1:3].any() and not img[:, :, 5].any()  # silence is black
    assert np.array_equal(roll_image(torch.from_numpy(roll)), img)  # tensors the same
    assert 0.0 <= img.min() and img.max() <= 1.0


def test_side_by_side_separates_images_with_a_blue_gap():
    a, b = np.ones((3, 4, 5), np.float32), np.zeros((3, 4, 2), np.float32)
    out = side_by_side([a, b], gap=3)
    assert out.shape == (3, 4, 10)
    assert (out[:, :, :5] == 1).all() and (out[:, :, 8:] == 0).all()
    assert (out[2, :, 5:8] == 1).all() and (out[:2, :, 5:8] == 0).all()


def test_the_logger_writes_what_tensorboard_reads_back(tmp_path):
    log = TrainLogger(tmp_path / "tb")
    log.scalars({"loss/G": 1.5, "loss/D": 0.25}, step=3)
    log.scalars({"loss/G": 1.0}, step=4)
    log.image("rolls", roll_image(np.ones((2, 4, 3), np.float32)), step=3)
    log.audio("audio/x", torch.zeros(1, 800), step=3, sample_rate=8000)
    log.recipe({"name": "tiny", "seed": 0})
    log.close()
    ea = EventAccumulator(str(tmp_path / "tb"), size_guidance={"scalars": 0, "images": 0, "audio": 0, "tensors": 0})
    ea.Reload()
    assert [(e.step, e.value) for e in ea.Scalars("loss/G")] == [(3, 1.5), (4, 1.0)]
    assert [(e.step, e.value) for e in ea.Scalars("loss/D")] == [(3, 0.25)]
    (img,) = ea.Images("rolls")
    assert (img.step, img.width, img.height) == (3, 4, 3)
    (clip,) = ea.Audio("audio/x")
    assert (clip.step, clip.sample_rate) == (3, 8000)
    assert "recipe/text_summary" in ea.Tags()["tensors"]


def test_other_ranks_write_nothing(tmp_path):
    log = TrainLogger(None)  # what ranks other than 0 get
    log.scalars({"x": 1.0}, 0)
    log.image("i", np.zeros((3, 2, 2), np.float32), 0)
    log.audio("a", torch.zeros(1, 10), 0, 8000)
    log.recipe({})
    log.hparams({"lr": 0.1}, {"x": 1.0})
    log.flush()
    log.close()
    assert log.writer is None and list(tmp_path.iterdir()) == []
