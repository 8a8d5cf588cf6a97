"""Let torchvision's Python code import beside a CPU-only torch that cannot load its C++ ops.

PyPI's x86_64 torchvision wheels are linked against the CUDA build of torch. Beside the CPU
wheel this project pins (``torch==2.13.0+cpu``) their ``_C.so`` does not load; torchvision then
imports without its C++ ops, except that ``torchvision/_meta_registrations.py`` registers fake
kernels for ``torchvision::nms`` and ``torchvision::qnms`` unconditionally, and ``import
torchvision`` stops with ``RuntimeError: operator torchvision::nms does not exist``.
``transformers`` and ``timm`` import torchvision on import, although the models initref tests
against (GPT-2, Llama, BERT, ViT) use none of its C++ ops.

``make setup`` installs this module with a ``.pth`` line, so it runs at interpreter start-up. It
imports nothing then: it puts a finder on ``sys.meta_path`` that, at the first ``import
torchvision``, tries to load the real extension and, only if that fails, defines the *schemas*
of those two ops. They have no kernel: calling either raises torch's "no kernel" error, so
nothing pretends to work. Where torchvision's extension loads, this does nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path
from typing import Any

_LIBRARY: Any = None  # the torch.library.Library holding the schemas, kept alive


def _define_missing_ops() -> None:
    global _LIBRARY
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return
    import torch

    extension = Path(next(iter(spec.submodule_search_locations))) / "_C.so"
    try:
        torch.ops.load_library(str(extension))
        return
    except (OSError, RuntimeError):
        pass
    _LIBRARY = torch.library.Library("torchvision", "DEF")
    for op in ("nms", "qnms"):
        _LIBRARY.define(f"{op}(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")


class _BeforeTorchvision(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torchvision":
            sys.meta_path.remove(self)
            _define_missing_ops()
        return None  # the ordinary finders import torchvision


sys.meta_path.insert(0, _BeforeTorchvision())
