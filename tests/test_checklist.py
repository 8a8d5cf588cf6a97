"""checklist: clean models pass, planted faults are flagged, the false-alarm rate is the stated one."""

import copy

import pytest
import scipy.stats
import torch
from torch import nn

from initref.torch import apply_init, checklist

# Two-sided normal interval with false-failure probability 1e-6: z = 4.89.
Z_FAIL = scipy.stats.norm.isf(1e-6 / 2)


def mlp(width=256, depth=3, classes=10):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(width, classes))


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.c_attn, self.c_fc = nn.Linear(d, 3 * d), nn.Linear(d, 4 * d)
        self.attn_proj, self.c_proj = nn.Linear(d, d), nn.Linear(4 * d, d)


class PreLN(nn.Module):
    def __init__(self, d=64, n_layer=4):
        super().__init__()
        self.wte = nn.Embedding(256, d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, 256)


GPT2 = {"n_layer": 4, "residual": ("c_proj", "attn_proj")}


def seeded(factory, seed=0):
    torch.manual_seed(seed)
    return factory()


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def findings(result):
    return {(f.parameter, f.check, f.severity) for f in result.findings}


# ----------------------------------------------------------------------------- clean models pass


@pytest.mark.parametrize("factory", [mlp, lambda: nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(16, 8, 3)),
                                     lambda: nn.TransformerEncoderLayer(32, 4, 64)], ids=["mlp", "cnn", "transformer"])
def test_torch_default_models_pass_without_a_recipe_and_against_torch_default(factory):
    model = seeded(factory)
    assert not checklist(model).findings
    assert not checklist(model, "torch_default").findings


def test_recipe_initialized_models_pass_against_their_recipe():
    model = seeded(PreLN)
    report = apply_init(model, "gpt2", generator=gen(), **GPT2)
    assert not checklist(model, report).findings
    result = checklist(model, "gpt2", **GPT2)
    assert result.ok and not result.findings and result.recipe == "gpt2"
    assert result.tests == 2 * (4 * 4 + 2)  # mean and std of every random draw: 4 Linear per block, wte, head
    resnet = seeded(lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.Sequential(nn.Conv2d(8, 8, 3), nn.ReLU(),
                                                                            nn.Conv2d(8, 8, 3)), nn.Linear(8, 4)))
    report = apply_init(resnet, "fixup", branches="1", head="2", generator=gen())
    assert not checklist(resnet, report).findings  # its zeros are expected


def test_kaiming_on_gelu_selu_and_zero_element_layers_passes_against_its_recipe():
    gelu = seeded(lambda: nn.Sequential(nn.Linear(256, 256), nn.GELU(), nn.Linear(256, 256), nn.SELU(),
                                        nn.Linear(256, 10)))
    report = apply_init(gelu, "kaiming", generator=gen())
    assert not checklist(gelu, report).findings
    assert not checklist(gelu, "kaiming").findings
    with pytest.warns(UserWarning, match="zero-element"):
        empty = seeded(lambda: nn.Sequential(nn.Linear(0, 8), nn.ReLU(), nn.Linear(8, 8)))
        report = apply_init(empty, "kaiming", generator=gen())
    assert checklist(empty, report).ok


# ----------------------------------------------------------------------------- planted faults


def test_planted_faults_without_a_recipe():
    model = seeded(mlp)
    with torch.no_grad():
        model[0].weight.normal_(0, 1, generator=gen())  # fan_in Var(w) = 256: explodes
        model[2].weight[5, 7] = float("nan")
        model[4].weight.fill_(0.01)  # every unit the same
        model[6].weight[1] = model[6].weight[0]  # two output units alike
    result = checklist(model)
    assert {("0.weight", "std_too_large", "warning"), ("2.weight", "nan_inf", "error"),
            ("4.weight", "constant", "error"), ("6.weight", "duplicate_rows", "warning")} <= findings(result)
    assert not result.ok
    small = seeded(mlp)
    with torch.no_grad():
        small[2].weight.mul_(0.01)  # fan_in Var(w) = 256 * (0.01^2 / 768): vanishes
        small[4].weight.add_(0.02)  # a shift of ~0.6 std on 65536 values
    assert {("2.weight", "std_too_small", "warning"), ("4.weight", "mean", "warning")} <= findings(checklist(small))


def test_planted_faults_against_a_recipe():
    model = seeded(PreLN)
    report = apply_init(model, "gpt2", generator=gen(), **GPT2)
    blocks = model.blocks
    with torch.no_grad():
        blocks[0].c_attn.weight.mul_(1.2)  # std 0.024 instead of 0.02
        blocks[1].c_fc.weight.mul_(0.9)
        blocks[2].c_proj.weight.add_(0.002)  # mean shift of ~0.3 std (std 0.02/sqrt(8)) on 16384 values
        blocks[3].ln_1.weight[0] = 0.5
        model.wte.weight[3, 3] = float("inf")
    flagged = findings(checklist(model, report))
    assert {("blocks.0.c_attn.weight", "std_too_large", "error"), ("blocks.1.c_fc.weight", "std_too_small", "error"),
            ("blocks.2.c_proj.weight", "mean", "error"), ("blocks.3.ln_1.weight", "not_constant", "error"),
            ("wte.weight", "nan_inf", "error")} <= flagged
    assert {name for name, _, _ in flagged} == {"blocks.0.c_attn.weight", "blocks.1.c_fc.weight",
                                                "blocks.2.c_proj.weight", "blocks.3.ln_1.weight", "wte.weight"}


def test_a_gelu_layer_with_relus_gain_is_flagged_against_kaiming():
    model = seeded(lambda: nn.Sequential(nn.Linear(256, 256), nn.GELU(), nn.Linear(256, 10)))
    apply_init(model, "kaiming", generator=gen())
    with torch.no_grad():
        model[0].weight.normal_(0, 2**0.5 / 16, generator=gen(1))  # ReLU's sqrt(2), not GELU's 1.533 (8% low)
    # 65536 normal draws: the chi-square interval of s^2/sigma^2 at 1e-6 is about ±3%, so 0.85 is far out.
    assert ("0.weight", "std_too_small", "error") in findings(checklist(model, "kaiming"))


def test_a_sample_pass_leaves_grads_and_buffers_as_they_were():
    model = seeded(lambda: nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))).train()
    marker = torch.full_like(model[0].weight, 7.0)
    model[0].weight.grad = marker
    running = model[1].running_var.clone()
    checklist(model, sample_input=torch.randn(32, 8) * 3, generator=gen())
    assert model[0].weight.grad is marker and model[3].weight.grad is None
    assert torch.equal(model[1].running_var, running) and int(model[1].num_batches_tracked) == 0


def test_a_uniform_draw_outside_its_support_is_flagged():
    model = seeded(mlp)
    with torch.no_grad():
        model[2].weight.mul_(1.5)
    flagged = findings(checklist(model, "torch_default"))
    assert {("2.weight", "outside_support", "error"), ("2.weight", "std_too_large", "error")} <= flagged


def test_zero_weights_block_learning_only_where_the_gradient_is_zero_too():
    model = seeded(mlp)
    with torch.no_grad():
        model[2].weight.zero_()  # a hidden ReLU layer with zero weights and zero bias: relu'(0) = 0 upstream
        model[2].bias.zero_()
        model[6].weight.zero_()  # the classifier: zero-initialized heads learn (Dosovitskiy et al. 2021)
    assert {("2.weight", "all_zero", "warning"), ("6.weight", "all_zero", "warning")} <= findings(checklist(model))
    result = checklist(model, sample_input=torch.randn(64, 256, generator=gen(1)), generator=gen(2))
    flagged = findings(result)
    assert ("2.weight", "all_zero", "error") in flagged
    assert not any(name == "6.weight" for name, _, _ in flagged)
    assert ("0.weight", "no_gradient", "warning") in flagged  # behind the zero layer, nothing reaches it


def test_cloned_layers_zero_norm_weights_and_unused_modules():
    layer = nn.TransformerEncoderLayer(32, 4, 64)
    encoder = seeded(lambda: nn.TransformerEncoder(layer, 2, enable_nested_tensor=False))
    flagged = findings(checklist(encoder))
    assert ("layers.1.linear1.weight", "copy", "warning") in flagged  # nn.TransformerEncoder deep-copies its layer
    model = seeded(lambda: nn.ModuleDict({"used": nn.Linear(8, 8), "norm": nn.LayerNorm(8), "unused": nn.Linear(8, 8)}))
    with torch.no_grad():
        model["norm"].weight.zero_()

    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, x):
            return self.inner["norm"](self.inner["used"](x))

    flagged = findings(checklist(Wrapper(), sample_input=torch.randn(4, 8)))
    assert ("inner.norm.weight", "all_zero", "warning") in flagged
    assert ("inner.unused.weight", "no_gradient", "warning") in flagged


# ----------------------------------------------------------------------------- calibration and API


@pytest.mark.parametrize(("recipe", "options"), [("llama", {"std": 0.02}), ("torch_default", {})])
def test_the_false_alarm_rate_is_the_stated_probability(recipe, options):
    """A correctly drawn 64x64 weight has two tests (mean, std), each at p/2: P(any finding) = 1 - (1 - p/2)^2."""
    p, runs = 0.25, 300
    alarms = 0
    for seed in range(runs):
        layer = nn.Linear(64, 64, bias=False)
        report = apply_init(layer, recipe, generator=gen(seed), **options)
        alarms += bool(checklist(layer, report, p_false_alarm=p).findings)
    rate = 1 - (1 - p / 2) ** 2
    # Binomial(runs, rate): two-sided normal interval at p_fail = 1e-6.
    assert abs(alarms - runs * rate) <= Z_FAIL * (runs * rate * (1 - rate)) ** 0.5, alarms


def test_table_and_errors():
    model = seeded(mlp)
    with torch.no_grad():
        model[4].weight.fill_(0.5)
    result = checklist(model)
    text = str(result)
    assert "constant" in text and "4.weight" in text and "error" in text
    assert result.flagged("constant") == {"4.weight"}
    with pytest.raises(ValueError, match=r"p_false_alarm must be in \(0, 1\); got 2"):
        checklist(model, p_false_alarm=2)
    with pytest.raises(ValueError, match="band must be"):
        checklist(model, band=(10, 1))
    with pytest.raises(TypeError, match="need a recipe"):
        checklist(model, n_layer=3)
    other = apply_init(copy.deepcopy(seeded(PreLN)), "gpt2", **GPT2)
    with pytest.raises(ValueError, match="which the model does not have"):
        checklist(model, other)


# ----------------------------------------------------------------------------- truncated and orthogonal draws


@pytest.mark.parametrize(("sigma", "a", "b"), [(0.02, -2.0, 2.0), (1.0, -2.0, 2.0), (1.0, -1.0, 1.0)],
                         ids=["timm-absolute-bounds", "two-sigma", "one-sigma"])
def test_the_truncated_normal_variance_interval_has_its_stated_false_alarm_rate(sigma, a, b):
    """s^2/std^2 of 1024 draws from torch's trunc_normal_, 2000 times, against the interval at p = 0.02.

    The wrong spreads are caught on both sides: the uniform's 4/(5n) (what non-normal draws got
    before) rejects about 14% (timm) and 7.5% (two-sigma); the normal's 2/n rejects about 0.07%
    at one sigma.
    """
    from initref.torch.checklist import _variance_interval
    from initref.torch.recipes.draws import _trunc_normal

    draw = _trunc_normal(sigma, a, b)
    n, runs, p = 1024, 2000, 0.02
    values = torch.empty(runs, n, dtype=torch.float64)
    torch.nn.init.trunc_normal_(values, 0.0, sigma, a, b, generator=gen(7))
    low, high = _variance_interval(draw, n, p)
    ratio = values.var(dim=1) / draw.std**2
    alarms = int(((ratio < low) | (ratio > high)).sum())
    # Binomial(runs, p): two-sided normal interval at p_fail = 1e-6 (about 40 ± 31).
    assert abs(alarms - runs * p) <= Z_FAIL * (runs * p * (1 - p)) ** 0.5, alarms


def orthogonal_report(layer, gain=1.0):
    from initref.torch.recipes import InitReport, Touched
    from initref.torch.recipes.draws import Draw

    rows, cols = layer.weight.shape
    draw = Draw(f"orthogonal_(gain={gain})", "orthogonal", gain / max(rows, cols) ** 0.5)
    return InitReport("custom", "", {}, (Touched("weight", "Linear", "weight", draw),), ("bias",))


@pytest.mark.parametrize("shape", [(32, 64), (64, 32)], ids=["wide", "tall"])
def test_an_orthogonal_draw_is_checked_for_orthogonality_not_elementwise(shape):
    layer = seeded(lambda: nn.Linear(shape[1], shape[0]))
    torch.nn.init.orthogonal_(layer.weight, gain=2.0, generator=gen())
    report = orthogonal_report(layer, gain=2.0)
    result = checklist(layer, report)
    assert not result.findings and result.tests == 0  # no mean or std test on a non-i.i.d. draw
    with torch.no_grad():
        layer.weight.mul_(1.01)  # gain 2.02: G / g^2 - I = 0.02 on the diagonal, rounding allows about 1e-3
    assert ("weight", "not_orthogonal", "error") in findings(checklist(layer, report))
    with torch.no_grad():
        layer.weight.div_(1.01)
        layer.weight[0, 0] += 0.05
    assert ("weight", "not_orthogonal", "error") in findings(checklist(layer, report))


# ----------------------------------------------------------------------------- the batch as second argument


def test_the_second_argument_is_a_recipe_or_a_batch():
    model = seeded(lambda: nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)))
    with torch.no_grad():
        model[0].weight.zero_()
        model[0].bias.zero_()  # relu'(0) = 0: no gradient reaches model[0], none leaves the zero activations
    x = torch.randn(16, 8, generator=gen(1))
    forms = {"tensor": x, "tuple": (x,), "list": [x], "callable": lambda: x, "mapping": {"input": x}}
    expected = findings(checklist(model, sample_input=x, generator=gen(2)))
    assert {("0.weight", "all_zero", "error"), ("2.weight", "no_gradient", "warning")} <= expected
    assert ("0.weight", "all_zero", "warning") in findings(checklist(model))  # without a batch: only a warning
    for form, batch in forms.items():
        assert findings(checklist(model, batch, generator=gen(2))) == expected, form
    assert findings(checklist(model, x, recipe="torch_default", generator=gen(2))) >= expected
    assert checklist(model, "torch_default").recipe == "torch_default"  # a recipe name in second place
    with pytest.raises(TypeError, match="both as its second positional argument and as sample_input="):
        checklist(model, x, sample_input=x)
    with pytest.raises(TypeError, match="both as its second positional argument and as recipe="):
        checklist(model, "kaiming", recipe="kaiming")
    with pytest.raises(TypeError, match="second argument must be a batch .* got int"):
        checklist(model, 3)
    with pytest.raises(TypeError, match="must return a tensor"):
        checklist(model, lambda: None)


def test_a_failing_batch_leaves_the_model_as_it_was():
    model = seeded(lambda: nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 2))).train()
    marker = torch.full_like(model[0].weight, 7.0)
    model[0].weight.grad = marker
    state = {k: v.clone() for k, v in model.state_dict().items()}

    def broken():
        raise RuntimeError("no data")

    with pytest.raises(RuntimeError, match="no data"):
        checklist(model, broken)
    with pytest.raises(RuntimeError):  # mat1 and mat2 shapes cannot be multiplied
        checklist(model, torch.randn(4, 9))
    assert model[0].weight.grad is marker and all(p.grad is None for p in list(model.parameters())[1:])
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
