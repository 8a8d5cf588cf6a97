"""initref.torch.extras: variance scaling, LeCun, delta-orthogonal, ZerO, generator-only sparse, conv fans."""

import math

import pytest
import scipy.linalg
import scipy.stats
import torch
import torch.nn.functional as F
import torch.nn.init as tinit
from hypothesis import given, settings
from hypothesis import strategies as hs
from torch_testing import DEVICES, P_FAIL, Z_FAIL, assert_ks, no_host_reads, same_bits  # noqa: F401 (fixture)

import initref.torch as init
from initref.fans import conv_fans

# The std of N(0, 1) truncated to [-2, 2]; jax/_src/nn/initializers.py divides by .87962566103423978.
JAX_CORRECTION = 0.87962566103423978


def fans_of(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def expected_fan(shape, mode):
    fan_in, fan_out = fans_of(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]


# ----------------------------------------------------------------------------- variance scaling

SHAPE = (96, 160, 3)  # 46080 draws, fan_in 480, fan_out 288


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_has_the_stated_law(mode, distribution):
    scale = 2.0
    std = math.sqrt(scale / expected_fan(SHAPE, mode))
    w = init.variance_scaling_(torch.empty(SHAPE, dtype=torch.float64), scale, mode, distribution,
                               generator=torch.Generator().manual_seed(0))
    law = {
        "normal": scipy.stats.norm(0, std),
        "uniform": scipy.stats.uniform(-math.sqrt(3) * std, 2 * math.sqrt(3) * std),
        "truncated_normal": scipy.stats.truncnorm(-2, 2, scale=std / JAX_CORRECTION),
    }[distribution]
    assert_ks(w, law)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_variance_corrected_truncated_normal_keeps_the_target_variance(dtype):
    scale, n = 1.0, 1 << 18
    w = init.variance_scaling_(torch.empty(n // 256, 256, dtype=dtype), scale, "fan_in",
                               generator=torch.Generator().manual_seed(1)).double()
    target = scale / 256
    law = scipy.stats.truncnorm(-2, 2, scale=math.sqrt(target) / JAX_CORRECTION)
    assert law.var() == pytest.approx(target, rel=1e-12)  # the correction constant is right
    # Var of the sample variance is (mu4 - sigma^4)/n; two-sided interval with p_fail = 1e-6.
    tolerance = Z_FAIL * math.sqrt((law.moment(4) - target**2) / w.numel())
    # Rounding to the dtype moves each value by a relative error of at most eps/2, so the variance
    # by at most about eps * target; allow 2 * eps * target on top of the sampling error.
    rounding = 2 * torch.finfo(dtype).eps * target
    assert abs(w.var().item() - target) < tolerance + rounding
    assert w.abs().max().item() <= 2 * math.sqrt(target) / JAX_CORRECTION * (1 + torch.finfo(dtype).eps)


def test_variance_scaling_named_cases_equal_the_drop_in_laws():
    # Glorot is (1, fan_avg, uniform): same bound as xavier_uniform_ up to the last bit of sqrt.
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = init.variance_scaling_(torch.empty(50, 70), 1.0, "fan_avg", "uniform", generator=g1)
    b = tinit.xavier_uniform_(torch.empty(50, 70), generator=g2)
    torch.testing.assert_close(a, b, rtol=1e-6, atol=0)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = init.variance_scaling_(torch.empty(50, 70), 2.0, "fan_in", "normal", generator=g1)
    b = tinit.kaiming_normal_(torch.empty(50, 70), nonlinearity="relu", generator=g2)
    torch.testing.assert_close(a, b, rtol=1e-6, atol=0)


@settings(max_examples=40, deadline=None)
@given(shape=hs.lists(hs.integers(1, 7), min_size=2, max_size=4), scale=hs.floats(1e-3, 1e3),
       mode=hs.sampled_from(init.extras.MODES), distribution=hs.sampled_from(init.extras.DISTRIBUTIONS),
       dtype=hs.sampled_from([torch.float32, torch.float64, torch.float16, torch.bfloat16]),
       seed=hs.integers(0, 2**32 - 1))
def test_property_variance_scaling_stays_in_its_support(shape, scale, mode, distribution, dtype, seed):
    w = torch.empty(shape, dtype=dtype)
    assert init.variance_scaling_(w, scale, mode, distribution, generator=torch.Generator().manual_seed(seed)) is w
    std = math.sqrt(scale / expected_fan(shape, mode))
    assert w.dtype == dtype and tuple(w.shape) == tuple(shape) and torch.isfinite(w).all()
    limit = {"uniform": math.sqrt(3) * std, "truncated_normal": 2 * std / JAX_CORRECTION}.get(distribution)
    if limit is not None:
        assert w.abs().max().item() <= limit * (1 + torch.finfo(dtype).eps)


# ----------------------------------------------------------------------------- fans of grouped / transposed convs


@pytest.mark.parametrize(("shape", "kwargs"), [((64, 8, 3, 3), {"groups": 8}), ((16, 4, 5), {"transposed": True}),
                                               ((16, 2, 3, 3), {"transposed": True, "groups": 4, "stride": 2})])
def test_layer_fans_are_the_convolution_fans_and_torch_rule_by_default(shape, kwargs):
    tensor = torch.empty(shape)
    assert init.layer_fans(tensor) == tinit._calculate_fan_in_and_fan_out(tensor)
    assert init.layer_fans(tensor, **kwargs) == conv_fans(shape, **kwargs)


def test_grouped_conv_fans_change_the_fan_out_scale_only():
    # Depthwise conv (groups = channels = 4096), weight (4096, 1, 3, 3): torch's fan_out is
    # 4096 * 9, the true fan_out (outputs fed by one input) is 9.
    w = init.variance_scaling_(torch.empty(4096, 1, 3, 3, dtype=torch.float64), 1.0, "fan_out", "normal",
                               generator=torch.Generator().manual_seed(0), groups=4096)
    assert_ks(w, scipy.stats.norm(0, math.sqrt(1 / 9)))


def test_lecun_is_torchs_kaiming_linear_bit_for_bit():
    for ours, theirs in ((init.lecun_uniform_, tinit.kaiming_uniform_), (init.lecun_normal_, tinit.kaiming_normal_)):
        g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
        a = ours(torch.empty(33, 17, 3), generator=g1)
        b = theirs(torch.empty(33, 17, 3), nonlinearity="linear", generator=g2)
        assert same_bits(a, b) and torch.equal(g1.get_state(), g2.get_state())


def test_lecun_with_transposed_conv_fans():
    # ConvTranspose1d(in=512, out=8, k=4, stride=2): weight (512, 8, 4); an output gathers
    # 512 * 4 / 2 = 1024 products, torch's rule would say 8 * 4 = 32.
    w = init.lecun_normal_(torch.empty(512, 8, 4, dtype=torch.float64), transposed=True, stride=2,
                           generator=torch.Generator().manual_seed(0))
    assert_ks(w, scipy.stats.norm(0, math.sqrt(1 / 1024)))


# ----------------------------------------------------------------------------- delta orthogonal


@pytest.mark.parametrize("shape", [(8, 8, 3), (12, 5, 3, 3), (6, 6, 4, 4), (4, 3, 3, 3, 3)])
def test_delta_orthogonal_structure_and_bits(shape):
    g1, g2 = torch.Generator().manual_seed(2), torch.Generator().manual_seed(2)
    w = init.delta_orthogonal_(torch.full(shape, 9.0, dtype=torch.float64), gain=1.5, generator=g1)
    centre = tuple((k - 1) // 2 for k in shape[2:])
    middle = w[(slice(None), slice(None), *centre)]
    # the centre is exactly what orthogonal_ draws for an (out, in) matrix from the same state
    assert same_bits(middle.contiguous(), tinit.orthogonal_(torch.empty(shape[:2], dtype=torch.float64), 1.5,
                                                            generator=g2))
    torch.testing.assert_close(middle.T @ middle, 1.5**2 * torch.eye(shape[1], dtype=torch.float64), rtol=0,
                               atol=1e-12)
    rest = w.clone()
    rest[(slice(None), slice(None), *centre)] = 0
    assert (rest == 0).all()


@pytest.mark.parametrize("shape", [(8, 8, 3, 3), (12, 4, 5, 5)])
def test_delta_orthogonal_convolution_preserves_norms(shape):
    w = init.delta_orthogonal_(torch.empty(shape, dtype=torch.float64), generator=torch.Generator().manual_seed(0))
    x = torch.randn(3, shape[1], 10, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    padded = F.pad(x, (shape[3] // 2,) * 2 + (shape[2] // 2,) * 2, mode="circular")
    y = F.conv2d(padded, w)
    torch.testing.assert_close(y.square().sum(dim=(1, 2, 3)), x.square().sum(dim=(1, 2, 3)), rtol=1e-12, atol=0)


# ----------------------------------------------------------------------------- ZerO


@pytest.mark.parametrize(("out", "inp"), [(5, 5), (3, 8), (8, 3), (13, 6), (16, 16), (64, 10), (1, 4), (2, 1)])
def test_zero_init_matrix_follows_algorithm_1(out, inp):
    w = init.zero_init_(torch.full((out, inp), 7.0, dtype=torch.float64))
    if out <= inp:
        assert torch.equal(w, torch.eye(out, inp, dtype=torch.float64))
        return
    m = math.ceil(math.log2(out))
    hadamard = torch.from_numpy(scipy.linalg.hadamard(2**m)).double() / 2 ** (m / 2)
    torch.testing.assert_close(w, hadamard[:out, :inp], rtol=1e-15, atol=0)
    assert torch.linalg.matrix_rank(w).item() == inp  # full rank: no "training degeneracy"


def test_zero_init_is_orthogonal_when_the_width_is_a_power_of_two():
    w = init.zero_init_(torch.empty(32, 12, dtype=torch.float64))
    torch.testing.assert_close(w.T @ w, torch.eye(12, dtype=torch.float64), rtol=0, atol=1e-14)


@pytest.mark.parametrize("shape", [(6, 6, 3), (12, 5, 3, 3), (4, 8, 2, 2, 2)])
def test_zero_init_convolution_has_the_matrix_at_the_centre(shape):
    w = init.zero_init_(torch.full(shape, 3.0))
    centre = tuple(k // 2 for k in shape[2:])
    assert torch.equal(w[(slice(None), slice(None), *centre)], init.zero_init_(torch.empty(shape[:2])))
    w[(slice(None), slice(None), *centre)] = 0
    assert (w == 0).all()


def test_zero_alias_and_determinism():
    assert init.zero_ is init.zero_init_
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a, b = init.zero_(torch.empty(40, 7)), init.zero_(torch.empty(40, 7))
    assert same_bits(a, b) and torch.equal(torch.get_rng_state(), state)


# ----------------------------------------------------------------------------- sparse from the generator only


def test_sparse_columns_zero_counts_and_global_rng_untouched():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    w = init.sparse_columns_(torch.empty(30, 40, dtype=torch.float64), 0.3,
                             generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.get_rng_state(), state)
    assert ((w == 0).sum(dim=0) == 9).all()
    again = init.sparse_columns_(torch.empty(30, 40, dtype=torch.float64), 0.3,
                                 generator=torch.Generator().manual_seed(0))
    assert same_bits(w, again)


def test_sparse_columns_zero_positions_are_uniform():
    rows, cols, k = 10, 20000, 3
    w = init.sparse_columns_(torch.empty(rows, cols), k / rows, generator=torch.Generator().manual_seed(5))
    counts = (w == 0).sum(dim=1).double().numpy()
    # each row is zero in a column with probability k/rows; chi-square over rows, p_fail = 1e-6
    # (counts sum to k * cols, so rows - 1 degrees of freedom; the multinomial-like covariance of
    # sampling without replacement only shrinks the statistic, keeping the test conservative).
    statistic, pvalue = scipy.stats.chisquare(counts, [k * cols / rows] * rows)
    assert pvalue > P_FAIL, statistic


# ----------------------------------------------------------------------------- bad input, devices, meta

BAD = [
    (init.variance_scaling_, (4, 3), {"mode": "fan_inn"}, ValueError,
     "mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; got 'fan_inn'"),
    (init.variance_scaling_, (4, 3), {"distribution": "gaussian"}, ValueError,
     "distribution must be one of 'truncated_normal', 'normal', 'uniform'; got 'gaussian'"),
    (init.variance_scaling_, (4, 3), {"scale": -1.0}, ValueError, "scale must be positive; got -1.0"),
    (init.variance_scaling_, (4, 3), {"scale": "2"}, TypeError, "scale must be a finite real number"),
    (init.variance_scaling_, (4,), {}, ValueError, "at least 2 dimensions"),
    (init.variance_scaling_, (4, 3, 3), {"groups": 3}, ValueError, "groups must be a positive divisor"),
    (init.variance_scaling_, (4, 3), {"generator": 5}, TypeError, "generator must be a torch.Generator"),
    (init.lecun_uniform_, (4, 3, 3), {"groups": 2.5}, TypeError, "groups must be an int"),
    (init.lecun_normal_, (4, 3, 3), {"transposed": 1}, TypeError, "transposed must be a bool"),
    (init.delta_orthogonal_, (4, 3), {}, ValueError, "3, 4 or 5 dimensions"),
    (init.delta_orthogonal_, (3, 4, 3), {}, ValueError, "out channels >= in channels"),
    (init.delta_orthogonal_, (4, 3, 3), {"gain": "x"}, TypeError, "gain must be a real number"),
    (init.zero_init_, (4,), {}, ValueError, "2 to 5 dimensions"),
    (init.sparse_columns_, (4, 3), {"sparsity": 1.5}, ValueError, r"sparsity must be in \[0, 1\]; got 1.5"),
    (init.sparse_columns_, (4, 3), {"sparsity": 0.5, "std": -1.0}, ValueError, "std must be non-negative"),
]


@pytest.mark.parametrize(("function", "shape", "kwargs", "error", "phrase"), BAD)
def test_bad_input_names_the_argument_and_leaves_the_tensor_unchanged(function, shape, kwargs, error, phrase):
    tensor = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    before = tensor.clone()
    with pytest.raises(error, match=phrase):
        function(tensor, **kwargs)
    assert same_bits(tensor, before)


def test_zero_init_rejects_integer_tensors_unchanged():
    tensor = torch.arange(12).reshape(4, 3)
    with pytest.raises(TypeError, match="floating-point"):
        init.zero_init_(tensor)
    assert torch.equal(tensor, torch.arange(12).reshape(4, 3))


def test_non_tensors_are_rejected_with_a_type_error():
    with pytest.raises(TypeError, match="tensor must be a torch.Tensor; got list"):
        init.variance_scaling_([[1.0, 2.0]])


EXTRAS = [
    (init.variance_scaling_, (6, 4, 3), {}), (init.variance_scaling_, (6, 4, 3), {"distribution": "uniform"}),
    (init.lecun_uniform_, (6, 4, 3), {}), (init.lecun_normal_, (6, 4, 3), {}),
    (init.delta_orthogonal_, (6, 4, 3), {}), (init.zero_init_, (6, 4, 3), {}),
    (init.sparse_columns_, (6, 4), {"sparsity": 0.5}),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("function", "shape", "kwargs"), EXTRAS)
def test_extras_fill_parameters_in_place_on_their_device(function, shape, kwargs, device):
    param = torch.nn.Parameter(torch.zeros(shape, device=device, dtype=torch.bfloat16))
    assert function(param, **kwargs) is param
    assert param.is_leaf and param.grad_fn is None and param.dtype == torch.bfloat16 and param.device.type == device
    assert (param != 0).any()


@pytest.mark.parametrize(("function", "shape", "kwargs"), EXTRAS)
def test_extras_leave_meta_tensors_alone(function, shape, kwargs):
    tensor = torch.empty(shape, device="meta")
    assert function(tensor, **kwargs) is tensor


@pytest.mark.parametrize(("function", "shape", "kwargs"), EXTRAS[:4])
def test_extras_warn_on_zero_element_tensors(function, shape, kwargs):
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op") as record:
        function(torch.empty(0, *shape[1:]), **kwargs)
    assert record[0].filename == __file__


@pytest.mark.parametrize(("function", "shape", "kwargs"), EXTRAS)
def test_extras_never_read_tensor_data_back(function, shape, kwargs, no_host_reads):
    function(torch.empty(shape), **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize(("function", "shape", "kwargs"), [e for e in EXTRAS if e[0] is not init.delta_orthogonal_])
def test_extras_do_not_synchronise_on_cuda(function, shape, kwargs):
    tensor = torch.empty(shape, device="cuda")
    torch.cuda.set_sync_debug_mode("error")
    try:
        function(tensor, **kwargs)
    finally:
        torch.cuda.set_sync_debug_mode("default")
