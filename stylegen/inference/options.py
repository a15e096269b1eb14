"""What a user asks of the generator, checked before any file is read or written.

    parse_style("classical", styles) -> weights (S,)        also {"classical": .7, "folk": .3}
                                                              and "classical=0.7,folk=0.3"
    style_input(weights) -> (1,) long id or (1, S) weights    what the generator's ``sample`` takes
    check_strength(s) -> float     the guidance scale: 0 = no style, 1 = as trained, > 1 stronger
    check_temperature(t) -> float  1 = as trained, 0 = the most likely choice at every step
    make_generator(seed, device) -> torch.Generator (a fresh random seed when None)

Every bad value is a :class:`StylegenError` naming the option.  The checks are pure and
cheap, and each entry point makes its own: the CLI's ``check_options`` before it reads an
input, ``Model.transfer_files`` once for a whole folder before the first piece, and each
``Model`` method again for its own call, so one value may be checked two or three times on
its way to the sampler (the same answer each time).  torch is imported only inside the
two functions that build tensors: the CLI reads the defaults from here while building its
parser, before torch is needed.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

import numpy as np

from stylegen.errors import StylegenError

StyleArg = str | Mapping[str, float]

# The guidance scale used when none is given (docs/transfer.md, "Choosing the default
# strength", has the measurement behind it).
DEFAULT_STRENGTH = 1.0
MAX_STRENGTH = 10.0

_MIX_RE = re.compile(r"^\s*([^=:,\s]+)\s*[=:]\s*([0-9.eE+-]+)\s*$")


def parse_style(style: StyleArg, styles: list[str]) -> np.ndarray:
    """A style name, a mixture ``{"classical": 0.7, "folk": 0.3}`` or its string form
    ``"classical=0.7,folk=0.3"`` -> weights (S,) summing to 1, in checkpoint order.

    >>> parse_style("b=1,a=3", ["a", "b"]).tolist()
    [0.75, 0.25]
    """
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


def style_input(weights: np.ndarray):
    """The generator's style input for one piece: a (1,) style id when one style has all the
    weight (the embedding row itself), else (1, S) float weights (a mixture of rows)."""
    import torch  # here, not at the top: the CLI builds its parser from this module without torch

    weights = np.asarray(weights, dtype=np.float64)
    if np.count_nonzero(weights) == 1:
        return torch.tensor([int(np.flatnonzero(weights)[0])], dtype=torch.long)
    return torch.as_tensor(weights, dtype=torch.float32)[None]


def check_strength(strength) -> float:
    """The guidance scale as a float in [0, MAX_STRENGTH]."""
    try:
        s = float(strength)
    except (TypeError, ValueError):
        raise StylegenError(f"strength must be a number (the guidance scale, 0..{MAX_STRENGTH:g}), "
                            f"got {strength!r}") from None
    if not math.isfinite(s) or not 0.0 <= s <= MAX_STRENGTH:
        raise StylegenError(f"strength must be between 0 and {MAX_STRENGTH:g} (0 = no style, 1 = as trained, "
                            f"> 1 stronger), got {strength!r}")
    return s


def check_temperature(temperature) -> float:
    """The sampling temperature as a float >= 0 (0 is taken as the most likely choice)."""
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        raise StylegenError(f"temperature must be a number >= 0, got {temperature!r}") from None
    if not math.isfinite(t) or t < 0:
        raise StylegenError(f"temperature must be a number >= 0, got {temperature!r}")
    return t


def make_generator(seed: int | None, device="cpu"):
    """The random generator (a ``torch.Generator`` on ``device``) of one call: seeded with
    ``seed``, or freshly when None."""
    import torch  # see style_input

    g = torch.Generator(device=device)
    if seed is None:
        g.seed()
        return g
    try:
        return g.manual_seed(int(seed))
    except (TypeError, ValueError, RuntimeError, OverflowError):
        raise StylegenError(f"seed must be a whole number, got {seed!r}") from None


def check_bars(bars) -> int:
    """A number of bars as an int >= 1."""
    try:
        n = int(bars)
    except (TypeError, ValueError):
        raise StylegenError(f"bars must be a whole number, got {bars!r}") from None
    if n < 1:
        raise StylegenError(f"bars must be a whole number of at least 1, got {bars!r}")
    return n


__all__ = ["StyleArg", "DEFAULT_STRENGTH", "MAX_STRENGTH", "parse_style", "style_input", "check_strength",
           "check_temperature", "make_generator", "check_bars"]
