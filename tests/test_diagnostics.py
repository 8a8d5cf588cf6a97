"""diagnose: per-layer statistics that match variance-propagation theory; hooks and state always restored."""

import io
import math

import pytest
import scipy.stats
import torch
from rich.console import Console
from torch import nn

from initref.torch import apply_init, diagnose

# Two-sided normal interval with false-failure probability 1e-6: z = 4.89.
Z_FAIL = scipy.stats.norm.isf(1e-6 / 2)
WIDTH, HIDDEN, BATCH = 256, 16, 512


def deep_relu_mlp():
    layers = []
    for _ in range(HIDDEN):
        layers += [nn.Linear(WIDTH, WIDTH), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(WIDTH, 10))


def initialized(recipe, **options):
    torch.manual_seed(0)
    model = deep_relu_mlp()
    apply_init(model, recipe, generator=torch.Generator().manual_seed(1), **options)
    return model


def sample():
    return torch.randn(BATCH, WIDTH, generator=torch.Generator().manual_seed(2))


def log_tolerance(steps):
    """Tolerance on log(std_last / std_first) over ``steps`` ReLU layers of width WIDTH.

    Hanin (2018), Which neural net architectures give rise to exploding and vanishing gradients?,
    Thm. 1: for a He-initialized ReLU net the log of the squared activation norm has variance
    about 5 * sum(1/n_l), and its mean drifts down by about half of that. The std is the square
    root, so halve both; the spread is the same at any weight scale (ReLU is homogeneous). Per
    input this bounds the batch statistic's fluctuation from above (averaging over inputs only
    shrinks it). Interval: z * sd + drift at p_fail = 1e-6 (z = 4.89).
    """
    variance = 5 * steps / WIDTH
    return Z_FAIL * math.sqrt(variance) / 2 + variance / 4


def linear_stats(diagnosis):
    return diagnosis.of_kind(nn.Linear)[:HIDDEN]


@pytest.mark.parametrize("std", [None, 0.01], ids=["kaiming", "std-0.01"])
def test_activation_and_gradient_std_follow_the_per_layer_factor(std):
    """He et al. (2015) eq. 9-10: each ReLU layer multiplies the activation variance by n Var(w) / 2;
    backward (eq. 13-14) the gradient variance by the same factor. Kaiming: 1; std 0.01: 256e-4/2."""
    model = initialized("kaiming") if std is None else initialized("llama", std=std)
    layers = linear_stats(diagnose(model, sample()))
    steps = HIDDEN - 1
    factor = 1.0 if std is None else WIDTH * std**2 / 2
    expected = steps * 0.5 * math.log(factor)
    forward = math.log(layers[-1].std / layers[0].std)
    backward = math.log(layers[0].grad_std / layers[-1].grad_std)
    assert abs(forward - expected) <= log_tolerance(steps), (forward, expected)
    assert abs(backward - expected) <= log_tolerance(steps), (backward, expected)


def test_a_well_and_a_badly_initialized_deep_mlp_are_told_apart():
    good = linear_stats(diagnose(initialized("kaiming"), sample()))
    bad = linear_stats(diagnose(initialized("llama", std=0.01), sample()))
    limit = log_tolerance(HIDDEN - 1)
    assert abs(math.log(good[-1].std / good[0].std)) <= limit
    assert math.log(bad[-1].std / bad[0].std) < -10 * limit  # vanished by a factor e^-20 or more


def test_planted_dead_units_are_counted_exactly():
    model = initialized("kaiming")
    assert diagnose(model, sample()).of_kind(nn.ReLU)[0].dead_fraction == 0
    with torch.no_grad():
        model[0].bias[:32] = -1e4  # these 32 units of the first layer never fire
    relus = diagnose(model, sample()).of_kind(nn.ReLU)
    # The first layer sees i.i.d. N(0, I) inputs: a live unit is 0 on all 512 samples with probability
    # 2^-512, so exactly the planted units are dead. (Deeper layers see correlated inputs, where units can die.)
    assert relus[0].dead_fraction == 32 / WIDTH
    # The live units' pre-activations are symmetric: each is 0 after ReLU on a fraction 1/2 ± 0.5/sqrt(512) of
    # the samples; bounding the units as fully dependent (the worst case), z = 4.89 times that, scaled by 224/256.
    live = 1 - 32 / WIDTH
    assert relus[0].zero_fraction == pytest.approx(32 / WIDTH + live / 2, abs=Z_FAIL * 0.5 / math.sqrt(BATCH) * live)


def test_loss_fn_gradients_match_a_manual_backward():
    model = initialized("kaiming")
    x, target = sample(), torch.arange(BATCH) % 10
    loss_fn = lambda out: nn.functional.cross_entropy(out, target)  # noqa: E731
    result = diagnose(model, x, loss_fn)
    loss = loss_fn(model(x))
    loss.backward()
    assert result.loss == pytest.approx(float(loss.detach()), rel=1e-6)
    first = result.of_kind(nn.Linear)[0]
    # float32 statistics against float64 ones: agreement to float32 accuracy.
    assert first.weight_grad_std == pytest.approx(float(model[0].weight.grad.double().std()), rel=1e-5)
    assert first.weight_std == pytest.approx(float(model[0].weight.detach().double().std()), rel=1e-5)


def no_hooks(model):
    return all(not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks for m in model.modules())


def test_hooks_grads_and_buffers_are_restored():
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2)).train()
    marker = torch.full_like(model[0].weight, 7.0)
    model[0].weight.grad = marker
    running = model[1].running_mean.clone()
    result = diagnose(model, torch.randn(32, 8) + 3)
    assert no_hooks(model)
    assert model[0].weight.grad is marker and model[3].weight.grad is None
    assert torch.equal(model[1].running_mean, running) and int(model[1].num_batches_tracked) == 0
    assert [s.kind for s in result.layers] == ["Linear", "BatchNorm1d", "ReLU", "Linear"]


def test_hooks_grads_and_buffers_are_restored_when_the_forward_raises():
    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), Broken(), nn.Linear(4, 4)).train()
    marker = torch.full_like(model[0].weight, 7.0)
    model[0].weight.grad = marker
    running = model[1].running_mean.clone()
    with pytest.raises(RuntimeError, match="boom"):
        diagnose(model, torch.randn(8, 4) + 3)  # BatchNorm updates its running mean before Broken raises
    assert no_hooks(model)
    assert model[0].weight.grad is marker
    assert torch.equal(model[1].running_mean, running) and int(model[1].num_batches_tracked) == 0
    other = nn.Sequential(nn.Linear(4, 4))
    with pytest.raises(ValueError, match="loss_fn must return a scalar"):
        diagnose(other, torch.randn(2, 4), loss_fn=lambda out: out)
    assert no_hooks(other)


def test_batch_dim_chooses_the_sample_dimensions_of_dead_units():
    model = nn.Sequential(nn.Linear(8, 16, bias=False), nn.ReLU())
    x = torch.randn(5, 256, 8, generator=torch.Generator().manual_seed(3))  # (time, batch, features)
    x[0] = 0  # at time step 0 every unit outputs exactly 0 for every sample
    # A live coordinate (t > 0, unit) is 0 on all 256 i.i.d. samples with probability 2^-256: the counts are exact.
    fifth = pytest.approx(1 / 5, rel=1e-7)  # 16 of 80 flags, averaged in float32
    assert diagnose(model, x, batch_dim=1).of_kind(nn.ReLU)[0].dead_fraction == fifth
    assert diagnose(model, x, batch_dim=-2).of_kind(nn.ReLU)[0].dead_fraction == fifth
    assert diagnose(model, x, batch_dim=(0, 1)).of_kind(nn.ReLU)[0].dead_fraction == 0
    flat = diagnose(model, x[1], batch_dim=(0, 1)).of_kind(nn.ReLU)[0]  # no dimension left: elementwise zeros
    assert flat.dead_fraction == flat.zero_fraction
    for bad in ("0", True, (), (0, 1.0)):
        with pytest.raises(TypeError, match="batch_dim must be an int or a non-empty tuple of ints"):
            diagnose(model, x, batch_dim=bad)


def test_attention_table_plot_and_options(tmp_path):
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True).eval()
    result = diagnose(layer, torch.randn(3, 5, 16), generator=torch.Generator().manual_seed(0))
    kinds = [s.kind for s in result.layers]
    assert "MultiheadAttention" in kinds and "NonDynamicallyQuantizableLinear" not in kinds
    assert all(s.grad_std is not None and s.grad_std > 0 for s in result.layers if s.kind == "Linear")
    text = str(result)
    assert "self_attn" in text and "linear2" in text
    printed = io.StringIO()
    result.print(Console(width=160, file=printed))
    assert printed.getvalue() == text
    path = result.plot(tmp_path / "layers.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    only = diagnose(layer, torch.randn(3, 5, 16), modules=["linear1"], backward=False)
    assert [s.name for s in only.layers] == ["linear1"] and only.layers[0].grad_std is None
    with pytest.raises(ValueError, match="unknown nonexistent"):
        diagnose(layer, torch.randn(3, 5, 16), modules=["nonexistent"])
