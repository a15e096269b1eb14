"""Where torch computes: the device a name asks for, and how many CPU threads it uses.

    pick_device(name="auto", local_rank=0) -> torch.device     cpu, cuda, cuda:N, mps or auto
    torch_threads(n)                                           a context: n threads, restored after

Shared by training, the classifier, inference and audio rendering: every place that turns
a ``device:`` setting or ``--device`` option into a ``torch.device`` calls this one function.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

from stylegen.errors import StylegenError

DEVICE_NAMES = "cpu, cuda, cuda:N, mps or auto"


def mps_available() -> bool:
    """Apple's Metal backend is usable (torch built with it, on a machine that has it)."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(name: str | torch.device = "auto", local_rank: int = 0) -> torch.device:
    """A usable ``torch.device`` for a device name.

    ``"auto"`` is ``cuda:<local_rank>`` when CUDA is present and the CPU otherwise (MPS is
    used only when asked for by name: ``"mps"``).  ``"cuda"`` without an index is
    ``cuda:<local_rank>``, so each process of a multi-GPU run gets its own GPU.  A device the
    machine lacks, or a name torch does not know, is a :class:`StylegenError` naming it.

    >>> pick_device("cpu")
    device(type='cpu')
    """
    if isinstance(name, torch.device):
        dev = name
    else:
        text = str(name).strip()
        if text == "auto":
            return torch.device(f"cuda:{local_rank}") if torch.cuda.is_available() else torch.device("cpu")
        try:
            dev = torch.device(text)
        except (RuntimeError, ValueError):
            raise StylegenError(f"unknown device {text!r} (use {DEVICE_NAMES})") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise StylegenError(f"device {str(name)!r} asked for, but CUDA is not available on this machine")
        index = local_rank if dev.index is None else dev.index
        if index >= torch.cuda.device_count():
            raise StylegenError(f"device {str(name)!r} asked for, but this machine has "
                                f"{torch.cuda.device_count()} CUDA device(s)")
        return torch.device("cuda", index)
    if dev.type == "mps":
        if not mps_available():
            raise StylegenError(f"device {str(name)!r} asked for, but MPS is not available on this machine")
        return dev
    if dev.type == "cpu":
        return dev
    raise StylegenError(f"unsupported device {str(name)!r} (use {DEVICE_NAMES})")


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run torch's CPU ops on ``n`` threads inside the block and restore the setting after
    (also on an error).  ``None`` or 0 leaves the setting as it is.

    Short, memory-bound element-wise ops (audio rendering, step-by-step LSTM inference) run
    faster on one thread on a busy machine: OpenMP's threads wait on each other
    (benchmarks/README.md measured the built-in synth 20x slower with 2 threads than with 1
    on a shared 2-core machine)."""
    old = torch.get_num_threads()
    if not n or n == old:
        yield
        return
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


__all__ = ["pick_device", "torch_threads", "mps_available", "DEVICE_NAMES"]
