"""``workers=`` in initref.numpy: today's bits by default, block streams independent of the thread count.

Statistics: fixed seeds, and each interval rejects a correct implementation with probability
P_FAIL = 1e-6 (two-sided: a normal interval for means, the chi-square interval for a normal
sample's variance, a normal interval with the fourth moment for other variances). Fewer than
40 such assertions here: the chance a correct implementation fails any is below 4e-5.
"""

import math
import threading
from functools import partial

import numpy as np
import pytest
import scipy.special
import scipy.stats

import initref.numpy as inp
from initref._generated import formulas
from initref.numpy import _parallel
from initref.numpy import factories as fac

P_FAIL = 1e-6  # per-assertion false-failure probability
Z = scipy.stats.norm.isf(P_FAIL / 2)  # 4.89
B = _parallel.BLOCK_SIZE
SEEDS = (0, 1, 2**40 + 3)
ODD_SHAPES = ((3, 70001), (5, 7, 3001), (B + 1,), (B - 1,))  # none a multiple of the block size

def _convention(shape, convention, **kw):
    return inp.truncated_normal(shape, 0.5, -1.0, 3.0, convention=convention, **kw)


def _scaling(shape, distribution, **kw):
    return inp.variance_scaling(shape, 2.0, "fan_avg", distribution, **kw)


def _factory(shape, make, rng, dtype=np.float32, workers=None):
    return make(workers=workers)(rng, shape, dtype)


FACTORIES = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
             "normal", "uniform", "truncated_normal")
# name -> call(shape, rng=, dtype=, workers=): every i.i.d. initializer and factory
CALLS = {
    "normal": lambda s, **k: inp.normal(s, 0.5, 2.0, **k),
    "uniform": lambda s, **k: inp.uniform(s, -1.0, 3.0, **k),
    "trunc_normal": lambda s, **k: inp.trunc_normal(s, 0.1, 0.5, -0.4, 1.0, **k),
    **{f"truncated_normal[{c}]": partial(_convention, convention=c) for c in inp.TRUNCATION_CONVENTIONS},
    "xavier_uniform": inp.xavier_uniform,
    "xavier_normal": inp.xavier_normal,
    "kaiming_uniform": inp.kaiming_uniform,
    "kaiming_normal": inp.kaiming_normal,
    "lecun_uniform": inp.lecun_uniform,
    "lecun_normal": inp.lecun_normal,
    **{f"variance_scaling[{d}]": partial(_scaling, distribution=d) for d in inp.DISTRIBUTIONS},
    **{f"factories.variance_scaling[{d}]": partial(_factory, make=partial(fac.variance_scaling, 1.5, "fan_in", d))
       for d in inp.DISTRIBUTIONS},
    **{f"factories.{n}": partial(_factory, make=getattr(fac, n)) for n in FACTORIES},
}


def _affine(out, scale, shift):
    np.multiply(out, scale, out=out)
    np.add(out, shift, out=out)
    return out


# --- workers=None: the single stream, bit for bit ----------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_default_is_the_single_generator_stream(seed, dtype):
    """workers=None (and omitted) gives the bits of one Generator drawn over the array, as before."""
    shape = (37, 129)
    rng = lambda: np.random.default_rng(seed)  # noqa: E731
    direct_normal = _affine(rng().standard_normal(shape, dtype=dtype), 2.0, 0.5)
    direct_uniform = _affine(rng().random(shape, dtype=dtype), 4.0, -1.0)
    for kw in ({}, {"workers": None}):
        np.testing.assert_array_equal(inp.normal(shape, 0.5, 2.0, rng=seed, dtype=dtype, **kw), direct_normal)
        np.testing.assert_array_equal(inp.uniform(shape, -1.0, 3.0, rng=rng(), dtype=dtype, **kw), direct_uniform)
        std = formulas.xavier_std(1.0, shape[1], shape[0])  # fans (in, out) = (129, 37)
        np.testing.assert_array_equal(inp.xavier_normal(shape, rng=seed, dtype=dtype, **kw),
                                      rng().standard_normal(shape, dtype=dtype) * dtype(std))
        np.testing.assert_array_equal(fac.normal(0.3, **kw)(seed, shape, dtype),
                                      rng().standard_normal(shape, dtype=dtype) * dtype(0.3))


@pytest.mark.parametrize("seed", SEEDS)
def test_default_truncated_normal_is_the_single_stream_inverse_cdf(seed):
    """trunc_normal with workers=None: inverse CDF on ``rng.random(shape)``, as before."""
    shape, (mu, sigma, a, b) = (41, 53), (0.1, 0.5, -0.4, 1.0)
    lo, hi = -(b - mu) / sigma, -(a - mu) / sigma  # reflected (more of [a, b] lies above mu)
    u = np.random.default_rng(seed).random(shape, dtype=np.float64)
    p_lo, p_hi = scipy.special.ndtr(lo), scipy.special.ndtr(hi)
    z = np.clip(scipy.special.ndtri(u * (p_hi - p_lo) + p_lo), lo, hi)
    expected = np.clip(z * -sigma + mu, a, b)
    np.testing.assert_array_equal(inp.trunc_normal(shape, mu, sigma, a, b, rng=seed, dtype=np.float64), expected)


# --- workers=k: independent of k ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CALLS))
def test_workers_result_does_not_depend_on_the_thread_count(name):
    call = CALLS[name]
    for shape in ODD_SHAPES[:2]:
        results = [call(shape, rng=11, workers=k) for k in (1, 2, 3, 4)]
        for result in results[1:]:
            np.testing.assert_array_equal(result, results[0])
        assert results[0].shape == shape and results[0].dtype == np.float32
        assert not np.array_equal(call(shape, rng=11), results[0])  # workers=None: another stream entirely


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", ODD_SHAPES)
def test_workers_independent_of_k_for_every_dtype_and_odd_size(dtype, shape):
    results = [inp.trunc_normal(shape, 0.0, 1.0, -1.5, 2.5, rng=np.random.default_rng(3), dtype=dtype, workers=k)
               for k in (1, 2, 3, 4)]
    for result in results[1:]:
        assert result.dtype == dtype
        np.testing.assert_array_equal(result, results[0])


def test_block_j_is_philox_seeded_by_the_seed_sequence_spawn():
    """The documented derivation: block j from Philox(SeedSequence(seed).spawn(n)[j]), the last one short."""
    n = 3 * B + 123
    out = inp.normal((n,), rng=2024, workers=2)
    children = np.random.SeedSequence(2024).spawn(4)
    for j, child in enumerate(children):
        expected = np.random.Generator(np.random.Philox(child)).standard_normal(
            min(B, n - j * B), dtype=np.float32)
        np.testing.assert_array_equal(out[j * B:(j + 1) * B], expected)


def test_a_generator_gives_one_128_bit_root_and_nothing_else():
    gen, twin = np.random.default_rng(77), np.random.default_rng(77)
    out = inp.uniform((2 * B + 5,), rng=gen, workers=3)
    high, low = twin.integers(0, 2**64, size=2, dtype=np.uint64)
    root = (int(high) << 64) | int(low)
    for j in range(3):
        block = np.random.Generator(np.random.Philox(np.random.SeedSequence(entropy=root, spawn_key=(j,))))
        np.testing.assert_array_equal(out[j * B:(j + 1) * B], block.random(min(B, out.size - j * B),
                                                                             dtype=np.float32))
    assert gen.integers(2**63) == twin.integers(2**63)  # the same state after: exactly two words drawn


def test_blocks_run_on_the_pool_threads():
    names = []
    lock = threading.Lock()

    def fill(gen, view):
        gen.random(dtype=view.dtype, out=view)
        with lock:
            names.append(threading.current_thread().name)

    _parallel.BlockStreams(5, 2).fill(np.empty(8 * B, dtype=np.float32), fill)
    assert len(names) == 8 and all(name.startswith("initref-fill") for name in names)


def test_a_rejected_call_leaves_the_generator_untouched():
    gen, twin = np.random.default_rng(8), np.random.default_rng(8)
    with pytest.raises(ValueError, match="no probability mass"):
        inp.truncated_normal((10,), 1.0, 40.0, 41.0, convention="sigma_relative", rng=gen, workers=2)
    assert gen.integers(2**63) == twin.integers(2**63)


# --- bad workers -------------------------------------------------------------------------------------

BAD_TYPES = (1.5, 2.0, "2", True, np.bool_(True), [2])
BAD_VALUES = (0, -1, np.int64(-3))


@pytest.mark.parametrize("workers", BAD_TYPES)
def test_non_int_workers_is_a_type_error(workers):
    for call in (lambda: inp.normal((4,), workers=workers), lambda: inp.variance_scaling((0, 3), workers=workers),
                 lambda: inp.truncated_normal((4, 4), convention="absolute", workers=workers),
                 lambda: fac.he_normal(workers=workers), lambda: fac.uniform(workers=workers)):
        with pytest.raises(TypeError, match="workers"):
            call()


@pytest.mark.parametrize("workers", BAD_VALUES)
def test_non_positive_workers_is_a_value_error(workers):
    for call in (lambda: inp.uniform((4,), workers=workers), lambda: inp.kaiming_uniform((0, 3), workers=workers),
                 lambda: fac.variance_scaling(1.0, "fan_in", "normal", workers=workers),
                 lambda: fac.truncated_normal(workers=workers)):
        with pytest.raises(ValueError, match="workers"):
            call()


def test_numpy_int_workers_is_accepted_and_a_bad_seed_still_named():
    np.testing.assert_array_equal(inp.normal((9,), rng=1, workers=np.int64(2)), inp.normal((9,), rng=1, workers=2))
    with pytest.raises(ValueError, match="rng"):
        inp.normal((9,), rng=-1, workers=2)
    with pytest.raises(TypeError, match="rng"):
        inp.normal((9,), rng="seed", workers=2)


# --- statistics of the workers path --------------------------------------------------------------------

N = 4 * B + 4321  # several blocks and a short one


def _assert_mean(x, mean, variance):
    assert abs(x.mean() - mean) < Z * math.sqrt(variance / x.size)


def _assert_normal_variance(x, variance):
    """(n-1) s^2 / sigma^2 ~ chi^2_{n-1}: two-sided interval at P_FAIL."""
    dof = x.size - 1
    lo, hi = scipy.stats.chi2.ppf([P_FAIL / 2, 1 - P_FAIL / 2], dof)
    assert lo < dof * x.var(ddof=1) / variance < hi


def _assert_variance(x, variance, kurtosis):
    """Sample variance within Z standard errors, SE^2 = (kurtosis - 1) sigma^4 / n (normal approximation)."""
    assert abs(x.var() - variance) < Z * variance * math.sqrt((kurtosis - 1.0) / x.size)


@pytest.mark.parametrize("seed", (5, 6))
def test_workers_normal_moments(seed):
    x = inp.normal((N,), 0.5, 2.0, rng=seed, dtype=np.float64, workers=2)
    _assert_mean(x, 0.5, 4.0)
    _assert_normal_variance(x, 4.0)
    first, second = x[:B] - 0.5, x[B:2 * B] - 0.5  # blocks 0 and 1: uncorrelated streams
    assert abs(np.mean(first * second)) < Z * 4.0 / math.sqrt(B)  # Var(XY) = sigma^4 for independent X, Y


@pytest.mark.parametrize("seed", (5, 6))
def test_workers_uniform_moments(seed):
    x = inp.uniform((N,), -1.0, 3.0, rng=seed, dtype=np.float64, workers=3)
    variance = 4.0**2 / 12
    _assert_mean(x, 1.0, variance)
    _assert_variance(x, variance, kurtosis=9 / 5)  # U(a, b): mu4 / sigma^4 = 9/5
    assert x.min() >= -1.0 and x.max() < 3.0


@pytest.mark.parametrize("seed", (5, 6))
def test_workers_variance_corrected_truncated_normal_moments(seed):
    x = inp.variance_scaling((N, 1), 2.0, "fan_in", "truncated_normal", rng=seed, dtype=np.float64, workers=2)
    variance, bound = 2.0, formulas.TRUNCATED_NORMAL_BOUND
    kurtosis = 3.0 + float(scipy.stats.truncnorm(-bound, bound).stats(moments="k"))
    _assert_mean(x, 0.0, variance)
    _assert_variance(x, variance, kurtosis)
    limit = math.sqrt(variance) / formulas.TRUNCATED_NORMAL_STD_CORRECTION * bound
    assert np.abs(x).max() <= limit * (1 + 1e-12)


def test_workers_uniform_float32_fits_its_distribution():
    x = inp.kaiming_uniform((N // 256, 256), nonlinearity="relu", rng=9, workers=2)
    bound = math.sqrt(6.0 / 256)
    assert scipy.stats.kstest(x.ravel().astype(np.float64), scipy.stats.uniform(-bound, 2 * bound).cdf).pvalue > P_FAIL
