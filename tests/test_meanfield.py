"""initref.meanfield: length map, fixed points, chi_1, order/chaos boundary, depth scales, SELU constants.

Closed forms used as independent references: ReLU's length map q -> sigma_w^2 q / 2 + sigma_b^2
(He et al. 2015, eq. 7), the arc-cosine kernel E[relu(u1) relu(u2)] = q (sqrt(1 - c^2) +
(pi - arccos c) c) / (2 pi) (Cho & Saul 2009, eq. 6 with n = 1) and its derivative kernel
E[H(u1) H(u2)] = (pi - arccos c) / (2 pi) (Cho & Saul 2009, n = 0). Numeric tolerances come from
the quadrature's stated relative error, 1e-12 (initref.moments), with a margin for the few
operations on top of it.
"""

import math

import numpy as np
import pytest
from scipy import integrate

from initref import meanfield as mf
from initref._generated import formulas
from initref.activations import resolve
from initref.gains import gain
from initref.moments import gaussian_expectation

#: Quadrature results carry < 1e-12 relative error; a handful of them combined stay below this.
QUAD = 1e-11

#: Klambauer, Unterthiner, Mayr & Hochreiter (2017), Self-Normalizing Neural Networks, eq. 14 and
#: appendix: alpha_01 and lambda_01 to 32 digits (also torch.nn.SELU's documented constants).
KLAMBAUER_ALPHA = 1.6732632423543772848170429916717
KLAMBAUER_LAMBDA = 1.0507009873554804934193349852946


def test_tanh_order_chaos_boundary_at_zero_bias_is_exactly_one():
    # Poole et al. (2016), sec. 3 / Fig. 1: with sigma_b = 0 the transition is at sigma_w = 1
    # (q* = 0 and chi_1 = sigma_w^2 tanh'(0)^2). Derivation ``meanfield-criticality`` proves it.
    assert mf.critical_weight_variance("tanh", 0.0) == 1.0
    assert mf.critical_weight_variance("tanh", 0.0) == formulas.TANH_CRITICAL_WEIGHT_VARIANCE
    below, above = mf.fixed_point("tanh", 0.9), mf.fixed_point("tanh", 1.1)
    assert below.q_star == 0.0 and below.phase == "ordered"
    assert above.q_star > 0 and above.phase == "chaotic"


def test_selu_parameters_match_klambauer_to_twelve_digits():
    alpha, lam = mf.self_normalizing_parameters()
    assert abs(alpha - KLAMBAUER_ALPHA) <= 1e-12 * KLAMBAUER_ALPHA
    assert abs(lam - KLAMBAUER_LAMBDA) <= 1e-12 * KLAMBAUER_LAMBDA
    # the numeric solution agrees with the closed forms proven in derivation ``selu``
    assert abs(alpha - formulas.SELU_ALPHA) <= QUAD * alpha
    assert abs(lam - formulas.SELU_LAMBDA) <= QUAD * lam


@pytest.mark.parametrize("variance", [0.5, 2.0])
def test_selu_parameters_for_another_fixed_point_solve_the_equations(variance):
    alpha, lam = mf.self_normalizing_parameters(variance)

    def selu(x):
        return lam * (x if x > 0 else alpha * math.expm1(x))

    def expect(g):  # independent reference: QUADPACK on both half-lines
        density = lambda x: g(x) * math.exp(-x * x / (2 * variance)) / math.sqrt(2 * math.pi * variance)
        return sum(integrate.quad(density, a, b, epsabs=0, epsrel=1e-13)[0] for a, b in ((-np.inf, 0), (0, np.inf)))

    assert abs(expect(selu)) <= 1e-11
    assert abs(expect(lambda x: selu(x) ** 2) - variance) <= 1e-11 * variance


@pytest.mark.parametrize("sw, sb", [(1.5, 0.1), (1.0, 0.5), (0.5, 0.0)])
def test_relu_closed_forms(sw, sb):
    # He et al. (2015), eq. 7: E[relu(sqrt(q) z)^2] = q / 2, E[H(z)^2] = 1 / 2.
    for q in (0.3, 1.0, 7.0):
        assert mf.length_map("relu", q, sw, sb) == pytest.approx(sw * q / 2 + sb, rel=QUAD)
        assert mf.chi_1("relu", q, sw) == pytest.approx(sw / 2, rel=QUAD)
        assert mf.length_map_slope("relu", q, sw) == pytest.approx(sw / 2, rel=QUAD)
    point = mf.fixed_point("relu", sw, sb)
    expected = sb / (1 - sw / 2) if sb else 0.0
    assert point.q_star == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert point.stable and point.phase == "ordered"
    assert point.depth_scale_q == pytest.approx(-1 / math.log(sw / 2), rel=QUAD)


@pytest.mark.parametrize("sb", [0.0, 0.1, 1.0])
def test_relu_boundary_is_two_for_any_bias(sb):
    # chi_1 = sigma_w^2 / 2 whatever q*: the boundary is sigma_w^2 = 2 (He et al. 2015).
    assert mf.critical_weight_variance("relu", sb) == pytest.approx(2.0, rel=1e-12)


def test_relu_neutral_line_and_divergence():
    neutral = mf.fixed_point("relu", 2.0, 0.0, q0=3.0)
    assert neutral.q_star == 3.0 and neutral.chi_1 == pytest.approx(1.0, rel=QUAD) and neutral.phase == "critical"
    assert neutral.stability == "marginal" and not neutral.stable
    for diverging in (mf.fixed_point("relu", 2.5, 0.0), mf.fixed_point("relu", 2.0, 0.1)):
        assert diverging.q_star == math.inf and diverging.stability == "unstable" and not diverging.stable


@pytest.mark.parametrize("name", ["identity", "leaky_relu", "abs", "relu"])
def test_homogeneous_activations_at_their_gain_are_marginal(name):
    # f positively homogeneous: L(q) = sigma_w^2 E[f(z)^2] q, so at sigma_w^2 = 1/E[f(z)^2] (the forward
    # gain squared) and sigma_b^2 = 0 every q is fixed and L'(q*) = 1: marginal, the same for all four.
    point = mf.fixed_point(name, gain(name) ** 2, 0.0)
    assert point.q_star == 1.0 and point.slope == pytest.approx(1.0, rel=QUAD)
    assert point.stability == "marginal" and point.stable is False and point.phase == "critical"


def test_stability_is_the_slope_of_the_length_map():
    # relu6 saturates at 6: at its forward gain L'(1) = 1 - 7e-8 < 1 (an attracting fixed point, not marginal).
    relu6 = mf.fixed_point("relu6", gain("relu6") ** 2, 0.0)
    assert 1 - 1e-6 < relu6.slope < 1 - 1e-9 and relu6.stability == "stable" and relu6.stable
    contracting = mf.fixed_point("relu", 1.5, 0.1)  # L'(q) = 0.75 everywhere
    assert contracting.stability == "stable" and contracting.stable


@pytest.mark.parametrize("sw, sb", [(1.5, 0.05), (2.5, 0.0), (4.0, 0.3), (1.2, 1.0)])
def test_tanh_fixed_point_solves_the_length_map(sw, sb):
    point = mf.fixed_point("tanh", sw, sb)
    assert mf.length_map("tanh", point.q_star, sw, sb) == pytest.approx(point.q_star, rel=QUAD)
    assert point.chi_1 == pytest.approx(mf.chi_1("tanh", point.q_star, sw), rel=QUAD)
    assert point.stable  # tanh is bounded and concave in q: its fixed point attracts
    assert point.phase == ("ordered" if point.chi_1 < 1 else "chaotic")


@pytest.mark.parametrize("name", ["tanh", "gelu", "softsign"])
def test_stein_slope_matches_direct_second_derivative(name):
    # L'(q) = sigma_w^2 E[f'^2 + f f''] (Schoenholz et al. 2017, eq. 5) with f'' from SymPy, against
    # the runtime's Stein form sigma_w^2 E[x f f'] / q, which needs no f''.
    sympy = pytest.importorskip("sympy")
    act = resolve(name)
    x = sympy.Symbol("x", real=True)
    expr = sympy.sympify(act.expression, locals={"x": x})
    curvature = sympy.diff(expr, x, 2).replace(sympy.DiracDelta, lambda *_: 0)  # x delta(x) = 0 (softsign)
    second = sympy.lambdify(x, curvature, modules=["numpy", "scipy"])
    for q in (0.5, 2.0):
        direct = gaussian_expectation(lambda t: act.numpy_derivative(t) ** 2 + act.numpy(t) * second(t), q, act.kinks)
        assert mf.length_map_slope(name, q, 1.7) == pytest.approx(1.7 * direct, rel=QUAD)


@pytest.mark.parametrize("c", [-0.6, 0.0, 0.4, 0.95, 1.0])
def test_correlation_map_of_relu_is_the_arc_cosine_kernel(c):
    relu = resolve("relu")
    kernel = (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / (2 * math.pi)
    assert mf.correlation_map("relu", c, 2.0, 0.0, q_star=1.0) == pytest.approx(2 * kernel, rel=1e-13, abs=1e-15)
    step = mf._pair_expectation(relu, 1.0, c, relu.numpy_derivative, relu.numpy_derivative)
    assert step == pytest.approx((math.pi - math.acos(c)) / (2 * math.pi), rel=1e-13, abs=1e-15)


def test_correlation_map_fixes_one():
    for name, sw, sb in (("tanh", 2.5, 0.1), ("gelu", 1.5, 0.2), ("relu", 1.5, 0.3)):
        assert mf.correlation_map(name, 1.0, sw, sb) == pytest.approx(1.0, rel=QUAD)


def test_chaotic_tanh_without_bias_decorrelates_completely():
    # tanh is odd: with sigma_b = 0 the correlation c = 0 is fixed, and it attracts when chi_1 > 1;
    # xi_c^-1 = -log(sigma_w^2 E[tanh'(u)]^2) there (Schoenholz et al. 2017, eq. 9 at c* = 0).
    point = mf.fixed_point("tanh", 2.5, 0.0)
    assert point.phase == "chaotic" and point.c_star == 0.0
    slope = gaussian_expectation(resolve("tanh").numpy_derivative, point.q_star)
    assert point.depth_scale_c == pytest.approx(-1 / math.log(2.5 * slope**2), rel=1e-10)


def test_depth_scales_diverge_at_the_boundary():
    # Schoenholz et al. (2017), Fig. 2: xi_c grows without bound as sigma_w^2 approaches criticality.
    critical = mf.critical_weight_variance("tanh", 0.05)
    assert mf.fixed_point("tanh", critical, 0.05).chi_1 == pytest.approx(1.0, rel=1e-10)
    scales = [mf.depth_scales("tanh", critical * f, 0.05)[1] for f in (0.7, 0.9, 0.99)]
    assert scales[0] < scales[1] < scales[2]
    ordered = mf.fixed_point("tanh", critical * 0.9, 0.05)
    assert ordered.depth_scale_c == pytest.approx(-1 / math.log(ordered.chi_1), rel=1e-12)


def test_phase_boundary_rises_with_bias():
    # Poole et al. (2016), Fig. 1: the tanh boundary sigma_w^2(sigma_b^2) increases.
    boundary = mf.phase_boundary("tanh", [0.0, 0.05, 0.3, 1.0])
    assert boundary[0] == 1.0 and np.all(np.diff(boundary) > 0)


def test_residual_propagation_matches_branch_scaling_derivation():
    alpha, depth = 0.3, 20
    path = mf.propagate("relu", 2.0, 0.0, depth, residual_alpha=alpha)
    assert path.second_moment[-1] == pytest.approx(formulas.residual_variance_growth(alpha, depth), rel=1e-11)
    assert path.backward_ratio == pytest.approx(np.full(depth, 1 + alpha**2), rel=QUAD)


def test_propagate_follows_the_length_map():
    path = mf.propagate("tanh", 3.0, 0.1, 6, q0=0.2)
    for layer in range(6):
        q = path.second_moment[layer]
        assert path.second_moment[layer + 1] == pytest.approx(mf.length_map("tanh", q, 3.0, 0.1), rel=QUAD)
        assert path.backward_ratio[layer] == pytest.approx(mf.chi_1("tanh", q, 3.0), rel=QUAD)


def test_limits_at_zero_and_infinity():
    assert mf.chi_1("relu", 0.0, 2.0) == 1.0 and mf.chi_1("relu", math.inf, 2.0) == 1.0  # one-sided means
    assert mf.chi_1("tanh", 0.0, 1.0) == 1.0 and mf.chi_1("tanh", math.inf, 1.0) == 0.0
    assert mf.length_map("sigmoid", 0.0, 4.0) == pytest.approx(1.0, rel=1e-15)  # sigma(0)^2 = 1/4


@pytest.mark.parametrize("call, message", [
    (lambda: mf.length_map("tanh", -1.0, 1.0), "q must be a finite number >= 0"),
    (lambda: mf.fixed_point("tanh", 0.0), "weight_variance must be a finite number > 0"),
    (lambda: mf.fixed_point("tanh", 1.0, -0.1), "bias_variance must be a finite number >= 0"),
    (lambda: mf.correlation_map("tanh", 1.5, 2.0), "c must be a correlation in \\[-1, 1\\]"),
    (lambda: mf.self_normalizing_parameters(0.0), "variance must be a finite number > 0"),
    (lambda: mf.fixed_point("not_an_activation", 1.0), "not_an_activation"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
