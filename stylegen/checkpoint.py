"""Self-describing checkpoints, written atomically.  Shared by training and inference.

A checkpoint is one ``torch.save`` file holding a dict:

    format        CHECKPOINT_FORMAT (an int; bumped when the layout changes)
    kind          "gan" (generator [+ discriminator, optimisers]) or "classifier"
    version       the stylegen version that wrote it
    recipe        the full recipe as plain data (Recipe.to_dict())
    spec          the piano-roll spec (RollSpec.to_dict())
    styles        the style vocabulary, in label order
    models        {name: state_dict}    e.g. {"generator": ..., "discriminator": ...}
    model_config  {name: kwargs}        what rebuilds each model through the registry
    ... anything else the writer adds (step, optimiser and RNG states, metrics).

Loading checks ``format`` and ``kind`` and gives one clear error otherwise, never a
shape crash deep inside ``load_state_dict``.

Optional parts: a "gan" checkpoint may also hold the harmony model (``models/harmony.py``)
as ``models["harmony"]``, ``model_config["harmony"]`` and ``harmony`` (what it was trained
on: recipe, content spec, styles, steps, validation NLL).  Checkpoints without it load as
before; :func:`put_harmony` adds it to an existing checkpoint (every other part kept).
An exported checkpoint keeps the discriminator (``models["discriminator"]``) for
``stylegen adapt``; inference never reads it.  One written by ``stylegen adapt`` also has
``adapted``: the checkpoint it grew from, the styles it added, their data and figures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from stylegen import __version__
from stylegen.errors import StylegenError
from stylegen.fileio import atomic_path
from stylegen.models import registry

CHECKPOINT_FORMAT = 1


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plus format and version) to ``path`` via a temp file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": CHECKPOINT_FORMAT, "version": __version__, **payload}
    with atomic_path(path) as tmp:
        torch.save(data, tmp)
    return path


def load_checkpoint(path: str | os.PathLike, kind: str | None = None, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint and check it is one of ours (and of ``kind`` when given)."""
    path = Path(path)
    if not path.is_file():
        raise StylegenError(f"{path}: no such checkpoint")
    try:
        data = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as e:
        raise StylegenError(f"{path}: not a readable checkpoint ({type(e).__name__}: {str(e)[:100]})") from None
    if not isinstance(data, dict) or "format" not in data or "kind" not in data:
        raise StylegenError(f"{path}: not a stylegen checkpoint")
    if data["format"] != CHECKPOINT_FORMAT:
        raise StylegenError(
            f"{path}: checkpoint format {data['format']} (written by stylegen {data.get('version', '?')}); "
            f"this stylegen {__version__} reads format {CHECKPOINT_FORMAT}"
        )
    if kind is not None and data["kind"] != kind:
        raise StylegenError(f"{path}: a {data['kind']} checkpoint, expected a {kind} checkpoint")
    for key in ("spec", "styles", "models", "model_config"):
        if key not in data:
            raise StylegenError(f"{path}: checkpoint lacks {key!r}")
    return data


def export_inference(src: str | os.PathLike, dst: str | os.PathLike, half: bool = False) -> Path:
    """Write a release checkpoint for transfer and generation from a training checkpoint.

    It keeps what inference needs and what a model card cites (kind "gan", the generator's
    weights and config, roll and content specs, styles, recipe, step, metrics), and the
    discriminator, which ``stylegen adapt`` trains against when it adds a style (a quarter
    of the generator's size); it drops the optimiser and RNG states.  ``half`` stores the
    weights as float16 (half the size; :func:`stylegen.load` casts them back to float32).
    The result has ``inference_only: True``: ``stylegen train`` cannot resume from it.

        >>> export_inference("runs/pop2classical/RUN/checkpoints/best.pt", "checkpoints/x.pt")  # doctest: +SKIP
    """
    ckpt = load_checkpoint(src, kind="gan")
    if "generator" not in ckpt["models"] or "generator" not in ckpt["model_config"]:
        raise StylegenError(f"{src}: the checkpoint holds no generator")
    def weights(name: str) -> dict:
        return {k: (v.detach().cpu().clone().half() if half and v.is_floating_point() else v.detach().cpu().clone())
                for k, v in ckpt["models"][name].items()}

    payload = {
        "kind": "gan",
        "inference_only": True,
        "weights_dtype": "float16" if half else "float32",
        "recipe": ckpt.get("recipe", {}),
        "spec": ckpt["spec"],
        "content": ckpt.get("content"),
        "styles": list(ckpt["styles"]),
        "models": {"generator": weights("generator")},
        "model_config": {"generator": dict(ckpt["model_config"]["generator"])},
        "step": ckpt.get("step"),
        "metrics": dict(ckpt.get("metrics") or {}),
        "exported_from": {"path": str(src), "version": ckpt.get("version")},
    }
    if "best_metric" in ckpt:
        payload["best_metric"] = ckpt["best_metric"]
    for part in (DISCRIMINATOR, HARMONY):  # the optional parts go along
        if part in ckpt["models"] and part in ckpt["model_config"]:
            payload["models"][part] = weights(part)
            payload["model_config"][part] = dict(ckpt["model_config"][part])
    if HARMONY in payload["models"]:
        payload[HARMONY] = dict(ckpt.get(HARMONY) or {})

    return save_checkpoint(dst, payload)


# --------------------------------------------------------------------------- the harmony part

HARMONY = "harmony"
DISCRIMINATOR = "discriminator"


def harmony_part(ckpt: dict) -> tuple[dict, dict, dict] | None:
    """(weights, config, meta) of a loaded checkpoint's harmony part, None when it has none."""
    if HARMONY not in ckpt.get("models", {}) or HARMONY not in ckpt.get("model_config", {}):
        return None
    return ckpt["models"][HARMONY], ckpt["model_config"][HARMONY], dict(ckpt.get(HARMONY) or {})


def check_harmony_fits(ckpt: dict, meta: dict, where: str) -> None:
    """A harmony part fits a checkpoint when it was trained for the same styles (in order)
    and the same content spec; StylegenError naming what differs otherwise."""
    problems = []
    if list(meta.get("styles", [])) != list(ckpt["styles"]):
        problems.append(f"styles {meta.get('styles')} != the checkpoint's {list(ckpt['styles'])}")
    if meta.get("content") != ckpt.get("content"):
        problems.append(f"content spec {meta.get('content')} != the checkpoint's {ckpt.get('content')}")
    if problems:
        raise StylegenError(f"{where}: the harmony part does not fit: " + "; ".join(problems))


def put_harmony(dst: str | os.PathLike, weights: dict, config: dict, meta: dict,
                src: str | os.PathLike | None = None, replace: bool = False) -> Path:
    """Write checkpoint ``src`` (default: ``dst`` itself) to ``dst`` with this harmony part,
    atomically (a temp file renamed into place): every other part, the step, the optimiser
    and RNG states and the recipe stay as they were.  Refuses a part that does not fit
    (:func:`check_harmony_fits`) and, without ``replace``, a checkpoint that has one."""
    src = Path(src if src is not None else dst)
    ckpt = load_checkpoint(src, kind="gan")
    if "content" not in ckpt:
        raise StylegenError(f"{src}: a checkpoint of the old frame-wise generator (no content spec): "
                            "the harmony part needs a texture-generator checkpoint")
    check_harmony_fits(ckpt, meta, str(src))
    if harmony_part(ckpt) is not None and not replace:
        raise StylegenError(f"{src}: already has a harmony part: use --force to replace it")
    ckpt["models"] = dict(ckpt["models"], **{HARMONY: {k: v.detach().cpu().clone() for k, v in weights.items()}})
    ckpt["model_config"] = dict(ckpt["model_config"], **{HARMONY: dict(config)})
    ckpt[HARMONY] = dict(meta)
    payload = {k: v for k, v in ckpt.items() if k != "format"}
    return save_checkpoint(dst, payload)


def build_model(ckpt: dict, name: str, kind: str | None = None, strict: bool = True) -> torch.nn.Module:
    """Rebuild model ``name`` of a loaded checkpoint through the registry and load its weights."""
    model = registry.build_from_config(ckpt["model_config"][name], kind or name)
    try:
        model.load_state_dict(ckpt["models"][name], strict=strict)
    except RuntimeError as e:
        raise StylegenError(f"checkpoint's {name} does not match its own config: {str(e)[:200]}") from None
    return model
