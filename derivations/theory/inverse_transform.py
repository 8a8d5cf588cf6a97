"""Keyed sampling: counter-based random bits to uniform, normal and truncated-normal values by inversion."""

import sympy as sp
import sympy.stats as st

from derivations.core import ALGEBRA, CALCULUS, EXPECTATION, Derivation, Export, Step, eq
from derivations.theory.truncated_normal import cdf
from derivations.theory.truncated_sampling import quantile

u = sp.Symbol("u", positive=True)
x = sp.Symbol("x", real=True)
mean = sp.Symbol("mean", real=True)
std = sp.Symbol("std", positive=True)
low, high = sp.symbols("low high", real=True)
alpha, beta = sp.symbols("alpha beta", real=True)  # standardised truncation bounds (a - mean)/std, (b - mean)/std
lower, upper = sp.symbols("lower upper", real=True)  # their erf-space images erf(alpha/sqrt 2), erf(beta/sqrt 2)
odds = sp.Symbol("q", positive=True)  # c = 1/(1 + q) ranges over (0, 1)
k = sp.Symbol("k", integer=True, nonnegative=True)
K = sp.Symbol("K", integer=True, positive=True)

#: A float64 holds 53 significant bits: the top 53 of a 64-bit Philox word make one uniform.
UNIT_BITS = sp.Integer(53)


def grid_point(index: sp.Expr, size: sp.Expr) -> sp.Expr:
    """The midpoint of cell ``index`` of ``size`` equal cells of (0, 1)."""
    return (index + sp.Rational(1, 2)) / size


def normal_quantile(v: sp.Expr) -> sp.Expr:
    r""":math:`\mu + \sigma\sqrt{2}\operatorname{erf}^{-1}(2v - 1)`."""
    return mean + std * quantile(v)


def truncated_quantile(v: sp.Expr, e_lower: sp.Expr = lower, e_upper: sp.Expr = upper) -> sp.Expr:
    r""":math:`\mu + \sigma\sqrt{2}\operatorname{erf}^{-1}(e_\alpha + v(e_\beta - e_\alpha))`."""
    return mean + std * sp.sqrt(2) * sp.erfinv(e_lower + v * (e_upper - e_lower))


U = st.Uniform("U", 0, 1)
c = 1 / (1 + odds)

with sp.evaluate(False):  # keep each claim as written (erf(erfinv(v)) would collapse it to u = u); the checker simplifies
    SMALLEST, LARGEST = grid_point(0, 2**UNIT_BITS), grid_point(2**UNIT_BITS - 1, 2**UNIT_BITS)
    NORMAL_CDF_AT_QUANTILE = cdf((normal_quantile(u) - mean) / std)
    TRUNCATED_CDF_AT_QUANTILE = ((cdf((truncated_quantile(u, sp.erf(alpha / sp.sqrt(2)), sp.erf(beta / sp.sqrt(2))) - mean) / std) - cdf(alpha))
                                 / (cdf(beta) - cdf(alpha)))
    UNIFORM_CDF_AT_QUANTILE = ((low + (high - low) * u) - low) / (high - low)

DERIVATION = Derivation(
    slug="keyed-inverse-transform",
    title="Keyed sampling: from counter-based bits to normal and truncated-normal values by inversion",
    reference="Salmon, Moraes, Dror & Shaw (2011), Parallel Random Numbers: As Easy as 1, 2, 3, SC11 (Philox); "
    "Devroye (1986), Non-Uniform Random Variate Generation, ch. II.2 (inversion); the truncated normal's "
    "distribution function as in Johnson, Kotz & Balakrishnan (1994), Continuous Univariate Distributions 1, ch. 13.",
    assumptions=(
        "$w$ is a 64-bit word of Philox4x64-10 at the element's global index, uniform on $\\{0, \\dots, 2^{64}-1\\}$",
        "$k = \\lfloor w / 2^{11} \\rfloor$, its top 53 bits, is uniform on $\\{0, \\dots, K-1\\}$, $K = 2^{53}$",
        "$F$ is a continuous, strictly increasing distribution function",
    ),
    summary="Each element's value is a function of its own counter only: $u = (k + \\tfrac12)/2^{53}$ lies strictly "
    "inside $(0, 1)$, has mean $\\tfrac12$ exactly, and maps to the target by the quantile function: "
    "$x = \\mu + \\sigma\\sqrt{2}\\operatorname{erf}^{-1}(2u - 1)$ for the normal, and "
    "$x = \\mu + \\sigma\\sqrt{2}\\operatorname{erf}^{-1}(e_\\alpha + u(e_\\beta - e_\\alpha))$, "
    "$e_t = \\operatorname{erf}(t/\\sqrt{2})$, for the normal truncated to $[\\mu + \\alpha\\sigma, \\mu + \\beta\\sigma]$: "
    "one pass, no rejection loop, the same value for an element whether the tensor is whole or a shard.",
    steps=(
        Step(eq(st.Expectation(sp.Piecewise((1, U <= c), (0, True))), c),
             "inversion: for $U \\sim \\mathcal{U}(0, 1)$, $P(U \\le c) = c$, so $P(F^{-1}(U) \\le x) = P(U \\le F(x)) = F(x)$",
             EXPECTATION),
        Step(eq(SMALLEST, sp.Rational(1, 2**54)),
             "the smallest grid point is $2^{-54} > 0$: the quantile function is never evaluated at 0", ALGEBRA),
        Step(eq(LARGEST, 1 - sp.Rational(1, 2**54)),
             "the largest is $1 - 2^{-54} < 1$, exactly representable in float64", ALGEBRA),
        Step(eq(grid_point(K - 1 - k, K), 1 - grid_point(k, K)),
             "the grid is symmetric about $\\tfrac12$, so normal values are symmetric about $\\mu$", ALGEBRA),
        Step(eq(sp.Sum(grid_point(k, K), (k, 0, K - 1)) / K, sp.Rational(1, 2)),
             "the mean of $u$ is exactly $\\tfrac12$", CALCULUS),
        Step(eq(sp.Sum(grid_point(k, K) ** 2, (k, 0, K - 1)) / K - sp.Rational(1, 4), (1 - 1 / K**2) / 12),
             "its variance is $(1 - K^{-2})/12$, that of $\\mathcal{U}(0, 1)$ up to $2^{-106}$", CALCULUS),
        Step(eq(NORMAL_CDF_AT_QUANTILE, u),
             "normal: $\\Phi((x - \\mu)/\\sigma) = u$ at $x = \\mu + \\sigma\\sqrt{2}\\operatorname{erf}^{-1}(2u - 1)$",
             ALGEBRA),
        Step(eq(TRUNCATED_CDF_AT_QUANTILE, u),
             "truncated normal: its distribution function "
             "$(\\Phi(z) - \\Phi(\\alpha))/(\\Phi(\\beta) - \\Phi(\\alpha))$ equals $u$ at the truncated quantile", ALGEBRA),
        Step(eq(UNIFORM_CDF_AT_QUANTILE, u),
             "uniform: $(x - \\text{low})/(\\text{high} - \\text{low}) = u$ at $x = \\text{low} + (\\text{high} - \\text{low})u$",
             ALGEBRA),
    ),
    result=eq(NORMAL_CDF_AT_QUANTILE, u),
    exports=(
        Export("KEYED_UNIT_BITS", (), None, UNIT_BITS,
               "Bits of a 64-bit word kept for one uniform: u = (w >> (64 - KEYED_UNIT_BITS) + 1/2) / 2**KEYED_UNIT_BITS."),
        Export("KEYED_UNIT_OFFSET", (), None, sp.Rational(1, 2),
               "u = (k + KEYED_UNIT_OFFSET) * KEYED_UNIT_SCALE: the midpoint of the integer k's cell."),
        Export("KEYED_UNIT_SCALE", (), "2**(-53)", grid_point(k, 2**UNIT_BITS).diff(k),
               "u = (k + KEYED_UNIT_OFFSET) * KEYED_UNIT_SCALE: the width of one of the 2**53 cells of (0, 1)."),
        Export("keyed_uniform", (u, low, high), "low + (high - low)*u", low + (high - low) * u,
               "U(low, high) from u in (0, 1).", ("numpy", "torch")),
        Export("keyed_normal", (u, mean, std), None, normal_quantile(u),
               "N(mean, std**2) from u in (0, 1): the normal quantile function.", ("numpy", "torch")),
        Export("keyed_trunc_normal", (u, mean, std, lower, upper), None, truncated_quantile(u),
               "N(mean, std**2) truncated, from u in (0, 1); lower, upper are erf((bound - mean)/(std sqrt 2)).",
               ("numpy", "torch")),
    ),
    notes=(
        "The truncation bounds enter in erf space, $e_t = \\operatorname{erf}(t/\\sqrt{2})$ (generated "
        "``symmetric_normal_cdf``), computed once per tensor in float64.",
        "For bounds far in one tail ($\\alpha > 5$, say) $e_\\beta - e_\\alpha$ loses relative precision in float64; "
        "initialisers truncate at a few standard deviations about the mean, where it does not.",
    ),
)
