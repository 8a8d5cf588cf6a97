"""initref.numpy.factories: JAX's initializer factories (jax/_src/nn/initializers.py semantics).

Statistics as in test_numpy_init.py: fixed seeds, one-sample KS tests rejecting at
P_FAIL = 1e-6 each (fewer than 50 here: family-wise false failure < 5e-5).
"""

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as hs

from initref.numpy import factories as F

P_FAIL = 1e-6  # per-assertion false-failure probability
C = scipy.stats.truncnorm(-2, 2).std()  # std of N(0, 1) on [-2, 2], JAX's .87962566103423978


def assert_fits(sample, dist):
    p = scipy.stats.kstest(np.asarray(sample, dtype=np.float64).ravel(), dist.cdf).pvalue
    assert p > P_FAIL, f"KS p = {p:.2e} < {P_FAIL}"


def jax_fans(shape, in_axis, out_axis, batch_axis):
    """JAX's _compute_fans, restated: receptive field = total / in / out / batch."""
    def size(axes):
        return shape[axes] if isinstance(axes, int) else math.prod(shape[a] for a in axes)

    receptive = math.prod(shape) / size(in_axis) / size(out_axis) / size(batch_axis)
    return size(in_axis) * receptive, size(out_axis) * receptive


def denominator(mode, fan_in, fan_out):
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]


@pytest.mark.parametrize(("shape", "axes"), [
    ((128, 96), {}),  # dense kernel (in, out)
    ((3, 3, 24, 40), {}),  # conv kernel (*spatial, in, out)
    ((4, 48, 64), {"batch_axis": 0}),  # a batch of independent dense kernels
    ((40, 24, 3, 3), {"in_axis": 1, "out_axis": 0}),  # torch's layout, described by axes
    ((6, 5, 4, 64), {"in_axis": (0, 1), "out_axis": -1}),  # several input axes
])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
def test_variance_scaling_laws_on_jax_axes(shape, axes, mode):
    fan_in, fan_out = jax_fans(shape, axes.get("in_axis", -2), axes.get("out_axis", -1), axes.get("batch_axis", ()))
    std = math.sqrt(2.0 / denominator(mode, fan_in, fan_out))
    laws = {"truncated_normal": scipy.stats.truncnorm(-2, 2, scale=std / C), "normal": scipy.stats.norm(0, std),
            "uniform": scipy.stats.uniform(-math.sqrt(3) * std, 2 * math.sqrt(3) * std)}
    for seed, (distribution, law) in enumerate(laws.items()):
        init = F.variance_scaling(2.0, mode, distribution, **axes)
        w = init(seed, shape)
        assert w.shape == shape and w.dtype == np.float32
        assert_fits(w, law)


@pytest.mark.parametrize(("family", "spec"), [
    (F.glorot_uniform, (1.0, "fan_avg", "uniform")), (F.glorot_normal, (1.0, "fan_avg", "truncated_normal")),
    (F.lecun_uniform, (1.0, "fan_in", "uniform")), (F.lecun_normal, (1.0, "fan_in", "truncated_normal")),
    (F.he_uniform, (2.0, "fan_in", "uniform")), (F.he_normal, (2.0, "fan_in", "truncated_normal")),
    (F.xavier_uniform, (1.0, "fan_avg", "uniform")), (F.kaiming_normal, (2.0, "fan_in", "truncated_normal")),
])
def test_named_families_are_variance_scaling_specialisations(family, spec):
    # jax/_src/nn/initializers.py: glorot_* = variance_scaling(1.0, "fan_avg", ...), he_* = (2.0, "fan_in"),
    # lecun_* = (1.0, "fan_in"); the *_normal ones are truncated_normal.
    shape = (3, 5, 16, 8)
    np.testing.assert_array_equal(family(batch_axis=0)(4, shape), F.variance_scaling(*spec, batch_axis=0)(4, shape))


def test_truncated_normal_is_sigma_relative_without_correction():
    w = F.truncated_normal(0.3, lower=-1.0, upper=2.5)(1, (200, 100))
    assert -0.3 <= w.min() and w.max() <= 0.75
    assert_fits(w, scipy.stats.truncnorm(-1.0, 2.5, scale=0.3))
    assert_fits(F.truncated_normal()(2, (20000,)), scipy.stats.truncnorm(-2, 2, scale=0.01))


def test_normal_and_uniform_defaults_as_in_jax():
    assert_fits(F.normal()(3, (20000,)), scipy.stats.norm(0, 0.01))
    assert_fits(F.normal(2.0)(3, (20000,)), scipy.stats.norm(0, 2.0))
    u = F.uniform(5.0)(4, (20000,))  # jax.nn.initializers.uniform: [0, scale), not symmetric
    assert u.min() >= 0 and u.max() < 5.0
    assert_fits(u, scipy.stats.uniform(0, 5.0))
    assert_fits(F.uniform()(4, (20000,)), scipy.stats.uniform(0, 0.01))


def test_constant_zeros_ones():
    np.testing.assert_array_equal(F.constant(-7)(None, (2, 3)), np.full((2, 3), -7, np.float32))
    assert F.constant(3, dtype=np.int32)(0, (2,)).dtype == np.int32
    assert F.constant(0.5)(0, (2,), np.float64).dtype == np.float64
    assert (F.zeros(None, (3, 2)) == 0).all() and (F.ones(0, (3, 2), np.float16) == 1).all()
    assert F.ones(0, (3,), np.float16).dtype == np.float16


@pytest.mark.parametrize(("shape", "column_axis"), [((6, 4), -1), ((4, 6), -1), ((3, 2, 8), -1), ((5, 2, 3), 0),
                                                    ((4, 3, 3), 1), ((2, 3, 4, 5), 2)])
def test_orthogonal_columns_along_column_axis(shape, column_axis):
    w = F.orthogonal(1.5, column_axis)(7, shape, np.float64)
    assert w.shape == shape and w.flags.c_contiguous
    m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, 2.25 * np.eye(min(m.shape)), atol=1e-12)


def test_orthogonal_3x3_entries_are_uniform_as_for_haar():
    # Archimedes: each coordinate of a uniform point on S^2 is U(-1, 1); one entry per draw
    rng = np.random.default_rng(8)
    init = F.orthogonal()
    draws = np.stack([init(rng, (3, 3), np.float64) for _ in range(3000)])
    assert_fits(draws[:, 1, 0], scipy.stats.uniform(-1, 2))


@pytest.mark.parametrize("shape", [(3, 4, 6), (3, 3, 5, 5), (4, 2, 6, 8), (3, 3, 3, 2, 4)])
def test_delta_orthogonal_center_is_orthogonal_and_the_rest_zero(shape):
    w = F.delta_orthogonal(2.0)(9, shape, np.float64)
    center = tuple((k - 1) // 2 for k in shape[:-2])  # jax/_src/nn/initializers.py: (k-1)//2
    tap = w[center]
    np.testing.assert_allclose(tap @ tap.T, 4.0 * np.eye(shape[-2]), atol=1e-12)  # in <= out: rows orthonormal
    assert np.count_nonzero(w) == np.count_nonzero(tap)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_default_and_overridden_dtypes(dtype):
    assert F.he_normal(dtype=dtype)(0, (4, 4)).dtype == dtype
    assert F.he_normal()(0, (4, 4), dtype).dtype == dtype
    assert F.orthogonal(dtype=dtype)(0, (4, 4)).dtype == dtype
    assert F.truncated_normal(dtype=dtype)(0, (4, 4)).dtype == dtype
    assert F.uniform()(0, (4,), dtype).dtype == dtype


shapes = hs.lists(hs.integers(1, 6), min_size=2, max_size=4).map(tuple)


@settings(max_examples=50, deadline=None)
@given(shapes, hs.floats(0.1, 5.0), hs.sampled_from(["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]), hs.data())
def test_variance_scaling_uniform_bound_on_any_axes(shape, scale, mode, data):
    in_axis, out_axis = data.draw(hs.permutations(range(len(shape))).map(lambda p: (p[0] - len(shape), p[1])))
    fan_in, fan_out = jax_fans(shape, in_axis, out_axis, ())
    bound = math.sqrt(3 * scale / denominator(mode, fan_in, fan_out))
    w = F.variance_scaling(scale, mode, "uniform", in_axis, out_axis, dtype=np.float64)(0, shape)
    assert np.abs(w).max() <= bound * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(shapes, hs.data())
def test_orthogonal_property_on_any_column_axis(shape, data):
    column_axis = data.draw(hs.integers(-len(shape), len(shape) - 1))
    w = F.orthogonal(column_axis=column_axis)(1, shape, np.float64)
    m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(min(m.shape)), atol=1e-10)


@pytest.mark.parametrize(("call", "error", "match"), [
    # raised by the factory call itself, before any init
    (lambda: F.variance_scaling(0.0, "fan_in", "normal"), ValueError, "scale must be a finite real number > 0"),
    (lambda: F.variance_scaling(1.0, "fan_inn", "normal"), ValueError,
     "mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; got 'fan_inn'"),
    (lambda: F.variance_scaling(1.0, "fan_in", "gaussian"), ValueError,
     "distribution must be one of 'truncated_normal', 'normal', 'uniform'; got 'gaussian'"),
    (lambda: F.variance_scaling(1.0, "fan_in", "normal", in_axis="0"), TypeError, "in_axis must be an int"),
    (lambda: F.variance_scaling(1.0, "fan_in", "normal", batch_axis=[0.5]), TypeError, "batch_axis must be"),
    (lambda: F.he_normal(dtype=np.int8), TypeError, "dtype must be one of float16, float32, float64"),
    (lambda: F.orthogonal(column_axis=(0, 1)), TypeError, "column_axis must be an int"),
    (lambda: F.orthogonal(scale=float("inf")), ValueError, "scale must be a finite"),
    (lambda: F.delta_orthogonal(column_axis="x"), TypeError, "column_axis must be"),
    (lambda: F.truncated_normal(-1.0), ValueError, "stddev must be a finite real number > 0"),
    (lambda: F.truncated_normal(lower=2.0, upper=-2.0), ValueError, "lower must be < upper"),
    (lambda: F.normal(-0.1), ValueError, "stddev must be"),
    (lambda: F.uniform("big"), TypeError, "scale must be a finite real number; got str"),
    (lambda: F.constant("a", dtype=np.float32), ValueError, "value must be convertible to float32; got 'a'"),
    # raised at init time, where the shape is known
    (lambda: F.glorot_uniform()(0, (5,)), ValueError, "at least 2 dimensions"),
    (lambda: F.glorot_uniform(in_axis=3)(0, (5, 4)), ValueError, "in_axis 3 is out of range"),
    (lambda: F.glorot_uniform()(0, (5, 4), np.int64), TypeError, "dtype must be one of"),
    (lambda: F.glorot_uniform()("key", (5, 4)), TypeError, "rng must be"),
    (lambda: F.orthogonal()(0, (5,)), ValueError, "at least 2 dimensions"),
    (lambda: F.orthogonal(column_axis=2)(0, (5, 4)), ValueError, "column_axis 2 is out of range"),
    (lambda: F.delta_orthogonal()(0, (3, 3)), ValueError, "3, 4 or 5 dimensions"),
    (lambda: F.delta_orthogonal()(0, (3, 3, 6, 4)), ValueError, "in <= out"),
])
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
