"""Sparse initialization: a fraction of the weights zeroed, the rest Gaussian; the std that keeps the variance."""

import sympy as sp
import sympy.stats as st

from derivations.core import ALGEBRA, CALCULUS, EXPECTATION, Derivation, Export, Solve, Step, eq

sparsity, std, gain, m2 = sp.symbols("sparsity std gain input_second_moment", positive=True)
kept = sp.Symbol("kept_fraction", positive=True)  # 1 - s, positive: solveset cannot assume s < 1
fan_in, nonzeros = sp.symbols("fan_in nonzeros", positive=True, integer=True)
i = sp.Symbol("i", positive=True, integer=True)
mask = st.Bernoulli("m", 1 - sparsity)  # 1: the weight is kept
value = st.Normal("u", 0, std)
weight_variance = (1 - sparsity) * std**2


with sp.evaluate(False):  # the claims show the numbers the justifications name
    torch_zeroed = sp.ceiling(sp.Rational(9, 10) * 128) / 128
    torch_default_factor = 512 * (1 - sp.Rational(1, 10)) * sp.Rational(1, 100) ** 2 / 2
    martens_factor = 15 * sp.Integer(1) ** 2 / 2


DERIVATION = Derivation(
    slug="sparse-init",
    title="Sparse weights: $\\operatorname{Var}(w) = (1-s)\\,\\sigma^2$ and the std that preserves the variance",
    reference="Martens (2010), Deep learning via Hessian-free optimization, ICML, sec. 5; Sutskever, Martens, "
    "Dahl & Hinton (2013), On the importance of initialization and momentum in deep learning, ICML, sec. 3; "
    "torch.nn.init.sparse_.",
    assumptions=(
        "torch's sparse_: a weight $(n_\\text{out}, n_\\text{in})$ drawn $\\mathcal{N}(0, \\sigma^2)$, then "
        "$\\lceil s\\,n_\\text{out}\\rceil$ entries of each column zeroed at random: each weight is kept with "
        "probability $1 - s$, independently of its value ($s$ the fraction actually zeroed, "
        "$\\lceil s\\,n_\\text{out}\\rceil/n_\\text{out}$)",
        "the columns are thinned independently, so a unit's $n_\\text{in}$ incoming weights are independent",
        "inputs independent of the weights, with second moment $E[a^2]$ (the pre-activation variance result)",
        "Martens' recipe: exactly $k$ non-zero incoming weights per unit, each $\\mathcal{N}(0, \\sigma^2)$",
    ),
    summary="A kept-or-zeroed Gaussian weight has variance $(1-s)\\sigma^2$, so a unit's pre-activation has "
    "variance $n_\\text{in}(1-s)\\sigma^2 E[a^2]$, and $\\sigma = g/\\sqrt{(1-s)\\,n_\\text{in}}$ preserves it: "
    "Kaiming's std divided by $\\sqrt{1-s}$. torch's default $\\sigma = 0.01$ is a fixed variance (it decays "
    "with depth); Martens' $k$ non-zeros give $k\\sigma^2E[a^2]$, independent of the width.",
    steps=(
        Step(eq(st.Variance(mask * value), weight_variance),
             "a weight is $w = m u$, $m \\sim \\mathrm{Bernoulli}(1-s)$ independent of $u \\sim \\mathcal{N}(0, \\sigma^2)$",
             EXPECTATION),
        Step(eq(st.Expectation(mask * value), 0),
             "and has mean 0, so the cross terms of a pre-activation vanish (preactivation-variance)", EXPECTATION),
        Step(eq(torch_zeroed, sp.Rational(29, 32)),
             "torch zeroes $\\lceil s\\,n_\\text{out}\\rceil$ per column: $s = 0.9$ with 128 rows removes "
             "$116/128 = 29/32 > 0.9$, so use the fraction actually zeroed", ALGEBRA),
        Step(eq(sp.Sum(weight_variance * m2, (i, 1, fan_in)), fan_in * weight_variance * m2),
             "a unit sums $n_\\text{in}$ independent terms of variance $(1-s)\\sigma^2E[a^2]$", CALCULUS),
        Step(eq(std, gain / sp.sqrt(kept * fan_in)),
             "preserving the variance with gain $g$: $n_\\text{in}(1-s)\\sigma^2 = g^2$",
             Solve(eq(fan_in * kept * std**2, gain**2), std)),
        Step(eq(torch_default_factor, sp.Rational(72, 3125)),
             "torch's default $\\sigma = 0.01$ in a ReLU net of width 512 at $s = 0.1$: each layer keeps "
             "$n_\\text{in}(1-s)\\sigma^2/2 \\approx 0.023$ of the second moment (fixed-variance init, depth)",
             ALGEBRA),
        Step(eq(sp.Sum(std**2 * m2, (i, 1, nonzeros)), nonzeros * std**2 * m2),
             "Martens: $k$ non-zero weights give $k\\sigma^2E[a^2]$, whatever the fan-in", CALCULUS),
        Step(eq(std, gain / sp.sqrt(nonzeros)), "so his variant preserves the variance at $\\sigma = g/\\sqrt{k}$",
             Solve(eq(nonzeros * std**2, gain**2), std)),
        Step(eq(martens_factor, sp.Rational(15, 2)),
             "his $k = 15$, $\\sigma = 1$ in a ReLU net multiplies the second moment by 7.5 per layer: the "
             "recipe is not variance-preserving (he trained logistic autoencoders)", ALGEBRA),
    ),
    result=eq(std, gain / sp.sqrt(kept * fan_in)),
    exports=(
        Export("sparse_weight_variance", (std, sparsity), "(1 - sparsity)*std**2", weight_variance,
               "Var(w) of a N(0, std^2) weight zeroed with probability `sparsity` (torch's sparse_)."),
        Export("sparse_std", (gain, fan_in, sparsity), "gain/sqrt((1 - sparsity)*fan_in)",
               gain / sp.sqrt((1 - sparsity) * fan_in),
               "Std of sparse_'s non-zero weights that preserves the variance: gain / sqrt((1 - sparsity) fan_in); "
               "pass the fraction actually zeroed, ceil(s rows) / rows."),
    ),
    notes=(
        "Under torch's sparse_ the number of non-zero incoming weights of a unit is random, "
        "$\\mathrm{Binomial}(n_\\text{in}, 1-s)$, not a fixed $k$ as in Martens' recipe; the variance above "
        "needs only each weight's marginal distribution.",
        "Martens' motivation was not variance preservation: with a fixed $k$ the size of a unit's input does "
        "not depend on the layer's width, and units differ more from one another than under a dense "
        "small-scale Gaussian, which breaks their symmetry.",
    ),
)
