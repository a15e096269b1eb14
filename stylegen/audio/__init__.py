"""Audio out: MIDI and scores to loudness-normalised WAV/FLAC, with a General MIDI soundfont
(through symusic) when one is installed and a built-in torch synthesiser otherwise.

    from stylegen.audio import render_score, render_midi, write_audio
    r = render_midi("in.mid")                # r.waveform (channels, samples), r.sample_rate, r.renderer
    write_audio("in.wav", r.waveform, r.sample_rate)

See docs/audio.md.  Importing this package is cheap; torchaudio and symusic load on use.
"""

from stylegen.audio.loudness import limit_peaks, measure_loudness, normalize_loudness
from stylegen.audio.render import (
    BUILTIN,
    RENDERERS,
    Rendered,
    audio_format,
    check_output_path,
    find_soundfont,
    render_for_tensorboard,
    render_midi,
    render_score,
    write_audio,
)

__all__ = [
    "BUILTIN", "RENDERERS", "Rendered", "audio_format", "check_output_path", "find_soundfont",
    "limit_peaks", "measure_loudness", "normalize_loudness", "render_for_tensorboard", "render_midi",
    "render_score", "write_audio",
]
