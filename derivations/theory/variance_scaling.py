"""Variance scaling: one primitive, Var(w) = scale / fan, behind every named family."""

import sympy as sp

from derivations.core import Derivation, Export, Solve, Step, eq

scale, fan, v, std, r = sp.symbols("scale fan weight_variance std bound", positive=True)
fi, fo = sp.symbols("fan_in fan_out", positive=True)

DERIVATION = Derivation(
    slug="variance-scaling",
    title="Variance scaling: $\\operatorname{Var}(w) = s/n$",
    reference="JAX jax.nn.initializers.variance_scaling; Keras VarianceScaling; "
    "Glorot & Bengio (2010); He et al. (2015); Klambauer et al. (2017).",
    assumptions=(
        "$n$ is fan_in, fan_out, fan_avg $= (n_\\text{in}+n_\\text{out})/2$ or fan_geo_avg $= \\sqrt{n_\\text{in}n_\\text{out}}$",
        "scale $s$: 1 for LeCun, 2 for He, 1 with fan_avg for Glorot",
    ),
    summary="Every named family is $\\operatorname{Var}(w) = s/n$ for a choice of scale $s$ and fan $n$; "
    "the distribution only sets how the std is realised.",
    steps=(
        Step(eq(std, sp.sqrt(scale / fan)), "normal: std is the square root of the variance",
             Solve(eq(std**2, scale / fan), std)),
        Step(eq(r, sp.sqrt(3 * scale / fan)), "uniform: $r^2/3 = s/n$ (uniform-bound)",
             Solve(eq(r**2 / 3, scale / fan), r)),
        Step(eq(scale, 2), "He: the scale that makes a ReLU layer's factor $n \\cdot (s/n) \\cdot \\tfrac{1}{2}$ "
             "equal 1 (kaiming)", Solve(eq(fan * (scale / fan) / 2, 1), scale)),
        Step(eq(v, 2 * scale / (fi + fo)),
             "fan_avg: the forward factor $n_\\text{in}\\operatorname{Var}(w)$ and the backward factor "
             "$n_\\text{out}\\operatorname{Var}(w)$ average to $s$; Glorot's $2/(n_\\text{in}+n_\\text{out})$ at $s = 1$",
             Solve(eq((fi * v + fo * v) / 2, scale), v)),
        Step(eq(v, scale / sp.sqrt(fi * fo)),
             "fan_geo_avg: their geometric mean is $s$, so the per-layer forward and backward factors are "
             "reciprocal, $\\sqrt{n_\\text{in}/n_\\text{out}}$ and $\\sqrt{n_\\text{out}/n_\\text{in}}$ at $s = 1$",
             Solve(eq(sp.sqrt(fi * v * fo * v), scale), v)),
    ),
    result=eq(std, sp.sqrt(scale / fan)),
    exports=(
        Export("variance_scaling_std", (scale, fan), "sqrt(scale/fan)", sp.sqrt(scale / fan),
               "Std for Var(w) = scale / fan."),
        Export("variance_scaling_bound", (scale, fan), "sqrt(3*scale/fan)", sp.sqrt(3 * scale / fan),
               "Uniform bound for Var(w) = scale / fan."),
    ),
)
