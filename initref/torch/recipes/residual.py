"""Residual-network recipes: ``fixup`` (Zhang et al. 2019), ``rezero`` (Bachlechner et al. 2020) and
``deepnorm`` (Wang et al. 2022)."""

from __future__ import annotations

from typing import Any

from torch import nn

from initref._generated import formulas
from initref.torch.recipes.draws import _fmt, _gain, _kaiming, _normal, _ones, _xavier, _zeros
from initref.torch.recipes.layers import (
    _block_shape,
    _is_conv1d,
    _is_dense,
    _is_norm,
    _is_weight_layer,
    _qkv_blocks,
    _shape,
    layer_fans,
)
from initref.torch.recipes.options import _choice, _positive_int
from initref.torch.recipes.plan import (
    _claim_bias_zero,
    _matches,
    _patterns,
    _Plan,
    _qualified,
    _select_modules,
    _weight_layers_in,
)


def _plan_fixup(plan: _Plan, opts: dict[str, Any]) -> None:
    mode = _choice("mode", opts["mode"], ("fan_in", "fan_out"))
    nonlinearity = opts["nonlinearity"]
    _gain(nonlinearity, None)  # an unknown name fails here, before any claim
    branches = _select_modules(plan, "branches", opts["branches"])
    blocks = len(branches)
    plan.constants["blocks"] = blocks
    heads = _select_modules(plan, "head", opts["head"]) if opts["head"] is not None else []
    for head in heads:
        for layer in _weight_layers_in(plan, head):
            module = plan.modules[layer]
            plan.claim(layer, module, "weight", "classification layer", _zeros())
            _claim_bias_zero(plan, layer, module)
    for branch in branches:
        layers = _weight_layers_in(plan, branch)
        if len(layers) < 2:
            raise ValueError(f"fixup: branch {branch!r} has {len(layers)} Linear/Conv layer(s); Fixup needs m >= 2 "
                             "weight layers per residual branch")
        scale = formulas.fixup_scale(blocks, len(layers))
        for layer in layers[:-1]:
            module = plan.modules[layer]
            he = _kaiming(_shape(module), nonlinearity, None, mode, "normal", layer_fans(module),
                          torch_layout=not _is_conv1d(module))
            label = f"normal_(std=kaiming_std({nonlinearity!r}, {mode})*{blocks}^(-1/(2*{len(layers)}-2)))"
            draw = he if 0 in _shape(module) else _normal(he.std * scale, label)  # zero-element: he's no-op
            plan.claim(layer, module, "weight", "branch layer", draw)
            _claim_bias_zero(plan, layer, module)
        last = plan.modules[layers[-1]]
        plan.claim(layers[-1], last, "weight", "branch last layer", _zeros())
        _claim_bias_zero(plan, layers[-1], last)
        _claim_fixup_scalars(plan, branch)
    for prefix, module in plan.layers():
        if _is_weight_layer(module):
            shape = _shape(module)
            draw = _kaiming(shape, nonlinearity, None, mode, "normal", layer_fans(module),
                            torch_layout=not _is_conv1d(module))
            plan.claim(prefix, module, "weight", "weight", draw)
            _claim_bias_zero(plan, prefix, module)


def _claim_fixup_scalars(plan: _Plan, branch: str) -> None:
    """Fixup's rule 3: scalar multipliers (``scale*``) start at 1, scalar biases (``bias*``) at 0."""
    root = plan.modules[branch]
    for sub, module in root.named_modules():
        if _is_weight_layer(module) or _is_norm(module):
            continue
        for pname, param in module.named_parameters(recurse=False):
            if param.numel() != 1:
                continue
            if pname.startswith("scale"):
                plan.claim(_qualified(branch, sub), module, pname, "scalar multiplier", _ones())
            elif pname.startswith("bias"):
                plan.claim(_qualified(branch, sub), module, pname, "scalar bias", _zeros())


def _plan_rezero(plan: _Plan, opts: dict[str, Any]) -> None:
    names = _patterns("names", opts["names"])
    for prefix, module in plan.layers():
        for pname, _ in module.named_parameters(recurse=False):
            if _matches(_qualified(prefix, pname), names):
                plan.claim(prefix, module, pname, "residual gate", _zeros())
    if not plan.entries:
        found = ", ".join(n for n, _ in list(plan.model.named_parameters())[:8]) or "none"
        raise ValueError(f"rezero: no parameter matches names={names!r}; pass names= with the residual gates' "
                         f"parameter names (parameters: {found}, ...)")


def _plan_deepnorm(plan: _Plan, opts: dict[str, Any]) -> None:
    n_layer = _positive_int("n_layer", opts["n_layer"])
    qk = _patterns("qk", opts["qk"])
    exclude = _patterns("exclude", opts["exclude"])
    beta = formulas.deepnorm_beta(n_layer)
    plan.constants["alpha"] = formulas.deepnorm_alpha(n_layer)
    plan.constants["beta"] = beta
    plan.notes.append(f"the forward pass must compute LN(alpha*x + G(x)) with alpha = {_fmt(plan.constants['alpha'])}")
    for prefix, module in plan.layers():
        if prefix and _matches(prefix, exclude):
            continue
        if isinstance(module, nn.MultiheadAttention):
            for pname, role, rows in _qkv_blocks(module):
                gain = beta if role == "value" else 1.0
                shape = _block_shape(getattr(module, pname), rows)
                plan.claim(prefix, module, pname, role, _xavier(shape, gain, "normal", layer_fans(module, shape)), rows)
        elif _is_dense(module):
            if _matches(prefix, qk):
                plan.claim(prefix, module, "weight", "query/key", _xavier(_shape(module), 1.0, "normal",
                                                                           layer_fans(module)))
            else:
                plan.claim(prefix, module, "weight", "value/output/ffn",
                           _xavier(_shape(module), beta, "normal", layer_fans(module)))

