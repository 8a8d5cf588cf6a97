"""Gains: torch's calculate_gain bit for bit, closed forms exactly, derived gains against independent quadrature."""

import math
import warnings

import numpy as np
import pytest
import torch
from scipy import integrate

import initref
from initref.gains import CRITERIA, TORCH_NAMES, analyze_activation, calculate_gain, gain

ULP = math.ulp(1.0)


def quad_moment(fn):
    """E[fn(z)], z ~ N(0, 1), by scipy.integrate.quad (independent of initref's quadrature).

    On [-40, 40]: beyond it the Gaussian weight exp(-800) underflows, so nothing is lost, and math's
    cosh/exp do not overflow. epsrel 1e-13 is a tenth of the tolerance the results are compared at;
    epsabs 1e-15 serves odd integrands (mean 0), where QUADPACK also warns of roundoff.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value, _ = integrate.quad(lambda x: fn(x) * math.exp(-x * x / 2) / math.sqrt(2 * math.pi), -40.0, 40.0,
                                  epsabs=1e-15, epsrel=1e-13, limit=400, points=(0.0,))
    return value


# ----------------------------------------------------------------------------- torch's values


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_calculate_gain_is_torchs_float(name):
    ours, theirs = calculate_gain(name), torch.nn.init.calculate_gain(name)
    assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("param", [None, 0, 1, 0.2, -3, 5, 1e-300, 2**0.5, -0.0])
def test_leaky_relu_gain_is_torchs_float(param):
    assert calculate_gain("leaky_relu", param) == torch.nn.init.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("param", [True, False, "0.1", [0.1], np.float32(0.1)])
def test_leaky_relu_rejects_what_torch_rejects(param):
    with pytest.raises(ValueError) as theirs:
        torch.nn.init.calculate_gain("leaky_relu", param)
    with pytest.raises(ValueError) as ours:
        calculate_gain("leaky_relu", param)
    assert str(ours.value) == str(theirs.value)


def test_unknown_name_keeps_torchs_message_and_suggests():
    with pytest.raises(ValueError) as info:
        calculate_gain("gleu")
    assert str(info.value).startswith("Unsupported nonlinearity gleu")
    assert "'gelu'" in str(info.value)


def test_calculate_gain_takes_names_not_expressions():
    with pytest.raises(ValueError, match="use initref.gain for expressions"):
        calculate_gain("x*tanh(x)")
    with pytest.raises(TypeError):
        calculate_gain(torch.tanh)


def test_top_level_names_are_these():
    assert initref.calculate_gain is calculate_gain
    assert initref.gain is gain
    assert initref.analyze_activation is analyze_activation


# ----------------------------------------------------------------------------- closed forms


def test_relu_gain_is_sqrt_2():
    # He et al. (2015), eq. 10: Var(w) = 2/n, i.e. gain sqrt(2), forward and backward alike: the same float.
    for criterion in ("forward", "backward"):
        assert gain("relu", criterion=criterion) == math.sqrt(2)
    assert analyze_activation("relu").forward_gain == math.sqrt(2)
    assert analyze_activation("relu").backward_gain == math.sqrt(2)


@pytest.mark.parametrize("slope", [None, 0.0, 0.01, 0.2, 0.5, -0.7, 3.0])
def test_leaky_relu_gain_is_sqrt_2_over_1_plus_a2(slope):
    # He et al. (2015), eq. 15: the leaky (PReLU) gain sqrt(2 / (1 + a^2)), bit for bit; a = 0.01 by default.
    a = 0.01 if slope is None else slope
    want = math.sqrt(2 / (1 + a**2))
    for criterion in ("forward", "backward"):
        assert gain("leaky_relu", slope, criterion=criterion) == want
    assert analyze_activation("leaky_relu", slope).forward_gain == want


def test_identity_and_abs_have_gain_one():
    assert gain("identity") == 1.0 and gain("linear", criterion="backward") == 1.0
    assert gain("abs") == 1.0


def test_selu_forward_gain_is_one():
    # Klambauer et al. (2017), sec. 3: E[selu(z)^2] = 1 at (alpha_01, lambda_01).
    assert gain("selu") == pytest.approx(1.0, rel=1e-14)


# ----------------------------------------------------------------------------- derived values


@pytest.mark.parametrize(
    ("name", "f", "derivative"),
    [
        ("tanh", math.tanh, lambda x: 1 / math.cosh(x) ** 2),
        ("gelu", lambda x: x * 0.5 * math.erfc(-x / math.sqrt(2)),
         lambda x: 0.5 * math.erfc(-x / math.sqrt(2)) + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)),
        ("silu", lambda x: x / (1 + math.exp(-x)),
         lambda x: 1 / (1 + math.exp(-x)) + x * math.exp(-x) / (1 + math.exp(-x)) ** 2),
        ("softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
        ("lecun_tanh", lambda x: 1.7159 * math.tanh(2 * x / 3), lambda x: 1.7159 * 2 / 3 / math.cosh(2 * x / 3) ** 2),
    ],
)
def test_derived_gains_match_independent_quadrature(name, f, derivative):
    """Hand-written f, f' (not the generated code) integrated by QUADPACK."""
    second, derivative_second = quad_moment(lambda x: f(x) ** 2), quad_moment(lambda x: derivative(x) ** 2)
    mean = quad_moment(f)
    assert gain(name) == pytest.approx(1 / math.sqrt(second), rel=1e-12)
    assert gain(name, criterion="backward") == pytest.approx(1 / math.sqrt(derivative_second), rel=1e-12)
    assert gain(name, criterion="mean_corrected") == pytest.approx(1 / math.sqrt(second - mean**2), rel=1e-12)
    assert calculate_gain(name) == gain(name) if name not in TORCH_NAMES else True


def test_forward_and_backward_criteria_split_for_smooth_activations():
    """DESIGN.md: at the forward gain, chi_1 is about 1.18 for tanh and 1.07 for GELU and SiLU; 1 for ReLU."""
    chi = {name: analyze_activation(name).chi_1_at_forward_gain for name in ("relu", "tanh", "gelu", "silu")}
    assert chi["relu"] == 1.0
    tanh_ratio = quad_moment(lambda x: 1 / math.cosh(x) ** 4) / quad_moment(lambda x: math.tanh(x) ** 2)
    assert chi["tanh"] == pytest.approx(tanh_ratio, rel=1e-12)
    assert round(chi["tanh"], 2) == 1.18 and round(chi["gelu"], 2) == 1.07 and round(chi["silu"], 2) == 1.07


def test_torch_conventions_differ_from_derived_gains():
    # torch's tanh 5/3 and selu 3/4 are empirical (torch/nn/init.py calculate_gain); the derived ones are not.
    assert calculate_gain("tanh") == 5 / 3 and gain("tanh") == pytest.approx(1.5925374197, rel=1e-10)
    assert calculate_gain("selu") == 0.75 and gain("selu") == pytest.approx(1.0, rel=1e-14)


@pytest.mark.parametrize(("name", "param"), [("elu", 0.5), ("celu", 2.0), ("silu", 1.702), ("softplus", 3.0)])
def test_calculate_gain_for_parametrised_names_is_the_forward_gain(name, param):
    assert calculate_gain(name, param) == gain(name, param)
    assert calculate_gain(name, param) != calculate_gain(name)


def test_every_kind_of_activation_gives_the_same_gain():
    want = gain("mish")
    for act in ("x*tanh(log(1+exp(x)))", lambda x: x * np.tanh(np.log1p(np.exp(x))), torch.nn.Mish(),
                torch.nn.functional.mish):
        assert gain(act) == pytest.approx(want, rel=1e-12)
        assert gain(act, criterion="backward") == pytest.approx(gain("mish", criterion="backward"), rel=1e-12)


def test_gain_at_another_variance():
    # ReLU is positively homogeneous: E[relu(z)^2] = q/2, so the forward gain at q is sqrt(2/q), and
    # E[relu'(z)^2] = 1/2 whatever q, so the backward gain stays sqrt(2).
    assert gain("relu", q=4.0) == math.sqrt(0.5)
    assert gain("relu", q=3.0) == pytest.approx(math.sqrt(2 / 3), rel=ULP)
    assert gain("relu", q=3.0, criterion="backward") == math.sqrt(2)
    assert gain("leaky_relu", 0.2, q=2.0) == pytest.approx(math.sqrt(2 / (1.04 * 2.0)), rel=ULP)


# ------------------------------------------------------------------------------------- analysis


def test_analysis_of_tanh():
    analysis = analyze_activation("tanh")
    assert analysis.torch_gain == 5 / 3
    assert analysis.forward_gain == gain("tanh")
    assert analysis.backward_gain == gain("tanh", criterion="backward")
    assert analysis.mean_corrected_gain == pytest.approx(analysis.forward_gain, rel=1e-12)  # tanh is odd
    assert analysis.derivative_method == "generated" and analysis.expression == "tanh(x)"


def test_analysis_names_torchs_linear_gain_for_the_identity():
    assert analyze_activation("identity").torch_gain == 1
    assert analyze_activation("gelu").torch_gain is None
    assert analyze_activation("leaky_relu", 0.2).torch_gain == torch.nn.init.calculate_gain("leaky_relu", 0.2)


def test_analysis_reports_the_mean_field_fixed_point():
    # At sigma_w^2 = 1/E[f(z)^2] and sigma_b^2 = 0 the length map keeps q = 1: q* = 1, chi_1 = chi at forward gain.
    analysis = analyze_activation("tanh")
    assert analysis.fixed_point.q_star == pytest.approx(1.0, rel=1e-12)
    assert analysis.fixed_point.chi_1 == pytest.approx(analysis.chi_1_at_forward_gain, rel=1e-12)
    assert analysis.note is None
    biased = analyze_activation("tanh", bias_variance=0.05, weight_variance=1.5)
    assert biased.fixed_point.bias_variance == 0.05 and biased.fixed_point.weight_variance == 1.5


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("act", "criterion", "message"),
    [
        ("0*x", "forward", "identically zero"),
        ("1 + 0*x", "backward", "E[f'(z)^2] = 0"),
        ("1 + 0*x", "mean_corrected", "Var f(z) = 0"),
        ("tanh", "sideways", "criterion must be one of"),
        ("exp(x**2)", "forward", "infinite"),
    ],
)
def test_gains_that_do_not_exist_are_errors(act, criterion, message):
    with pytest.raises(ValueError) as info:
        gain(act, criterion=criterion)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("act", "criterion", "message"),
    [
        ("1/x", "forward", "E[f(z)^2]"),
        ("log(abs(x))", "backward", "E[f'(z)^2] is infinite"),
        ("abs(x)**-0.4", "backward", "E[f'(z)^2] is infinite"),
        (lambda x: 1 / x, "forward", "E[f(z)^2]"),
    ],
    ids=["pole", "log", "power", "callable-pole"],
)
def test_gains_of_singular_activations_are_errors_naming_the_moment(act, criterion, message):
    with pytest.raises(ValueError) as info:
        gain(act, criterion=criterion)
    assert message in str(info.value) and "near z = 0" in str(info.value)


def test_forward_gain_of_an_activation_with_an_integrable_singularity():
    # log|z| = log(chi^2_1)/2, whose mean is (psi(1/2) + log 2)/2 = -(gamma + log 2)/2 and variance
    # psi'(1/2)/4 = pi^2/8 (Abramowitz & Stegun 6.3.3 and 6.4.4), so E[log|z|^2] = pi^2/8 + (gamma + log 2)^2/4.
    second = math.pi**2 / 8 + (np.euler_gamma + math.log(2)) ** 2 / 4
    assert gain("log(abs(x))") == pytest.approx(1 / math.sqrt(second), rel=1e-12)
    with pytest.raises(ValueError, match="E\\[f'\\(z\\)\\^2\\] is infinite"):
        analyze_activation("log(abs(x))")  # its backward gain and chi_1 need E[f'^2]


def test_gain_of_a_code_injection_string_is_refused(capsys):
    with pytest.raises(ValueError, match="may not use attribute access"):
        gain('__import__("sys").stdout.write("INJECTED ")')
    assert "INJECTED" not in capsys.readouterr().out


def test_analysis_leaves_out_gains_that_do_not_exist():
    analysis = analyze_activation("2 + 0*x")
    assert analysis.backward_gain is None and analysis.mean_corrected_gain is None
    assert analysis.forward_gain == 0.5


@pytest.mark.parametrize(("kwargs", "message"), [({"bias_variance": -1.0}, "bias_variance"),
                                                 ({"weight_variance": 0.0}, "weight_variance")])
def test_analysis_rejects_bad_variances(kwargs, message):
    with pytest.raises(ValueError, match=message):
        analyze_activation("tanh", **kwargs)


def test_criteria_are_documented():
    assert CRITERIA == ("forward", "backward", "mean_corrected")



def test_calculate_gain_ignores_param_where_the_activation_takes_none():
    # torch.nn.init.calculate_gain ignores param for every name but leaky_relu, and kaiming_* always
    # passes a=0 as param: initref's extra names behave the same, so kaiming_normal_(nonlinearity="gelu") works.
    assert calculate_gain("gelu", 0) == calculate_gain("gelu")
    assert calculate_gain("tanh", 3) == torch.nn.init.calculate_gain("tanh", 3)
    assert calculate_gain("elu", 0.5) != calculate_gain("elu")


@pytest.mark.parametrize("name", ["gelu", "elu", "softplus"])
def test_kaiming_normal_accepts_a_derived_nonlinearity(name):
    """torch's ``a`` (default 0) is leaky ReLU's slope only: elu and softplus keep their default parameter."""
    import initref.torch as init

    w = init.kaiming_normal_(torch.empty(512, 256), nonlinearity=name, generator=torch.Generator().manual_seed(0))
    # The sample std of n normals has relative sd 1/sqrt(2n); a 5-sd band fails falsely with probability 6e-7.
    expected = calculate_gain(name) / math.sqrt(256)
    assert abs(float(w.std()) / expected - 1) < 5 / math.sqrt(2 * w.numel())
