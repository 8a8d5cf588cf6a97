"""Generated formulas against independent references: torch's arithmetic, SciPy, JAX's constant."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given
from hypothesis import strategies as hs

from initref._generated import formulas, formulas_numpy, formulas_torch

fans = hs.integers(min_value=1, max_value=1 << 20)
gains = hs.floats(min_value=1e-3, max_value=1e3)


@given(gains, fans, fans)
def test_xavier_std_is_bit_equal_to_torchs_expression(gain, fan_in, fan_out):
    # torch/nn/init.py, xavier_normal_: std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    assert formulas.xavier_std(gain, fan_in, fan_out) == gain * math.sqrt(2.0 / float(fan_in + fan_out))


@given(gains, fans)
def test_kaiming_std_and_bound_are_bit_equal_to_torchs(gain, fan):
    # torch/nn/init.py, kaiming_uniform_: std = gain / math.sqrt(fan); bound = math.sqrt(3.0) * std
    std = gain / math.sqrt(fan)
    assert formulas.kaiming_std(gain, fan) == std
    assert formulas.uniform_bound_from_std(std) == math.sqrt(3.0) * std


@given(hs.floats(min_value=0, max_value=100))
def test_leaky_relu_gain_is_bit_equal_to_torch(slope):
    assert formulas.leaky_relu_gain(slope) == torch.nn.init.calculate_gain("leaky_relu", slope)


def test_relu_gain_is_bit_equal_to_torch():
    assert formulas.RELU_GAIN == torch.nn.init.calculate_gain("relu")


@given(hs.floats(min_value=-8, max_value=8))
def test_normal_cdf_is_bit_equal_to_torchs_helper(x):
    # torch/nn/init.py, _no_grad_trunc_normal_.norm_cdf: (1. + math.erf(x / math.sqrt(2.))) / 2.
    assert formulas.normal_cdf(x) == (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def test_truncated_normal_correction_matches_jax_and_scipy():
    # jax/_src/nn/initializers.py, variance_scaling: stddev = sqrt(variance) / .87962566103423978
    assert formulas.TRUNCATED_NORMAL_STD_CORRECTION == pytest.approx(0.87962566103423978, rel=1e-15)
    assert formulas.TRUNCATED_NORMAL_STD_CORRECTION == pytest.approx(scipy.stats.truncnorm(-2, 2).std(), rel=1e-14)


@given(hs.floats(min_value=-3, max_value=2.5), hs.floats(min_value=0.05, max_value=4))
def test_truncated_normal_variance_matches_scipy(low, width):
    # The closed form subtracts erf values; far in one tail (both bounds beyond ~3 sigma) that
    # cancels catastrophically, so the comparison covers intervals reaching within 3 sigma of 0.
    high = low + width
    expected = scipy.stats.truncnorm(low, high).var()
    assert formulas.truncated_normal_variance(low, high) == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_array_targets_agree_with_the_scalar_target():
    low, high = np.array([-2.0, -1.0, 0.0]), np.array([2.0, 3.0, 1.5])
    expected = [formulas.truncated_normal_variance(a, b) for a, b in zip(low, high, strict=True)]
    np.testing.assert_allclose(formulas_numpy.truncated_normal_variance(low, high), expected, rtol=1e-12)
    got = formulas_torch.truncated_normal_variance(torch.tensor(low), torch.tensor(high))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(formulas_numpy.uniform_variance(low, high), (high - low) ** 2 / 12)


def test_uniform_bound_gives_the_variance():
    for variance in (1e-4, 0.5, 3.0):
        r = formulas.uniform_bound(variance)
        assert formulas.uniform_variance(-r, r) == pytest.approx(variance, rel=1e-15)


def test_linear_default_bound_is_torchs_nn_linear_bound():
    # torch/nn/modules/linear.py: kaiming_uniform_(a=math.sqrt(5)) then bias bound 1 / math.sqrt(fan_in)
    for fan_in in (1, 3, 128, 4096):
        gain = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
        weight_bound = math.sqrt(3.0) * gain / math.sqrt(fan_in)
        assert formulas.linear_default_bound(fan_in) == pytest.approx(weight_bound, rel=1e-15)
        assert formulas.linear_default_bound(fan_in) == 1 / math.sqrt(fan_in)


def test_logistic_linearized_gain_is_four():
    x = torch.zeros((), requires_grad=True)
    torch.sigmoid(x).backward()
    assert formulas.LOGISTIC_LINEARIZED_GAIN == 1 / x.grad.item()
