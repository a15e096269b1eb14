"""Whole-piece style transfer and composition from a checkpoint: where a checkpoint becomes MIDI.

    from stylegen import load
    model = load()                                                  # the shipped checkpoints/pop2classical.pt
    music = model.transfer("song.mid", style="classical")           # -> muspy.Music
    model.transfer_file("song.mid", "song.classical.mid", style="classical")
    score = model.transfer_score(score, style="classical")          # -> Score (no muspy)
    music = model.generate(style="classical", bars=32, seed=7)      # -> muspy.Music

How a piece is transferred (docs/transfer.md has the shapes and the measurements)
---------------------------------------------------------------------------------
1. The piece stays on its own grid (a file: its own ticks per beat); a copy on the model's
   16th grid gives the generator what the piece *is*: the content features of the whole
   piece (the harmony of each block, ``data/content.py``: the pitch-class set of each bar
   with the shipped checkpoint; the position in the bar from the piece's own bar lines),
   (T, D).  Drums never enter.
2. The melody (the track the file names as such, else the top voice) is clamped: the
   generator is made to write it, and silence above it, so every later step hears it.
   ``free_melody=True`` lets the generator write the melody too.
3. One causal pass of the generator's ``sample`` over the whole piece (any length: no windows,
   no seams, no restarts), guided towards the style with scale ``strength``
   (0 = no style, 1 = as trained, > 1 stronger), at ``temperature``, from a random
   generator seeded with ``seed``.
4. Written back: the input's own melody notes (original ticks, durations, velocities) on
   their own track, the generator's notes on a piano track (velocities from the input's
   accompaniment), notes outside the model's range unchanged; tempo map, meter, keys,
   drums and the length (a final rest included) of the input.

A bare melody (one monophonic line, ``inference.harmony.is_bare_melody``, or
``melody_only=True``) has no harmony of its own to give: when the checkpoint has a harmony
model, the content's harmony is planned by it from the melody (``inference/harmony.py``),
and the melody is kept as above.  Composition (``inference/compose.py``) plans the harmony of
a form first (each new section once, repeated where its letter comes back), then the
generator writes melody and accompaniment over it.

This module puts ``stylegen/inference/`` together and reads and writes files; it imports
nothing from ``stylegen.training``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

import torch

from stylegen.checkpoint import build_model, check_harmony_fits, harmony_part, load_checkpoint
from stylegen.data.content import ContentSpec, bar_positions, melody_mask
from stylegen.data.fastmidi import midi_length_beats, write_score_fast
from stylegen.data.midi import SkipFile, music_to_score, read_score, score_to_music
from stylegen.data.roll import RollSpec, in_range
from stylegen.data.score import Score, TrackInfo
from stylegen.device import pick_device
from stylegen.errors import StylegenError
from stylegen.inference.compose import compose, continue_primer, plan_new
from stylegen.inference.harmony import is_bare_melody, plan_accompaniment, resolve_form
from stylegen.inference.options import (
    DEFAULT_STRENGTH, StyleArg, check_bars, check_strength, check_temperature, make_generator, parse_style,
    style_input,
)
from stylegen.inference.pieces import Prepared, bar_lines, finish, prepare
from stylegen.inference.sampling import sample_seeded
from stylegen.shipped import shipped_path

BATCH_SIZE = 32  # pieces per sample() call in folder transfer (benchmarks/README.md measured 8, 16, 32)
# The harmony model's sampling temperature when it harmonises a bare melody (benchmarks/README.md, "harmony")
ACCOMPANY_TEMPERATURE = 0.0  # the most likely set at each block: the best chord-root agreement with the real
# songs of 30 pop909 validation melodies among 0, 0.5 and 1 (39.5%, 35.7%, 26.1%; benchmarks/README.md, "Harmony")
# What transfer says about the harmony it gave the generator (Model.harmony_source)
HARMONY_SOURCES = {
    "input": "the input's own notes",
    "planned": "planned by the harmony model from the melody",
    "melody": "the melody's own pitch classes (this checkpoint has no harmony model)",
}


# --------------------------------------------------------------------------- loading


def default_checkpoint() -> Path:
    """Where the shipped checkpoint lives: inside an installed package, else
    ``checkpoints/pop2classical.pt`` in the project."""
    return shipped_path("pop2classical.pt")


def load(checkpoint: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> "Model":
    """Load a generator for transfer and composition.

    ``checkpoint`` is a training checkpoint (``runs/.../checkpoints/best.pt``) or a release
    checkpoint written by ``stylegen export``; ``None`` means the shipped
    ``checkpoints/pop2classical.pt``.  ``device`` is "cpu" (default), "cuda", "cuda:N",
    "mps" or "auto".

    Example::

        >>> from stylegen import load
        >>> model = load()                      # doctest: +SKIP
        >>> model.styles                        # doctest: +SKIP
        ['pop', 'classical', 'chorale', 'folk']
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
    if "generator" not in ckpt.get("models", {}) or "generator" not in ckpt.get("model_config", {}):
        raise StylegenError(f"{path}: the checkpoint holds no generator")
    if "content" not in ckpt:
        raise StylegenError(f"{path}: a checkpoint of the old frame-wise generator (it has no content spec); "
                            "this version needs a texture-generator checkpoint: train one or use the shipped one")
    # release checkpoints may store float16 weights: compute in float32
    ckpt = dict(ckpt, models={name: {k: (v.float() if v.is_floating_point() else v) for k, v in weights.items()}
                              for name, weights in ckpt["models"].items() if name in ("generator", "harmony")})
    try:
        generator = build_model(ckpt, "generator")
    except KeyError as e:
        why = e.args[0] if e.args else e
        if ckpt["model_config"]["generator"].get("name") == "texture":  # the generator before the planned one
            why = "it is the earlier 'texture' generator, replaced by 'planned': train the recipe again with this version"
        raise StylegenError(f"{path}: cannot rebuild its generator ({why})") from None
    spec = RollSpec.from_dict(ckpt["spec"])
    cspec = ContentSpec.from_dict(ckpt["content"])
    styles = list(ckpt["styles"])
    if not hasattr(generator, "sample") or getattr(generator, "n_pitches", None) != spec.n_pitches or \
            getattr(generator, "n_styles", None) != len(styles) or \
            getattr(generator, "content_dim", None) != cspec.dim:
        raise StylegenError(f"{path}: the generator does not match the checkpoint's roll spec, content spec or styles")
    harmony = None
    part = harmony_part(ckpt)
    if part is not None:  # optional: checkpoints without it compose and transfer as before
        check_harmony_fits(ckpt, part[2], str(path))
        try:
            harmony = build_model(ckpt, "harmony")
        except KeyError as e:
            raise StylegenError(f"{path}: cannot rebuild its harmony model ({e.args[0] if e.args else e})") from None
    info = {
        "path": str(path),
        "step": ckpt.get("step"),
        "metrics": dict(ckpt.get("metrics") or {}),
        "recipe": (ckpt.get("recipe") or {}).get("name", ""),
        "version": ckpt.get("version"),
        "harmony": part[2] if part is not None else None,
    }
    return Model(generator, spec, cspec, styles, device=dev, info=info, harmony=harmony)


def read_midi(path: str | os.PathLike, resolution: int | None = None) -> Score:
    """Read a MIDI file for transfer: on its own grid (its ticks per beat: nothing is
    rounded) when ``resolution`` is None, else on a grid of ``resolution`` steps per beat;
    the length is the file's last event, so a final rest is kept.  StylegenError (naming
    the file) when it cannot be used."""
    path = Path(path)
    if not path.exists():
        raise StylegenError(f"{path}: no such file")
    if path.is_dir():
        raise StylegenError(f"{path}: is a folder, not a MIDI file")
    try:
        if resolution is None:
            with open(path, "rb") as f:
                head = f.read(14)
            division = int.from_bytes(head[12:14], "big") if len(head) >= 14 and head[:4] == b"MThd" else 0
            # SMPTE time (top bit) or 0: the reader refuses the file with its own reason
            resolution = division if 0 < division < 0x8000 else 4
        score = read_score(path, resolution)
        try:
            end = round(midi_length_beats(path) * score.resolution)
        except Exception:  # the reader accepted the file: its notes' end is the length
            end = 0
    except SkipFile as e:
        raise StylegenError(f"{path}: {e}") from None
    score.length = max(int(score.length), int(end))
    return score


def load_music(music_or_path, resolution: int) -> Score:
    """A Score from what the API accepts: a MIDI path (:func:`read_midi`, on the file's own
    grid) or a ``muspy.Music`` (on its own resolution; ``resolution`` when it has none;
    the caller's object is not re-timed).  StylegenError naming the file when a path
    cannot be used."""
    if isinstance(music_or_path, (str, os.PathLike)):
        return read_midi(music_or_path)
    return music_to_score(music_or_path, int(getattr(music_or_path, "resolution", resolution)))


# --------------------------------------------------------------------------- the model


class Model:
    """A loaded generator: transfer pieces to a style, or compose in one.

    Make one with :func:`load`.  ``styles`` lists the style names, ``spec`` the roll grid,
    ``content_spec`` the content features, ``info`` the checkpoint's path, step and metrics.
    ``threads``: CPU threads of the step loop (1 is fastest, see benchmarks/README.md);
    ``batch_size``: pieces per pass when several are transferred at once.  ``harmony``: the
    checkpoint's harmony model (None when it has none: composition then withholds the
    harmony, and a bare melody is its own harmony, as before the harmony model).
    """

    def __init__(self, generator: torch.nn.Module, spec: RollSpec, content_spec: ContentSpec, styles: list[str],
                 device: torch.device | str = "cpu", info: dict | None = None, threads: int | None = 1,
                 batch_size: int = BATCH_SIZE, harmony: torch.nn.Module | None = None):
        self.generator = generator.to(device).eval()
        self.harmony = harmony.cpu().eval() if harmony is not None else None  # tiny: it plans on the CPU
        self._said_no_harmony = False
        self.spec = spec
        self.content_spec = content_spec
        self.styles = list(styles)
        self.device = torch.device(device)
        self.info = dict(info or {})
        self.threads = threads
        self.batch_size = max(1, int(batch_size))

    def __repr__(self) -> str:
        return f"Model(styles={self.styles}, checkpoint={self.info.get('path', '?')!r}, device={self.device})"

    def _sample(self, prepared: list, style: torch.Tensor, strength: float, temperature: float, seed: int | None,
                state=None, first=None) -> list[torch.Tensor]:
        return sample_seeded(self.generator, prepared, style, strength=strength, temperature=temperature, seed=seed,
                             device=self.device, threads=self.threads, state=state, first=first)

    # ------------------------------------------------------------ transfer

    def harmony_source(self, score: Score, melody_only: bool | None = None) -> str:
        """Which harmony transfer gives the generator for ``score``: "input" (its own notes),
        "planned" (a bare melody, harmonised by the harmony model) or "melody" (a bare
        melody and no harmony model: its own pitch classes).  ``melody_only`` None: detect a
        bare melody (:func:`stylegen.inference.harmony.is_bare_melody`); True: treat the
        piece's melody as all there is (its other notes are left out); False: never."""
        bare = is_bare_melody(score, self.spec.resolution) if melody_only is None else bool(melody_only)
        if not bare:
            return "input"
        return "planned" if self.harmony is not None else "melody"

    def _melody_only(self, score: Score) -> Score:
        """The piece with only its melody (the named track, else the top voice)."""
        mask, _ = melody_mask(score)
        return score.with_notes(score.notes[mask])

    def transfer_scores(self, scores: list[Score], style: StyleArg = "classical", *,
                        strength: float = DEFAULT_STRENGTH, seed: int | None = 0, temperature: float = 1.0,
                        free_melody: bool = False, drop_drums: bool = False,
                        melody_only: bool | None = None) -> list[Score]:
        """Transfer several pieces in ONE pass of the generator (padded to the longest);
        options as :meth:`transfer_score`.  A batch shares one random generator, so a piece
        transferred in a batch differs from the same piece transferred alone (each is
        reproducible for the same batch and seed)."""
        if not scores:
            return []
        weights = parse_style(style, self.styles)
        strength, temperature = check_strength(strength), check_temperature(temperature)
        if melody_only and free_melody:
            raise StylegenError("melody_only keeps the melody and harmonises it: it cannot go with free_melody")
        sources = [self.harmony_source(s, melody_only) for s in scores]
        if melody_only:
            scores = [self._melody_only(s) for s in scores]
        s_in = style_input(weights)
        with torch.inference_mode():
            prepared = [prepare(s, self.spec, self.content_spec, keep_melody=not free_melody) for s in scores]
        for i, (p, source) in enumerate(zip(prepared, sources)):
            if source == "planned":
                prepared[i] = self._accompany(p, s_in, seed)
        rolls = self._sample(prepared, s_in, strength, temperature, seed)
        return [finish(p, r, self.spec, drop_drums=drop_drums) for p, r in zip(prepared, rolls)]

    def _accompany(self, p: Prepared, style: torch.Tensor, seed: int | None) -> Prepared:
        """``p`` with the harmony of its content planned by the harmony model from its melody
        (every note of a bare melody; the kept melody when one is marked)."""
        notes = p.grid.notes
        mel = notes[p.melody & p.inside] if p.melody.any() else notes[in_range(notes, self.spec)]
        pos = bar_positions(p.length, bar_lines(p.grid))
        plan = plan_accompaniment(self.harmony, self.content_spec, pos, style, self.spec.resolution, mel,
                                  temperature=ACCOMPANY_TEMPERATURE, generator=make_generator(seed),
                                  threads=self.threads)
        return replace(p, content=plan.content(pos, self.content_spec))

    def transfer_score(self, score: Score, style: StyleArg = "classical", *, strength: float = DEFAULT_STRENGTH,
                       seed: int | None = 0, temperature: float = 1.0, free_melody: bool = False,
                       drop_drums: bool = False, melody_only: bool | None = None) -> Score:
        """Re-write a :class:`Score` (on any grid) in ``style``; returns a Score on the same
        grid with the same length, tempo map, meter, keys and (unless ``drop_drums``) drums.

        ``style``: a style name or a mixture ``{"classical": 0.7, "folk": 0.3}``;
        ``strength``: the guidance scale (0 = no style, 1 = as trained, > 1 stronger);
        ``seed``: the random draws (None: fresh ones); ``temperature``: 1 as trained, lower
        is safer, 0 the most likely choice at every step; ``free_melody``: let the generator
        write the melody too (default: the melody is kept note for note on its own track);
        ``melody_only``: None (default) detects a bare melody (one monophonic line), True
        takes only the piece's melody, False never: a bare melody's harmony is planned by
        the checkpoint's harmony model (:meth:`harmony_source` says which harmony is used).

        Example::

            >>> from stylegen import load
            >>> from stylegen.transfer import read_midi
            >>> model = load()                                             # doctest: +SKIP
            >>> score = read_midi("song.mid")                              # doctest: +SKIP
            >>> out = model.transfer_score(score, "classical", seed=1)     # doctest: +SKIP
            >>> out.n_beats == score.n_beats                               # doctest: +SKIP
            True
        """
        return self.transfer_scores([score], style, strength=strength, seed=seed, temperature=temperature,
                                    free_melody=free_melody, drop_drums=drop_drums, melody_only=melody_only)[0]

    def transfer(self, music_or_path, style: StyleArg = "classical", **options):
        """Re-write a piece (a ``muspy.Music`` or a MIDI path) in ``style``; returns a
        ``muspy.Music``.  Options as :meth:`transfer_score`.  A ``muspy.Music`` ends at its
        last event: to keep a final rest in a file, use :meth:`transfer_file`.

        Example::

            >>> from stylegen import load
            >>> model = load()                                                         # doctest: +SKIP
            >>> music = model.transfer("song.mid", style="classical", seed=1)          # doctest: +SKIP
            >>> music.write("song.classical.mid")                                      # doctest: +SKIP
            >>> bold = model.transfer("song.mid", "classical", strength=2.0)           # doctest: +SKIP
        """
        score = load_music(music_or_path, self.spec.resolution)
        if len(score.notes) == 0:  # a muspy.Music (a file without notes is refused by read_midi)
            raise StylegenError("the piece has no (non-drum) notes")
        out = self.transfer_score(score, style, **options)
        return score_to_music(out, include_drums=not options.get("drop_drums", False))

    def transfer_file(self, src: str | os.PathLike, dst: str | os.PathLike, style: StyleArg = "classical",
                      **options) -> Score:
        """Read MIDI file ``src``, transfer it and write ``dst`` atomically, at ``src``'s
        ticks per beat and length; returns the output Score.  Options as
        :meth:`transfer_score`.

        Example::

            >>> load().transfer_file("song.mid", "song.classical.mid", "classical")  # doctest: +SKIP
        """
        out = self.transfer_score(read_midi(src), style, **options)
        write_midi(out, dst, include_drums=not options.get("drop_drums", False))
        return out

    def transfer_files(self, pairs: Iterable[tuple[Path, Path]], style: StyleArg = "classical", *,
                       batch_size: int | None = None, **options) -> Iterator[tuple[Path, Path, Score | StylegenError]]:
        """Transfer many files, ``batch_size`` pieces per pass of the generator (pieces of
        similar length together), writing each output atomically.  Yields ``(src, dst,
        result)`` as each is written, ``result`` the output Score or the StylegenError that
        stopped that file (one bad file never stops the others).  Options as
        :meth:`transfer_score`; each batch is seeded with ``seed``."""
        pairs = list(pairs)
        B = max(1, int(batch_size or self.batch_size))
        parse_style(style, self.styles)
        check_strength(options.get("strength", DEFAULT_STRENGTH))
        check_temperature(options.get("temperature", 1.0))
        read: list[tuple[Path, Path, Score]] = []
        for src, dst in pairs:
            try:
                read.append((src, dst, read_midi(src)))
            except StylegenError as e:
                yield src, dst, e
            except Exception as e:  # one odd file must not stop a folder of hundreds
                yield src, dst, StylegenError(f"{src}: {type(e).__name__}: {e}")
        # pieces of similar length share a batch, so little is padded
        read.sort(key=lambda r: r[2].length / r[2].resolution)
        for lo in range(0, len(read), B):
            batch = read[lo:lo + B]
            try:
                outs = self.transfer_scores([s for _, _, s in batch], style, **options)
            except Exception:  # one piece failed the batch: each alone, so only that one fails
                outs = []
                for src, _, score in batch:
                    try:
                        outs.append(self.transfer_score(score, style, **options))
                    except Exception as e:
                        outs.append(e if isinstance(e, StylegenError) else
                                    StylegenError(f"{src}: {type(e).__name__}: {e}"))
            for (src, dst, _), out in zip(batch, outs):
                if isinstance(out, StylegenError):
                    yield src, dst, out
                    continue
                try:
                    write_midi(out, dst, include_drums=not options.get("drop_drums", False))
                except OSError as e:
                    yield src, dst, StylegenError(f"{dst}: cannot write ({e.strerror or e})")
                    continue
                yield src, dst, out

    # ------------------------------------------------------------ composition

    def composition_harmony(self, form: str | None) -> str | None:
        """What harmony composition uses: None when the checkpoint has no harmony model (the
        harmony is withheld, as before; said once per model with a warning, and a ``form``
        is then an error), else "planned"."""
        if self.harmony is not None:
            return "planned"
        where = self.info.get("path", "this checkpoint")
        if form is not None:
            raise StylegenError(f"a form needs a checkpoint with a harmony model, and {where} has none "
                                "(stylegen harmony RECIPE --into CHECKPOINT adds one: docs/training.md)")
        if not self._said_no_harmony:
            self._said_no_harmony = True
            warnings.warn(f"{where} has no harmony model: composing with the harmony withheld, as before "
                          "(stylegen harmony RECIPE --into CHECKPOINT adds one)", stacklevel=3)
        return None

    def plan(self, style: StyleArg, bars: int, *, seed: int | None = None, form: str | None = None,
             temperature: float = 1.0, beats_per_bar: int = 4):
        """The harmony plan of a piece composed from nothing (what :meth:`generate_score`
        gives the generator): an :class:`stylegen.inference.harmony.Plan` over ``bars`` bars
        of ``beats_per_bar``/4, and the bar positions (T,).  Needs a harmony model."""
        if self.harmony is None:
            raise StylegenError(f"{self.info.get('path', 'this checkpoint')} has no harmony model")
        bars = check_bars(bars)
        s_in = style_input(parse_style(style, self.styles))
        return plan_new(self.harmony, self.content_spec, s_in, self.spec.resolution, bars, beats_per_bar,
                        resolve_form(form, bars), temperature=check_temperature(temperature), seed=seed,
                        threads=self.threads)

    def generate_score(self, style: StyleArg = "classical", bars: int = 32, *, seed: int | None = None,
                       primer: Score | None = None, strength: float = DEFAULT_STRENGTH, temperature: float = 1.0,
                       tempo: float | None = None, beats_per_bar: int = 4, form: str | None = None) -> Score:
        """Compose ``bars`` bars in ``style``, melody and accompaniment, from nothing, or
        continue ``primer``.

        With a harmony model in the checkpoint the harmony is planned first: ``form`` (letters,
        one per section, e.g. "AABA"; None: a default for the length,
        :func:`stylegen.inference.harmony.default_form`) divides the new bars into sections,
        each new letter's harmony is sampled once and repeated where the letter comes back,
        and the generator writes melody and accompaniment over the plan.  A primer's harmony
        is heard first and continued.  Without a harmony model the harmony is withheld, as
        before (a warning says so once; ``form`` is then an error).

        Without a primer the piece is in ``beats_per_bar``/4 at ``tempo`` (120 qpm when
        None), on one piano track.  With a primer, the generator first hears the primer
        (one teacher-forced pass sets its state), then writes ``bars`` new bars from the
        primer's next bar line on; the result is the primer, unchanged, followed by the new
        bars on a piano track, with the primer's tempo map, meter and keys.  ``strength`` and
        ``temperature`` as in :meth:`transfer_score`; same seed, same piece.

        Example::

            >>> from stylegen import load
            >>> score = load().generate_score("classical", bars=8, seed=7)   # doctest: +SKIP
            >>> score.n_beats                                                # doctest: +SKIP
            32.0
        """
        bars = check_bars(bars)
        weights = parse_style(style, self.styles)
        strength, temperature = check_strength(strength), check_temperature(temperature)
        s_in = style_input(weights)
        sections = resolve_form(form, bars)  # a bad form fails before any work
        H = self.harmony if self.composition_harmony(form) is not None else None  # None: the harmony withheld
        how = dict(seed=seed, strength=strength, temperature=temperature, device=self.device, threads=self.threads)
        if primer is None:
            return compose(self.generator, H, self.spec, self.content_spec, s_in, bars, sections, tempo=tempo,
                           beats_per_bar=beats_per_bar, **how)
        return continue_primer(self.generator, H, self.spec, self.content_spec, s_in, primer, bars, sections,
                               **how)

    def generate(self, style: StyleArg = "classical", bars: int = 32, seed: int | None = None, primer=None,
                 **options):
        """Compose ``bars`` bars in ``style`` (continuing ``primer``, a path or a
        ``muspy.Music``, when given); returns a ``muspy.Music``.  Same seed, same piece.
        Options as :meth:`generate_score` (``strength``, ``temperature``, ``tempo``,
        ``beats_per_bar``, ``form``).

        Example::

            >>> from stylegen import load
            >>> music = load().generate(style="classical", bars=32, seed=7)   # doctest: +SKIP
            >>> music.write("new.mid")                                        # doctest: +SKIP
        """
        p = load_music(primer, self.spec.resolution) if primer is not None else None
        return score_to_music(self.generate_score(style, bars, seed=seed, primer=p, **options))


def write_midi(score: Score, path: str | os.PathLike, include_drums: bool = True) -> Path:
    """Write ``score`` atomically as a MIDI file at its own grid's ticks per beat, ending
    at its length."""
    tpb = score.resolution if score.resolution >= 96 else None  # a coarse grid: 480 ticks per beat
    return write_score_fast(score, path, include_drums=include_drums, ticks_per_beat=tpb)


__all__ = ["Model", "load", "default_checkpoint", "read_midi", "load_music", "write_midi", "parse_style",
           "Prepared", "DEFAULT_STRENGTH", "TrackInfo"]
