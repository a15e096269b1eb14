"""Whole-piece transfer and generation (stylegen.transfer) on tiny checkpoints built in code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import stylegen
from stylegen.checkpoint import export_inference, load_checkpoint, save_checkpoint
from stylegen.data.fastmidi import read_score_fast
from stylegen.data.midi import DURATION, ONSET, PITCH, TRACK, VELOCITY, Score, TrackInfo, read_score
from stylegen.errors import StylegenError
from stylegen.transfer import (
    Model, clear_melody_lane, default_checkpoint, load, make_noise, melody_mask, parse_style, skyline, style_weights,
)
from tests.checkpoints import SPEC, STYLES, write_tiny_checkpoint
from tests.midifiles import Track, chord_piece, scale_piece, write_midi

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt")


@pytest.fixture(scope="module")
def model(ckpt) -> Model:
    return load(ckpt)


@pytest.fixture(scope="module")
def identity(tmp_path_factory) -> Model:
    """A freshly initialised generator: its skip copies the input (what training starts from)."""
    return load(write_tiny_checkpoint(tmp_path_factory.mktemp("id") / "id.pt", lively=False))


def song(tmp_path, name="song.mid", bars=8, **kw) -> Path:
    return write_midi(tmp_path / name, [Track(scale_piece(bars, 60), name="Melody", program=73),
                                        Track(chord_piece(bars, 40), name="Piano")], **kw)


def triples(notes: np.ndarray) -> set[tuple[int, int, int]]:
    return {(int(r[ONSET]), int(r[DURATION]), int(r[PITCH])) for r in notes}


# --------------------------------------------------------------------------- loading


def test_load_reads_a_training_layout_checkpoint(model):
    assert model.styles == list(STYLES) and model.spec == SPEC
    assert model.info["step"] == 0 and model.info["recipe"] == "tiny-transfer"
    assert not model.generator.training
    assert "pop, classical" in repr(model)


def test_import_stylegen_stays_light_and_load_is_lazy():
    code = ("import sys, stylegen; assert 'torch' not in sys.modules and 'muspy' not in sys.modules; "
            "from stylegen import load, Model; assert callable(load) and 'stylegen.training' not in sys.modules; "
            "import stylegen.transfer; assert 'muspy' not in sys.modules and 'stylegen.training' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    assert "load" in dir(stylegen) and stylegen.__version__
    with pytest.raises(AttributeError):
        stylegen.no_such_thing  # noqa: B018


def test_the_default_is_the_shipped_checkpoint(monkeypatch, tmp_path):
    assert default_checkpoint() == REPO / "checkpoints" / "pop2classical.pt"
    monkeypatch.setattr("stylegen.transfer.default_checkpoint", lambda: tmp_path / "nope.pt")
    with pytest.raises(StylegenError, match="shipped checkpoint .*nope.pt is missing.*--checkpoint"):
        load()


def test_load_errors_are_one_clear_line(tmp_path):
    with pytest.raises(StylegenError, match="no such checkpoint"):
        load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(StylegenError, match="not a readable checkpoint"):
        load(tmp_path / "junk.pt")
    save_checkpoint(tmp_path / "clf.pt", {"kind": "classifier", "spec": {}, "styles": [], "models": {},
                                          "model_config": {}})
    with pytest.raises(StylegenError, match="a classifier checkpoint, expected a gan checkpoint"):
        load(tmp_path / "clf.pt")
    with pytest.raises(StylegenError, match="CUDA is not available") if not torch.cuda.is_available() else \
            pytest.raises(StylegenError, match="unknown device"):
        load(tmp_path / "clf.pt", device="cuda" if not torch.cuda.is_available() else "tpu")


# --------------------------------------------------------------------------- styles, noise


def test_style_names_mixtures_and_errors():
    assert parse_style("classical", list(STYLES)).tolist() == [0.0, 1.0]
    assert parse_style("Classical", list(STYLES)).tolist() == [0.0, 1.0]
    assert parse_style("pop=1,classical=3", list(STYLES)) == pytest.approx([0.25, 0.75])
    assert parse_style({"pop": 2.0, "classical": 2.0}, list(STYLES)) == pytest.approx([0.5, 0.5])
    with pytest.raises(StylegenError, match=r"unknown style 'jazz' \(known: pop, classical\)"):
        parse_style("jazz", list(STYLES))
    with pytest.raises(StylegenError, match="no style given"):
        parse_style("", list(STYLES))
    with pytest.raises(StylegenError, match="cannot read style mixture"):
        parse_style("pop=,classical", list(STYLES))
    with pytest.raises(StylegenError, match="positive weight"):
        parse_style("pop=0", list(STYLES))


def test_strength_blends_from_the_source_style():
    s = list(STYLES)
    assert style_weights(s, "classical", "pop", 0.25) == pytest.approx([0.75, 0.25])
    assert style_weights(s, "classical", "pop", 0.0) == pytest.approx([1.0, 0.0])
    assert style_weights(s, "classical") == pytest.approx([0.0, 1.0])
    with pytest.raises(StylegenError, match="name it with source= / --source"):
        style_weights(s, "classical", None, 0.5)
    with pytest.raises(StylegenError, match="strength must be in 0..1"):
        style_weights(s, "classical", "pop", 1.5)


def test_noise_is_seeded_and_scaled():
    a, b = make_noise(50, 4, seed=3), make_noise(50, 4, seed=3)
    assert a.shape == (1, 50, 4) and torch.equal(a, b)
    assert not torch.equal(a, make_noise(50, 4, seed=4))
    assert torch.equal(make_noise(50, 4, seed=3, temperature=0.5), a * 0.5)
    assert not torch.equal(make_noise(50, 4, seed=None), make_noise(50, 4, seed=None))
    # a prefix of a longer piece's noise is the shorter piece's noise
    assert torch.equal(make_noise(80, 4, seed=3)[:, :50], a)
    with pytest.raises(StylegenError, match="temperature"):
        make_noise(5, 4, seed=0, temperature=-1)


# --------------------------------------------------------------------------- the forward pass


def test_chunks_with_carried_state_equal_one_pass(model, tmp_path):
    score = read_score_fast(song(tmp_path, bars=12), 4)
    one = model.transfer_score(score, "classical", seed=5)
    small = Model(model.generator, model.spec, model.styles, chunk=7)
    assert np.array_equal(small.transfer_score(score, "classical", seed=5).notes, one.notes)
    from stylegen.data.roll import notes_to_roll

    content = torch.from_numpy(notes_to_roll(score.notes, SPEC, 0, score.length))
    noise = make_noise(score.length, 4, seed=5)
    w = np.array([0.0, 1.0])
    whole, _ = model.logits(content, w, noise)
    a, state = model.logits(content[:, :50], w, noise[:, :50])
    b, _ = model.logits(content[:, 50:], w, noise[:, 50:], state=state)
    assert torch.allclose(torch.cat([a, b], dim=1), whole, atol=1e-5)


def test_threads_are_restored_after_a_forward_pass(model, tmp_path):
    before = torch.get_num_threads()
    model.transfer_score(read_score_fast(song(tmp_path), 4), "classical")
    assert torch.get_num_threads() == before


# --------------------------------------------------------------------------- transfer


def test_transfer_keeps_length_tempo_meter_keys_and_one_piano_track(model, tmp_path):
    p = write_midi(tmp_path / "x.mid", [Track(scale_piece(6, 60), name="Melody"), Track(chord_piece(6, 48))],
                   tempo_bpm=[(0, 96), (12, 110)], time_signature=[(0, (4, 4)), (16, (3, 4))], key="Bb")
    score = read_score(p, 4)
    score.length += 10  # a final rest must survive too
    out = model.transfer_score(score, "classical", seed=1)
    assert out.length == score.length and out.resolution == 4
    assert out.tempos == score.tempos and out.time_signatures == score.time_signatures
    assert out.key_signatures == score.key_signatures
    assert [(t.name, t.program) for t in out.tracks] == [("Piano", 0)]
    assert (out.notes[:, TRACK] == 0).all() and len(out.notes) > 0
    assert (out.notes[:, ONSET] + out.notes[:, DURATION] <= score.length).all()
    assert out.notes[:, VELOCITY].min() >= 1 and out.notes[:, VELOCITY].max() <= 127


def test_the_output_depends_on_style_and_seed_only_as_asked(model, tmp_path):
    score = read_score_fast(song(tmp_path), 4)
    a = model.transfer_score(score, "classical", seed=1)
    assert np.array_equal(model.transfer_score(score, "classical", seed=1).notes, a.notes)
    assert not np.array_equal(model.transfer_score(score, "classical", seed=2).notes, a.notes)
    assert not np.array_equal(model.transfer_score(score, "pop", seed=1).notes, a.notes)
    # no noise: the seed no longer matters
    t0 = model.transfer_score(score, "classical", seed=1, temperature=0)
    assert np.array_equal(model.transfer_score(score, "classical", seed=9, temperature=0).notes, t0.notes)
    # strength 0 is the source style; strength 1 the target
    assert np.array_equal(model.transfer_score(score, "classical", source="pop", strength=0.0, seed=1).notes,
                          model.transfer_score(score, "pop", seed=1).notes)
    assert np.array_equal(model.transfer_score(score, "classical", source="pop", strength=1.0, seed=1).notes, a.notes)
    # a lower threshold gives more notes' worth of sound
    lo = model.transfer_score(score, "classical", seed=1, threshold=0.2)
    hi = model.transfer_score(score, "classical", seed=1, threshold=0.8)
    assert (lo.notes[:, DURATION].sum() > a.notes[:, DURATION].sum() > hi.notes[:, DURATION].sum())


def test_bad_options_are_user_errors(model, tmp_path):
    score = read_score_fast(song(tmp_path), 4)
    for kw, msg in [({"style": "jazz"}, "unknown style"), ({"threshold": 1.0}, "threshold"),
                    ({"threshold": 0}, "threshold"), ({"temperature": -0.1}, "temperature"),
                    ({"strength": 0.5}, "source"), ({"strength": 2, "source": "pop"}, "strength")]:
        with pytest.raises(StylegenError, match=msg):
            model.transfer_score(score, **{"style": "classical", **kw})
    with pytest.raises(StylegenError, match="grid of 8 steps per beat"):
        model.transfer_score(read_score(song(tmp_path), 8), "classical")


def test_own_style_with_a_copying_generator_returns_the_input(identity, tmp_path):
    score = read_score_fast(song(tmp_path), 4)
    out = identity.transfer_score(score, "pop", seed=3)
    assert triples(out.notes) == triples(score.notes)
    # surviving notes keep their velocities
    key = {(int(r[ONSET]), int(r[PITCH])): int(r[VELOCITY]) for r in score.notes}
    assert all(key[(int(r[ONSET]), int(r[PITCH]))] == int(r[VELOCITY]) for r in out.notes)


def test_new_notes_take_a_nearby_input_velocity(model, tmp_path):
    p = write_midi(tmp_path / "v.mid", [Track([(b, 1, 60 + b % 5, 30 if b < 8 else 110) for b in range(16)])])
    score = read_score_fast(p, 4)
    out = model.transfer_score(score, "classical", seed=1)
    early = out.notes[out.notes[:, ONSET] < 8 * 4]
    late = out.notes[out.notes[:, ONSET] >= 8 * 4]
    assert len(early) and len(late)
    assert set(early[:, VELOCITY].tolist()) == {30} and set(late[:, VELOCITY].tolist()) == {110}


def test_drums_are_kept_unchanged_or_dropped(model, tmp_path):
    drums = [(b * 0.5, 0.25, 36 + (b % 3) * 2, 100 + b % 20) for b in range(64)]
    p = write_midi(tmp_path / "d.mid", [Track(scale_piece(8, 60), name="Melody", program=73),
                                        Track(chord_piece(8, 40), name="Piano"), Track(drums, name="Kit", drum=True)])
    score = read_score_fast(p, 4)
    out = model.transfer_score(score, "classical")
    assert np.array_equal(out.drums, score.drums) and out.drum_tracks == score.drum_tracks
    # drums never reach the roll: the notes are those of the same piece without drums
    no_drums = read_score_fast(song(tmp_path, "nd.mid"), 4)
    assert np.array_equal(model.transfer_score(no_drums, "classical").notes, out.notes)
    dropped = model.transfer_score(score, "classical", drop_drums=True)
    assert len(dropped.drums) == 0 and dropped.drum_tracks == []


def test_notes_outside_the_pitch_range_pass_through(identity, tmp_path):
    p = write_midi(tmp_path / "r.mid", [Track(scale_piece(2, 60) + [(0, 2, 30, 90), (4, 1, 100, 91)])])
    score = read_score_fast(p, 4)
    out = identity.transfer_score(score, "classical")
    assert {(0, 8, 30), (16, 4, 100)} <= triples(out.notes)


def test_a_long_piece_is_transferred_whole(model, tmp_path):
    p = write_midi(tmp_path / "long.mid", [Track(scale_piece(200, 60)), Track(chord_piece(200, 48))])
    score = read_score_fast(p, 4)
    out = model.transfer_score(score, "classical", seed=0)
    assert out.length == score.length == 200 * 16
    assert out.notes[:, ONSET].max() > 190 * 16  # notes all the way to the end


# --------------------------------------------------------------------------- keep melody


def test_skyline_takes_the_top_voice():
    n = np.array([[0, 4, 60, 80, 0], [0, 4, 67, 80, 0], [4, 2, 64, 80, 0], [5, 1, 62, 80, 0],
                  [6, 2, 72, 80, 0], [6, 2, 48, 80, 0], [7, 1, 50, 80, 0]], np.int32)
    assert skyline(n).tolist() == [False, True, True, False, True, False, False]
    assert skyline(np.zeros((0, 5), np.int32)).tolist() == []


def test_notes_that_double_or_clash_with_the_melody_are_removed():
    melody = np.array([[0, 8, 72, 90, 0], [8, 4, 50, 90, 0]], np.int32)
    acc = np.array([[0, 4, 72, 80, 0],  # unison: removed
                    [2, 4, 71, 80, 0],  # a semitone below: removed
                    [4, 4, 69, 80, 0],  # a minor third below: kept
                    [0, 8, 60, 80, 0],  # an octave below: kept
                    [8, 4, 74, 80, 0],  # after the melody note: kept
                    [6, 4, 74, 80, 0],  # a whole tone above while it sounds: removed
                    [0, 8, 76, 80, 0],  # a major third above: kept
                    [7, 1, 70, 80, 0],  # a whole tone below: removed
                    [11, 3, 51, 80, 0]], np.int32)  # overlaps the second melody note by one step
    assert clear_melody_lane(acc, melody, 16).tolist() == [False, False, True, True, True, False, True, False, False]
    assert clear_melody_lane(acc, melody[:0], 16).all()


def test_keep_melody_keeps_the_named_melody_note_for_note(model, tmp_path):
    score = read_score_fast(song(tmp_path), 4)
    mel = score.notes[score.notes[:, TRACK] == score.melody_track]
    out = model.transfer_score(score, "classical", keep_melody=True, seed=2)
    assert [(t.name, t.program, t.is_melody) for t in out.tracks] == [("Melody", 73, True), ("Piano", 0, False)]
    kept = out.notes[out.notes[:, TRACK] == 0]
    assert np.array_equal(kept[:, :4], mel[:, :4])  # onset, duration, pitch, velocity
    acc = out.notes[out.notes[:, TRACK] == 1]
    assert len(acc) > 0 and clear_melody_lane(acc, kept, out.length).all()
    assert np.array_equal(out.notes[:, :4], model.transfer_score(score, "classical", keep_melody=True, seed=2).notes[:, :4])


def test_keep_melody_without_a_named_track_uses_the_top_voice(model, tmp_path):
    p = write_midi(tmp_path / "u.mid", [Track(scale_piece(8, 72) + chord_piece(8, 48), name="Piano")])
    score = read_score_fast(p, 4)
    mask, how = melody_mask(score)
    assert how == "skyline"
    assert triples(score.notes[mask]) == {(4 * b, 4, 72 + [0, 2, 4, 5, 7, 9, 11, 12][b % 8]) for b in range(32)}
    out = model.transfer_score(score, "classical", keep_melody=True)
    assert out.tracks[0].name == "Melody" and triples(out.notes[out.notes[:, TRACK] == 0]) == triples(score.notes[mask])


# --------------------------------------------------------------------------- generate


def test_generate_from_scratch(model):
    g = model.generate_score("classical", bars=6, seed=7, tempo=90, beats_per_bar=3)
    assert g.length == 6 * 3 * 4 and g.tempos == [(0, 90.0)] and g.time_signatures == [(0, 3, 4)]
    assert len(g.notes) > 0 and [t.name for t in g.tracks] == ["Piano"]
    assert np.array_equal(model.generate_score("classical", bars=6, seed=7, tempo=90, beats_per_bar=3).notes, g.notes)
    assert not np.array_equal(model.generate_score("classical", bars=6, seed=8, tempo=90, beats_per_bar=3).notes,
                              g.notes)
    downbeats = g.notes[g.notes[:, ONSET] % 12 == 0]
    offbeats = g.notes[g.notes[:, ONSET] % 4 != 0]
    if len(downbeats) and len(offbeats):
        assert downbeats[:, VELOCITY].min() > offbeats[:, VELOCITY].max()


def test_generate_continues_a_primer(model, tmp_path):
    primer = read_score_fast(write_midi(tmp_path / "p.mid", [Track(scale_piece(2, 60, 3), name="Melody")],
                                        time_signature=(3, 4), tempo_bpm=70), 4)
    primer.length = 20  # ends inside bar 2 (bars of 12 steps): the new bars start at step 24
    out = model.generate_score("pop", bars=4, seed=1, primer=primer)
    assert out.length == 24 + 4 * 12
    assert out.tempos == primer.tempos and out.time_signatures == primer.time_signatures
    assert [t.name for t in out.tracks] == ["Melody", "Piano"]
    assert np.array_equal(out.notes[out.notes[:, TRACK] == 0], primer.notes)
    new = out.notes[out.notes[:, TRACK] == 1]
    assert len(new) and new[:, ONSET].min() >= 24


def test_generate_errors(model):
    with pytest.raises(StylegenError, match="bars must be at least 1"):
        model.generate_score("pop", bars=0)
    with pytest.raises(StylegenError, match="unknown style"):
        model.generate_score("jazz", bars=1)
    with pytest.raises(StylegenError, match="tempo"):
        model.generate_score("pop", bars=1, tempo=0)


# --------------------------------------------------------------------------- muspy API


def test_transfer_and_generate_return_muspy_music(model, tmp_path):
    import muspy

    p = song(tmp_path)
    music = model.transfer(p, style="classical", seed=1)
    assert isinstance(music, muspy.Music) and music.resolution == 4
    assert music.get_end_time() <= read_score(p, 4).length
    assert [t.name for t in music.tracks] == ["Piano"]
    again = model.transfer(muspy.read_midi(p), "classical", seed=1)
    assert [(n.time, n.pitch, n.duration) for n in again.tracks[0].notes] == \
        [(n.time, n.pitch, n.duration) for n in music.tracks[0].notes]
    gen = model.generate(style="pop", bars=2, seed=7)
    assert isinstance(gen, muspy.Music) and gen.tempos[0].qpm == 120.0
    cont = model.generate(style="pop", bars=2, seed=7, primer=p)
    assert len(cont.tracks) == 3
    with pytest.raises(StylegenError, match="no such file"):
        model.transfer(tmp_path / "missing.mid", "pop")


def test_transfer_file_writes_atomically_and_keeps_the_length(model, tmp_path):
    from stylegen.data.fastmidi import midi_length_beats

    p = song(tmp_path, tempo_bpm=87)
    out = model.transfer_file(p, tmp_path / "o" / "x.mid", "classical")
    back = read_score(tmp_path / "o" / "x.mid", 4)
    assert midi_length_beats(tmp_path / "o" / "x.mid") == read_score(p, 4).n_beats == out.n_beats
    assert back.tempos == [(0, pytest.approx(87, rel=1e-4))]
    assert [f.name for f in (tmp_path / "o").iterdir()] == ["x.mid"]


# --------------------------------------------------------------------------- export


def test_export_round_trip(ckpt, model, tmp_path):
    score = read_score_fast(song(tmp_path), 4)
    full = export_inference(ckpt, tmp_path / "rel.pt")
    data = load_checkpoint(full, kind="gan")
    assert data["inference_only"] and set(data["models"]) == {"generator"}
    assert "optimizers" not in data and "rng" not in data and data["styles"] == list(STYLES)
    assert data["spec"] == SPEC.to_dict() and data["recipe"]["name"] == "tiny-transfer" and data["step"] == 0
    ref = model.transfer_score(score, "classical", seed=4)
    assert np.array_equal(load(full).transfer_score(score, "classical", seed=4).notes, ref.notes)
    half = export_inference(ckpt, tmp_path / "half.pt", half=True)
    hdata = load_checkpoint(half)
    assert all(v.dtype == torch.float16 for v in hdata["models"]["generator"].values() if v.is_floating_point())
    hm = load(half)
    assert all(p.dtype == torch.float32 for p in hm.generator.parameters())
    got = triples(hm.transfer_score(score, "classical", seed=4).notes)
    want = triples(ref.notes)
    assert len(got & want) >= 0.95 * len(want)


# --------------------------------------------------------------------------- the shipped checkpoint


SHIPPED = REPO / "checkpoints" / "pop2classical.pt"


@pytest.mark.skipif(not SHIPPED.is_file(), reason="checkpoints/pop2classical.pt is not there yet")
def test_the_shipped_checkpoint_transfers_an_eight_bar_piece(tmp_path):
    from stylegen.data.fastmidi import midi_length_beats

    model = load()
    assert {"pop", "classical"} <= set(model.styles)
    melody = [(b * 0.5, 0.5, 67 + [0, 2, 4, 2, 0, -3, -5, -3][b % 8], 96) for b in range(64)]
    bass = [(bar * 4.0 + beat, 1.0, 43 + [0, 5, 7, 0][bar % 4] + (7 if beat % 2 else 0), 70)
            for bar in range(8) for beat in range(4)]
    p = write_midi(tmp_path / "pop8.mid", [Track(melody, name="MELODY"), Track(bass, name="PIANO")], tempo_bpm=92)
    out = model.transfer_file(p, tmp_path / "out.mid", "classical", seed=0)
    back = read_score(tmp_path / "out.mid", model.spec.resolution)
    assert midi_length_beats(tmp_path / "out.mid") == 32.0 and out.n_beats == 32.0
    assert back.tempos == [(0, pytest.approx(92, rel=1e-4))] and len(back.notes) > 0
    kept = model.transfer_score(read_score_fast(p, model.spec.resolution), "classical", keep_melody=True)
    src = read_score_fast(p, model.spec.resolution)
    assert triples(kept.notes[kept.notes[:, TRACK] == 0]) == triples(src.notes[src.notes[:, TRACK] == 0])


def test_windowed_logits_equal_each_window_run_from_a_zero_state(model):
    from stylegen.transfer import make_noise, style_weights

    spec = model.spec
    T, W = 100, model.info["window"]
    H = W // 2
    torch.manual_seed(0)
    content = (torch.rand(2, T, spec.n_pitches) < 0.1).float()
    noise = make_noise(T, model.generator.noise_dim, 3)
    w = style_weights(model.styles, model.styles[1])
    got = model.windowed_logits(content, w, noise)
    assert got.shape == content.shape
    wt = torch.as_tensor(w, dtype=torch.float32)[None]
    pad_c = torch.nn.functional.pad(content, (0, 0, 0, W))
    pad_z = torch.nn.functional.pad(noise, (0, 0, 0, W))
    for k in range(-(-T // H)):
        a = max(0, (k + 1) * H - W)  # the run that owns block k starts here, from a zero state
        with torch.no_grad():
            y, _ = model.generator(pad_c[None, :, a:a + W], wt, noise=pad_z[:, a:a + W])
        lo, hi = k * H, min(T, (k + 1) * H)
        assert torch.allclose(got[:, lo:hi], y[0, :, lo - a:hi - a], atol=1e-5)


def test_transfer_context_modes(model):
    score = Score(resolution=4, notes=np.array([[b * 4, 4, 60 + b % 12, 80, 0] for b in range(40)], np.int32),
                  tracks=[TrackInfo("p", 0)], length=160, tempos=[(0, 100.0)], time_signatures=[(0, 4, 4)])
    a = model.transfer_score(score, model.styles[1], context="window")
    b = model.transfer_score(score, model.styles[1], context="carry")
    assert a.length == b.length == 160
    with pytest.raises(StylegenError, match="context must be 'window' or 'carry'"):
        model.transfer_score(score, model.styles[1], context="both")
