"""checklist and diagnose on Hugging Face transformers and timm models, with the batch as a keyword mapping.

Every model is built offline from a tiny config. Each statistical verdict below is the checklist's
own, at its default false-alarm probability 1e-6 for the whole model (Bonferroni over its tests),
so a correctly initialised model fails a "no errors" assertion with probability at most 1e-6.
"""

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # no network, no download: every model is built from a config
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

transformers = pytest.importorskip("transformers")
timm = pytest.importorskip("timm")

from initref.torch import apply_init, checklist, diagnose  # noqa: E402


def gen(seed):
    return torch.Generator().manual_seed(seed)


def findings(result):
    return {(f.parameter, f.check, f.severity) for f in result.findings}


def gpt2(seed=0):
    torch.manual_seed(seed)
    config = transformers.GPT2Config(n_layer=2, n_embd=64, n_head=2, vocab_size=100, n_positions=32,
                                     bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(config).eval()


def vit(seed=0):
    torch.manual_seed(seed)
    return timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=32, patch_size=8, depth=2).eval()


@pytest.fixture(scope="module")
def ids():
    return torch.randint(0, 100, (4, 16), generator=gen(1))


@pytest.fixture(scope="module")
def images():
    return torch.randn(2, 3, 32, 32, generator=gen(2))


# ----------------------------------------------------------------------------- clean models pass


def test_gpt2_passes_at_its_own_init_and_after_apply_init(ids):
    model = gpt2()
    own = checklist(model, {"input_ids": ids}, recipe="gpt2", generator=gen(3))
    assert not own.findings, own  # in particular wte/wpe: neither all_zero nor no_gradient
    assert own.recipe == "gpt2" and own.tests > 0
    apply_init(model, "gpt2", generator=gen(4))
    ours = checklist(model, {"input_ids": ids}, recipe="gpt2", generator=gen(3))
    assert not ours.findings, ours


def test_gpt2_embeddings_receive_a_gradient_through_the_model_output(ids):
    """The output is a ModelOutput (a mapping): the pass starts from its logits, so wte and wpe get gradients."""
    model = gpt2()
    with torch.no_grad():
        model.transformer.wpe.weight.zero_()  # GPT-2 adds wpe to wte: a zero wpe still gets the full gradient
    result = checklist(model, {"input_ids": ids}, recipe="gpt2", generator=gen(3))
    assert findings(result) == {("transformer.wpe.weight", "std_too_small", "error")}, result
    assert not result.flagged("all_zero") and not result.flagged("no_gradient")


def test_timm_vit_passes_after_apply_init(images):
    model = vit()
    report = apply_init(model, "timm_vit", generator=gen(5))
    assert any(t.draw.distribution == "trunc_normal" for t in report.touched)
    assert not checklist(model, "timm_vit").findings
    result = checklist(model, images, recipe=report, generator=gen(6))
    assert not result.findings, result


# ----------------------------------------------------------------------------- faults are caught


def test_planted_faults_in_gpt2_are_caught(ids):
    model = gpt2()
    apply_init(model, "gpt2", generator=gen(4))
    with torch.no_grad():
        model.transformer.h[0].attn.c_attn.weight.zero_()
        model.transformer.h[1].mlp.c_proj.weight.mul_(10)
    result = checklist(model, {"input_ids": ids}, recipe="gpt2", generator=gen(3))
    assert {("transformer.h.0.attn.c_attn.weight", "std_too_small", "error"),
            ("transformer.h.1.mlp.c_proj.weight", "std_too_large", "error")} <= findings(result)
    assert not result.ok


def test_a_vit_value_outside_the_truncation_bounds_is_caught():
    model = vit()
    apply_init(model, "timm_vit", generator=gen(5))
    with torch.no_grad():
        model.blocks[1].attn.proj.weight[0, 0] = 2.5  # timm's trunc_normal_(std=.02) has absolute bounds [-2, 2]
    assert ("blocks.1.attn.proj.weight", "outside_support", "error") in findings(checklist(model, "timm_vit"))


# ----------------------------------------------------------------------------- diagnose and the forms of a batch


def test_diagnose_reports_layers_under_their_hugging_face_names(ids):
    diagnosis = diagnose(gpt2(), {"input_ids": ids}, generator=gen(3))
    layers = {layer.name: layer for layer in diagnosis.layers}
    c_attn = layers["transformer.h.0.attn.c_attn"]
    assert c_attn.kind == "Conv1D" and c_attn.shape == (4, 16, 192)
    assert c_attn.grad_std is not None and c_attn.grad_std > 0 and c_attn.weight_grad_std > 0
    assert {"transformer.wte", "transformer.wpe", "transformer.h.1.mlp.c_proj", "transformer.ln_f"} <= set(layers)


def test_tensor_tuple_mapping_and_callable_batches_give_the_same_pass(ids):
    model = gpt2()
    forms = {"tensor": ids, "tuple": (ids,), "list": [ids], "mapping": {"input_ids": ids},
             "callable": lambda: {"input_ids": ids}}
    runs = {form: diagnose(model, batch, generator=gen(3)) for form, batch in forms.items()}
    reference = [(s.name, s.std, s.grad_std) for s in runs["mapping"].layers]
    for form, diagnosis in runs.items():
        assert [(s.name, s.std, s.grad_std) for s in diagnosis.layers] == reference, form
        assert checklist(model, forms[form], recipe="gpt2", generator=gen(3)).ok, form


def test_a_bad_batch_raises_and_leaves_every_parameter_unchanged(ids):
    model = gpt2()
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def broken():
        raise RuntimeError("the data loader failed")

    with pytest.raises((TypeError, ValueError)):
        checklist(model, {"input_idz": ids}, recipe="gpt2")  # wrong key: GPT-2 gets neither input_ids nor embeds
    with pytest.raises(RuntimeError, match="the data loader failed"):
        checklist(model, broken, recipe="gpt2")
    with pytest.raises(RuntimeError, match="the data loader failed"):
        diagnose(model, broken)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_a_batch_given_twice_is_a_type_error(ids):
    with pytest.raises(TypeError, match="both as its second positional argument and as sample_input="):
        checklist(gpt2(), {"input_ids": ids}, sample_input={"input_ids": ids}, recipe="gpt2")

