"""Code generation for the activation registry: f and f' of every activation, for NumPy and torch.

:func:`activation_files` (listed in ``derivations.codegen.GENERATORS``) writes

- ``initref/_generated/activations_numpy.py``: ``name(x, param=default)`` and
  ``name_derivative(x, param=default)`` on NumPy arrays;
- ``initref/_generated/activations_torch.py``: the same on torch tensors;
- ``initref/_generated/activations.py``: the registry's metadata (names, aliases, parameters,
  kinks, expressions, references), with no NumPy, torch or SymPy import.

Printing goes through SymPy's :class:`SciPyPrinter` and :class:`TorchPrinter`, extended for the
few functions they print as invalid code (``torch.max(0, x)``) or not at all (``expm1`` in torch,
the registry's ``Sigmoid`` and ``Softplus``).
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.rewriting import expm1_opt, log1p_opt, optimize
from sympy.printing.numpy import SciPyPrinter
from sympy.printing.pytorch import TorchPrinter

from derivations.activations import REGISTRY, ActivationDefinition, X
from derivations.generated_header import header


class NumPyActivationPrinter(SciPyPrinter):
    """SciPyPrinter with element-wise ``Max``/``Min``, ``numpy.heaviside`` and the registry's functions."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True})

    def _pairwise(self, function: str, args: tuple[sp.Expr, ...]) -> str:
        code = self._print(args[0])
        for arg in args[1:]:
            code = f"{function}({code}, {self._print(arg)})"
        return code

    def _print_Max(self, expr: sp.Max) -> str:
        return self._pairwise("numpy.maximum", expr.args)

    def _print_Min(self, expr: sp.Min) -> str:
        return self._pairwise("numpy.minimum", expr.args)

    def _print_Abs(self, expr: sp.Abs) -> str:  # ``abs`` is a generated function's name: never the builtin
        return f"numpy.abs({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        return f"numpy.heaviside({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_Sigmoid(self, expr: sp.Function) -> str:
        return f"scipy.special.expit({self._print(expr.args[0])})"

    def _print_Softplus(self, expr: sp.Function) -> str:
        return f"numpy.logaddexp(0, {self._print(expr.args[0])})"


class TorchActivationPrinter(TorchPrinter):
    """TorchPrinter with ``clamp``/``maximum`` for ``Max``/``Min``, Heaviside, expm1, log1p, Sigmoid, Softplus."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True})

    def _extremum(self, expr: sp.Expr, bound: str, pairwise: str) -> str:
        numbers = [a for a in expr.args if a.is_number]
        others = [a for a in expr.args if not a.is_number]
        code = self._print(others[0])
        for other in others[1:]:
            code = f"{pairwise}({code}, {self._print(other)})"
        for number in numbers:
            code = f"torch.clamp({code}, {bound}={self._print(number)})"
        return code

    def _print_Max(self, expr: sp.Max) -> str:
        return self._extremum(expr, "min", "torch.maximum")

    def _print_Min(self, expr: sp.Min) -> str:
        return self._extremum(expr, "max", "torch.minimum")

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        if expr.args[1] != sp.Rational(1, 2):  # pragma: no cover - the registry only produces H(0) = 1/2
            raise ValueError(f"only Heaviside(u, 1/2) is supported; got {expr}")
        return f"((torch.sign({self._print(expr.args[0])}) + 1)/2)"

    def _print_expm1(self, expr: sp.Function) -> str:
        return f"torch.expm1({self._print(expr.args[0])})"

    def _print_log1p(self, expr: sp.Function) -> str:
        return f"torch.log1p({self._print(expr.args[0])})"

    def _print_Sigmoid(self, expr: sp.Function) -> str:
        return f"torch.sigmoid({self._print(expr.args[0])})"

    def _print_Softplus(self, expr: sp.Function) -> str:
        u = self._print(expr.args[0])
        return f"torch.logaddexp({u}, torch.zeros_like({u}))"


def exact_double(number: sp.Expr) -> sp.Float:
    """An irrational constant as the double nearest to it (evaluated to 50 digits, then rounded once)."""
    return sp.Float(float(sp.N(number, 50)), 17)


def display(expr: sp.Expr) -> str:
    """``sympy.sstr`` of ``expr`` with involved constants (more than three operations, e.g. SELU's) as doubles."""
    return sp.sstr(expr.replace(lambda e: e.is_number and e.is_rational is False and sp.count_ops(e) > 3,
                                exact_double))


def code_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` as code evaluates it: constants as doubles, ``exp(u) - 1`` → ``expm1``, ``log(1 + u)`` → ``log1p``."""
    expr = expr.replace(lambda e: e.is_number and e.is_rational is False, exact_double)
    return optimize(expr, [expm1_opt, log1p_opt])


#: ``(target, printer, module header lines, value type, how a constant is broadcast to x's shape)``
_TARGETS: dict[str, tuple[type[SciPyPrinter] | type[TorchPrinter], str, str, str, str]] = {
    "numpy": (NumPyActivationPrinter, "import numpy\nimport scipy.special\nfrom numpy.typing import ArrayLike",
              "ArrayLike", "numpy.ndarray",
              "numpy.full(numpy.shape(x), {code}, dtype=numpy.result_type(x, 1.0))"),
    "torch": (TorchActivationPrinter, "import torch", "torch.Tensor", "torch.Tensor", "torch.full_like(x, {code})"),
}


def _signature(definition: ActivationDefinition, value_type: str) -> str:
    args = f"x: {value_type}"
    if definition.parameter is not None:
        p = definition.parameter
        args += f", {p.name}: float = {float(p.default)!r}"
    return args


def render_function(definition: ActivationDefinition, target: str, derivative: bool) -> str:
    """One generated function: the activation or its derivative, for one target."""
    printer_class, _, value_type, return_type, constant = _TARGETS[target]
    expr = definition.derivative if derivative else definition.expr
    code = printer_class().doprint(code_form(expr))
    if X not in expr.free_symbols:
        code = constant.format(code=code)
    name = f"{definition.name}_derivative" if derivative else definition.name
    what = f"Derivative of {definition.title}" if derivative else definition.title[0].upper() + definition.title[1:]
    prologue = "    x = numpy.asarray(x)\n" if target == "numpy" else ""
    return (
        f"def {name}({_signature(definition, value_type)}) -> {return_type}:\n"
        f'    r"""{what}.\n\n    Registry ``derivations.activations``: {definition.reference}.\n    """\n'
        f"{prologue}    return {code}\n"
    )


def render_code(target: str) -> str:
    """``activations_numpy.py`` or ``activations_torch.py``."""

    _, imports, _, _, _ = _TARGETS[target]
    names = [n for d in REGISTRY for n in (d.name, f"{d.name}_derivative")]
    body = "\n\n".join(render_function(d, target, derivative) for d in REGISTRY for derivative in (False, True))
    description = f"Activations f and their derivatives f' for {'NumPy' if target == 'numpy' else 'torch'}."
    listed = ", ".join(f'"{n}"' for n in names)
    return f"{header(['activations'], description)}\n{imports}\n\n__all__ = [{listed}]\n\n\n{body}"


def _mapping(name: str, annotation: str, items: dict[str, str], doc: str) -> str:
    rows = "".join(f"    {key!r}: {value},\n" for key, value in items.items())
    return f"{name}: {annotation} = {{\n{rows}}}\n\"\"\"{doc}\"\"\"\n"


def render_metadata() -> str:
    """``activations.py``: what the runtime needs to resolve a name, without importing SymPy."""

    names = ", ".join(repr(d.name) for d in REGISTRY)
    parts = [
        f"NAMES: tuple[str, ...] = ({names},)\n\"\"\"Registered activations, in registry order.\"\"\"\n",
        _mapping("ALIASES", "dict[str, str]", {a: repr(d.name) for d in REGISTRY for a in d.aliases},
                 "Other names of registered activations."),
        _mapping("PARAMETERS", "dict[str, tuple[str, float, bool]]",
                 {d.name: repr((d.parameter.name, float(d.parameter.default), d.parameter.positive))
                  for d in REGISTRY if d.parameter is not None},
                 "(parameter name, default, whether it must be positive) of activations taking one."),
        _mapping("KINKS", "dict[str, tuple[float, ...]]",
                 {d.name: repr(tuple(float(k) for k in d.kinks)) for d in REGISTRY},
                 "Points where f or f' is not smooth (quadrature splits there)."),
        _mapping("EXPRESSIONS", "dict[str, str]", {d.name: repr(display(d.expr)) for d in REGISTRY},
                 "f(x) as SymPy writes it (involved constants as doubles)."),
        _mapping("DERIVATIVES", "dict[str, str]", {d.name: repr(display(d.derivative)) for d in REGISTRY},
                 "f'(x) as SymPy writes it (involved constants as doubles)."),
        _mapping("TITLES", "dict[str, str]", {d.name: repr(d.title) for d in REGISTRY}, "Names with formulas (LaTeX)."),
        _mapping("REFERENCES", "dict[str, str]", {d.name: repr(d.reference) for d in REGISTRY},
                 "Where each activation was introduced."),
        f"CLOSED_FORM: frozenset[str] = frozenset({{{', '.join(repr(d.name) for d in REGISTRY if d.closed_form)}}})\n"
        "\"\"\"Activations with closed-form Gaussian moments in ``formulas`` (derivation gaussian-moments).\"\"\"\n",
    ]
    return (f"{header(['activations'], 'The activation registry: names, parameters, kinks and formulas.')}\n"
            + "\n\n".join(parts))


def activation_files() -> dict[str, str]:
    """``{file name: source}`` of the three generated activation modules."""
    return {
        "activations.py": render_metadata(),
        "activations_numpy.py": render_code("numpy"),
        "activations_torch.py": render_code("torch"),
    }
