r"""Mean-field theory of signal propagation in deep random networks.

In a network :math:`h_l = W_l\,\phi(h_{l-1}) + b_l` with :math:`W_{ij} \sim (0, \sigma_w^2/n)` and
:math:`b_i \sim (0, \sigma_b^2)`, the pre-activations of a wide layer are Gaussian with second
moment :math:`q_l` obeying the *length map* (Poole et al. 2016, eq. 3)

.. math:: q_l = \mathcal{L}(q_{l-1}) = \sigma_w^2\, E\!\left[\phi(\sqrt{q_{l-1}}\,z)^2\right] + \sigma_b^2,
   \qquad z \sim \mathcal{N}(0, 1).

Its fixed point :math:`q^*` is where deep signals settle. Gradients are multiplied per layer by

.. math:: \chi_1 = \sigma_w^2\, E\!\left[\phi'(\sqrt{q^*}\,z)^2\right],

the slope of the correlation map at :math:`c = 1`: :math:`\chi_1 < 1` is the ordered phase
(gradients vanish, inputs become correlated), :math:`\chi_1 > 1` the chaotic phase (gradients
explode), and :math:`\chi_1 = 1` the order/chaos boundary, where information travels deepest
(Schoenholz et al. 2017). The depth scales

.. math:: \xi_q^{-1} = -\log \mathcal{L}'(q^*), \qquad \xi_c^{-1} = -\log\!\left(\sigma_w^2\,
   E\!\left[\phi'(u_1)\phi'(u_2)\right]\right)

measure how fast the length and the correlation of two inputs approach their fixed points
(Schoenholz et al. 2017, eqs. 5 and 9); :math:`\mathcal{L}'(q) = \sigma_w^2 E[\phi'^2 + \phi\phi'']`,
computed here by Stein's lemma as :math:`\sigma_w^2 E[x\,\phi(x)\phi'(x)]/q`, :math:`x \sim \mathcal{N}(0, q)`.

All Gaussian expectations come from :func:`initref.moments.gaussian_expectation` (error below
:math:`10^{-12}` relative, split at the activation's kinks).

References
----------
Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli (2016), Exponential expressivity in deep neural
networks through transient chaos, NeurIPS. Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017),
Deep Information Propagation, ICLR. Klambauer, Unterthiner, Mayr & Hochreiter (2017),
Self-Normalizing Neural Networks, NeurIPS.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

__all__ = [
    "FixedPoint", "MeanFieldPath", "chi_1", "correlation_map", "critical_weight_variance", "depth_scales",
    "fixed_point", "length_map", "length_map_slope", "phase_boundary", "propagate",
    "self_normalizing_parameters",
]

#: Below this the length map's iterate counts as the fixed point 0 (relative to the start ``q0``).
_Q_FLOOR = 1e-12
#: Above this (relative to ``q0``) the length map counts as diverging: no finite fixed point.
_Q_CEILING = 1e12
#: Relative size of ``L(q0) - q0`` below which ``q0`` is itself a fixed point (quadrature error 1e-12).
_FIXED_TOLERANCE = 1e-11
#: A slope |L'(q*)| or a chi_1 within this of 1 is marginal / critical (the quadrature's error is 1e-12).
_MARGINAL = 1e-10
#: Arguments standing for 0+ / 0- and for +-infinity in one-sided limits of the derivative.
_TINY, _HUGE = 1e-300, 1e100
#: Kinks farther than this many standard deviations are dropped from a quadrature (no mass there).
_KINK_REACH = 40.0
#: Two-dimensional expectations (the correlation map): Gauss-Legendre panels on [-_Z_MAX, _Z_MAX].
_Z_MAX, _PANEL, _PANEL_NODES = 10.0, 2.5, 20


def _activation(act: Any, param: float | None) -> Any:
    if hasattr(act, "numpy") and hasattr(act, "numpy_derivative") and param is None:
        return act
    from initref.activations import resolve

    return resolve(act, param)


def _expect(fn: Callable[[np.ndarray], np.ndarray], q: float, kinks: Sequence[float]) -> float:
    from initref.moments import gaussian_expectation

    # A kink beyond _KINK_REACH standard deviations sits where the Gaussian has no mass in double
    # precision (exp(-800)); passing it would only stretch the quadrature's panels.
    reach = _KINK_REACH * math.sqrt(q)
    return float(gaussian_expectation(fn, q, kinks=tuple(k for k in kinks if abs(k) <= reach)))


def _check_variance(label: str, value: float, *, allow_zero: bool = True) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{label} must be a finite number {bound}; got {value!r}")
    return float(value)


def _at(f: Callable[[np.ndarray], Any], points: Sequence[float]) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(f(np.asarray(points, dtype=np.float64)), dtype=np.float64)


def _second(act: Any, q: float) -> float:
    """:math:`E[\\phi(\\sqrt q z)^2]` (at q = 0: :math:`\\phi(0)^2`)."""
    if q == 0:
        return float(_at(act.numpy, [0.0])[0] ** 2)
    return _expect(lambda x: np.square(act.numpy(x)), q, act.kinks)


def _derivative_second(act: Any, q: float) -> float:
    """:math:`E[\\phi'(\\sqrt q z)^2]`, with its one-sided limits at q = 0 and q = infinity."""
    if q == 0 or math.isinf(q):
        point = _TINY if q == 0 else _HUGE
        values = _at(act.numpy_derivative, [-point, point])
        if not np.all(np.isfinite(values)):
            raise ValueError(f"the derivative of {act.name} has no finite limit at {'0' if q == 0 else 'infinity'}")
        return float(np.mean(values**2))
    return _expect(lambda x: np.square(act.numpy_derivative(x)), q, act.kinks)


def length_map(act: Any, q: float, weight_variance: float, bias_variance: float = 0.0, *,
               param: float | None = None) -> float:
    r"""The length map :math:`\mathcal{L}(q) = \sigma_w^2 E[\phi(\sqrt q z)^2] + \sigma_b^2`.

    Parameters
    ----------
    act
        Anything :func:`initref.activations.resolve` accepts (a name, an expression, a callable).
    q
        Second moment of the pre-activations of the previous layer.
    weight_variance
        :math:`\sigma_w^2 = n \operatorname{Var}(w)` (the gain squared).
    bias_variance
        :math:`\sigma_b^2`.
    param
        The activation's parameter, if any.

    References
    ----------
    Poole et al. (2016), eq. 3.
    """
    act = _activation(act, param)
    q = _check_variance("q", q)
    return _check_variance("weight_variance", weight_variance) * _second(act, q) + \
        _check_variance("bias_variance", bias_variance)


def length_map_slope(act: Any, q: float, weight_variance: float, *, param: float | None = None) -> float:
    r""":math:`\mathcal{L}'(q) = \sigma_w^2 E[\phi'(x)^2 + \phi(x)\phi''(x)]`, :math:`x \sim \mathcal{N}(0, q)`.

    Computed without :math:`\phi''` by Stein's lemma, :math:`\sigma_w^2 E[x\,\phi(x)\phi'(x)]/q`; at
    :math:`q = 0` (where :math:`\phi(0) = 0` makes 0 a fixed point) it is :math:`\chi_1(0)`.

    References
    ----------
    Schoenholz et al. (2017), eq. 5; Stein (1981).
    """
    act = _activation(act, param)
    q, sw = _check_variance("q", q), _check_variance("weight_variance", weight_variance)
    if q == 0:
        return sw * _derivative_second(act, 0.0)
    return sw * _expect(lambda x: x * act.numpy(x) * act.numpy_derivative(x), q, act.kinks) / q


def chi_1(act: Any, q: float, weight_variance: float, *, param: float | None = None) -> float:
    r""":math:`\chi_1 = \sigma_w^2 E[\phi'(\sqrt q z)^2]`: the per-layer factor of the gradients' second moment.

    At :math:`q = 0` and :math:`q = \infty` the one-sided limits are used (e.g. ReLU gives
    :math:`\sigma_w^2/2` at both).

    References
    ----------
    Poole et al. (2016), eq. 7; Schoenholz et al. (2017), eq. 8.
    """
    act = _activation(act, param)
    q = math.inf if isinstance(q, (int, float)) and q == math.inf else _check_variance("q", q)
    return _check_variance("weight_variance", weight_variance) * _derivative_second(act, q)


@dataclass(frozen=True)
class FixedPoint:
    r"""The fixed point of the length map reached from ``q0``, and what it implies.

    Attributes
    ----------
    q_star
        :math:`q^*` (``inf`` if the length map diverges; ``q0`` itself on a neutral line, such as
        ReLU at :math:`\sigma_w^2 = 2, \sigma_b^2 = 0` where every :math:`q` is fixed).
    chi_1
        :math:`\chi_1` at :math:`q^*`: per-layer factor of the gradients' second moment.
    slope
        :math:`\mathcal{L}'(q^*)`: the fixed point attracts if it is below 1.
    stable
        Whether the fixed point attracts, :math:`|\mathcal{L}'(q^*)| < 1` beyond rounding
        (``stability == "stable"``).
    stability
        ``"stable"``, ``"marginal"`` (:math:`|\mathcal{L}'(q^*)| = 1` to 1e-10: nearby :math:`q`
        neither approach nor leave exponentially, as on the neutral line of the identity at
        :math:`\sigma_w^2 = 1` or ReLU at :math:`\sigma_w^2 = 2`, :math:`\sigma_b^2 = 0`) or ``"unstable"``.
    phase
        ``"ordered"`` (:math:`\chi_1 < 1`), ``"critical"`` (:math:`\chi_1 = 1` to 1e-10) or ``"chaotic"``.
    depth_scale_q, depth_scale_c
        :math:`\xi_q` and :math:`\xi_c` in layers (``inf`` where the approach is not exponential).
    c_star
        Fixed point of the correlation map (1 in the ordered phase).
    weight_variance, bias_variance
        The :math:`\sigma_w^2, \sigma_b^2` it belongs to.
    """

    q_star: float
    chi_1: float
    slope: float
    stable: bool
    stability: str
    phase: str
    depth_scale_q: float
    depth_scale_c: float
    c_star: float
    weight_variance: float
    bias_variance: float


def _fixed_q(act: Any, sw: float, sb: float, q0: float) -> float:
    def gap(q: float) -> float:
        return sw * _second(act, q) + sb - q

    start = gap(q0)
    if abs(start) <= _FIXED_TOLERANCE * q0:
        return q0
    if start > 0:  # the iteration climbs: bracket upwards
        low, high = q0, 2 * q0
        while gap(high) > 0:
            low, high = high, 2 * high
            if high > _Q_CEILING * q0:
                return math.inf
    else:  # it descends: bracket downwards
        low, high = q0 / 2, q0
        while gap(low) < 0:
            low, high = low / 2, low
            if low < _Q_FLOOR * q0:
                if gap(0.0) <= 0:
                    return 0.0
                low = 0.0
                break
    return float(optimize.brentq(gap, low, high, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500))


def _fixed_q_and_chi(act: Any, sw: float, sb: float, q0: float) -> tuple[float, float]:
    q_star = _fixed_q(act, sw, sb, q0)
    return q_star, sw * _derivative_second(act, q_star)


def fixed_point(act: Any, weight_variance: float, bias_variance: float = 0.0, *, param: float | None = None,
                q0: float = 1.0, correlation: bool = True) -> FixedPoint:
    r"""The fixed point :math:`q^* = \mathcal{L}(q^*)` reached by iterating the length map from ``q0``.

    The iteration from ``q0`` moves monotonically towards the nearest fixed point in its direction
    (:math:`\mathcal{L}` is increasing); that point is bracketed and solved with Brent's method.

    Parameters
    ----------
    act
        Anything :func:`initref.activations.resolve` accepts.
    weight_variance, bias_variance
        :math:`\sigma_w^2` and :math:`\sigma_b^2`.
    param
        The activation's parameter, if any.
    q0
        Starting second moment (the input's).
    correlation
        Also solve the correlation map for :math:`c^*` and :math:`\xi_c` (nested quadratures, the
        slow part in the chaotic phase); when False they are NaN.

    Returns
    -------
    FixedPoint
        With :math:`\chi_1`, stability (stable, marginal or unstable), phase and depth scales.

    References
    ----------
    Poole et al. (2016), sec. 2; Schoenholz et al. (2017), sec. 3.
    """
    act = _activation(act, param)
    sw = _check_variance("weight_variance", weight_variance, allow_zero=False)
    sb = _check_variance("bias_variance", bias_variance)
    q0 = _check_variance("q0", q0, allow_zero=False)
    q_star, chi = _fixed_q_and_chi(act, sw, sb, q0)
    slope = length_map_slope(act, q_star, sw) if math.isfinite(q_star) else math.inf
    phase = "critical" if abs(chi - 1) <= _MARGINAL else ("ordered" if chi < 1 else "chaotic")
    c_star, xi_c = _correlation_fixed_point(act, sw, sb, q_star, chi) if correlation else (math.nan, math.nan)
    stability = _stability(slope)
    return FixedPoint(q_star, chi, slope, stability == "stable", stability, phase, _depth(slope), xi_c, c_star, sw,
                      sb)


def _stability(slope: float) -> str:
    """``"marginal"`` for :math:`|\\mathcal{L}'(q^*)| = 1` to :data:`_MARGINAL`, else stable below 1, unstable above."""
    if abs(abs(slope) - 1) <= _MARGINAL:
        return "marginal"
    return "stable" if abs(slope) < 1 else "unstable"


def _depth(factor: float) -> float:
    """:math:`-1/\\log|\\text{factor}|` for a contraction, ``inf`` otherwise."""
    factor = abs(factor)
    return -1.0 / math.log(factor) if 0 < factor < 1 else (0.0 if factor == 0 else math.inf)


def _gaussian_panels(kinks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights for :math:`E[h(z)]`, :math:`z \sim \mathcal{N}(0, 1)`, one rule per row of ``kinks``.

    Gauss-Legendre on panels of width at most :data:`_PANEL` covering :math:`[-10, 10]` (the tails
    beyond carry :math:`< 10^{-22}` of the mass), split at each row's kinks so every panel sees a
    smooth integrand. ``kinks`` has shape ``(rows, k)``; the results have shape ``(rows, nodes)``.
    """
    base = np.linspace(-_Z_MAX, _Z_MAX, int(2 * _Z_MAX / _PANEL) + 1)
    inside = np.clip(kinks, -_Z_MAX, _Z_MAX)
    edges = np.sort(np.concatenate([np.broadcast_to(base, (kinks.shape[0], base.size)), inside], axis=1), axis=1)
    left, right = edges[:, :-1, None], edges[:, 1:, None]
    nodes, weights = np.polynomial.legendre.leggauss(_PANEL_NODES)
    z = (left + right) / 2 + (right - left) / 2 * nodes
    w = (right - left) / 2 * weights * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return z.reshape(kinks.shape[0], -1), w.reshape(kinks.shape[0], -1)


def _pair_expectation(act: Any, q: float, c: float, f: Callable[[np.ndarray], Any],
                      g: Callable[[np.ndarray], Any]) -> float:
    r""":math:`E[f(u_1) g(u_2)]` for :math:`u_1, u_2` of variance :math:`q` and correlation :math:`c`.

    :math:`u_1 = \sqrt q z_1`, :math:`u_2 = \sqrt q (c z_1 + \sqrt{1-c^2} z_2)`. The inner
    expectation over :math:`z_2` is split where :math:`u_2` crosses a kink (the split moves with
    :math:`z_1`); the outer one where :math:`u_1` does (the inner result is smooth in :math:`z_1`).
    Piecewise Gauss-Legendre, so kinked activations keep close to full double precision.
    """
    root, side = math.sqrt(q), math.sqrt(max(0.0, 1.0 - c * c))
    kinks = np.asarray(act.kinks, dtype=np.float64)
    z1, w1 = _gaussian_panels((kinks / root)[None, :])
    z1, w1 = z1[0], w1[0]
    centre = root * c * z1
    with np.errstate(all="ignore"):
        if side == 0:
            inner = np.asarray(g(centre), dtype=np.float64)
        else:
            shifted = (kinks[None, :] - centre[:, None]) / (root * side)
            z2, w2 = _gaussian_panels(shifted)
            inner = np.sum(w2 * np.asarray(g(centre[:, None] + root * side * z2), dtype=np.float64), axis=1)
        return float(np.sum(w1 * np.asarray(f(root * z1), dtype=np.float64) * inner))


def correlation_map(act: Any, c: float, weight_variance: float, bias_variance: float = 0.0, *,
                    q_star: float | None = None, param: float | None = None) -> float:
    r"""The correlation map :math:`c \mapsto (\sigma_w^2 E[\phi(u_1)\phi(u_2)] + \sigma_b^2)/q^*`.

    :math:`u_1 = \sqrt{q^*} z_1`, :math:`u_2 = \sqrt{q^*}(c z_1 + \sqrt{1-c^2} z_2)`; ``q_star``
    defaults to the fixed point from 1.

    References
    ----------
    Poole et al. (2016), eq. 5.
    """
    act = _activation(act, param)
    if not (isinstance(c, (int, float)) and -1.0 <= c <= 1.0):
        raise ValueError(f"c must be a correlation in [-1, 1]; got {c!r}")
    sw, sb = _check_variance("weight_variance", weight_variance), _check_variance("bias_variance", bias_variance)
    q = fixed_point(act, sw, sb).q_star if q_star is None else q_star
    if not (0 < q < math.inf):
        raise ValueError(f"the correlation map needs a finite positive q_star; got {q}")
    return (sw * _pair_expectation(act, q, c, act.numpy, act.numpy) + sb) / q


def _correlation_fixed_point(act: Any, sw: float, sb: float, q: float, chi: float) -> tuple[float, float]:
    """``(c*, xi_c)``: c* = 1 unless chaotic; then the stable c* < 1 and its depth scale."""
    if chi <= 1 + _MARGINAL or not (0 < q < math.inf):
        return 1.0, _depth(chi)

    def gap(c: float) -> float:
        return (sw * _pair_expectation(act, q, c, act.numpy, act.numpy) + sb) / q - c

    # Near c = 1 the gap is -(chi_1 - 1)(1 - c): step away from 1 until it is resolved.
    high = next((1.0 - d for d in (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1) if gap(1.0 - d) < 0), None)
    low = 0.0 if gap(0.0) >= 0 else (-1.0 if gap(-1.0) >= 0 else None)
    if high is None or low is None:
        return 1.0, math.inf
    c_star = low if gap(low) == 0 else float(optimize.brentq(gap, low, high, xtol=1e-12))
    chi_c = sw * _pair_expectation(act, q, c_star, act.numpy_derivative, act.numpy_derivative)
    return c_star, _depth(chi_c)


def depth_scales(act: Any, weight_variance: float, bias_variance: float = 0.0, *,
                 param: float | None = None) -> tuple[float, float]:
    r""":math:`(\xi_q, \xi_c)`: layers over which lengths and correlations approach their fixed points.

    Both diverge at the order/chaos boundary, which is why networks initialised there train at
    depths far beyond :math:`\xi_c` elsewhere.

    References
    ----------
    Schoenholz et al. (2017), eqs. 5 and 9.
    """
    point = fixed_point(act, weight_variance, bias_variance, param=param)
    return point.depth_scale_q, point.depth_scale_c


def critical_weight_variance(act: Any, bias_variance: float = 0.0, *, param: float | None = None,
                             q0: float = 1.0) -> float:
    r"""The :math:`\sigma_w^2` on the order/chaos boundary, :math:`\chi_1(q^*) = 1`, for a given :math:`\sigma_b^2`.

    At :math:`\sigma_b^2 = 0` with :math:`\phi(0) = 0`, the fixed point :math:`q^* = 0` gives
    :math:`\chi_1 = \sigma_w^2 \phi'(0)^2` (one-sided limits averaged at a kink), so the candidate
    :math:`\sigma_w^2 = 1/\phi'(0)^2` is tried first and returned if it is critical (tanh:
    exactly 1). Otherwise :math:`\chi_1(q^*(\sigma_w^2)) - 1` is bracketed on a geometric grid and
    solved by Brent's method (assumed increasing in :math:`\sigma_w^2`, as for the usual activations).

    Parameters
    ----------
    act
        Anything :func:`initref.activations.resolve` accepts.
    bias_variance
        :math:`\sigma_b^2`.
    param
        The activation's parameter.
    q0
        Starting second moment for the fixed-point search.

    References
    ----------
    Poole et al. (2016), Fig. 1; Schoenholz et al. (2017), sec. 3 and Fig. 1.
    """
    act = _activation(act, param)
    sb = _check_variance("bias_variance", bias_variance)

    q0 = _check_variance("q0", q0, allow_zero=False)

    def excess(sw: float) -> float:
        return _fixed_q_and_chi(act, sw, sb, q0)[1] - 1.0

    if sb == 0 and _at(act.numpy, [0.0])[0] == 0:
        slope_sq = _derivative_second(act, 0.0)
        if slope_sq > 0:
            candidate = 1.0 / slope_sq
            if _fixed_q(act, candidate, 0.0, q0) == 0 and abs(excess(candidate)) <= 1e-15:
                return candidate
    grid = np.geomspace(1e-3, 1e4, 71)
    previous = None
    for sw in grid:
        value = excess(float(sw))
        if value == 0:
            return float(sw)
        if value > 0:
            if previous is None:
                raise ValueError(f"{act.name} is already chaotic at weight_variance {grid[0]}")
            return float(optimize.brentq(excess, previous, float(sw), xtol=1e-14, rtol=4 * np.finfo(float).eps))
        previous = float(sw)
    raise ValueError(f"no order/chaos boundary for {act.name} with weight_variance up to {grid[-1]}")


def phase_boundary(act: Any, bias_variances: Sequence[float], *, param: float | None = None) -> np.ndarray:
    r"""The order/chaos boundary :math:`\sigma_w^2(\sigma_b^2)` at each of ``bias_variances``.

    References
    ----------
    Poole et al. (2016), Fig. 1; Schoenholz et al. (2017), Fig. 1.
    """
    act = _activation(act, param)
    return np.array([critical_weight_variance(act, float(sb)) for sb in bias_variances])


@dataclass(frozen=True)
class MeanFieldPath:
    r"""Mean-field prediction layer by layer.

    Attributes
    ----------
    second_moment
        ``(depth + 1,)``: :math:`q_0, \dots, q_L` of the pre-activations.
    forward_ratio
        ``(depth,)``: :math:`q_l / q_{l-1}`.
    backward_ratio
        ``(depth,)``: entry :math:`l` is the gradient factor :math:`E[\delta_l^2]/E[\delta_{l+1}^2]`,
        :math:`\chi_1(q_l)` (residual: :math:`1 + \alpha^2\chi_1(q_l)`).
    """

    second_moment: np.ndarray
    forward_ratio: np.ndarray
    backward_ratio: np.ndarray

    @property
    def forward_factor(self) -> float:
        """Mean of the forward ratios (what the Monte Carlo estimator targets)."""
        return float(np.mean(self.forward_ratio))

    @property
    def backward_factor(self) -> float:
        """Mean of the backward ratios."""
        return float(np.mean(self.backward_ratio))


def propagate(act: Any, weight_variance: float, bias_variance: float, depth: int, *, q0: float = 1.0,
              param: float | None = None, residual_alpha: float | None = None) -> MeanFieldPath:
    r"""Iterate the length map ``depth`` times from ``q0`` and the gradient factors along the way.

    Dense and convolutional stacks (circular padding) follow the length map; a residual stack
    :math:`h_l = h_{l-1} + \alpha(W_l\phi(h_{l-1}) + b_l)` follows
    :math:`q_l = q_{l-1} + \alpha^2\mathcal{L}(q_{l-1})` and multiplies gradients by
    :math:`1 + \alpha^2\chi_1` (the branch is independent of its input, so variances add).

    References
    ----------
    Poole et al. (2016); Xiao et al. (2018) (convolutions); Hanin & Rolnick (2018) (residual).
    """
    act = _activation(act, param)
    sw, sb = _check_variance("weight_variance", weight_variance), _check_variance("bias_variance", bias_variance)
    q = np.empty(depth + 1)
    backward = np.empty(depth)
    q[0] = _check_variance("q0", q0)
    for layer in range(depth):
        current = q[layer]
        if layer and current == q[layer - 1]:  # settled: reuse the last layer's integrals
            q[layer + 1], backward[layer] = current, backward[layer - 1]
            continue
        mapped = sw * _second(act, current) + sb if math.isfinite(current) else math.inf
        gradient = sw * _derivative_second(act, current)
        if residual_alpha is None:
            q[layer + 1], backward[layer] = mapped, gradient
        else:
            q[layer + 1] = current + residual_alpha**2 * mapped
            backward[layer] = 1.0 + residual_alpha**2 * gradient
    with np.errstate(invalid="ignore", divide="ignore"):
        forward = q[1:] / q[:-1]
    return MeanFieldPath(q, forward, backward)


def self_normalizing_parameters(variance: float = 1.0) -> tuple[float, float]:
    r"""SELU's :math:`(\alpha, \lambda)` solving Klambauer et al.'s fixed-point equations.

    With normalised weights (:math:`\sum_i w_i = 0`, :math:`\sum_i w_i^2 = 1`) an input of mean 0
    and variance :math:`\nu` gives pre-activations :math:`z \sim \mathcal{N}(0, \nu)`; the fixed
    point :math:`(\mu, \nu)` with :math:`\mu = 0` requires

    .. math:: E[\mathrm{SELU}(z)] = 0, \qquad E[\mathrm{SELU}(z)^2] = \nu.

    With :math:`\mathrm{SELU} = \lambda\,(\mathrm{ELU}_1^+ + \alpha\,\mathrm{ELU}_1^-)` (positive
    and negative parts of ELU with :math:`\alpha = 1`) the first is linear in :math:`\alpha`, and
    the second then gives :math:`\lambda` (the parts have disjoint supports):

    .. math:: \alpha = -\frac{E[\mathrm{ELU}_1^+(z)]}{E[\mathrm{ELU}_1^-(z)]}, \qquad
              \lambda = \sqrt{\frac{\nu}{E[\mathrm{ELU}_1^+(z)^2] + \alpha^2 E[\mathrm{ELU}_1^-(z)^2]}}.

    Solved numerically here (Gaussian quadrature split at 0); for :math:`\nu = 1` these are
    Klambauer's :math:`\alpha_{01} \approx 1.6733` and :math:`\lambda_{01} \approx 1.0507`, whose
    closed forms derivation ``selu`` proves.

    Parameters
    ----------
    variance
        :math:`\nu`, the variance of the fixed point (1 in the paper).

    Returns
    -------
    (alpha, lambda)

    References
    ----------
    Klambauer, Unterthiner, Mayr & Hochreiter (2017), Self-Normalizing Neural Networks, NeurIPS,
    sec. 3, eqs. 4-5 and 14.
    """
    nu = _check_variance("variance", variance, allow_zero=False)
    elu = _activation("elu", 1.0)

    def positive(x: np.ndarray) -> np.ndarray:
        return np.maximum(elu.numpy(x), 0.0)

    def negative(x: np.ndarray) -> np.ndarray:
        return np.minimum(elu.numpy(x), 0.0)

    kinks = (0.0,)
    alpha = -_expect(positive, nu, kinks) / _expect(negative, nu, kinks)
    second = _expect(lambda x: positive(x) ** 2, nu, kinks) + alpha**2 * _expect(lambda x: negative(x) ** 2, nu, kinks)
    return alpha, math.sqrt(nu / second)
