"""Helpers shared by the initref.torch tests: devices, bit comparison, KS test, no host reads."""

import pytest
import scipy.stats
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
# Kolmogorov-Smirnov tests reject at p < P_FAIL: with fixed seeds and a correct sampler, a
# false failure has probability 1e-6 per test.
P_FAIL = 1e-6
# Two-sided normal interval with false-failure probability 1e-6: z = 4.89.
Z_FAIL = scipy.stats.norm.isf(P_FAIL / 2)


def bits(tensor):
    """The tensor's raw bits as an integer tensor (so -0.0 != 0.0 and NaNs compare exactly)."""
    width = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[tensor.element_size()]
    return tensor.detach().contiguous().view(width).cpu()


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(bits(a), bits(b))


def assert_ks(sample, distribution):
    """Kolmogorov-Smirnov test; fails with probability P_FAIL under a correct sampler."""
    result = scipy.stats.kstest(sample.detach().double().cpu().numpy().ravel(), distribution.cdf)
    assert result.pvalue > P_FAIL, result


@pytest.fixture
def no_host_reads(monkeypatch):
    """Make every way of reading tensor data back to Python fail."""
    def forbidden(*args, **kwargs):
        raise AssertionError("host read-back in a sampling path")

    for method in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__"):
        monkeypatch.setattr(torch.Tensor, method, forbidden)
