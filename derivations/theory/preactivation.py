"""Variance of a pre-activation: a sum of independent weight-input products."""

import sympy as sp
import sympy.stats as st

from derivations.core import CALCULUS, EXPECTATION, Derivation, Export, Step, eq

n = sp.Symbol("fan_in", positive=True, integer=True)
i = sp.Symbol("i", positive=True, integer=True)
Ew, Ew2, Ea, Ea2 = sp.symbols("E_w E_w2 E_a E_a2", real=True)
var_w, var_a, m2 = sp.symbols("weight_variance input_variance input_second_moment", nonnegative=True)

var_product = Ew2 * Ea2 - (Ew * Ea) ** 2  # Var(wa) with w, a independent: E[w^2 a^2] = E[w^2]E[a^2]

# Independent random variables with arbitrary densities p (weights) and r (inputs): sympy.stats
# integrates products over the joint density p(w) r(a), so factorisations are proven, not assumed.
_w, _w1, _w2, _a = sp.symbols("w w_i w_j a", real=True)
_p, _r = sp.Function("p"), sp.Function("r")
W = st.ContinuousRV(_w, _p(_w), set=sp.Reals)
W_i = st.ContinuousRV(_w1, _p(_w1), set=sp.Reals)
W_j = st.ContinuousRV(_w2, _p(_w2), set=sp.Reals)
A = st.ContinuousRV(_a, _r(_a), set=sp.Reals)
E = st.Expectation

DERIVATION = Derivation(
    slug="preactivation-variance",
    title="Pre-activation variance: $\\operatorname{Var}(\\sum_i w_i a_i) = n\\,\\operatorname{Var}(w)\\,E[a^2]$",
    reference="LeCun et al. (1998), Efficient BackProp; Glorot & Bengio (2010), sec. 4.2; He et al. (2015), sec. 2.2.",
    assumptions=(
        "weights $w_i$ i.i.d. with $E[w] = 0$",
        "inputs $a_i$ independent of the weights, each with second moment $E[a^2]$ (not necessarily "
        "independent of one another)",
        "$n$ = fan-in, the number of terms in the sum",
    ),
    summary="Zero-mean weights independent of the inputs make the $n$ terms uncorrelated, so the variance "
    "of the sum is $n$ times the variance of one term, and that term is $\\operatorname{Var}(w)E[a^2]$.",
    steps=(
        Step(eq(E(W**2 * A**2), E(W**2) * E(A**2)),
             "independence: $E[w^2a^2] = E[w^2]E[a^2]$ for any densities $p(w)$, $r(a)$ (sympy.stats integrates "
             "over $p(w)r(a)$)", EXPECTATION),
        Step(eq(E(W * A), E(W) * E(A)), "likewise $E[wa] = E[w]E[a]$", EXPECTATION),
        Step(eq(sp.Subs(var_product, (Ew, Ew2), (0, var_w)), var_w * Ea2),
             "so $\\operatorname{Var}(wa) = E[w^2a^2] - E[wa]^2 = E[w^2]E[a^2] - E[w]^2E[a]^2$, which at "
             "$E[w] = 0$, $E[w^2] = \\operatorname{Var}(w)$ is $\\operatorname{Var}(w)E[a^2]$", CALCULUS),
        Step(eq(E(W_i * A * W_j * A) - E(W_i * A) * E(W_j * A), E(W_i) * E(W_j) * (E(A**2) - E(A) ** 2)),
             "two terms are uncorrelated even when they share an input ($a_i = a_j = a$): the covariance is "
             "$E[w]^2\\operatorname{Var}(a) = 0$ for zero-mean weights, so the inputs need not be independent "
             "of one another", EXPECTATION),
        Step(
            eq(sp.Sum(var_w * m2, (i, 1, n)), n * var_w * m2),
            "uncorrelated terms: the variance of the sum is the sum of $n$ equal variances",
            CALCULUS,
        ),
        Step(
            eq(sp.Subs(n * var_w * (var_a + Ea**2), Ea, 0), n * var_w * var_a),
            "zero-mean inputs too: $E[a^2] = \\operatorname{Var}(a) + E[a]^2 = \\operatorname{Var}(a)$ (LeCun's and "
            "Glorot's form)",
            CALCULUS,
        ),
    ),
    result=eq(sp.Sum(var_w * m2, (i, 1, n)), n * var_w * m2),
    exports=(
        Export("preactivation_variance", (n, var_w, m2), "fan_in*weight_variance*input_second_moment",
               n * var_w * m2, "Var of a pre-activation: fan_in * Var(w) * E[a^2]."),
    ),
)
