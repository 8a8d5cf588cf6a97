r"""Variance-scaling recipes: ``torch_default`` (the constructors' draws), ``xavier`` and ``kaiming``.

Gains (``xavier``, ``kaiming``, and ``fixup`` in :mod:`.residual`): for torch's names,
:func:`torch.nn.init.calculate_gain`'s values (tanh :math:`5/3`, ReLU :math:`\sqrt{2}`, leaky ReLU
with the module's slope); for other activations (GELU, SiLU, Mish, ELU, Softplus, Hardswish, ...)
initref's derived forward gain :math:`1/\sqrt{E[f(z)^2]}`, :math:`z \sim \mathcal{N}(0, 1)`
(:func:`initref.gains.calculate_gain`); for SELU the gain 1 of LeCun normal, which
self-normalization needs (Klambauer et al. 2017), not torch's empirical :math:`3/4`.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from initref._generated import formulas
from initref.torch import init as nninit
from initref.torch.recipes.draws import (
    Draw,
    _constant,
    _default_normal,
    _gain,
    _kaiming,
    _normal,
    _uniform,
    _xavier,
    _zeros,
)
from initref.torch.recipes.layers import (
    _NORMS,
    _OUTPUT,
    _TRANSFORMER_LAYERS,
    CONV1D_STD,
    Activation,
    _activation_of,
    _block_shape,
    _embedding_padding,
    _is_conv1d,
    _is_embedding,
    _is_norm,
    _is_weight_layer,
    _qkv_blocks,
    _shape,
    layer_fans,
)
from initref.torch.recipes.options import _choice
from initref.torch.recipes.plan import _claim_bias_zero, _claim_norm, _Plan, _qualified


def _plan_torch_default(plan: _Plan, opts: dict[str, Any]) -> None:
    """The distributions of torch's ``reset_parameters``, module by module, in construction order."""
    for prefix, module in plan.layers():
        if isinstance(module, nn.MultiheadAttention):
            _torch_default_attention(plan, prefix, module)
        elif _is_conv1d(module):  # transformers/pytorch_utils.py Conv1D.__init__: normal_(std=0.02), bias zeros
            plan.claim(prefix, module, "weight", "weight", _normal(CONV1D_STD))
            plan.claim(prefix, module, "bias", "bias", _zeros())
        elif _is_weight_layer(module):
            _torch_default_layer(plan, prefix, module)
        elif isinstance(module, nn.Bilinear):
            bound = formulas.linear_default_bound(_shape(module)[1])
            plan.claim(prefix, module, "weight", "weight", _uniform(bound))
            plan.claim(prefix, module, "bias", "bias", _uniform(bound))
        elif _is_embedding(module):
            plan.claim(prefix, module, "weight", "embedding", _default_normal(), zero_rows=_embedding_padding(module))
        elif isinstance(module, _NORMS):
            _claim_norm(plan, prefix, module)
        elif isinstance(module, nn.RNNBase):
            bound = formulas.linear_default_bound(module.hidden_size) if module.hidden_size > 0 else 0.0
            for pname, _ in module.named_parameters(recurse=False):
                plan.claim(prefix, module, pname, "recurrent weight" if "weight" in pname else "bias", _uniform(bound))
        elif isinstance(module, nn.PReLU):
            plan.claim(prefix, module, "weight", "slope", _constant(module.init))


def _torch_default_layer(plan: _Plan, prefix: str, module: nn.Module, zero_bias: bool = False) -> None:
    """``nn.Linear``/``nn.ConvNd.reset_parameters``: kaiming_uniform_(a=sqrt(5)), bias U(±1/sqrt(fan_in))."""
    slope = formulas.TORCH_MODULE_DEFAULT_SLOPE
    shape = _shape(module)
    fans = layer_fans(module)
    draw = _kaiming(shape, "leaky_relu", slope, "fan_in", "uniform", fans)
    plan.claim(prefix, module, "weight", "weight", draw)
    fan_in = fans[0]
    bound = formulas.linear_default_bound(fan_in) if fan_in > 0 else 0.0
    if zero_bias:  # nn.MultiheadAttention draws out_proj.bias, then sets it to 0
        discarded = _uniform(bound)
        draw = Draw(f"zeros_() after torch's discarded {discarded.initializer}", "constant",
                    fill=lambda t, g: (discarded.fill(t, g), nninit.zeros_(t)))
        plan.claim(prefix, module, "bias", "bias", draw)
    else:
        plan.claim(prefix, module, "bias", "bias", _uniform(bound))


def _torch_default_attention(plan: _Plan, prefix: str, module: nn.MultiheadAttention) -> None:
    """``nn.MultiheadAttention.__init__``: out_proj's Linear draws first, then ``_reset_parameters``."""
    _torch_default_layer(plan, _qualified(prefix, "out_proj"), module.out_proj, zero_bias=True)
    weights = ("in_proj_weight",) if module.in_proj_weight is not None else ("q_proj_weight", "k_proj_weight",
                                                                             "v_proj_weight")
    for pname in weights:
        shape = tuple(getattr(module, pname).shape)
        plan.claim(prefix, module, pname, "projection", _xavier(shape, 1.0, "uniform", layer_fans(module, shape)))
    plan.claim(prefix, module, "in_proj_bias", "bias", _zeros())
    for pname in ("bias_k", "bias_v"):
        param = getattr(module, pname)
        if param is not None:
            shape = tuple(param.shape)
            plan.claim(prefix, module, pname, "bias", _xavier(shape, 1.0, "normal", layer_fans(module, shape)))


def _activation_after(plan: _Plan, name: str) -> Activation | None:
    """The activation applied to layer ``name``'s output, when the model's structure shows it.

    Inside ``nn.TransformerEncoderLayer``/``DecoderLayer`` the activation after ``linear1`` is the
    layer's ``activation`` and ``linear2`` has none, nor has an attention's ``out_proj``. Otherwise
    it is the first activation module registered after the layer, past dropout, norm, pooling and
    reshaping modules; ``None`` when another module comes first, ``"linear"`` when none follows.
    """
    parent_name, _, last = name.rpartition(".")
    parent = plan.modules.get(parent_name)
    if isinstance(parent, nn.MultiheadAttention) or (isinstance(parent, _TRANSFORMER_LAYERS) and last == "linear2"):
        return _OUTPUT  # the attention output and the feed-forward output feed the residual stream
    if isinstance(parent, _TRANSFORMER_LAYERS) and last == "linear1":
        flag = getattr(parent, "activation_relu_or_gelu", 0)
        return _activation_of(parent.activation) or {1: ("relu", None), 2: ("gelu", None)}.get(flag)
    return plan.activation_after(name)


def _layer_gain(plan: _Plan, name: str, default: str) -> tuple[str, float | None, float]:
    """(nonlinearity, its parameter, the recipe's gain :func:`_gain`) for the layer ``name``."""
    nonlinearity, param = _activation_after(plan, name) or (default, None)
    try:
        return nonlinearity, param, _gain(nonlinearity, param)
    except ValueError as exc:
        raise ValueError(f"cannot compute the gain of {nonlinearity!r}, the activation after layer {name!r}: "
                         f"{exc}") from exc


def _plan_variance(plan: _Plan, opts: dict[str, Any], family: str) -> None:
    """Xavier or Kaiming on every Linear/Conv/Conv1D weight; q/k/v of attention as three linear maps."""
    distribution = _choice("distribution", opts["distribution"], ("normal", "uniform"))
    default = opts["nonlinearity"]
    mode = _choice("mode", opts["mode"], ("fan_in", "fan_out")) if family == "kaiming" else "fan_in"
    for prefix, module in plan.layers():
        if isinstance(module, nn.MultiheadAttention):
            for pname, role, rows in _qkv_blocks(module):
                shape = _block_shape(getattr(module, pname), rows)
                fans = layer_fans(module, shape)
                draw = _xavier(shape, 1.0, distribution, fans) if family == "xavier" else _kaiming(
                    shape, "linear", None, mode, distribution, fans)
                plan.claim(prefix, module, pname, role, draw, rows)
            plan.claim(prefix, module, "in_proj_bias", "bias", _zeros())
        elif _is_weight_layer(module):
            nonlinearity, param, gain = _layer_gain(plan, prefix, default)
            shape, fans, conv1d = _shape(module), layer_fans(module), _is_conv1d(module)
            draw = (_xavier(shape, gain, distribution, fans) if family == "xavier"
                    else _kaiming(shape, nonlinearity, param, mode, distribution, fans, torch_layout=not conv1d))
            plan.claim(prefix, module, "weight", f"weight (then {nonlinearity})", draw)
            _claim_bias_zero(plan, prefix, module)
        elif _is_norm(module):
            _claim_norm(plan, prefix, module)
