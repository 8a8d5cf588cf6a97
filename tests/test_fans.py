"""Fans: torch's shape rule, JAX's axis rule, and the correct conv fans counted empirically."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as hs

from initref.fans import calculate_fan_in_and_fan_out, compute_fans, conv_fans, fan

shapes = hs.lists(hs.integers(min_value=1, max_value=6), min_size=2, max_size=5)


@given(shapes)
def test_torch_rule_matches_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert calculate_fan_in_and_fan_out(shape) == expected


def test_torch_rule_rejects_vectors_like_torch():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        calculate_fan_in_and_fan_out((5,))


@given(shapes)
def test_jax_rule_on_torch_layout_equals_torch_rule(shape):
    assert compute_fans(shape, in_axis=1, out_axis=0) == calculate_fan_in_and_fan_out(shape)


def test_jax_rule_batch_axis_is_excluded():
    assert compute_fans((3, 3, 8, 16)) == (72, 144)
    assert compute_fans((4, 8, 16), in_axis=-2, out_axis=-1, batch_axis=0) == (8, 16)
    with pytest.raises(ValueError, match="in_axis 5 is out of range"):
        compute_fans((4, 8), in_axis=5)


def counted_fans(weight, conv, **kw):
    """Count products per output (fan-in) and outputs per input (fan-out) at an interior pixel."""
    spatial = (9,) * (weight.dim() - 2)
    channels = weight.shape[0] if conv in (F.conv_transpose1d, F.conv_transpose2d) else weight.shape[1] * kw["groups"]
    x = torch.ones(1, channels, *spatial, requires_grad=True)
    y = conv(x, torch.ones_like(weight), **kw)
    centre = tuple(s // 2 for s in y.shape[2:])
    fan_in = y[(0, 0, *centre)].item()
    y.backward(torch.ones_like(y))
    fan_out = x.grad[(0, 0, *(s // 2 for s in spatial))].item()
    return fan_in, fan_out


@settings(max_examples=25, deadline=None)
@given(hs.integers(1, 3), hs.integers(1, 3), hs.integers(1, 2), hs.sampled_from([1, 3]))
def test_conv_fans_match_counted_fans(groups, in_per_group, out_per_group, k):
    weight = torch.empty(out_per_group * groups, in_per_group, k, k)
    assert conv_fans(weight.shape, groups=groups) == counted_fans(weight, F.conv2d, groups=groups)
    torch_fans = calculate_fan_in_and_fan_out(weight.shape)
    assert torch_fans[0] == conv_fans(weight.shape, groups=groups)[0]
    assert torch_fans[1] == groups * conv_fans(weight.shape, groups=groups)[1]


@settings(max_examples=25, deadline=None)
@given(hs.integers(1, 3), hs.integers(1, 3), hs.integers(1, 2), hs.sampled_from([1, 2]))
def test_conv_transpose_fans_match_counted_fans(groups, in_per_group, out_per_group, stride):
    k = 2 * stride  # the stride divides the kernel, so every output gathers exactly k/stride taps
    weight = torch.empty(in_per_group * groups, out_per_group, k)
    counted = counted_fans(weight, F.conv_transpose1d, groups=groups, stride=stride)
    assert conv_fans(weight.shape, groups=groups, transposed=True, stride=stride) == counted


def test_conv_fans_validate_arguments():
    with pytest.raises(ValueError, match="groups must be a positive divisor"):
        conv_fans((6, 2, 3, 3), groups=4)
    with pytest.raises(ValueError, match="stride must be"):
        conv_fans((6, 2, 3, 3), transposed=True, stride=(1, 2, 3))
    with pytest.raises(ValueError, match="kernel"):
        conv_fans((6, 2))


def test_fan_modes():
    assert fan(3, 12, "fan_in") == 3 and fan(3, 12, "fan_out") == 12
    assert fan(3, 12, "fan_avg") == 7.5 and fan(3, 12, "fan_geo_avg") == 6
    message = "mode must be one of 'fan_in', 'fan_out', 'fan_avg', 'fan_geo_avg'; got 'fan_inn'"
    with pytest.raises(ValueError, match=message):
        fan(3, 12, "fan_inn")
