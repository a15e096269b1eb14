"""Recipes: typed dataclasses loaded from YAML, with dotted overrides and validation.

A recipe fully describes an experiment.  :func:`load_recipe` reads the YAML file,
applies ``key.sub=value`` overrides, converts everything into the dataclasses below and
validates it *before* any work starts.  Every problem is one :class:`RecipeError` whose
message names the file and the dotted key::

    recipes/x.yaml: model.generator.hidden_size: expected int, got 'big'

Relative data paths are resolved against ``data_root``; a relative ``data_root`` is
resolved against the current working directory (run stylegen from the project root, or
pass ``data_root=/path/to/data``).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from stylegen.errors import RecipeError

# --------------------------------------------------------------------------- schema


@dataclass
class SourceConfig:
    """One source of MIDI files for a style: exactly one of ``path``, ``glob``, ``muspy``."""

    path: str | None = None  # a folder (searched recursively) or a single MIDI file
    glob: str | None = None  # a glob pattern, e.g. "piano-midi/chpn*.mid" ("**" recurses)
    muspy: str | None = None  # a muspy dataset class name, e.g. "NottinghamDatabase"
    root: str | None = None  # the muspy dataset's root folder (downloading stays the user's choice)

    def describe(self) -> str:
        if self.path is not None:
            return self.path
        if self.glob is not None:
            return f"glob:{self.glob}"
        return f"muspy:{self.muspy}@{self.root}"


@dataclass
class StyleConfig:
    sources: list[SourceConfig]


@dataclass
class RollConfig:
    """The piano-roll grid: see docs/data.md."""

    resolution: int = 4  # grid steps per beat (quarter note)
    lowest_pitch: int = 24  # MIDI pitch of the roll's first row (C1)
    n_pitches: int = 84  # rows: 24..107 by default


@dataclass
class DataConfig:
    cache_dir: str | None = None  # default: $STYLEGEN_CACHE, $XDG_CACHE_HOME/stylegen, ~/.cache/stylegen
    window_bars: int = 4  # a training window is this many 4-beat bars long (T = bars*4*resolution)
    hop_bars: int = 2  # windows start every hop_bars bar lines of the piece
    context_bars: int = 2  # G reads this many bars before each window; only the window is scored
    val_fraction: float = 0.1  # share of pieces (not windows) held out per style
    test_fraction: float = 0.0
    transpose: int = 3  # train-only augmentation: random shift in [-transpose, +transpose]
    min_beats: int = 8  # shorter pieces are skipped as "too short"
    max_beats: int = 30000  # longer pieces are skipped as "too long" (~4 h at 120 bpm)
    workers: int = 0  # reader processes; 0 = one per CPU core


@dataclass
class ContentConfig:
    """What the generator hears of a piece (data/content.py): harmony per block, bass, position."""

    block: int = 8  # steps per harmony block, counted from each bar line (8 = half a 4/4 bar of 16ths)
    bar_steps: int = 16  # size of the position-in-bar one-hot
    chroma: bool = True
    bass: bool = True
    binary: bool = False  # chroma as a pitch-class set, bass as one class: less of the texture leaks through


@dataclass
class GeneratorConfig:
    """Constructor arguments of the generator (models/generator.py, PlannedTexture).  Only
    the arguments the named model's constructor takes are passed to it."""

    name: str = "planned"
    hidden_size: int = 192
    num_layers: int = 2
    style_dim: int = 32
    frame_dim: int = 96  # the previous frame, the frame one bar earlier and the content are each projected to this size
    codes: int = 64  # K: texture codes per bar (the plan's vocabulary, fitted by k-means on real bars)
    code_dim: int = 16
    prior_size: int = 64  # the prior over bar codes: LSTM hidden size
    channels: int = 8  # C: interval kernels of the step decoder (how a step's notes depend on each other)
    reach: int = 24  # semitones each interval kernel sees, up and down
    max_notes: int = 12  # onsets one step may start
    dropout: float = 0.1


@dataclass
class DiscriminatorConfig:
    name: str = "cnn"
    channels: int = 16
    style_head: Literal["projection", "auxiliary"] = "projection"
    spectral_norm: bool = True
    input_noise: float = 0.1  # std of Gaussian noise on D's inputs


@dataclass
class ClassifierConfig:
    """The style classifier that judges transfer strength (models/classifier.py)."""

    name: str = "cnn"
    channels: int = 16  # C: the conv blocks have C, 2C, 4C channels
    input_noise: float = 0.1  # std of Gaussian noise on its inputs in training (sigma_C)
    dropout: float = 0.3
    pitch_bins: int = 7  # register bands the head keeps apart


@dataclass
class ClassifierTrainingConfig:
    """How ``stylegen classifier`` trains the judge (on real windows only)."""

    steps: int = 1500
    batch_size: int = 64
    lr: float = 2e-3  # AdamW, cosine decay to 5% after a 100-step warm-up
    weight_decay: float = 1e-4
    label_smoothing: float = 0.0
    balance_styles: bool = True  # draw each style equally often (styles have unequal window counts)
    eval_every: int = 500  # steps between validation passes (and at the end)


@dataclass
class HarmonyConfig:
    """The harmony model (models/harmony.py) and how ``stylegen harmony`` trains it: the
    harmony per block the generator hears, planned for composition and a bare melody."""

    name: str = "lstm"
    hidden_size: int = 192
    num_layers: int = 1
    style_dim: int = 16
    nade_size: int = 64  # hidden units of the autoregressive (NADE) output over the 12 pitch classes
    dropout: float = 0.1
    # training (likelihood on every style's train split; training/harmony.py)
    steps: int = 3000
    batch_size: int = 32
    sequence_blocks: int = 64  # blocks per training sequence (a crop of a piece)
    lr: float = 2e-3  # AdamW, cosine decay to 5% after a 100-step warm-up
    weight_decay: float = 1e-4
    melody_dropout: float = 0.5  # share of sequences trained without their melody (composition)
    transpose: bool = True  # each sequence in a random one of the 12 keys
    eval_every: int = 1000


@dataclass
class ModelConfig:
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    harmony: HarmonyConfig = field(default_factory=HarmonyConfig)


@dataclass
class LossConfig:
    # likelihood stage (every step): each real window rebuilt from its own content and style
    style_dropout: float = 0.15  # share of windows trained with "no style" (for guidance at inference)
    harmony_dropout: float = 0.15  # share trained with the harmony withheld (composition from nothing)
    # adversarial stage (from schedule.adversarial_start): cross-style roll-outs judged by D
    adversarial: Literal["hinge", "lsgan", "nonsaturating"] = "hinge"
    adversarial_weight: float = 0.05
    style_weight: float = 1.0  # D's auxiliary style head (real windows) and G's style loss on roll-outs
    content_weight: float = 1.0  # the roll-out's block chroma must match its input's (content consistency)
    likelihood_weight: float = 1.0  # the likelihood loss goes on during the adversarial stage


@dataclass
class OptimConfig:
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)  # the generator's Adam
    betas_d: tuple[float, float] = (0.5, 0.999)  # the discriminator's Adam
    weight_decay: float = 0.0
    grad_clip: float = 1.0


@dataclass
class ScheduleConfig:
    steps: int = 20000
    adversarial_start: int = 15000  # steps of likelihood training before the adversarial stage (>= steps: none)
    batch_size: int = 32
    rollout_steps: int = 32  # adversarial stage: free-running steps after the teacher-forced context
    eval_every: int = 500
    eval_windows: int = 64


@dataclass
class LoggingConfig:
    dir: str = "runs"
    every: int = 50
    audio: bool = True
    progress: bool = True


@dataclass
class CheckpointConfig:
    every: int = 1000  # checkpoints go to <logging.dir>/<recipe name>/<run>/checkpoints
    keep_last_n: int = 3
    best_metric: str = "val/score"
    best_mode: Literal["max", "min"] = "max"


@dataclass
class Recipe:
    styles: dict[str, StyleConfig]
    name: str = ""
    data_root: str = "."
    roll: RollConfig = field(default_factory=RollConfig)
    data: DataConfig = field(default_factory=DataConfig)
    content: ContentConfig = field(default_factory=ContentConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    classifier_training: ClassifierTrainingConfig = field(default_factory=ClassifierTrainingConfig)
    seed: int = 0
    device: str = "auto"  # "auto" (CUDA if present, else CPU), "cpu", "cuda", "cuda:1", ...

    # Filled by load_recipe, not read from YAML.
    source_file: str = field(default="<dict>", metadata={"internal": True})

    @property
    def style_names(self) -> list[str]:
        return list(self.styles)

    def resolve(self, path: str) -> Path:
        """A data path from the recipe, resolved against ``data_root`` (``~`` and $VARS expanded)."""
        p = Path(os.path.expandvars(os.path.expanduser(path)))
        if p.is_absolute():
            return p
        root = Path(os.path.expandvars(os.path.expanduser(self.data_root)))
        return root / p

    def to_dict(self) -> dict[str, Any]:
        """The recipe as plain data (what checkpoints store and TensorBoard shows)."""
        d = _to_plain(self)
        d.pop("source_file", None)
        return d


# --------------------------------------------------------------------------- conversion


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v) for v in obj]
    return obj


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(tp))
    if tp is type(None):
        return "null"
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(tp, "__name__", str(tp))


_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _convert(value: Any, tp: Any, key: str) -> Any:
    """Convert plain YAML data ``value`` into type ``tp``; raise ValueError naming ``key``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)

    def fail(expected: str | None = None) -> typing.NoReturn:
        raise _KeyError(key, f"expected {expected or _type_name(tp)}, got {value!r}")

    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(value, a, key)
            except _KeyError as e:
                errors.append(e)
        # a single non-None alternative: report its own, more precise message
        if len(errors) == 1:
            raise errors[0]
        fail()
    if origin is Literal:
        if value in args:
            return value
        fail()
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            fail("a mapping")
        return _build(tp, value, key)
    if origin is dict:
        if not isinstance(value, dict):
            fail("a mapping")
        kt, vt = args
        return {_convert(k, kt, f"{key}.{k}"): _convert(v, vt, _join(key, str(k))) for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            fail("a list")
        return [_convert(v, args[0], f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            fail(f"a list of {len(args)}")
        return tuple(_convert(v, a, f"{key}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    if tp is bool:
        if isinstance(value, bool):
            return value
        fail()
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        fail()
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
            return float(value)  # "1e-4": YAML 1.1 (PyYAML) reads it as a string
        fail()
    if tp is str:
        if isinstance(value, str):
            return value
        fail()
    raise TypeError(f"unsupported type in schema: {tp!r}")  # a bug in this file, not user error


class _KeyError(Exception):
    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _build(cls: type, data: dict, prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for k in data:
        if k not in fields:
            known = ", ".join(fields)
            raise _KeyError(_join(prefix, str(k)), f"unknown key (known here: {known})")
    kwargs = {}
    for name, f in fields.items():
        key = _join(prefix, name)
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], key)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _KeyError(key, "missing required key")
    return cls(**kwargs)


# --------------------------------------------------------------------------- overrides


_INDEX = re.compile(r"\[(\d+)\]")
_KEY_PART = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def _override_path(key: str) -> list[str | int] | None:
    """``styles.a.sources.0.path`` or ``styles.a.sources[0].path`` -> ["styles", "a", "sources", 0, "path"];
    None when the key is malformed."""
    path: list[str | int] = []
    for part in key.split("."):
        m = _KEY_PART.fullmatch(part)
        if m is None:
            return None
        name, indices = m.groups()
        path.append(int(name) if name.isdigit() else name)
        path.extend(int(i) for i in _INDEX.findall(indices))
    return path


def _key_name(path: list[str | int]) -> str:
    """The dotted key as error messages write it: ``styles.a.sources[0].path``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def apply_override(data: dict, override: str) -> None:
    """Apply one ``a.b.c=value`` override in place; the value is parsed as YAML.

    A list item is addressed by its index, ``styles.pop.sources.0.path=x`` (or
    ``sources[0].path=x``); the index one past the end adds an item."""
    if "=" not in override:
        raise _KeyError(override, "an override must look like key.sub=value")
    key, raw = override.split("=", 1)
    key = key.strip()
    path = _override_path(key) if key else None
    if not path or not isinstance(path[0], str):
        raise _KeyError(key or override, "an override must look like key.sub=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as e:
        raise _KeyError(key, f"cannot parse override value {raw!r}: {e.problem}") from None
    node: dict | list = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        here = _key_name(path[: i + 1])
        if isinstance(part, int):
            if not isinstance(node, list):
                raise _KeyError(_key_name(path[:i]), f"is not a list, cannot take item {part}")
            if part > len(node):
                size = f"{len(node)} item{'s' if len(node) != 1 else ''}"
                raise _KeyError(here, f"no such item: the list has {size} (index {len(node)} adds one)")
            if part == len(node):
                node.append(None)
        elif isinstance(node, list):
            raise _KeyError(_key_name(path[:i]), f"is a list: name an item by its index, e.g. {_key_name(path[:i])}.0")
        elif not isinstance(node, dict):
            raise _KeyError(_key_name(path[:i]), "is not a mapping, cannot set a sub-key")
        if last:
            node[part] = value
            break
        child = node[part] if isinstance(node, list) else node.get(part)
        if child is None:  # a new branch: a list when the next part is an index
            child = node[part] = [] if isinstance(path[i + 1], int) else {}
        node = child


# --------------------------------------------------------------------------- validation


def _check(recipe: Recipe, check_models: bool = True) -> None:
    def bad(key: str, msg: str) -> typing.NoReturn:
        raise _KeyError(key, msg)

    if not recipe.styles:
        bad("styles", "at least one style is needed")
    for name, style in recipe.styles.items():
        if not name.isidentifier():
            bad(f"styles.{name}", "style names must be simple words (letters, digits, _)")
        if not style.sources:
            bad(f"styles.{name}.sources", "at least one source is needed")
        for i, s in enumerate(style.sources):
            k = f"styles.{name}.sources[{i}]"
            given = [n for n in ("path", "glob", "muspy") if getattr(s, n) is not None]
            if len(given) != 1:
                bad(k, "give exactly one of path, glob or muspy")
            if s.muspy is not None and s.root is None:
                bad(f"{k}.root", "a muspy source needs the dataset's root folder")
            if s.muspy is None and s.root is not None:
                bad(f"{k}.root", "root is only for muspy sources")
    r = recipe.roll
    if r.resolution < 1 or r.resolution > 96:
        bad("roll.resolution", f"must be between 1 and 96, got {r.resolution}")
    if not 0 <= r.lowest_pitch <= 127:
        bad("roll.lowest_pitch", f"must be a MIDI pitch 0..127, got {r.lowest_pitch}")
    if r.n_pitches < 1 or r.lowest_pitch + r.n_pitches > 128:
        bad("roll.n_pitches", f"lowest_pitch + n_pitches must be at most 128, got {r.lowest_pitch + r.n_pitches}")
    d = recipe.data
    if d.window_bars < 1:
        bad("data.window_bars", "must be at least 1")
    if d.context_bars < 0:
        bad("data.context_bars", "must be >= 0")
    if d.hop_bars < 1:
        bad("data.hop_bars", "must be at least 1")
    for k in ("val_fraction", "test_fraction"):
        v = getattr(d, k)
        if not 0.0 <= v < 1.0:
            bad(f"data.{k}", f"must be in [0, 1), got {v}")
    if d.val_fraction + d.test_fraction >= 1.0:
        bad("data.test_fraction", "val_fraction + test_fraction must leave pieces for training")
    if not 0 <= d.transpose <= 12:
        bad("data.transpose", f"must be 0..12 semitones, got {d.transpose}")
    if d.min_beats < 1 or d.max_beats <= d.min_beats:
        bad("data.max_beats", "need 1 <= min_beats < max_beats")
    if d.workers < 0:
        bad("data.workers", "must be >= 0 (0 = one per core)")
    for k in ("steps", "batch_size", "eval_every", "eval_windows"):
        if getattr(recipe.schedule, k) < 1:
            bad(f"schedule.{k}", "must be at least 1")
    if recipe.schedule.adversarial_start < 0:
        bad("schedule.adversarial_start", "must be >= 0")
    if recipe.schedule.rollout_steps < 1:
        bad("schedule.rollout_steps", "must be at least 1")
    ct_ = recipe.content
    if ct_.block < 1:
        bad("content.block", "must be at least 1")
    if ct_.bar_steps < 1:
        bad("content.bar_steps", "must be at least 1")
    for k in ("lr_g", "lr_d"):
        if getattr(recipe.optim, k) <= 0:
            bad(f"optim.{k}", "must be positive")
    for k in ("every", "keep_last_n"):
        if getattr(recipe.checkpoint, k) < 1:
            bad(f"checkpoint.{k}", "must be at least 1")
    for k in ("style_dropout", "harmony_dropout"):
        if not 0.0 <= getattr(recipe.loss, k) < 1.0:
            bad(f"loss.{k}", "must be in [0, 1)")
    for k in ("adversarial_weight", "style_weight", "content_weight", "likelihood_weight"):
        if getattr(recipe.loss, k) < 0:
            bad(f"loss.{k}", "must be >= 0")
    if recipe.logging.every < 1:
        bad("logging.every", "must be at least 1")
    c = recipe.model.classifier
    if c.channels < 1:
        bad("model.classifier.channels", "must be at least 1")
    if c.pitch_bins < 1 or 4 * c.pitch_bins > recipe.roll.n_pitches:
        bad("model.classifier.pitch_bins", f"must be 1..{recipe.roll.n_pitches // 4} (n_pitches / 4)")
    if c.input_noise < 0:
        bad("model.classifier.input_noise", "must be >= 0")
    if not 0.0 <= c.dropout < 1.0:
        bad("model.classifier.dropout", "must be in [0, 1)")
    ct = recipe.classifier_training
    for k in ("steps", "batch_size", "eval_every"):
        if getattr(ct, k) < 1:
            bad(f"classifier_training.{k}", "must be at least 1")
    if ct.lr <= 0:
        bad("classifier_training.lr", "must be positive")
    if ct.weight_decay < 0:
        bad("classifier_training.weight_decay", "must be >= 0")
    if not 0.0 <= ct.label_smoothing < 1.0:
        bad("classifier_training.label_smoothing", "must be in [0, 1)")
    g = recipe.model.generator
    for k in ("hidden_size", "num_layers", "style_dim", "frame_dim", "codes", "code_dim", "prior_size", "channels",
              "reach", "max_notes"):
        if getattr(g, k) < 1:
            bad(f"model.generator.{k}", "must be at least 1")
    if not 0.0 <= g.dropout < 1.0:
        bad("model.generator.dropout", "must be in [0, 1)")
    h = recipe.model.harmony
    for k in ("hidden_size", "num_layers", "style_dim", "nade_size", "steps", "batch_size", "eval_every"):
        if getattr(h, k) < 1:
            bad(f"model.harmony.{k}", "must be at least 1")
    if h.sequence_blocks < 2:
        bad("model.harmony.sequence_blocks", "must be at least 2")
    if not 0.0 <= h.dropout < 1.0:
        bad("model.harmony.dropout", "must be in [0, 1)")
    if not 0.0 <= h.melody_dropout <= 1.0:
        bad("model.harmony.melody_dropout", "must be in [0, 1]")
    if h.lr <= 0:
        bad("model.harmony.lr", "must be positive")
    if h.weight_decay < 0:
        bad("model.harmony.weight_decay", "must be >= 0")
    dev = recipe.device
    if not (dev in ("auto", "cpu", "cuda", "mps") or dev.startswith("cuda:")):
        bad("device", f"expected auto, cpu, cuda, cuda:N or mps, got {dev!r}")
    if check_models:
        _check_registries(recipe)


def _check_registries(recipe: Recipe) -> None:
    """Model names must exist in the registry (checked only once models are importable)."""
    # imported here, not at module level: the registry imports every model and so torch,
    # which commands that only read a recipe's data (a warm `stylegen data`) never need
    from stylegen.models import registry

    for part in ("generator", "discriminator", "classifier", "harmony"):
        name = getattr(recipe.model, part).name
        known = registry.names(part)
        if known and name not in known:
            raise _KeyError(f"model.{part}.name", f"unknown {part} {name!r} (known: {', '.join(known)})")


def check_paths(recipe: Recipe) -> None:
    """Raise RecipeError if a data source does not exist on this machine."""
    for name, style in recipe.styles.items():
        for i, s in enumerate(style.sources):
            key = f"styles.{name}.sources[{i}]"
            if s.path is not None and not recipe.resolve(s.path).exists():
                raise RecipeError(f"{recipe.source_file}: {key}.path: no such file or folder: {recipe.resolve(s.path)}")
            if s.root is not None and not recipe.resolve(s.root).is_dir():
                raise RecipeError(f"{recipe.source_file}: {key}.root: no such folder: {recipe.resolve(s.root)}")
            if s.glob is not None:
                root = recipe.resolve(".")
                if not root.is_dir():
                    raise RecipeError(f"{recipe.source_file}: data_root: no such folder: {root}")


# --------------------------------------------------------------------------- entry points


def recipe_from_dict(data: dict, source: str = "<dict>", overrides: typing.Iterable[str] = (),
                     check_models: bool = True) -> Recipe:
    """Build and validate a Recipe from plain data (and dotted overrides).

    ``check_models=False`` leaves out the model-name check, which imports torch and every
    model (seconds): for commands that only read data."""
    data = copy.deepcopy(data) if data is not None else {}
    if not isinstance(data, dict):
        raise RecipeError(f"{source}: a recipe must be a YAML mapping, got {type(data).__name__}")
    try:
        for o in overrides:
            apply_override(data, o)
        recipe = _build(Recipe, data, "")
        recipe.source_file = source
        if not recipe.name:
            recipe.name = Path(source).stem if source != "<dict>" else "recipe"
        _check(recipe, check_models)
    except _KeyError as e:
        err = RecipeError(f"{source}: {e.key}: {e.message}")
        err.key = e.key
        raise err from None
    return recipe


def stored_recipe(data: dict, source: str, overrides: typing.Iterable[str] = (),
                  check_models: bool = True) -> tuple[Recipe, list[str]]:
    """The recipe a checkpoint stored, read by this version of stylegen: a key it no longer
    knows (an option removed since the checkpoint was trained) is dropped and named, not
    refused.  Returns (recipe, the dropped dotted keys); any other problem is a RecipeError."""
    data = copy.deepcopy(data) if isinstance(data, dict) else data
    dropped: list[str] = []
    while True:
        try:
            return recipe_from_dict(data, source, overrides, check_models), dropped
        except RecipeError as e:
            path = _override_path(e.key) if e.key and "unknown key" in str(e) else None
            if not path or e.key in dropped:
                raise
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            del parent[path[-1]]
            dropped.append(e.key)


def load_recipe(path: str | os.PathLike, overrides: typing.Iterable[str] = (), check_data: bool = True,
                check_models: bool = True) -> Recipe:
    """Load, override and validate a recipe file; with ``check_data`` also check its data paths
    exist (``check_models``: see :func:`recipe_from_dict`)."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"{path}: no such recipe file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise RecipeError(f"{path}: not valid YAML{line}: {getattr(e, 'problem', e)}") from None
    recipe = recipe_from_dict(data, str(path), overrides, check_models=check_models)
    if check_data:
        check_paths(recipe)
    return recipe
