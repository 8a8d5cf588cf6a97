"""initref.numpy's torch-named initializers: distributions, structure, dtypes, properties, bad input.

Statistics: every random test uses a fixed seed and rejects at a stated false-failure
probability. One-sample KS tests against the exact distribution reject when p < P_FAIL; moment
tests use a two-sided normal interval at P_FAIL. With P_FAIL = 1e-6 and fewer than 200 such
assertions in this file, the chance that a correct implementation fails any of them for the
fixed seeds chosen is below 2e-4 (union bound).
"""

import math
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as hs

import initref.numpy as inp

P_FAIL = 1e-6  # per-assertion false-failure probability
Z = scipy.stats.norm.isf(P_FAIL / 2)  # two-sided normal interval: p_fail = 1e-6 -> z = 4.89

FLOATS = (np.float16, np.float32, np.float64)
RANDOM = {  # name -> call with a shape, for the generic dtype/shape/seed tests
    "uniform": lambda s, **k: inp.uniform(s, -1.0, 2.0, **k),
    "normal": lambda s, **k: inp.normal(s, 0.5, 2.0, **k),
    "trunc_normal": lambda s, **k: inp.trunc_normal(s, 0.0, 1.0, -1.0, 2.0, **k),
    "truncated_normal": lambda s, **k: inp.truncated_normal(s, 0.1, convention="variance_corrected", **k),
    "xavier_uniform": inp.xavier_uniform,
    "xavier_normal": inp.xavier_normal,
    "kaiming_uniform": inp.kaiming_uniform,
    "kaiming_normal": inp.kaiming_normal,
    "lecun_uniform": inp.lecun_uniform,
    "lecun_normal": inp.lecun_normal,
    "variance_scaling": inp.variance_scaling,
    "orthogonal": inp.orthogonal,
    "sparse": lambda s, **k: inp.sparse(s, 0.25, **k),
}


def ks_p(sample, cdf):
    return scipy.stats.kstest(np.asarray(sample, dtype=np.float64).ravel(), cdf).pvalue


def assert_fits(sample, dist):
    p = ks_p(sample, dist.cdf)
    assert p > P_FAIL, f"KS p = {p:.2e} < {P_FAIL}"


def assert_variance(sample, variance, kurtosis=3.0):
    """Sample variance within Z standard errors: SE^2 = (mu4 - sigma^4)/n = (kurtosis - 1) sigma^4 / n."""
    x = np.asarray(sample, dtype=np.float64).ravel()
    se = variance * math.sqrt((kurtosis - 1.0) / x.size)
    assert abs(x.var() - variance) < Z * se


# --- distributions (one-sample KS against the exact law) -------------------------------------------

def test_uniform_and_normal_follow_their_laws():
    assert_fits(inp.uniform((200, 100), -0.5, 1.5, rng=1), scipy.stats.uniform(-0.5, 2.0))
    assert_fits(inp.normal((200, 100), 0.3, 2.0, rng=2), scipy.stats.norm(0.3, 2.0))


@pytest.mark.parametrize(("mean", "std", "a", "b"), [(0.0, 1.0, -2.0, 2.0), (0.5, 0.2, -0.1, 0.4),
                                                     (0.0, 1.0, 3.0, 5.0), (0.0, 1.0, -9.0, -7.5),
                                                     (0.0, 0.02, -2.0, 2.0), (3.0, 1.0, -1.0, 0.0)])
def test_trunc_normal_is_the_absolute_truncated_normal(mean, std, a, b):
    x = inp.trunc_normal((20000,), mean, std, a, b, rng=3, dtype=np.float64)
    assert a <= x.min() and x.max() <= b
    assert_fits(x, scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std))


@pytest.mark.parametrize("bounds", [(-2.0, 2.0), (-1.0, 3.0), (0.5, 1.5)])
def test_truncated_normal_conventions_are_four_distinct_laws(bounds):
    lower, upper = bounds
    std, shape = 0.5, (200, 100)  # fan_in 100 for width_scaled
    c = scipy.stats.truncnorm(lower, upper).std()  # independent of initref's closed form
    expected = {
        "absolute": scipy.stats.truncnorm(lower / std, upper / std, scale=std),
        "sigma_relative": scipy.stats.truncnorm(lower, upper, scale=std),
        "variance_corrected": scipy.stats.truncnorm(lower, upper, scale=std / c),
        "width_scaled": scipy.stats.truncnorm(lower, upper, scale=std / math.sqrt(100)),
    }
    for seed, (convention, dist) in enumerate(expected.items()):
        x = inp.truncated_normal(shape, std, lower, upper, convention=convention, rng=seed, dtype=np.float64)
        assert_fits(x, dist)
    corrected = inp.truncated_normal(shape, std, lower, upper, convention="variance_corrected", rng=9)
    assert_variance(corrected, std**2, kurtosis=3.0 + float(scipy.stats.truncnorm(lower, upper).stats(moments="k")))


def glorot_bound(fan_in, fan_out, gain=1.0):
    return gain * math.sqrt(6.0 / (fan_in + fan_out))  # Glorot & Bengio (2010), eq. 16


@pytest.mark.parametrize("shape", [(300, 80), (64, 16, 3, 3)])
def test_xavier_laws(shape):
    fan_in, fan_out = shape[1] * math.prod(shape[2:]), shape[0] * math.prod(shape[2:])
    r = glorot_bound(fan_in, fan_out, 1.7)
    assert_fits(inp.xavier_uniform(shape, 1.7, rng=4), scipy.stats.uniform(-r, 2 * r))
    assert_fits(inp.xavier_normal(shape, 1.7, rng=5), scipy.stats.norm(0, r / math.sqrt(3.0)))


@pytest.mark.parametrize(("a", "mode", "nonlinearity", "gain"), [
    (0, "fan_in", "relu", math.sqrt(2.0)),  # He et al. (2015), eq. 10
    (0.2, "fan_out", "leaky_relu", math.sqrt(2.0 / 1.04)),  # He et al. (2015), eq. 14 with a = 0.2
    (0, "FAN_IN", "linear", 1.0),  # torch lower-cases the mode
    (0, "fan_in", "tanh", 5.0 / 3.0),  # torch/nn/init.py calculate_gain("tanh")
])
def test_kaiming_laws(a, mode, nonlinearity, gain):
    shape = (120, 40, 3)
    fan = (40 if mode.lower() == "fan_in" else 120) * 3
    std = gain / math.sqrt(fan)
    r = math.sqrt(3.0) * std
    assert_fits(inp.kaiming_uniform(shape, a, mode, nonlinearity, rng=6), scipy.stats.uniform(-r, 2 * r))
    assert_fits(inp.kaiming_normal(shape, a, mode, nonlinearity, rng=7), scipy.stats.norm(0, std))


def test_lecun_laws_are_untruncated_with_variance_one_over_fan_in():
    shape = (150, 90)
    r = math.sqrt(3.0 / 90)
    assert_fits(inp.lecun_uniform(shape, rng=8), scipy.stats.uniform(-r, 2 * r))
    assert_fits(inp.lecun_normal(shape, rng=9), scipy.stats.norm(0, 1 / math.sqrt(90)))


def test_conv_fan_options_change_the_law():
    # A transposed conv weight (in=48, out=24, 3, 3) with stride 2: each output gathers
    # in * k / stride^2 = 48 * 9 / 4 = 108 products (Dumoulin & Visin 2016); torch's rule says 24 * 9.
    w = inp.lecun_normal((48, 24, 3, 3), transposed=True, stride=2, rng=30)
    assert_fits(w, scipy.stats.norm(0, 1 / math.sqrt(108)))
    # grouped conv (out=64, in/groups=8, 3, 3), 4 groups: fan_out = 64 * 9 / 4 = 144, fan_in 72
    w = inp.variance_scaling((64, 8, 3, 3), 1.0, "fan_out", "normal", groups=4, rng=31)
    assert_fits(w, scipy.stats.norm(0, 1 / math.sqrt(144)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
def test_variance_scaling_laws(mode):
    shape, scale = (96, 48, 3), 2.0
    fan_in, fan_out = 48 * 3, 96 * 3
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    std = math.sqrt(scale / n)
    c = scipy.stats.truncnorm(-2, 2).std()
    laws = {"truncated_normal": scipy.stats.truncnorm(-2, 2, scale=std / c), "normal": scipy.stats.norm(0, std),
            "uniform": scipy.stats.uniform(-math.sqrt(3) * std, 2 * math.sqrt(3) * std)}
    for seed, (distribution, law) in enumerate(laws.items()):
        assert_fits(inp.variance_scaling(shape, scale, mode, distribution, rng=seed), law)


def test_sampling_is_in_the_target_dtype_with_no_float64_detour():
    # normal draws exactly Generator.standard_normal(dtype=float32) scaled in float32, bit for bit
    expected = np.random.default_rng(7).standard_normal((50, 40), dtype=np.float32) * np.float32(2.0)
    np.testing.assert_array_equal(inp.normal((50, 40), 0.0, 2.0, rng=7), expected)
    expected = np.random.default_rng(8).random((50, 40), dtype=np.float32) * np.float32(3.0) + np.float32(-1.0)
    np.testing.assert_array_equal(inp.uniform((50, 40), -1.0, 2.0, rng=8), expected)


@pytest.mark.parametrize("name", ["normal", "uniform", "trunc_normal", "kaiming_normal", "xavier_uniform",
                                  "variance_scaling"])
def test_elementwise_initializers_allocate_no_second_full_size_buffer(name):
    shape = (512, 512)  # 1 MiB of float32
    RANDOM[name]((4, 4), rng=0)  # warm up caches of first calls
    tracemalloc.start()
    try:
        out = RANDOM[name](shape, rng=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.dtype == np.float32
    assert peak < 1.25 * out.nbytes, f"peak {peak} bytes for a {out.nbytes}-byte result"


# --- dtypes, shapes, seeds ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(RANDOM))
@pytest.mark.parametrize("dtype", FLOATS)
def test_random_initializers_return_the_requested_dtype_and_shape(name, dtype):
    out = RANDOM[name]((24, 20), rng=11, dtype=dtype)
    assert out.dtype == dtype and out.shape == (24, 20) and out.flags.c_contiguous
    assert np.isfinite(out).all()
    assert out.std(dtype=np.float64) > 0


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_seeds_reproduce_and_generators_advance(name):
    np.testing.assert_array_equal(RANDOM[name]((8, 6), rng=5), RANDOM[name]((8, 6), rng=5))
    rng = np.random.default_rng(5)
    first, second = RANDOM[name]((8, 6), rng=rng), RANDOM[name]((8, 6), rng=rng)
    assert not np.array_equal(first, second)


def test_float16_moments_match_the_float32_law():
    x = inp.kaiming_normal((400, 100), nonlinearity="relu", rng=12, dtype=np.float16)
    assert x.dtype == np.float16
    # float16 rounding adds a relative error <= 2**-11 per value: variance changes by < 1e-3 relative,
    # far inside the sampling interval below.
    assert_variance(x, 2.0 / 100)
    assert abs(x.astype(np.float64).mean()) < Z * math.sqrt(0.02 / x.size)


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_zero_element_shapes_give_empty_arrays(name):
    out = RANDOM[name]((0, 5), rng=0)
    assert out.shape == (0, 5) and out.dtype == np.float32


def test_import_initref_numpy_loads_neither_sympy_nor_torch():
    code = "import sys, initref.numpy; print(sorted(m for m in ('sympy', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- structure ----------------------------------------------------------------------------------

def test_constant_ones_zeros_eye():
    assert (inp.constant((3, 2), 0.25) == np.float32(0.25)).all()
    assert inp.constant((2,), 3, dtype=np.int64).dtype == np.int64
    assert (inp.ones((2, 3), dtype=np.float64) == 1).all() and (inp.zeros((2, 3)) == 0).all()
    np.testing.assert_array_equal(inp.eye((3, 5)), np.eye(3, 5, dtype=np.float32))


@pytest.mark.parametrize(("shape", "groups"), [((4, 4, 3), 1), ((6, 2, 3, 3), 3), ((8, 3, 2, 3, 5), 2),
                                               ((3, 5, 4, 4), 1)])
def test_dirac_maps_each_group_channel_to_itself(shape, groups):
    w = inp.dirac(shape, groups)
    per_group = shape[0] // groups
    center = tuple(k // 2 for k in shape[2:])
    assert w.sum() == groups * min(per_group, shape[1])
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            assert w[(g * per_group + d, d, *center)] == 1


@pytest.mark.parametrize("shape", [(7, 7), (9, 4), (4, 9), (5, 3, 2, 2), (1, 6)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_has_orthonormal_rows_or_columns(shape, gain):
    w = inp.orthogonal(shape, gain, rng=13, dtype=np.float64).reshape(shape[0], -1)
    small = min(w.shape)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-12)


def test_orthogonal_float32_large_is_orthogonal_to_float32_precision():
    w = inp.orthogonal((256, 256), rng=14).astype(np.float64)
    # Householder QR loses O(n eps) orthogonality; n eps = 256 * 6e-8 = 1.5e-5
    assert np.abs(w.T @ w - np.eye(256)).max() < 1e-4


def test_orthogonal_square_entries_are_uniform_as_for_haar():
    # Archimedes: every coordinate of a uniform point on the sphere S^2 is U(-1, 1), so every entry of
    # a Haar-distributed 3 x 3 orthogonal matrix is; one entry per matrix keeps the sample i.i.d.
    rng = np.random.default_rng(15)
    draws = np.stack([inp.orthogonal((3, 3), rng=rng, dtype=np.float64) for _ in range(3000)])
    for i, j in [(0, 0), (1, 2), (2, 1)]:
        assert_fits(draws[:, i, j], scipy.stats.uniform(-1, 2))
    negative = int((np.linalg.det(draws) < 0).sum())  # det = -1 half the time: Binomial(3000, 1/2)
    assert abs(negative - 1500) < Z * math.sqrt(3000 * 0.25)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5)])
def test_orthogonal_rectangular_entries_follow_the_sphere_marginal(shape):
    # A coordinate x of a uniform point on S^4 has density (1 - x^2) on [-1, 1]: (x + 1)/2 ~ Beta(2, 2)
    rng = np.random.default_rng(16)
    draws = np.stack([inp.orthogonal(shape, rng=rng, dtype=np.float64) for _ in range(2000)])
    assert_fits((draws[:, 0, 0] + 1) / 2, scipy.stats.beta(2, 2))
    assert_fits((draws[:, 2, 1] + 1) / 2, scipy.stats.beta(2, 2))


def test_sparse_zeros_a_uniform_subset_of_each_column():
    rows, cols, sparsity = 10, 4000, 0.25
    w = inp.sparse((rows, cols), sparsity, std=0.3, rng=17, dtype=np.float64)
    k = math.ceil(sparsity * rows)
    assert ((w == 0).sum(axis=0) == k).all()
    assert_fits(w[w != 0], scipy.stats.norm(0, 0.3))
    # which rows are zero: each row is zero in a column with probability k/rows; chi-square over rows
    counts = (w == 0).sum(axis=1)
    expected = cols * k / rows
    stat = ((counts - expected) ** 2 / (expected * (1 - k / rows))).sum()
    assert scipy.stats.chi2(rows - 1).sf(stat * (rows - 1) / rows) > P_FAIL


@pytest.mark.parametrize("shape", [(6, 4, 3), (8, 8, 3, 3), (5, 2, 4, 4), (4, 3, 3, 3, 3)])
def test_delta_orthogonal_is_an_orthogonal_center_tap(shape):
    w = inp.delta_orthogonal(shape, 2.0, rng=18, dtype=np.float64)
    center = tuple((k - 1) // 2 for k in shape[2:])  # JAX/TF centre, as initref.torch.delta_orthogonal_
    tap = w[(slice(None), slice(None), *center)]
    np.testing.assert_allclose(tap.T @ tap, 4.0 * np.eye(shape[1]), atol=1e-12)
    assert np.count_nonzero(w) == np.count_nonzero(tap)


@pytest.mark.parametrize(("rows", "cols"), [(4, 4), (3, 7), (8, 3), (6, 5), (16, 16), (13, 1)])
def test_zero_init_is_partial_identity_or_scaled_hadamard_block(rows, cols):
    w = inp.zero_init((rows, cols), dtype=np.float64)
    if rows <= cols:
        np.testing.assert_array_equal(w, np.eye(rows, cols))
        return
    size = 1 << math.ceil(math.log2(rows))
    # Zhao et al. (2022), Algorithm 1: c I* H_m I* with the authors' notebook scale 1/sqrt(2^m)
    np.testing.assert_allclose(w, scipy.linalg.hadamard(size)[:rows, :cols] / math.sqrt(size), rtol=1e-15)


def test_zero_init_of_a_power_of_two_width_has_orthonormal_columns_and_kernels_use_the_center():
    w = inp.zero_init((16, 5), dtype=np.float64)
    np.testing.assert_allclose(w.T @ w, np.eye(5), atol=1e-15)
    k = inp.zero_init((8, 3, 3, 4))
    np.testing.assert_array_equal(k[:, :, 1, 2], inp.zero_init((8, 3)))
    assert np.count_nonzero(k) == np.count_nonzero(k[:, :, 1, 2])
    assert inp.zero is inp.zero_init


# --- property-based -------------------------------------------------------------------------------

shapes = hs.lists(hs.integers(1, 7), min_size=2, max_size=4).map(tuple)
gains = hs.floats(0.01, 10.0)


@settings(max_examples=40, deadline=None)
@given(shapes, gains, hs.sampled_from(["fan_in", "fan_out"]), hs.sampled_from(FLOATS))
def test_uniform_families_stay_within_their_bounds(shape, gain, mode, dtype):
    k = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * k, shape[0] * k
    slack = 1 + 2 * np.finfo(dtype).eps
    xavier = inp.xavier_uniform(shape, gain, rng=0, dtype=dtype)
    assert np.abs(xavier).max() <= glorot_bound(fan_in, fan_out, gain) * slack
    bound = math.sqrt(3.0 / (fan_in if mode == "fan_in" else fan_out))
    kaiming = inp.kaiming_uniform(shape, mode=mode, nonlinearity="linear", rng=0, dtype=dtype)
    assert np.abs(kaiming).max() <= bound * slack


@settings(max_examples=40, deadline=None)
@given(shapes, hs.floats(0.1, 4.0), hs.sampled_from(["fan_in", "fan_out", "fan_avg", "fan_geo_avg"]))
def test_variance_scaling_truncated_normal_stays_within_two_corrected_stds(shape, scale, mode):
    k = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * k, shape[0] * k
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    limit = 2 * math.sqrt(scale / n) / scipy.stats.truncnorm(-2, 2).std()
    w = inp.variance_scaling(shape, scale, mode, rng=1, dtype=np.float64)
    assert np.abs(w).max() <= limit * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(hs.floats(-3, 3), hs.floats(0.05, 5), hs.sampled_from(inp.TRUNCATION_CONVENTIONS), hs.sampled_from(FLOATS))
def test_every_truncation_convention_respects_its_bounds(lower, width, convention, dtype):
    # bounds reach within 3 of 0 and are >= 0.05 wide: the domain where the closed-form variance the
    # variance_corrected convention divides by is accurate (see tests/test_formulas.py)
    upper, std, shape = lower + width, 0.7, (9, 4)
    w = inp.truncated_normal(shape, std, lower, upper, convention=convention, rng=2, dtype=dtype)
    unit = {"absolute": 1.0, "sigma_relative": std, "width_scaled": std / 2.0,
            "variance_corrected": std / math.sqrt(scipy.stats.truncnorm(lower, upper).var())}[convention]
    lo, hi = sorted((lower * unit, upper * unit))
    tol = 4 * np.finfo(dtype).eps * max(abs(lo), abs(hi))
    assert w.dtype == dtype and lo - tol <= w.min() and w.max() <= hi + tol


@settings(max_examples=30, deadline=None)
@given(shapes, hs.floats(-3, 3).filter(lambda g: abs(g) > 1e-3))
def test_orthogonal_property(shape, gain):
    w = inp.orthogonal(shape, gain, rng=3, dtype=np.float64).reshape(shape[0], -1)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(w.shape)), atol=1e-10 * gain**2)


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: inp.uniform((2, 2), 1.0, 0.0), ValueError, "a must be <= b"),
    (lambda: inp.uniform((2, 2), float("nan")), ValueError, "a must be a finite"),
    (lambda: inp.normal((2, 2), std=-1.0), ValueError, "std must be"),
    (lambda: inp.normal((2, 2), rng="seed"), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: inp.normal((2, 2), rng=np.random.RandomState(0)), TypeError, "got RandomState"),
    (lambda: inp.normal((2, 2), rng=-3), ValueError, "non-negative int seed"),
    (lambda: inp.normal((2, 2), rng=True), TypeError, "rng must be"),
    (lambda: inp.normal((2, -2)), ValueError, "shape must have non-negative"),
    (lambda: inp.normal("2x2"), TypeError, "shape must be an int or a sequence of ints"),
    (lambda: inp.normal((2, 2), dtype=np.int32), TypeError, "dtype must be one of float16, float32, float64"),
    (lambda: inp.normal((2, 2), dtype="bfloat16"), TypeError, "dtype must be one of"),
    (lambda: inp.trunc_normal((2, 2), a=1.0, b=1.0), ValueError, "a must be < b"),
    (lambda: inp.trunc_normal((2, 2), std=0.0), ValueError, "std must be a finite real number > 0"),
    (lambda: inp.trunc_normal((2, 2), 0.0, 1.0, 60.0, 70.0), ValueError, "no probability mass"),
    (lambda: inp.truncated_normal((2, 2)), TypeError, "convention"),
    (lambda: inp.truncated_normal((2, 2), convention="relative"), ValueError,
     "convention must be one of 'absolute', 'sigma_relative', 'variance_corrected', 'width_scaled'; got 'relative'"),
    (lambda: inp.truncated_normal((2, 2), lower=1, upper=0, convention="sigma_relative"), ValueError,
     "lower must be < upper"),
    (lambda: inp.xavier_uniform((5,)), ValueError, "fewer than 2 dimensions"),
    (lambda: inp.xavier_normal((3, 3), gain=-1.0), ValueError, "gain must be"),
    (lambda: inp.kaiming_uniform((3, 3), mode="fan_inn"), ValueError, "mode must be one of 'fan_in', 'fan_out'"),
    (lambda: inp.kaiming_normal((3, 3), nonlinearity="relux"), ValueError, "relux"),
    (lambda: inp.kaiming_normal((3, 3), a="x"), ValueError, "negative_slope x not a valid number"),
    (lambda: inp.variance_scaling((3, 3), 0.0), ValueError, "scale must be a finite real number > 0"),
    (lambda: inp.variance_scaling((3, 3), mode="fan_sum"), ValueError, "mode must be one of 'fan_in'"),
    (lambda: inp.variance_scaling((3, 3), distribution="laplace"), ValueError,
     "distribution must be one of 'truncated_normal', 'normal', 'uniform'; got 'laplace'"),
    (lambda: inp.orthogonal((4,)), ValueError, "at least 2 dimensions"),
    (lambda: inp.sparse((3, 3, 3), 0.1), ValueError, "2 dimensions"),
    (lambda: inp.sparse((3, 3), 1.5), ValueError, r"sparsity must lie in \[0, 1\]"),
    (lambda: inp.eye((3, 3, 3)), ValueError, "2 dimensions"),
    (lambda: inp.dirac((3, 3)), ValueError, "3, 4 or 5 dimensions"),
    (lambda: inp.dirac((6, 3, 3), groups=4), ValueError, "groups must divide shape"),
    (lambda: inp.dirac((6, 3, 3), groups=0), ValueError, "groups must be a positive int"),
    (lambda: inp.dirac((6, 3, 3), groups=2.0), TypeError, "groups must be a positive int; got float"),
    (lambda: inp.delta_orthogonal((3, 3)), ValueError, "3, 4 or 5 dimensions"),
    (lambda: inp.delta_orthogonal((2, 4, 3)), ValueError, "out >= in"),
    (lambda: inp.zero_init((4, 4), dtype=np.int32), TypeError, "dtype must be one of"),
    (lambda: inp.zero_init((4,)), ValueError, "2 to 5 dimensions"),
    (lambda: inp.constant((2,), 1.0, dtype="U4"), TypeError, "numeric NumPy dtype"),
    (lambda: inp.constant((2,), "x"), ValueError, "val must be convertible to float32; got 'x'"),
    (lambda: inp.truncated_normal((2, 2), lower=1, upper=0, convention="absolute"), ValueError,
     "lower must be < upper"),
    (lambda: inp.ones((2,), rng="x"), TypeError, "rng must be"),
    (lambda: inp.lecun_normal((4, 4, 3), groups=1.5), TypeError, "groups must be an int"),
    (lambda: inp.lecun_normal((4, 4, 3), groups=3), ValueError, "groups must be a positive divisor"),
    (lambda: inp.variance_scaling((4, 4, 3), transposed="yes"), TypeError, "transposed must be a bool"),
])
def test_bad_input_is_rejected_with_a_message_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()
