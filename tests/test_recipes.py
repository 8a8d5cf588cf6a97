"""apply_init: each recipe's stated distribution per parameter group, nothing else touched, clear errors.

Expected stds are computed here from the papers' formulas (cited at each use), not from
initref's generated code, so the tests check the runtime against the sources.
"""

import math
import warnings

import pytest
import scipy.integrate
import scipy.stats
import torch
from torch import nn

import initref.torch as init
from initref.torch.recipes import RECIPES, InitReport, Recipe, apply_init, plan_init, register_recipe

# Every statistical assertion below has false-failure probability P_FAIL = 1e-6 (with fixed seeds
# a correct recipe fails none of the ~200 of them with probability > 0.9998).
P_FAIL = 1e-6
# Two-sided normal interval at P_FAIL: z = 4.89.
Z_FAIL = scipy.stats.norm.isf(P_FAIL / 2)
# Excess kurtosis + 2 of the uniform distribution: E[u^4]/sigma^4 - 1 = 9/5 - 1 = 4/5
# (Johnson, Kotz & Balakrishnan 1995, ch. 26), so Var(s^2) ~ (4/5) sigma^4 / n.
UNIFORM_M2_REL_VAR = 4 / 5
SEED = 20240607


def values_of(tensors):
    return torch.cat([t.detach().double().flatten() for t in tensors])


def assert_normal(tensors, std, mean=0.0):
    """Sample mean within z*std/sqrt(n); (n-1)s^2/std^2 within the chi-square(n-1) interval at P_FAIL."""
    x = values_of(tensors)
    n = x.numel()
    assert abs(float(x.mean()) - mean) <= Z_FAIL * std / math.sqrt(n)
    ratio = float(x.var()) / std**2
    low = scipy.stats.chi2.ppf(P_FAIL / 2, n - 1) / (n - 1)
    high = scipy.stats.chi2.isf(P_FAIL / 2, n - 1) / (n - 1)
    assert low <= ratio <= high, (ratio, low, high, n)


def assert_uniform(tensors, bound):
    """Support within ±bound; variance bound^2/3 within the CLT interval of s^2 at P_FAIL."""
    x = values_of(tensors)
    n = x.numel()
    assert float(x.abs().max()) <= bound
    ratio = float(x.var()) / (bound**2 / 3)
    assert abs(ratio - 1) <= Z_FAIL * math.sqrt(UNIFORM_M2_REL_VAR / n), (ratio, n)


def assert_constant(tensors, value):
    for t in tensors:
        assert bool((t.detach() == value).all())


# ----------------------------------------------------------------------------- models


def mlp(width=256, depth=3, act=nn.ReLU, classes=10):
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), act()]
    return nn.Sequential(*layers, nn.Linear(width, classes))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(64, 10)

    def forward(self, x):
        return self.classifier(self.features(x))


class GPTBlock(nn.Module):
    """nanoGPT-style pre-LN block: attention c_attn/c_proj, MLP c_fc/GELU/c_proj."""

    def __init__(self, d):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.ModuleDict({"c_attn": nn.Linear(d, 3 * d), "c_proj": nn.Linear(d, d)})
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.ModuleDict({"c_fc": nn.Linear(d, 4 * d), "act": nn.GELU(), "c_proj": nn.Linear(4 * d, d)})


class TinyGPT(nn.Module):
    def __init__(self, vocab=512, d=64, n_layer=4, tied=True, norm=nn.LayerNorm):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Parameter(torch.zeros(16, d))  # a module's own parameter: no recipe claims it
        self.blocks = nn.ModuleList([GPTBlock(d) for _ in range(n_layer)])
        self.ln_f = norm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        if tied:
            self.lm_head.weight = self.wte.weight


class TorchTransformer(nn.Module):
    """Embedding, pre-LN nn.TransformerEncoderLayers (built one by one, not cloned), a head."""

    def __init__(self, d=64, heads=4, n_layer=3, classes=10):
        super().__init__()
        self.embed = nn.Embedding(100, d, padding_idx=0)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True,
                                                                norm_first=True) for _ in range(n_layer)])
        self.head = nn.Linear(d, classes)

    def forward(self, tokens):
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x)
        return self.head(x.mean(1))


class FixupBlock(nn.Module):
    """Fixup's basic block (Zhang et al. 2019, fig. 1): scalar biases before each conv and activation, a scale."""

    def __init__(self, c):
        super().__init__()
        self.bias1a, self.bias1b, self.bias2a, self.bias2b = (nn.Parameter(torch.full((1,), 0.3)) for _ in range(4))
        self.scale = nn.Parameter(torch.full((1,), 0.3))
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)

    def forward(self, x):
        out = torch.relu(self.conv1(x + self.bias1a) + self.bias1b)
        out = self.conv2(out + self.bias2a) * self.scale + self.bias2b
        return torch.relu(x + out)


class ResNetStack(nn.Module):
    def __init__(self, c=32, blocks=4, classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.blocks = nn.Sequential(*[FixupBlock(c) for _ in range(blocks)])
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(self.blocks(torch.relu(self.stem(x))).mean((2, 3)))


def seeded(factory, seed=SEED):
    torch.manual_seed(seed)
    return factory()


def gen(seed=SEED):
    return torch.Generator().manual_seed(seed)


def params(model):
    return dict(model.named_parameters())


# ----------------------------------------------------------------------------- nothing unclaimed is touched

CASES = [
    ("torch_default", mlp, {}),
    ("torch_default", SmallCNN, {}),
    ("torch_default", TorchTransformer, {}),
    ("xavier", mlp, {}),
    ("xavier", SmallCNN, {"distribution": "normal"}),
    ("kaiming", SmallCNN, {}),
    ("kaiming", ResNetStack, {"mode": "fan_out"}),
    ("gpt2", TinyGPT, {"n_layer": 4}),
    ("gpt2", TorchTransformer, {"n_layer": 3}),
    ("llama", lambda: TinyGPT(norm=nn.RMSNorm), {}),
    ("small_init", TinyGPT, {"d_model": 64, "n_layer": 4}),
    ("fixup", ResNetStack, {"branches": "blocks.*", "head": "fc"}),
    ("rezero", lambda: TinyGPT(tied=False), {"names": "*ln_1.bias"}),
    ("deepnorm", TorchTransformer, {"n_layer": 3, "exclude": "head"}),
    ("mup", lambda: mlp(width=128), {"base_model": mlp(width=32)}),
    ("head", TorchTransformer, {"module": "head"}),
]


@pytest.mark.parametrize(("recipe", "factory", "options"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_claimed_parameters_are_fully_written_and_the_rest_is_bit_identical(recipe, factory, options):
    model = seeded(factory)
    sentinel = 123.25  # a value no recipe draws or sets
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(sentinel)
    report = apply_init(model, recipe, generator=gen(), **options)
    named = params(model)
    claimed = {t.name for t in report.touched}
    assert claimed.isdisjoint(report.untouched)
    assert claimed | set(report.untouched) == set(named)
    for name in report.untouched:
        assert bool((named[name] == sentinel).all()), name
    for name in claimed:
        assert not bool((named[name] == sentinel).any()), name


def test_torch_default_reproduces_construction_bits_from_the_same_rng_state():
    for factory in (mlp, SmallCNN, TorchTransformer, lambda: nn.LSTM(16, 32, num_layers=2)):
        built = seeded(factory)
        model = seeded(factory, seed=1)
        torch.manual_seed(SEED)
        report = apply_init(model, "torch_default")
        assert not report.untouched
        for (name, a), (_, b) in zip(built.named_parameters(), model.named_parameters(), strict=True):
            assert torch.equal(a, b), name
        again = seeded(factory, seed=1)
        apply_init(again, "torch_default", generator=gen())  # a fresh generator with the seed: same stream
        for (name, a), (_, b) in zip(built.named_parameters(), again.named_parameters(), strict=True):
            assert torch.equal(a, b), name


def test_the_generator_makes_runs_reproducible_and_seeds_differ():
    a, b, c = (seeded(lambda: TinyGPT(tied=False)) for _ in range(3))
    apply_init(a, "gpt2", n_layer=4, generator=gen(1))
    apply_init(b, "gpt2", n_layer=4, generator=gen(1))
    apply_init(c, "gpt2", n_layer=4, generator=gen(2))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.blocks[0].attn.c_attn.weight, c.blocks[0].attn.c_attn.weight)


def test_plan_init_describes_without_touching():
    model = seeded(SmallCNN)
    before = {n: p.clone() for n, p in model.named_parameters()}
    report = plan_init(model, "kaiming")
    assert isinstance(report, InitReport) and report.touched
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())


# ----------------------------------------------------------------------------- stated distributions


def test_xavier_uses_the_gain_of_the_following_activation():
    model = seeded(lambda: mlp(act=nn.Tanh))
    report = apply_init(model, "xavier", generator=gen())
    hidden = [model[i].weight for i in (0, 2, 4)]
    # Glorot & Bengio (2010) eq. 16: U(±g sqrt(6/(n_in + n_out))); torch's tanh gain 5/3.
    assert_uniform(hidden, 5 / 3 * math.sqrt(6 / (256 + 256)))
    assert_uniform([model[6].weight], math.sqrt(6 / (256 + 10)))  # last layer: no activation, gain 1
    assert_constant([model[i].bias for i in (0, 2, 4, 6)], 0.0)
    assert "tanh" in report.entries("0.weight")[0].role


def test_kaiming_per_module_type_on_a_cnn():
    model = seeded(SmallCNN)
    apply_init(model, "kaiming", generator=gen())
    conv1, conv2 = model.features[0], model.features[3]
    # He et al. (2015) eq. 10: std = g / sqrt(fan_in), g = sqrt(2) for ReLU, sqrt(2/(1+a^2)) for leaky ReLU.
    assert_normal([conv1.weight], math.sqrt(2) / math.sqrt(3 * 9))
    assert_normal([conv2.weight], math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(32 * 9))
    assert_normal([model.classifier.weight], 1 / math.sqrt(64))  # output layer: linear gain 1
    assert_constant([model.features[1].weight, model.features[4].weight], 1.0)
    assert_constant([conv1.bias, conv2.bias, model.features[1].bias, model.classifier.bias], 0.0)


def test_kaiming_inside_torch_transformer_layers():
    model = seeded(TorchTransformer)
    report = apply_init(model, "kaiming", generator=gen())
    linear1 = report.entries("layers.0.linear1.weight")[0].draw
    linear2 = report.entries("layers.0.linear2.weight")[0].draw
    assert "'relu'" in linear1.initializer and "'linear'" in linear2.initializer
    # q, k, v as three 64x64 linear maps: std 1/sqrt(64).
    assert_normal([layer.self_attn.in_proj_weight for layer in model.layers], 1 / math.sqrt(64))
    assert_normal([model.layers[0].linear1.weight], math.sqrt(2) / math.sqrt(64))


def _sigmoid(z):
    return 0.5 * (1 + math.tanh(z / 2))


def _softplus(z):
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


# Activations torch's calculate_gain does not know, as formulas (Hendrycks & Gimpel 2016 for GELU and its
# tanh form; Elfwing et al. 2018 SiLU; Misra 2019 Mish; Clevert et al. 2016 ELU; Howard et al. 2019 Hardswish).
FORMULAS = {
    "gelu": (nn.GELU, lambda z: z * scipy.stats.norm.cdf(z)),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"),
                  lambda z: 0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))),
    "silu": (nn.SiLU, lambda z: z * _sigmoid(z)),
    "mish": (nn.Mish, lambda z: z * math.tanh(_softplus(z))),
    "softplus_beta_2": (lambda: nn.Softplus(beta=2.0), lambda z: _softplus(2 * z) / 2),
    "elu_alpha_0.5": (lambda: nn.ELU(alpha=0.5), lambda z: z if z > 0 else 0.5 * math.expm1(z)),
    "hardswish": (nn.Hardswish, lambda z: z * min(1.0, max(0.0, z / 6 + 0.5))),
}


def forward_gain(f):
    """1 / sqrt(E[f(z)^2]), z ~ N(0, 1) (He et al. 2015, eq. 10, for any f), by adaptive quadrature.

    The mass beyond |z| = 40 is below 1e-300; the kinks (0, ±3) are split points; epsrel 1e-12.
    """
    second, _ = scipy.integrate.quad(lambda z: f(z) ** 2 * scipy.stats.norm.pdf(z), -40, 40, points=[-3, 0, 3],
                                     epsabs=0, epsrel=1e-12, limit=200)
    return 1 / math.sqrt(second)


@pytest.mark.parametrize("name", list(FORMULAS))
def test_kaiming_and_xavier_use_the_derived_forward_gain_for_activations_torch_lacks(name):
    act, f = FORMULAS[name]
    model = nn.Sequential(nn.Linear(32, 48), act(), nn.Linear(48, 8))
    g = forward_gain(f)
    kaiming = apply_init(model, "kaiming", generator=gen())
    xavier = plan_init(model, "xavier")
    # Deterministic numbers, not samples: quadrature and initref's moments agree to ~1e-15; 1e-9 is generous.
    assert kaiming.entries("0.weight")[0].draw.std == pytest.approx(g / math.sqrt(32), rel=1e-9)
    assert xavier.entries("0.weight")[0].draw.std == pytest.approx(g * math.sqrt(2 / (32 + 48)), rel=1e-9)
    assert kaiming.entries("2.weight")[0].draw.std == pytest.approx(1 / math.sqrt(48), rel=1e-15)


def test_kaiming_on_a_gelu_mlp_gives_the_stated_std_per_group():
    model = seeded(lambda: mlp(act=nn.GELU))
    report = apply_init(model, "kaiming", generator=gen())
    g = forward_gain(FORMULAS["gelu"][1])
    # He et al. (2015) eq. 10 with the GELU's forward gain: std g / sqrt(fan_in).
    assert_normal([model[i].weight for i in (0, 2, 4)], g / math.sqrt(256))
    assert_normal([model[6].weight], 1 / math.sqrt(256))  # output layer: linear gain 1
    assert_constant([model[i].bias for i in (0, 2, 4, 6)], 0.0)
    assert "gelu" in report.entries("0.weight")[0].role


@pytest.mark.parametrize("activation", ["gelu", nn.GELU()], ids=["string", "module"])
def test_kaiming_on_a_gelu_transformer_encoder_layer(activation):
    d, ff = 64, 256
    model = seeded(lambda: nn.TransformerEncoderLayer(d, 4, ff, dropout=0.0, activation=activation))
    apply_init(model, "kaiming", generator=gen())
    g = forward_gain(FORMULAS["gelu"][1])
    assert_normal([model.linear1.weight], g / math.sqrt(d))  # linear1 feeds the GELU
    assert_normal([model.linear2.weight], 1 / math.sqrt(ff))  # linear2 feeds the residual stream
    # q, k, v as three d x d linear maps and the attention's out_proj: std 1/sqrt(d).
    assert_normal([model.self_attn.in_proj_weight, model.self_attn.out_proj.weight], 1 / math.sqrt(d))
    assert_constant([model.norm1.weight, model.norm2.weight], 1.0)
    assert_constant([model.linear1.bias, model.self_attn.in_proj_bias, model.norm1.bias], 0.0)


def test_the_activation_after_a_layer_is_read_from_the_module_order():
    class GatedLinear(nn.Linear):  # a weight layer with a child of its own: its subtree is passed over
        def __init__(self):
            super().__init__(8, 8)
            self.gate = nn.Sigmoid()

    model = nn.Sequential(
        nn.Linear(8, 8), nn.Sequential(nn.Dropout(), nn.LayerNorm(8), nn.Sequential(nn.Tanh())),  # past containers
        nn.Linear(8, 8), nn.Linear(8, 8), nn.SiLU(),  # another layer first: the `nonlinearity` option
        GatedLinear(), nn.ReLU(),
        nn.Conv1d(8, 8, 1), nn.Identity(), nn.Flatten(),  # nothing after the last layer: linear
    )
    report = plan_init(model, "kaiming", nonlinearity="leaky_relu")
    roles = {t.name: t.role for t in report.touched if t.name.endswith("weight")}
    assert roles == {"0.weight": "weight (then tanh)", "1.1.weight": "norm weight",
                     "2.weight": "weight (then leaky_relu)", "3.weight": "weight (then silu)",
                     "5.weight": "weight (then relu)", "7.weight": "weight (then linear)"}


def test_selu_gets_lecun_normal_not_torchs_three_quarters():
    model = seeded(lambda: mlp(act=nn.SELU))
    report = apply_init(model, "kaiming", generator=gen())
    # Klambauer et al. (2017), "Initialization": Var(w) = 1/n keeps N(0, 1) the fixed point of SELU networks.
    assert_normal([model[i].weight for i in (0, 2, 4, 6)], 1 / math.sqrt(256))
    assert "selu" in report.entries("0.weight")[0].role
    xavier = plan_init(model, "xavier", distribution="normal")
    assert xavier.entries("0.weight")[0].draw.std == pytest.approx(math.sqrt(2 / (256 + 256)), rel=1e-15)


@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_kaiming_fan_out_mode(distribution):
    model = seeded(SmallCNN)
    apply_init(model, "kaiming", mode="fan_out", distribution=distribution, generator=gen())
    conv1, conv2 = model.features[0], model.features[3]
    # He et al. (2015) eq. 14: std = g / sqrt(fan_out), fan_out = out_channels * kernel size.
    expected = [(conv1.weight, math.sqrt(2) / math.sqrt(32 * 9)),
                (conv2.weight, math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(64 * 9)),
                (model.classifier.weight, 1 / math.sqrt(10))]
    for weight, std in expected:
        if distribution == "normal":
            assert_normal([weight], std)
        else:
            assert_uniform([weight], math.sqrt(3) * std)


def test_xavier_normal_distribution():
    model = seeded(SmallCNN)
    apply_init(model, "xavier", distribution="normal", generator=gen())
    # Glorot & Bengio (2010) eq. 12 as torch's xavier_normal_: std = g sqrt(2 / (fan_in + fan_out)).
    assert_normal([model.features[0].weight], math.sqrt(2) * math.sqrt(2 / (3 * 9 + 32 * 9)))
    assert_normal([model.features[3].weight], math.sqrt(2 / (1 + 0.2**2)) * math.sqrt(2 / (32 * 9 + 64 * 9)))
    assert_normal([model.classifier.weight], math.sqrt(2 / (64 + 10)))


def test_a_zero_element_layer_is_skipped_with_torchs_warning():
    with pytest.warns(UserWarning, match="zero-element"):  # torch's own constructor warns too
        model = seeded(lambda: nn.Sequential(nn.Linear(0, 4), nn.ReLU(), nn.Linear(4, 512), nn.ReLU()))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        report = apply_init(model, "kaiming", generator=gen())
    assert "no-op" in report.entries("0.weight")[0].draw.initializer
    assert_constant([model[0].bias], 0.0)
    assert_normal([model[2].weight], math.sqrt(2) / math.sqrt(4))  # He et al. (2015) eq. 10, ReLU, fan_in 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan_init(model, "kaiming")  # planning writes nothing and does not warn
        apply_init(model, "xavier")  # torch's xavier_ on a (4, 0) weight: fan_out 4, a silent no-op
    with pytest.warns(UserWarning, match="zero-element"):
        apply_init(nn.Sequential(model), "fixup", branches="0")
    with pytest.warns(UserWarning, match="zero-element"):
        built, again = seeded(lambda: nn.Linear(0, 4)), seeded(lambda: nn.Linear(0, 4), seed=1)
        torch.manual_seed(SEED)
        apply_init(again, "torch_default")  # as the constructor: weight skipped, bias U(0, 0)
        empty = nn.Linear(0, 0)
    assert torch.equal(built.bias, again.bias)
    with pytest.raises(ValueError, match=r"xavier needs fan_in \+ fan_out > 0; got a weight of shape \(0, 0\)"):
        apply_init(empty, "xavier")


def test_gpt2_residual_projections_get_std_over_sqrt_2L():
    n_layer, d = 4, 64
    model = seeded(lambda: TinyGPT(d=d, n_layer=n_layer))
    report = apply_init(model, "gpt2", n_layer=n_layer, generator=gen())
    blocks = model.blocks
    # Radford et al. (2019) sec. 2.3 / nanoGPT: std 0.02, residual projections 0.02 / sqrt(2 n_layer).
    assert_normal([b.attn.c_proj.weight for b in blocks] + [b.mlp.c_proj.weight for b in blocks],
                  0.02 / math.sqrt(2 * n_layer))
    assert_normal([b.attn.c_attn.weight for b in blocks] + [b.mlp.c_fc.weight for b in blocks], 0.02)
    assert_normal([model.wte.weight], 0.02)
    assert_constant([b.ln_1.weight for b in blocks] + [model.ln_f.weight], 1.0)
    assert_constant([b.attn.c_attn.bias for b in blocks] + [model.ln_f.bias], 0.0)
    assert report.tied == (("lm_head.weight", "wte.weight"),)
    assert "wpe" in report.untouched and not report.notes  # 2 * n_layer projections found


def test_gpt2_on_torch_layers_splits_attention_and_scales_out_proj_and_linear2():
    model = seeded(TorchTransformer)
    apply_init(model, "gpt2", n_layer=3, generator=gen())
    residual = [w for layer in model.layers for w in (layer.self_attn.out_proj.weight, layer.linear2.weight)]
    assert_normal(residual, 0.02 / math.sqrt(2 * 3))
    assert_normal([layer.self_attn.in_proj_weight for layer in model.layers], 0.02)
    assert bool((model.embed.weight[0] == 0).all())  # padding row


def test_llama_draws_every_linear_and_embedding_at_0_02_and_norms_at_1():
    model = seeded(lambda: TinyGPT(norm=nn.RMSNorm, tied=False))
    apply_init(model, "llama", generator=gen())
    linears = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    # Hugging Face LlamaPreTrainedModel._init_weights: normal(0, initializer_range=0.02), no residual scaling.
    assert_normal(linears, 0.02)
    assert_normal([model.wte.weight], 0.02)
    assert_constant([model.ln_f.weight], 1.0)


def test_small_init_and_wang_outputs():
    n_layer, d = 4, 64
    model = seeded(lambda: TinyGPT(d=d, n_layer=n_layer, tied=False))
    apply_init(model, "small_init", d_model=d, n_layer=n_layer, generator=gen())
    blocks = model.blocks
    # Nguyen & Salazar (2019): sqrt(2/(5d)); GPT-NeoX wang_init: 2 / (n_layer sqrt(d)).
    assert_normal([b.attn.c_attn.weight for b in blocks] + [b.mlp.c_fc.weight for b in blocks]
                  + [model.wte.weight, model.lm_head.weight], math.sqrt(2 / (5 * d)))
    assert_normal([b.attn.c_proj.weight for b in blocks] + [b.mlp.c_proj.weight for b in blocks],
                  2 / (n_layer * math.sqrt(d)))


def test_fixup_scales_branches_by_L_to_minus_half_and_zeroes_last_layers_and_head():
    model = seeded(ResNetStack)
    report = apply_init(model, "fixup", branches="blocks.*", head="fc", generator=gen())
    blocks = list(model.blocks)
    L, c = len(blocks), 32
    # Zhang et al. (2019) sec. 3: He init (std sqrt(2/fan_in)) times L^(-1/(2m-2)), m = 2 conv layers per branch.
    assert_normal([b.conv1.weight for b in blocks], math.sqrt(2 / (c * 9)) * L ** (-1 / (2 * 2 - 2)))
    assert_constant([b.conv2.weight for b in blocks] + [model.fc.weight, model.fc.bias], 0.0)
    assert_constant([b.scale for b in blocks], 1.0)
    assert_constant([b.bias1a for b in blocks] + [b.bias2b for b in blocks], 0.0)
    assert_normal([model.stem.weight], math.sqrt(2 / (3 * 9)))
    assert report.constants["blocks"] == L


def test_rezero_only_zeroes_the_gates():
    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(8, 8) for _ in range(3)])
            self.resweight = nn.Parameter(torch.ones(3))

    model = seeded(Gated)
    before = {n: p.clone() for n, p in model.named_parameters()}
    report = apply_init(model, "rezero")
    assert [t.name for t in report.touched] == ["resweight"]
    assert_constant([model.resweight], 0.0)
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters() if n != "resweight")


def test_deepnorm_gains_on_qk_versus_value_output_and_ffn():
    n_layer, d = 3, 64
    model = seeded(lambda: TorchTransformer(d=d, n_layer=n_layer))
    report = apply_init(model, "deepnorm", n_layer=n_layer, exclude="head", generator=gen())
    # Wang et al. (2022) Table 1, encoder-only: alpha = (2N)^(1/4), beta = (8N)^(-1/4); Figure 2: xavier_normal_
    # with gain beta for ffn, v_proj, out_proj and gain 1 for q_proj, k_proj.
    beta = (8 * n_layer) ** -0.25
    assert report.constants["alpha"] == pytest.approx((2 * n_layer) ** 0.25, rel=1e-15)
    qk = [layer.self_attn.in_proj_weight[: 2 * d] for layer in model.layers]
    v = [layer.self_attn.in_proj_weight[2 * d:] for layer in model.layers]
    assert_normal(qk, math.sqrt(2 / (d + d)))
    assert_normal(v + [layer.self_attn.out_proj.weight for layer in model.layers], beta * math.sqrt(2 / (d + d)))
    assert_normal([layer.linear1.weight for layer in model.layers], beta * math.sqrt(2 / (d + 4 * d)))
    assert "head.weight" in report.untouched and "embed.weight" in report.untouched


def test_mup_hidden_output_and_input_widths():
    base, width, d_in = 32, 256, 256
    model = seeded(lambda: mlp(width=width))
    base_model = mlp(width=base)
    # mlp's first layer is width x width; make its fan-in fixed by giving the base the same input size.
    model[0], base_model[0] = nn.Linear(d_in, width), nn.Linear(d_in, base)
    report = apply_init(model, "mup", base_model=base_model, generator=gen())
    r = width / base
    sigma = 1 / math.sqrt(base)  # default: the base layer's 1/sqrt(fan_in)
    # Yang et al. (2022) Table 3: hidden Var ∝ 1/fan_in (std sigma/sqrt(r)), output Var ∝ 1/fan_in^2 (std sigma/r).
    assert_normal([model[2].weight, model[4].weight], sigma / math.sqrt(r))
    assert_normal([model[6].weight], sigma / r)
    assert_normal([model[0].weight], 1 / math.sqrt(d_in))  # input weights: fan-in does not scale
    roles = {t.name: t.role for t in report.touched}
    assert (roles["0.weight"], roles["2.weight"], roles["6.weight"]) == ("input weight", "hidden weight",
                                                                        "output weight")
    zero = seeded(lambda: mlp(width=width))
    apply_init(zero, "mup", base_model=mlp(width=base), readout_zero=True, generator=gen())
    assert_constant([zero[6].weight], 0.0)


def test_mup_at_the_base_width_with_a_delta_model_is_standard_lecun():
    model = seeded(lambda: mlp(width=64))
    apply_init(model, "mup", base_model=mlp(width=64), delta_model=mlp(width=128), generator=gen())
    assert_normal([model[2].weight, model[4].weight, model[6].weight], 1 / math.sqrt(64))


def test_head_zeroes_the_classifier_and_draws_earlier_head_layers():
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = mlp(width=64, classes=64)
            self.head = nn.Sequential(nn.Linear(64, 256), nn.LayerNorm(256), nn.ReLU(), nn.Linear(256, 5))

    model = seeded(Classifier)
    encoder = {n: p.clone() for n, p in model.encoder.named_parameters()}
    apply_init(model, "head", module="head", generator=gen())
    # Dosovitskiy et al. (2021) sec. 3.2: a zero-initialized classifier; BERT's N(0, 0.02^2) for the rest.
    assert_constant([model.head[3].weight, model.head[3].bias, model.head[0].bias], 0.0)
    assert_normal([model.head[0].weight], 0.02)
    assert all(torch.equal(encoder[n], p) for n, p in model.encoder.named_parameters())
    by_object = plan_init(model, "head", module=model.head, last="normal", std=0.01)
    assert [t.name for t in by_object.touched if t.role == "classifier"] == ["head.3.weight"]
    assert by_object.entries("head.3.weight")[0].draw.std == 0.01


# ----------------------------------------------------------------------------- errors and registry


def test_unknown_recipe_names_the_accepted_ones():
    with pytest.raises(ValueError, match=r"recipe must be one of 'torch_default'.*'gpt2'.*got 'gtp2'"):
        apply_init(mlp(), "gtp2")


def test_missing_and_unknown_options_name_the_accepted_ones():
    with pytest.raises(TypeError, match=r"gpt2 requires option\(s\) n_layer; accepted options: n_layer, std"):
        apply_init(TinyGPT(), "gpt2")
    with pytest.raises(TypeError, match=r"unexpected option\(s\) nlayer; accepted options: n_layer"):
        apply_init(TinyGPT(), "gpt2", nlayer=4)
    with pytest.raises(ValueError, match="n_layer must be a positive int; got 0"):
        apply_init(TinyGPT(), "gpt2", n_layer=0)
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out'; got 'fan_inn'"):
        apply_init(mlp(), "kaiming", mode="fan_inn")


def test_a_rejected_call_leaves_the_model_unchanged():
    model = seeded(TinyGPT)
    before = {n: p.clone() for n, p in model.named_parameters()}
    with pytest.raises(ValueError, match="no Linear module matches residual"):
        apply_init(model, "gpt2", n_layer=4, residual="nothing_like_this")
    with pytest.raises(ValueError, match="branches='missing' matches no module"):
        apply_init(model, "fixup", branches="missing")
    with pytest.raises(ValueError, match="Fixup needs m >= 2"):
        apply_init(seeded(ResNetStack), "fixup", branches="fc")
    with pytest.raises(ValueError, match="no weight dimension differs"):
        apply_init(mlp(), "mup", base_model=mlp())
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())


def test_a_registered_recipe_is_applied_and_reported():
    def plan(p, opts):
        for prefix, module in p.layers():
            if isinstance(module, nn.Linear):
                p.claim(prefix, module, "bias", "bias", init.recipes._constant(opts["value"]))

    register_recipe(Recipe("bias_fill", "a test recipe", "Linear biases only", {"value": 0.5}, plan))
    try:
        model = seeded(mlp)
        report = apply_init(model, "bias_fill")
        assert_constant([model[0].bias, model[6].bias], 0.5)
        assert "0.bias" in str(report) and report.recipe == "bias_fill"
    finally:
        del init.recipes._REGISTRY["bias_fill"]
    assert set(RECIPES) >= {"torch_default", "xavier", "kaiming", "gpt2", "llama", "small_init", "fixup", "rezero",
                            "deepnorm", "mup", "head"}
