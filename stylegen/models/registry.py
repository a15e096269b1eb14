"""Small registries: components are chosen by name in a recipe (``model.generator.name``).

    @register("generator", "planned")
    class PlannedTexture(nn.Module): ...

    build("generator", "planned", **kwargs)
    build_from_config({"name": "planned", **kwargs}, "generator")   # a checkpoint's model_config
"""

from __future__ import annotations

from typing import Callable

KINDS = ("generator", "discriminator", "classifier", "harmony")
_REGISTRY: dict[str, dict[str, Callable]] = {k: {} for k in KINDS}


def register(kind: str, name: str) -> Callable:
    if kind not in _REGISTRY:
        raise ValueError(f"unknown component kind {kind!r}")

    def deco(obj):
        if name in _REGISTRY[kind]:
            raise ValueError(f"{kind} {name!r} is registered twice")
        _REGISTRY[kind][name] = obj
        return obj

    return deco


def _load_all() -> None:
    # importing the model modules registers their classes; not at module level because they
    # import this module (to register), and a recipe check should not load torch before it must
    import stylegen.models  # noqa: F401


def names(kind: str) -> list[str]:
    _load_all()
    return sorted(_REGISTRY[kind])


def get(kind: str, name: str) -> Callable:
    _load_all()
    try:
        return _REGISTRY[kind][name]
    except KeyError:
        raise KeyError(f"unknown {kind} {name!r} (known: {', '.join(sorted(_REGISTRY[kind]))})") from None


def build(kind: str, name: str, **kwargs):
    """A new component ``name`` of ``kind`` built with ``kwargs``."""
    return get(kind, name)(**kwargs)


def build_from_config(cfg: dict, kind: str):
    """Rebuild a component from its stored config: ``{"name": registry name, **constructor
    kwargs}`` (what training writes to a checkpoint's ``model_config``).  ``cfg`` is not
    changed.  An unknown name raises KeyError naming the known ones."""
    if "name" not in cfg:
        raise KeyError(f"{kind} config has no 'name' (keys: {', '.join(sorted(cfg))})")
    kwargs = dict(cfg)
    return build(kind, kwargs.pop("name"), **kwargs)
