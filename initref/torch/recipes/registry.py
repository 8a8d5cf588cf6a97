"""The recipe registry and the entry points: :class:`Recipe`, :func:`register_recipe`, :data:`RECIPES`,
:func:`plan_init`, :func:`apply_init`, and ``_plan`` (the plan the materializer fills)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from initref.torch import init as nninit
from initref.torch.recipes.head import _plan_head
from initref.torch.recipes.mup import _plan_mup
from initref.torch.recipes.options import REQUIRED, _agree, _from_config
from initref.torch.recipes.plan import _Plan
from initref.torch.recipes.report import InitReport
from initref.torch.recipes.residual import _plan_deepnorm, _plan_fixup, _plan_rezero
from initref.torch.recipes.transformer import _plan_gpt2, _plan_hf, _plan_small_init
from initref.torch.recipes.variance import _plan_torch_default, _plan_variance
from initref.torch.recipes.vit import _plan_timm_vit

__all__ = ["RECIPES", "Recipe", "apply_init", "plan_init", "register_recipe"]


@dataclass(frozen=True)
class Recipe:
    """A named initialization recipe.

    Attributes
    ----------
    name
        The name :func:`apply_init` takes.
    reference
        The source(s) it follows.
    touches
        Which modules and parameters it claims; everything else is left alone.
    options
        Option names and defaults (:data:`REQUIRED` for options without a default).
    plan
        ``plan(plan, options)`` claims parameters on a ``_Plan``.
    config
        Options read from ``model.config`` when the model has one: option name to the config
        attributes that may hold it, first found wins (``{"std": ("initializer_range",)}``). A
        value the caller passes must agree with the config's.
    """

    name: str
    reference: str
    touches: str
    options: Mapping[str, Any]
    plan: Callable[[_Plan, dict[str, Any]], None] = field(repr=False)
    config: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


_GAINS = ("Gains: torch's calculate_gain values for torch's names (tanh 5/3, relu sqrt(2), leaky_relu with the "
          "module's slope), initref's derived forward gain 1/sqrt(E[f(z)^2]), z ~ N(0, 1), for the others (GELU, "
          "SiLU, Mish, ELU, Softplus, Hardswish, ...); SELU gain 1 (LeCun normal, Klambauer et al. 2017), not "
          "torch's 3/4.")
_RESIDUAL_NAMES = ("c_proj", "out_proj", "linear2", "o_proj", "down_proj", "fc2")

#: Config attributes holding the recipes' options (Hugging Face names; nanoGPT's GPTConfig has n_layer).
_N_LAYER = ("n_layer", "num_hidden_layers")
_STD = ("initializer_range",)

_REGISTRY: dict[str, Recipe] = {}


def register_recipe(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to :data:`RECIPES` under ``recipe.name`` (replacing one of that name)."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be an initref.torch.recipes.Recipe; got {type(recipe).__name__}")
    _REGISTRY[recipe.name] = recipe
    return recipe


#: Every registered recipe by name (read-only view; add with :func:`register_recipe`).
RECIPES: Mapping[str, Recipe] = MappingProxyType(_REGISTRY)

for _recipe in (
    Recipe(
        "torch_default", "torch.nn.modules (PyTorch 2.13): Linear, ConvNd, Bilinear, Embedding, RNNBase, norms, "
        "MultiheadAttention, PReLU reset_parameters; derivation torch-module-defaults.",
        "nn.Linear/ConvNd: kaiming_uniform_(a=sqrt(5)), bias U(±1/sqrt(fan_in)); nn.Bilinear U(±1/sqrt(in1)); "
        "nn.Embedding N(0, 1) with the padding row 0; norm layers weight 1, bias 0; RNN/LSTM/GRU U(±1/sqrt(hidden)); "
        "nn.MultiheadAttention as its constructor; nn.PReLU its init value. Modules are visited in registration "
        "order, so with the same RNG state the bits equal those of constructing the model (for models whose "
        "constructors do not copy layers). Buffers (running statistics) are not touched.",
        {}, _plan_torch_default),
    Recipe(
        "xavier", "Glorot & Bengio (2010), AISTATS, eqs. 12 and 16; derivation glorot.",
        "Linear/Conv weights: Xavier with the gain of the activation module that follows the layer (the "
        "`nonlinearity` option where none is visible, 'linear' after the last layer); biases 0; attention q/k/v "
        "as three square maps with gain 1; norm layers 1/0. Embeddings and other modules are left alone. " + _GAINS,
        {"distribution": "uniform", "nonlinearity": "linear"}, lambda p, o: _plan_variance(p, o, "xavier")),
    Recipe(
        "kaiming", "He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV, eqs. 10 and 14; "
        "derivation kaiming.",
        "Linear/Conv weights: Kaiming with the activation module that follows the layer (the `nonlinearity` option "
        "where none is visible, 'linear' after the last layer); biases 0; attention q/k/v with gain 1; norm layers "
        "1/0. Embeddings and other modules are left alone. Zero-element weights are skipped with torch's "
        "warning. " + _GAINS,
        {"distribution": "normal", "mode": "fan_in", "nonlinearity": "relu"},
        lambda p, o: _plan_variance(p, o, "kaiming")),
    Recipe(
        "gpt2", "Radford et al. (2019), GPT-2, sec. 2.3; nanoGPT model.py _init_weights (std 0.02, "
        "c_proj std 0.02/sqrt(2 n_layer)); transformers models/gpt2/modeling_gpt2.py GPT2PreTrainedModel._init_weights "
        "and modeling_utils.py PreTrainedModel._init_weights (transformers 5.x); derivation gpt2-residual.",
        "Dense layers (nn.Linear, transformers Conv1D), convolutions, attention projections and embeddings "
        "N(0, std^2); residual output projections (dense layers matching `residual`: GPT-2's attn.c_proj and "
        "mlp.c_proj) N(0, std^2/(2 n_layer)); biases and padding rows 0; norm layers 1/0. std and n_layer are read "
        "from model.config (initializer_range; n_layer or num_hidden_layers) when the model has one.",
        {"n_layer": REQUIRED, "std": 0.02, "residual": _RESIDUAL_NAMES}, _plan_gpt2,
        {"n_layer": _N_LAYER, "std": _STD}),
    Recipe(
        "llama", "transformers modeling_utils.py PreTrainedModel._init_weights (LlamaPreTrainedModel in "
        "models/llama/modeling_llama.py adds none; initializer_range 0.02, transformers 5.x); Touvron et al. (2023), "
        "LLaMA.",
        "Dense layers, convolutions, attention projections and embeddings N(0, std^2); biases and padding rows 0; "
        "norm layers (LlamaRMSNorm, LayerNorm, ...) weight 1, bias 0. std is read from model.config.initializer_range "
        "when the model has one.",
        {"std": 0.02}, _plan_hf("llama"), {"std": _STD}),
    Recipe(
        "bert", "Devlin et al. (2019), BERT, sec. A.2 (N(0, 0.02^2)); transformers models/bert/modeling_bert.py "
        "BertPreTrainedModel._init_weights and modeling_utils.py PreTrainedModel._init_weights (transformers 5.x).",
        "Dense layers, convolutions, attention projections and embeddings N(0, std^2); biases and the padding row 0; "
        "norm layers 1/0; a module's own 1-D `bias` outside any layer (BertLMPredictionHead.bias, tied to "
        "decoder.bias) 0. std is read from model.config.initializer_range when the model has one.",
        {"std": 0.02}, _plan_hf("bert"), {"std": _STD}),
    Recipe(
        "timm_vit", "timm models/vision_transformer.py VisionTransformer.init_weights and init_weights_vit_timm "
        "(weight_init=''), timm layers/weight_init.py trunc_normal_ (absolute bounds a=-2, b=2), timm 1.0; "
        "Dosovitskiy et al. (2021), ViT.",
        "pos_embed (and dist_token) trunc_normal(std, a=-2, b=2); cls_token/reg_token N(0, 1e-6^2); every nn.Linear "
        "(qkv, proj, fc1, fc2, head) trunc_normal(std, a=-2, b=2), bias 0 (divided by sqrt(2(i+1)) in block i's "
        "attn.proj and mlp.fc2 with fix_init); convolutions (PatchEmbed.proj) torch's default; norms 1/0; "
        "LayerScale gamma its init_values. Models with other weight_init modes or modules with their own "
        "init_weights are refused.",
        {"std": 0.02}, _plan_timm_vit),
    Recipe(
        "small_init", "Nguyen & Salazar (2019), Transformers without Tears, sec. 2; GPT-NeoX init_functions.py "
        "(small_init, wang_init); derivation small-init.",
        "Linear weights, attention projections and embeddings N(0, 2/(5 d_model)); with n_layer, residual output "
        "projections (matching `residual`) N(0, (2/(n_layer sqrt(d_model)))^2) (Wang's convention); biases 0; "
        "norm layers 1/0.",
        {"d_model": REQUIRED, "n_layer": None, "residual": _RESIDUAL_NAMES}, _plan_small_init),
    Recipe(
        "fixup", "Zhang, Dauphin & Ma (2019), Fixup Initialization, ICLR, sec. 3; derivation fixup.",
        "Residual branches (modules matching `branches`, L of them, each with m >= 2 Linear/Conv layers): all but "
        "the last layer Kaiming-normal times L^(-1/(2m-2)), the last layer 0; the `head` layer 0; scalar "
        "parameters named scale*/bias* inside branches 1/0; every other Linear/Conv Kaiming-normal; their biases 0. "
        "Norm layers are left alone (Fixup trains without them).",
        {"branches": REQUIRED, "head": None, "mode": "fan_in", "nonlinearity": "relu"}, _plan_fixup),
    Recipe(
        "rezero", "Bachlechner, Majumder, Mao, Cottrell & McAuley (2020), ReZero is All You Need, eq. 5 "
        "(alpha_i = 0 at initialization); derivation residual-scaling.",
        "Only the residual gates, the parameters whose name (or last name component) matches `names` (globs; "
        "pass names='alpha' for gates called alpha): set to 0. Combine with another recipe for the rest.",
        {"names": ("resweight", "res_weight", "rezero", "rezero_alpha", "rezero_weight")}, _plan_rezero),
    Recipe(
        "deepnorm", "Wang et al. (2022), DeepNet: Scaling Transformers to 1,000 Layers, Table 1 and Figure 2; "
        "derivation deepnorm.",
        "Linear weights not matching `exclude`: query/key (matching `qk`, and the q/k blocks of attention) "
        "xavier_normal_(gain=1); all others (value, attention output, feed-forward) xavier_normal_(gain=beta), "
        "beta = (8 n_layer)^(-1/4) for an encoder-only or decoder-only stack. Biases, embeddings and norms are left "
        "alone; the report's constants give alpha = (2 n_layer)^(1/4) for the forward pass.",
        {"n_layer": REQUIRED, "qk": ("q_proj", "k_proj", "query", "key", "wq", "wk"), "exclude": ()},
        _plan_deepnorm),
    Recipe(
        "mup", "Yang et al. (2022), Tensor Programs V, Table 3 and Table 8; derivation mup.",
        "Linear/Conv/Embedding weights, classified by comparing shapes with `base_model` (or base_model with "
        "`delta_model`): hidden (both dims width-dependent) N(0, sigma^2/r), output (input dim width-dependent) "
        "N(0, sigma^2/r^2) or 0 with readout_zero, input (finite fan-in) N(0, sigma^2); r = fan_in/base fan_in, "
        "sigma = `std` or the base layer's 1/sqrt(fan_in) (1 for embeddings); biases 0; norm layers 1/0.",
        {"base_model": REQUIRED, "delta_model": None, "std": None, "readout_zero": False}, _plan_mup),
    Recipe(
        "head", "Dosovitskiy et al. (2021), An Image is Worth 16x16 Words, sec. 3.2 (zero-initialized head for "
        "fine-tuning); Devlin et al. (2019), BERT (N(0, 0.02^2), transformers' initializer_range).",
        "Only the Linear layers inside `module` (a name, glob, or the module): the last one 0 (last='zeros') or "
        "N(0, std^2), earlier ones N(0, std^2); their biases 0; norm layers inside 1/0.",
        {"module": REQUIRED, "std": 0.02, "last": "zeros"}, _plan_head),
):
    register_recipe(_recipe)


# ----------------------------------------------------------------------------- entry points


def _resolve(recipe: str | Recipe) -> Recipe:
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, str) and recipe in RECIPES:
        return RECIPES[recipe]
    names = ", ".join(repr(n) for n in RECIPES)
    raise ValueError(f"recipe must be one of {names} (or a Recipe); got {recipe!r}")


def _options(recipe: Recipe, given: Mapping[str, Any], model: nn.Module | None = None) -> dict[str, Any]:
    """The recipe's options: defaults, then values read from ``model.config``, then those ``given``.

    A given value that ``model.config`` contradicts raises ``ValueError``: the model would be
    initialised for another architecture than it has.
    """
    accepted = ", ".join(recipe.options) or "none"
    unknown = [k for k in given if k not in recipe.options]
    if unknown:
        raise TypeError(f"{recipe.name} got unexpected option(s) {', '.join(unknown)}; accepted options: "
                        f"{accepted} (and generator)")
    configured = _from_config(model, recipe.config) if model is not None else {}
    for option, (attribute, value) in configured.items():
        if option in given and not _agree(given[option], value):
            raise ValueError(f"{recipe.name}: {option}={given[option]!r} contradicts the model's "
                             f"config.{attribute}={value!r}; leave {option} out to use the config's value (or change "
                             "the config)")
    options = {**recipe.options, **{k: v for k, (_, v) in configured.items()}, **given}
    missing = [k for k, v in options.items() if v is REQUIRED]
    if missing:
        raise TypeError(f"{recipe.name} requires option(s) {', '.join(missing)}; accepted options: {accepted} "
                        "(and generator)")
    return options


def _plan(model: nn.Module, recipe: str | Recipe, options: Mapping[str, Any]) -> tuple[Recipe, dict[str, Any], _Plan]:
    """Resolve ``recipe``, its options (with ``model.config``'s), and the plan of claims on ``model``.

    Returns ``(recipe, options, plan)``: ``plan.entries`` lists ``(Touched, Tensor)`` in fill order,
    each parameter (or block of rows) once; ``plan.report(recipe, options)`` is the
    :class:`InitReport`. Nothing is written.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    chosen = _resolve(recipe)
    opts = _options(chosen, options, model)
    plan = _Plan(model)
    configured = _from_config(model, chosen.config)
    if configured:
        plan.notes.append("read from model.config: " + ", ".join(
            f"{option}={value!r} (config.{attribute})" for option, (attribute, value) in configured.items()))
    chosen.plan(plan, opts)
    if not plan.entries and any(True for _ in model.parameters()):
        kinds = ", ".join(sorted({type(m).__name__ for m in model.modules()})[:8])
        raise ValueError(f"{chosen.name}: the model has no parameter this recipe recognises (its modules: {kinds}); "
                         f"see RECIPES[{chosen.name!r}].touches")
    return chosen, opts, plan


def plan_init(model: nn.Module, recipe: str | Recipe, **options: Any) -> InitReport:
    """What :func:`apply_init` would do, without touching the model.

    Parameters are those of :func:`apply_init` (without ``generator``).

    Returns
    -------
    InitReport
        The claimed parameters with their distributions, and those left alone.
    """
    chosen, opts, plan = _plan(model, recipe, options)
    return plan.report(chosen, opts)


def apply_init(model: nn.Module, recipe: str | Recipe, *, generator: torch.Generator | None = None,
               **options: Any) -> InitReport:
    r"""Initialize ``model`` in place with a named recipe.

    The recipe claims parameters module by module (registration order) and fills each through
    :mod:`initref.torch`. Parameters it does not claim are not written. All checks (unknown
    recipe or option, missing option, a pattern that matches nothing) happen before the first
    write, so a rejected call leaves the model as it was.

    ==================== ======================================================================
    recipe               options (defaults)
    ==================== ======================================================================
    ``"torch_default"``  none
    ``"xavier"``         ``distribution="uniform"``, ``nonlinearity="linear"``
    ``"kaiming"``        ``distribution="normal"``, ``mode="fan_in"``, ``nonlinearity="relu"``
    ``"gpt2"``           ``n_layer`` (required unless ``model.config`` has it), ``std=0.02``,
                         ``residual=(names)``
    ``"llama"``          ``std=0.02`` (or ``model.config.initializer_range``)
    ``"bert"``           ``std=0.02`` (or ``model.config.initializer_range``)
    ``"timm_vit"``       ``std=0.02``
    ``"small_init"``     ``d_model`` (required), ``n_layer=None``, ``residual=(names)``
    ``"fixup"``          ``branches`` (required), ``head=None``, ``mode``, ``nonlinearity``
    ``"rezero"``         ``names=("resweight", "res_weight", "rezero", ...)``
    ``"deepnorm"``       ``n_layer`` (required), ``qk=(names)``, ``exclude=()``
    ``"mup"``            ``base_model`` (required), ``delta_model=None``, ``std=None``,
                         ``readout_zero=False``
    ``"head"``           ``module`` (required), ``std=0.02``, ``last="zeros"``
    ==================== ======================================================================

    The main formulas: GPT-2's residual projections :math:`\sigma/\sqrt{2 n_\text{layer}}`;
    SmallInit :math:`\sqrt{2/(5d)}`; Fixup's branch scale :math:`L^{-1/(2m-2)}`; DeepNorm's
    :math:`\beta = (8N)^{-1/4}`, :math:`\alpha = (2N)^{1/4}`; μP's hidden std :math:`\sigma/\sqrt{r}`
    and output std :math:`\sigma/r` with :math:`r` the fan-in over the base model's.

    Parameters
    ----------
    model
        The model; modified in place.
    recipe
        A name in :data:`RECIPES` or a :class:`Recipe`.
    generator
        The generator every random draw uses (``None``: torch's global RNG).
    **options
        The recipe's options (see the table and ``RECIPES[name].touches``).

    Returns
    -------
    InitReport
        Every claimed parameter with its initializer and std, the parameters left alone, tied
        aliases, constants the forward pass needs and notes. ``print(report)`` shows a table.

    Raises
    ------
    ValueError
        Unknown recipe, a bad option value, an option ``model.config`` contradicts (``n_layer=6``
        on a 4-layer config), a name pattern that matches nothing, or a model with no layer the
        recipe recognises.
    TypeError
        Unknown or missing options; a model that is not an ``nn.Module``.

    References
    ----------
    Radford et al. (2019), GPT-2; Nguyen & Salazar (2019), Transformers without Tears; Zhang et al.
    (2019), Fixup; Bachlechner et al. (2020), ReZero; Wang et al. (2022), DeepNet; Yang et al. (2022),
    Tensor Programs V; Dosovitskiy et al. (2021), ViT; He et al. (2015); Glorot & Bengio (2010).
    """
    chosen, opts, plan = _plan(model, recipe, options)
    with torch.no_grad():
        for touched, param in plan.entries:
            view = param if touched.rows is None else param[touched.rows[0]:touched.rows[1]]
            touched.draw.fill(view, generator)
            for row in touched.zero_rows:
                nninit.zeros_(view[row])
    return plan.report(chosen, opts)
