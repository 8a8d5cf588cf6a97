"""Kaiming/He initialization: ReLU halves the second moment; leaky ReLU; LeCun."""

import sympy as sp
import sympy.stats as st

from derivations.core import CALCULUS, EXPECTATION, Derivation, Export, Solve, Step, eq

q, fan, fi, fo, v, gain, std = sp.symbols("q fan fan_in fan_out weight_variance gain std", positive=True)
slope = sp.Symbol("negative_slope", real=True)
z = st.Normal("z", 0, sp.sqrt(q))
leaky = sp.Piecewise((z, z > 0), (slope * z, True))
leaky_derivative = sp.Piecewise((1, z > 0), (slope, True))
relu_derivative = sp.Piecewise((1, z > 0), (0, True))
fp2, d2 = sp.symbols("E_fp2 E_d2", positive=True)  # E[f'(z)^2] and the gradients' second moment E[delta^2]
j = sp.Symbol("j", positive=True, integer=True)

DERIVATION = Derivation(
    slug="kaiming",
    title="Kaiming/He initialization: $\\operatorname{Var}(w) = 2/n$ for ReLU",
    reference="He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV, eqs. 10 and 14; "
    "LeCun, Bottou, Orr & Müller (1998), Efficient BackProp.",
    assumptions=(
        "pre-activations $z \\sim \\mathcal{N}(0, q)$, symmetric about 0",
        "the pre-activation variance result $\\operatorname{Var}(y) = n\\operatorname{Var}(w)E[f(z)^2]$",
        "leaky ReLU $f(x) = x$ for $x > 0$ and $a x$ otherwise",
        "backward: the gradients $\\delta_j$ of the $n_\\text{out}$ units a unit feeds are independent of "
        "its weights, with second moment $E[\\delta^2]$",
    ),
    summary="ReLU keeps half of a symmetric input's second moment, and half of the gradients' on the way "
    "back, so the weights must carry twice the variance: $\\operatorname{Var}(w) = 2/n_\\text{in}$ forward "
    "(fan_in mode) or $2/n_\\text{out}$ backward (fan_out mode), gain $\\sqrt{2}$, std $g/\\sqrt{n}$.",
    steps=(
        Step(eq(st.Expectation(sp.Max(z, 0) ** 2), q / 2), "ReLU keeps the positive half of a symmetric $z$", EXPECTATION),
        Step(eq(st.Expectation(leaky**2), (1 + slope**2) * q / 2), "leaky ReLU: the negative half is scaled by $a^2$", EXPECTATION),
        Step(eq(st.Expectation(relu_derivative**2), sp.Rational(1, 2)),
             "backward: ReLU's derivative is 1 on the positive half and 0 on the other", EXPECTATION),
        Step(eq(st.Expectation(leaky_derivative**2), (1 + slope**2) / 2),
             "leaky ReLU's derivative: $1$ on one half, $a$ on the other", EXPECTATION),
        Step(eq(v, 2 / fi), "fan_in mode, forward: $n_\\text{in}\\operatorname{Var}(w)\\,q/2 = q$",
             Solve(eq(fi * v * q / 2, q), v)),
        Step(eq(sp.Sum(v * fp2 * d2, (j, 1, fo)), fo * v * fp2 * d2),
             "backward pass: $\\partial\\mathcal{L}/\\partial x_i = f'(z_i)\\sum_{j=1}^{n_\\text{out}} w_{ji}\\,\\delta_j$ "
             "sums $n_\\text{out}$ independent zero-mean terms, so its second moment is "
             "$n_\\text{out}\\operatorname{Var}(w)E[f'(z)^2]E[\\delta^2]$", CALCULUS),
        Step(eq(v, 2 / fo), "fan_out mode, backward: $n_\\text{out}\\operatorname{Var}(w)\\cdot\\tfrac{1}{2}E[\\delta^2] = E[\\delta^2]$",
             Solve(eq(fo * v * sp.Rational(1, 2) * d2, d2), v)),
        Step(eq(v, 2 / ((1 + slope**2) * fan)), "leaky ReLU, either mode: $n\\operatorname{Var}(w)(1+a^2)/2 = 1$",
             Solve(eq(fan * v * (1 + slope**2) * q / 2, q), v)),
        Step(eq(gain, sp.sqrt(2 / (1 + slope**2))), "gain: the factor over the linear variance $1/n$",
             Solve(eq(gain**2 / fan, 2 / ((1 + slope**2) * fan)), gain)),
        Step(eq(st.Expectation(leaky**2) / (q * st.Expectation(leaky_derivative**2)), 1),
             "positive homogeneity: $E[f(z)^2] = q\\,E[f'(z)^2]$, so one gain serves both directions; fan_in "
             "and fan_out modes differ only in the fan", EXPECTATION),
        Step(eq(std, gain / sp.sqrt(fan)), "std for gain $g$: $\\operatorname{Var}(w) = g^2/n$",
             Solve(eq(std**2, gain**2 / fan), std)),
        Step(eq(v, 1 / fan), "LeCun: identity-like activations ($E[f(z)^2] = q$) need $\\operatorname{Var}(w) = 1/n$",
             Solve(eq(fan * v * q, q), v)),
    ),
    result=eq(std, gain / sp.sqrt(fan)),
    exports=(
        Export("RELU_GAIN", (), "sqrt(2)", sp.sqrt(2), "Gain of ReLU."),
        Export("leaky_relu_gain", (slope,), "sqrt(2/(1 + negative_slope**2))", sp.sqrt(2 / (1 + slope**2)),
               "Gain of leaky ReLU with the given negative slope (torch's evaluation order)."),
        Export("kaiming_std", (gain, fan), "gain/sqrt(fan)", gain / sp.sqrt(fan), "Kaiming std, gain / sqrt(fan)."),
        Export("lecun_std", (fan,), "1/sqrt(fan)", 1 / sp.sqrt(fan), "LeCun std, 1 / sqrt(fan_in)."),
    ),
)
