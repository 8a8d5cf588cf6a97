r"""Whole-model initialization recipes: ``apply_init(model, recipe, **options)``.

A *recipe* walks a model's modules in registration order and *claims* parameters: for each it
chooses a distribution and fills the tensor through :mod:`initref.torch`'s drop-ins for
``torch.nn.init`` (so a ``generator=`` gives reproducible bits). Parameters a recipe does not
claim are never written. :func:`apply_init` returns an :class:`InitReport` listing every claimed
parameter with the distribution and standard deviation it was drawn from, and every parameter
left alone; :func:`plan_init` returns the same report without touching the model (the
:func:`initref.torch.checklist` compares a model against it).

=============== ============================================================================
recipe          what it does (see each ``_plan_*`` function and :data:`RECIPES` for details)
=============== ============================================================================
torch_default   what the modules' constructors draw (``reset_parameters``), in their order
xavier          Xavier/Glorot on Linear/Conv weights, gain of the activation that follows
kaiming         Kaiming/He on Linear/Conv weights, gain of the activation that follows
gpt2            :math:`\mathcal{N}(0, 0.02^2)`; residual projections std :math:`0.02/\sqrt{2L}` (HF GPT-2 too)
llama           transformers' ``_init_weights``: :math:`\mathcal{N}(0, r^2)`, norms at 1
bert            transformers' BERT ``_init_weights``: :math:`\mathcal{N}(0, r^2)`, norms 1/0, output bias 0
timm_vit        timm's ViT ``init_weights``: truncated normal (std 0.02, bounds ±2), tokens std 1e-6
small_init      :math:`\mathcal{N}(0, 2/(5d))`; optionally Wang's :math:`2/(L\sqrt{d})` outputs
fixup           residual branches scaled by :math:`L^{-1/(2m-2)}`, last layers and head at 0
rezero          residual gates :math:`\alpha = 0`
deepnorm        Xavier-normal with gain :math:`\beta = (8N)^{-1/4}` on value/output/FFN weights
mup             μP: hidden std :math:`\sigma/\sqrt{r}`, output std :math:`\sigma/r`
head            a new classifier head on a pretrained encoder (last layer at 0)
=============== ============================================================================

The recipes recognise layers as the ecosystem builds them (transformers' ``Conv1D``, class-named
norms such as ``LlamaRMSNorm``, timm's layers; :mod:`.layers`) and read options such as
``n_layer`` and ``initializer_range`` from ``model.config`` (:mod:`.options`).

Layout: :mod:`.draws` (:class:`Draw`), :mod:`.layers` (recognition, activations, fans),
:mod:`.plan` (claims), :mod:`.report` (:class:`Touched`, :class:`InitReport`), :mod:`.options`,
one module per family (:mod:`.variance`, :mod:`.transformer`, :mod:`.vit`, :mod:`.residual`,
:mod:`.mup`, :mod:`.head`) and :mod:`.registry` (:class:`Recipe`, :data:`RECIPES`, the entry points).

Every number here comes from ``initref._generated.formulas`` (derivations ``gpt2-residual``,
``small-init``, ``fixup``, ``deepnorm``, ``mup``, ``torch-module-defaults``, ``glorot``,
``kaiming``, ``linear-default``); literal defaults such as GPT-2's base std 0.02 are
hyper-parameter choices of the cited papers.

Gains (``xavier``, ``kaiming``, ``fixup``): for torch's names, :func:`torch.nn.init.calculate_gain`'s
values (tanh :math:`5/3`, ReLU :math:`\sqrt{2}`, leaky ReLU with the module's slope); for other
activations (GELU, SiLU, Mish, ELU, Softplus, Hardswish, ...) initref's derived forward gain
:math:`1/\sqrt{E[f(z)^2]}`, :math:`z \sim \mathcal{N}(0, 1)` (:func:`initref.gains.calculate_gain`);
for SELU the gain 1 of LeCun normal, which self-normalization needs (Klambauer et al. 2017), not
torch's empirical :math:`3/4`. These recipes are therefore *not* torch-compatible for SELU.
"""

from initref.torch.recipes.draws import DISTRIBUTIONS, Draw, _constant
from initref.torch.recipes.layers import _is_norm
from initref.torch.recipes.options import REQUIRED
from initref.torch.recipes.plan import _Plan
from initref.torch.recipes.registry import _REGISTRY, RECIPES, Recipe, _plan, apply_init, plan_init, register_recipe
from initref.torch.recipes.report import InitReport, Touched

__all__ = ["DISTRIBUTIONS", "Draw", "InitReport", "REQUIRED", "RECIPES", "Recipe", "Touched", "apply_init",
           "plan_init", "register_recipe"]
# Private names other initref modules and the tests use: _plan (initref.torch.materialize), _is_norm
# (initref.torch.checklist), _Plan, _constant and _REGISTRY (tests/test_recipes.py).
_PRIVATE = (_REGISTRY, _Plan, _constant, _is_norm, _plan)
