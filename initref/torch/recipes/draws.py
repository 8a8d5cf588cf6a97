r"""What a recipe draws for one tensor: :class:`Draw` and the constructors the recipes use.

A :class:`Draw` is complete on its own: its fields name the distribution and every parameter of
it, so a consumer that generates values its own way (the sharded, seeded materializer) needs only
the fields; :attr:`Draw.fill` is the in-place filler :func:`initref.torch.apply_init` calls, through
:mod:`initref.torch`'s drop-ins for ``torch.nn.init`` (torch's bits for a given generator state).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from initref._generated import formulas
from initref.fans import fan as _mode_fan
from initref.gains import TORCH_NAMES, calculate_gain
from initref.torch import init as nninit

__all__ = ["DISTRIBUTIONS", "Draw"]

Filler = Callable[[Tensor, "torch.Generator | None"], object]

#: The values of :attr:`Draw.distribution`. The first four are elementwise i.i.d.; ``"orthogonal"``
#: is a matrix distribution (rows orthonormal, times a gain), not elementwise.
DISTRIBUTIONS: tuple[str, ...] = ("normal", "uniform", "trunc_normal", "constant", "orthogonal")


@dataclass(frozen=True)
class Draw:
    r"""The distribution one claimed tensor (or block of rows) is filled with.

    The fields alone determine the distribution of the values:

    ========================= =========================================================================
    ``distribution``          the values
    ========================= =========================================================================
    ``"normal"``              i.i.d. :math:`\mathcal{N}(\text{mean}, \text{std}^2)`
    ``"uniform"``             i.i.d. :math:`\mathcal{U}(\text{mean} - \text{bound}, \text{mean} + \text{bound})`
    ``"trunc_normal"``        i.i.d. :math:`\mathcal{N}(\text{mean}, \text{sigma}^2)` conditioned on
                              :math:`[a, b]` (**absolute bounds**, torch's and timm's ``trunc_normal_``)
    ``"constant"``            every element equals ``mean``
    ``"orthogonal"``          a (semi-)orthogonal matrix times ``std``·:math:`\sqrt{\text{fan}}`: not elementwise
    ========================= =========================================================================

    A draw whose filler consumes random numbers it then overwrites (``nn.MultiheadAttention``'s
    ``out_proj.bias``: torch draws it uniform, then sets it to 0) is described by what the tensor
    ends up holding, ``"constant"`` with mean 0: a consumer that makes its own random numbers
    needs only the final values; only :attr:`fill` replays torch's stream (so that
    ``torch_default`` reproduces a constructor's bits), and :attr:`initializer` says so.

    Attributes
    ----------
    initializer
        What is called, e.g. ``"normal_(std=0.02)"``.
    distribution
        One of :data:`DISTRIBUTIONS`.
    std
        The standard deviation of every element, as drawn (0 for a constant). For
        ``"trunc_normal"`` this is the std *after* truncation,
        :math:`\sigma\sqrt{V(\alpha, \beta)}` with :math:`\alpha = (a - \mu)/\sigma`,
        :math:`\beta = (b - \mu)/\sigma` and :math:`V` the variance of a standard normal
        truncated to :math:`[\alpha, \beta]` (derivation ``truncated-normal``).
    mean
        The mean; for a constant, its value. For ``"trunc_normal"`` the bounds are symmetric
        about it, so it is both the normal's mean and the elements' mean.
    bound
        Half-width of a uniform distribution, else ``None``.
    sigma
        For ``"trunc_normal"``: the std parameter of the normal before truncation, else ``None``.
    a, b
        For ``"trunc_normal"``: the absolute truncation bounds, else ``None``.
    fill
        ``fill(tensor, generator)`` fills ``tensor`` in place (not part of equality).
    """

    initializer: str
    distribution: str
    std: float = 0.0
    mean: float = 0.0
    bound: float | None = None
    fill: Filler = field(default=lambda tensor, generator: None, repr=False, compare=False)
    sigma: float | None = None
    a: float | None = None
    b: float | None = None

    def __post_init__(self) -> None:
        if self.distribution not in DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {', '.join(repr(d) for d in DISTRIBUTIONS)}; got "
                             f"{self.distribution!r}")
        truncated = self.distribution == "trunc_normal"
        if truncated != (self.sigma is not None and self.a is not None and self.b is not None):
            raise ValueError("sigma, a and b are given exactly for distribution 'trunc_normal'")
        if (self.distribution == "uniform") != (self.bound is not None):
            raise ValueError("bound is given exactly for distribution 'uniform'")


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


def _trunc_normal(sigma: float, a: float, b: float, label: str | None = None) -> Draw:
    r""":math:`\mathcal{N}(0, \sigma^2)` truncated to the absolute bounds :math:`[a, b]`, :math:`a = -b`.

    The element std is :math:`\sigma\sqrt{V(a/\sigma, b/\sigma)}` (generated ``truncated_normal_variance``,
    derivation ``truncated-normal``); the fill is :func:`initref.torch.trunc_normal_` (torch's sampler
    for the same distribution as timm's inverse-CDF ``trunc_normal_``).
    """
    if not (sigma > 0 and a < 0 < b and a == -b):
        raise ValueError(f"trunc_normal needs sigma > 0 and bounds a = -b < 0; got sigma={sigma!r}, a={a!r}, b={b!r}")
    std = sigma * math.sqrt(formulas.truncated_normal_variance(a / sigma, b / sigma))
    return Draw(label or f"trunc_normal_(std={_fmt(sigma)}, a={_fmt(a)}, b={_fmt(b)})", "trunc_normal", std,
                sigma=sigma, a=a, b=b, fill=lambda t, g: nninit.trunc_normal_(t, 0.0, sigma, a, b, generator=g))


def _zeros(label: str = "zeros_()") -> Draw:
    return Draw(label, "constant", fill=lambda t, g: nninit.zeros_(t))


def _ones() -> Draw:
    return Draw("ones_()", "constant", mean=1.0, fill=lambda t, g: nninit.ones_(t))


def _constant(value: float) -> Draw:
    return Draw(f"constant_({_fmt(value)})", "constant", mean=value, fill=lambda t, g: nninit.constant_(t, value))


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


def _kaiming(shape: tuple[int, ...], nonlinearity: str, param: float | None, mode: str, distribution: str,
             fans: tuple[float, float], torch_layout: bool = True) -> Draw:
    r"""He et al. (2015), eqs. 10 and 14: :math:`\sigma = g/\sqrt{n_\text{mode}}`, :math:`g` from :func:`_gain`.

    ``fans`` are the layer's ``(fan_in, fan_out)`` (:func:`initref.fans.layer_fans`). For torch's
    names on a weight in torch's layout the fill is :mod:`initref.torch`'s ``kaiming_*_`` (torch's
    bits; ``a`` is the leaky ReLU slope, 0 when none is given, as in torch); otherwise (other
    activations, or transformers' ``Conv1D`` whose ``(in, out)`` weight torch's shape rule reads
    the wrong way round) it is ``normal_`` or ``uniform_`` with the same :math:`\sigma`. A
    zero-element tensor is left alone with torch's warning ``"Initializing zero-element tensors is
    a no-op"``.
    """
    kaiming = nninit.kaiming_uniform_ if distribution == "uniform" else nninit.kaiming_normal_
    if 0 in shape:  # kaiming_ checks this first: it warns and returns without computing a gain
        if distribution == "uniform":
            return Draw(f"{kaiming.__name__}() on a zero-element tensor: no-op", "uniform", bound=0.0,
                        fill=lambda t, g: kaiming(t, generator=g))
        return Draw(f"{kaiming.__name__}() on a zero-element tensor: no-op", distribution,
                    fill=lambda t, g: kaiming(t, generator=g))
    name = _RECIPE_NONLINEARITY.get(nonlinearity, nonlinearity)
    fan = _mode_fan(*fans, mode)
    if name in TORCH_NAMES and torch_layout:
        a = 0.0 if param is None else param  # only leaky_relu, among torch's names, has a parameter
        std = formulas.kaiming_std(calculate_gain(name, a), fan)
        label = f"{kaiming.__name__}(a={_fmt(a)}, mode={mode!r}, nonlinearity={name!r})"
        return _with_std(distribution, std, label, lambda t, g: kaiming(t, a, mode, name, generator=g))
    std = formulas.kaiming_std(_gain(name, param), fan)
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


def _xavier(shape: tuple[int, ...], gain: float, distribution: str, fans: tuple[float, float]) -> Draw:
    """Glorot & Bengio (2010), eqs. 12 and 16, through :mod:`initref.torch`'s ``xavier_*_``.

    ``fan_in + fan_out`` is the same in either weight layout, so ``xavier_*_`` is right for
    transformers' ``Conv1D`` too.
    """
    fan_in, fan_out = fans
    if fan_in + fan_out == 0:
        raise ValueError(f"xavier needs fan_in + fan_out > 0; got a weight of shape {shape} (torch's xavier_ raises "
                         "ZeroDivisionError here)")
    std = formulas.xavier_std(gain, fan_in, fan_out)
    if distribution == "uniform":
        return Draw(f"xavier_uniform_(gain={_fmt(gain)})", "uniform", std, bound=formulas.uniform_bound_from_std(std),
                    fill=lambda t, g: nninit.xavier_uniform_(t, gain, generator=g))
    return Draw(f"xavier_normal_(gain={_fmt(gain)})", "normal", std,
                fill=lambda t, g: nninit.xavier_normal_(t, gain, generator=g))
