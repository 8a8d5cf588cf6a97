r"""Samplers that write in the target dtype: no float64 temporary, no second full-size buffer.

NumPy's :class:`~numpy.random.Generator` samples float32 and float64 directly
(``standard_normal(shape, dtype=np.float32)``, ``random(shape, dtype=np.float32)``); every
scale and shift below is done in place (``out=``), so an elementwise initializer allocates its
result and nothing else of that size. float16 has no native sampler: it is sampled in float32
and rounded, which allocates the float32 draw (twice the float16 result's size).

Truncated normals use the inverse-CDF method, :math:`z = \Phi^{-1}(\Phi(a) + u(\Phi(b) - \Phi(a)))`,
in place on the uniform draw; orthogonal matrices use Stewart's (1980) method (see
:func:`orthogonal`).

The elementwise samplers take a :data:`~initref.numpy._parallel.Source`: one
:class:`~numpy.random.Generator` for the whole array (``workers=None``), or
:class:`~initref.numpy._parallel.BlockStreams`, which fills fixed-size blocks from per-block
Philox streams on a thread pool (see :mod:`initref.numpy._parallel`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.linalg.lapack
import scipy.special

from initref._generated import formulas
from initref.numpy._parallel import BlockFill, BlockStreams, Source

__all__ = [
    "sampling_dtype", "normal", "uniform", "truncated_normal", "variance_scaling", "orthogonal", "hadamard_block",
]


def sampling_dtype(dtype: np.dtype) -> np.dtype:
    """The dtype the Generator draws in for a result of ``dtype`` (float16 draws in float32)."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _finish(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Round a float32 draw to float16 when float16 was asked for; otherwise the array itself."""
    return out.astype(dtype) if out.dtype != dtype else out


def _affine(out: np.ndarray, scale: float, shift: float) -> np.ndarray:
    """``out = out * scale + shift`` in place, skipping the identity steps."""
    if scale != 1.0:
        np.multiply(out, scale, out=out)
    if shift != 0.0:
        np.add(out, shift, out=out)
    return out


def _sample(rng: Source, shape: tuple[int, ...], dtype: np.dtype, draw: BlockFill,
            transform: Callable[[np.ndarray], object]) -> np.ndarray:
    """``draw`` then ``transform`` in place, on the whole array (one Generator) or block by block.

    With a Generator this is ``draw(rng, out)`` on a new array, the same bits as
    ``rng.standard_normal(shape, dtype=...)`` / ``rng.random(shape, dtype=...)``; with
    :class:`~initref.numpy._parallel.BlockStreams` each block is drawn from its own stream and
    transformed where it lies, on the pool's threads.
    """
    out = np.empty(shape, dtype=sampling_dtype(dtype))
    if isinstance(rng, BlockStreams):
        def block(gen: np.random.Generator, view: np.ndarray) -> None:
            draw(gen, view)
            transform(view)

        rng.fill(out, block)
    else:
        draw(rng, out)
        transform(out)
    return _finish(out, dtype)


def _standard_normal(gen: np.random.Generator, out: np.ndarray) -> None:
    gen.standard_normal(dtype=out.dtype, out=out)


def _random(gen: np.random.Generator, out: np.ndarray) -> None:
    gen.random(dtype=out.dtype, out=out)


def normal(rng: Source, shape: tuple[int, ...], dtype: np.dtype, mean: float = 0.0,
           std: float = 1.0) -> np.ndarray:
    r""":math:`\mathcal{N}(\text{mean}, \text{std}^2)` drawn in ``dtype`` and scaled in place."""
    return _sample(rng, shape, dtype, _standard_normal, lambda out: _affine(out, std, mean))


def uniform(rng: Source, shape: tuple[int, ...], dtype: np.dtype, low: float = 0.0,
            high: float = 1.0) -> np.ndarray:
    r""":math:`\mathcal{U}[\text{low}, \text{high})` drawn in ``dtype`` and scaled in place."""
    return _sample(rng, shape, dtype, _random, lambda out: _affine(out, high - low, low))


def truncated_normal(rng: Source, shape: tuple[int, ...], dtype: np.dtype, lower: float,
                     upper: float, scale: float = 1.0, shift: float = 0.0,
                     clip: tuple[float, float] | None = None) -> np.ndarray:
    r"""``shift + scale * z``, :math:`z \sim \mathcal{N}(0, 1)` on :math:`[\text{lower}, \text{upper}]`.

    Inverse CDF in place on a uniform draw, :math:`z = \Phi^{-1}(\Phi(\ell) + u(\Phi(u) -
    \Phi(\ell)))`. The interval is reflected into the lower tail first (:math:`z \to -z`),
    where :math:`\Phi` keeps its relative precision, so bounds far in either tail work. ``z`` is
    clipped to ``[lower, upper]`` and the result to ``clip`` (bounds in the result's units)
    against rounding; all of it before float16 rounding. With block streams every block is
    drawn and transformed by this same recipe from its own stream.

    Raises
    ------
    ValueError
        If ``lower >= upper`` or the interval has no mass in float64.
    """
    if not lower < upper:
        raise ValueError(f"lower must be < upper; got lower={lower!r}, upper={upper!r}")
    flip = lower > -upper  # more of the interval above 0 than below: sample -z on [-upper, -lower]
    lo, hi = (-upper, -lower) if flip else (lower, upper)
    p_lo, p_hi = float(scipy.special.ndtr(lo)), float(scipy.special.ndtr(hi))
    if not p_hi > p_lo:
        raise ValueError(f"the interval [{lower!r}, {upper!r}] has no probability mass under N(0, 1) in float64")

    def transform(out: np.ndarray) -> None:
        _affine(out, p_hi - p_lo, p_lo)
        scipy.special.ndtri(out, out=out)
        np.clip(out, lo, hi, out=out)
        _affine(out, -scale if flip else scale, shift)
        if clip is not None:
            np.clip(out, *clip, out=out)

    return _sample(rng, shape, dtype, _random, transform)


def variance_scaling(rng: Source, shape: tuple[int, ...], dtype: np.dtype, scale: float, n: float,
                     distribution: str) -> np.ndarray:
    r"""Var(w) = s/n from ``"truncated_normal"`` (variance-corrected), ``"normal"`` or ``"uniform"``."""
    if distribution == "uniform":
        bound = formulas.variance_scaling_bound(scale, n)
        return uniform(rng, shape, dtype, -bound, bound)
    std = formulas.variance_scaling_std(scale, n)
    if distribution == "normal":
        return normal(rng, shape, dtype, 0.0, std)
    bound = formulas.TRUNCATED_NORMAL_BOUND
    return truncated_normal(rng, shape, dtype, -bound, bound, std / formulas.TRUNCATED_NORMAL_STD_CORRECTION)


_ORGQR = {np.dtype(np.float32): scipy.linalg.lapack.sorgqr, np.dtype(np.float64): scipy.linalg.lapack.dorgqr}


def _column_tail_norms(g: np.ndarray, block: int = 256) -> np.ndarray:
    r"""``t[k] = \sum_{i > k} g_{ik}^2`` in float64, a block of columns at a time (small temporaries)."""
    tails = np.empty(g.shape[1], dtype=np.float64)
    for start in range(0, g.shape[1], block):
        below = np.tril(g[:, start:start + block], -(start + 1))
        tails[start:start + block] = np.einsum("ij,ij->j", below, below, dtype=np.float64)
    return tails


def orthogonal(rng: np.random.Generator, rows: int, cols: int, dtype: np.dtype, scale: float = 1.0) -> np.ndarray:
    r"""``scale`` times a uniformly (Haar) distributed ``(rows, cols)`` matrix with orthonormal rows or columns.

    The distribution is that of torch's ``orthogonal_``: the :math:`Q` factor of a Gaussian
    matrix with the signs of :math:`R`'s diagonal moved into :math:`Q` (Mezzadri 2007). It is
    sampled by Stewart's method: Householder QR of a Gaussian matrix builds its :math:`k`-th
    reflector from a column that is again standard Gaussian and independent of the earlier
    reflectors (orthogonal invariance), so the reflectors can be drawn directly from independent
    Gaussian columns of lengths :math:`m, m-1, \dots` without factorising anything. Only
    LAPACK's ``orgqr`` (forming :math:`Q` from the reflectors) costs :math:`O(mn^2)`, about half
    of ``geqrf`` + ``orgqr``.

    The reflector from :math:`x = (\alpha, x_2, \dots)` follows LAPACK's ``larfg``:
    :math:`\beta = -\operatorname{sign}(\alpha)\lVert x\rVert`, :math:`\tau = (\beta - \alpha)/\beta`,
    :math:`v = (1, x_{2:}/(\alpha - \beta))`, and :math:`R_{kk} = \beta` (:math:`\alpha` with
    :math:`\tau = 0` for a length-1 column), so column :math:`k` of :math:`Q` is multiplied by
    :math:`\operatorname{sign}(R_{kk})`.

    float16 is computed in float32 and rounded (as torch computes half precision in float32).

    References
    ----------
    Stewart (1980), The efficient generation of random orthogonal matrices with an application
    to condition estimators, SIAM J. Numer. Anal. 17(3); Mezzadri (2007), How to generate random
    matrices from the classical compact groups, Notices of the AMS 54(5); Saxe et al. (2013).
    """
    work_dtype = sampling_dtype(dtype)
    tall = rows >= cols
    m, n = (rows, cols) if tall else (cols, rows)  # m >= n: Q is m x n with orthonormal columns
    g = rng.standard_normal((n, m), dtype=work_dtype).T  # (m, n), Fortran order, as LAPACK wants it
    alpha = g.diagonal().astype(np.float64)
    tails = _column_tail_norms(g)
    beta = -np.copysign(np.sqrt(alpha * alpha + tails), alpha)
    reflect = tails > 0
    safe_beta = np.where(reflect, beta, 1.0)
    tau = np.where(reflect, (safe_beta - alpha) / safe_beta, 0.0)
    np.multiply(g, np.where(reflect, 1.0 / np.where(reflect, alpha - beta, 1.0), 0.0).astype(work_dtype), out=g)
    orgqr = _ORGQR[work_dtype]
    lwork = int(orgqr(g, tau.astype(work_dtype), lwork=-1, overwrite_a=1)[1][0])
    q, _, info = orgqr(g, tau.astype(work_dtype), lwork=max(lwork, n), overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK argument error, a bug here
        raise RuntimeError(f"LAPACK orgqr failed with info={info}")
    q *= (scale * np.copysign(1.0, np.where(reflect, beta, alpha))).astype(work_dtype)
    if rows <= cols:  # q.T is C-contiguous (rows, cols); a square Haar matrix's transpose is Haar too
        return _finish(q.T, dtype)
    return _finish(np.ascontiguousarray(q), dtype)


def hadamard_block(rows: int, cols: int, dtype: np.dtype) -> np.ndarray:
    r"""The top-left ``rows x cols`` block of :math:`c H_m`, :math:`2^m \ge` ``rows``, :math:`c = 2^{-m/2}`.

    Entries from :math:`(H_m)_{ij} = (-1)^{\operatorname{popcount}(i \wedge j)}` (derivation
    ``zero-hadamard``), so the :math:`2^m \times 2^m` matrix is never built.
    """
    order = max(rows - 1, 0).bit_length()  # m = ceil(log2(rows))
    parity = np.bitwise_and.outer(np.arange(rows, dtype=np.uint32), np.arange(cols, dtype=np.uint32))
    for shift in (16, 8, 4, 2, 1):  # fold the bits: the lowest bit becomes the popcount's parity
        parity ^= parity >> np.uint32(shift)
    parity &= np.uint32(1)
    scale = formulas.hadamard_scale(order)
    out = parity.astype(dtype)
    return _affine(out, -2.0 * scale, scale)
