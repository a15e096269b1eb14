"""Audio rendering: durations, levels, spectra, soundfont choice, writing.  MIDI is built in code."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import scipy.io.wavfile
import torch

from stylegen.audio import render as R
from stylegen.audio import soundfont as SF
from stylegen.audio.loudness import limit_peaks, measure_loudness, normalize_loudness, peak_db
from stylegen.audio.synth import synthesize
from stylegen.audio.timing import steps_to_seconds
from stylegen.data.score import Score, TrackInfo
from stylegen.errors import StylegenError
from tests.midifiles import Track, write_midi

try:
    INSTALLED_SOUNDFONT = SF.find_soundfont()
except StylegenError:  # a broken $STYLEGEN_SOUNDFONT: no soundfont tests
    INSTALLED_SOUNDFONT = None

TARGET = -16.0
CEILING_DB = -1.0


def independent_loudness(w: torch.Tensor, sr: int) -> float:
    """torchaudio's BS.1770 meter on a copy scaled well below its clamp at +-1."""
    import torchaudio.functional as AF

    scale = 0.1 / float(w.abs().max())
    return float(AF.loudness(w * scale, sr)) - 20 * math.log10(scale)


def two_notes(tmp_path, tempo=120.0):
    # C4 for one beat, then E4 for one beat: 1.0 s at 120 bpm
    return write_midi(tmp_path / "two.mid", [Track(notes=[(0, 1, 60, 80), (1, 1, 64, 90)])], tempo_bpm=tempo)


def score(notes, resolution=4, tempos=((0, 120.0),), drums=None) -> Score:
    n = np.array(notes, dtype=np.int32).reshape(-1, 5)
    d = np.zeros((0, 5), np.int32) if drums is None else np.array(drums, dtype=np.int32).reshape(-1, 5)
    length = int(max((n[:, 0] + n[:, 1]).max(initial=0), (d[:, 0] + d[:, 1]).max(initial=0)))
    return Score(resolution=resolution, notes=n, tracks=[TrackInfo("piano", 0)], length=length,
                 tempos=list(tempos), drums=d, drum_tracks=[TrackInfo("drums", 0)] if len(d) else [])


@pytest.fixture
def no_system_soundfont(monkeypatch):
    monkeypatch.setattr(SF, "SYSTEM_SOUNDFONTS", ())
    monkeypatch.delenv(SF.SOUNDFONT_ENV, raising=False)


def fake_soundfont(path, valid_header=True):
    # a RIFF/sfbk header and nothing else: passes the header check, fails in the synthesiser
    path.write_bytes(b"RIFF\x04\x00\x00\x00sfbk" if valid_header else b"hello, not a soundfont")
    return path


# ---------------------------------------------------------------- built-in synthesiser


def test_two_note_midi_builtin(tmp_path):
    r = R.render_midi(two_notes(tmp_path), renderer="builtin")
    assert r.renderer == R.BUILTIN
    assert r.waveform.dtype == torch.float32 and r.waveform.shape[0] == 1 and r.sample_rate == 44100
    # the piece lasts 1.0 s; the damper release adds 0.2 s
    assert 1.0 <= r.seconds <= 1.0 + 0.25
    assert float(r.waveform.pow(2).mean().sqrt()) > 1e-2  # not silent
    assert peak_db(r.waveform) <= CEILING_DB + 1e-3  # below 0 dBFS with a margin
    assert abs(independent_loudness(r.waveform, r.sample_rate) - TARGET) < 1.0
    assert abs(r.loudness - TARGET) < 1.0
    wave, sr, name = r  # unpacks like a tuple
    assert sr == 44100 and name == R.BUILTIN and wave is r.waveform


def test_builtin_a4_has_energy_at_440hz():
    sr = 16000
    y = synthesize(np.array([0.0]), np.array([1.0]), np.array([69]), np.array([100]), sr)[0].numpy()
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    assert abs(freqs[np.argmax(spec)] - 440.0) < 2.0  # the fundamental is the strongest line

    def band(f):
        return spec[(freqs > f - 10) & (freqs < f + 10)].max()

    assert band(880) > 0.05 * band(440)  # harmonics present ...
    assert band(440) > 100 * band(300) and band(440) > 100 * band(600)  # ... and little between them


def test_builtin_velocity_and_brightness():
    sr = 16000
    quiet = synthesize(np.array([0.0]), np.array([0.5]), np.array([60]), np.array([30]), sr)
    loud = synthesize(np.array([0.0]), np.array([0.5]), np.array([60]), np.array([120]), sr)
    assert loud.abs().max() > 4 * quiet.abs().max()

    def centroid(w):
        s = np.abs(np.fft.rfft(w[0].numpy()))
        f = np.fft.rfftfreq(w.shape[1], 1 / sr)
        return float((s * f).sum() / s.sum())

    assert centroid(loud) > centroid(quiet)  # loud notes are brighter


def test_builtin_band_limited_at_low_rate():
    # C8's partials lie above 8 kHz: at 16 kHz only the fundamental is left, nothing aliases
    sr = 16000
    y = synthesize(np.array([0.0]), np.array([0.3]), np.array([108]), np.array([100]), sr)[0].numpy()
    spec = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    f0 = 440 * 2 ** ((108 - 69) / 12)
    assert spec[np.abs(freqs - f0) > 50].max() < 0.05 * spec.max()


def test_builtin_is_deterministic_and_renders_drums():
    s = score([(0, 4, 60, 90, 0)], drums=[(0, 1, 36, 100, 0), (2, 1, 42, 100, 0), (4, 1, 38, 100, 0)])
    a = R.render_score(s, 16000, renderer="builtin")
    b = R.render_score(s, 16000, renderer="builtin")
    assert torch.equal(a.waveform, b.waveform)
    drums_only = R.render_score(score([], drums=[(0, 1, 36, 100, 0), (2, 1, 38, 100, 0)]), 16000, renderer="builtin")
    assert float(drums_only.waveform.abs().max()) > 0.1


def test_builtin_holds_notes_under_the_sustain_pedal(tmp_path):
    import mido

    mf = mido.MidiFile(ticks_per_beat=480)  # 120 bpm by default
    tr = mido.MidiTrack()
    tr += [mido.Message("control_change", control=64, value=127, time=0),
           mido.Message("note_on", note=60, velocity=90, time=0),
           mido.Message("note_off", note=60, velocity=0, time=240),  # released after 0.25 s ...
           mido.Message("control_change", control=64, value=0, time=720)]  # ... pedal up at 1.0 s
    mf.tracks.append(tr)
    mf.save(tmp_path / "pedal.mid")
    r = R.render_midi(tmp_path / "pedal.mid", 16000, renderer="builtin")
    env = r.waveform[0].abs().unfold(0, 800, 800).amax(1)  # 50 ms frames
    assert env[17] > 0.2 * env[2]  # still sounding at 0.85-0.9 s
    assert r.seconds >= 1.0


def test_tempo_map_steps_to_seconds():
    # 4 steps per beat; 120 qpm for 8 steps (1 s), then 60 qpm (1 s per beat)
    tempos = [(0, 120.0), (8, 60.0)]
    np.testing.assert_allclose(steps_to_seconds([0, 4, 8, 12, 16], tempos, 4), [0.0, 0.5, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(steps_to_seconds([4], [], 4), [0.5])  # no tempo: 120
    np.testing.assert_allclose(steps_to_seconds([4, 12], [(8, 60.0)], 4), [0.5, 2.0])  # 120 until the first


def test_render_follows_tempo_changes(tmp_path):
    path = write_midi(tmp_path / "slow.mid", [Track(notes=[(0, 1, 60, 80), (1, 1, 62, 80), (2, 1, 64, 80)])],
                      tempo_bpm=[(0, 120.0), (1, 60.0)])
    r = R.render_midi(path, 16000, renderer="builtin")
    assert 2.5 <= r.seconds <= 2.5 + 0.25  # 0.5 s + 1 s + 1 s
    env = r.waveform[0].abs().unfold(0, 800, 800).amax(1)  # 50 ms frames
    # the third note starts at 1.5 s: a jump in level just after, none a little before
    assert env[31] > 2 * env[29]


def test_sample_rates_and_channels():
    s = score([(0, 8, 69, 90, 0)])
    for sr in (8000, 22050, 48000):
        r = R.render_score(s, sr, renderer="builtin")
        assert r.sample_rate == sr and 1.0 <= r.seconds <= 1.25
    assert R.render_score(s, 16000, renderer="builtin", channels=2).waveform.shape[0] == 2
    with pytest.raises(StylegenError, match="sample rate"):
        R.render_score(s, 100, renderer="builtin")


def test_empty_score_is_silence_not_an_error():
    r = R.render_score(score([]), 16000, renderer="builtin")
    assert r.waveform.shape[1] >= int(0.1 * 16000)
    assert float(r.waveform.abs().max()) == 0.0 and math.isnan(r.loudness)
    assert not torch.isnan(r.waveform).any()


def test_a_midi_file_lasts_to_its_end_of_track(tmp_path):
    """A final rest (or a file of silence) is part of the piece: the audio lasts to the file's
    end of track, not to its last note (the synth's release aside)."""
    import mido

    path = write_midi(tmp_path / "rest.mid", [Track(notes=[(0, 1, 60, 90)])])  # one beat of sound at 120 bpm
    mf = mido.MidiFile(path)
    mf.tracks[-1][-1].time += 7 * 480  # end of track 7 beats after the note: 4 s in all
    mf.save(path)
    r = R.render_midi(path, 16000, renderer="builtin")
    assert r.seconds == pytest.approx(4.0, abs=0.01)
    assert float(r.waveform[:, int(1.5 * 16000):].abs().max()) == 0.0  # the rest is silent
    assert R.end_of_track(path, 480) == 8 * 480


# ---------------------------------------------------------------- loudness


def test_silence_does_not_divide_by_zero():
    w, lufs = normalize_loudness(torch.zeros(2, 44100), 44100)
    assert math.isnan(lufs) and float(w.abs().max()) == 0.0
    assert math.isnan(measure_loudness(torch.zeros(1, 10), 44100))


def test_measure_loudness_avoids_torchaudio_clamp():
    sr = 44100
    sine = torch.sin(2 * math.pi * 1000 * torch.arange(2 * sr) / sr)[None]
    # a louder copy measures louder by exactly its gain (torchaudio alone clamps at +-1)
    assert abs(measure_loudness(sine * 4.0, sr) - measure_loudness(sine * 0.1, sr) - 20 * math.log10(40)) < 0.01
    assert abs(measure_loudness(sine * 0.1, sr) - (-23.0)) < 0.2  # -20 dBFS, 1 kHz sine: ~ -23 LUFS


@pytest.mark.parametrize("sr", [16000, 44100, 48000])
def test_meter_agrees_with_torchaudio(sr):
    import torchaudio.functional as AF

    g = torch.Generator().manual_seed(0)
    tone = 0.3 * torch.sin(2 * math.pi * 200 * torch.arange(sr) / sr)
    signals = [
        0.1 * torch.randn(2, 2 * sr, generator=g),  # stereo noise
        0.05 * torch.randn(5, sr, generator=g),  # 5 channels (surround weights)
        torch.cat([tone, torch.zeros(2 * sr), 0.01 * torch.randn(sr, generator=g)])[None],  # both gates act
    ]
    for w in signals:
        assert abs(measure_loudness(w, sr) - float(AF.loudness(w, sr))) < 0.01


def test_limiter_keeps_peaks_below_ceiling_and_loudness_on_target():
    sr = 16000
    w = 0.1 * torch.sin(2 * math.pi * 440 * torch.arange(2 * sr) / sr)[None]
    w[0, 12000:12002] = 0.9  # a click 19 dB above the tone: -14 LUFS needs ~9 dB of gain, the click must be limited
    out, lufs = normalize_loudness(w, sr, -14.0, peak_db=-1.0)
    assert peak_db(out) <= -1.0 + 1e-4
    assert abs(measure_loudness(out, sr) - (-14.0)) < 0.5 and abs(lufs - (-14.0)) < 0.5
    # far from the spike the tone is untouched (the limiter acts locally)
    gain = out[0, 2000:8000] / w[0, 2000:8000]
    assert float(gain.std()) < 1e-4
    limited = limit_peaks(torch.tensor([[0.0, 2.0, -3.0, 0.5]]), sr, 0.5)
    assert float(limited.abs().max()) <= 0.5


# ---------------------------------------------------------------- soundfonts


def test_find_soundfont_order(tmp_path, monkeypatch):
    system = fake_soundfont(tmp_path / "system.sf2")
    env = fake_soundfont(tmp_path / "env.sf2")
    explicit = fake_soundfont(tmp_path / "explicit.sf2")
    monkeypatch.setattr(SF, "SYSTEM_SOUNDFONTS", (str(tmp_path / "missing.sf2"), str(tmp_path / "*.sf2")))
    monkeypatch.delenv(SF.SOUNDFONT_ENV, raising=False)
    assert SF.find_soundfont() == env  # first of the glob, sorted: env.sf2 < explicit.sf2 < system.sf2
    monkeypatch.setattr(SF, "SYSTEM_SOUNDFONTS", (str(system),))
    assert SF.find_soundfont() == system
    monkeypatch.setenv(SF.SOUNDFONT_ENV, str(env))
    assert SF.find_soundfont() == env
    assert SF.find_soundfont(explicit) == explicit


def test_broken_system_soundfont_is_passed_over(tmp_path, monkeypatch):
    fake_soundfont(tmp_path / "a_broken.sf2", valid_header=False)
    good = fake_soundfont(tmp_path / "b_good.sf2")
    monkeypatch.setattr(SF, "SYSTEM_SOUNDFONTS", (str(tmp_path / "*.sf2"),))
    monkeypatch.delenv(SF.SOUNDFONT_ENV, raising=False)
    assert SF.find_soundfont() == good


def test_no_soundfont_means_builtin(tmp_path, no_system_soundfont):
    assert SF.find_soundfont() is None
    assert R.render_midi(two_notes(tmp_path), 16000).renderer == R.BUILTIN
    with pytest.raises(StylegenError, match="no soundfont found"):
        R.render_midi(two_notes(tmp_path), 16000, renderer="soundfont")


@pytest.mark.parametrize("kind", ["missing", "directory", "not a soundfont", "truncated"])
def test_bad_soundfont_path_is_one_clear_error(tmp_path, kind):
    path = {
        "missing": tmp_path / "nope.sf2",
        "directory": tmp_path,
        "not a soundfont": fake_soundfont(tmp_path / "text.sf2", valid_header=False),
        "truncated": fake_soundfont(tmp_path / "short.sf2"),
    }[kind]
    with pytest.raises(StylegenError) as err:
        R.render_midi(two_notes(tmp_path), soundfont=path)
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg


def test_broken_soundfont_variable_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(SF.SOUNDFONT_ENV, str(tmp_path / "gone.sf2"))
    with pytest.raises(StylegenError, match="STYLEGEN_SOUNDFONT .*gone.sf2: no such file"):
        SF.find_soundfont()


def test_score_to_symusic_keeps_notes_tempos_and_drums():
    s = score([(0, 4, 60, 80, 0), (4, 8, 64, 90, 0)], tempos=[(0, 100.0), (4, 50.0)],
              drums=[(0, 1, 36, 100, 0)])
    sym = SF.score_to_symusic(s)
    assert sym.ticks_per_quarter == 4
    assert [len(t.notes) for t in sym.tracks] == [2, 1] and [t.is_drum for t in sym.tracks] == [False, True]
    assert [round(t.qpm) for t in sym.tempos] == [100, 50]
    # 1 beat at 100 qpm (0.6 s) + 2 beats at 50 qpm (2.4 s)
    assert abs(sym.to("second").end() - 3.0) < 1e-3


@pytest.mark.skipif(INSTALLED_SOUNDFONT is None, reason="no General MIDI soundfont installed")
def test_two_note_midi_soundfont(tmp_path):
    r = R.render_midi(two_notes(tmp_path), soundfont=INSTALLED_SOUNDFONT)
    assert r.renderer.startswith("soundfont ") and r.waveform.shape[0] == 2
    assert 1.0 <= r.seconds <= 1.0 + R.TAIL_SECONDS  # the instrument's release tail is kept
    assert float(r.waveform.pow(2).mean().sqrt()) > 1e-2
    assert peak_db(r.waveform) <= CEILING_DB + 1e-3
    assert abs(independent_loudness(r.waveform, r.sample_rate) - TARGET) < 1.0
    low = R.render_score(score([(0, 8, 69, 90, 0)]), 16000, soundfont=INSTALLED_SOUNDFONT)  # resampled
    assert low.sample_rate == 16000 and 1.0 <= low.seconds <= 1.0 + R.TAIL_SECONDS


# ---------------------------------------------------------------- input errors, TensorBoard, writing


def test_missing_and_broken_midi_are_clear_errors(tmp_path):
    with pytest.raises(StylegenError, match="no such file"):
        R.render_midi(tmp_path / "nope.mid", renderer="builtin")
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi at all")
    for renderer in ("builtin",) + (("soundfont",) if INSTALLED_SOUNDFONT else ()):
        with pytest.raises(StylegenError, match="not a MIDI file"):
            R.render_midi(bad, renderer=renderer)


def test_render_for_tensorboard_shape_range_and_cut():
    notes = [(4 * b, 4, 60 + b % 12, 80, 0) for b in range(20)]  # 20 beats at 120 qpm: 10 s
    w = R.render_for_tensorboard(score(notes), sample_rate=16000, max_seconds=4.0, renderer="builtin")
    assert w.shape == (1, 4 * 16000) and w.dtype == torch.float32
    assert float(w.abs().max()) <= 1.0
    assert float(w[0, -1].abs()) < 1e-3 and float(w[0, -10:].abs().max()) < 1e-2  # faded out at the cut
    whole = R.render_for_tensorboard(score(notes), sample_rate=16000, max_seconds=None, renderer="builtin")
    assert whole.shape[1] >= 10 * 16000


def test_write_wav_roundtrip_and_atomic(tmp_path):
    w = 0.5 * torch.sin(2 * math.pi * 440 * torch.arange(1600) / 16000).repeat(2, 1)  # (2, 1600)
    path = R.write_audio(tmp_path / "sub" / "x.wav", w, 16000)
    sr, data = scipy.io.wavfile.read(path)
    assert sr == 16000 and data.dtype == np.int16 and data.shape == (1600, 2)
    np.testing.assert_allclose(data[:, 0] / 32767.0, w[0].numpy(), atol=1e-4)
    assert [p.name for p in path.parent.iterdir()] == ["x.wav"]  # no temp file left
    R.write_audio(path, w[:1], 16000, sample_format="float32")
    sr, data = scipy.io.wavfile.read(path)
    assert data.dtype == np.float32 and data.shape == (1600,)
    mode = os.stat(path).st_mode & 0o777
    assert mode == 0o666 & ~_umask()  # the usual permissions, not a temp file's 0600


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old


def test_write_audio_refuses_to_overwrite_and_bad_formats(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(b"keep me")
    with pytest.raises(StylegenError, match="exists"):
        R.write_audio(path, torch.zeros(1, 100), 16000, overwrite=False)
    assert path.read_bytes() == b"keep me"
    with pytest.raises(StylegenError, match="unknown audio format"):
        R.write_audio(tmp_path / "x.mp3", torch.zeros(1, 100), 16000)
    import soundfile  # a dependency: FLAC is always written

    tone = 0.5 * torch.sin(torch.arange(16000) * (2 * math.pi * 440 / 16000)).unsqueeze(0)
    R.write_audio(tmp_path / "x.flac", tone, 16000)
    back, sr = soundfile.read(tmp_path / "x.flac", dtype="float32")
    assert soundfile.info(str(tmp_path / "x.flac")).format == "FLAC" and sr == 16000
    assert np.abs(back - tone[0].numpy()).max() < 1e-4  # 16-bit, lossless
