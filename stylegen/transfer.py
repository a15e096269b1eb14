"""Whole-piece style transfer and style-conditioned composition from a checkpoint.

    from stylegen import load
    model = load()                                   # the shipped checkpoints/pop2classical.pt
    music = model.transfer("song.mid", style="classical")          # -> muspy.Music
    score = model.transfer_score(score, style="classical")         # -> Score (no muspy)
    music = model.generate(style="classical", bars=32, seed=7)     # -> muspy.Music

How a piece is transferred (docs/transfer.md has the measurements behind each choice)
-------------------------------------------------------------------------------------
1. Content.  Every non-drum note inside the model's pitch range goes into one roll
   (2, T, P), T = the piece's length in steps; drums never enter it.
2. Style.  The target is a one-hot (or a user's mixture) of the checkpoint's styles;
   ``strength`` < 1 blends it with the named ``source`` style through the generator's
   mixture-weights input: weights = (1 - strength) * source + strength * target.
3. Randomness.  As in training, the only randomness is the generator's noise z (T, Z),
   drawn from a CPU ``torch.Generator`` seeded with ``seed`` for the whole piece at once
   and scaled by ``temperature`` (1 = as trained, 0 = none).  Same seed, same output, on
   any device and for any chunking.
4. Whole pieces.  The LSTM is causal, so it runs once over the whole piece carrying its
   state from chunk to chunk (chunks only bound memory; the result is the same as one
   pass).  There are no windows, hence no seams.
5. Decoding.  A cell is on where sigmoid(logit) > ``threshold`` (0.5 = what the
   discriminator saw in training); onsets and sustains become notes (data/roll.py).
6. Writing back.  The output keeps the input's length, tempo map, time and key signatures
   and drums (unless ``drop_drums``); a note that survives keeps its velocity, a new note
   takes the velocity of the nearest earlier input onset.  Notes outside the pitch range
   pass through unchanged.  One piano track, plus the melody's own track with
   ``keep_melody``.

``keep_melody``: the melody (the track the file names as such, else a skyline top voice)
stays note for note on its own track.  The generator still hears the whole texture, melody
included (as in training), and writes the accompaniment; generated notes that would double
or clash with the melody (sounding with a melody note and within a whole tone of it) are
removed.

This module imports nothing from ``stylegen.training``.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from stylegen.checkpoint import build_model, load_checkpoint
from stylegen.data.midi import DURATION, ONSET, PITCH, TRACK, VELOCITY, Score, TrackInfo, sort_notes
from stylegen.data.roll import RollSpec, in_range, notes_to_roll, roll_to_notes, transfer_velocities
from stylegen.errors import StylegenError

StyleArg = str | Mapping[str, float]

DEFAULT_CHUNK = 2048  # LSTM steps per forward call; bounds memory, does not change the result
MELODY_CLASH = 2  # with keep_melody, generated notes this close to a sounding melody note are removed
PIANO = TrackInfo(name="Piano", program=0)


# --------------------------------------------------------------------------- loading


def default_checkpoint() -> Path:
    """Where the shipped checkpoint lives: ``checkpoints/pop2classical.pt`` in the project."""
    import stylegen

    return Path(stylegen.__file__).resolve().parents[1] / "checkpoints" / "pop2classical.pt"


def pick_device(device: str | torch.device = "cpu") -> torch.device:
    """'cpu', 'cuda', 'cuda:1', 'mps' or 'auto' (CUDA when present) -> a usable device."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise StylegenError(f"unknown device {name!r} (use cpu, cuda, cuda:N, mps or auto)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise StylegenError(f"device {name!r} asked for, but CUDA is not available on this machine")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise StylegenError(f"device {name!r} asked for, but MPS is not available on this machine")
    return dev


def load(checkpoint: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> "Model":
    """Load a generator for transfer and composition.

    ``checkpoint`` is a training checkpoint (``runs/.../checkpoints/best.pt``) or a release
    checkpoint written by ``stylegen export``; ``None`` means the shipped
    ``checkpoints/pop2classical.pt``.  ``device`` is "cpu" (default), "cuda", "cuda:N" or
    "auto".

    Example::

        >>> from stylegen import load
        >>> model = load()                      # doctest: +SKIP
        >>> model.styles                        # doctest: +SKIP
        ['pop', 'classical', 'folk']
    """
    if checkpoint is None:
        path = default_checkpoint()
        if not path.is_file():
            raise StylegenError(
                f"the shipped checkpoint {path} is missing (a source checkout without it, or an "
                "install that left it out): pass a checkpoint, e.g. load('runs/NAME/RUN/checkpoints/best.pt') "
                "or --checkpoint PATH"
            )
    else:
        path = Path(checkpoint)
    dev = pick_device(device)
    ckpt = load_checkpoint(path, kind="gan", map_location="cpu")
    if "generator" not in ckpt["models"] or "generator" not in ckpt["model_config"]:
        raise StylegenError(f"{path}: the checkpoint holds no generator")
    # release checkpoints may store float16 weights: compute in float32
    ckpt = dict(ckpt, models={"generator": {k: (v.float() if v.is_floating_point() else v)
                                            for k, v in ckpt["models"]["generator"].items()}})
    generator = build_model(ckpt, "generator")
    spec = RollSpec.from_dict(ckpt["spec"])
    styles = list(ckpt["styles"])
    if getattr(generator, "n_pitches", spec.n_pitches) != spec.n_pitches or \
            getattr(generator, "n_styles", len(styles)) != len(styles):
        raise StylegenError(f"{path}: the generator does not match the checkpoint's roll spec or styles")
    data = (ckpt.get("recipe") or {}).get("data") or {}
    window = int(data.get("window_bars", 4)) * 4 * spec.resolution  # the training window, in steps
    info = {
        "path": str(path),
        "window": window,
        "step": ckpt.get("step"),
        "metrics": dict(ckpt.get("metrics") or {}),
        "recipe": (ckpt.get("recipe") or {}).get("name", ""),
        "version": ckpt.get("version"),
    }
    return Model(generator, spec, styles, device=dev, info=info)


# --------------------------------------------------------------------------- small pieces


_MIX_RE = re.compile(r"^\s*([^=:,\s]+)\s*[=:]\s*([0-9.eE+-]+)\s*$")


def parse_style(style: StyleArg, styles: list[str]) -> np.ndarray:
    """A style name, a mixture ``{"classical": 0.7, "folk": 0.3}`` or its string form
    ``"classical=0.7,folk=0.3"`` -> weights (S,) summing to 1, in checkpoint order."""
    if style is None or (isinstance(style, str) and not style.strip()):
        raise StylegenError(f"no style given (known: {', '.join(styles)})")
    if isinstance(style, str):
        if "=" in style or ":" in style:
            mix: dict[str, float] = {}
            for part in style.split(","):
                m = _MIX_RE.match(part)
                if not m:
                    raise StylegenError(f"cannot read style mixture {style!r} (write it as classical=0.7,folk=0.3)")
                try:
                    mix[m.group(1)] = mix.get(m.group(1), 0.0) + float(m.group(2))
                except ValueError:
                    raise StylegenError(f"cannot read the weight {m.group(2)!r} in style mixture {style!r}") from None
            style = mix
        else:
            style = {style.strip(): 1.0}
    w = np.zeros(len(styles), dtype=np.float64)
    lower = {s.lower(): i for i, s in enumerate(styles)}
    for name, weight in style.items():
        i = lower.get(str(name).lower())
        if i is None:
            raise StylegenError(f"unknown style {name!r} (known: {', '.join(styles)})")
        if not np.isfinite(weight) or weight < 0:
            raise StylegenError(f"style weight for {name!r} must be a non-negative number, got {weight!r}")
        w[i] += float(weight)
    if w.sum() <= 0:
        raise StylegenError("a style mixture needs a positive weight")
    return w / w.sum()


def style_weights(styles: list[str], style: StyleArg, source: StyleArg | None = None,
                  strength: float = 1.0) -> np.ndarray:
    """The generator's style input (S,): ``(1 - strength) * source + strength * style``.

    ``strength`` < 1 needs ``source`` (the model cannot know which style a piece is in, and
    a wrong guess would blend towards the wrong style)."""
    try:
        strength = float(strength)
    except (TypeError, ValueError):
        raise StylegenError(f"strength must be a number in 0..1, got {strength!r}") from None
    if not 0.0 <= strength <= 1.0:
        raise StylegenError(f"strength must be in 0..1, got {strength:g}")
    target = parse_style(style, styles)
    if source is None:
        if strength < 1.0:
            raise StylegenError(
                f"strength {strength:g} blends from the piece's own style towards the target: name it with "
                f"source= / --source (one of: {', '.join(styles)})"
            )
        return target
    return (1.0 - strength) * parse_style(source, styles) + strength * target


NOISE_BLOCK = 256  # steps of noise drawn at a time


def make_noise(length: int, noise_dim: int, seed: int | None = None, temperature: float = 1.0) -> torch.Tensor:
    """The generator's noise for a whole piece, (1, T, Z), from a CPU generator seeded with
    ``seed`` (a fresh random seed when None), times ``temperature``.

    Drawn in fixed blocks, so a longer piece's noise starts with a shorter one's: with the
    causal generator, the first 8 of 16 generated bars are the 8 bars of the same seed."""
    try:
        temperature = float(temperature)
    except (TypeError, ValueError):
        raise StylegenError(f"temperature must be a number >= 0, got {temperature!r}") from None
    if not np.isfinite(temperature) or temperature < 0:
        raise StylegenError(f"temperature must be >= 0, got {temperature:g}")
    g = torch.Generator()
    if seed is None:
        g.seed()
    else:
        g.manual_seed(int(seed))
    blocks = [torch.randn(NOISE_BLOCK, noise_dim, generator=g) for _ in range(-(-int(length) // NOISE_BLOCK))]
    noise = torch.cat(blocks)[:length] if blocks else torch.zeros(0, noise_dim)
    return noise[None] * temperature


def check_threshold(threshold: float) -> float:
    """``threshold`` as a float strictly inside (0, 1), else a StylegenError."""
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise StylegenError(f"threshold must be a number between 0 and 1, got {threshold!r}") from None
    if not 0.0 < t < 1.0:
        raise StylegenError(f"threshold must be strictly between 0 and 1, got {threshold!r}")
    return t


def skyline(notes: np.ndarray) -> np.ndarray:
    """Boolean mask of the top voice of ``notes`` (N, 5): at each onset the highest note
    (the longest among equals), unless a higher top-voice note is still sounding.

    >>> n = np.array([[0, 4, 60, 80, 0], [0, 4, 67, 80, 0], [4, 2, 64, 80, 0], [5, 1, 62, 80, 0]])
    >>> skyline(n).tolist()
    [False, True, True, False]
    """
    mask = np.zeros(len(notes), dtype=bool)
    if len(notes) == 0:
        return mask
    # highest pitch first within each onset, then the longest
    order = np.lexsort((-notes[:, DURATION], -notes[:, PITCH], notes[:, ONSET]))
    onsets = notes[order, ONSET]
    first = np.flatnonzero(np.r_[True, onsets[1:] != onsets[:-1]])
    top_end, top_pitch = -1, -1
    for i in order[first]:
        on, dur, pitch = int(notes[i, ONSET]), int(notes[i, DURATION]), int(notes[i, PITCH])
        if on < top_end and pitch < top_pitch:
            continue  # under a held top-voice note
        mask[i] = True
        top_end, top_pitch = on + dur, pitch
    return mask


def melody_mask(score: Score) -> tuple[np.ndarray, str]:
    """The melody's notes: the track the file names as the melody (pop909's MELODY, a
    'Vocal' or 'Lead' track), else the skyline top voice of all notes.  Returns the mask
    and how it was found ("track NAME" or "skyline")."""
    mt = score.melody_track
    if mt is not None:
        mask = score.notes[:, TRACK] == mt
        if mask.any():
            return mask, f"track {score.tracks[mt].name!r}"
    return skyline(score.notes), "skyline"


def clear_melody_lane(notes: np.ndarray, melody: np.ndarray, length: int, clash: int = MELODY_CLASH) -> np.ndarray:
    """Mask of the ``notes`` to keep: those that never sound together with a melody note
    within ``clash`` semitones of it (a unison doubles it, a second rubs against it)."""
    keep = np.ones(len(notes), dtype=bool)
    if len(notes) == 0 or len(melody) == 0:
        return keep
    T = max(int(length), int((notes[:, ONSET] + notes[:, DURATION]).max()),
            int((melody[:, ONSET] + melody[:, DURATION]).max()))
    # near[t, p]: a melody note within `clash` semitones of pitch p sounds at step t
    near = np.zeros((T + 1, 128 + 2 * clash), dtype=np.int32)
    for on, dur, pitch in melody[:, [ONSET, DURATION, PITCH]].tolist():
        near[on:on + dur, pitch:pitch + 2 * clash + 1] = 1
    near = near[:, clash:clash + 128]
    cum = np.zeros((T + 2, 128), dtype=np.int32)
    np.cumsum(near, axis=0, out=cum[1:])
    starts = notes[:, ONSET].astype(np.int64)
    ends = np.maximum(starts + 1, starts + notes[:, DURATION])
    p = notes[:, PITCH].astype(np.int64)
    return cum[ends, p] - cum[starts, p] == 0


def _metric_velocities(notes: np.ndarray, resolution: int, beats_per_bar: int) -> np.ndarray:
    """Velocities for notes with no input to copy from: 72, +10 on a downbeat, +5 on a beat."""
    notes = notes.copy()
    on = notes[:, ONSET]
    bar = resolution * beats_per_bar
    notes[:, VELOCITY] = 72 + 10 * (on % bar == 0) + 5 * ((on % resolution == 0) & (on % bar != 0))
    return notes


def _bar_length(score: Score) -> int:
    """Steps per bar of the last (trusted) time signature, 4 beats when none."""
    sigs = score.trusted_time_signatures()
    _, num, den = sigs[-1] if sigs else (0, 4, 4)
    return max(1, round(num * 4 / den * score.resolution))


# --------------------------------------------------------------------------- the model


class Model:
    """A loaded generator: transfer pieces to a style, or compose in one.

    Make one with :func:`load`.  ``styles`` lists the style names, ``spec`` the roll grid,
    ``info`` the checkpoint's path, step and metrics.
    """

    def __init__(self, generator: torch.nn.Module, spec: RollSpec, styles: list[str],
                 device: torch.device | str = "cpu", info: dict | None = None, chunk: int = DEFAULT_CHUNK,
                 threads: int | None = 1):
        self.generator = generator.to(device).eval()
        self.spec = spec
        self.styles = list(styles)
        self.device = torch.device(device)
        self.info = dict(info or {})
        self.chunk = int(chunk)
        # CPU threads for the forward pass (None: torch's setting).  One piece is a batch of
        # one: each LSTM step is a few tiny matrix products, and a second thread only adds
        # synchronisation (measured: 0.14 s with 1 thread, 0.3-1.1 s with 2, for a 291-beat song)
        self.threads = threads

    def __repr__(self) -> str:
        where = self.info.get("path", "?")
        step = self.info.get("step")
        return (f"<stylegen Model {where}: styles {', '.join(self.styles)}"
                f"{f'; step {step}' if step is not None else ''}; {self.device}>")

    # ------------------------------------------------------------ the forward pass

    @torch.inference_mode()
    def logits(self, content: torch.Tensor, weights: np.ndarray | torch.Tensor, noise: torch.Tensor,
               state=None) -> tuple[torch.Tensor, Any]:
        """Run the generator over a whole roll, carrying the LSTM state between chunks.

        content (C, T, P) in [0, 1], weights (S,), noise (1, T, Z) -> logits (C, T, P) on
        the CPU, and the final LSTM state (to continue from)."""
        G = self.generator
        C, T, P = content.shape
        w = torch.as_tensor(np.asarray(weights, dtype=np.float32)).reshape(1, -1).to(self.device)
        out = torch.empty(C, T, P, dtype=torch.float32)
        saved = torch.get_num_threads()
        if self.threads and self.device.type == "cpu" and saved != self.threads:
            torch.set_num_threads(self.threads)
        try:
            for lo in range(0, T, self.chunk):
                hi = min(T, lo + self.chunk)
                x = content[:, lo:hi].to(self.device, torch.float32)[None]  # (1, C, t, P)
                z = noise[:, lo:hi].to(self.device, torch.float32)  # (1, t, Z)
                y, state = G(x, w, noise=z, state=state)  # (1, C, t, P)
                out[:, lo:hi] = y[0].float().cpu()
        finally:
            if torch.get_num_threads() != saved:
                torch.set_num_threads(saved)
        return out, state

    def windowed_logits(self, content: torch.Tensor, weights: np.ndarray | torch.Tensor,
                        noise: torch.Tensor, window: int | None = None) -> torch.Tensor:
        """Run the generator as it was trained: windows of the training length from a zero
        state, with a hop of half a window; each step's logits come from the second half of
        the window that covers it (the first window also gives its first half), so every
        step has at least half a window of context and the LSTM never runs longer than in
        training.  All windows go through one batched forward pass.

        content (C, T, P), weights (S,), noise (1, T, Z) -> logits (C, T, P) on the CPU."""
        G = self.generator
        C, T, P = content.shape
        W = int(window or self.info.get("window") or 64)
        H = max(1, W // 2)
        n_blocks = max(1, -(-T // H))
        starts = [max(0, (k + 1) * H - W) for k in range(n_blocks)]  # run k covers [start, start + W)
        pad = max(0, starts[-1] + W - T)
        x = torch.nn.functional.pad(content.float(), (0, 0, 0, pad))  # (C, T + pad, P)
        z = torch.nn.functional.pad(noise.float(), (0, 0, 0, pad))  # (1, T + pad, Z)
        xs = torch.stack([x[:, a:a + W] for a in starts])  # (K, C, W, P)
        zs = torch.cat([z[:, a:a + W] for a in starts])  # (K, W, Z)
        w = torch.as_tensor(np.asarray(weights, dtype=np.float32)).reshape(1, -1).expand(len(starts), -1)
        saved = torch.get_num_threads()
        if self.threads and self.device.type == "cpu" and saved != self.threads:
            torch.set_num_threads(self.threads)
        try:
            y, _ = G(xs.to(self.device), w.to(self.device), noise=zs.to(self.device))  # (K, C, W, P)
        finally:
            if torch.get_num_threads() != saved:
                torch.set_num_threads(saved)
        y = y.float().cpu()
        out = torch.empty(C, T + pad, P, dtype=torch.float32)
        for k, a in enumerate(starts):
            lo, hi = k * H, (k + 1) * H  # the block this run is responsible for
            out[:, lo:hi] = y[k, :, lo - a:hi - a]
        return out[:, :T]

    def _decode(self, logits: torch.Tensor, threshold: float, offset: int = 0) -> np.ndarray:
        roll = torch.sigmoid(logits) > threshold  # (C, T, P) bool
        return roll_to_notes(roll, self.spec, offset=offset)

    def _check_grid(self, score: Score) -> None:
        if score.resolution != self.spec.resolution:
            raise StylegenError(
                f"the piece is on a grid of {score.resolution} steps per beat, this model works on "
                f"{self.spec.resolution}: read it with load_music(path, model.spec.resolution)"
            )

    # ------------------------------------------------------------ transfer

    def transfer_score(
        self,
        score: Score,
        style: StyleArg = "classical",
        *,
        source: StyleArg | None = None,
        strength: float = 1.0,
        seed: int | None = 0,
        temperature: float = 1.0,
        threshold: float = 0.5,
        keep_melody: bool = False,
        drop_drums: bool = False,
        context: str = "carry",
    ) -> Score:
        """Re-write a :class:`Score` in ``style``; returns a Score of the same length, tempo
        map, meter, keys and (unless ``drop_drums``) drums.

        ``style`` is a style name or a mixture ``{"classical": 0.7, "folk": 0.3}``;
        ``strength`` (0..1) blends from ``source`` (the piece's own style) to ``style``;
        ``seed`` fixes the noise (None: fresh randomness); ``temperature`` scales it;
        ``threshold`` decodes probabilities to notes; ``keep_melody`` keeps the melody note
        for note on its own track.  ``context``: "carry" (default) runs the generator once over
        the whole piece carrying the LSTM state (streamable, seam-free); "window" runs it on
        overlapping windows of its training length (:meth:`windowed_logits`).  On the release
        checkpoint both score the same (docs/transfer.md).

        Example::

            >>> from stylegen import load
            >>> from stylegen.data.midi import read_score
            >>> model = load()                                                    # doctest: +SKIP
            >>> score = read_score("song.mid", model.spec.resolution)             # doctest: +SKIP
            >>> out = model.transfer_score(score, "classical", keep_melody=True)  # doctest: +SKIP
            >>> out.n_beats == score.n_beats                                      # doctest: +SKIP
            True
        """
        self._check_grid(score)
        weights = style_weights(self.styles, style, source, strength)
        threshold = check_threshold(threshold)
        notes, spec, T = score.notes, self.spec, int(score.length)
        mel, how = melody_mask(score) if keep_melody else (np.zeros(len(notes), dtype=bool), "")
        inside = in_range(notes, spec)
        content = torch.from_numpy(notes_to_roll(notes[inside], spec, 0, T))  # (C, T, P) bool, melody included
        noise = make_noise(T, self.generator.noise_dim, seed, temperature)
        if context == "window":
            logits = self.windowed_logits(content, weights, noise)
        elif context == "carry":
            logits, _ = self.logits(content, weights, noise)
        else:
            raise StylegenError(f"context must be 'window' or 'carry', got {context!r}")
        out = self._decode(logits, threshold)
        # velocities: copied where a note survives, else from the nearest earlier onset of the
        # accompaniment (the melody is usually louder than what is written under it)
        template = notes[inside & ~mel] if (inside & ~mel).any() else notes[inside]
        out = transfer_velocities(out, template)
        melody = notes[mel]
        if keep_melody:
            out = out[clear_melody_lane(out, melody, T)]
        passthrough = notes[~inside & ~mel]  # outside the model's pitch range: kept as they are
        parts, tracks = [], []
        if keep_melody and len(melody):
            info = score.tracks[score.melody_track] if how.startswith("track") else TrackInfo("Melody", 0)
            tracks.append(TrackInfo(name=info.name or "Melody", program=info.program, is_melody=True))
            m = melody.copy()
            m[:, TRACK] = 0
            parts.append(m)
        piano_index = len(tracks)
        tracks.append(replace(PIANO))
        for part in (out, passthrough):
            part = part.copy()
            part[:, TRACK] = piano_index
            parts.append(part)
        result = score.with_notes(np.concatenate(parts) if parts else np.zeros((0, 5), np.int32), tracks=tracks)
        result.length = T
        if drop_drums:
            result.drums = np.zeros((0, 5), np.int32)
            result.drum_tracks = []
        return result

    def transfer(self, music_or_path, style: StyleArg = "classical", **options):
        """Re-write a piece (a ``muspy.Music`` or a MIDI path) in ``style``; returns a
        ``muspy.Music``.  Options as :meth:`transfer_score` (``source``, ``strength``,
        ``seed``, ``temperature``, ``threshold``, ``keep_melody``, ``drop_drums``).
        A ``muspy.Music`` ends at its last event: to keep a final rest in a file, use
        :meth:`transfer_file`.

        Example::

            >>> from stylegen import load
            >>> model = load()                                                          # doctest: +SKIP
            >>> music = model.transfer("song.mid", style="classical", seed=1)           # doctest: +SKIP
            >>> music.write("song.classical.mid")                                       # doctest: +SKIP
            >>> half = model.transfer("song.mid", "classical", source="pop", strength=0.5)  # doctest: +SKIP
        """
        from stylegen.data.midi import load_music, score_to_music

        score = load_music(music_or_path, self.spec.resolution)
        out = self.transfer_score(score, style, **options)
        return score_to_music(out, include_drums=not options.get("drop_drums", False))

    def transfer_file(self, src: str | os.PathLike, dst: str | os.PathLike, style: StyleArg = "classical",
                      **options) -> Score:
        """Read MIDI file ``src``, transfer it and write ``dst`` (atomically, ending at the
        input's length); returns the output Score.  Reads and writes without muspy (fast).

        Example::

            >>> load().transfer_file("song.mid", "song.classical.mid", "classical")  # doctest: +SKIP
        """
        score = read_midi(src, self.spec.resolution)
        out = self.transfer_score(score, style, **options)
        from stylegen.data.fastmidi import write_score_fast

        write_score_fast(out, dst, include_drums=not options.get("drop_drums", False))
        return out

    # ------------------------------------------------------------ composition

    def generate_score(
        self,
        style: StyleArg = "classical",
        bars: int = 32,
        *,
        seed: int | None = None,
        primer: Score | None = None,
        temperature: float = 1.0,
        threshold: float = 0.5,
        tempo: float | None = None,
        beats_per_bar: int = 4,
    ) -> Score:
        """Compose ``bars`` bars in ``style`` from noise alone, or continue ``primer``.

        Without a primer the piece is in ``beats_per_bar``/4 at ``tempo`` (120 qpm when
        None).  With a primer, the generator first reads the primer (carrying its LSTM
        state), then composes ``bars`` new bars from the primer's next bar line on; the
        result is the primer, unchanged, followed by the new bars on a piano track, with the
        primer's tempo map, meter and keys.

        Example::

            >>> from stylegen import load
            >>> score = load().generate_score("classical", bars=8, seed=7)   # doctest: +SKIP
            >>> score.n_beats                                                # doctest: +SKIP
            32.0
        """
        try:
            bars = int(bars)
        except (TypeError, ValueError):
            raise StylegenError(f"bars must be a whole number, got {bars!r}") from None
        if bars < 1:
            raise StylegenError(f"bars must be at least 1, got {bars}")
        weights = style_weights(self.styles, style)
        threshold = check_threshold(threshold)
        spec, res = self.spec, self.spec.resolution
        if primer is None:
            if beats_per_bar < 1:
                raise StylegenError(f"beats per bar must be at least 1, got {beats_per_bar}")
            qpm = 120.0 if tempo is None else float(tempo)
            if not (np.isfinite(qpm) and 1.0 <= qpm <= 1000.0):
                raise StylegenError(f"tempo must be between 1 and 1000 quarter notes per minute, got {tempo!r}")
            bar = beats_per_bar * res
            T = bars * bar
            noise = make_noise(T, self.generator.noise_dim, seed, temperature)
            content = torch.zeros(spec.n_channels, T, spec.n_pitches)
            logits, _ = self.logits(content, weights, noise)
            notes = _metric_velocities(self._decode(logits, threshold), res, beats_per_bar)
            return Score(resolution=res, notes=sort_notes(notes), tracks=[replace(PIANO)], length=T,
                         tempos=[(0, qpm)], time_signatures=[(0, beats_per_bar, 4)], title="")

        self._check_grid(primer)
        bar = _bar_length(primer)
        starts = primer.bar_starts()
        start = int(starts[-1]) if len(starts) else 0
        while start < primer.length:
            start += bar  # the first bar line at or after the primer's end
        T = start + bars * bar
        inside = in_range(primer.notes, spec)
        content = torch.zeros(spec.n_channels, T, spec.n_pitches)
        content[:, :primer.length] = torch.from_numpy(notes_to_roll(primer.notes[inside], spec, 0, primer.length))
        noise = make_noise(T, self.generator.noise_dim, seed, temperature)
        # the primer sets the LSTM state; its own re-write is discarded
        logits, _ = self.logits(content, weights, noise)
        new = self._decode(logits[:, start:], threshold, offset=start)
        tail = primer.notes[primer.notes[:, ONSET] >= max(0, start - bar)]
        vel = int(np.median(tail[:, VELOCITY])) if len(tail) else 80
        new[:, VELOCITY] = vel
        new[:, TRACK] = len(primer.tracks)
        out = primer.with_notes(np.concatenate([primer.notes, new]), tracks=[*primer.tracks, replace(PIANO)])
        out.length = T
        return out

    def generate(self, style: StyleArg = "classical", bars: int = 32, seed: int | None = None,
                 primer=None, **options):
        """Compose ``bars`` bars in ``style`` (continuing ``primer``, a path or a
        ``muspy.Music``, when given); returns a ``muspy.Music``.  Same seed, same piece.
        Options as :meth:`generate_score` (``temperature``, ``threshold``, ``tempo``,
        ``beats_per_bar``).

        Example::

            >>> from stylegen import load
            >>> music = load().generate(style="classical", bars=32, seed=7)   # doctest: +SKIP
            >>> music.write("new.mid")                                        # doctest: +SKIP
        """
        from stylegen.data.midi import load_music, score_to_music

        p = load_music(primer, self.spec.resolution) if primer is not None else None
        return score_to_music(self.generate_score(style, bars, seed=seed, primer=p, **options))


def read_midi(path: str | os.PathLike, resolution: int) -> Score:
    """Read a MIDI file for transfer (the fast mido reader; StylegenError when unusable)."""
    from stylegen.data.fastmidi import read_score_fast
    from stylegen.data.midi import SkipFile

    path = Path(path)
    if not path.exists():
        raise StylegenError(f"{path}: no such file")
    if path.is_dir():
        raise StylegenError(f"{path}: is a folder, not a MIDI file")
    try:
        return read_score_fast(path, resolution)
    except SkipFile as e:
        raise StylegenError(f"{path}: {e}") from None


__all__ = ["Model", "load", "default_checkpoint", "parse_style", "style_weights", "make_noise", "check_threshold",
           "skyline",
           "melody_mask", "clear_melody_lane", "read_midi", "pick_device"]
