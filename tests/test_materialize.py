"""materialize_: keyed init of plain and meta models, its checks, and non-elementwise draws (one process).

The multi-process (gloo, FSDP2) runs are in tests/test_distributed.py.
"""

import math

import pytest
import scipy.stats
import torch
from distributed_worker import N_LAYER, TinyGPT
from torch import nn

from initref.philox import stream_key
from initref.torch import keyed_normal_, keyed_uniform_, materialize_
from initref.torch.materialize import _orthogonal
from initref.torch.recipes import Recipe
from initref.torch.recipes.draws import Draw

P_FAIL = 1e-6  # false-failure probability of each statistical assertion


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def _on_meta() -> TinyGPT:
    with torch.device("meta"):
        return TinyGPT()


def test_a_meta_model_gets_the_values_of_the_same_model_built_on_cpu():
    plain, meta = TinyGPT(), _on_meta()
    materialize_(plain, "gpt2", seed=3, n_layer=N_LAYER)
    materialize_(meta, "gpt2", seed=3, n_layer=N_LAYER, require_meta=True)
    assert not any(p.is_meta for p in meta.parameters())
    for (name, a), (_, b) in zip(plain.state_dict().items(), meta.state_dict().items(), strict=True):
        assert torch.equal(a, b), name


def test_each_parameter_is_its_own_keyed_stream():
    model = TinyGPT()
    materialize_(model, "gpt2", seed=3, n_layer=N_LAYER)
    # GPT-2's recipe: c_fc weights are N(0, 0.02^2) (Radford et al. 2019; HF GPT2PreTrainedModel._init_weights)
    expected = keyed_normal_(torch.empty(model.h[1].c_fc.weight.shape), 0.0, 0.02, seed=3, name="h.1.c_fc.weight",
                             recipe="gpt2")
    assert torch.equal(model.h[1].c_fc.weight.detach(), expected)
    other = TinyGPT()
    materialize_(other, "gpt2", seed=4, n_layer=N_LAYER)
    assert not torch.equal(other.h[1].c_fc.weight, model.h[1].c_fc.weight)


def test_the_values_follow_the_recipes_distributions():
    model = TinyGPT()
    report = materialize_(model, "gpt2", seed=5, n_layer=N_LAYER)
    params = dict(model.named_parameters())
    touched = [t for t in report.touched if t.draw.distribution == "normal" and t.rows is None]
    assert touched
    for t in touched:
        values = params[t.name].detach().double().flatten()
        if t.zero_rows:
            continue
        n = values.numel()
        ratio = float(values.pow(2).sum()) / (n * t.draw.std**2)  # mean 0 known: n * ratio ~ chi2(n)
        low, high = scipy.stats.chi2.ppf(P_FAIL / 2, n) / n, scipy.stats.chi2.isf(P_FAIL / 2, n) / n
        assert low <= ratio <= high, (t.name, ratio)


def test_multihead_attention_row_blocks_are_ranges_of_one_stream():
    model = nn.Sequential(nn.MultiheadAttention(32, 4))
    report = materialize_(model, "xavier", seed=1)
    blocks = [t for t in report.touched if t.rows is not None]
    assert len(blocks) == 3  # q, k, v
    weight = model[0].in_proj_weight.detach()
    for t in blocks:
        start, stop = t.rows
        expected = keyed_uniform_(torch.empty(stop - start, 32), -t.draw.bound, t.draw.bound, seed=1,
                                  name="0.in_proj_weight", recipe="xavier", global_shape=weight.shape,
                                  offset=(start, 0))
        assert torch.equal(weight[start:stop], expected), t.label


def test_padding_rows_are_zero():
    model = nn.Sequential(nn.Embedding(20, 8, padding_idx=3), nn.Linear(8, 8))
    materialize_(model, "torch_default", seed=0)
    assert torch.equal(model[0].weight[3], torch.zeros(8))
    assert bool((model[0].weight[4] != 0).all())


def test_norm_running_statistics_are_reset_on_a_meta_model():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    materialize_(model, "kaiming", seed=0)
    assert torch.equal(model[1].running_mean, torch.zeros(8))
    assert torch.equal(model[1].running_var, torch.ones(8))
    assert int(model[1].num_batches_tracked) == 0


# ----------------------------------------------------------------------------- orthogonal


def _orthogonal_recipe(gain: float) -> Recipe:
    def plan(plan, opts):
        for prefix, module in plan.layers():
            if isinstance(module, nn.Linear):
                rows, cols = module.weight.shape
                draw = Draw("orthogonal_(gain)", "orthogonal", std=gain / math.sqrt(max(rows, cols)))
                plan.claim(prefix, module, "weight", "weight", draw)
    return Recipe("test-orthogonal", "Saxe et al. (2014)", "Linear weights", {}, plan)


@pytest.mark.parametrize("shape", [(12, 30), (30, 12), (16, 16)])
def test_orthogonal_is_orthogonal_times_its_gain(shape):
    model = nn.Sequential(nn.Linear(shape[1], shape[0], bias=False))
    materialize_(model, _orthogonal_recipe(1.5), seed=2)
    w = model[0].weight.detach().double()
    small = min(shape)
    gram = w @ w.T if shape[0] <= shape[1] else w.T @ w
    torch.testing.assert_close(gram, 1.5**2 * torch.eye(small, dtype=torch.float64), atol=1e-5, rtol=0)


def test_orthogonal_row_and_column_shards_are_blocks_of_the_whole():
    key = stream_key(2, "w")
    whole = torch.empty(10, 14, dtype=torch.float64)
    _orthogonal((whole, (10, 14), (0, 0)), key, 2.0)
    rows = torch.empty(4, 14, dtype=torch.float64)
    _orthogonal((rows, (10, 14), (6, 0)), key, 2.0)
    cols = torch.empty(10, 5, dtype=torch.float64)
    _orthogonal((cols, (10, 14), (0, 9)), key, 2.0)
    assert torch.equal(rows, whole[6:])
    assert torch.equal(cols, whole[:, 9:])


# ----------------------------------------------------------------------------- bad input


def test_require_meta_refuses_a_real_model_and_leaves_it_alone():
    model = TinyGPT()
    before = _state(model)
    with pytest.raises(ValueError, match="require_meta"):
        materialize_(model, "gpt2", seed=0, n_layer=N_LAYER, require_meta=True)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize(("recipe", "options", "error", "match"), [
    ("no-such-recipe", {}, ValueError, "no-such-recipe"),
    ("gpt2", {"n_layer": 0}, ValueError, "n_layer"),
    ("gpt2", {"n_layer": N_LAYER, "not_an_option": 1}, TypeError, "not_an_option"),
])
def test_a_bad_recipe_or_option_leaves_a_meta_model_on_meta(recipe, options, error, match):
    model = _on_meta()
    with pytest.raises(error, match=match):
        materialize_(model, recipe, seed=0, **options)
    assert all(p.is_meta for p in model.parameters())


@pytest.mark.parametrize(("seed", "error"), [(-1, ValueError), (0.5, TypeError)])
def test_a_bad_seed_leaves_the_model_unchanged(seed, error):
    model = TinyGPT()
    before = _state(model)
    with pytest.raises(error, match="seed"):
        materialize_(model, "gpt2", seed=seed, n_layer=N_LAYER)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_a_meta_parameter_the_recipe_does_not_claim_is_refused():
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(4, 4))
    model.register_parameter("scale", nn.Parameter(torch.empty(4, device="meta")))
    with pytest.raises(ValueError, match="does not claim parameter.*scale"):
        materialize_(model, "kaiming", seed=0)
    assert all(p.is_meta for p in model.parameters())


def test_a_model_partly_on_meta_is_refused():
    model = nn.Sequential(nn.Linear(4, 4))
    with torch.device("meta"):
        model.append(nn.Linear(4, 4))
    with pytest.raises(ValueError, match="some of the model's tensors are on the meta device"):
        materialize_(model, "kaiming", seed=0)


def test_a_meta_buffer_it_cannot_know_is_refused():
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(4, 4))
    model.register_buffer("mask", torch.empty(4, device="meta"))
    with pytest.raises(ValueError, match="buffer.*mask"):
        materialize_(model, "kaiming", seed=0)
    assert all(p.is_meta for p in model.parameters())
