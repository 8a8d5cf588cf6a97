"""Sampling a truncated normal: torch's two samplers and the inverse-CDF sampler."""

import sympy as sp

from derivations.core import ALGEBRA, CALCULUS, Derivation, Export, Step, eq
from derivations.theory.truncated_normal import cdf, pdf

x = sp.Symbol("x", real=True)
mode = sp.Symbol("mode", real=True)
mean = sp.Symbol("mean", real=True)
std = sp.Symbol("std", positive=True)
p = sp.Symbol("p", positive=True)
odds = sp.Symbol("q", positive=True)  # rejection odds (1 - p)/p, so p = 1/(1 + q) lies in (0, 1)
k = sp.Symbol("k", integer=True, positive=True)


def quantile(q: sp.Expr) -> sp.Expr:
    """Standard normal quantile function."""
    return sp.sqrt(2) * sp.erfinv(2 * q - 1)


#: torch/nn/init.py _no_grad_trunc_normal_ (torch 2.13): ``if p > 0.3`` chooses the sampler.
TORCH_SWITCH = sp.Rational(3, 10)
#: JAX/Keras variance_scaling truncate the standard normal at +-2 (jax.nn.initializers.variance_scaling).
TRUNCATION = sp.Integer(2)

DERIVATION = Derivation(
    slug="truncated-normal-sampling",
    title="Sampling a truncated normal: rejection and inverse CDF",
    reference="torch/nn/init.py _no_grad_trunc_normal_ (PyTorch 2.13); Devroye (1986), Non-Uniform Random "
    "Variate Generation, ch. II.3 (rejection) and II.2 (inversion); JAX jax.nn.initializers.variance_scaling.",
    assumptions=(
        "$z \\sim \\mathcal{N}(\\mu, \\sigma^2)$ conditioned on $a \\le z \\le b$",
        "$p = \\Phi((b-\\mu)/\\sigma) - \\Phi((a-\\mu)/\\sigma)$ is the mass kept",
        "the mode of the truncated density is $m = \\max(a, \\min(\\mu, b))$",
    ),
    summary="torch 2.13 samples $\\mathcal{N}(\\mu, \\sigma^2)$ and redraws what falls outside $[a, b]$ "
    "when $p > 0.3$, and otherwise proposes $\\mathcal{U}(a, b)$ and accepts with probability "
    "$\\varphi(x)/\\varphi(m) = \\exp(-(x^2 - m^2)/2)$ in standard units. The inverse-CDF sampler "
    "$\\Phi^{-1}(\\mathcal{U}(\\Phi(a), \\Phi(b)))$ needs one pass and no data-dependent loop.",
    steps=(
        Step(eq(pdf(x) / pdf(mode), sp.exp(-(x**2) / 2 + mode**2 / 2)),
             "the acceptance ratio of the uniform proposal: the density over its value at the mode", ALGEBRA),
        Step(eq(sp.log(sp.exp(-(x**2) / 2 + mode**2 / 2)), -(x**2) / 2 - (-(mode**2) / 2)),
             "in logs: $\\log u > -x^2/2 - (-m^2/2)$ rejects, torch's ``log_peak`` is $-m^2/2$", ALGEBRA),
        Step(eq(sp.Sum(k * (1 - 1 / (1 + odds)) ** (k - 1) / (1 + odds), (k, 1, sp.oo)), 1 + odds),
             "an element accepted with probability $p = 1/(1+q)$ per round needs $1/p$ rounds on average "
             "(mean of a geometric law)", CALCULUS),
        Step(eq(1 / TORCH_SWITCH, sp.Rational(10, 3)),
             "torch's switch $p > 0.3$: at most $10/3$ expected rounds before it prefers the uniform proposal",
             ALGEBRA),
        Step(eq(cdf(quantile(p)), p), "inversion: $\\Phi(\\sqrt{2}\\,\\operatorname{erf}^{-1}(2p - 1)) = p$",
             ALGEBRA),
        Step(eq(2 * cdf(x) - 1, sp.erf(x / sp.sqrt(2))),
             "so sample $v \\sim \\mathcal{U}(\\operatorname{erf}(a/\\sqrt{2}), \\operatorname{erf}(b/\\sqrt{2}))$ "
             "and return $\\sqrt{2}\\operatorname{erf}^{-1}(v)$", ALGEBRA),
        Step(eq(cdf(TRUNCATION) - cdf(-TRUNCATION), sp.erf(sp.sqrt(2))),
             "the mass of $[-2, 2]$, JAX/Keras's truncation of the variance-corrected normal", ALGEBRA),
    ),
    result=eq(cdf(quantile(p)), p),
    exports=(
        Export("NORMAL_LOG_KERNEL_COEFFICIENT", (), "-1/2", sp.Rational(-1, 2),
               "c in log phi(z) = c z**2 + const (torch's mul_(-0.5) in trunc_normal_)."),
        Export("standardized_log_kernel", (x, mean, std), "-((x - mean)/std)**2/2", -((x - mean) / std) ** 2 / 2,
               "-((x - mean)/std)**2/2: torch's log_peak at the mode (its evaluation order)."),
        Export("TORCH_TRUNC_NORMAL_SWITCH", (), "3/10", TORCH_SWITCH,
               "torch 2.13 trunc_normal_ redraws normals when the kept mass p > 0.3, else proposes uniforms."),
        Export("TRUNCATED_NORMAL_BOUND", (), None, TRUNCATION,
               "JAX/Keras truncate the variance-corrected normal at +-2 standard units."),
        Export("symmetric_normal_cdf", (x,), "erf(x/sqrt(2))", 2 * cdf(x) - 1,
               "2 Phi(x) - 1 = erf(x / sqrt(2)): the erf-space bound of the inverse-CDF sampler."),
        Export("NORMAL_QUANTILE_SCALE", (), "sqrt(2)", sp.sqrt(2),
               "Phi^{-1}(p) = NORMAL_QUANTILE_SCALE * erfinv(2 p - 1)."),
    ),
    notes=(
        "torch's p > 0.3 threshold is an algorithmic choice recorded from its source, not derived.",
        "Both torch samplers loop until every element is accepted; each round reads one boolean "
        "(``mask.any()``) from the device. The inverse-CDF sampler has no such loop.",
    ),
)
