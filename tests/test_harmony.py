"""The harmony part of a checkpoint and what load() does with it: round trip, export, old
checkpoints, composition with a form and a primer, a bare melody accompanied (tiny models
built in code: tests/checkpoints.py and a small harmony model)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from stylegen.checkpoint import (
    build_model, export_inference, harmony_part, load_checkpoint, put_harmony,
)
from stylegen.data.content import ContentSpec
from stylegen.data.score import ONSET, PITCH, TRACK, Score
from stylegen.errors import StylegenError
from stylegen.models.harmony import meter_dim
from stylegen.models.registry import build_from_config
from stylegen.transfer import load, read_midi
from tests.checkpoints import STYLES, write_tiny_checkpoint
from tests.midifiles import Track, chord_piece, scale_piece, write_midi


def tiny_part(cspec: dict, styles=STYLES, seed=0):
    c = ContentSpec.from_dict(cspec)
    config = {"name": "lstm", "n_styles": len(styles), "meter_dim": meter_dim(c.block, c.bar_steps),
              "bass": bool(c.bass), "hidden_size": 12, "num_layers": 1, "style_dim": 3, "nade_size": 6,
              "dropout": 0.0}
    torch.manual_seed(seed)
    model = build_from_config(config, "harmony")
    meta = {"recipe": "tiny", "content": dict(cspec), "styles": list(styles), "steps": 0}
    return model.state_dict(), config, meta


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory):
    """(without, with) a harmony part: the same tiny generator checkpoint."""
    d = tmp_path_factory.mktemp("harmony")
    plain = write_tiny_checkpoint(d / "plain.pt")
    ck = load_checkpoint(plain)
    with_part = put_harmony(d / "with.pt", *tiny_part(ck["content"]), src=plain)
    return plain, with_part


def test_the_part_round_trips_and_nothing_else_changes(ckpts):
    plain, with_part = ckpts
    a, b = load_checkpoint(plain), load_checkpoint(with_part)
    assert harmony_part(a) is None and harmony_part(b) is not None
    for key in a:
        if key in ("models", "model_config"):
            continue
        assert key in b and (key == "version" or repr(a[key]) == repr(b[key])), key
    for name in a["models"]:  # the generator and discriminator untouched
        for k, v in a["models"][name].items():
            assert torch.equal(v, b["models"][name][k])
    weights, config, meta = harmony_part(b)
    model = build_model(b, "harmony")
    state = tiny_part(a["content"])[0]
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    assert meta["styles"] == list(STYLES) and meta["content"] == a["content"]


def test_export_keeps_the_part(ckpts, tmp_path):
    _, with_part = ckpts
    out = export_inference(with_part, tmp_path / "release.pt", half=True)
    ck = load_checkpoint(out)
    assert harmony_part(ck) is not None and ck["models"]["harmony"]["nade_w"].dtype == torch.float16
    assert load(out).harmony is not None  # cast back to float32 and built


def test_a_part_that_does_not_fit_is_refused(ckpts, tmp_path):
    plain, with_part = ckpts
    ck = load_checkpoint(plain)
    w, c, meta = tiny_part(ck["content"], styles=("pop", "folk"))
    with pytest.raises(StylegenError, match=r"does not fit: styles \['pop', 'folk'\]"):
        put_harmony(tmp_path / "x.pt", w, c, meta, src=plain)
    other = dict(ck["content"], block=16)
    with pytest.raises(StylegenError, match="content spec"):
        put_harmony(tmp_path / "x.pt", *tiny_part(other), src=plain)
    with pytest.raises(StylegenError, match="already has a harmony part"):
        put_harmony(with_part, *tiny_part(ck["content"]))
    assert not (tmp_path / "x.pt").exists()


def test_old_checkpoints_compose_as_before_and_say_so_once(ckpts):
    plain, _ = ckpts
    model = load(plain)
    assert model.harmony is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        a = model.generate_score("pop", 2, seed=1)
        model.generate_score("pop", 2, seed=2)
    assert len([w for w in caught if "no harmony model" in str(w.message)]) == 1
    assert isinstance(a, Score)
    with pytest.raises(StylegenError, match="a form needs a checkpoint with a harmony model"):
        model.generate_score("pop", 8, seed=1, form="AABA")


def test_composition_plans_a_form_and_repeats_its_sections(ckpts):
    _, with_part = ckpts
    model = load(with_part)
    plan, pos = model.plan("classical", 16, seed=3, form="ABAB")
    sec = {}
    k = len(plan.sets) - int(np.searchsorted(plan.starts, len(pos) - 16))  # blocks in the last bar
    for j, (letter, lo, n) in enumerate(plan.sections):
        got = plan.sets[lo:lo + n]
        if letter in sec:  # the same sets; the piece's last bar is its ending
            end = n - k if j == len(plan.sections) - 1 else n
            np.testing.assert_array_equal(got[:end], sec[letter][:end])
        sec[letter] = got
    assert len(plan.sections) == 4 and (plan.sets.sum(1) > 0).all()
    score = model.generate_score("classical", 16, seed=3, form="ABAB")
    assert score.length == 16 * 16 and len(score.notes) > 0
    again = model.generate_score("classical", 16, seed=3, form="ABAB")
    np.testing.assert_array_equal(score.notes, again.notes)
    with pytest.raises(StylegenError, match="must be letters"):
        model.generate_score("classical", 8, form="A-B")


def test_composition_continues_a_primer(ckpts, tmp_path):
    _, with_part = ckpts
    model = load(with_part)
    path = write_midi(tmp_path / "p.mid", [Track(chord_piece(2, 48), name="Piano")])
    primer = read_midi(path)
    out = model.generate_score("pop", 4, seed=1, primer=primer, form="AB")
    n = len(primer.notes)
    np.testing.assert_array_equal(out.notes[out.notes[:, TRACK] == 0], primer.notes)  # kept as it was
    assert len(out.notes) > n


def melody_score(tmp_path):
    return read_midi(write_midi(tmp_path / "tune.mid", [Track(scale_piece(4, 67), name="Melody")]))


def test_a_bare_melody_is_harmonised_by_the_model_and_kept_note_for_note(ckpts, tmp_path):
    plain, with_part = ckpts
    model, old = load(with_part), load(plain)
    tune = melody_score(tmp_path)
    assert model.harmony_source(tune) == "planned" and old.harmony_source(tune) == "melody"
    out = model.transfer_score(tune, "classical", seed=2)
    mel = out.notes[out.notes[:, TRACK] == 0]
    np.testing.assert_array_equal(mel[:, [ONSET, 1, PITCH]], tune.notes[:, [ONSET, 1, PITCH]])
    assert out.tracks[0].name == "Melody" and len(out.notes) > len(tune.notes)
    # the plan, not the melody's own pitch classes, is what the generator heard: other notes
    before = old.transfer_score(tune, "classical", seed=2)
    assert not np.array_equal(out.notes, before.notes)


def test_a_piano_piece_keeps_its_own_harmony_and_melody_only_takes_its_melody(ckpts, tmp_path):
    _, with_part = ckpts
    model = load(with_part)
    path = write_midi(tmp_path / "song.mid", [Track(scale_piece(4, 67), name="Melody"),
                                              Track(chord_piece(4, 48), name="Piano")])
    song = read_midi(path)
    assert model.harmony_source(song) == "input"
    assert model.harmony_source(song, melody_only=True) == "planned"
    out = model.transfer_score(song, "classical", seed=0, melody_only=True)
    chords = song.notes[song.notes[:, TRACK] == 1]
    kept = {tuple(r) for r in out.notes[:, [ONSET, PITCH]].tolist()}
    assert not {tuple(r) for r in chords[:, [ONSET, PITCH]].tolist()} <= kept  # the input's chords are gone
    with pytest.raises(StylegenError, match="cannot go with free_melody"):
        model.transfer_score(song, "classical", melody_only=True, free_melody=True)
