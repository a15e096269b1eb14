"""Harmony plans (inference/harmony.py): forms, repeated sections, primers, bare melodies."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegen.data.content import ContentSpec, bar_positions, content_features, regular_bars
from stylegen.data.roll import RollSpec, notes_to_roll
from stylegen.data.score import Score, TrackInfo
from stylegen.errors import StylegenError
from stylegen.inference.harmony import (
    content_blocks, default_form, form_text, is_bare_melody, plan_accompaniment, plan_composition, polyphony,
    resolve_form,
)
from stylegen.models.harmony import HarmonyLSTM, meter_dim

CSPEC = ContentSpec(block=16, bar_steps=16, chroma=True, bass=False, binary=True)
SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)


def tiny(cspec=CSPEC, seed=0):
    torch.manual_seed(seed)
    return HarmonyLSTM(n_styles=2, meter_dim=meter_dim(cspec.block, cspec.bar_steps), bass=cspec.bass,
                       hidden_size=12, style_dim=3, nade_size=6, dropout=0.0).eval()


def regular(bars, bar=16):
    T = bars * bar
    return bar_positions(T, regular_bars(T, bar))


# --------------------------------------------------------------------------- forms


@pytest.mark.parametrize("bars, form", [(4, "A"), (8, "AB"), (12, "ABA"), (16, "AABA"), (32, "AABA"),
                                        (24, "ABA"), (64, "AABAAABA")])
def test_default_forms(bars, form):
    assert default_form(bars) == form
    sections = resolve_form(None, bars)
    assert form_text(sections) == form and sum(s.bars for s in sections) == bars


def test_sections_cover_the_bars_and_the_last_takes_the_rest():
    s = resolve_form("aaba", 34)
    assert [(x.letter, x.first_bar, x.bars) for x in s] == [("A", 0, 8), ("A", 8, 8), ("B", 16, 8), ("A", 24, 10)]


@pytest.mark.parametrize("form, needle", [("A1B", "must be letters"), ("", "must be letters"),
                                          ("AABAAB", "only 4 bars"), ("A" * 65, "at most 64")])
def test_bad_forms_are_one_clear_error(form, needle):
    with pytest.raises(StylegenError, match=needle):
        resolve_form(form, 64 if len(form) > 64 else 4)


# --------------------------------------------------------------------------- composition


def test_a_repeated_letter_repeats_its_harmony_exactly():
    H = tiny()
    pos = regular(32)
    sections = resolve_form("AABA", 32)
    strict = plan_composition(H, CSPEC, pos, torch.tensor([0]), 4, sections=sections, final_cadence=False,
                              generator=torch.Generator().manual_seed(1))
    a1, a2, b, a3 = (strict.sets[lo:lo + n] for _, lo, n in strict.sections)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(a1, a3)
    assert not np.array_equal(a1, b)  # a new letter is new material
    # by default the piece's last bar is planned as an ending: the last A is the first but for it
    cadences = [plan_composition(H, CSPEC, pos, torch.tensor([0]), 4, sections=sections,
                                 generator=torch.Generator().manual_seed(seed)) for seed in range(1, 6)]
    for plan in cadences:
        assert plan.sets.shape == (32, 12) and [s[0] for s in plan.sections] == list("AABA")
        a1, a2, b, a3 = (plan.sets[lo:lo + n] for _, lo, n in plan.sections)
        np.testing.assert_array_equal(a1, a2)
        np.testing.assert_array_equal(a1[:-1], a3[:-1])
    assert any(not np.array_equal(p.sets[7], p.sets[31]) for p in cadences)  # the last bar drawn anew
    plan = cadences[0]
    assert (plan.sets.sum(1) > 0).all()  # no silent block
    content = plan.content(pos, CSPEC).numpy()
    assert content.shape == (32 * 16, CSPEC.dim)
    assert (content[:, 12] == 0).all()  # the harmony is given, not withheld
    # the plan is heard by the generator as content: a bar's steps all carry its block's set
    np.testing.assert_array_equal(content[16 * 9:16 * 10, :12], np.repeat(plan.sets[9:10], 16, 0))


def test_plans_are_reproducible_and_differ_by_seed():
    H = tiny()
    pos = regular(16)
    s = resolve_form(None, 16)
    p1 = plan_composition(H, CSPEC, pos, torch.tensor([1]), 4, sections=s, generator=torch.Generator().manual_seed(3))
    p2 = plan_composition(H, CSPEC, pos, torch.tensor([1]), 4, sections=s, generator=torch.Generator().manual_seed(3))
    p3 = plan_composition(H, CSPEC, pos, torch.tensor([1]), 4, sections=s, generator=torch.Generator().manual_seed(4))
    np.testing.assert_array_equal(p1.sets, p2.sets)
    assert not np.array_equal(p1.sets, p3.sets)


def test_a_primer_is_heard_and_continued():
    H = tiny(ContentSpec(block=8, bar_steps=16, chroma=True, bass=True, binary=True))
    cspec = ContentSpec(block=8, bar_steps=16, chroma=True, bass=True, binary=True)
    start, bars = 32, 4  # two bars of primer, four new
    pos = regular(2 + bars)
    notes = np.array([[0, 16, 48, 80, 0], [0, 16, 52, 80, 0], [0, 16, 55, 80, 0],  # C major, a bar
                      [16, 16, 45, 80, 0], [16, 16, 48, 80, 0], [16, 16, 52, 80, 0]], np.int32)  # A minor
    heard = torch.from_numpy(notes_to_roll(notes, SPEC, 0, start)).float()
    primer_content = content_features(heard, torch.from_numpy(pos[:start]), SPEC, cspec)
    plan = plan_composition(H, cspec, pos, torch.tensor([0]), 4, sections=resolve_form("AB", bars), new_from=start,
                            primer_content=primer_content, generator=torch.Generator().manual_seed(0))
    assert plan.first_block == 4 and plan.sets.shape == (12, 12)
    want, want_bass = content_blocks(primer_content, pos[:start], cspec)
    np.testing.assert_array_equal(plan.sets[:4], want)
    assert plan.sets[0].nonzero()[0].tolist() == [0, 4, 7] and plan.bass[0] == 0 and plan.bass[2] == 9
    assert plan.sections[0][1] == 4 and (plan.sets[4:].sum(1) > 0).all()


def test_accompaniment_plans_every_block_of_the_melody():
    H = tiny()
    pos = regular(6)
    melody = np.array([[16 * b + 4 * i, 4, 60 + 2 * i, 90, 0] for b in range(1, 5) for i in range(4)], np.int32)
    plan = plan_accompaniment(H, CSPEC, pos, torch.tensor([1]), 4, melody, generator=torch.Generator().manual_seed(0))
    assert plan.sets.shape == (6, 12)
    assert (plan.sets[1:5].sum(1) > 0).all()  # from the melody's first bar to its last: never silent


# --------------------------------------------------------------------------- bare melodies


def score(notes, tracks=1, resolution=4):
    return Score(resolution=resolution, notes=np.array(notes, np.int32).reshape(-1, 5),
                 tracks=[TrackInfo(f"t{i}", 0) for i in range(tracks)], length=64)


def test_a_single_line_is_a_bare_melody():
    line = [[4 * i, 4, 60 + (i % 5), 90, 0] for i in range(16)]
    assert polyphony(score(line)) == 0 and is_bare_melody(score(line))
    legato = [[4 * i, 5, 60 + (i % 5), 90, 0] for i in range(16)]  # each note overlaps the next by a 16th
    assert is_bare_melody(score(legato))
    on_480 = [[480 * i, 470, 60 + (i % 5), 90, 0] for i in range(16)]  # a file's own grid
    assert is_bare_melody(score(on_480, resolution=480))


def test_a_piano_piece_or_a_melody_with_chords_is_not():
    piano = [[16 * b, 16, p, 80, 0] for b in range(4) for p in (48, 52, 55)] + \
            [[4 * i, 4, 72 + (i % 3), 90, 0] for i in range(16)]
    assert not is_bare_melody(score(piano))
    two_tracks = [[4 * i, 4, 72, 90, 0] for i in range(16)] + [[4 * i, 4, 48, 90, 1] for i in range(16)]
    assert not is_bare_melody(score(two_tracks, 2))
    assert not is_bare_melody(score([[0, 4, 60, 90, 0], [4, 4, 62, 90, 0]]))  # too few notes to tell
