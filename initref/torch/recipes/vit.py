r"""``timm_vit``: timm's default Vision Transformer initialization (``weight_init=''``).

timm/models/vision_transformer.py (timm 1.0), ``VisionTransformer.init_weights`` with mode ``''``
and ``needs_reset=False`` (as ``__init__`` calls it):

- ``pos_embed``: ``trunc_normal_(std=.02)``; ``cls_token`` and ``reg_token``: ``normal_(std=1e-6)``;
  a distilled model's ``dist_token`` (timm/models/deit.py ``VisionTransformerDistilled.init_weights``):
  ``trunc_normal_(std=.02)``;
- ``named_apply(init_weights_vit_timm)``: every ``nn.Linear`` (the fused ``qkv``, ``proj``,
  ``fc1``/``fc2`` of ``Mlp``, the ``head``) ``trunc_normal_(std=.02)``, bias 0; every other module
  keeps what its constructor drew: ``PatchEmbed.proj`` (an ``nn.Conv2d``) torch's default
  ``kaiming_uniform_(a=sqrt(5))`` with bias :math:`\mathcal{U}(\pm 1/\sqrt{\text{fan\_in}})`,
  norms 1/0, ``LayerScale.gamma`` its ``init_values``;
- with ``fix_init=True``, ``fix_init_weight`` divides block :math:`i`'s ``attn.proj`` and
  ``mlp.fc2`` weights by :math:`\sqrt{2(i+1)}`.

timm's ``trunc_normal_`` (timm/layers/weight_init.py) has **absolute** bounds ``a=-2., b=2.``:
at ``std=.02`` they lie 100 standard deviations out, so the truncation changes the std by
less than :math:`10^{-2000}`; the draws are a truncated normal all the same and are described
as one (:class:`~initref.torch.recipes.draws.Draw` ``"trunc_normal"``).
"""

from __future__ import annotations

import math
from typing import Any

from torch import Tensor, nn
from torch.nn.modules.conv import _ConvNd

from initref.torch.recipes.draws import _constant, _fmt, _normal, _trunc_normal
from initref.torch.recipes.layers import _is_norm
from initref.torch.recipes.options import _nonnegative_float
from initref.torch.recipes.plan import _claim_bias_zero, _claim_norm, _Plan
from initref.torch.recipes.variance import _torch_default_layer

#: timm/layers/weight_init.py ``trunc_normal_(tensor, mean=0., std=1., a=-2., b=2.)``: absolute bounds.
TIMM_TRUNC_BOUND = 2.0
#: timm/models/vision_transformer.py ``VisionTransformer.init_weights``: ``nn.init.normal_(self.cls_token, std=1e-6)``.
TIMM_TOKEN_STD = 1e-6
_TOKENS = {"pos_embed": "position embedding", "cls_token": "class token", "reg_token": "register tokens",
           "dist_token": "distillation token"}


def _timm_trunc(std: float, scale: float = 1.0) -> Any:
    if scale == 1.0:
        return _trunc_normal(std, -TIMM_TRUNC_BOUND, TIMM_TRUNC_BOUND)
    return _trunc_normal(std / scale, -TIMM_TRUNC_BOUND / scale, TIMM_TRUNC_BOUND / scale,
                         f"trunc_normal_(std={_fmt(std)}, a=-2, b=2) / sqrt(2*(layer+1)) = /{_fmt(scale)}")


def _check_vit(plan: _Plan) -> None:
    model = plan.model
    mode = getattr(model, "weight_init_mode", "")
    if mode != "":
        raise ValueError(f"timm_vit reproduces timm's default weight_init='' only; the model was built with "
                         f"weight_init_mode={mode!r}")
    custom = [n for n, m in plan.modules.items() if n and not isinstance(m, nn.Linear) and hasattr(m, "init_weights")]
    if custom:
        raise ValueError(f"timm_vit: modules with their own init_weights are not reproduced (timm calls them instead "
                         f"of the Linear rule): {', '.join(custom[:8])}")
    if not any(isinstance(m, nn.Linear) for m in plan.modules.values()):
        raise ValueError("timm_vit: the model has no nn.Linear layer; timm's init_weights_vit_timm initialises Linear "
                         "layers (the model's modules: " + ", ".join(type(m).__name__ for m in
                                                                     list(plan.modules.values())[:8]) + ")")


def _fix_init_scales(plan: _Plan) -> dict[str, float]:
    """``{layer name: sqrt(2 (i + 1))}`` for timm's ``fix_init_weight``, when the model has ``fix_init``."""
    if not getattr(plan.model, "fix_init", False):
        return {}
    scales = {}
    for i, _ in enumerate(getattr(plan.model, "blocks", ())):
        for layer in (f"blocks.{i}.attn.proj", f"blocks.{i}.mlp.fc2"):
            scales[layer] = math.sqrt(2.0 * (i + 1))
    return scales


def _plan_timm_vit(plan: _Plan, opts: dict[str, Any]) -> None:
    std = _nonnegative_float("std", opts["std"])
    _check_vit(plan)
    model = plan.model
    for pname, role in _TOKENS.items():
        param = model._parameters.get(pname)
        if isinstance(param, Tensor):
            draw = _normal(TIMM_TOKEN_STD) if pname in ("cls_token", "reg_token") else _timm_trunc(std)
            plan.claim("", model, pname, role, draw)
    scales = _fix_init_scales(plan)
    for prefix, module in plan.layers():
        if isinstance(module, nn.Linear):
            plan.claim(prefix, module, "weight", "weight", _timm_trunc(std, scales.get(prefix, 1.0)))
            _claim_bias_zero(plan, prefix, module)
        elif isinstance(module, _ConvNd):  # PatchEmbed.proj: not a Linear, left as its constructor drew it
            _torch_default_layer(plan, prefix, module)
        elif _is_norm(module):
            _claim_norm(plan, prefix, module)
        elif isinstance(getattr(module, "gamma", None), Tensor) and hasattr(module, "init_values"):
            init_values: Any = module.init_values
            plan.claim(prefix, module, "gamma", "layer scale", _constant(float(init_values)))
