"""apply_init on models built with Hugging Face transformers and timm: the libraries' own init, per parameter.

For each model, one copy is initialised by the library (its constructor, seed A) and one by the
initref recipe (constructed with seed B, then apply_init with a generator of seed C). Every
parameter the recipe claims is compared with the library's copy: constants exactly; random draws by
an F-test of the two sample variances and a normal test of the two means; truncated draws by the
bound on max|w| in both. The expected stds are typed here from the libraries' sources (cited).
"""

import math
import os

os.environ["HF_HUB_OFFLINE"] = "1"  # no network, no download: every model is built from a config
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"

import pytest  # noqa: E402
import scipy.stats  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

transformers = pytest.importorskip("transformers")
timm = pytest.importorskip("timm")

from initref.torch.recipes import apply_init, plan_init  # noqa: E402
from initref.torch.recipes.draws import _trunc_normal  # noqa: E402

# False-failure probability of each model's comparison as a whole: P_FAIL, split by Bonferroni over its
# random parameters and over the two tests (variance, mean) of each.
P_FAIL = 1e-6
SEED_LIBRARY, SEED_BUILD, SEED_INIT = 11, 22, 33


def gpt2(n_layer=4):
    return transformers.GPT2LMHeadModel(transformers.GPT2Config(
        n_layer=n_layer, n_embd=256, n_head=4, vocab_size=2048, n_positions=256, bos_token_id=0, eos_token_id=0))


def llama():
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(
        hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        vocab_size=1000, max_position_embeddings=128))


def bert_config():
    return transformers.BertConfig(hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
                                   vocab_size=1000, max_position_embeddings=128)


def bert_mlm():
    return transformers.BertForMaskedLM(bert_config())


def bert_model():
    return transformers.BertModel(bert_config())


def vit():
    return timm.create_model("vit_tiny_patch16_224", pretrained=False)


def built(factory, seed):
    torch.manual_seed(seed)
    return factory()


def pair(factory, recipe, **options):
    """(library-initialised model, initref-initialised model, report)."""
    library = built(factory, SEED_LIBRARY)
    ours = built(factory, SEED_BUILD)
    report = apply_init(ours, recipe, generator=torch.Generator().manual_seed(SEED_INIT), **options)
    return library, ours, report


def values(param, touched):
    """The block ``touched`` names, without its zero rows (checked separately), as float64."""
    block = param.detach() if touched.rows is None else param.detach()[touched.rows[0]:touched.rows[1]]
    for row in touched.zero_rows:
        assert bool((block[row] == 0).all()), (touched.name, row)
    keep = [i for i in range(block.shape[0]) if i not in touched.zero_rows] if touched.zero_rows else None
    block = block if keep is None else block[keep]
    return block.double().flatten()


def assert_same_distribution(library, ours, report):
    """Every claimed parameter of ``ours`` against the same parameter of ``library``."""
    lib, mine = dict(library.named_parameters()), dict(ours.named_parameters())
    random = [t for t in report.touched if t.draw.distribution != "constant" and lib[t.name].numel() > 1]
    p_each = P_FAIL / (2 * max(len(random), 1))  # Bonferroni: variance and mean test of every random parameter
    z = scipy.stats.norm.isf(p_each / 2)
    for t in report.touched:
        x, y = values(lib[t.name], t), values(mine[t.name], t)
        if t.draw.distribution == "constant":
            assert torch.equal(x, y) and bool((y == t.draw.mean).all()), t.name
            continue
        if t.draw.distribution == "trunc_normal":
            assert float(x.abs().max()) <= t.draw.b and float(y.abs().max()) <= t.draw.b, t.name
        if t.draw.distribution == "uniform":
            assert float(x.abs().max()) <= t.draw.bound and float(y.abs().max()) <= t.draw.bound, t.name
        n1, n2 = x.numel(), y.numel()
        # Two-sided F-test of equal variances (exact for normal draws; for the uniform draws, lighter-tailed,
        # s^2 varies less than under normality, so the false-failure probability is below p_each).
        f = float(x.var() / y.var())
        p = 2 * min(scipy.stats.f.cdf(f, n1 - 1, n2 - 1), scipy.stats.f.sf(f, n1 - 1, n2 - 1))
        assert p >= p_each, (t.name, f, p)
        # Means: both 0 for every random draw here; their difference has std draw.std * sqrt(1/n1 + 1/n2).
        assert abs(float(x.mean() - y.mean())) <= z * t.draw.std * math.sqrt(1 / n1 + 1 / n2), t.name
        assert abs(float(y.mean()) - t.draw.mean) <= z * t.draw.std / math.sqrt(n2), t.name


def stds(report):
    return {t.label: t.draw.std for t in report.touched if t.draw.distribution != "constant"}


# ----------------------------------------------------------------------------- the libraries' own init


def test_gpt2_reproduces_transformers_with_options_from_the_config():
    library, ours, report = pair(gpt2, "gpt2")  # n_layer and std from model.config
    assert report.untouched == ()
    assert report.options["n_layer"] == 4 and report.options["std"] == 0.02
    # transformers models/gpt2/modeling_gpt2.py GPT2PreTrainedModel._init_weights: Conv1D and (via
    # PreTrainedModel._init_weights) nn.Linear/nn.Embedding N(0, initializer_range^2 = 0.02^2); c_proj of
    # GPT2Attention and GPT2MLP N(0, (0.02/sqrt(2 n_layer))^2).
    for label, std in stds(report).items():
        expected = 0.02 / math.sqrt(2 * 4) if label.endswith("c_proj.weight") else 0.02
        assert std == pytest.approx(expected, rel=1e-15), label
    assert sum(label.endswith("c_proj.weight") for label in stds(report)) == 8 and not report.notes[1:]
    # The tied lm_head is the embedding: filled once, reported as an alias.
    assert ours.lm_head.weight is ours.transformer.wte.weight
    assert ("lm_head.weight", "transformer.wte.weight") in report.tied
    assert len(report.entries("transformer.wte.weight")) == 1 and not report.entries("lm_head.weight")
    assert report.entries("transformer.h.0.attn.c_attn.weight")[0].module == "Conv1D"
    assert_same_distribution(library, ours, report)


def test_llama_reproduces_transformers():
    library, ours, report = pair(llama, "llama")
    assert report.untouched == ()
    # transformers modeling_utils.py PreTrainedModel._init_weights (LlamaPreTrainedModel has none of its own):
    # nn.Linear and nn.Embedding N(0, initializer_range^2), LlamaConfig.initializer_range = 0.02; RMSNorm weight 1.
    assert set(stds(report).values()) == {0.02}
    assert report.entries("model.layers.0.input_layernorm.weight")[0].draw.mean == 1.0
    assert_same_distribution(library, ours, report)


@pytest.mark.parametrize("factory", [bert_mlm, bert_model], ids=["BertForMaskedLM", "BertModel"])
def test_bert_reproduces_transformers(factory):
    library, ours, report = pair(factory, "bert")
    assert report.untouched == ()
    # transformers models/bert/modeling_bert.py BertPreTrainedModel._init_weights: the base N(0, 0.02^2) for
    # nn.Linear and nn.Embedding (padding_idx = pad_token_id = 0 row set to 0), LayerNorm 1/0, and
    # BertLMPredictionHead.bias 0.
    assert set(stds(report).values()) == {0.02}
    word = [t for t in report.touched if t.name.endswith("word_embeddings.weight")][0]
    assert word.zero_rows == (0,)
    if factory is bert_mlm:
        assert report.entries("cls.predictions.bias")[0].draw.distribution == "constant"
        assert ("cls.predictions.decoder.bias", "cls.predictions.bias") in report.tied
        assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert_same_distribution(library, ours, report)


def test_timm_vit_reproduces_timms_default_init_weights():
    library, ours, report = pair(vit, "timm_vit")
    assert report.untouched == ()
    draws = {t.name: t.draw for t in report.touched}
    # timm/models/vision_transformer.py VisionTransformer.init_weights: trunc_normal_(pos_embed, std=.02),
    # normal_(cls_token, std=1e-6); init_weights_vit_timm: trunc_normal_(Linear.weight, std=.02), bias 0;
    # timm/layers/weight_init.py trunc_normal_(a=-2., b=2.): absolute bounds.
    for name in ["pos_embed", "blocks.0.attn.qkv.weight", "blocks.11.mlp.fc2.weight", "head.weight"]:
        assert (draws[name].distribution, draws[name].sigma, draws[name].a, draws[name].b) == (
            "trunc_normal", 0.02, -2.0, 2.0), name
        assert draws[name].std == pytest.approx(0.02, rel=1e-12)  # bounds 100 sigma out: the std is sigma's
    assert (draws["cls_token"].distribution, draws["cls_token"].std) == ("normal", 1e-6)
    # PatchEmbed.proj (nn.Conv2d) keeps torch's default: kaiming_uniform_(a=sqrt(5)) = U(±1/sqrt(fan_in)),
    # fan_in = 3 * 16 * 16 (torch/nn/modules/conv.py _ConvNd.reset_parameters).
    assert draws["patch_embed.proj.weight"].bound == pytest.approx(1 / math.sqrt(3 * 16 * 16), rel=1e-12)
    assert_same_distribution(library, ours, report)


def test_trunc_normal_draw_std_is_the_truncated_std():
    # scipy's truncnorm is N(0, 1) cut at standardized bounds: the std of N(0, sigma^2) cut at ±1 with sigma = 0.8.
    draw = _trunc_normal(0.8, -1.0, 1.0)
    assert draw.std == pytest.approx(0.8 * scipy.stats.truncnorm(-1 / 0.8, 1 / 0.8).std(), rel=1e-12)
    assert (draw.sigma, draw.a, draw.b) == (0.8, -1.0, 1.0)


def test_kaiming_reads_conv1d_fans_from_its_in_out_layout():
    model = built(gpt2, SEED_BUILD)
    report = apply_init(model, "kaiming", generator=torch.Generator().manual_seed(SEED_INIT))
    weight = model.transformer.h[0].attn.c_attn.weight  # Conv1D(nf=768, nx=256): weight (256, 768), fan_in 256
    std = report.entries("transformer.h.0.attn.c_attn.weight")[0].draw.std
    # He et al. (2015) eq. 10 with ReLU (the recipe's default where no activation module follows): sqrt(2/fan_in).
    assert std == pytest.approx(math.sqrt(2 / 256), rel=1e-15)
    x = weight.detach().double().flatten()
    n = x.numel()
    ratio = float(x.var()) / std**2  # (n-1) s^2 / sigma^2 ~ chi2(n-1): two-sided interval at 1e-6
    assert scipy.stats.chi2.ppf(5e-7, n - 1) / (n - 1) <= ratio <= scipy.stats.chi2.isf(5e-7, n - 1) / (n - 1)


def test_a_deliberate_departure_is_reported_per_parameter_and_shown_in_the_table():
    model = nn.Sequential(nn.Embedding(10, 16), nn.MultiheadAttention(16, 2))
    report = plan_init(model, "llama")
    # transformers modeling_utils.py PreTrainedModel._init_weights: nn.MultiheadAttention gets torch's
    # _reset_parameters (xavier_uniform_ in_proj); the recipe draws the q/k/v blocks N(0, std^2) instead.
    assert [t.label for t in report.departures] == ["1.in_proj_weight[0:16]", "1.in_proj_weight[16:32]",
                                                    "1.in_proj_weight[32:48]"]
    assert "xavier_uniform_" in report.departures[0].departure
    assert "departure" in [column.header for column in report.table().columns]
    assert not plan_init(built(llama, SEED_BUILD), "llama").departures


# ----------------------------------------------------------------------------- bad input writes nothing


def snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_unchanged(model, before):
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_an_option_the_config_contradicts_is_one_clear_error_and_writes_nothing():
    model = built(gpt2, SEED_BUILD)
    before = snapshot(model)
    with pytest.raises(ValueError, match=r"gpt2: n_layer=6 contradicts the model's config.n_layer=4"):
        apply_init(model, "gpt2", n_layer=6)
    with pytest.raises(ValueError, match=r"llama: std=0.01 contradicts the model's config.initializer_range=0.02"):
        apply_init(model, "llama", std=0.01)
    # A value the config agrees with is accepted (planned only: nothing is written).
    assert plan_init(model, "gpt2", n_layer=4, std=0.02).options["n_layer"] == 4
    assert_unchanged(model, before)


def test_a_model_without_a_recognisable_layer_is_one_clear_error_and_writes_nothing():
    class Raw(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(8, 8))

    model = Raw()
    before = snapshot(model)
    for recipe in ("gpt2", "llama", "bert"):
        with pytest.raises(ValueError, match=rf"{recipe}: the model has no layer this recipe initialises"):
            apply_init(model, recipe, **({"n_layer": 1} if recipe == "gpt2" else {}))
    with pytest.raises(ValueError, match="timm_vit: the model has no nn.Linear layer"):
        apply_init(model, "timm_vit")
    with pytest.raises(ValueError, match="kaiming: the model has no parameter this recipe recognises"):
        apply_init(model, "kaiming")
    assert_unchanged(model, before)


def test_timm_vit_refuses_other_weight_init_modes():
    model = timm.create_model("vit_tiny_patch16_224", pretrained=False, weight_init="jax")
    before = snapshot(model)
    with pytest.raises(ValueError, match="weight_init_mode='jax'"):
        apply_init(model, "timm_vit")
    assert_unchanged(model, before)
