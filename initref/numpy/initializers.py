r"""torch.nn.init's initializers for NumPy: take a shape, return a new array.

Each function here is named after its ``torch.nn.init`` counterpart without the trailing
underscore (it returns a new array instead of filling a tensor in place), takes the shape in
torch's layout ``(out, in, *kernel)`` first, then torch's parameters with torch's defaults, and
the keyword-only ``rng`` (a :class:`numpy.random.Generator`, an int seed, or None) and ``dtype``
(float16, float32 -- the default -- or float64). Random values are drawn in the target dtype
directly and scaled in place: there is no float64 temporary and no second full-size buffer
(float16 is drawn in float32 and rounded).

The initializers that draw i.i.d. elements (all but :func:`orthogonal`, :func:`delta_orthogonal`
and :func:`sparse`) also take the keyword-only ``workers``: None (default) draws one stream from
``rng``, exactly as before; an int :math:`k \ge 1` fills fixed-size blocks from per-block Philox
streams on :math:`k` threads, with a result that depends on the seed but not on :math:`k`
(see :mod:`initref.numpy._parallel`).

=========================  ==========================================  =======================
torch.nn.init              initref.numpy                               distribution
=========================  ==========================================  =======================
``uniform_``               :func:`uniform`                             :math:`\mathcal{U}[a, b)`
``normal_``                :func:`normal`                              :math:`\mathcal{N}(\mu, \sigma^2)`
``trunc_normal_``          :func:`trunc_normal`                        absolute bounds
``constant_``              :func:`constant`                            --
``ones_``, ``zeros_``      :func:`ones`, :func:`zeros`                 --
``eye_``, ``dirac_``       :func:`eye`, :func:`dirac`                  --
``xavier_uniform_``        :func:`xavier_uniform`                      Glorot & Bengio (2010)
``xavier_normal_``         :func:`xavier_normal`                       Glorot & Bengio (2010)
``kaiming_uniform_``       :func:`kaiming_uniform`                     He et al. (2015)
``kaiming_normal_``        :func:`kaiming_normal`                      He et al. (2015)
``orthogonal_``            :func:`orthogonal`                          Saxe et al. (2013)
``sparse_``                :func:`sparse`                              Martens (2010)
(initref.torch addition)   :func:`lecun_uniform`, :func:`lecun_normal`  LeCun et al. (1998)
(initref.torch addition)   :func:`variance_scaling`                    Keras/JAX
(initref.torch addition)   :func:`delta_orthogonal`                    Xiao et al. (2018)
(initref.torch addition)   :func:`zero_init` (alias :func:`zero`)      Zhao et al. (2022), ZerO
(NumPy only)               :func:`truncated_normal`                    the four conventions
=========================  ==========================================  =======================

The JAX-style factories (``variance_scaling(scale, mode, distribution, in_axis, out_axis,
batch_axis)`` returning ``init(rng, shape, dtype)``, ``glorot_*``, ``he_*``, ...) live in
:mod:`initref.numpy.factories`; several share a name with a function here but follow JAX's
semantics and axis conventions instead (e.g. JAX's ``lecun_normal`` is a truncated normal).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from initref._generated import formulas
from initref.fans import MODES, calculate_fan_in_and_fan_out, conv_fans, fan
from initref.gains import calculate_gain
from initref.numpy import _parallel, _sampling
from initref.numpy._args import (
    RNGLike,
    ShapeLike,
    any_dtype,
    as_generator,
    as_shape,
    check_rng,
    choice,
    finite,
    float_dtype,
    non_negative,
    positive,
)

__all__ = [
    "uniform", "normal", "trunc_normal", "truncated_normal", "constant", "ones", "zeros", "eye", "dirac",
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
    "lecun_uniform", "lecun_normal", "variance_scaling", "delta_orthogonal", "zero_init", "zero",
    "layer_fans", "TRUNCATION_CONVENTIONS", "DISTRIBUTIONS",
]

#: The four truncated-normal conventions :func:`truncated_normal` names (see its docstring).
TRUNCATION_CONVENTIONS: tuple[str, ...] = ("absolute", "sigma_relative", "variance_corrected", "width_scaled")
#: The distributions of :func:`variance_scaling` (and of the factory of the same name).
DISTRIBUTIONS: tuple[str, ...] = ("truncated_normal", "normal", "uniform")
#: torch's fan modes for kaiming_* (torch/nn/init.py _calculate_correct_fan).
TORCH_MODES: tuple[str, ...] = ("fan_in", "fan_out")

Array = np.ndarray


def _uniform_symmetric(shape: tuple[int, ...], bound: float, rng: RNGLike, dtype: np.dtype,
                       workers: int | None) -> Array:
    return _sampling.uniform(_parallel.source(rng, workers), shape, dtype, -bound, bound)


def uniform(shape: ShapeLike, a: float = 0.0, b: float = 1.0, *, rng: RNGLike = None,
            dtype: Any = np.float32, workers: int | None = None) -> Array:
    r"""Values from :math:`\mathcal{U}[a, b)` (torch's ``uniform_``).

    Parameters
    ----------
    shape
        Shape of the result.
    a, b
        Lower and upper bound, :math:`a \le b`.
    rng
        A :class:`numpy.random.Generator`, an int seed, or None (fresh entropy).
    dtype
        float16, float32 (default) or float64.
    workers
        None (default): one stream, ``rng`` itself (an int seed through
        ``numpy.random.default_rng``), drawn over the whole array in C order -- the bits
        ``rng.random(shape, dtype=...)`` gives. An int :math:`k \ge 1`: the array is filled in
        blocks of :data:`initref.numpy._parallel.BLOCK_SIZE` elements by :math:`k` threads,
        block :math:`j` from its own Philox stream seeded by
        ``SeedSequence(entropy=r, spawn_key=(j,))``, :math:`r` the int seed, or 128 bits drawn
        once from a Generator; the result is the same for every :math:`k` (but not the same as
        with ``workers=None``). See :mod:`initref.numpy._parallel`.

    Returns
    -------
    numpy.ndarray
        A new array of ``shape`` and ``dtype``.

    Raises
    ------
    TypeError, ValueError
        For a bad argument, named in the message; ``workers`` must be None or an int >= 1.
    """
    low, high = finite(a, "a"), finite(b, "b")
    if low > high:
        raise ValueError(f"a must be <= b; got a={a!r}, b={b!r}")
    return _sampling.uniform(_parallel.source(rng, workers), as_shape(shape), float_dtype(dtype), low, high)


def normal(shape: ShapeLike, mean: float = 0.0, std: float = 1.0, *, rng: RNGLike = None,
           dtype: Any = np.float32, workers: int | None = None) -> Array:
    r"""Values from :math:`\mathcal{N}(\text{mean}, \text{std}^2)` (torch's ``normal_``).

    Parameters
    ----------
    shape
        Shape of the result.
    mean, std
        Mean and standard deviation, :math:`\text{std} \ge 0`.
    rng, dtype, workers
        As in :func:`uniform` (``workers=None``: the bits of ``rng.standard_normal(shape, dtype=...)``,
        scaled and shifted in place).
    """
    return _sampling.normal(_parallel.source(rng, workers), as_shape(shape), float_dtype(dtype), finite(mean, "mean"),
                            non_negative(std, "std"))


def trunc_normal(shape: ShapeLike, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, *,
                 rng: RNGLike = None, dtype: Any = np.float32, workers: int | None = None) -> Array:
    r""":math:`\mathcal{N}(\text{mean}, \text{std}^2)` conditioned on :math:`a \le x \le b` (torch's ``trunc_normal_``).

    The *absolute* convention: ``a`` and ``b`` are in the units of the weights, not in standard
    deviations, so the default ``[-2, 2]`` with ``std=0.02`` truncates nothing in practice
    (100 standard deviations). Use :func:`truncated_normal` to name another convention.

    Sampled by inverting the CDF, :math:`x = \mu + \sigma\Phi^{-1}(\Phi(\alpha) + u(\Phi(\beta)
    - \Phi(\alpha)))` with :math:`\alpha = (a - \mu)/\sigma`, :math:`\beta = (b - \mu)/\sigma`, so
    a mean far outside :math:`[a, b]` (where torch warns) is still sampled correctly.

    Parameters
    ----------
    shape
        Shape of the result.
    mean, std
        Mean and standard deviation of the normal *before* truncation, :math:`\text{std} > 0`.
    a, b
        Truncation bounds, :math:`a < b`.
    rng, dtype, workers
        As in :func:`uniform`; with workers each block inverts the CDF on its own uniform stream.

    References
    ----------
    Johnson, Kotz & Balakrishnan (1994), Continuous Univariate Distributions, vol. 1, sec. 10.1;
    Devroye (1986), Non-Uniform Random Variate Generation, ch. II.2 (inversion).
    """
    mu, sigma = finite(mean, "mean"), positive(std, "std")
    low, high = finite(a, "a"), finite(b, "b")
    if not low < high:
        raise ValueError(f"a must be < b; got a={a!r}, b={b!r}")
    return _sampling.truncated_normal(_parallel.source(rng, workers), as_shape(shape), float_dtype(dtype),
                                      (low - mu) / sigma, (high - mu) / sigma, sigma, mu, clip=(low, high))


def truncated_normal(shape: ShapeLike, std: float = 1.0, lower: float = -2.0, upper: float = 2.0, *,
                     convention: str, rng: RNGLike = None, dtype: Any = np.float32,
                     workers: int | None = None) -> Array:
    r"""A centred truncated normal under an explicitly named convention.

    Four conventions are in use, and mixing them up silently changes the weights' variance.
    With :math:`z \sim \mathcal{N}(0, 1)` conditioned on :math:`[\ell, u]` and
    :math:`c(\ell, u)^2 = \operatorname{Var} z` (``formulas.truncated_normal_variance``):

    ``"absolute"``
        :math:`\mathcal{N}(0, \text{std}^2)` conditioned on :math:`[\ell, u]` in the units of the
        weights: torch's ``trunc_normal_`` (see :func:`trunc_normal`).
    ``"sigma_relative"``
        :math:`\text{std}\cdot z`: bounds in standard deviations of the untruncated normal, the
        realised std is :math:`c\,\text{std}` -- JAX's ``truncated_normal(stddev, lower, upper)``,
        TensorFlow's ``truncated_normal``.
    ``"variance_corrected"``
        :math:`(\text{std}/c)\cdot z`: the realised std is exactly ``std`` -- JAX's and Keras's
        ``variance_scaling(distribution="truncated_normal")`` (:math:`c(-2, 2) \approx 0.8796`).
        :math:`c` comes from the closed form, accurate to about :math:`10^{-7}` for intervals at
        least 0.05 wide that reach within 3 of 0; narrower or farther intervals lose digits to
        cancellation.
    ``"width_scaled"``
        :math:`(\text{std}/\sqrt{n_\text{in}})\cdot z` with the fan-in :math:`n_\text{in}` (the
        layer width) from ``shape`` in torch's layout: bounds in standard deviations, std
        scaled by the width, no variance correction (realised variance
        :math:`c^2\,\text{std}^2/n_\text{in}`), as in OLMo's ``mitchell`` initialization.

    Parameters
    ----------
    shape
        Shape of the result (at least 2-D for ``"width_scaled"``).
    std
        Standard deviation, :math:`> 0`, read as the convention says.
    lower, upper
        Truncation bounds, :math:`\ell < u`, read as the convention says.
    convention
        One of :data:`TRUNCATION_CONVENTIONS`; required, there is no default.
    rng, dtype, workers
        As in :func:`uniform`.

    References
    ----------
    JAX ``jax.nn.initializers.truncated_normal`` and ``variance_scaling``; Keras
    ``VarianceScaling``; torch ``torch.nn.init.trunc_normal_``; Groeneveld et al. (2024), OLMo
    (``InitFnType.mitchell``).
    """
    choice(convention, TRUNCATION_CONVENTIONS, "convention")
    _parallel.check_workers(workers)
    sigma, low, high = positive(std, "std"), finite(lower, "lower"), finite(upper, "upper")
    if not low < high:
        raise ValueError(f"lower must be < upper; got lower={lower!r}, upper={upper!r}")
    if convention == "absolute":
        return trunc_normal(shape, 0.0, sigma, low, high, rng=rng, dtype=dtype, workers=workers)
    shape = as_shape(shape)
    if convention == "variance_corrected":
        variance = formulas.truncated_normal_variance(low, high)
        if not 0.0 < variance <= 1.0:
            raise ValueError(f"variance_corrected: the variance of N(0, 1) on [{low!r}, {high!r}] cannot be "
                             f"evaluated in floating point (got {variance!r}); use bounds nearer 0")
        sigma /= math.sqrt(variance)
    elif convention == "width_scaled":
        sigma = formulas.kaiming_std(sigma, calculate_fan_in_and_fan_out(shape)[0]) if math.prod(shape) else sigma
    return _sampling.truncated_normal(_parallel.source(rng, workers), shape, float_dtype(dtype), low, high, sigma)


def constant(shape: ShapeLike, val: Any, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""An array filled with ``val`` (torch's ``constant_``). ``rng`` is accepted and unused."""
    check_rng(rng)
    shape, dtype = as_shape(shape), any_dtype(dtype)
    try:
        return np.full(shape, val, dtype=dtype)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"val must be convertible to {dtype}; got {val!r} ({error})") from None


def ones(shape: ShapeLike, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""An array of ones (torch's ``ones_``). ``rng`` is accepted and unused."""
    return constant(shape, 1, rng=rng, dtype=dtype)


def zeros(shape: ShapeLike, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""An array of zeros (torch's ``zeros_``). ``rng`` is accepted and unused."""
    return constant(shape, 0, rng=rng, dtype=dtype)


def eye(shape: ShapeLike, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""The (partial) identity of a 2-D shape (torch's ``eye_``): :math:`W_{ij} = [i = j]`.

    Keeps as many inputs of a ``Linear`` layer as there are outputs. ``rng`` is unused.
    """
    shape = as_shape(shape)
    if len(shape) != 2:
        raise ValueError(f"shape must have 2 dimensions (eye); got {shape}")
    return np.eye(*shape, dtype=any_dtype(dtype))


def _kernel_center(shape: tuple[int, ...], name: str, groups: int = 1) -> tuple[int, ...]:
    """torch's dirac_ checks and kernel center ``size // 2`` of a ``(out, in, *kernel)`` shape."""
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"shape must have 3, 4 or 5 dimensions (out, in, *kernel) for {name}; got {shape}")
    if shape[0] % groups:
        raise ValueError(f"groups must divide shape[0]={shape[0]}; got groups={groups}")
    return tuple(k // 2 for k in shape[2:])


def dirac(shape: ShapeLike, groups: int = 1, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""The Dirac delta of a convolution kernel (torch's ``dirac_``): identity on the channels.

    :math:`W_{g m + d,\, d,\, c} = 1` at the kernel center :math:`c = \lfloor k/2 \rfloor` for each
    group :math:`g` and :math:`d < \min(\text{out}/\text{groups}, \text{in})`, zero elsewhere.
    ``rng`` is unused.

    Parameters
    ----------
    shape
        ``(out, in, *kernel)`` with 1, 2 or 3 kernel dimensions.
    groups
        Number of groups; must divide ``shape[0]``.
    """
    shape = as_shape(shape)
    if not isinstance(groups, numbers.Integral) or isinstance(groups, (bool, np.bool_)):
        raise TypeError(f"groups must be a positive int; got {type(groups).__name__} {groups!r}")
    if groups < 1:
        raise ValueError(f"groups must be a positive int; got {groups!r}")
    groups = int(groups)
    center = _kernel_center(shape, "dirac", groups)
    out = np.zeros(shape, dtype=any_dtype(dtype))
    per_group = shape[0] // groups
    d = np.arange(min(per_group, shape[1]))
    for g in range(groups):
        out[(g * per_group + d, d) + center] = 1
    return out


def layer_fans(shape: ShapeLike, groups: int = 1, transposed: bool = False,
               stride: int | Sequence[int] = 1) -> tuple[float, float]:
    r"""``(fan_in, fan_out)`` of a weight in torch's layout, correct for grouped and transposed convs.

    With the defaults this is torch's shape rule :math:`(\text{shape}[1]\,k, \text{shape}[0]\,k)`,
    :math:`k` the receptive field (dense layers, ungrouped convolutions). Otherwise the shape is a
    convolution weight and :func:`initref.fans.conv_fans` counts its connections: a grouped
    convolution has fan-out :math:`\text{shape}[0]\,k/\text{groups}` (torch's is ``groups`` times
    larger); a transposed one (weight ``(in, out // groups, *kernel)``) has fan-in
    :math:`\text{shape}[0]\,k/(\text{groups}\prod s)` and fan-out :math:`\text{shape}[1]\,k`.
    The same rule as :func:`initref.torch.layer_fans`.

    References
    ----------
    Dumoulin & Visin (2016), A guide to convolution arithmetic for deep learning; derivation ``fans``.
    """
    shape = as_shape(shape)
    if not isinstance(groups, numbers.Integral) or isinstance(groups, (bool, np.bool_)):
        raise TypeError(f"groups must be an int; got {type(groups).__name__} {groups!r}")
    groups = int(groups)
    if not isinstance(transposed, bool):
        raise TypeError(f"transposed must be a bool; got {type(transposed).__name__} {transposed!r}")
    if groups == 1 and not transposed and stride == 1:
        return calculate_fan_in_and_fan_out(shape)
    return conv_fans(shape, groups=groups, transposed=transposed, stride=stride)


def _fans_or_empty(shape: tuple[int, ...], groups: int = 1, transposed: bool = False,
                   stride: int | Sequence[int] = 1) -> tuple[float, float] | None:
    """The layer's (fan_in, fan_out), or None for a zero-element shape (its result is simply empty)."""
    fans = layer_fans(shape, groups, transposed, stride)
    return fans if math.prod(shape) else None


def xavier_uniform(shape: ShapeLike, gain: float = 1.0, *, rng: RNGLike = None, dtype: Any = np.float32,
                   workers: int | None = None) -> Array:
    r"""Glorot/Xavier uniform (torch's ``xavier_uniform_``): :math:`\mathcal{U}(-r, r)`.

    .. math:: r = \sqrt{3}\,\sigma, \qquad \sigma = g\sqrt{\frac{2}{n_\text{in} + n_\text{out}}}

    Parameters
    ----------
    shape
        ``(out, in, *kernel)``, at least 2-D; fans by torch's rule.
    gain
        :math:`g \ge 0`, e.g. :func:`initref.gains.calculate_gain`.
    rng, dtype, workers
        As in :func:`uniform`.

    References
    ----------
    Glorot & Bengio (2010), Understanding the difficulty of training deep feedforward neural
    networks, AISTATS, eq. 16.
    """
    shape, gain, dtype = as_shape(shape), non_negative(gain, "gain"), float_dtype(dtype)
    fans = _fans_or_empty(shape)
    bound = formulas.uniform_bound_from_std(formulas.xavier_std(gain, *fans)) if fans else 0.0
    return _uniform_symmetric(shape, bound, rng, dtype, workers)


def xavier_normal(shape: ShapeLike, gain: float = 1.0, *, rng: RNGLike = None, dtype: Any = np.float32,
                  workers: int | None = None) -> Array:
    r"""Glorot/Xavier normal (torch's ``xavier_normal_``): :math:`\mathcal{N}(0, \sigma^2)`.

    .. math:: \sigma = g\sqrt{\frac{2}{n_\text{in} + n_\text{out}}}

    Parameters as in :func:`xavier_uniform`.

    References
    ----------
    Glorot & Bengio (2010), AISTATS, eqs. 10-12.
    """
    shape, gain, dtype = as_shape(shape), non_negative(gain, "gain"), float_dtype(dtype)
    fans = _fans_or_empty(shape)
    std = formulas.xavier_std(gain, *fans) if fans else 0.0
    return _sampling.normal(_parallel.source(rng, workers), shape, dtype, 0.0, std)


def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    """torch's kaiming std: gain(nonlinearity, a) / sqrt(fan), fan chosen by mode (case-insensitive)."""
    mode = choice(mode.lower() if isinstance(mode, str) else mode, TORCH_MODES, "mode")
    gain = calculate_gain(nonlinearity, a)
    fans = _fans_or_empty(shape)
    return formulas.kaiming_std(gain, fans[0] if mode == "fan_in" else fans[1]) if fans else 0.0


def kaiming_uniform(shape: ShapeLike, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                    rng: RNGLike = None, dtype: Any = np.float32, workers: int | None = None) -> Array:
    r"""Kaiming/He uniform (torch's ``kaiming_uniform_``): :math:`\mathcal{U}(-r, r)`.

    .. math:: r = \sqrt{3}\,\frac{g}{\sqrt{n}}

    with :math:`g` = ``calculate_gain(nonlinearity, a)`` and :math:`n` the fan ``mode`` picks.

    Parameters
    ----------
    shape
        ``(out, in, *kernel)``, at least 2-D; fans by torch's rule.
    a
        Negative slope of the rectifier (used by ``"leaky_relu"``).
    mode
        ``"fan_in"`` (preserves the forward variance) or ``"fan_out"`` (the backward one).
    nonlinearity
        A name :func:`initref.gains.calculate_gain` accepts.
    rng, dtype, workers
        As in :func:`uniform`.

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV, eqs. 10 and 14.
    """
    shape, dtype = as_shape(shape), float_dtype(dtype)
    bound = formulas.uniform_bound_from_std(_kaiming_std(shape, a, mode, nonlinearity))
    return _uniform_symmetric(shape, bound, rng, dtype, workers)


def kaiming_normal(shape: ShapeLike, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                   rng: RNGLike = None, dtype: Any = np.float32, workers: int | None = None) -> Array:
    r"""Kaiming/He normal (torch's ``kaiming_normal_``): :math:`\mathcal{N}(0, g^2/n)`.

    Parameters as in :func:`kaiming_uniform`.

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV, eqs. 10 and 14.
    """
    shape, dtype = as_shape(shape), float_dtype(dtype)
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return _sampling.normal(_parallel.source(rng, workers), shape, dtype, 0.0, std)


def lecun_uniform(shape: ShapeLike, *, rng: RNGLike = None, dtype: Any = np.float32, groups: int = 1,
                  transposed: bool = False, stride: int | Sequence[int] = 1, workers: int | None = None) -> Array:
    r"""LeCun uniform: :math:`\mathcal{U}(-r, r)`, :math:`r = \sqrt{3/n_\text{in}}` (variance :math:`1/n_\text{in}`).

    Torch layout and fan rule, like :func:`kaiming_uniform` with gain 1. (JAX's factory
    ``initref.numpy.factories.lecun_uniform`` has the same distribution on JAX's axes.)

    Parameters
    ----------
    shape
        ``(out, in, *kernel)``, at least 2-D.
    rng, dtype, workers
        As in :func:`uniform`.
    groups, transposed, stride
        Keyword-only: the convolution's groups, whether it is transposed, and its stride, for the
        correct fans (:func:`layer_fans`); the defaults give torch's shape rule.

    References
    ----------
    LeCun, Bottou, Orr & Müller (1998), Efficient BackProp; Klambauer et al. (2017), SELU.
    """
    shape, dtype = as_shape(shape), float_dtype(dtype)
    fans = _fans_or_empty(shape, groups, transposed, stride)
    bound = formulas.uniform_bound_from_std(formulas.lecun_std(fans[0])) if fans else 0.0
    return _uniform_symmetric(shape, bound, rng, dtype, workers)


def lecun_normal(shape: ShapeLike, *, rng: RNGLike = None, dtype: Any = np.float32, groups: int = 1,
                 transposed: bool = False, stride: int | Sequence[int] = 1, workers: int | None = None) -> Array:
    r"""LeCun normal: :math:`\mathcal{N}(0, 1/n_\text{in})`, an untruncated normal.

    Torch layout and fan rule, like :func:`kaiming_normal` with gain 1. Note JAX's
    ``lecun_normal`` (``initref.numpy.factories.lecun_normal``) is a *variance-corrected
    truncated* normal instead; both have variance :math:`1/n_\text{in}`.

    References
    ----------
    LeCun, Bottou, Orr & Müller (1998), Efficient BackProp; Klambauer et al. (2017), SELU.
    """
    shape, dtype = as_shape(shape), float_dtype(dtype)
    fans = _fans_or_empty(shape, groups, transposed, stride)
    std = formulas.lecun_std(fans[0]) if fans else 0.0
    return _sampling.normal(_parallel.source(rng, workers), shape, dtype, 0.0, std)


def variance_scaling(shape: ShapeLike, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal", *, rng: RNGLike = None,
                     dtype: Any = np.float32, groups: int = 1, transposed: bool = False,
                     stride: int | Sequence[int] = 1, workers: int | None = None) -> Array:
    r"""Variance scaling in torch's layout: :math:`\operatorname{Var}(w) = s/n`.

    ``"truncated_normal"`` is variance-corrected: :math:`z \sim \mathcal{N}(0,1)` truncated to
    :math:`[-2, 2]`, times :math:`\sqrt{s/n}/c` with :math:`c \approx 0.8796` its std, so the
    weights have variance exactly :math:`s/n`; ``"normal"`` is :math:`\mathcal{N}(0, s/n)`;
    ``"uniform"`` is :math:`\mathcal{U}(-\sqrt{3s/n}, \sqrt{3s/n})`.

    Parameters
    ----------
    shape
        ``(out, in, *kernel)``, at least 2-D; fans by torch's rule.
    scale
        :math:`s > 0` (1: LeCun, 2: He; 1 with ``fan_avg``: Glorot).
    mode
        ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` (arithmetic mean) or ``"fan_geo_avg"`` (geometric).
    distribution
        ``"truncated_normal"``, ``"normal"`` or ``"uniform"``.
    rng, dtype, workers
        As in :func:`uniform`.
    groups, transposed, stride
        Keyword-only: the convolution's groups, whether it is transposed, and its stride, for the
        correct fans (:func:`layer_fans`); the defaults give torch's shape rule.

    References
    ----------
    JAX ``jax.nn.initializers.variance_scaling``; Keras ``VarianceScaling``; Glorot & Bengio
    (2010); He et al. (2015); Klambauer et al. (2017).
    """
    scale, mode = positive(scale, "scale"), choice(mode, MODES, "mode")
    distribution = choice(distribution, DISTRIBUTIONS, "distribution")
    shape, dtype = as_shape(shape), float_dtype(dtype)
    fans = _fans_or_empty(shape, groups, transposed, stride)
    _parallel.check_workers(workers)
    if fans is None:
        return np.empty(shape, dtype=dtype)
    source = _parallel.source(rng, workers)
    return _sampling.variance_scaling(source, shape, dtype, scale, fan(*fans, mode), distribution)


def orthogonal(shape: ShapeLike, gain: float = 1.0, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""A (semi-)orthogonal matrix, uniformly (Haar) distributed, times ``gain`` (torch's ``orthogonal_``).

    The shape is flattened to ``(shape[0], prod(shape[1:]))``; the result has orthonormal rows
    if it is wide and orthonormal columns if it is tall, times :math:`g`. The distribution is
    that of the sign-corrected QR factor of a Gaussian matrix, sampled by Stewart's method
    (see :func:`initref.numpy._sampling.orthogonal`). float16 is computed in float32.

    Parameters
    ----------
    shape
        At least 2-D.
    gain
        Scale factor :math:`g`.
    rng, dtype
        As in :func:`uniform`.

    References
    ----------
    Saxe, McClelland & Ganguli (2013), Exact solutions to the nonlinear dynamics of learning in
    deep linear neural networks; Mezzadri (2007); Stewart (1980).
    """
    shape, gain, dtype = as_shape(shape), finite(gain, "gain"), float_dtype(dtype)
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 dimensions (orthogonal); got {shape}")
    if math.prod(shape) == 0:
        return np.empty(shape, dtype=dtype)
    return _sampling.orthogonal(as_generator(rng), shape[0], math.prod(shape[1:]), dtype, gain).reshape(shape)


def sparse(shape: ShapeLike, sparsity: float, std: float = 0.01, *, rng: RNGLike = None,
           dtype: Any = np.float32) -> Array:
    r"""A sparse 2-D matrix (torch's ``sparse_``): in each column :math:`\lceil s\,\text{rows}\rceil`
    entries, chosen uniformly at random, are zero; the others are :math:`\mathcal{N}(0, \text{std}^2)`.

    Parameters
    ----------
    shape
        ``(rows, cols)``.
    sparsity
        Fraction :math:`s \in [0, 1]` of each column set to zero.
    std
        Standard deviation of the non-zero entries, :math:`\ge 0`.
    rng, dtype
        As in :func:`uniform`. (torch draws the zero pattern from its global RNG even when a
        generator is passed; here both come from ``rng``.)

    References
    ----------
    Martens (2010), Deep learning via Hessian-free optimization, ICML, sec. 5.
    """
    shape, dtype = as_shape(shape), float_dtype(dtype)
    if len(shape) != 2:
        raise ValueError(f"shape must have 2 dimensions (sparse); got {shape}")
    sparsity = non_negative(sparsity, "sparsity")
    if sparsity > 1:
        raise ValueError(f"sparsity must lie in [0, 1]; got {sparsity!r}")
    generator = as_generator(rng)
    out = _sampling.normal(generator, shape, dtype, 0.0, non_negative(std, "std"))
    rows, cols = shape
    num_zeros = math.ceil(sparsity * rows)
    if num_zeros and cols:
        order = np.broadcast_to(np.arange(rows, dtype=np.min_scalar_type(rows))[:, None], shape)
        zero_rows = generator.permuted(order, axis=0)[:num_zeros]  # a random subset per column
        out[zero_rows, np.arange(cols)] = 0
    return out


def delta_orthogonal(shape: ShapeLike, gain: float = 1.0, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""Delta-orthogonal convolution kernel: an orthogonal matrix at the kernel center, zero elsewhere.

    :math:`W_{:, :, c} = g\,Q` with :math:`Q \in \mathbb{R}^{\text{out}\times\text{in}}`,
    :math:`Q^\top Q = I` (Haar), at the center :math:`c_i = \lfloor (k_i - 1)/2 \rfloor` (JAX's and
    TensorFlow's choice, and :func:`initref.torch.delta_orthogonal_`'s; :func:`dirac` and
    :func:`zero_init` use :math:`\lfloor k_i/2 \rfloor`, the same for odd :math:`k_i`); zero at
    every other kernel position. The convolution is then an orthogonal map of the channels at
    initialization (dynamical isometry).

    Parameters
    ----------
    shape
        ``(out, in, *kernel)`` with 1, 2 or 3 kernel dimensions and ``out >= in``.
    gain
        Scale factor :math:`g`.
    rng, dtype
        As in :func:`uniform`.

    References
    ----------
    Xiao, Bahri, Sohl-Dickstein, Schoenholz & Pennington (2018), Dynamical Isometry and a Mean
    Field Theory of CNNs: How to Train 10,000-Layer Vanilla Convolutional Neural Networks, ICML,
    Algorithm 2.
    """
    shape, gain, dtype = as_shape(shape), finite(gain, "gain"), float_dtype(dtype)
    _kernel_center(shape, "delta_orthogonal")
    center = tuple((k - 1) // 2 for k in shape[2:])
    if shape[0] < shape[1]:
        raise ValueError(f"delta_orthogonal needs out >= in channels, shape[0] >= shape[1]; got {shape}")
    out = np.zeros(shape, dtype=dtype)
    if math.prod(shape):
        out[(slice(None), slice(None)) + center] = orthogonal(shape[:2], gain, rng=rng, dtype=dtype)
    return out


def _zero_matrix(rows: int, cols: int, dtype: np.dtype) -> Array:
    """ZerO's matrix (Zhao et al. 2022, Algorithm 1): partial identity, or a scaled Hadamard block."""
    return np.eye(rows, cols, dtype=dtype) if rows <= cols else _sampling.hadamard_block(rows, cols, dtype)


def zero_init(shape: ShapeLike, *, rng: RNGLike = None, dtype: Any = np.float32) -> Array:
    r"""ZerO initialization: deterministic, built from zeros and :math:`\pm c`.

    For a weight :math:`W \in \mathbb{R}^{\text{out}\times\text{in}}`:

    * :math:`\text{out} \le \text{in}`: the partial identity :math:`I^*` (as :func:`eye`);
    * :math:`\text{out} > \text{in}`: :math:`c\,I^*_{\text{out}\times 2^m} H_m I^*_{2^m\times\text{in}}`,
      the top-left block of the Sylvester-Hadamard matrix :math:`H_m`,
      :math:`m = \lceil\log_2 \text{out}\rceil`, :math:`c = 2^{-m/2}` (``formulas.hadamard_scale``;
      the authors' notebook value, which makes :math:`cH_m` orthogonal; the paper's Algorithm 1
      prints :math:`2^{-(m-1)/2}`).

    A convolution kernel ``(out, in, *kernel)`` gets this matrix at the kernel center
    :math:`\lfloor k/2 \rfloor` and zeros elsewhere. ``rng`` is accepted and unused.

    Parameters
    ----------
    shape
        ``(out, in)`` or ``(out, in, *kernel)`` with 1 to 3 kernel dimensions.
    dtype
        float16, float32 (default) or float64.

    References
    ----------
    Zhao, Schäfer & Anandkumar (2022), ZerO Initialization: Initializing Neural Networks with
    only Zeros and Ones, TMLR, Algorithms 1-2.
    """
    shape, dtype = as_shape(shape), float_dtype(dtype)
    check_rng(rng)
    if len(shape) not in (2, 3, 4, 5):
        raise ValueError(f"shape must have 2 to 5 dimensions, (out, in) or (out, in, *kernel), for zero_init; "
                         f"got {shape}")
    if len(shape) == 2:
        return _zero_matrix(*shape, dtype)
    center = _kernel_center(shape, "zero")
    out = np.zeros(shape, dtype=dtype)
    out[(slice(None), slice(None)) + center] = _zero_matrix(shape[0], shape[1], dtype)
    return out


#: ZerO under its short name; :func:`zero_init` cannot be misread as :func:`zeros`.
zero = zero_init
