"""Training windows: bar-aligned N-bar windows, train-only transposition, style and piece ids."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from stylegen.data.dataset import Corpus, Piece, prepare, style_counts, window_index, window_starts, window_steps
from stylegen.data.roll import SUSTAIN_CH, RollSpec, notes_to_roll, roll_to_notes
from stylegen.data.windows import WindowDataset, collate_windows

SPEC = RollSpec(4, 36, 48)


def piece(notes, bars, length, style=0, split="train", key="p") -> Piece:
    n = np.array([tuple(r) + (80, 0) for r in notes], np.int32).reshape(-1, 5)
    return Piece(key=key, style=style, notes=n, bars=np.array(bars, np.int64), length=length, split=split)


def corpus(*pieces: Piece, styles=("x", "y")) -> Corpus:
    return Corpus(spec=SPEC, styles=list(styles), pieces=list(pieces), reports={}, cache_dir=None)


def test_window_steps():
    assert window_steps(4, 4) == 64 and window_steps(2, 12) == 96


def test_windows_start_on_bar_lines_with_a_hop_and_hold_onsets():
    # 8 bars of 16 steps; notes only in bars 0, 1 and 6
    p = piece([(0, 4, 60), (20, 4, 62), (100, 8, 64)], bars=range(0, 128, 16), length=128)
    assert window_starts(p, 32, 1).tolist() == [0, 16, 80, 96]  # 32..79: no onset inside
    assert window_starts(p, 32, 2).tolist() == [0, 96]  # every second bar line: 0, 32, 64, 96
    assert window_starts(p, 64, 1).tolist() == [0, 16, 48, 64, 80, 96]


def test_a_sustained_note_without_an_onset_makes_no_window():
    p = piece([(0, 64, 60)], bars=[0, 16, 32, 48], length=64)
    assert window_starts(p, 16, 1).tolist() == [0]


def test_windows_follow_three_four_bar_lines():
    p = piece([(s, 1, 60) for s in range(0, 48, 4)], bars=range(0, 48, 12), length=48)
    assert window_starts(p, 16, 1).tolist() == [0, 12, 24, 36]


def test_window_index_and_style_counts_per_split():
    c = corpus(piece([(0, 4, 60), (16, 4, 60)], [0, 16], 32, style=0, split="train"),
               piece([(0, 4, 60)], [0, 16], 32, style=1, split="train"),
               piece([(0, 4, 60)], [0], 16, style=1, split="val"))
    idx = window_index(c, "train", 16, 1)
    assert idx.tolist() == [[0, 0], [0, 16], [1, 0]] and idx.dtype == np.int64
    assert style_counts(c, idx) == [2, 1]
    assert window_index(c, "val", 16, 1).tolist() == [[2, 0]]
    assert window_index(c, "test", 16, 1).shape == (0, 2)
    with pytest.raises(ValueError):
        window_index(c, "dev", 16, 1)


def test_an_item_is_the_window_as_a_roll_with_its_ids():
    p0 = piece([(0, 4, 60), (12, 8, 64), (30, 4, 67)], [0, 16, 32], 48, style=1, key="k0")
    ds = WindowDataset(corpus(p0), "train", window_bars=1, hop_bars=1)
    assert len(ds) == 2 and ds.window == 16  # the bar at 32 holds no onset
    item = ds[1]
    assert set(item) == {"roll", "pos", "style", "piece", "start", "shift"}
    assert item["roll"].shape == (2, 16, 48) and item["roll"].dtype == torch.float32
    assert (item["style"], item["piece"], item["start"], item["shift"]) == (1, 0, 16, 0)
    assert item["pos"].dtype == torch.int64 and item["pos"].tolist() == list(range(16))  # steps since the bar line
    assert np.array_equal(item["roll"].numpy().astype(bool), notes_to_roll(p0.notes, SPEC, 16, 16))
    # the note held over the bar line sounds from step 0, the later one starts at 14
    assert sorted(map(tuple, roll_to_notes(item["roll"], SPEC)[:, :3].tolist())) == [(0, 4, 64), (14, 2, 67)]


def test_bar_positions_restart_at_the_pieces_own_bar_lines():
    # 3/4 bars (12 steps) under 4-beat windows: the position counts from each real bar line
    p0 = piece([(0, 4, 60), (12, 4, 62), (24, 4, 64), (36, 4, 65)], [0, 12, 24, 36], 48)
    ds = WindowDataset(corpus(p0), "train", window_bars=2, hop_bars=2)
    assert [ds[i]["start"] for i in range(len(ds))] == [0, 24]
    assert ds[0]["pos"].tolist() == list(range(12)) + list(range(12)) + list(range(8))
    assert ds[1]["pos"].tolist() == list(range(12)) + list(range(20))  # no bar line after the last one


def test_transposition_only_on_train_and_reproducible():
    pieces = [piece([(s, 4, 48 + (s // 4) % 12) for s in range(0, 64, 4)], [0, 16, 32, 48], 64, split=split,
                    key=f"{split}{i}") for split in ("train", "val", "test") for i in range(4)]
    c = corpus(*pieces)
    train = WindowDataset(c, "train", 1, 1, transpose=3, seed=7)
    shifts = [train[i]["shift"] for i in range(len(train))]
    assert set(shifts) <= set(range(-3, 4)) and len(set(shifts)) > 2
    assert shifts == [WindowDataset(c, "train", 1, 1, transpose=3, seed=7)[i]["shift"] for i in range(len(train))]
    train.set_epoch(1)
    assert [train[i]["shift"] for i in range(len(train))] != shifts
    for split in ("val", "test"):
        ds = WindowDataset(c, split, 1, 1, transpose=3, seed=7)
        assert ds.transpose == 0 and len(ds) == 16 and all(ds[i]["shift"] == 0 for i in range(len(ds)))


def test_a_transposed_window_is_the_shifted_roll():
    p0 = piece([(0, 4, 60), (4, 4, 62)], [0], 16)
    ds = WindowDataset(corpus(p0), "train", 1, 1, transpose=5, seed=0)
    for epoch in range(5):
        ds.set_epoch(epoch)
        item = ds[0]
        expected = notes_to_roll(p0.notes, SPEC, 0, 16, shift=item["shift"])
        assert np.array_equal(item["roll"].numpy().astype(bool), expected)


def test_transposition_keeps_every_note_in_range():
    # the roll holds 36..83: a window reaching 82 may go up by one at most, one at 37 down by one
    p0 = piece([(0, 4, 37), (4, 4, 82)], [0], 16)
    ds = WindowDataset(corpus(p0), "train", 1, 1, transpose=12)
    seen = set()
    for epoch in range(60):
        ds.set_epoch(epoch)
        item = ds[0]
        seen.add(item["shift"])
        assert item["roll"][SUSTAIN_CH].sum() == 8  # nothing fell out
    assert seen == {-1, 0, 1}


def test_collate_keeps_style_and_piece_ids():
    c = corpus(piece([(0, 4, 60)], [0], 16, style=0), piece([(0, 4, 62)], [0], 16, style=1),
               piece([(0, 4, 64)], [0], 16, style=1))
    ds = WindowDataset(c, "train", 1, 1)
    batch = collate_windows([ds[2], ds[0], ds[1]])
    assert batch["roll"].shape == (3, 2, 16, 48) and batch["roll"].dtype == torch.float32
    assert batch["style"].tolist() == [1, 0, 1] and batch["piece"].tolist() == [2, 0, 1]
    assert batch["start"].tolist() == [0, 0, 0] and batch["shift"].tolist() == [0, 0, 0]
    assert all(batch[k].dtype == torch.long for k in ("style", "piece", "start", "shift"))
    loader = DataLoader(ds, batch_size=2, collate_fn=collate_windows)
    assert [b["piece"].tolist() for b in loader] == [[0, 1], [2]]


def test_from_recipe_over_a_prepared_corpus(tiny_recipe):
    r = tiny_recipe()
    c = prepare(r)
    train, val = WindowDataset.from_recipe(c, r, "train"), WindowDataset.from_recipe(c, r, "val")
    assert (len(train), len(val)) == (48, 16)
    assert train.style_counts() == [24, 24] and val.style_counts() == [8, 8]
    assert train.transpose == 2 and val.transpose == 0
    assert train[0]["roll"].shape == (2, window_steps(r), 48)
    assert {c.pieces[train[i]["piece"]].split for i in range(len(train))} == {"train"}
    for i in range(len(val)):
        item = val[i]
        assert c.styles[item["style"]] == ("a" if "/a/" in c.pieces[item["piece"]].key else "b")
