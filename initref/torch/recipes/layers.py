r"""Which modules are layers, norms, embeddings and activations, as the ecosystem builds them.

Recognition is by what a module is, not only by ``isinstance`` of torch's classes, so the recipes
work on Hugging Face ``transformers`` and ``timm`` models without importing either library:

- dense and convolution layers: ``nn.Linear`` (timm's ``Linear`` and torch's
  ``NonDynamicallyQuantizableLinear`` are subclasses), ``nn.ConvNd`` (timm's ``PatchEmbed.proj``),
  and transformers' ``Conv1D`` (class name ``Conv1D``, an ``nf`` attribute, a 2-D weight stored
  ``(in, out)``: transformers/pytorch_utils.py);
- fused attention projections: ``nn.MultiheadAttention``'s ``in_proj_weight`` is claimed as three
  blocks of rows (query, key, value); a fused ``qkv`` Linear (timm ``Attention.qkv``, GPT-2's
  ``c_attn``) is one layer, as the libraries initialise it;
- norms: torch's norm classes and any module whose class name contains ``Norm`` and whose own
  ``weight`` is 1-D (``LlamaRMSNorm``, timm's ``LayerNorm``, ``T5LayerNorm``); transformers'
  ``PreTrainedModel._init_weights`` recognises norms by class name for the same reason;
- embeddings: ``nn.Embedding``/``nn.EmbeddingBag``.

Fans of every recognised layer come from :func:`initref.fans.layer_fans` through :func:`layer_fans`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.conv import _ConvNd

from initref import fans as _fans

_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
          nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
          nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
#: Modules that sit between a layer and its activation without changing which activation it is.
_TRANSPARENT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.Identity,
                nn.Flatten, nn.Unflatten, _NormBase, nn.LayerNorm, nn.GroupNorm, *_POOLS)
#: An activation as ``(name, param)``: a name :func:`initref.gains.calculate_gain` knows, and the
#: parameter for the activations that take one (``None`` otherwise, or for the default).
Activation = tuple[str, float | None]
#: What follows a model's last layer: nothing, the identity.
_OUTPUT: Activation = ("linear", None)
#: Activation modules (exact types) and their :data:`Activation`.
_ACTIVATIONS: dict[type, Callable[[Any], Activation]] = {
    nn.ReLU: lambda m: ("relu", None),
    nn.LeakyReLU: lambda m: ("leaky_relu", m.negative_slope),
    nn.Tanh: lambda m: ("tanh", None),
    nn.Sigmoid: lambda m: ("sigmoid", None),
    nn.SELU: lambda m: ("selu", None),
    nn.GELU: lambda m: ("gelu_tanh" if m.approximate == "tanh" else "gelu", None),
    nn.SiLU: lambda m: ("silu", None),
    nn.ELU: lambda m: ("elu", m.alpha),
    nn.CELU: lambda m: ("celu", m.alpha),
    nn.Mish: lambda m: ("mish", None),
    nn.Softplus: lambda m: ("softplus", m.beta),  # torch's threshold (linear above 20/beta) is ignored
    nn.ReLU6: lambda m: ("relu6", None),
    nn.Hardtanh: lambda m: ("hardtanh", None),
    nn.Hardswish: lambda m: ("hardswish", None),
    nn.Hardsigmoid: lambda m: ("hardsigmoid", None),
    nn.Softsign: lambda m: ("softsign", None),
}
#: Functional activations (as ``nn.TransformerEncoderLayer(activation=...)`` takes them), by identity.
_FUNCTIONS: dict[Callable[..., Any], Activation] = {
    F.relu: ("relu", None), F.gelu: ("gelu", None), F.silu: ("silu", None), F.mish: ("mish", None),
    F.elu: ("elu", None), F.selu: ("selu", None), F.softplus: ("softplus", None), F.hardswish: ("hardswish", None),
    F.leaky_relu: ("leaky_relu", 0.01), torch.tanh: ("tanh", None), torch.sigmoid: ("sigmoid", None),
}
_TRANSFORMER_LAYERS = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)
_NORMS = (_NormBase, nn.LayerNorm, nn.GroupNorm, nn.RMSNorm)
_EMBEDDINGS = (nn.Embedding, nn.EmbeddingBag)
#: What transformers' ``Conv1D`` constructor draws its weight from: ``nn.init.normal_(self.weight, std=0.02)``
#: (transformers/pytorch_utils.py ``Conv1D.__init__``, transformers 5.x).
CONV1D_STD = 0.02


def _shape(module: nn.Module, pname: str = "weight") -> tuple[int, ...]:
    """Shape of ``module``'s parameter ``pname``."""
    param = getattr(module, pname)
    if not isinstance(param, Tensor):
        raise TypeError(f"{type(module).__name__}.{pname} is not a tensor")
    return tuple(param.shape)


def _is_conv1d(module: nn.Module) -> bool:
    """transformers' ``Conv1D`` (GPT-2, GPT-J's ancestors, ...), by duck typing: a dense layer whose
    weight is stored ``(in, out)``, ``nf`` outputs (transformers/pytorch_utils.py)."""
    weight = getattr(module, "weight", None)
    return (type(module).__name__ == "Conv1D" and isinstance(getattr(module, "nf", None), int)
            and isinstance(weight, Tensor) and weight.dim() == 2)


def _is_dense(module: nn.Module) -> bool:
    """A dense layer: ``nn.Linear`` (and subclasses) or transformers' ``Conv1D``."""
    return isinstance(module, nn.Linear) or _is_conv1d(module)


def _is_weight_layer(module: nn.Module) -> bool:
    """A dense or convolution layer (the layers the variance-scaling recipes draw)."""
    return isinstance(module, (nn.Linear, _ConvNd)) or _is_conv1d(module)


def _is_embedding(module: nn.Module) -> bool:
    return isinstance(module, _EMBEDDINGS)


def _is_norm(module: nn.Module) -> bool:
    """torch's norm layers, any module whose class name ends in ``Norm`` (e.g. a custom RMSNorm),
    and any whose class name contains ``Norm`` and whose own ``weight`` is 1-D (``LlamaRMSNorm``,
    ``BertLayerNorm``-style names, timm's ``LayerNorm2d``).

    Shared with :mod:`initref.torch.checklist`, so both agree on what a norm layer is.
    """
    name = type(module).__name__
    if isinstance(module, _NORMS) or name.endswith("Norm"):
        return True
    weight = module._parameters.get("weight")
    return "Norm" in name and weight is not None and weight.dim() == 1


def layer_fans(module: nn.Module, shape: tuple[int, ...] | None = None) -> tuple[float, float]:
    """``(fan_in, fan_out)`` of a recognised layer's weight by torch's rule (:func:`initref.fans.layer_fans`).

    ``shape`` overrides the weight's shape (a block of rows). transformers' ``Conv1D`` reads its
    ``(in, out)`` layout; everything else torch's ``(out, in, *kernel)``.
    """
    shape = _shape(module) if shape is None else shape
    return _fans.layer_fans(shape, "in_out" if _is_conv1d(module) else "out_in")


def _in_out_dims(module: nn.Module) -> tuple[int, int]:
    """(input dim, output dim) of a layer's weight: Embedding (num, dim), transposed conv and
    ``Conv1D`` (in, out, ...), otherwise torch's (out, in, ...)."""
    if _is_embedding(module) or _is_conv1d(module) or (isinstance(module, _ConvNd) and module.transposed):
        return 0, 1
    return 1, 0


def _activation_of(module: object) -> Activation | None:
    """The :data:`Activation` of an activation module or function; ``None`` for anything else."""
    describe = _ACTIVATIONS.get(type(module))
    if describe is not None:
        return describe(module)
    return _FUNCTIONS.get(module) if callable(module) and not isinstance(module, nn.Module) else None


def _activations_ahead(modules: list[nn.Module]) -> list[Activation | None]:
    """``ahead[k]``: the activation the leaf modules from index ``k`` on apply first (one reverse pass).

    Non-leaf modules and :data:`_TRANSPARENT` ones pass the answer of the next index through; another
    leaf module gives ``None``; past the end it is :data:`_OUTPUT`.
    """
    ahead: list[Activation | None] = [_OUTPUT] * (len(modules) + 1)
    for k in range(len(modules) - 1, -1, -1):
        module = modules[k]
        found = _activation_of(module)
        if any(True for _ in module.children()) or (found is None and isinstance(module, _TRANSPARENT)):
            ahead[k] = ahead[k + 1]
        else:
            ahead[k] = found
    return ahead


def _qkv_blocks(module: nn.MultiheadAttention) -> list[tuple[str, str, tuple[int, int] | None]]:
    """(parameter, role, rows) of the query, key and value maps of an ``nn.MultiheadAttention``."""
    if module.in_proj_weight is not None:
        e = module.embed_dim
        return [("in_proj_weight", role, (k * e, (k + 1) * e)) for k, role in enumerate(("query", "key", "value"))]
    return [("q_proj_weight", "query", None), ("k_proj_weight", "key", None), ("v_proj_weight", "value", None)]


def _block_shape(param: Tensor, rows: tuple[int, int] | None) -> tuple[int, ...]:
    shape = tuple(param.shape)
    return shape if rows is None else (rows[1] - rows[0], *shape[1:])


def _embedding_padding(module: nn.Module) -> tuple[int, ...]:
    padding = getattr(module, "padding_idx", None)
    return () if padding is None else (padding,)
