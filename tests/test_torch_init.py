"""initref.torch's drop-in names against torch.nn.init 2.13: API, bits, generators, errors, warnings, statistics."""

import inspect
import math
import warnings

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F
import torch.nn.init as tinit
from hypothesis import given, settings
from hypothesis import strategies as hs
from torch_testing import DEVICES, Z_FAIL, assert_ks, bits, no_host_reads, same_bits  # noqa: F401 (fixture)

import initref.gains
import initref.torch as init

FLOATS = [torch.float32, torch.float64, torch.float16, torch.bfloat16]

PUBLIC = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_",
]


def generators(device, seed):
    return torch.Generator(device=device).manual_seed(seed), torch.Generator(device=device).manual_seed(seed)


def global_rng_state(device):
    state = [torch.get_rng_state()]
    if device == "cuda":
        state.append(torch.cuda.get_rng_state())
    return state


# ----------------------------------------------------------------------------- API


def test_every_public_name_of_torch_is_here_including_deprecated_aliases():
    assert set(tinit.__all__) <= set(init.__all__)
    for name in tinit.__all__:
        assert callable(getattr(init, name))


@pytest.mark.parametrize("name", [n for n in tinit.__all__ if n != "calculate_gain"])
def test_signatures_match_torch(name):
    ours, theirs = inspect.signature(getattr(init, name)), inspect.signature(getattr(tinit, name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()]


def test_calculate_gain_is_the_gains_module_function():
    assert init.calculate_gain is initref.gains.calculate_gain
    assert inspect.signature(init.calculate_gain).parameters.keys() == inspect.signature(
        tinit.calculate_gain).parameters.keys()


# ----------------------------------------------------------------------------- bit-exactness

RANDOM_CASES = [
    ("uniform_", {}), ("uniform_", {"a": -3.0, "b": 0.5}),
    ("normal_", {}), ("normal_", {"mean": 2.0, "std": 0.3}),
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 5 / 3}),
    ("xavier_normal_", {}), ("xavier_normal_", {"gain": 0.5}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_uniform_", {"mode": "FAN_OUT", "nonlinearity": "tanh"}),
    ("kaiming_normal_", {}), ("kaiming_normal_", {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_normal_", {"nonlinearity": "selu"}),
    ("orthogonal_", {}), ("orthogonal_", {"gain": 2}), ("orthogonal_", {"gain": 1.7}),
    # trunc_normal_: kept mass p > 0.3 (normal proposals, several rounds) ...
    ("trunc_normal_", {}), ("trunc_normal_", {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 1.5}),
    # ... and p <= 0.3 (uniform proposals accepted by density): narrow, one-sided and far-tail windows
    ("trunc_normal_", {"a": -0.2, "b": 0.3}), ("trunc_normal_", {"a": 1.0, "b": 4.0}),
    ("trunc_normal_", {"mean": 1.0, "std": 0.5, "a": -1.0, "b": 0.0}),
]
SHAPES = [(7, 5), (12, 3, 3), (3, 16), (6, 4, 2, 3), (1, 1)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("name", "kwargs"), RANDOM_CASES)
def test_same_bits_and_generator_state_as_torch(name, kwargs, dtype, device):
    if name == "orthogonal_" and dtype in (torch.float16, torch.bfloat16):
        pytest.skip("torch 2.13 has no half-precision QR; covered by test_orthogonal_half_precision")
    for seed, shape in enumerate(SHAPES):
        expected, got = torch.empty(shape, dtype=dtype, device=device), torch.empty(shape, dtype=dtype, device=device)
        g_torch, g_ours = generators(device, seed)
        returned = getattr(init, name)(got, generator=g_ours, **kwargs)
        getattr(tinit, name)(expected, generator=g_torch, **kwargs)
        assert returned is got
        assert same_bits(got, expected), (shape, seed)
        assert torch.equal(g_ours.get_state(), g_torch.get_state())


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("name", "kwargs"), RANDOM_CASES[::3])
def test_same_bits_and_global_state_without_a_generator(name, kwargs, device):
    shape = (9, 4, 3)
    torch.manual_seed(11)
    expected = getattr(tinit, name)(torch.empty(shape, device=device), **kwargs)
    state_after_torch = global_rng_state(device)
    torch.manual_seed(11)
    got = getattr(init, name)(torch.empty(shape, device=device), **kwargs)
    assert same_bits(got, expected)
    assert all(torch.equal(a, b) for a, b in zip(global_rng_state(device), state_after_torch, strict=True))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("shape", "sparsity"), [((20, 13), 0.1), ((7, 30), 0.5), ((5, 4), 1.0), ((6, 3), 0.0),
                                                 ((6, 3), -0.2), ((600, 5), 0.9)])
def test_sparse_same_bits_generator_and_global_state(shape, sparsity, device):
    # torch's zero pattern reads the global RNG (torch.randperm), its values the generator.
    g_torch, g_ours = generators(device, 3)
    torch.manual_seed(5)
    expected = tinit.sparse_(torch.empty(shape, device=device), sparsity, std=0.5, generator=g_torch)
    state_after_torch = global_rng_state(device)
    torch.manual_seed(5)
    got = init.sparse_(torch.empty(shape, device=device), sparsity, std=0.5, generator=g_ours)
    assert same_bits(got, expected)
    assert torch.equal(g_ours.get_state(), g_torch.get_state())
    assert all(torch.equal(a, b) for a, b in zip(global_rng_state(device), state_after_torch, strict=True))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_orthogonal_half_precision_is_torchs_float32_result_rounded(dtype, device):
    g_torch, g_ours = generators(device, 2)
    reference = tinit.orthogonal_(torch.empty(6, 10, device=device), generator=g_torch)
    got = init.orthogonal_(torch.empty(6, 10, dtype=dtype, device=device), generator=g_ours)
    assert same_bits(got, reference.to(dtype))
    assert torch.equal(g_ours.get_state(), g_torch.get_state())


DETERMINISTIC = [
    ("constant_", (4, 5), {"val": 0.3}), ("constant_", (3,), {"val": -2}), ("ones_", (2, 3, 4), {}),
    ("zeros_", (5,), {}), ("eye_", (3, 5), {}), ("eye_", (6, 2), {}), ("eye_", (4, 4), {}),
    ("dirac_", (4, 4, 3), {}), ("dirac_", (6, 3, 3, 2), {}), ("dirac_", (8, 3, 5, 5), {"groups": 2}),
    ("dirac_", (6, 5, 3, 3, 3), {"groups": 3}), ("dirac_", (2, 7, 4), {}), ("dirac_", (4, 4, 3), {"groups": True}),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("name", "shape", "kwargs"), DETERMINISTIC)
def test_deterministic_fills_equal_torch(name, shape, kwargs, device):
    for dtype in (torch.float32, torch.bfloat16, torch.int64):
        expected = torch.full(shape, 7, dtype=dtype, device=device)
        got = expected.clone()
        getattr(tinit, name)(expected, **kwargs)
        assert getattr(init, name)(got, **kwargs) is got
        assert same_bits(got, expected)


@settings(max_examples=40, deadline=None)
@given(
    shape=hs.lists(hs.integers(1, 6), min_size=2, max_size=4),
    name=hs.sampled_from(["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]),
    gain=hs.floats(1e-3, 1e3),
    mode=hs.sampled_from(["fan_in", "fan_out", "Fan_In"]),
    nonlinearity=hs.sampled_from(list(initref.gains.TORCH_NAMES)),
    slope=hs.one_of(hs.none(), hs.floats(0, 10), hs.integers(0, 3)),
    seed=hs.integers(0, 2**32 - 1),
)
def test_property_fan_based_initializers_match_torch_bits(shape, name, gain, mode, nonlinearity, slope, seed):
    kwargs = {"gain": gain} if name.startswith("xavier") else {"a": slope or 0, "mode": mode,
                                                                 "nonlinearity": nonlinearity}
    g_torch, g_ours = generators("cpu", seed)
    expected = getattr(tinit, name)(torch.empty(shape), generator=g_torch, **kwargs)
    got = getattr(init, name)(torch.empty(shape), generator=g_ours, **kwargs)
    assert same_bits(got, expected)
    assert torch.equal(g_ours.get_state(), g_torch.get_state())


@settings(max_examples=30, deadline=None)
@given(mean=hs.floats(-2, 2), std=hs.floats(0.05, 3), a=hs.floats(-3, 3), width=hs.floats(0.01, 4),
       seed=hs.integers(0, 2**32 - 1))
def test_property_trunc_normal_matches_torch_bits(mean, std, a, width, seed):
    g_torch, g_ours = generators("cpu", seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # far windows warn; the warning is tested separately
        expected = tinit.trunc_normal_(torch.empty(40, 3), mean, std, a, a + width, generator=g_torch)
        got = init.trunc_normal_(torch.empty(40, 3), mean, std, a, a + width, generator=g_ours)
    assert same_bits(got, expected)
    assert torch.equal(g_ours.get_state(), g_torch.get_state())


# ----------------------------------------------------------------------------- in place, devices, autograd, meta

CALLS = {
    "uniform_": {}, "normal_": {}, "trunc_normal_": {}, "constant_": {"val": 0.5}, "ones_": {}, "zeros_": {},
    "eye_": {}, "dirac_": {}, "xavier_uniform_": {}, "xavier_normal_": {}, "kaiming_uniform_": {},
    "kaiming_normal_": {}, "orthogonal_": {}, "sparse_": {"sparsity": 0.25},
}
SHAPE_FOR = {"eye_": (6, 4), "sparse_": (6, 4), "dirac_": (6, 4, 3, 3)}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(CALLS))
def test_parameter_requiring_grad_stays_a_leaf(name, device):
    param = torch.nn.Parameter(torch.zeros(SHAPE_FOR.get(name, (6, 4, 3)), device=device))
    assert getattr(init, name)(param, **CALLS[name]) is param
    assert param.requires_grad and param.is_leaf and param.grad_fn is None
    assert param.device.type == device


@pytest.mark.parametrize("name", list(CALLS))
def test_meta_tensors_are_left_alone_like_torch(name):
    shape = SHAPE_FOR.get(name, (6, 4, 3))
    theirs = getattr(tinit, name)(torch.empty(shape, device="meta"), **CALLS[name])
    ours = torch.empty(shape, device="meta")
    assert getattr(init, name)(ours, **CALLS[name]) is ours
    assert ours.is_meta and ours.shape == theirs.shape


@pytest.mark.parametrize("name", list(CALLS))
def test_non_contiguous_views_are_filled_in_place_like_torch(name):
    shape = SHAPE_FOR.get(name, (6, 4, 3))
    base_torch, base_ours = torch.zeros(2, *shape), torch.zeros(2, *shape)
    g_torch, g_ours = generators("cpu", 9)
    kwargs = dict(CALLS[name])
    if "generator" in inspect.signature(getattr(tinit, name)).parameters:
        kwargs_t, kwargs_o = {**kwargs, "generator": g_torch}, {**kwargs, "generator": g_ours}
    else:
        kwargs_t = kwargs_o = kwargs
    torch.manual_seed(1)
    getattr(tinit, name)(base_torch[1], **kwargs_t)
    torch.manual_seed(1)
    view = base_ours[1]
    assert getattr(init, name)(view, **kwargs_o) is view
    assert same_bits(base_ours, base_torch)


def test_torch_function_overrides_are_honoured_where_torch_honours_them():
    seen = []

    class Traced(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            seen.append(getattr(func, "__name__", str(func)))
            return super().__torch_function__(func, types, args, kwargs or {})

    for name in ("uniform_", "normal_", "constant_", "kaiming_uniform_"):
        seen.clear()
        tensor = torch.empty(4, 3).as_subclass(Traced)
        kwargs = {"val": 1.0} if name == "constant_" else {}
        getattr(init, name)(tensor, **kwargs)
        assert seen and seen[0] == name


# ----------------------------------------------------------------------------- structure


@pytest.mark.parametrize("shape", [(8, 8), (5, 12), (12, 5), (6, 3, 2, 2), (4, 2, 3)])
@pytest.mark.parametrize("gain", [1, 0.5, 3.0])
def test_orthogonal_is_semi_orthogonal_times_gain(shape, gain):
    w = init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=gain,
                         generator=torch.Generator().manual_seed(0)).reshape(shape[0], -1)
    small = min(w.shape)
    gram = w @ w.T if w.shape[0] == small else w.T @ w
    torch.testing.assert_close(gram, gain**2 * torch.eye(small, dtype=torch.float64), rtol=0, atol=1e-12)


def test_orthogonal_diagonal_has_mean_zero_as_haar_requires():
    # Haar-distributed Q (n = 4) has E[Q_ii] = 0 and Var(Q_ii) = 1/n; without the sign correction
    # diag(R) > 0 the QR factor is biased (LAPACK's Householder Q: mean diagonal about -0.2 for n = 4).
    n, draws = 4, 500
    g = torch.Generator().manual_seed(1)
    diagonal = torch.stack([init.orthogonal_(torch.empty(n, n, dtype=torch.float64), generator=g).diagonal()
                            for _ in range(draws)])
    tolerance = Z_FAIL * math.sqrt(1 / n / diagonal.numel())  # p_fail = 1e-6, two-sided
    assert abs(diagonal.mean().item()) < tolerance


@pytest.mark.parametrize(("shape", "groups"), [((4, 4, 5), 1), ((6, 3, 3, 3), 2), ((4, 4, 3, 3, 3), 1)])
def test_dirac_kernel_makes_the_convolution_an_identity(shape, groups):
    w = init.dirac_(torch.empty(shape, dtype=torch.float64), groups=groups)
    conv = {3: F.conv1d, 4: F.conv2d, 5: F.conv3d}[len(shape)]
    x = torch.randn(2, shape[1] * groups, *(7,) * (len(shape) - 2), dtype=torch.float64,
                    generator=torch.Generator().manual_seed(0))
    y = conv(x, w, padding=tuple(k // 2 for k in shape[2:]), groups=groups)
    torch.testing.assert_close(y, x, rtol=0, atol=0)


@pytest.mark.parametrize(("rows", "sparsity"), [(10, 0.1), (10, 0.35), (37, 0.5), (8, 1.0)])
def test_sparse_zeroes_exactly_ceil_sparsity_rows_per_column(rows, sparsity):
    w = init.sparse_(torch.empty(rows, 50, dtype=torch.float64), sparsity, generator=torch.Generator().manual_seed(0))
    # Non-zero entries are continuous normals, so an exact zero among them has probability 0.
    assert ((w == 0).sum(dim=0) == math.ceil(sparsity * rows)).all()


# ----------------------------------------------------------------------------- distributions


N = 1 << 16


@pytest.mark.parametrize("seed", [0, 1])
def test_distributions_of_the_random_fills(seed):
    g = torch.Generator().manual_seed(seed)
    assert_ks(init.uniform_(torch.empty(N), -1.5, 0.5, generator=g), scipy.stats.uniform(-1.5, 2.0))
    assert_ks(init.normal_(torch.empty(N), 0.3, 2.0, generator=g), scipy.stats.norm(0.3, 2.0))
    fan_in, fan_out = 64 * 9, 32 * 9  # a (32, 64, 3, 3) weight, torch's shape rule
    std = 1.2 * math.sqrt(2 / (fan_in + fan_out))
    assert_ks(init.xavier_normal_(torch.empty(32, 64, 3, 3), gain=1.2, generator=g), scipy.stats.norm(0, std))
    bound = math.sqrt(3) * std
    assert_ks(init.xavier_uniform_(torch.empty(32, 64, 3, 3), gain=1.2, generator=g),
              scipy.stats.uniform(-bound, 2 * bound))
    relu_std = math.sqrt(2 / fan_out)
    assert_ks(init.kaiming_normal_(torch.empty(32, 64, 3, 3), mode="fan_out", nonlinearity="relu", generator=g),
              scipy.stats.norm(0, relu_std))
    leaky_bound = math.sqrt(3) * math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(fan_in)
    assert_ks(init.kaiming_uniform_(torch.empty(32, 64, 3, 3), a=0.2, generator=g),
              scipy.stats.uniform(-leaky_bound, 2 * leaky_bound))


@pytest.mark.parametrize(("mean", "std", "a", "b"), [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 1.5),
                                                      (0.0, 1.0, 1.0, 4.0), (1.0, 0.5, -1.0, 0.0)])
def test_trunc_normal_has_the_truncated_normal_law_in_both_samplers(mean, std, a, b):
    sample = init.trunc_normal_(torch.empty(N // 4, dtype=torch.float64), mean, std, a, b,
                                generator=torch.Generator().manual_seed(4))
    assert_ks(sample, scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std))


# ----------------------------------------------------------------------------- warnings


def test_kaiming_warns_on_zero_element_tensors_at_the_callers_line():
    for name in ("kaiming_uniform_", "kaiming_normal_"):
        tensor = torch.empty(0, 3)
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op") as record:
            assert getattr(init, name)(tensor) is tensor
        assert record[0].filename == __file__


def test_trunc_normal_warns_when_the_mean_is_far_from_the_window():
    with pytest.warns(UserWarning, match="mean is more than 2 std from") as record:
        init.trunc_normal_(torch.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)
    assert record[0].filename == __file__


def test_deprecated_aliases_warn_like_torch_and_delegate():
    for old in ("uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
                "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"):
        args = {"constant": (0.5,), "sparse": (0.1,)}.get(old, ())
        tensor = torch.empty(4, 4, 3) if old == "dirac" else torch.empty(4, 4)
        with pytest.warns(FutureWarning, match=f"`nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`"):
            assert getattr(init, old)(tensor, *args) is tensor


@pytest.mark.parametrize("name", list(CALLS))
def test_ordinary_calls_do_not_warn(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(init, name)(torch.empty(SHAPE_FOR.get(name, (6, 4, 3))), **CALLS[name])


# ----------------------------------------------------------------------------- rejected input: tensor unchanged

BAD = [
    # (function, shape, kwargs, torch's exception type, a phrase of torch's message)
    ("uniform_", (4, 3), {"a": 1.0, "b": 0.0}, RuntimeError, "uniform_ expects"),
    ("normal_", (4, 3), {"std": -1.0}, RuntimeError, "normal expects std >= 0.0"),
    ("trunc_normal_", (4, 3), {"std": 0.0}, ZeroDivisionError, ""),
    ("trunc_normal_", (4, 3), {"a": 2.0, "b": -2.0}, RuntimeError, "uniform_ expects"),
    ("constant_", (4, 3), {"val": "x"}, TypeError, ""),
    ("eye_", (4, 3, 2), {}, ValueError, "Only tensors with 2 dimensions are supported"),
    ("dirac_", (4, 3), {}, ValueError, "Only tensors with 3, 4, or 5 dimensions are supported"),
    ("dirac_", (5, 3, 3), {"groups": 2}, ValueError, "dim 0 must be divisible by groups"),
    ("dirac_", (4, 3, 3), {"groups": 0}, ZeroDivisionError, ""),
    ("dirac_", (4, 3, 3), {"groups": 2.0}, TypeError, ""),  # torch zeroes the tensor before raising
    ("xavier_uniform_", (5,), {}, ValueError, "Fan in and fan out can not be computed"),
    ("xavier_normal_", (0, 0), {}, ZeroDivisionError, ""),
    ("kaiming_uniform_", (5,), {}, ValueError, "Fan in and fan out can not be computed"),
    ("kaiming_normal_", (4, 3), {"mode": "fan_inn"}, ValueError, "Mode fan_inn not supported"),
    ("kaiming_uniform_", (4, 3), {"mode": 3}, AttributeError, ""),
    ("kaiming_normal_", (4, 3), {"nonlinearity": "no_such_activation"}, ValueError, "Unsupported nonlinearity"),
    ("kaiming_uniform_", (4, 3), {"a": True}, ValueError, "negative_slope True not a valid number"),
    ("orthogonal_", (5,), {}, ValueError, "Only tensors with 2 or more dimensions are supported"),
    ("orthogonal_", (4, 3), {"gain": "x"}, TypeError, ""),  # torch writes Q before it fails on gain
    ("orthogonal_", (4, 3), {"gain": 1 + 2j}, RuntimeError, "can't be cast"),  # likewise
    ("sparse_", (4, 3, 2), {"sparsity": 0.1}, ValueError, "Only tensors with 2 dimensions are supported"),
    ("sparse_", (4, 3), {"sparsity": "x"}, TypeError, ""),
    ("sparse_", (4, 3), {"sparsity": 0.1, "std": -1.0}, RuntimeError, "normal expects std >= 0.0"),
]


@pytest.mark.parametrize(("name", "shape", "kwargs", "error", "phrase"), BAD)
def test_rejected_input_raises_torchs_error_and_leaves_the_tensor_unchanged(name, shape, kwargs, error, phrase):
    with pytest.raises(error):
        getattr(tinit, name)(torch.randn(shape), **kwargs)
    tensor = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    before = tensor.clone()
    g = torch.Generator().manual_seed(1)
    kwargs = {**kwargs, "generator": g} if "generator" in inspect.signature(getattr(init, name)).parameters else kwargs
    with pytest.raises(error, match=phrase or None):
        getattr(init, name)(tensor, **kwargs)
    assert same_bits(tensor, before)


@pytest.mark.parametrize("name", list(CALLS))
def test_overlapping_expanded_tensors_behave_like_torch(name):
    # Writing a random fill into an expanded tensor is an error; deterministic fills go through.
    shape = SHAPE_FOR.get(name, (6, 4, 3))
    outcomes = []
    for module in (tinit, init):
        base = torch.randn((1, *shape[1:]), generator=torch.Generator().manual_seed(0))
        before = base.clone()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                getattr(module, name)(base.expand(shape), **CALLS[name])
                error = None
            except RuntimeError as exc:
                error = type(exc)
        if error is not None:
            assert same_bits(base, before)
        outcomes.append((error, [str(w.message) for w in caught], bits(base)))
    (error_t, warned_t, bits_t), (error_o, warned_o, bits_o) = outcomes
    assert error_o == error_t and warned_o == warned_t and torch.equal(bits_o, bits_t)


def test_orthogonal_rejects_an_unviewable_layout_before_sampling():
    tensor = torch.randn(3, 4, 5).permute(0, 2, 1)
    before, g = tensor.clone(), torch.Generator().manual_seed(0)
    state = g.get_state()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        init.orthogonal_(tensor, generator=g)
    assert same_bits(tensor, before) and torch.equal(g.get_state(), state)


def test_integer_tensors_are_rejected_unchanged_like_torch():
    for name in ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "kaiming_normal_", "orthogonal_"):
        with pytest.raises((RuntimeError, NotImplementedError)) as theirs:
            getattr(tinit, name)(torch.zeros(4, 3, dtype=torch.int64))
        tensor = torch.arange(12).reshape(4, 3)
        with pytest.raises(theirs.type):
            getattr(init, name)(tensor)
        assert torch.equal(tensor, torch.arange(12).reshape(4, 3))


def test_dirac_rejects_negative_groups_which_torch_silently_zeroes():
    tensor = torch.randn(4, 4, 3)
    before = tensor.clone()
    with pytest.raises(ValueError, match="groups must be a positive int; got -2"):
        init.dirac_(tensor, groups=-2)
    assert same_bits(tensor, before)


def test_mode_of_the_wrong_type_is_both_a_type_error_and_torchs_attribute_error():
    with pytest.raises(TypeError, match="mode must be a str"):
        init.kaiming_normal_(torch.empty(3, 3), mode=None)


# ----------------------------------------------------------------------------- no host round-trips


@pytest.mark.parametrize("name", ["uniform_", "normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
                                  "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                  "orthogonal_", "sparse_"])
def test_sampling_paths_never_read_tensor_data_back(name, no_host_reads):
    # trunc_normal_ is the exception, by design: torch's rejection loop asks after every round
    # whether any element is still rejected (see initref.torch.init).
    getattr(init, name)(torch.empty(SHAPE_FOR.get(name, (6, 4, 3))), **CALLS[name])


def test_host_reads_are_detected_by_the_fixture(no_host_reads):
    with pytest.raises(AssertionError, match="host read-back"):
        torch.ones(2).sum().item()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_", "eye_", "dirac_", "constant_"])
def test_cuda_sampling_does_not_synchronise(name):
    tensor = torch.empty(SHAPE_FOR.get(name, (64, 32, 3)), device="cuda")
    torch.cuda.set_sync_debug_mode("error")
    try:
        getattr(init, name)(tensor, **CALLS[name])
    finally:
        torch.cuda.set_sync_debug_mode("default")


def test_bit_comparison_distinguishes_signed_zeros():
    # The comparison helper must tell -0.0 from 0.0, or it could hide a sign flip.
    assert not same_bits(torch.tensor([0.0]), torch.tensor([-0.0]))
    assert same_bits(torch.tensor([np.float32(1.5)]), torch.tensor([1.5]))
