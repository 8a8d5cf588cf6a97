"""Keyed streams: Philox words, stream keys, shard = slice of the whole, and the laws' distributions."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs

from initref import philox
from initref.torch import keyed, keyed_normal_, keyed_trunc_normal_, keyed_uniform_

P_FAIL = 1e-6  # false-failure probability of each statistical assertion (its p-value is U(0, 1) under H0)

# Random123 known-answer vectors for Philox4x64-10 (Random123 1.09, examples/kat_vectors, lines
# "philox4x64 10"): (counter words, key words, output words), all hexadecimal.
KAT = [
    ((0, 0, 0, 0), (0, 0),
     (0x16554D9ECA36314C, 0xDB20FE9D672D0FDC, 0xD7E772CEE186176B, 0x7E68B68AEC7BA23B)),
    ((2**64 - 1,) * 4, (2**64 - 1,) * 2,
     (0x87B092C3013FE90B, 0x438C3C67BE8D0224, 0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0)),
    ((0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89),
     (0x452821E638D01377, 0xBE5466CF34E90C6C),
     (0xA528F45403E61D95, 0x38C72DBD566E9788, 0xA5A1610E72FD18B5, 0x57BD43B5E52B7FE6)),
]


def _numpy_block(counter, key):
    """NumPy's Philox output for one counter block (NumPy increments the counter before each block)."""
    before, borrow = list(counter), 1  # counter - 1, borrowing across the four words
    for i in range(4):
        before[i], borrow = (before[i] - borrow) % 2**64, int(before[i] < borrow)
    generator = np.random.Philox()
    state = generator.state
    state["state"]["counter"] = np.array(before, dtype=np.uint64)
    state["state"]["key"] = np.array(key, dtype=np.uint64)
    state["buffer_pos"] = 4
    generator.state = state
    return tuple(int(w) for w in generator.random_raw(4))


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_numpy_philox_matches_random123_known_answers(counter, key, expected):
    assert _numpy_block(counter, key) == expected


def test_stream_words_at_counter_zero_are_the_known_answer():
    assert tuple(int(w) for w in philox.philox_words((0, 0), 0, 4)) == KAT[0][2]
    torch_words = keyed.philox_words_at((0, 0), torch.arange(4)).numpy().view(np.uint64)
    assert tuple(int(w) for w in torch_words) == KAT[0][2]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_torch_philox_equals_numpy_philox(seed):
    rng = np.random.default_rng(seed)
    key = tuple(int(k) for k in rng.integers(0, 2**64, size=2, dtype=np.uint64))
    for start in (0, 3, 2**40 + 1, 2**61 - 7):
        expected = philox.philox_words(key, start, 37)
        index = torch.arange(start, start + 37, dtype=torch.int64)
        np.testing.assert_array_equal(keyed.philox_words_at(key, index).numpy().view(np.uint64), expected)
        np.testing.assert_array_equal(keyed._words_range(key, start, 37, torch.device("cpu")).numpy().view(np.uint64),
                                      expected)


def test_philox_at_any_start_continues_the_stream():
    key = philox.stream_key(5, "w")
    whole = philox.philox_words(key, 0, 64)
    for start in range(0, 20):
        np.testing.assert_array_equal(philox.philox_words(key, start, 64 - start), whole[start:])


def test_stream_key_is_a_stable_documented_hash():
    import hashlib

    text = "initref-keyed-v1\0" "42\0" "gpt2\0" "transformer.h.0.attn.c_attn.weight"
    digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
    expected = (int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little"))
    assert philox.stream_key(42, "transformer.h.0.attn.c_attn.weight", "gpt2") == expected
    keys = {philox.stream_key(s, n, r) for s in (0, 1) for n in ("a.weight", "b.weight") for r in ("", "gpt2")}
    assert len(keys) == 8


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (1.0, TypeError), (True, TypeError), ("1", TypeError)])
def test_stream_key_rejects_a_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        philox.stream_key(seed, "w")


def test_stream_key_rejects_a_non_str_name():
    with pytest.raises(TypeError, match="name"):
        philox.stream_key(0, 3)


# ----------------------------------------------------------------------------- shard = slice of the whole


def _fill(fill, tensor, **kwargs):
    return fill(tensor, seed=7, name="layer.weight", **kwargs)


FILLS = {
    "normal": lambda t, **k: keyed_normal_(t, 0.5, 2.0, **k),
    "uniform": lambda t, **k: keyed_uniform_(t, -1.0, 3.0, **k),
    "trunc_normal": lambda t, **k: keyed_trunc_normal_(t, 0.0, 0.02, -0.04, 0.04, **k),
}


@settings(max_examples=40, deadline=None)
@given(data=hs.data(), shape=hs.lists(hs.integers(1, 9), min_size=1, max_size=3),
       law=hs.sampled_from(sorted(FILLS)), dtype=hs.sampled_from([torch.float64, torch.float32, torch.bfloat16]))
def test_a_shard_holds_exactly_the_slice_of_the_whole(data, shape, law, dtype):
    whole = _fill(FILLS[law], torch.empty(shape, dtype=dtype))
    starts = [data.draw(hs.integers(0, n - 1)) for n in shape]
    stops = [data.draw(hs.integers(s + 1, n)) for s, n in zip(starts, shape, strict=True)]
    shard = torch.empty([b - a for a, b in zip(starts, stops, strict=True)], dtype=dtype)
    _fill(FILLS[law], shard, global_shape=shape, offset=starts)
    expected = whole[tuple(slice(a, b) for a, b in zip(starts, stops, strict=True))]
    assert torch.equal(shard, expected)


@pytest.mark.parametrize("law", sorted(FILLS))
def test_chunked_row_and_column_shards_equal_the_whole(monkeypatch, law):
    monkeypatch.setattr(keyed, "CHUNK", 1000)  # many chunks, split inside rows, on both word paths
    whole = _fill(FILLS[law], torch.empty(90, 70, dtype=torch.float64))
    rows = torch.empty(31, 70, dtype=torch.float64)  # one contiguous range: NumPy's Philox
    _fill(FILLS[law], rows, global_shape=(90, 70), offset=(40, 0))
    columns = torch.empty(90, 23, dtype=torch.float64)  # strided: torch's Philox
    _fill(FILLS[law], columns, global_shape=(90, 70), offset=(0, 47))
    assert torch.equal(rows, whole[40:71])
    assert torch.equal(columns, whole[:, 47:])


def test_values_do_not_depend_on_the_chunk_size(monkeypatch):
    big = _fill(FILLS["normal"], torch.empty(3001, dtype=torch.float64))
    monkeypatch.setattr(keyed, "CHUNK", 256)
    assert torch.equal(_fill(FILLS["normal"], torch.empty(3001, dtype=torch.float64)), big)


def test_a_non_contiguous_tensor_gets_its_logical_elements():
    expected = _fill(FILLS["normal"], torch.empty(5, 8))
    transposed = torch.empty(8, 5).t()
    assert not transposed.is_contiguous()
    assert torch.equal(_fill(FILLS["normal"], transposed), expected)


def test_each_dtype_is_the_float64_value_rounded_once():
    exact = _fill(FILLS["normal"], torch.empty(1000, dtype=torch.float64))
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        assert torch.equal(_fill(FILLS["normal"], torch.empty(1000, dtype=dtype)), exact.to(dtype))


def test_streams_differ_by_name_seed_and_recipe():
    base = keyed_normal_(torch.empty(64), seed=1, name="a")
    for other in (dict(seed=2, name="a"), dict(seed=1, name="b"), dict(seed=1, name="a", recipe="gpt2")):
        assert not torch.equal(keyed_normal_(torch.empty(64), **other), base)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(global_shape=(10,), offset=(0,)), "dims"),
    (dict(global_shape=(4, 5), offset=(2, 0)), "outside dim 0"),
    (dict(global_shape=(4, 5), offset=(0, -1)), "outside dim 1"),
])
def test_a_shard_outside_its_global_shape_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        keyed_normal_(torch.empty(3, 5), seed=0, name="w", **kwargs)


@pytest.mark.parametrize(("call", "match"), [
    (lambda t: keyed_normal_(t, 0.0, -1.0, seed=0, name="w"), "std"),
    (lambda t: keyed_normal_(t, 0.0, math.nan, seed=0, name="w"), "std"),
    (lambda t: keyed_uniform_(t, 1.0, 0.0, seed=0, name="w"), "a <= b"),
    (lambda t: keyed_trunc_normal_(t, 0.0, 1.0, 2.0, 2.0, seed=0, name="w"), "a < b"),
    (lambda t: keyed_trunc_normal_(t, 0.0, 0.0, -1.0, 1.0, seed=0, name="w"), "std > 0"),
])
def test_bad_parameters_are_refused_and_the_tensor_kept(call, match):
    tensor = torch.full((4,), 3.0)
    with pytest.raises(ValueError, match=match):
        call(tensor)
    assert torch.equal(tensor, torch.full((4,), 3.0))


# ----------------------------------------------------------------------------- distributions

N = 1 << 16


def _ks_pvalue(values: torch.Tensor, cdf) -> float:
    return float(scipy.stats.kstest(values.numpy(), cdf).pvalue)


def test_keyed_normal_follows_its_cdf():
    values = keyed_normal_(torch.empty(N, dtype=torch.float64), 0.3, 1.7, seed=11, name="w")
    assert _ks_pvalue(values, scipy.stats.norm(0.3, 1.7).cdf) > P_FAIL


def test_keyed_uniform_follows_its_cdf_inside_its_range():
    values = keyed_uniform_(torch.empty(N, dtype=torch.float64), -2.0, 5.0, seed=12, name="w")
    assert float(values.min()) > -2.0 and float(values.max()) < 5.0
    assert _ks_pvalue(values, scipy.stats.uniform(-2.0, 7.0).cdf) > P_FAIL


@pytest.mark.parametrize(("mean", "std", "a", "b"), [
    (0.0, 0.02, -0.04, 0.04),  # timm / HF: trunc_normal_(std=.02, a=-2 std, b=2 std)
    (0.0, 1.0, -2.0, 2.0),  # torch's default bounds
    (1.0, 0.5, 1.2, 3.0),  # one-sided, off-centre
    (0.0, 1.0, 4.0, 6.0),  # far in the upper tail: erf(t/sqrt2) near 1 loses digits there
])
def test_keyed_trunc_normal_follows_the_exact_truncated_cdf(mean, std, a, b):
    values = keyed_trunc_normal_(torch.empty(N, dtype=torch.float64), mean, std, a, b, seed=13, name="w")
    assert float(values.min()) >= a and float(values.max()) <= b
    law = scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert _ks_pvalue(values, law.cdf) > P_FAIL


def test_float32_trunc_normal_stays_inside_its_bounds():
    values = keyed_trunc_normal_(torch.empty(N), 0.0, 1.0, -0.5, 0.5, seed=14, name="w")
    assert float(values.min()) >= -0.5 and float(values.max()) <= 0.5


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_words_equal_cpu_words_and_values_agree():
    key = philox.stream_key(3, "w")
    index = torch.arange(10_000, dtype=torch.int64)
    assert torch.equal(keyed.philox_words_at(key, index.cuda()).cpu(), keyed.philox_words_at(key, index))
    cpu = keyed_trunc_normal_(torch.empty(300, 200, dtype=torch.float64), seed=3, name="w")
    cuda = keyed_trunc_normal_(torch.empty(300, 200, dtype=torch.float64, device="cuda"), seed=3, name="w")
    torch.testing.assert_close(cuda.cpu(), cpu, rtol=1e-14, atol=1e-14)
