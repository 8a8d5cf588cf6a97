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
gpt2            :math:`\mathcal{N}(0, 0.02^2)`; residual projections std :math:`0.02/\sqrt{2L}`
llama           :math:`\mathcal{N}(0, 0.02^2)` for every Linear and Embedding, norms at 1
small_init      :math:`\mathcal{N}(0, 2/(5d))`; optionally Wang's :math:`2/(L\sqrt{d})` outputs
fixup           residual branches scaled by :math:`L^{-1/(2m-2)}`, last layers and head at 0
rezero          residual gates :math:`\alpha = 0`
deepnorm        Xavier-normal with gain :math:`\beta = (8N)^{-1/4}` on value/output/FFN weights
mup             μP: hidden std :math:`\sigma/\sqrt{r}`, output std :math:`\sigma/r`
head            a new classifier head on a pretrained encoder (last layer at 0)
=============== ============================================================================

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

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.conv import _ConvNd

from initref._generated import formulas
from initref.fans import calculate_fan_in_and_fan_out, conv_fans
from initref.gains import TORCH_NAMES, calculate_gain
from initref.torch import init as nninit
from initref.torch.diagnostics import _Printable

__all__ = ["Draw", "InitReport", "Recipe", "RECIPES", "Touched", "apply_init", "plan_init", "register_recipe"]

Filler = Callable[[Tensor, "torch.Generator | None"], object]


# ----------------------------------------------------------------------------- what a recipe draws


@dataclass(frozen=True)
class Draw:
    """The distribution one claimed tensor is filled with.

    Attributes
    ----------
    initializer
        What is called, e.g. ``"normal_(std=0.02)"``.
    distribution
        ``"normal"``, ``"uniform"`` (on ``[-bound, bound]``) or ``"constant"``.
    std
        The standard deviation of every element (0 for a constant).
    mean
        The mean; for a constant, its value.
    bound
        Half-width of a uniform distribution, else ``None``.
    """

    initializer: str
    distribution: str
    std: float = 0.0
    mean: float = 0.0
    bound: float | None = None
    fill: Filler = field(default=lambda tensor, generator: None, repr=False, compare=False)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _normal(std: float, label: str | None = None) -> Draw:
    return Draw(label or f"normal_(std={_fmt(std)})", "normal", std,
                fill=lambda t, g: nninit.normal_(t, 0.0, std, generator=g))


def _default_normal() -> Draw:
    """torch's ``normal_(tensor)`` with its default mean 0 and std 1 (nn.Embedding)."""
    return Draw("normal_()", "normal", 1.0, fill=lambda t, g: nninit.normal_(t, generator=g))


def _uniform(bound: float, label: str | None = None) -> Draw:
    std = math.sqrt(formulas.uniform_variance(-bound, bound))
    return Draw(label or f"uniform_(±{_fmt(bound)})", "uniform", std, bound=bound,
                fill=lambda t, g: nninit.uniform_(t, -bound, bound, generator=g))


def _zeros(label: str = "zeros_()") -> Draw:
    return Draw(label, "constant", fill=lambda t, g: nninit.zeros_(t))


def _ones() -> Draw:
    return Draw("ones_()", "constant", mean=1.0, fill=lambda t, g: nninit.ones_(t))


def _constant(value: float) -> Draw:
    return Draw(f"constant_({_fmt(value)})", "constant", mean=value, fill=lambda t, g: nninit.constant_(t, value))


def _fan(shape: tuple[int, ...], mode: str) -> int:
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return fan_in if mode == "fan_in" else fan_out


#: Nonlinearities whose recipe gain is not :func:`initref.gains.calculate_gain`'s. SELU gets the
#: linear gain 1 (LeCun normal): its constants make :math:`\mathcal{N}(0, 1)` a fixed point at
#: :math:`\operatorname{Var}(w) = 1/n` (Klambauer et al. 2017, Self-Normalizing Neural Networks,
#: NeurIPS, paragraph "Initialization"; torch's ``calculate_gain`` docstring also says to pass
#: ``'linear'`` for self-normalizing networks). torch's ``calculate_gain('selu') = 3/4`` is an
#: empirical choice that gives up that fixed point; call :func:`initref.torch.kaiming_normal_`
#: with ``nonlinearity='selu'`` directly for it.
_RECIPE_NONLINEARITY = {"selu": "linear"}


def _gain(nonlinearity: str, param: float | None) -> float:
    r"""The gain the recipes use: ``calculate_gain``'s (torch's for torch's names, the derived forward
    gain :math:`1/\sqrt{E[f(z)^2]}` otherwise), except for the names in :data:`_RECIPE_NONLINEARITY`."""
    return calculate_gain(_RECIPE_NONLINEARITY.get(nonlinearity, nonlinearity), param)


def _kaiming(shape: tuple[int, ...], nonlinearity: str, param: float | None, mode: str, distribution: str) -> Draw:
    r"""He et al. (2015), eqs. 10 and 14: :math:`\sigma = g/\sqrt{n_\text{mode}}`, :math:`g` from :func:`_gain`.

    For torch's names the fill is :mod:`initref.torch`'s ``kaiming_*_`` (torch's bits; ``a`` is the
    leaky ReLU slope, 0 when none is given, as in torch); for other activations it is ``normal_`` or
    ``uniform_`` with the same :math:`\sigma`, which is what ``kaiming_*_`` draws. A zero-element
    tensor is left alone with torch's warning ``"Initializing zero-element tensors is a no-op"``.
    """
    kaiming = nninit.kaiming_uniform_ if distribution == "uniform" else nninit.kaiming_normal_
    if 0 in shape:  # kaiming_ checks this first: it warns and returns without computing a gain
        return Draw(f"{kaiming.__name__}() on a zero-element tensor: no-op", distribution,
                    fill=lambda t, g: kaiming(t, generator=g))
    name = _RECIPE_NONLINEARITY.get(nonlinearity, nonlinearity)
    if name in TORCH_NAMES:
        a = 0.0 if param is None else param  # only leaky_relu, among torch's names, has a parameter
        std = formulas.kaiming_std(calculate_gain(name, a), _fan(shape, mode))
        label = f"{kaiming.__name__}(a={_fmt(a)}, mode={mode!r}, nonlinearity={name!r})"
        return _with_std(distribution, std, label, lambda t, g: kaiming(t, a, mode, name, generator=g))
    std = formulas.kaiming_std(_gain(name, param), _fan(shape, mode))
    given = "" if param is None else f", {_fmt(param)}"
    return _with_std(distribution, std, f"{distribution}_(std=gain({name!r}{given})/sqrt({mode}))")


def _with_std(distribution: str, std: float, label: str, fill: Filler | None = None) -> Draw:
    r"""A normal or a uniform (:math:`\pm\sqrt{3}\sigma`) draw of std ``std``, filled by ``fill`` or
    by ``normal_``/``uniform_``."""
    if distribution == "uniform":
        bound = formulas.uniform_bound_from_std(std)
        return Draw(label, "uniform", std, bound=bound,
                    fill=fill or (lambda t, g: nninit.uniform_(t, -bound, bound, generator=g)))
    return Draw(label, "normal", std, fill=fill or (lambda t, g: nninit.normal_(t, 0.0, std, generator=g)))


def _xavier(shape: tuple[int, ...], gain: float, distribution: str) -> Draw:
    """Glorot & Bengio (2010), eqs. 12 and 16, through :mod:`initref.torch`'s ``xavier_*_``."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    if fan_in + fan_out == 0:
        raise ValueError(f"xavier needs fan_in + fan_out > 0; got a weight of shape {shape} (torch's xavier_ raises "
                         "ZeroDivisionError here)")
    std = formulas.xavier_std(gain, fan_in, fan_out)
    if distribution == "uniform":
        return Draw(f"xavier_uniform_(gain={_fmt(gain)})", "uniform", std, bound=formulas.uniform_bound_from_std(std),
                    fill=lambda t, g: nninit.xavier_uniform_(t, gain, generator=g))
    return Draw(f"xavier_normal_(gain={_fmt(gain)})", "normal", std,
                fill=lambda t, g: nninit.xavier_normal_(t, gain, generator=g))


# ----------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Touched:
    """One claimed parameter, or a block of rows of one, and its draw.

    Attributes
    ----------
    name
        Qualified parameter name, as in ``model.named_parameters()``.
    module
        Class name of the module that owns it.
    role
        What the recipe took it for (``"weight"``, ``"residual projection"``, ``"value"``, ...).
    draw
        The distribution it was filled from.
    rows
        ``(start, stop)`` along dim 0 when only a block is meant (the q/k/v blocks of
        ``nn.MultiheadAttention.in_proj_weight``), else ``None``.
    zero_rows
        Rows set to zero after the draw (an embedding's ``padding_idx``).
    """

    name: str
    module: str
    role: str
    draw: Draw
    rows: tuple[int, int] | None = None
    zero_rows: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """``name``, with ``[start:stop]`` for a block of rows."""
        return self.name if self.rows is None else f"{self.name}[{self.rows[0]}:{self.rows[1]}]"


@dataclass(frozen=True)
class InitReport(_Printable):
    """What a recipe claimed and what it left alone.

    Attributes
    ----------
    recipe, reference
        The recipe's name and its sources.
    options
        The options it ran with (defaults filled in; ``generator`` excluded).
    touched
        Every claimed parameter (or block), in the order they were filled.
    untouched
        Names of the parameters the recipe did not claim; they were not written.
    tied
        ``(alias, name)`` pairs: a parameter reached again under another name (tied weights),
        filled once under ``name``.
    constants
        Numbers the recipe computed that the model's forward pass needs (DeepNorm's ``alpha``).
    notes
        Anything the user should know (e.g. a count that differs from the expected one).
    """

    recipe: str
    reference: str
    options: Mapping[str, Any]
    touched: tuple[Touched, ...]
    untouched: tuple[str, ...]
    tied: tuple[tuple[str, str], ...] = ()
    constants: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def entries(self, name: str) -> tuple[Touched, ...]:
        """The entries of parameter ``name`` (several for a parameter claimed in blocks)."""
        return tuple(t for t in self.touched if t.name == name)

    def table(self) -> Any:
        """A :class:`rich.table.Table` of the claimed parameters."""
        from rich.table import Table

        table = Table(title=f"apply_init: {self.recipe}", caption=f"{len(self.touched)} claimed, "
                      f"{len(self.untouched)} left alone" + "".join(f"; {n}" for n in self.notes))
        for column in ("parameter", "module", "role", "initializer", "std"):
            table.add_column(column, justify="right" if column == "std" else "left")
        for t in self.touched:
            table.add_row(t.label, t.module, t.role, t.draw.initializer, _fmt(t.draw.std))
        return table


# ----------------------------------------------------------------------------- modules


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


def _shape(module: nn.Module, pname: str = "weight") -> tuple[int, ...]:
    """Shape of ``module``'s parameter ``pname``."""
    param = getattr(module, pname)
    if not isinstance(param, Tensor):
        raise TypeError(f"{type(module).__name__}.{pname} is not a tensor")
    return tuple(param.shape)


def _is_weight_layer(module: nn.Module) -> bool:
    return isinstance(module, (nn.Linear, _ConvNd))


def _is_norm(module: nn.Module) -> bool:
    """torch's norm layers, and any module whose class name ends in ``Norm`` (e.g. a custom RMSNorm).

    Shared with :mod:`initref.torch.checklist`, so both agree on what a norm layer is.
    """
    return isinstance(module, _NORMS) or type(module).__name__.endswith("Norm")


def _activation_of(module: object) -> Activation | None:
    """The :data:`Activation` of an activation module or function; ``None`` for anything else."""
    describe = _ACTIVATIONS.get(type(module))
    if describe is not None:
        return describe(module)
    return _FUNCTIONS.get(module) if callable(module) and not isinstance(module, nn.Module) else None


def _qualified(prefix: str, name: str) -> str:
    return ".".join(part for part in (prefix, name) if part)


def _patterns(option: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(f"{option} must be a str or a sequence of str (module names or glob patterns); got {value!r}")


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    """``name`` or its last component matches one of the glob ``patterns``."""
    last = name.rsplit(".", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(last, p) for p in patterns)


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


# ----------------------------------------------------------------------------- the plan


class _Plan:
    """Claims, in order; a parameter is claimed at most once (the first claim wins)."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.modules: dict[str, nn.Module] = dict(model.named_modules())
        self._names = list(self.modules)
        self._index = {name: i for i, name in enumerate(self._names)}
        self._ahead: list[Activation | None] | None = None
        self.entries: list[tuple[Touched, Tensor]] = []
        self.tied: list[tuple[str, str]] = []
        self.constants: dict[str, float] = {}
        self.notes: list[str] = []
        self._claimed: dict[tuple[int, tuple[int, int] | None], str] = {}

    def claim(self, prefix: str, module: nn.Module, pname: str, role: str, draw: Draw,
              rows: tuple[int, int] | None = None, zero_rows: tuple[int, ...] = ()) -> None:
        param = getattr(module, pname, None)
        if param is None:
            return
        name = _qualified(prefix, pname)
        if isinstance(param, nn.parameter.UninitializedParameter):
            raise ValueError(f"parameter {name!r} of a lazy module is not materialized yet; run one forward pass "
                             "before apply_init")
        key = (id(param), rows)
        if key in self._claimed:
            if self._claimed[key] != name:
                self.tied.append((name, self._claimed[key]))
            return
        self._claimed[key] = name
        self.entries.append((Touched(name, type(module).__name__, role, draw, rows, zero_rows), param))

    def layers(self) -> Iterator[tuple[str, nn.Module]]:
        """Every module, in registration order."""
        return iter(self.modules.items())

    def activation_after(self, name: str) -> Activation | None:
        """The activation of the first leaf module registered after module ``name``'s subtree.

        Dropout, norm, pooling and reshaping modules are passed over; ``None`` when another
        module comes first, :data:`_OUTPUT` when none follows. One pass over the model, cached.
        """
        if self._ahead is None:
            self._ahead = _activations_ahead(list(self.modules.values()))
        end = self._index[name] + 1
        while end < len(self._names) and self._names[end].startswith(name + "."):
            end += 1
        return self._ahead[end]

    def report(self, recipe: Recipe, options: Mapping[str, Any]) -> InitReport:
        claimed = {key[0] for key in self._claimed}
        untouched = tuple(n for n, p in self.model.named_parameters() if id(p) not in claimed)
        return InitReport(recipe.name, recipe.reference, MappingProxyType(dict(options)),
                          tuple(t for t, _ in self.entries), untouched, tuple(self.tied),
                          MappingProxyType(dict(self.constants)), tuple(self.notes))


def _claim_bias_zero(plan: _Plan, prefix: str, module: nn.Module, role: str = "bias") -> None:
    plan.claim(prefix, module, "bias", role, _zeros())


def _claim_norm(plan: _Plan, prefix: str, module: nn.Module) -> None:
    """Norm layers start as the identity: weight 1, bias 0 (1-D affine parameters only)."""
    for pname, draw in (("weight", _ones()), ("bias", _zeros())):
        param = getattr(module, pname, None)
        if isinstance(param, Tensor) and param.dim() == 1:
            plan.claim(prefix, module, pname, f"norm {pname}", draw)


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


# ----------------------------------------------------------------------------- options


class _Required:
    def __repr__(self) -> str:
        return "<required>"


REQUIRED: Any = _Required()


def _positive_int(option: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{option} must be a positive int; got {value!r}")
    return value


def _nonnegative_float(option: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{option} must be a finite float >= 0; got {value!r}")
    return float(value)


def _choice(option: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{option} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return str(value)


# ----------------------------------------------------------------------------- recipes


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
    """

    name: str
    reference: str
    touches: str
    options: Mapping[str, Any]
    plan: Callable[[_Plan, dict[str, Any]], None] = field(repr=False)


def _plan_torch_default(plan: _Plan, opts: dict[str, Any]) -> None:
    """The distributions of torch's ``reset_parameters``, module by module, in construction order."""
    for prefix, module in plan.layers():
        if isinstance(module, nn.MultiheadAttention):
            _torch_default_attention(plan, prefix, module)
        elif _is_weight_layer(module):
            _torch_default_layer(plan, prefix, module)
        elif isinstance(module, nn.Bilinear):
            bound = formulas.linear_default_bound(_shape(module)[1])
            plan.claim(prefix, module, "weight", "weight", _uniform(bound))
            plan.claim(prefix, module, "bias", "bias", _uniform(bound))
        elif isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
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
    slope = formulas.TORCH_MODULE_DEFAULT_SLOPE
    shape = _shape(module)
    draw = _kaiming(shape, "leaky_relu", slope, "fan_in", "uniform")
    plan.claim(prefix, module, "weight", "weight", draw)
    fan_in = calculate_fan_in_and_fan_out(shape)[0]
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
        plan.claim(prefix, module, pname, "projection", _xavier(tuple(getattr(module, pname).shape), 1.0, "uniform"))
    plan.claim(prefix, module, "in_proj_bias", "bias", _zeros())
    for pname in ("bias_k", "bias_v"):
        param = getattr(module, pname)
        if param is not None:
            plan.claim(prefix, module, pname, "bias", _xavier(tuple(param.shape), 1.0, "normal"))


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
    """Xavier or Kaiming on every Linear/Conv weight; q/k/v of attention as three linear maps."""
    distribution = _choice("distribution", opts["distribution"], ("normal", "uniform"))
    default = opts["nonlinearity"]
    if family == "kaiming":
        mode = _choice("mode", opts["mode"], ("fan_in", "fan_out"))
    for prefix, module in plan.layers():
        if isinstance(module, nn.MultiheadAttention):
            for pname, role, rows in _qkv_blocks(module):
                shape = _block_shape(getattr(module, pname), rows)
                draw = _xavier(shape, 1.0, distribution) if family == "xavier" else _kaiming(
                    shape, "linear", None, mode, distribution)
                plan.claim(prefix, module, pname, role, draw, rows)
            plan.claim(prefix, module, "in_proj_bias", "bias", _zeros())
        elif _is_weight_layer(module):
            nonlinearity, param, gain = _layer_gain(plan, prefix, default)
            shape = _shape(module)
            draw = (_xavier(shape, gain, distribution) if family == "xavier"
                    else _kaiming(shape, nonlinearity, param, mode, distribution))
            plan.claim(prefix, module, "weight", f"weight (then {nonlinearity})", draw)
            _claim_bias_zero(plan, prefix, module)
        elif _is_norm(module):
            _claim_norm(plan, prefix, module)


def _plan_normal_transformer(plan: _Plan, std: float, residual: tuple[str, ...], residual_draw: Draw | None) -> int:
    """Every Linear, attention projection and Embedding from N(0, std^2); biases 0; norms 1/0.

    Returns the number of residual projections (Linear modules matching ``residual``) drawn
    from ``residual_draw`` instead.
    """
    count = 0
    for prefix, module in plan.layers():
        if isinstance(module, nn.MultiheadAttention):
            for pname, role, rows in _qkv_blocks(module):
                plan.claim(prefix, module, pname, role, _normal(std), rows)
            plan.claim(prefix, module, "in_proj_bias", "bias", _zeros())
        elif isinstance(module, nn.Linear):
            if residual_draw is not None and _matches(prefix, residual):
                count += 1
                plan.claim(prefix, module, "weight", "residual projection", residual_draw)
            else:
                plan.claim(prefix, module, "weight", "weight", _normal(std))
            _claim_bias_zero(plan, prefix, module)
        elif isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
            plan.claim(prefix, module, "weight", "embedding", _normal(std), zero_rows=_embedding_padding(module))
        elif _is_norm(module):
            _claim_norm(plan, prefix, module)
    return count


def _plan_gpt2(plan: _Plan, opts: dict[str, Any]) -> None:
    std = _nonnegative_float("std", opts["std"])
    n_layer = _positive_int("n_layer", opts["n_layer"])
    residual = _patterns("residual", opts["residual"])
    projection_std = formulas.gpt2_residual_std(std, n_layer)
    label = f"normal_(std={_fmt(std)}/sqrt(2*{n_layer}))"
    count = _plan_normal_transformer(plan, std, residual, _normal(projection_std, label))
    if count == 0:
        raise ValueError(f"gpt2: no Linear module matches residual={residual!r}; pass residual= with the names "
                         f"of the residual output projections (Linear modules: {_linear_names(plan)})")
    if count != 2 * n_layer:
        plan.notes.append(f"{count} residual projections matched, GPT-2 expects 2*n_layer = {2 * n_layer}")


def _linear_names(plan: _Plan, limit: int = 8) -> str:
    names = [n for n, m in plan.modules.items() if isinstance(m, nn.Linear)]
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "") or "none"


def _plan_llama(plan: _Plan, opts: dict[str, Any]) -> None:
    _plan_normal_transformer(plan, _nonnegative_float("std", opts["std"]), (), None)


def _plan_small_init(plan: _Plan, opts: dict[str, Any]) -> None:
    d_model = _positive_int("d_model", opts["d_model"])
    std = formulas.small_init_std(d_model)
    residual_draw = None
    if opts["n_layer"] is not None:
        n_layer = _positive_int("n_layer", opts["n_layer"])
        residual_draw = _normal(formulas.wang_init_std(n_layer, d_model),
                                f"normal_(std=2/({n_layer}*sqrt({d_model})))")
    count = _plan_normal_transformer(plan, std, _patterns("residual", opts["residual"]), residual_draw)
    if residual_draw is not None and count == 0:
        raise ValueError(f"small_init: n_layer given but no Linear module matches residual={opts['residual']!r} "
                         f"(Linear modules: {_linear_names(plan)})")


def _select_modules(plan: _Plan, option: str, value: object) -> list[str]:
    """Module names matching ``value`` (names, globs or module objects), outermost matches only."""
    if isinstance(value, nn.Module):
        value = [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, nn.Module) for v in value):
        ids = {id(v) for v in value}
        chosen = [n for n, m in plan.modules.items() if id(m) in ids]
    else:
        patterns = _patterns(option, value)
        chosen = [n for n in plan.modules if n and _matches(n, patterns)]
    outermost = [n for n in chosen if not any(n.startswith(other + ".") for other in chosen)]
    if not outermost:
        candidates = ", ".join(n for n in list(plan.modules)[1:9]) or "none"
        raise ValueError(f"{option}={value!r} matches no module of the model (modules: {candidates}, ...)")
    return outermost


def _weight_layers_in(plan: _Plan, root: str) -> list[str]:
    module = plan.modules[root]
    if _is_weight_layer(module):
        return [root]
    return [_qualified(root, n) for n, m in module.named_modules() if n and _is_weight_layer(m)]


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
            he = _kaiming(_shape(module), nonlinearity, None, mode, "normal")
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
            plan.claim(prefix, module, "weight", "weight", _kaiming(shape, nonlinearity, None, mode, "normal"))
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
                plan.claim(prefix, module, pname, role, _xavier(_block_shape(getattr(module, pname), rows), gain,
                                                                 "normal"), rows)
        elif isinstance(module, nn.Linear):
            if _matches(prefix, qk):
                plan.claim(prefix, module, "weight", "query/key", _xavier(_shape(module), 1.0, "normal"))
            else:
                plan.claim(prefix, module, "weight", "value/output/ffn",
                           _xavier(_shape(module), beta, "normal"))


def _mup_dims(module: nn.Module, shape: tuple[int, ...]) -> tuple[int, int]:
    """(input dim, output dim) of a weight: Embedding (num, dim); transposed conv (in, out, ...)."""
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return 0, 1
    if isinstance(module, _ConvNd) and module.transposed:
        return 0, 1
    return 1, 0


def _mup_fan_in(module: nn.Module, shape: tuple[int, ...]) -> float:
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return 1  # a one-hot input: one nonzero coordinate
    if isinstance(module, _ConvNd) and module.transposed:
        return conv_fans(shape, module.groups, transposed=True, stride=module.stride)[0]
    return calculate_fan_in_and_fan_out(shape)[0]


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
        if isinstance(module, (nn.Linear, _ConvNd, nn.Embedding, nn.EmbeddingBag)):
            name = _qualified(prefix, "weight")
            if name not in base_shapes or name not in other_shapes:
                raise ValueError(f"mup: parameter {name!r} is missing from base_model or delta_model; they must have "
                                 "the model's architecture at other widths")
            shape = _shape(module)
            i_in, i_out = _mup_dims(module, shape)
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


def _plan_head(plan: _Plan, opts: dict[str, Any]) -> None:
    std = _nonnegative_float("std", opts["std"])
    last = _choice("last", opts["last"], ("zeros", "normal"))
    for root in _select_modules(plan, "module", opts["module"]):
        layers = [n for n in _weight_layers_in(plan, root) if isinstance(plan.modules[n], nn.Linear)]
        if not layers:
            raise ValueError(f"head: module {root!r} contains no nn.Linear layer")
        for layer in layers:
            module = plan.modules[layer]
            is_last = layer == layers[-1]
            draw = _zeros() if is_last and last == "zeros" else _normal(std)
            plan.claim(layer, module, "weight", "classifier" if is_last else "head layer", draw)
            _claim_bias_zero(plan, layer, module)
        for sub, module in plan.modules[root].named_modules():
            if _is_norm(module):
                _claim_norm(plan, _qualified(root, sub), module)


_GAINS = ("Gains: torch's calculate_gain values for torch's names (tanh 5/3, relu sqrt(2), leaky_relu with the "
          "module's slope), initref's derived forward gain 1/sqrt(E[f(z)^2]), z ~ N(0, 1), for the others (GELU, "
          "SiLU, Mish, ELU, Softplus, Hardswish, ...); SELU gain 1 (LeCun normal, Klambauer et al. 2017), not "
          "torch's 3/4.")
_RESIDUAL_NAMES = ("c_proj", "out_proj", "linear2", "o_proj", "down_proj", "fc2")

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
        "c_proj std 0.02/sqrt(2 n_layer)); derivation gpt2-residual.",
        "Linear weights, attention projections and embeddings N(0, std^2); residual output projections (Linear "
        "modules matching `residual`) N(0, std^2/(2 n_layer)); biases and padding rows 0; norm layers 1/0.",
        {"n_layer": REQUIRED, "std": 0.02, "residual": _RESIDUAL_NAMES}, _plan_gpt2),
    Recipe(
        "llama", "Hugging Face transformers LlamaPreTrainedModel._init_weights (initializer_range 0.02); "
        "Touvron et al. (2023), LLaMA.",
        "Linear weights, attention projections and embeddings N(0, std^2); biases and padding rows 0; norm "
        "layers (RMSNorm, LayerNorm) weight 1.",
        {"std": 0.02}, _plan_llama),
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


def _options(recipe: Recipe, given: Mapping[str, Any]) -> dict[str, Any]:
    accepted = ", ".join(recipe.options) or "none"
    unknown = [k for k in given if k not in recipe.options]
    if unknown:
        raise TypeError(f"{recipe.name} got unexpected option(s) {', '.join(unknown)}; accepted options: "
                        f"{accepted} (and generator)")
    options = {**recipe.options, **given}
    missing = [k for k, v in options.items() if v is REQUIRED]
    if missing:
        raise TypeError(f"{recipe.name} requires option(s) {', '.join(missing)}; accepted options: {accepted} "
                        "(and generator)")
    return options


def _plan(model: nn.Module, recipe: str | Recipe, options: Mapping[str, Any]) -> tuple[Recipe, dict[str, Any], _Plan]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    chosen = _resolve(recipe)
    opts = _options(chosen, options)
    plan = _Plan(model)
    chosen.plan(plan, opts)
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
    ``"gpt2"``           ``n_layer`` (required), ``std=0.02``, ``residual=(names)``
    ``"llama"``          ``std=0.02``
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
        Unknown recipe, a bad option value, or a name pattern that matches nothing.
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
