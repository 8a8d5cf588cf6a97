r"""JAX-style initializer factories for NumPy (``jax.nn.initializers`` semantics).

A factory checks its arguments when it is called and returns ``init(rng, shape, dtype=...)``,
where ``rng`` is a :class:`numpy.random.Generator`, an int seed or None (JAX's ``key``), and
``dtype`` defaults to the factory's (float32). Shapes are JAX's: a dense kernel is
``(in, out)``, a convolution kernel ``(*spatial, in, out)``; fans come from
:func:`initref.fans.compute_fans` with ``in_axis``, ``out_axis`` and ``batch_axis``.

As in JAX, :func:`variance_scaling` is the primitive and the named families are one-line
specialisations:

================== ======= ============ ====================
factory            scale   mode         distribution
================== ======= ============ ====================
glorot_uniform     1       fan_avg      uniform
glorot_normal      1       fan_avg      truncated_normal
lecun_uniform      1       fan_in       uniform
lecun_normal       1       fan_in       truncated_normal
he_uniform         2       fan_in       uniform
he_normal          2       fan_in       truncated_normal
================== ======= ============ ====================

JAX's ``*_normal`` families are *variance-corrected truncated* normals, unlike torch's
(and :mod:`initref.numpy`'s) ``xavier_normal``/``kaiming_normal``/``lecun_normal``, which are
untruncated; both have the same variance. :func:`truncated_normal` is the *sigma-relative*
convention (bounds in standard deviations, no correction), :func:`uniform` is
:math:`\mathcal{U}[0, \text{scale})` and :func:`normal` is :math:`\mathcal{N}(0, \text{stddev}^2)`,
all as in JAX. Complex dtypes, which JAX supports, are not.

The factories of i.i.d. draws (all but :func:`orthogonal`, :func:`delta_orthogonal` and the
constants) take a keyword-only ``workers``: None (default) keeps one stream per ``init`` call;
an int :math:`k \ge 1` fills fixed-size blocks from per-block Philox streams on :math:`k`
threads, deterministic for a seed and independent of :math:`k` (:mod:`initref.numpy._parallel`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from initref._generated import formulas
from initref.fans import MODES, compute_fans, fan
from initref.numpy import _parallel, _sampling
from initref.numpy._args import (
    RNGLike,
    ShapeLike,
    any_dtype,
    as_generator,
    as_shape,
    axes,
    check_rng,
    choice,
    finite,
    float_dtype,
    positive,
)
from initref.numpy.initializers import DISTRIBUTIONS

__all__ = [
    "Initializer", "variance_scaling", "glorot_uniform", "glorot_normal", "lecun_uniform", "lecun_normal",
    "he_uniform", "he_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
    "orthogonal", "delta_orthogonal", "truncated_normal", "normal", "uniform", "constant", "zeros", "ones",
]

Axes = int | Sequence[int]


class Initializer(Protocol):
    """What every factory returns: ``init(rng, shape, dtype=<factory default>) -> numpy.ndarray``."""

    def __call__(self, rng: RNGLike, shape: ShapeLike, dtype: Any = ...) -> np.ndarray: ...


def variance_scaling(scale: float, mode: str, distribution: str, in_axis: Axes = -2, out_axis: Axes = -1,
                     batch_axis: Axes = (), dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r"""Initializer with :math:`\operatorname{Var}(w) = s/n`, :math:`n` the fan ``mode`` picks.

    * ``"truncated_normal"``: :math:`z \sim \mathcal{N}(0, 1)` truncated to :math:`[-2, 2]`,
      times :math:`\sqrt{s/n}/c` with :math:`c` its std
      (``formulas.TRUNCATED_NORMAL_STD_CORRECTION`` :math:`\approx 0.8796`): variance-corrected,
      the weights' variance is exactly :math:`s/n`;
    * ``"normal"``: :math:`\mathcal{N}(0, s/n)`;
    * ``"uniform"``: :math:`\mathcal{U}(-\sqrt{3s/n}, \sqrt{3s/n})`.

    Parameters
    ----------
    scale
        :math:`s > 0`.
    mode
        ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` (:math:`(n_\text{in} + n_\text{out})/2`) or
        ``"fan_geo_avg"`` (:math:`\sqrt{n_\text{in} n_\text{out}}`).
    distribution
        ``"truncated_normal"``, ``"normal"`` or ``"uniform"``.
    in_axis, out_axis, batch_axis
        Axis or axes of the inputs, of the outputs, and of independent copies; every other axis
        is the receptive field.
    dtype
        Default dtype of the initializer: float16, float32 (default) or float64.
    workers
        Keyword-only. None (default): ``init`` draws one stream from its ``rng``, as before. An
        int :math:`k \ge 1`: ``init`` fills fixed-size blocks from per-block Philox streams on
        :math:`k` threads; for a given seed the result is the same for every :math:`k` (see
        :mod:`initref.numpy._parallel` and :func:`initref.numpy.uniform`).

    Returns
    -------
    Initializer
        ``init(rng, shape, dtype=dtype)``.

    Raises
    ------
    ValueError, TypeError
        At this call, for a bad ``scale``, ``mode``, ``distribution``, axis, ``dtype`` or ``workers``.

    References
    ----------
    JAX ``jax.nn.initializers.variance_scaling``; Keras ``VarianceScaling``; Glorot & Bengio
    (2010); He et al. (2015); Klambauer et al. (2017).
    """
    scale, mode = positive(scale, "scale"), choice(mode, MODES, "mode")
    distribution = choice(distribution, DISTRIBUTIONS, "distribution")
    in_axis, out_axis = axes(in_axis, "in_axis"), axes(out_axis, "out_axis")
    batch_axis, default_dtype = axes(batch_axis, "batch_axis"), float_dtype(dtype)
    workers = _parallel.check_workers(workers)

    def init(rng: RNGLike, shape: ShapeLike, dtype: Any = default_dtype) -> np.ndarray:
        shape, dtype = as_shape(shape), float_dtype(dtype)
        fan_in, fan_out = compute_fans(shape, in_axis, out_axis, batch_axis)
        if math.prod(shape) == 0:
            return np.empty(shape, dtype=dtype)
        n = fan(fan_in, fan_out, mode)
        return _sampling.variance_scaling(_parallel.source(rng, workers), shape, dtype, scale, n, distribution)

    return init


def glorot_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                   dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r"""Glorot/Xavier uniform: ``variance_scaling(1.0, "fan_avg", "uniform")``.

    References
    ----------
    Glorot & Bengio (2010), AISTATS, eq. 16.
    """
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype, workers=workers)


def glorot_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                  dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r"""Glorot/Xavier normal: ``variance_scaling(1.0, "fan_avg", "truncated_normal")`` (variance-corrected).

    References
    ----------
    Glorot & Bengio (2010), AISTATS.
    """
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis, dtype,
                            workers=workers)


def lecun_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                  dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r"""LeCun uniform: ``variance_scaling(1.0, "fan_in", "uniform")``.

    References
    ----------
    LeCun et al. (1998), Efficient BackProp; Klambauer et al. (2017), Self-Normalizing Neural Networks.
    """
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype, workers=workers)


def lecun_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                 dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r"""LeCun normal: ``variance_scaling(1.0, "fan_in", "truncated_normal")`` (variance-corrected).

    References
    ----------
    LeCun et al. (1998), Efficient BackProp; Klambauer et al. (2017), Self-Normalizing Neural Networks.
    """
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype,
                            workers=workers)


#: He's scale :math:`\sigma_w^2 = n\operatorname{Var}(w) = 2` (derivation ``meanfield-criticality``: ReLU's
#: critical weight variance at zero bias).
_HE_SCALE: float = float(formulas.RELU_CRITICAL_WEIGHT_VARIANCE)


def he_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
               dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r"""He/Kaiming uniform: ``variance_scaling(2.0, "fan_in", "uniform")``.

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV.
    """
    return variance_scaling(_HE_SCALE, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype, workers=workers)


def he_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
              dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r"""He/Kaiming normal: ``variance_scaling(2.0, "fan_in", "truncated_normal")`` (variance-corrected).

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV.
    """
    return variance_scaling(_HE_SCALE, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype,
                            workers=workers)


#: JAX's aliases (jax.nn.initializers.xavier_uniform is glorot_uniform, and so on).
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


def _column_axis(shape: tuple[int, ...], column_axis: int, name: str) -> int:
    if not -len(shape) <= column_axis < len(shape):
        raise ValueError(f"column_axis {column_axis} is out of range for shape {shape} ({name})")
    return column_axis % len(shape)


def _orthogonal(rng: RNGLike, shape: tuple[int, ...], dtype: np.dtype, scale: float, column_axis: int) -> np.ndarray:
    """JAX's orthogonal: flatten every axis but ``column_axis`` into rows, Q, move the columns back."""
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 dimensions (orthogonal); got {shape}")
    axis = _column_axis(shape, column_axis, "orthogonal")
    if math.prod(shape) == 0:
        return np.empty(shape, dtype=dtype)
    cols = shape[axis]
    q = _sampling.orthogonal(as_generator(rng), math.prod(shape) // cols, cols, dtype, scale)
    rest = shape[:axis] + shape[axis + 1:]
    return np.ascontiguousarray(np.moveaxis(q.reshape(*rest, cols), -1, axis))


def _int_axis(column_axis: object) -> int:
    axis = axes(column_axis, "column_axis")
    if not isinstance(axis, int):
        raise TypeError(f"column_axis must be an int; got {column_axis!r}")
    return axis


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = np.float32) -> Initializer:
    r"""Uniformly (Haar) distributed (semi-)orthogonal matrices, times ``scale``.

    Every axis but ``column_axis`` is flattened into rows; the ``rows x columns`` matrix has
    orthonormal columns if it is tall and orthonormal rows if it is wide, and is reshaped back.

    Parameters
    ----------
    scale
        Scale factor.
    column_axis
        The axis holding the columns that should be orthogonal.
    dtype
        Default dtype: float16 (computed in float32), float32 (default) or float64.

    References
    ----------
    Saxe, McClelland & Ganguli (2013); Mezzadri (2007); JAX ``jax.nn.initializers.orthogonal``.
    """
    scale, default_dtype = finite(scale, "scale"), float_dtype(dtype)
    column_axis = _int_axis(column_axis)

    def init(rng: RNGLike, shape: ShapeLike, dtype: Any = default_dtype) -> np.ndarray:
        return _orthogonal(rng, as_shape(shape), float_dtype(dtype), scale, column_axis)

    return init


def delta_orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: Any = np.float32) -> Initializer:
    r"""Delta-orthogonal kernels in JAX's layout ``(*spatial, in, out)``.

    The ``(in, out)`` matrix at the spatial center :math:`\lfloor (k - 1)/2 \rfloor` (as JAX;
    torch's ``dirac_`` centre :math:`\lfloor k/2 \rfloor` is the same for odd :math:`k`) is
    ``orthogonal(scale, column_axis)``; every other position is zero. The shape must be 3-, 4- or 5-D with
    ``in <= out``.

    References
    ----------
    Xiao, Bahri, Sohl-Dickstein, Schoenholz & Pennington (2018), Dynamical Isometry and a Mean
    Field Theory of CNNs, ICML; JAX ``jax.nn.initializers.delta_orthogonal``.
    """
    scale, default_dtype = finite(scale, "scale"), float_dtype(dtype)
    column_axis = _int_axis(column_axis)

    def init(rng: RNGLike, shape: ShapeLike, dtype: Any = default_dtype) -> np.ndarray:
        shape, dtype = as_shape(shape), float_dtype(dtype)
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"shape must have 3, 4 or 5 dimensions (*spatial, in, out) for delta_orthogonal; "
                             f"got {shape}")
        if shape[-1] < shape[-2]:
            raise ValueError(f"delta_orthogonal needs in <= out, shape[-2] <= shape[-1]; got {shape}")
        out = np.zeros(shape, dtype=dtype)
        center = tuple((k - 1) // 2 for k in shape[:-2])
        if math.prod(shape):
            out[center] = _orthogonal(rng, shape[-2:], dtype, scale, column_axis)
        return out

    return init


def truncated_normal(stddev: float = 1e-2, dtype: Any = np.float32, lower: float = -2.0,
                     upper: float = 2.0, *, workers: int | None = None) -> Initializer:
    r"""Sigma-relative truncated normal: :math:`\text{stddev}\cdot z`, :math:`z \sim \mathcal{N}(0,1)|[\ell, u]`.

    The bounds are in standard deviations of the untruncated normal and no variance correction
    is applied: the realised std is :math:`c(\ell, u)\,\text{stddev}` (:math:`\approx 0.88\,
    \text{stddev}` on :math:`[-2, 2]`), as in JAX. See
    :func:`initref.numpy.truncated_normal` for the other conventions.

    Parameters
    ----------
    stddev
        Standard deviation of the untruncated normal, :math:`> 0`.
    dtype
        Default dtype.
    lower, upper
        Bounds in standard deviations, :math:`\ell < u`.
    workers
        Keyword-only; as in :func:`variance_scaling`.
    """
    stddev, default_dtype = positive(stddev, "stddev"), float_dtype(dtype)
    lower, upper = finite(lower, "lower"), finite(upper, "upper")
    if not lower < upper:
        raise ValueError(f"lower must be < upper; got lower={lower!r}, upper={upper!r}")
    workers = _parallel.check_workers(workers)

    def init(rng: RNGLike, shape: ShapeLike, dtype: Any = default_dtype) -> np.ndarray:
        shape, dtype = as_shape(shape), float_dtype(dtype)
        return _sampling.truncated_normal(_parallel.source(rng, workers), shape, dtype, lower, upper, stddev)

    return init


def normal(stddev: float = 1e-2, dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r""":math:`\mathcal{N}(0, \text{stddev}^2)` (JAX's ``normal``); ``workers`` as in :func:`variance_scaling`."""
    stddev, default_dtype = finite(stddev, "stddev"), float_dtype(dtype)
    if stddev < 0:
        raise ValueError(f"stddev must be a finite real number >= 0; got {stddev!r}")
    workers = _parallel.check_workers(workers)

    def init(rng: RNGLike, shape: ShapeLike, dtype: Any = default_dtype) -> np.ndarray:
        return _sampling.normal(_parallel.source(rng, workers), as_shape(shape), float_dtype(dtype), 0.0, stddev)

    return init


def uniform(scale: float = 1e-2, dtype: Any = np.float32, *, workers: int | None = None) -> Initializer:
    r""":math:`\mathcal{U}[0, \text{scale})` (JAX's ``uniform``: *not* symmetric about 0).

    ``workers`` as in :func:`variance_scaling`.
    """
    scale, default_dtype = finite(scale, "scale"), float_dtype(dtype)
    workers = _parallel.check_workers(workers)

    def init(rng: RNGLike, shape: ShapeLike, dtype: Any = default_dtype) -> np.ndarray:
        return _sampling.uniform(_parallel.source(rng, workers), as_shape(shape), float_dtype(dtype), 0.0, scale)

    return init


def constant(value: Any, dtype: Any = np.float32) -> Initializer:
    r"""Arrays full of ``value`` (JAX's ``constant``); ``rng`` is accepted and unused."""
    default_dtype = any_dtype(dtype)
    try:  # fail here, not at init time, for a value the dtype cannot hold
        np.asarray(value, dtype=default_dtype)
    except (TypeError, ValueError, OverflowError) as error:
        raise ValueError(f"value must be convertible to {default_dtype}; got {value!r} ({error})") from None

    def init(rng: RNGLike, shape: ShapeLike, dtype: Any = default_dtype) -> np.ndarray:
        check_rng(rng)
        return np.full(as_shape(shape), value, dtype=any_dtype(dtype))

    return init


def zeros(rng: RNGLike, shape: ShapeLike, dtype: Any = np.float32) -> np.ndarray:
    r"""An initializer itself (as in JAX): an array of zeros; ``rng`` is accepted and unused."""
    check_rng(rng)
    return np.zeros(as_shape(shape), dtype=any_dtype(dtype))


def ones(rng: RNGLike, shape: ShapeLike, dtype: Any = np.float32) -> np.ndarray:
    r"""An initializer itself (as in JAX): an array of ones; ``rng`` is accepted and unused."""
    check_rng(rng)
    return np.ones(as_shape(shape), dtype=any_dtype(dtype))
