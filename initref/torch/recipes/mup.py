"""``mup``: maximal-update parametrization (Yang et al. 2022, Tensor Programs V)."""

from __future__ import annotations

from typing import Any

from torch import nn
from torch.nn.modules.conv import _ConvNd

from initref._generated import formulas
from initref.fans import conv_fans
from initref.torch.recipes.draws import _normal, _zeros
from initref.torch.recipes.layers import _in_out_dims, _is_embedding, _is_norm, _is_weight_layer, _shape, layer_fans
from initref.torch.recipes.options import _nonnegative_float
from initref.torch.recipes.plan import _claim_bias_zero, _claim_norm, _Plan, _qualified


def _mup_fan_in(module: nn.Module, shape: tuple[int, ...]) -> float:
    """The counted fan-in: 1 for an embedding's one-hot input; the correct fan of a transposed conv."""
    if _is_embedding(module):
        return 1  # a one-hot input: one nonzero coordinate
    if isinstance(module, _ConvNd) and module.transposed:
        return conv_fans(shape, module.groups, transposed=True, stride=module.stride)[0]
    return layer_fans(module, shape)[0]


def _plan_mup(plan: _Plan, opts: dict[str, Any]) -> None:
    base = opts["base_model"]
    delta = opts["delta_model"]
    for option, value in (("base_model", base), ("delta_model", delta)):
        if value is not None and not isinstance(value, nn.Module):
            raise TypeError(f"{option} must be a torch.nn.Module of the same architecture; got {type(value).__name__}")
    std = None if opts["std"] is None else _nonnegative_float("std", opts["std"])
    readout_zero = bool(opts["readout_zero"])
    base_shapes = {n: tuple(p.shape) for n, p in base.named_parameters()}
    other_shapes = {n: tuple(p.shape) for n, p in (delta or plan.model).named_parameters()}
    seen_infinite = False
    for prefix, module in plan.layers():
        if _is_weight_layer(module) or _is_embedding(module):
            name = _qualified(prefix, "weight")
            if name not in base_shapes or name not in other_shapes:
                raise ValueError(f"mup: parameter {name!r} is missing from base_model or delta_model; they must have "
                                 "the model's architecture at other widths")
            shape = _shape(module)
            i_in, i_out = _in_out_dims(module)
            inf_in = base_shapes[name][i_in] != other_shapes[name][i_in]
            inf_out = base_shapes[name][i_out] != other_shapes[name][i_out]
            seen_infinite |= inf_in or inf_out
            base_fan = _mup_fan_in(module, base_shapes[name])
            sigma = formulas.lecun_std(base_fan) if std is None else std
            ratio = _mup_fan_in(module, shape) / base_fan
            if inf_in and inf_out:
                draw, role = _normal(formulas.mup_hidden_std(sigma, ratio)), "hidden weight"
            elif inf_in:
                draw = _zeros() if readout_zero else _normal(formulas.mup_output_std(sigma, ratio))
                role = "output weight"
            else:
                draw, role = _normal(sigma), "input weight"
            plan.claim(prefix, module, "weight", role, draw)
            _claim_bias_zero(plan, prefix, module)
        elif _is_norm(module):
            _claim_norm(plan, prefix, module)
    if not seen_infinite:
        raise ValueError("mup: no weight dimension differs between base_model and "
                         f"{'delta_model' if delta is not None else 'the model'}; pass a base_model (or a delta_model) "
                         "of another width so the width-dependent dimensions can be told apart")


