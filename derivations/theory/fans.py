"""Fans of dense and convolutional weights, grouped and transposed included."""

import sympy as sp

from derivations.core import CALCULUS, Derivation, Export, Step, eq

c_in, c_out, groups, rf, stride = sp.symbols(
    "in_channels out_channels groups receptive_field stride_volume", positive=True
)
n_in, n_out = sp.symbols("in_features out_features", positive=True, integer=True)
c, t = sp.symbols("c t", positive=True, integer=True)


def terms(channels: sp.Expr, positions: sp.Expr) -> sp.Sum:
    """Number of weight-input products: one per (channel, kernel position) pair."""
    return sp.Sum(sp.Sum(1, (t, 1, positions)), (c, 1, channels))


DERIVATION = Derivation(
    slug="fans",
    title="Fans of dense and convolutional weights, grouped and transposed",
    reference="Dumoulin & Visin (2016), A guide to convolution arithmetic; torch.nn.init."
    "_calculate_fan_in_and_fan_out; pytorch/pytorch issues on grouped and transposed fans.",
    assumptions=(
        "dense weight of shape $(n_\\text{out}, n_\\text{in})$: $y_j = \\sum_i W_{ji} x_i$",
        "conv weight of shape $(C_\\text{out}, C_\\text{in}/g, k_1, \\dots)$, receptive field $k = \\prod k_i$",
        "transposed conv weight of shape $(C_\\text{in}, C_\\text{out}/g, k_1, \\dots)$ with stride volume $s = \\prod s_i$, $s_i \\mid k_i$",
        "fan-in counts the products summed into one output; fan-out counts the outputs one input feeds",
    ),
    summary="torch reads fans off the weight's shape as $(\\text{shape}[1]k, \\text{shape}[0]k)$. "
    "That fan-in is right for a convolution, but its fan-out ignores groups ($g$ times too large), "
    "and for a transposed convolution the two are swapped and the stride is ignored.",
    steps=(
        Step(eq(sp.Sum(1, (c, 1, n_in)), n_in),
             "dense forward: an output sums one product per input, $n_\\text{in}$ (shape[1], torch agrees)", CALCULUS),
        Step(eq(sp.Sum(1, (c, 1, n_out)), n_out),
             "dense backward: an input feeds every output, $n_\\text{out}$ (shape[0], torch agrees); a dense "
             "layer is the $k = 1$, $g = 1$ case of what follows", CALCULUS),
        Step(eq(terms(c_in / groups, rf), c_in * rf / groups),
             "conv forward: an output sums $C_\\text{in}/g$ channels over $k$ positions ($=$ shape[1]$\\cdot k$, torch agrees)", CALCULUS),
        Step(eq(terms(c_out / groups, rf), c_out * rf / groups),
             "conv backward: an input feeds the $C_\\text{out}/g$ channels of its group at $k$ positions", CALCULUS),
        Step(eq(c_out * rf / terms(c_out / groups, rf), groups), "torch's shape[0]$\\cdot k$ is $g$ times that", CALCULUS),
        Step(eq(terms(c_in / groups, rf / stride), c_in * rf / (groups * stride)),
             "transposed forward: an output gathers $C_\\text{in}/g$ channels at $k/s$ kernel positions", CALCULUS),
        Step(eq(terms(c_out / groups, rf), c_out * rf / groups),
             "transposed backward: an input feeds $C_\\text{out}/g$ channels at $k$ positions (torch's 'fan_in')", CALCULUS),
    ),
    result=eq(terms(c_in / groups, rf), c_in * rf / groups),
    exports=(
        Export("conv_fan_in", (c_in, groups, rf), "in_channels*receptive_field/groups", c_in * rf / groups,
               "Fan-in of a (grouped) convolution."),
        Export("conv_fan_out", (c_out, groups, rf), "out_channels*receptive_field/groups", c_out * rf / groups,
               "Fan-out of a (grouped) convolution."),
        Export("conv_transpose_fan_in", (c_in, groups, rf, stride),
               "in_channels*receptive_field/(groups*stride_volume)", c_in * rf / (groups * stride),
               "Fan-in of a (grouped, strided) transposed convolution."),
        Export("conv_transpose_fan_out", (c_out, groups, rf), "out_channels*receptive_field/groups",
               c_out * rf / groups, "Fan-out of a (grouped) transposed convolution."),
    ),
)
