"""Neural networks only: plain nn.Modules, no I/O, no optimisers.

Importing this package registers every model in ``registry``.
"""

import importlib

for _m in ("generator", "generator_v1", "discriminator", "classifier", "harmony"):
    try:
        importlib.import_module(f"stylegen.models.{_m}")
    except ModuleNotFoundError as e:  # a module not written yet
        if e.name != f"stylegen.models.{_m}":
            raise
