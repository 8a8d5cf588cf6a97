"""The activation registry, its generated NumPy/torch code, and resolving activations of every kind."""

import math
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from derivations.activations import BY_NAME, X
from initref._generated import activations_numpy, activations_torch, formulas
from initref.activations import Activation, registered, resolve, richardson
from initref.gains import gain as initref_gain

# Reference implementations: torch.nn.functional, and the LeCun et al. (1998, Efficient BackProp,
# sec. 4.4) scaled tanh 1.7159 tanh(2x/3), which torch does not have.
TORCH_REFERENCE = {
    "identity": lambda t: t,
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "abs": torch.abs,
    "elu": F.elu,
    "selu": F.selu,
    "celu": F.celu,
    "gelu": F.gelu,
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "mish": F.mish,
    "softplus": lambda t: F.softplus(t, threshold=1e9),  # torch's default threshold 20 approximates
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "hardtanh": F.hardtanh,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
    "relu6": F.relu6,
    "softsign": F.softsign,
    "lecun_tanh": lambda t: 1.7159 * torch.tanh(2 * t / 3),
}
# The same element-wise formula evaluated in a different (equivalent) order differs by a few ulp of
# max(1, |value|): 8 ulp of 1.0 is 1.8e-15.
FORWARD_TOLERANCE = 8 * np.finfo(float).eps
# Derivatives are longer expressions (gelu_tanh's has three tanh terms), so allow 64 ulp.
DERIVATIVE_TOLERANCE = 64 * np.finfo(float).eps
# torch's hardsigmoid backward multiplies by a float32 1/6 even for float64 tensors:
# |1/6 - float32(1/6)| = 5.0e-9 (checked below, not assumed).
HARDSIGMOID_FLOAT32_SIXTH = abs(1 / 6 - float(np.float32(1 / 6)))

GRID = np.concatenate([np.linspace(-12.0, 12.0, 2401), [-1e-12, 1e-12, 0.3, -0.3]])
SMOOTH_GRID = GRID[np.all(np.abs(GRID[:, None] - np.array([-3.0, -1.0, 0.0, 1.0, 3.0, 6.0])) > 1e-9, axis=1)]


def _scaled_error(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def test_every_required_activation_is_registered():
    required = {"identity", "relu", "leaky_relu", "elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish",
                "softplus", "tanh", "sigmoid", "hardtanh", "hardsigmoid", "hardswish", "relu6", "softsign",
                "lecun_tanh"}
    assert required <= set(registered())
    assert set(TORCH_REFERENCE) == set(registered())


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_generated_f_matches_torch_functional(name):
    x = torch.tensor(GRID, dtype=torch.float64)
    want = TORCH_REFERENCE[name](x).numpy()
    assert _scaled_error(getattr(activations_numpy, name)(GRID), want) <= FORWARD_TOLERANCE
    assert _scaled_error(getattr(activations_torch, name)(x).numpy(), want) <= FORWARD_TOLERANCE


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_generated_derivative_matches_torch_autograd(name):
    x = torch.tensor(SMOOTH_GRID, dtype=torch.float64, requires_grad=True)
    (want,) = torch.autograd.grad(TORCH_REFERENCE[name](x).sum(), x)
    tolerance = DERIVATIVE_TOLERANCE + (HARDSIGMOID_FLOAT32_SIXTH if name == "hardsigmoid" else 0.0)
    assert _scaled_error(getattr(activations_numpy, f"{name}_derivative")(SMOOTH_GRID), want) <= tolerance
    got_torch = getattr(activations_torch, f"{name}_derivative")(x.detach())
    assert _scaled_error(got_torch.numpy(), want) <= tolerance


def test_torch_hardsigmoid_backward_uses_a_float32_sixth():
    x = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    F.hardsigmoid(x).backward()
    assert abs(x.grad.item() - 1 / 6) == pytest.approx(HARDSIGMOID_FLOAT32_SIXTH, rel=1e-6)


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_generated_derivative_is_the_sympy_derivative(name):
    """The printed code evaluates the registry's derivative: compare with SymPy at 30 digits."""
    definition = BY_NAME[name]
    derivative = definition.derivative if definition.parameter is None else definition.derivative.subs(
        definition.parameter.symbol, definition.parameter.default)
    points = [-7.3, -2.9, -0.77, 0.41, 1.9, 4.6, 8.2]
    exact = np.array([float(sp.N(derivative.subs(X, sp.Float(p, 30)), 30)) for p in points])
    assert _scaled_error(getattr(activations_numpy, f"{name}_derivative")(np.array(points)), exact) <= (
        DERIVATIVE_TOLERANCE)


@pytest.mark.parametrize(
    ("name", "param", "reference"),
    [
        ("leaky_relu", 0.2, lambda t: F.leaky_relu(t, 0.2)),
        ("leaky_relu", -0.5, lambda t: F.leaky_relu(t, -0.5)),
        ("elu", 0.7, lambda t: F.elu(t, 0.7)),
        ("celu", 2.5, lambda t: F.celu(t, 2.5)),
        ("softplus", 2.0, lambda t: F.softplus(t, beta=2.0, threshold=1e9)),
        ("silu", 1.0, F.silu),
        ("silu", 1.702, lambda t: t * torch.sigmoid(1.702 * t)),
    ],
)
def test_parameters_reach_the_generated_code(name, param, reference):
    x = torch.tensor(SMOOTH_GRID, dtype=torch.float64, requires_grad=True)
    want = reference(x)
    (want_derivative,) = torch.autograd.grad(want.sum(), x)
    activation = resolve(name, param)
    assert activation.param == param
    assert _scaled_error(activation.numpy(SMOOTH_GRID), want.detach().numpy()) <= FORWARD_TOLERANCE
    assert _scaled_error(activation.numpy_derivative(SMOOTH_GRID), want_derivative) <= DERIVATIVE_TOLERANCE
    assert _scaled_error(activation.torch(x.detach()).numpy(), want.detach().numpy()) <= FORWARD_TOLERANCE
    assert _scaled_error(activation.torch_derivative(x.detach()).numpy(), want_derivative) <= DERIVATIVE_TOLERANCE


def test_selu_constants_are_klambauers():
    # Klambauer et al. (2017), eq. 14, as written in torch/nn/modules/activation.py (class SELU docstring).
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    assert formulas.SELU_ALPHA == pytest.approx(alpha, rel=4 * np.finfo(float).eps)
    assert formulas.SELU_LAMBDA == pytest.approx(scale, rel=4 * np.finfo(float).eps)


@pytest.mark.parametrize("name", sorted(TORCH_REFERENCE))
def test_no_overflow_or_nan_far_out(name):
    x = np.array([-800.0, -60.0, 60.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        assert np.all(np.isfinite(getattr(activations_numpy, name)(x)))
        assert np.all(np.isfinite(getattr(activations_numpy, f"{name}_derivative")(x)))


@pytest.mark.parametrize(
    ("alias", "name"),
    [("swish", "silu"), ("linear", "identity"), ("conv2d", "identity"), ("logistic", "sigmoid"),
     ("Leaky-ReLU", "leaky_relu"), (" GELU ", "gelu")],
)
def test_aliases_resolve(alias, name):
    assert resolve(alias).registered == name


def test_registered_activation_metadata():
    relu6 = resolve("relu6")
    assert relu6.kinks == (0.0, 6.0)
    assert relu6.derivative_method == "generated"
    assert isinstance(relu6, Activation)
    assert resolve("leaky_relu").param is None  # the default is the registry's (torch's 0.01)
    assert resolve(relu6) is relu6


# --------------------------------------------------------------------------- custom activations


def test_string_expression_gets_a_symbolic_derivative():
    custom = resolve("x*tanh(log(1+exp(x)))")
    mish = resolve("mish")
    assert custom.derivative_method == "symbolic"
    assert _scaled_error(custom.numpy(SMOOTH_GRID), mish.numpy(SMOOTH_GRID)) <= FORWARD_TOLERANCE
    # log(1 + exp(x)) loses digits to cancellation for x < -36 where mish uses logaddexp: compare on |x| <= 8.
    x = SMOOTH_GRID[np.abs(SMOOTH_GRID) <= 8]
    assert _scaled_error(custom.numpy_derivative(x), mish.numpy_derivative(x)) <= DERIVATIVE_TOLERANCE
    t = torch.tensor(x, dtype=torch.float64)
    assert _scaled_error(custom.torch_derivative(t).numpy(), mish.numpy_derivative(x)) <= DERIVATIVE_TOLERANCE


def test_sympy_expression_and_its_kinks():
    x = sp.Symbol("x")
    custom = resolve(sp.Abs(x - 1) + sp.Max(x, 2))
    assert custom.kinks == (1.0, 2.0)
    assert custom.numpy(np.array([0.0, 3.0])).tolist() == [3.0, 5.0]
    assert resolve("relu(x) + x^2").kinks == (0.0,)  # ^ is a power, relu a known helper


# ------------------------------------------------------------------- strings: parsed without eval


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('__import__("sys").stdout.write("INJECTED ")', "may not use attribute access"),
        ("().__class__", "may not use attribute access"),
        ("().__class__.__bases__[0].__subclasses__()", "may not use attribute access"),
        ("x.real", "may not use attribute access"),
        ("x[0]", "may not use subscripts"),
        ("(lambda: x)()", "may not use lambdas"),
        ("[x for x in (1,)]", "may not use comprehensions"),
        ("exp(x=1)", "may not use keyword arguments"),
        ("'x'", "may not use strings"),
        ("x + __builtins__", "may not use names starting with '_'"),
        ("getattr(x, 'real')", "unknown function(s) getattr"),
        ("eval('x')", "unknown function(s) eval"),
        ("x if x else 1", "may not use conditional expressions"),
        ("x % 2", "may not use the operator %"),
        ("9**9**9*x", "may not use a power of two numbers"),
    ],
    ids=["injection", "dunder-class", "subclasses", "attribute", "subscript", "lambda", "comprehension", "keyword",
         "string", "dunder-name", "getattr", "eval", "conditional", "modulo", "huge-power"],
)
def test_strings_with_code_are_refused_naming_what(text, message, capsys):
    with pytest.raises(ValueError) as info:
        resolve(text)
    assert message in str(info.value)
    assert "INJECTED" not in capsys.readouterr().out


def test_strings_are_never_evaluated(monkeypatch):
    """Parsing builds the SymPy expression from Python's syntax tree: neither eval nor parse_expr runs."""
    import builtins

    from sympy.parsing import sympy_parser

    def forbidden(*args, **kwargs):
        raise AssertionError("a user string reached eval")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    custom = resolve("x*tanh(log(1 + exp(x))) + 0.125*x^2")  # not parsed before: the cache cannot answer
    assert custom.numpy(np.array([1.0])) == pytest.approx(resolve("mish").numpy(np.array([1.0])) + 0.125)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("x*tanh(log(1+exp(x)))", "mish"),
        ("max(x, 0)", "relu"),
        ("Max(0, x)", "relu"),
        ("x*erf(x/sqrt(2))/2 + x/2", "gelu"),
        ("x/(1 + exp(-x))", "silu"),
        ("x*sigmoid(x)", "silu"),
        ("swish(x)", "silu"),
        ("log(1 + exp(x))", "softplus"),
        ("softplus(x)", "softplus"),
        ("min(max(x, 0), 6)", "relu6"),
        ("x/(1 + abs(x))", "softsign"),
        ("1.7159*tanh(2*x/3)", "lecun_tanh"),
        ("x*min(max(x/6 + 1/2, 0), 1)", "hardswish"),
    ],
)
def test_strings_for_registered_activations_parse_to_the_same_function(text, name):
    custom, registered_one = resolve(text), resolve(name)
    assert custom.derivative_method == "symbolic"
    x = np.linspace(-8.0, 8.0, 161) + 0.01  # off the kinks
    assert _scaled_error(custom.numpy(x), registered_one.numpy(x)) <= FORWARD_TOLERANCE
    assert _scaled_error(custom.numpy_derivative(x), registered_one.numpy_derivative(x)) <= DERIVATIVE_TOLERANCE
    assert custom.kinks == registered_one.kinks


def test_registered_activations_in_strings_use_the_generated_code():
    # sigmoid(x) through scipy's expit: x sigmoid(x) and its derivative stay finite where exp(-x) overflows.
    custom = resolve("x*sigmoid(x)")
    far = np.array([-800.0, 800.0])
    assert np.all(np.isfinite(custom.numpy_derivative(far)))
    assert resolve("relu6(x - 1) + relu(x)").kinks == (0.0, 1.0, 7.0)
    assert resolve("x^2").numpy(np.array([3.0])).tolist() == [9.0]  # ^ is a power, as in SymPy's convert_xor


def test_removable_singularity_takes_the_limit():
    # sin(x)/x -> 1 and its derivative (x cos x - sin x)/x^2 -> 0 at x = 0 (SymPy's limit fills the NaN).
    sinc = resolve("sin(x)/x")
    assert sinc.numpy(np.array([0.0, math.pi])).tolist() == pytest.approx([1.0, 0.0], abs=1e-16)
    assert sinc.numpy_derivative(np.array([0.0])).tolist() == [0.0]
    assert sinc.torch(torch.tensor([0.0], dtype=torch.float64)).tolist() == [1.0]
    assert initref_gain("sin(x)/x") == pytest.approx(initref_gain("sinc(x)"), rel=1e-12)


def test_undefined_point_is_named():
    with pytest.raises(ValueError, match="returned NaN at x = 0: its value there is undefined"):
        resolve("x/abs(x)")  # a jump: no limit at 0


def test_constant_expression_broadcasts():
    constant = resolve("2 + 0*x")
    assert constant.numpy(np.zeros(4)).tolist() == [2.0] * 4
    assert constant.numpy_derivative(np.zeros(4)).tolist() == [0.0] * 4


def test_analytic_numpy_callable_uses_the_complex_step():
    custom = resolve(lambda v: v * np.tanh(np.log1p(np.exp(v))))
    assert custom.derivative_method == "complex-step"
    x = SMOOTH_GRID[np.abs(SMOOTH_GRID) <= 8]
    assert _scaled_error(custom.numpy_derivative(x), resolve("mish").numpy_derivative(x)) <= DERIVATIVE_TOLERANCE


def test_non_analytic_callable_falls_back_to_finite_differences_with_an_error_bound():
    custom = resolve(np.abs, kinks=(0.0,))
    assert custom.derivative_method == "finite-difference"
    assert custom.kinks == (0.0,)
    x = np.array([-3.3, -0.5, 0.5, 2.2])
    derivative, error = custom.derivative_with_error(x)
    assert np.all(np.abs(derivative - np.sign(x)) <= error)


def test_richardson_error_estimate_bounds_the_actual_error():
    x = np.linspace(-4, 4, 41)
    estimate, error = richardson(np.sin, x)
    assert np.all(np.abs(estimate - np.cos(x)) <= error)
    assert np.max(error) < 1e-10


def test_scalar_only_python_function_is_vectorised():
    custom = resolve(math.tanh)
    assert custom.derivative_method == "finite-difference"
    assert custom.numpy(SMOOTH_GRID).tolist() == [math.tanh(v) for v in SMOOTH_GRID]
    derivative, error = custom.derivative_with_error(SMOOTH_GRID)
    assert np.all(np.abs(derivative - 1 / np.cosh(SMOOTH_GRID) ** 2) <= error)


def test_torch_function_and_module_use_autograd():
    for act in (F.gelu, torch.nn.GELU(), lambda t: t * torch.sigmoid(t)):
        custom = resolve(act)
        assert custom.derivative_method == "autograd"
    module = resolve(torch.nn.Mish())
    assert _scaled_error(module.numpy_derivative(SMOOTH_GRID), resolve("mish").numpy_derivative(SMOOTH_GRID)) <= (
        DERIVATIVE_TOLERANCE)
    t = torch.linspace(-3, 3, 7, dtype=torch.float32)
    assert module.torch(t).dtype == torch.float32


def test_numpy_callable_round_trips_through_torch():
    custom = resolve(lambda v: v * np.tanh(np.log1p(np.exp(v))))
    t = torch.linspace(-3, 3, 7, dtype=torch.float64)
    assert torch.allclose(custom.torch(t), F.mish(t), rtol=0, atol=FORWARD_TOLERANCE)
    assert custom.torch_derivative(t).dtype == torch.float64


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("act", "error", "message"),
    [
        ("gleu", ValueError, "did you mean 'gelu'"),
        ("swishh", ValueError, "did you mean 'swish'"),
        ("x*tanh(", ValueError, "could not parse"),
        ("x*y", ValueError, "only the variable x"),
        ("foo(x)", ValueError, "unknown function(s) foo"),
        (42, TypeError, "act must be"),
        (lambda v: np.log(v), ValueError, "returned NaN"),
        (lambda v: 1 / 0, ValueError, "raised ZeroDivisionError"),
        (lambda v: np.ones(3), ValueError, "element-wise"),
    ],
    ids=["typo", "alias-typo", "unparseable", "other-symbol", "unknown-function", "not-callable", "nan", "raises",
         "not-elementwise"],
)
def test_bad_activations_get_clear_errors(act, error, message):
    with pytest.raises(error, match=None) as info:
        resolve(act)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("name", "param", "error", "message"),
    [
        ("relu", 0.1, ValueError, "takes no parameter"),
        ("elu", -1.0, ValueError, "positive"),
        ("elu", True, TypeError, "real number"),
        ("softplus", float("nan"), ValueError, "positive"),
        ("x**2", 1.0, ValueError, "registered activation names only"),
    ],
)
def test_bad_parameters(name, param, error, message):
    with pytest.raises(error) as info:
        resolve(name, param)
    assert message in str(info.value)


def test_raising_callable_keeps_the_cause():
    def broken(v):
        raise RuntimeError("boom")

    with pytest.raises(ValueError) as info:
        resolve(broken)
    assert "broken raised RuntimeError: boom" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_resolving_a_name_imports_neither_sympy_nor_torch():
    code = ("import sys, initref.activations as a; a.resolve('gelu').numpy([0.5]); "
            "print('sympy' in sys.modules, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
