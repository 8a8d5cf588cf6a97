"""``head``: a new classifier head on a pretrained encoder (Dosovitskiy et al. 2021; BERT's N(0, 0.02^2))."""

from __future__ import annotations

from typing import Any

from initref.torch.recipes.draws import _normal, _zeros
from initref.torch.recipes.layers import _is_dense, _is_norm
from initref.torch.recipes.options import _choice, _nonnegative_float
from initref.torch.recipes.plan import (
    _claim_bias_zero,
    _claim_norm,
    _Plan,
    _qualified,
    _select_modules,
    _weight_layers_in,
)


def _plan_head(plan: _Plan, opts: dict[str, Any]) -> None:
    std = _nonnegative_float("std", opts["std"])
    last = _choice("last", opts["last"], ("zeros", "normal"))
    for root in _select_modules(plan, "module", opts["module"]):
        layers = [n for n in _weight_layers_in(plan, root) if _is_dense(plan.modules[n])]
        if not layers:
            raise ValueError(f"head: module {root!r} contains no nn.Linear (or transformers Conv1D) layer")
        for layer in layers:
            module = plan.modules[layer]
            is_last = layer == layers[-1]
            draw = _zeros() if is_last and last == "zeros" else _normal(std)
            plan.claim(layer, module, "weight", "classifier" if is_last else "head layer", draw)
            _claim_bias_zero(plan, layer, module)
        for sub, module in plan.modules[root].named_modules():
            if _is_norm(module):
                _claim_norm(plan, _qualified(root, sub), module)


