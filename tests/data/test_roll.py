"""The piano-roll: exact round trip on the grid, pitch range, windows, transposition, decoding."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegen.data.midi import read_score, score_to_music
from stylegen.data.score import Score, TrackInfo
from stylegen.data.roll import (
    DURATION, ONSET, ONSET_CH, PITCH, SUSTAIN_CH, VELOCITY, RollSpec, in_range, notes_to_roll,
    roll_to_notes, roll_to_score, score_to_roll, transfer_velocities,
)
from tests.data.helpers import music_to_roll, roll_to_music
from tests.midifiles import Track, write_midi

SPEC = RollSpec(resolution=4, lowest_pitch=36, n_pitches=48)  # pitches 36..83


def notes(*rows) -> np.ndarray:
    """(onset, duration, pitch[, velocity[, track]]) rows -> (N, 5) int32."""
    full = [tuple(r) + (80, 0)[len(r) - 3:] for r in rows]
    return np.array(full, dtype=np.int32).reshape(-1, 5)


def triples(n: np.ndarray) -> list[tuple[int, int, int]]:
    return sorted((int(r[ONSET]), int(r[DURATION]), int(r[PITCH])) for r in n)


def test_spec_defaults_and_serialisation():
    spec = RollSpec()
    assert (spec.resolution, spec.lowest_pitch, spec.n_pitches, spec.highest_pitch) == (4, 24, 84, 107)
    assert spec.channels == ("onset", "sustain") and spec.n_channels == 2 and spec.steps_per_bar() == 16
    assert RollSpec.from_dict(SPEC.to_dict()) == SPEC
    assert SPEC.to_dict() == {"resolution": 4, "lowest_pitch": 36, "n_pitches": 48, "channels": ["onset", "sustain"]}


def test_channels_onset_and_sustain():
    roll = notes_to_roll(notes((0, 3, 60), (3, 1, 60), (1, 2, 40)), SPEC, length=5)
    assert roll.shape == (2, 5, 48) and roll.dtype == bool
    p60, p40 = 60 - 36, 40 - 36
    assert roll[ONSET_CH, :, p60].tolist() == [True, False, False, True, False]
    assert roll[SUSTAIN_CH, :, p60].tolist() == [True, True, True, True, False]
    assert roll[ONSET_CH, :, p40].tolist() == [False, True, False, False, False]
    assert roll[SUSTAIN_CH, :, p40].tolist() == [False, True, True, False, False]
    assert roll.sum() == 3 + 6  # three onsets, six sustained steps, nothing else


def test_round_trip_is_exact_on_the_grid_repeated_notes_included():
    n = notes(
        (0, 4, 60), (4, 4, 60), (8, 1, 60), (9, 1, 60), (10, 1, 60),  # the same pitch, back to back
        (0, 16, 48), (0, 16, 52), (0, 16, 55),  # a chord
        (3, 2, 36), (5, 7, 83),  # the lowest and highest pitch of the roll
        (15, 1, 70),  # ends exactly at the end of the roll
    )
    roll = notes_to_roll(n, SPEC)
    assert roll.shape == (2, 16, 48)
    assert triples(roll_to_notes(roll, SPEC)) == triples(n)


def test_a_plain_binary_roll_would_merge_repeated_notes():
    # what the onset channel is for: without it, two repeated quarter notes decode as one half note
    roll = notes_to_roll(notes((0, 4, 60), (4, 4, 60)), SPEC)
    roll[ONSET_CH] = False
    assert triples(roll_to_notes(roll, SPEC)) == [(0, 8, 60)]


def test_round_trip_through_a_midi_file(tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track([(0, 1, 60, 90), (1, 1, 60, 70), (2, 0.25, 60, 50), (2.25, 0.25, 60, 40),
                                               (0, 4, 48, 60), (3, 1, 67, 100)])])
    s = read_score(p, 4)
    out = roll_to_score(score_to_roll(s, SPEC), SPEC, template=s)
    assert triples(out.notes) == triples(s.notes)
    assert out.notes[:, VELOCITY].tolist() == s.notes[:, VELOCITY].tolist()  # velocities come from the template


def test_overlapping_notes_of_one_pitch_end_at_the_next_onset():
    # documented decoding rule: a note lasts until sustain stops or the next onset of its pitch
    roll = notes_to_roll(notes((0, 8, 60), (4, 2, 60)), SPEC)
    assert triples(roll_to_notes(roll, SPEC)) == [(0, 4, 60), (4, 4, 60)]


def test_notes_outside_the_pitch_range_are_counted_not_silently_lost():
    n = notes((0, 4, 35), (0, 4, 36), (0, 4, 83), (0, 4, 84), (0, 4, 127))
    assert in_range(n, SPEC).tolist() == [False, True, True, False, False]
    roll = notes_to_roll(n, SPEC)
    assert roll[SUSTAIN_CH].sum() == 2 * 4
    assert int((~in_range(n, SPEC)).sum()) == 3  # the count the data pipeline reports


def test_a_window_cuts_notes_at_its_edges():
    n = notes((0, 8, 60), (6, 4, 62), (12, 4, 64), (20, 1, 65))
    roll = notes_to_roll(n, SPEC, start=4, length=8)  # steps 4..11
    p = lambda x: x - 36  # noqa: E731
    assert roll.shape == (2, 8, 48)
    # the note begun before the window sounds in it, without an onset
    assert roll[ONSET_CH, :, p(60)].sum() == 0 and roll[SUSTAIN_CH, :, p(60)].tolist() == [True] * 4 + [False] * 4
    assert roll[ONSET_CH, 2, p(62)] and roll[SUSTAIN_CH, :, p(62)].sum() == 4
    assert roll[:, :, p(64)].sum() == 0 and roll[:, :, p(65)].sum() == 0
    assert triples(roll_to_notes(roll, SPEC)) == [(0, 4, 60), (2, 4, 62)]
    assert triples(roll_to_notes(roll, SPEC, offset=4)) == [(4, 4, 60), (6, 4, 62)]


def test_transposition_shifts_pitches_and_respects_the_range():
    n = notes((0, 4, 60), (4, 4, 82))
    up = notes_to_roll(n, SPEC, length=8, shift=1)
    assert triples(roll_to_notes(up, SPEC)) == [(0, 4, 61), (4, 4, 83)]
    up2 = notes_to_roll(n, SPEC, length=8, shift=2)  # 84 falls out of the roll
    assert triples(roll_to_notes(up2, SPEC)) == [(0, 4, 62)]
    assert in_range(n, SPEC, shift=2).tolist() == [True, False]
    down = notes_to_roll(n, SPEC, length=8, shift=-24)
    assert triples(roll_to_notes(down, SPEC)) == [(0, 4, 36), (4, 4, 58)]


def test_decoding_probabilities_with_a_threshold():
    probs = torch.zeros(2, 6, 48)
    probs[ONSET_CH, 0, 10] = 0.9
    probs[SUSTAIN_CH, 0:4, 10] = torch.tensor([0.8, 0.7, 0.6, 0.4])
    probs[ONSET_CH, 2, 20] = 0.3  # below the default threshold
    probs[SUSTAIN_CH, 2:5, 20] = 0.35
    assert triples(roll_to_notes(probs, SPEC)) == [(0, 3, 46)]
    assert triples(roll_to_notes(probs, SPEC, threshold=0.25)) == [(0, 4, 46), (2, 3, 56)]
    out = roll_to_notes(probs, SPEC, velocity=99)
    assert out[:, VELOCITY].tolist() == [99] and out.dtype == np.int32


def test_sustain_without_an_onset_starts_a_note_and_a_lone_onset_is_one_step():
    roll = np.zeros((2, 8, 48), bool)
    roll[SUSTAIN_CH, 2:5, 0] = True
    roll[ONSET_CH, 6, 1] = True
    assert triples(roll_to_notes(roll, SPEC)) == [(2, 3, 36), (6, 1, 37)]


def test_empty_rolls_and_bad_shapes():
    assert roll_to_notes(np.zeros((2, 0, 48), bool), SPEC).shape == (0, 5)
    assert roll_to_notes(np.zeros((2, 10, 48), bool), SPEC).shape == (0, 5)
    assert notes_to_roll(np.zeros((0, 5), np.int32), SPEC, length=3).shape == (2, 3, 48)
    assert notes_to_roll(np.zeros((0, 5), np.int32), SPEC).shape == (2, 0, 48)
    with pytest.raises(ValueError, match=r"expected a roll of shape \(2, T, 48\)"):
        roll_to_notes(np.zeros((2, 10, 84), bool), SPEC)
    with pytest.raises(ValueError):
        roll_to_notes(np.zeros((10, 48), bool), SPEC)


def test_a_cuda_or_grad_tensor_is_accepted():
    roll = torch.from_numpy(notes_to_roll(notes((0, 2, 60)), SPEC)).float().requires_grad_()
    assert triples(roll_to_notes(roll, SPEC)) == [(0, 2, 60)]


def test_velocities_are_transferred_from_a_template():
    template = notes((0, 4, 60, 30), (4, 4, 62, 90), (8, 4, 64, 110))
    new = notes((0, 4, 60, 80), (4, 2, 62, 80), (5, 1, 67, 80), (9, 1, 70, 80), (0, 1, 30, 80))
    out = transfer_velocities(new, template)
    # same onset and pitch: its velocity; else the nearest earlier template onset's; before any: the first
    assert out[:, VELOCITY].tolist() == [30, 90, 90, 110, 30]
    assert transfer_velocities(new, template, default=64)[:, VELOCITY].tolist() == [30, 90, 64, 64, 64]
    assert transfer_velocities(new, np.zeros((0, 5), np.int32))[:, VELOCITY].tolist() == [80] * 5
    assert new[:, VELOCITY].tolist() == [80] * 5  # the input is not changed


def test_roll_to_score_keeps_the_templates_meta():
    template = Score(4, notes((0, 4, 60, 33), (4, 4, 64, 44)), [TrackInfo("Melody", 5, True)], 40,
                     tempos=[(0, 90.0), (16, 120.0)], time_signatures=[(0, 3, 4)], key_signatures=[(0, 2, "minor")],
                     drums=notes((0, 1, 36, 100)), drum_tracks=[TrackInfo("Drums", 0)], title="song")
    roll = score_to_roll(template, SPEC)
    assert roll.shape == (2, 40, 48) and roll.dtype == torch.bool
    out = roll_to_score(roll[:, :16], SPEC, template=template, track_name="Styled", program=1)
    assert (out.tempos, out.time_signatures, out.key_signatures, out.title) == (
        template.tempos, template.time_signatures, template.key_signatures, "song")
    assert np.array_equal(out.drums, template.drums) and out.length == 40
    assert [(t.name, t.program) for t in out.tracks] == [("Styled", 1)]
    assert out.notes.tolist() == [[0, 4, 60, 33, 0], [4, 4, 64, 44, 0]]
    plain = roll_to_score(roll, SPEC)
    assert plain.tempos == [(0, 120.0)] and plain.time_signatures == [(0, 4, 4)] and plain.length == 40


def test_grid_mismatch_is_an_error():
    s = Score(8, notes((0, 4, 60)), [TrackInfo("p", 0)], 4)
    with pytest.raises(ValueError, match="8-step grid"):
        score_to_roll(s, SPEC)
    with pytest.raises(ValueError, match="another grid"):
        roll_to_score(np.zeros((2, 4, 48), bool), SPEC, template=s)


def test_muspy_level_helpers_round_trip():
    s = Score(4, notes((0, 4, 60, 70), (4, 4, 60, 70), (2, 6, 50, 70)), [TrackInfo("p", 0)], 8, [(0, 100.0)],
              [(0, 4, 4)])
    music = score_to_music(s)
    roll = music_to_roll(music, SPEC)
    assert roll.shape == (2, 8, 48)
    back = roll_to_music(roll, SPEC)
    assert sorted((n.time, n.duration, n.pitch) for n in back.tracks[0].notes) == triples(s.notes)
    assert back.resolution == 4


def test_canonical_roll_is_what_decoding_then_encoding_gives():
    import torch

    from stylegen.data.roll import RollSpec, canonical_roll, notes_to_roll, roll_to_notes

    spec = RollSpec(resolution=4, lowest_pitch=60, n_pitches=4)
    raw = np.zeros((2, 8, 4), dtype=bool)
    raw[1, 0:3, 0] = True  # sustain without an onset: a note all the same
    raw[0, 5, 1] = True  # an onset without sustain: a one-step note
    raw[0, 2, 2] = True
    raw[1, 2:6, 2] = True  # a proper note
    expected = notes_to_roll(roll_to_notes(raw, spec), spec, 0, 8)
    assert np.array_equal(canonical_roll(raw), expected)
    t = torch.from_numpy(raw).float().requires_grad_(True)
    out = canonical_roll(t)
    assert torch.equal(out > 0.5, torch.from_numpy(expected))
    out.sum().backward()  # differentiable: training feeds straight-through fakes through it
    assert t.grad is not None
    assert np.array_equal(canonical_roll(expected), expected)  # real rolls are already canonical
