r"""Gaussian moments of activations: $E[f(z)]$, $E[f(z)^2]$, $E[f'(z)^2]$ for $z \sim \mathcal{N}(0, q)$.

Closed forms (derivation ``gaussian-moments``) where they are exact in floating point (identity,
ReLU, leaky ReLU, abs); otherwise adaptive Gauss–Legendre quadrature of $g(\sqrt{q}\,t)\varphi(t)$:
the line is cut at the activation's kinks and into unit panels over $|t| \le 10$ (widened while
the integrand has not decayed), each panel is compared with its two halves, and panels that
disagree are bisected until the estimated error is below $10^{-13}$ of $\int |g\varphi|$. A kink
nobody declared is found by the bisection itself, at the price of more evaluations. Where the
bisection stalls at a point (a singularity such as $|z|^{-1/2}$, $\log|z|$ or $1/z$), the integral
next to it is summed over dyadic shells: a local behaviour $|z - z_0|^{-p}$ with $p \ge 1$ is
reported as an infinite expectation naming the moment and the point, a smaller $p$ is integrated
with a geometric tail (or, away from 0 where rounding hides the point, withheld if it cannot reach
the error target).

References
----------
Davis & Rabinowitz (1984), Methods of Numerical Integration, sec. 6.2 (adaptive quadrature);
Golub & Welsch (1969), Calculation of Gauss quadrature rules; Piessens et al. (1983), QUADPACK,
sec. 2.2 (geometric subdivision towards an endpoint singularity, extrapolated).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

#: Requested error, relative to $\int |g\varphi|$ (the delivered error is far below this in practice).
RTOL = 1e-13
#: Gauss–Legendre nodes per panel.
NODES = 12
#: Half-width, in standard deviations, of the first integration domain; widened while the integrand lives on.
INITIAL_HALF_WIDTH = 10.0
#: Beyond this many standard deviations an integrand that has not decayed is declared divergent.
MAX_HALF_WIDTH = 400.0
#: Bisection depth after which a panel is accepted with its error estimate (a jump in g needs about 45).
MAX_LEVELS = 60
#: A bad panel narrower than this fraction of its distance from 0 has stalled at a singular point (narrower
#: still, its nodes would round onto the point itself); at 0 itself the bisection runs to MAX_LEVELS.
STALL_WIDTH = 2.0**-40
#: Differences below this multiple of a panel's integral of |g phi| are rounding (3 sums of 12 terms, 64 eps).
ROUNDING = 64 * float(np.finfo(float).eps)
#: From this bisection level on, a panel whose two halves both stay above the tolerance, each with at least
#: NOISE_RATIO of the parent's excess, is noise (a kink or a jump leaves one bad half): it is accepted as is.
NOISE_LEVEL = 3
NOISE_RATIO = 0.3
#: Most integrand evaluations before the estimate is returned as not converged (a noisy integrand, such as
#: an outer integral over inner quadratures, never meets a 1e-13 target: pass it a looser ``rtol``).
MAX_EVALUATIONS = 250_000
#: Most panels bisected at once; beyond it (a noisy integrand) the estimate is returned as not converged.
MAX_ACTIVE_PANELS = 4096
#: Closed forms used by :func:`moments` by default: those exact in floating point for every q.
EXACT_CLOSED_FORMS = ("identity", "relu", "leaky_relu", "abs")


class DivergentExpectationError(ValueError):
    """The Gaussian expectation is infinite (or too large to represent).

    Attributes
    ----------
    components
        Indices of the integrands whose expectations diverge.
    location
        The point ``z`` where they blow up, or None when they fail to decay in the tails.
    """

    def __init__(self, message: str, components: Sequence[int] = (), location: float | None = None) -> None:
        super().__init__(message)
        self.components, self.location = tuple(components), location


class UnresolvedSingularityError(ValueError):
    """A finite expectation whose integrand is singular at a point that double precision cannot resolve.

    Next to a singular point ``z0 != 0`` the integrand can only be sampled down to distances of a few
    rounding units of ``z0``; an integrand like $|z - z_0|^{-p}$ with ``p`` near 1 keeps too much of
    its mass closer than that to reach the error target. The value is withheld rather than returned
    inaccurate.
    """


@dataclass(frozen=True)
class Quadrature:
    """Result of :func:`gaussian_expectations`: values, error estimates and work done.

    ``singular_points`` are the points ``z`` where the bisection stalled (integrable singularities,
    integrated by dyadic shells with a geometric tail).
    """

    values: np.ndarray
    errors: np.ndarray
    scales: np.ndarray
    evaluations: int
    converged: bool
    singular_points: tuple[float, ...] = ()


@lru_cache(maxsize=8)
def _rule(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(nodes)


def _density(t: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)


def _check_q(q: float) -> float:
    if isinstance(q, bool) or not isinstance(q, (int, float, np.floating, np.integer)):
        raise TypeError(f"q (the pre-activation variance) must be a positive number; got {q!r}")
    q = float(q)
    if not math.isfinite(q) or q <= 0:
        raise ValueError(f"q (the pre-activation variance) must be positive and finite; got {q}")
    return q


def _near(z0: float) -> str:
    return "|z|" if z0 == 0 else f"|z {'-' if z0 > 0 else '+'} {abs(z0):.6g}|"


class _Integrand:
    """``t -> g(sqrt(q) t) * phi(t)`` with every value checked, counting evaluations; names for messages."""

    def __init__(self, g: Callable[[np.ndarray], np.ndarray], q: float, components: int,
                 labels: Sequence[str] | None) -> None:
        self.g, self.scale, self.components, self.evaluations = g, math.sqrt(q), components, 0
        default = ["g(z)"] if components == 1 else [f"g_{i}(z)" for i in range(components)]
        self.labels = list(labels) if labels is not None else default

    def raw(self, t: np.ndarray) -> np.ndarray:
        """The integrand at ``t``, shape ``(components, t.size)``, non-finite values left in."""
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            values = np.asarray(self.g(self.scale * t), dtype=float).reshape(self.components, -1)
            self.evaluations += t.size
            return values * _density(t)

    def __call__(self, t: np.ndarray) -> np.ndarray:
        x = self.scale * t
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            values = np.asarray(self.g(x), dtype=float).reshape(self.components, -1)
            self.evaluations += t.size
            bad = ~np.isfinite(values)
            if bad.any():
                rows, columns = np.nonzero(bad)
                where, which = float(x.ravel()[columns[0]]), sorted(set(rows.tolist()))
                raise DivergentExpectationError(
                    f"{self.expectations(which)} infinite or too large to represent: {self.labels[which[0]]} "
                    f"is not finite at z = {where:.6g} (value {values[bad][0]})", which, where)
            return values * _density(t)

    def expectations(self, which: Sequence[int]) -> str:
        """``"E[a] is"`` or ``"E[a], E[b] are"`` for the components ``which``."""
        names = ", ".join(f"E[{self.labels[i]}]" for i in which)
        return f"{names} {'is' if len(which) == 1 else 'are'}"


def _panels(a: np.ndarray, b: np.ndarray, integrand: Callable[[np.ndarray], np.ndarray], components: int,
            nodes: int) -> tuple[np.ndarray, ...]:
    """Per panel ``[a_i, b_i]``: the rule on the whole (coarse), on the two halves (fine), and fine of |g phi|."""
    x, w = _rule(nodes)
    c, r = (a + b) / 2, (b - a) / 2
    whole = c[:, None] + r[:, None] * x
    left = (c - r / 2)[:, None] + (r / 2)[:, None] * x
    right = (c + r / 2)[:, None] + (r / 2)[:, None] * x
    points = np.concatenate([whole, left, right], axis=1)
    values = integrand(points.ravel()).reshape(components, len(a), 3 * nodes)
    coarse = (values[:, :, :nodes] @ w) * r
    halves = values[:, :, nodes:]
    fine = (halves[:, :, :nodes] @ w + halves[:, :, nodes:] @ w) * (r / 2)
    magnitude = (np.abs(halves[:, :, :nodes]) @ w + np.abs(halves[:, :, nodes:]) @ w) * (r / 2)
    return coarse, fine, magnitude


def _grid(low: float, high: float, breaks: np.ndarray) -> np.ndarray:
    """Panel edges from low to high: unit steps, plus every break inside."""
    steps = np.arange(math.ceil(low), math.floor(high) + 1, dtype=float)
    inside = breaks[(breaks > low) & (breaks < high)]
    edges = np.unique(np.concatenate([[low, high], steps, inside]))
    return edges[(edges >= low) & (edges <= high)]


def _tail_alive(integrand: _Integrand, at: float, outward: float, scales: np.ndarray, rtol: np.ndarray) -> np.ndarray:
    """Per component: whether |g phi| on the 2 standard deviations beyond ``at`` is still above rtol of the scale."""
    probe = at + outward * np.linspace(0.0, 2.0, 9)
    values = np.abs(integrand(probe)).max(axis=1)
    return values > 1e-3 * rtol * np.maximum(scales, np.finfo(float).tiny)


def _domain(integrand: _Integrand, breaks: np.ndarray, tolerances: np.ndarray,
            nodes: int) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Panels over a domain widened until the integrand has decayed at both ends, with their first estimates."""
    low = min(-INITIAL_HALF_WIDTH, float(breaks.min()) - 1.0) if breaks.size else -INITIAL_HALF_WIDTH
    high = max(INITIAL_HALF_WIDTH, float(breaks.max()) + 1.0) if breaks.size else INITIAL_HALF_WIDTH
    while True:
        edges = _grid(low, high, breaks)
        a, b = edges[:-1], edges[1:]
        estimates = _panels(a, b, integrand, integrand.components, nodes)
        scales = estimates[2].sum(axis=1)
        grow_low = _tail_alive(integrand, low, -1.0, scales, tolerances)
        grow_high = _tail_alive(integrand, high, 1.0, scales, tolerances)
        if not (grow_low.any() or grow_high.any()):
            return a, b, estimates
        if max(-low, high) >= MAX_HALF_WIDTH:
            which = np.nonzero(grow_low | grow_high)[0].tolist()
            raise DivergentExpectationError(
                f"{integrand.expectations(which)} infinite: {integrand.labels[which[0]]} times the Gaussian density "
                f"has not decayed {MAX_HALF_WIDTH:g} standard deviations out (it grows like exp(z^2/(4 q)) or "
                "faster)", which)
        low = low - max(5.0, -low / 2) if grow_low.any() else low
        high = high + max(5.0, high / 2) if grow_high.any() else high


#: Stalled panels farther apart than this (relative to 1 + |t|) belong to different singular points.
CLUSTER_GAP = 1e-6


def _singular_points(integrand: _Integrand, stalled: tuple[np.ndarray, ...], edges: set[float]) -> tuple[float, ...]:
    """One point per cluster of stalled panels ``(a, b, density of |g phi|)``, located in its densest panel."""
    a, b, density = (np.asarray(v)[np.argsort(stalled[0])] for v in stalled)
    starts = np.nonzero(a[1:] - b[:-1] > CLUSTER_GAP * (1 + np.abs(a[1:])))[0] + 1
    points = []
    for cluster in np.split(np.arange(a.size), starts):
        i = cluster[np.argmax(density[cluster])]
        points.append(_locate(integrand, float(a[i]), float(b[i]), edges))
    return tuple(points)


def _mass(integrand: _Integrand, low: float, high: float) -> float:
    x, w = _rule(NODES)
    values = np.abs(integrand.raw((low + high) / 2 + (high - low) / 2 * x)).max(axis=0)
    return float(values @ w) if np.all(np.isfinite(values)) else math.inf


def _locate(integrand: _Integrand, a: float, b: float, edges: set[float]) -> float:
    """The singular point in ``[a, b]``: an end that is an edge of the first grid (0, a kink, ...), else the
    point the halves holding more of |g phi| close in on."""
    for end in (a, b):
        if end in edges:
            return end
    while a < (a + b) / 2 < b:
        middle = (a + b) / 2
        if _mass(integrand, a, middle) >= _mass(integrand, middle, b):
            b = middle
        else:
            a = middle
    return a


def _bisect(integrand: _Integrand, a: np.ndarray, b: np.ndarray, estimates: tuple[np.ndarray, ...],
            tolerance: np.ndarray, nodes: int) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...] | None]:
    """Bisect the panels whose halves disagree with the whole: totals, errors, and the panels where it stalled.

    It stalls at a singular point: the panel next to it stays bad down to :data:`MAX_LEVELS` or to
    :data:`STALL_WIDTH`, or a node lands on a point where g is infinite. The totals are then incomplete:
    the caller integrates again, with shells around the point.
    """
    coarse, fine, magnitude = estimates
    total, error = np.zeros(integrand.components), np.zeros(integrand.components)
    parent_badness = np.full(len(a), np.inf)
    for level in range(MAX_LEVELS + 1):
        difference = np.abs(fine - coarse)
        # Below ROUNDING times a panel's own mass the two rules differ by rounding alone: no bisection helps.
        badness = np.max(difference / np.maximum(tolerance[:, None], ROUNDING * magnitude), axis=0)
        bad = badness > 1
        if level >= NOISE_LEVEL:  # both halves still bad and barely better: noise, not a kink or a jump
            half = len(a) // 2
            both = bad[:half] & bad[half:]
            noisy = both & (np.minimum(badness[:half], badness[half:]) >= NOISE_RATIO * parent_badness)
            bad &= ~np.concatenate([noisy, noisy])
        give_up = (level == MAX_LEVELS or np.count_nonzero(bad) > MAX_ACTIVE_PANELS
                   or integrand.evaluations > MAX_EVALUATIONS)
        keep = np.ones_like(bad) if give_up else ~bad
        total += fine[:, keep].sum(axis=1)
        error += difference[:, keep].sum(axis=1)
        stalled = bad & ((level == MAX_LEVELS) | (b - a <= STALL_WIDTH * np.maximum(np.abs(a), np.abs(b))))
        if stalled.any():
            return total, error, (a[stalled], b[stalled], magnitude[:, stalled].max(axis=0) / (b - a)[stalled])
        if not bad.any() or give_up:
            return total, error, None
        a, b, parent_badness = a[bad], b[bad], badness[bad]
        middle = (a + b) / 2
        a, b = np.concatenate([a, middle]), np.concatenate([middle, b])
        try:
            coarse, fine, magnitude = _panels(a, b, integrand, integrand.components, nodes)
        except DivergentExpectationError as exc:  # a node on a pole: integrate again around it
            if exc.location is None:
                raise
            at = np.array([exc.location / integrand.scale])
            return total, error, (at, at, np.array([math.inf]))
    raise AssertionError("unreachable: the last level gives up")


#: Next to a singular point: at most this many dyadic shells, none closer to it than SHELL_RESOLUTION rounding
#: units of the point (nearer, the nodes' own rounding moves the integrand too much) or than SHELL_FLOOR.
MAX_SHELLS = 96
MIN_SHELLS = 6
SHELL_RESOLUTION = 2.0**20
SHELL_FLOOR = 2.0**-900
#: A local exponent |g| ~ |t - t0|^-p above 1 - DIVERGENCE_SLACK counts as not integrable.
DIVERGENCE_SLACK = 1e-6


def _aitken_tail(before: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Sum of the terms after ``last`` if they continue the ratio ``last / before`` (inf if it is not below 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = last / before
        tail = last * ratio / (1 - ratio)
    return np.where(last == 0, 0.0, np.where(np.abs(ratio) < 1, tail, np.inf))


def _geometric_sum(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row sums of ``terms`` with their tails extrapolated, and the change the last term made to that estimate."""
    partial = terms.sum(axis=1)
    estimate = partial + _aitken_tail(terms[:, -2], terms[:, -1])
    previous = partial - terms[:, -1] + _aitken_tail(terms[:, -3], terms[:, -2])
    with np.errstate(invalid="ignore"):
        change = np.abs(estimate - previous)
    return estimate, np.where(np.isnan(change), np.inf, change)


def _shells(integrand: _Integrand, t0: float, side: float, width: float,
            nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Integral of the integrand over ``t0 + side * [0, width]``, singular at ``t0``: value, error, magnitude.

    Shell $k$ is ``t0 + side * [width/2^(k+1), width/2^k]``: as far from ``t0`` as it is wide, so the
    rule is as accurate on each. Where $|g| \sim |t - t_0|^{-p}$ the shells form a geometric series
    of ratio $2^{p-1}$: $p \ge 1$ is not integrable (raised); otherwise the tail beyond the last shell
    is summed in closed form (Aitken), with the change it makes as part of the error.

    Raises
    ------
    DivergentExpectationError
        For the components that are not integrable at ``t0`` (or not finite next to it).
    """
    floor = max(SHELL_RESOLUTION * float(np.finfo(float).eps) * abs(t0), SHELL_FLOOR)
    count = int(np.clip(math.floor(math.log2(width / floor)), MIN_SHELLS, MAX_SHELLS))
    outer = width * np.exp2(-np.arange(count, dtype=float))
    ends = (t0 + side * outer / 2, t0 + side * outer)
    coarse, fine, magnitude = _panels(np.minimum(*ends), np.maximum(*ends), integrand.raw, integrand.components,
                                      nodes)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.nan_to_num(1 + np.log2(magnitude[:, -1] / magnitude[:, -2]), nan=0.0, neginf=0.0)
    finite = np.isfinite(coarse).all(axis=1) & np.isfinite(fine).all(axis=1) & np.isfinite(magnitude).all(axis=1)
    divergent = ~finite | (exponent > 1 - DIVERGENCE_SLACK)
    if divergent.any():
        raise _singular_divergence(integrand, t0, divergent, exponent)
    value, change = _geometric_sum(fine)
    mass, _ = _geometric_sum(magnitude)
    # The two rules on each shell use different nodes, so their difference also measures the rounding of
    # the nodes near t0 (it moves g by about p eps |t0| / distance); that noise also reaches the tail's ratio,
    # whose change is counted twice (observed errors stay within 1.2 times the change alone).
    return value, 2 * change + np.abs(fine - coarse).sum(axis=1), mass


def _singular_divergence(integrand: _Integrand, t0: float, divergent: np.ndarray,
                         exponent: np.ndarray) -> DivergentExpectationError:
    z0, which = t0 * integrand.scale, np.nonzero(divergent)[0].tolist()
    laws = ", ".join(f"{integrand.labels[i]} ~ {_near(z0)}^-{exponent[i]:.3g}" if np.isfinite(exponent[i])
                     else f"{integrand.labels[i]} is not finite" for i in which)
    return DivergentExpectationError(f"{integrand.expectations(which)} infinite: near z = {z0:.6g}, {laws}, which is "
                                     "not integrable (an exponent >= 1)", which, z0)


def _shell_specs(a: np.ndarray, b: np.ndarray, singular: np.ndarray) -> list[tuple[float, float, float]]:
    """``(t0, side, width)`` of the shell sequences covering the panels ``[a_i, b_i]`` that end at singular points."""
    specs = []
    for left, right in zip(a.tolist(), b.tolist(), strict=True):
        both = left in singular and right in singular
        width = (right - left) / 2 if both else right - left
        if left in singular:
            specs.append((left, 1.0, width))
        if right in singular:
            specs.append((right, -1.0, width))
    return specs


def _integrate(integrand: _Integrand, breaks: np.ndarray, singular: np.ndarray, tolerances: np.ndarray,
               nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[float, ...]]:
    """One pass: dyadic shells next to the ``singular`` points, adaptive bisection elsewhere.

    Returns totals, errors, scales (the integrals of |g phi|) and the points where the bisection stalled.
    """
    a, b, estimates = _domain(integrand, np.union1d(breaks, singular), tolerances, nodes)
    near = np.isin(a, singular) | np.isin(b, singular)
    shells = [_shells(integrand, *spec, nodes) for spec in _shell_specs(a[near], b[near], singular)]
    coarse, fine, magnitude = (estimate[:, ~near] for estimate in estimates)
    scales = magnitude.sum(axis=1) + sum((shell[2] for shell in shells), np.zeros(integrand.components))
    tolerance = 0.01 * tolerances * np.maximum(scales, np.finfo(float).tiny)  # per panel
    total, error, stalled = _bisect(integrand, a[~near], b[~near], (coarse, fine, magnitude), tolerance, nodes)
    for value, shell_error, _ in shells:
        total, error = total + value, error + shell_error
    points = () if stalled is None else _singular_points(integrand, stalled, {*a.tolist(), *b.tolist()})
    return total, error, scales, points


#: Most singular points (where the bisection stalls) integrated by shells before giving up.
MAX_SINGULAR_POINTS = 8


def gaussian_expectations(
    g: Callable[[np.ndarray], np.ndarray],
    q: float = 1.0,
    kinks: Sequence[float] = (),
    *,
    components: int = 1,
    rtol: float | Sequence[float] = RTOL,
    nodes: int = NODES,
    labels: Sequence[str] | None = None,
) -> Quadrature:
    r"""$E[g(\sqrt{q}\,t)]$, $t \sim \mathcal{N}(0, 1)$, for a vector-valued ``g``, by adaptive quadrature.

    Where the bisection stalls at a point (an integrable singularity such as $|z|^{-1/2}$ or
    $\log|z|$, or a pole), the integral next to it is summed over dyadic shells: a local exponent
    $|g| \sim |z - z_0|^{-p}$ with $p \ge 1$ is reported as divergent, a smaller one integrated
    with a geometric tail.

    Parameters
    ----------
    g
        Maps a 1-D array ``x`` to an array of shape ``(components, len(x))`` (or ``(len(x),)`` for one).
    q
        Variance of the Gaussian argument.
    kinks
        Points ``x`` where ``g`` is not smooth; panels are cut there.
    components
        Number of integrands ``g`` returns at once (they share nodes; a panel is accepted when all agree).
    rtol
        Error target, relative to $E|g|$, for all components or one per component (a noisy
        component, e.g. from finite differences, needs a looser one).
    labels
        Names of the components, such as ``"f(z)^2"``, for error messages.

    Returns
    -------
    Quadrature
        ``values`` and ``errors`` (estimated absolute errors), ``scales`` ($E|g|$), work done.

    Raises
    ------
    DivergentExpectationError
        If ``g`` overflows where the Gaussian still has weight, does not decay, or has a
        non-integrable singularity; its ``components`` say which.
    UnresolvedSingularityError
        If an integrable singularity away from 0 keeps the error above the target.
    """
    q = _check_q(q)
    tolerances = np.broadcast_to(np.asarray(rtol, dtype=float), (components,))
    integrand = _Integrand(g, q, components, labels)
    breaks = np.array(sorted({float(k) / math.sqrt(q) for k in kinks}), dtype=float)
    singular = np.array([], dtype=float)
    while True:
        total, error, scales, stalled = _integrate(integrand, breaks, singular, tolerances, nodes)
        new = np.setdiff1d(np.array(stalled, dtype=float), singular)
        if not stalled:
            break
        if new.size == 0 or singular.size + new.size > MAX_SINGULAR_POINTS:  # the totals are incomplete
            raise _too_singular(integrand, np.union1d(singular, new))
        singular = np.union1d(singular, new)
    converged = bool(np.all(error <= 10 * tolerances * scales))
    points = tuple(float(t) * integrand.scale for t in singular)
    if not converged and points:
        raise _unresolved(integrand, points, total, error, scales, tolerances)
    return Quadrature(total, error, scales, integrand.evaluations, converged, points)


def _too_singular(integrand: _Integrand, points: np.ndarray) -> UnresolvedSingularityError:
    where = ", ".join(f"{t * integrand.scale:.6g}" for t in points[:MAX_SINGULAR_POINTS + 1])
    return UnresolvedSingularityError(
        f"{integrand.expectations(range(integrand.components))} not computed: the quadrature stalls at more than "
        f"{MAX_SINGULAR_POINTS} singular points, or at one it cannot isolate (z = {where})")


def _unresolved(integrand: _Integrand, points: tuple[float, ...], total: np.ndarray, error: np.ndarray,
                scales: np.ndarray, tolerances: np.ndarray) -> UnresolvedSingularityError:
    which = np.nonzero(~(error <= 10 * tolerances * scales))[0].tolist()
    where = ", ".join(f"{z:.6g}" for z in points)
    return UnresolvedSingularityError(
        f"{integrand.expectations(which)} finite, but the integrand is singular at z = {where} and double precision "
        f"cannot resolve it: estimated relative error {float(np.max(error[which] / scales[which])):.1e} for value "
        f"{float(total[which[0]]):.15g}, above the target {float(np.max(tolerances[which])):.0e}; the value is "
        "withheld")


def gaussian_expectation(fn: Callable[[np.ndarray], np.ndarray], q: float = 1.0, kinks: Sequence[float] = (), *,
                         rtol: float = RTOL) -> float:
    r"""$E[f(\sqrt{q}\,z)]$ for $z \sim \mathcal{N}(0, 1)$, to $10^{-12}$ relative to $E|f(\sqrt{q}\,z)|$.

    Parameters
    ----------
    fn
        Vectorised function of a 1-D NumPy array.
    q
        Variance of the Gaussian argument.
    kinks
        Points where ``fn`` (or its derivative) is not smooth; declaring them saves work.
    rtol
        Error target relative to $E|f|$ (default $10^{-13}$). An integrand that is itself only
        accurate to $\delta$ (e.g. computed by an inner quadrature) needs ``rtol`` above $\delta$,
        or the refinement chases its noise up to :data:`MAX_EVALUATIONS` and warns.

    Raises
    ------
    DivergentExpectationError
        (a ValueError) when the expectation is infinite or overflows.

    References
    ----------
    Davis & Rabinowitz (1984), Methods of Numerical Integration, sec. 6.2.
    """
    result = gaussian_expectations(lambda x: np.asarray(fn(x), dtype=float), q, kinks, rtol=rtol)
    _warn_unconverged(result)
    return float(result.values[0])


def _warn_unconverged(result: Quadrature) -> None:
    if not result.converged:
        warnings.warn("Gaussian quadrature did not reach its error target; estimated errors "
                      f"{result.errors.tolist()} for values {result.values.tolist()}", RuntimeWarning, stacklevel=3)


@dataclass(frozen=True)
class Moments:
    r"""Gaussian moments of an activation at $z \sim \mathcal{N}(0, q)$.

    Attributes
    ----------
    mean, second, derivative_second
        $E[f(z)]$, $E[f(z)^2]$, $E[f'(z)^2]$.
    q
        The variance of $z$.
    method
        ``"closed form"`` (derivation ``gaussian-moments``) or ``"quadrature"``.
    errors
        Estimated absolute errors of (mean, second, derivative_second): quadrature, plus the
        finite-difference error of $f'$ where that is how $f'$ was computed.
    """

    mean: float
    second: float
    derivative_second: float
    q: float
    method: str
    errors: tuple[float, float, float]

    @property
    def variance(self) -> float:
        r"""$\operatorname{Var} f(z) = E[f(z)^2] - E[f(z)]^2$."""
        return max(self.second - self.mean**2, 0.0)


def _closed_form(name: str, q: float, param: float | None) -> Moments:
    from initref._generated import activations as registry
    from initref._generated import formulas

    args = (q,) if name not in registry.PARAMETERS else (q, registry.PARAMETERS[name][1] if param is None else param)
    values = [getattr(formulas, f"{name}_{suffix}")(*args)
              for suffix in ("mean", "second_moment", "derivative_second_moment")]
    errors = tuple(4 * np.finfo(float).eps * abs(v) for v in values)
    return Moments(values[0], values[1], values[2], q, "closed form", errors)  # type: ignore[arg-type]


def moments(act: object, q: float = 1.0, param: float | None = None, *, method: str = "auto",
            derivative: bool = True) -> Moments:
    r"""$E[f(z)]$, $E[f(z)^2]$ and $E[f'(z)^2]$ for $z \sim \mathcal{N}(0, q)$ and any activation.

    Parameters
    ----------
    act
        Anything :func:`initref.activations.resolve` accepts.
    q
        Variance of the pre-activation $z$.
    param
        Parameter of a registered activation (None for its default).
    method
        ``"auto"`` (closed form for identity, relu, leaky_relu and abs, quadrature otherwise),
        ``"closed_form"`` (every activation of derivation ``gaussian-moments``) or ``"quadrature"``.
    derivative
        Whether to compute $E[f'(z)^2]$ (NaN when False: faster for forward-only questions).

    Returns
    -------
    Moments
        With relative errors below $10^{-12}$ (of $E|f|$ for the mean).

    Raises
    ------
    ValueError
        Bad ``q``/``method``, an activation that cannot be evaluated, or infinite moments.

    References
    ----------
    Poole et al. (2016), Exponential expressivity in deep neural networks through transient chaos
    (the moments as the length map); He et al. (2015), eq. 7.
    """
    from initref.activations import resolve

    if method not in ("auto", "closed_form", "quadrature"):
        raise ValueError(f"method must be one of 'auto', 'closed_form', 'quadrature'; got {method!r}")
    q = _check_q(q)
    activation = resolve(act, param)
    name = activation.registered
    from initref._generated import activations as registry

    if method == "closed_form" and name not in registry.CLOSED_FORM:
        raise ValueError(f"method='closed_form' needs one of {', '.join(sorted(registry.CLOSED_FORM))}; "
                         f"got {activation.name!r}")
    if method == "closed_form" or (method == "auto" and name in EXACT_CLOSED_FORMS):
        return _closed_form(name, q, activation.param)  # type: ignore[arg-type]
    return _quadrature_moments(activation, q, derivative)


#: Names of the integrands of :func:`moments` in error messages.
MOMENT_LABELS = ("f(z)", "f(z)^2", "f'(z)^2", "the finite-difference error bound of f'(z)^2")
#: Error target for E[f'^2] when f' comes from finite differences (their own error is added to the estimate).
FINITE_DIFFERENCE_RTOL = 1e-9


def _quadrature_moments(activation: Any, q: float, derivative: bool = True) -> Moments:
    """Quadrature of f, f^2 (and f'^2, with the finite-difference error bound, when ``derivative``)."""
    noisy = derivative and activation.derivative_method == "finite-difference"

    def integrand(x: np.ndarray) -> np.ndarray:
        f = activation.numpy(x)
        if not derivative:
            return np.stack([f, f * f])
        d, d_error = activation.derivative_with_error(x)
        if d_error is None:
            return np.stack([f, f * f, d * d])
        return np.stack([f, f * f, d * d, 2 * np.abs(d) * d_error + d_error * d_error])

    components = 4 if noisy else (3 if derivative else 2)
    rtol = [RTOL, RTOL, FINITE_DIFFERENCE_RTOL, 1.0][:components] if noisy else RTOL
    try:
        result = gaussian_expectations(integrand, q, activation.kinks, components=components, rtol=rtol,
                                       labels=MOMENT_LABELS[:components])
    except DivergentExpectationError as exc:
        raise DivergentExpectationError(f"activation {activation.name} at q = {q:g}: {exc}", exc.components,
                                        exc.location) from None
    except UnresolvedSingularityError as exc:
        raise UnresolvedSingularityError(f"activation {activation.name} at q = {q:g}: {exc}") from None
    values, errors = result.values, result.errors.copy()
    if noisy:
        _check_finite_differences(activation.name, q, float(values[2]), float(values[3]), float(values[1]) / q)
        errors[2] += abs(values[3])
    _warn_unconverged(result)
    third = (float(values[2]), float(errors[2])) if derivative else (math.nan, math.nan)
    return Moments(float(values[0]), float(values[1]), third[0], q, "quadrature",
                   (float(errors[0]), float(errors[1]), third[1]))


#: Largest error bound of the finite differences, relative to E[f'^2], for which a value is returned.
FINITE_DIFFERENCE_LIMIT = 1e-6


def _check_finite_differences(name: str, q: float, value: float, bound: float, typical: float) -> None:
    """Refuse E[f'^2] when the finite differences' own error bound is far above their error target.

    The bound is compared with E[f'^2], or with ``typical`` (E[f^2]/q, the size f'^2 has) where that is 0.

    Finite differences see a bounded slope even where f' is infinite (sqrt|x| at 0), so a large bound is
    the only sign of such a point: the value is withheld rather than returned wrong.
    """
    if bound <= FINITE_DIFFERENCE_LIMIT * max(abs(value), typical):
        return
    raise UnresolvedSingularityError(
        f"activation {name} at q = {q:g}: E[f'(z)^2] cannot be computed reliably: f' comes from finite "
        f"differences whose error bound is {bound:.1e} for a value of {value:.6g} (f' may be infinite or jump "
        "somewhere; declare kinks=, or pass a SymPy expression or a torch function for an exact f')")
