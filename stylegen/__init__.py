"""stylegen: style transfer and style-conditioned composition of symbolic music.

    from stylegen import load
    model = load()                                        # the shipped pop2classical checkpoint
    model.transfer("song.mid", style="classical")         # -> muspy.Music
    model.generate(style="classical", bars=32, seed=7)    # -> muspy.Music

``load`` and ``Model`` are imported on first use, so ``import stylegen`` stays light
(no torch, no muspy).
"""

import importlib

__version__ = "0.1.0"

__all__ = ["__version__", "load", "Model"]

_LAZY = {"load": "stylegen.transfer", "Model": "stylegen.transfer"}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'stylegen' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
