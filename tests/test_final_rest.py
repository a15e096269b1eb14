"""What "the output keeps the input's length" means, for a song that ends with a rest.

The output's music ends where the input's does (the generator's notes stop at the end of
the input's last note: a final rest stays a rest) and the file lasts as long as the input's
(its end of track).  Transfer's assembly (``inference/pieces.finish``) and the evaluation's
``length_match`` say the same: the measure gives 1 for a transfer and 0 for an output that
plays into the rest or that ends early.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mido
import numpy as np
import pytest
import torch

from stylegen.data.content import ContentSpec
from stylegen.data.fastmidi import midi_length_beats
from stylegen.data.midi import read_score
from stylegen.data.score import DURATION, ONSET
from stylegen.inference.pieces import finish, prepare
from stylegen.metrics.preservation import length_match
from stylegen.transfer import read_midi
from tests.checkpoints import SPEC, write_tiny_checkpoint
from tests.commands.cli import run
from tests.midifiles import Track, chord_piece, scale_piece, write_midi

REST_BEATS = 3  # as POP909's 001: three beats of silence after the last note


def song_with_a_final_rest(path: Path, bars: int = 4, rest: int = REST_BEATS) -> Path:
    """``bars`` bars of 4/4 (a melody over whole-bar chords, 480 ticks a beat), then ``rest``
    beats of silence up to the end of track."""
    write_midi(path, [Track(scale_piece(bars, 60), name="Melody"), Track(chord_piece(bars, 48), name="Piano")])
    mf = mido.MidiFile(path)
    end = max(sum(m.time for m in t) for t in mf.tracks)
    for t in mf.tracks:  # every track ends at the same, later, tick
        t[-1].time += end + rest * mf.ticks_per_beat - sum(m.time for m in t)
    mf.save(path)
    return path


def music_end_beats(score) -> float:
    ends = [int((a[:, ONSET].astype(np.int64) + a[:, DURATION]).max()) for a in (score.notes, score.drums) if len(a)]
    return max(ends) / score.resolution


@pytest.fixture
def src(tmp_path) -> Path:
    path = song_with_a_final_rest(tmp_path / "song.mid")
    assert midi_length_beats(path) == 16 + REST_BEATS and music_end_beats(read_score(path, 4)) == 16
    return path


def test_the_assembly_leaves_the_final_rest_silent(src):
    """Whatever the generator writes into the rest (here: a note held on every step to the
    end), the output's music ends where the input's does and the file keeps its length."""
    score = read_midi(src)  # on the file's own grid, its length to the end of track
    prepared = prepare(score, SPEC, ContentSpec(), keep_melody=True)
    assert prepared.length == (16 + REST_BEATS) * SPEC.resolution
    roll = torch.zeros(2, prepared.length, SPEC.n_pitches)
    roll[0, ::SPEC.resolution, 10] = 1  # an onset on every beat, the rest included
    roll[1, :, 10] = 1
    out = finish(prepared, roll, SPEC)
    assert out.length == score.length and out.n_beats == 16 + REST_BEATS
    assert music_end_beats(out) == 16, "the accompaniment plays into the input's final rest"
    assert len(out.notes) > len(score.notes[prepared.melody])  # the generator's notes are there, up to the rest
    assert length_match(score, out) == 1.0


def test_the_measure_agrees_with_transfer(src, tmp_path, capsys):
    ckpt = write_tiny_checkpoint(tmp_path / "tiny.pt")
    out_path = tmp_path / "song.classical.mid"
    assert run(capsys, "transfer", src, "--style", "classical", "--checkpoint", ckpt, "-o", out_path)[0] == 0
    assert midi_length_beats(out_path) == midi_length_beats(src)  # the file keeps the final rest
    for read in (lambda p: read_score(p, 4), read_midi):  # as evaluate reads files, and as transfer does
        inp, out = read(src), read(out_path)
        assert music_end_beats(out) <= music_end_beats(inp)
        assert length_match(inp, out) == 1.0
        assert length_match(inp, inp) == 1.0  # the copy


def test_the_measure_refuses_what_transfer_must_not_do(src):
    inp = read_midi(src)
    res = inp.resolution
    # an output that plays two beats into the final rest (a file of the same length)
    into_rest = inp.with_notes(np.concatenate([inp.notes, [[16 * res, 2 * res, 60, 80, 0]]]))
    assert into_rest.length == inp.length and length_match(inp, into_rest) == 0.0
    # an output whose music stops two bars early
    early = inp.with_notes(inp.notes[inp.notes[:, ONSET] + inp.notes[:, DURATION] <= 8 * res])
    assert length_match(inp, early) == 0.0
    # an output that lost the final rest (the file ends with its last note)
    assert length_match(inp, replace(inp, length=16 * res)) == 0.0
