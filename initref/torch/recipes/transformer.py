r"""Normal-init transformer recipes: ``gpt2``, ``llama``, ``bert``, ``small_init``.

``gpt2``, ``llama`` and ``bert`` reproduce Hugging Face transformers' ``_init_weights`` (5.x):

- ``PreTrainedModel._init_weights`` (transformers/modeling_utils.py): ``nn.Linear`` and
  ``nn.Conv1d/2d/3d``, ``nn.ConvTranspose1d/2d`` weights :math:`\mathcal{N}(0, r^2)` with
  :math:`r` = ``config.initializer_range``, biases 0; ``nn.Embedding`` :math:`\mathcal{N}(0, r^2)`
  with the ``padding_idx`` row 0; norms (class name containing ``LayerNorm``/``RMSNorm``, and
  torch's batch/group norms) weight 1, bias 0.
- ``GPT2PreTrainedModel._init_weights`` (models/gpt2/modeling_gpt2.py): ``Conv1D`` like
  ``nn.Linear``; then ``c_proj.weight`` of every ``GPT2Attention``/``GPT2MLP``
  :math:`\mathcal{N}(0, r^2/(2 n_\text{layer}))` (Radford et al. 2019, sec. 2.3).
- ``LlamaPreTrainedModel`` (models/llama/modeling_llama.py) has no ``_init_weights`` of its own:
  the base one, ``LlamaRMSNorm`` weight 1.
- ``BertPreTrainedModel._init_weights`` (models/bert/modeling_bert.py): the base one, and
  ``BertLMPredictionHead.bias`` 0.

Options ``std`` (and ``n_layer`` for ``gpt2``) are read from ``model.config`` when the model has one.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torch.nn.modules.conv import _ConvNd

from initref._generated import formulas
from initref.torch.recipes.draws import Draw, _fmt, _normal, _zeros
from initref.torch.recipes.layers import (
    _embedding_padding,
    _is_dense,
    _is_embedding,
    _is_norm,
    _is_weight_layer,
    _qkv_blocks,
)
from initref.torch.recipes.options import _nonnegative_float, _positive_int
from initref.torch.recipes.plan import _claim_bias_zero, _claim_norm, _matches, _module_names, _patterns, _Plan

#: transformers' PreTrainedModel._init_weights calls nn.MultiheadAttention._reset_parameters (xavier_uniform_).
MHA_DEPARTURE = "transformers: torch's xavier_uniform_; here N(0, std^2), as nanoGPT's fused c_attn"


def _plan_normal_transformer(plan: _Plan, std: float, residual: tuple[str, ...], residual_draw: Draw | None,
                             convs: bool = False, output_biases: bool = False) -> tuple[int, int]:
    """Every dense layer, attention projection and Embedding from N(0, std^2); biases 0; norms 1/0.

    ``convs``: convolution weights too (transformers' base ``_init_weights``). ``output_biases``:
    a module's own 1-D ``bias`` parameter outside any recognised layer 0 (``BertLMPredictionHead.bias``).
    Returns ``(residual, layers)``: the number of residual projections (dense layers matching
    ``residual``) drawn from ``residual_draw`` instead, and the number of weight layers and
    embeddings claimed.
    """
    count = layers = 0
    for prefix, module in plan.layers():
        if isinstance(module, nn.MultiheadAttention):
            layers += 1
            for pname, role, rows in _qkv_blocks(module):
                plan.claim(prefix, module, pname, role, _normal(std), rows, departure=MHA_DEPARTURE)
            plan.claim(prefix, module, "in_proj_bias", "bias", _zeros())
        elif _is_dense(module) or (convs and isinstance(module, _ConvNd)):
            layers += 1
            if residual_draw is not None and _is_dense(module) and _matches(prefix, residual):
                count += 1
                plan.claim(prefix, module, "weight", "residual projection", residual_draw)
            else:
                plan.claim(prefix, module, "weight", "weight", _normal(std))
            _claim_bias_zero(plan, prefix, module)
        elif _is_embedding(module):
            layers += 1
            plan.claim(prefix, module, "weight", "embedding", _normal(std), zero_rows=_embedding_padding(module))
        elif _is_norm(module):
            _claim_norm(plan, prefix, module)
        elif output_biases and not _is_weight_layer(module):
            bias = module._parameters.get("bias")
            if isinstance(bias, Tensor) and bias.dim() == 1:
                plan.claim(prefix, module, "bias", "output bias", _zeros())
    return count, layers


def _no_layers(name: str, plan: _Plan) -> ValueError:
    modules = ", ".join(f"{n or '<root>'}: {type(m).__name__}" for n, m in list(plan.modules.items())[:8])
    return ValueError(f"{name}: the model has no layer this recipe initialises (nn.Linear, transformers Conv1D, "
                      f"nn.ConvNd, nn.Embedding, nn.MultiheadAttention); its modules: {modules or 'none'}")


def _plan_gpt2(plan: _Plan, opts: dict[str, Any]) -> None:
    std = _nonnegative_float("std", opts["std"])
    n_layer = _positive_int("n_layer", opts["n_layer"])
    residual = _patterns("residual", opts["residual"])
    projection_std = formulas.gpt2_residual_std(std, n_layer)
    label = f"normal_(std={_fmt(std)}/sqrt(2*{n_layer}))"
    count, layers = _plan_normal_transformer(plan, std, residual, _normal(projection_std, label), convs=True)
    if layers == 0:
        raise _no_layers("gpt2", plan)
    if count == 0:
        raise ValueError(f"gpt2: no Linear module matches residual={residual!r}; pass residual= with the names "
                         f"of the residual output projections (Linear modules: {_module_names(plan)})")
    if count != 2 * n_layer:
        plan.notes.append(f"{count} residual projections matched, GPT-2 expects 2*n_layer = {2 * n_layer}")


def _plan_hf(name: str) -> Any:
    """transformers' base ``PreTrainedModel._init_weights`` (``llama``), plus output biases (``bert``)."""
    def plan_recipe(plan: _Plan, opts: dict[str, Any]) -> None:
        std = _nonnegative_float("std", opts["std"])
        _, layers = _plan_normal_transformer(plan, std, (), None, convs=True, output_biases=name == "bert")
        if layers == 0:
            raise _no_layers(name, plan)
    return plan_recipe


def _plan_small_init(plan: _Plan, opts: dict[str, Any]) -> None:
    d_model = _positive_int("d_model", opts["d_model"])
    std = formulas.small_init_std(d_model)
    residual_draw = None
    if opts["n_layer"] is not None:
        n_layer = _positive_int("n_layer", opts["n_layer"])
        residual_draw = _normal(formulas.wang_init_std(n_layer, d_model),
                                f"normal_(std=2/({n_layer}*sqrt({d_model})))")
    count, layers = _plan_normal_transformer(plan, std, _patterns("residual", opts["residual"]), residual_draw)
    if layers == 0:
        raise _no_layers("small_init", plan)
    if residual_draw is not None and count == 0:
        raise ValueError(f"small_init: n_layer given but no Linear module matches residual={opts['residual']!r} "
                         f"(Linear modules: {_module_names(plan)})")
