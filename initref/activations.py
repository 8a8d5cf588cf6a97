r"""Activations of every kind, resolved to one :class:`Activation` with $f$, $f'$ and its kinks.

:func:`resolve` accepts

- a registered name (``"relu"``, ``"gelu"``, ``"swish"``, ...; :func:`registered` lists them),
  whose $f$ and $f'$ are generated from the SymPy registry (``derivations/activations.py``);
- a SymPy expression, or a string in ``x`` such as ``"x*tanh(log(1 + exp(x)))"``: $f'$ by
  ``sympy.diff`` (SymPy is imported only on this path);
- a torch function or ``torch.nn.Module`` (or a Python function of tensors): $f'$ by autograd;
- a Python/NumPy callable: $f'$ by the complex step $\operatorname{Im} f(x + ih)/h$ where it
  agrees with finite differences (analytic code), else by Richardson-extrapolated central
  differences with an error estimate.

References
----------
Squire & Trapp (1998), Using complex variables to estimate derivatives of real functions, SIAM
Review 40(1); Richardson (1911), The approximate arithmetical solution by finite differences.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import operator
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from initref._generated import activations as registry
from initref._generated import activations_numpy

ArrayFunction = Callable[[np.ndarray], np.ndarray]

#: torch's calculate_gain names whose gain is the identity's, 1 (torch/nn/init.py ``linear_fns``): they resolve
#: to the identity.
TORCH_LINEAR_NAMES: tuple[str, ...] = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
)
#: Exact derivative methods; the finite-difference one carries an error estimate.
DERIVATIVE_METHODS = ("generated", "symbolic", "autograd", "complex-step", "finite-difference")
_COMPLEX_STEP = 1e-30
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Activation:
    """An activation with its derivative, ready for quadrature, NumPy and torch.

    Attributes
    ----------
    name
        Registered name, the expression, or the callable's name.
    kinks
        Points where ``f`` or ``f'`` is not smooth (quadrature cuts there).
    param
        The registered activation's parameter value (None for the default or for none).
    expression
        ``f(x)`` as SymPy writes it, when known.
    derivative_method
        One of :data:`DERIVATIVE_METHODS`: how ``f'`` is computed.
    registered
        Registry name when the activation comes from the registry (closed forms may exist).
    """

    name: str
    kinks: tuple[float, ...]
    param: float | None
    expression: str | None
    derivative_method: str
    registered: str | None
    _f: ArrayFunction = field(repr=False, compare=False)
    _df: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]] = field(repr=False, compare=False)
    _torch_f: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)
    _torch_df: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)

    def numpy(self, x: Any) -> np.ndarray:
        """$f(x)$ element-wise on an array (float64)."""
        return self._f(np.asarray(x, dtype=float))

    def __call__(self, x: Any) -> np.ndarray:
        return self.numpy(x)

    def numpy_derivative(self, x: Any) -> np.ndarray:
        """$f'(x)$ element-wise on an array (float64)."""
        return self._df(np.asarray(x, dtype=float))[0]

    def derivative_with_error(self, x: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """$f'(x)$ and, for finite differences, an estimate of its absolute error (None when exact)."""
        return self._df(np.asarray(x, dtype=float))

    def torch(self, x: Any) -> Any:
        """$f(x)$ on a torch tensor (same device and dtype); NumPy-only callables round-trip through NumPy."""
        if self._torch_f is not None:
            return self._torch_f(x)
        return _via_numpy(self.numpy, x)

    def torch_derivative(self, x: Any) -> Any:
        """$f'(x)$ on a torch tensor (same device and dtype)."""
        if self._torch_df is not None:
            return self._torch_df(x)
        return _via_numpy(self.numpy_derivative, x)


def registered() -> tuple[str, ...]:
    """Names of every registered activation (aliases such as ``"swish"`` and ``"linear"`` resolve too)."""
    return registry.NAMES


def _via_numpy(fn: ArrayFunction, x: Any) -> Any:
    import torch

    return torch.as_tensor(fn(x.detach().cpu().numpy()), dtype=x.dtype, device=x.device)


def _known_names() -> list[str]:
    return [*registry.NAMES, *registry.ALIASES, *TORCH_LINEAR_NAMES]


def canonical_name(name: str) -> str | None:
    """The registry's name for ``name`` (case, ``-`` and aliases forgiven; torch's linear names are identity)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in registry.NAMES:
        return key
    if key in registry.ALIASES:
        return registry.ALIASES[key]
    if key in TORCH_LINEAR_NAMES:
        return "identity"
    return None


def _check_param(name: str, param: object) -> float | None:
    if param is None:
        return None
    if name not in registry.PARAMETERS:
        takes = ", ".join(sorted(registry.PARAMETERS))
        raise ValueError(f"activation {name!r} takes no parameter (those that do: {takes}); got param={param!r}")
    label, _, positive = registry.PARAMETERS[name]
    if isinstance(param, bool) or not isinstance(param, (int, float, np.integer, np.floating)):
        raise TypeError(f"param ({label} of {name}) must be a real number; got {param!r}")
    value = float(param)
    if not math.isfinite(value) or (positive and value <= 0):
        need = "a positive finite number" if positive else "a finite number"
        raise ValueError(f"param ({label} of {name}) must be {need}; got {param!r}")
    return value


def _from_registry(name: str, param: object) -> Activation:
    value = _check_param(name, param)
    f = getattr(activations_numpy, name)
    df = getattr(activations_numpy, f"{name}_derivative")
    if value is not None:
        keyword = {registry.PARAMETERS[name][0]: value}
        f, df = functools.partial(f, **keyword), functools.partial(df, **keyword)

    def torch_function(derivative: bool) -> Callable[[Any], Any]:
        def apply(x: Any) -> Any:
            from initref._generated import activations_torch

            fn = getattr(activations_torch, f"{name}_derivative" if derivative else name)
            return fn(x) if value is None else fn(x, value)

        return apply

    return Activation(
        name=name, kinks=registry.KINKS[name], param=value, expression=registry.EXPRESSIONS[name],
        derivative_method="generated", registered=name, _f=f, _df=lambda x: (df(x), None),
        _torch_f=torch_function(False), _torch_df=torch_function(True),
    )


def _unknown_name(name: str) -> ValueError:
    close = difflib.get_close_matches(name.lower(), _known_names(), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return ValueError(f"unknown activation {name!r}{hint} Registered: {', '.join(registry.NAMES)} "
                      "(or pass an expression in x such as 'x*tanh(log(1 + exp(x)))', or a callable)")


# ----------------------------------------------------------------------------------------- SymPy


#: SymPy functions a string in x may call, by the name written (``abs``/``max``/``min`` as Python spells them).
_SYMPY_FUNCTIONS = {
    "exp": "exp", "log": "log", "ln": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan",
    "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "asinh": "asinh", "atan": "atan", "arctan": "atan",
    "erf": "erf", "erfc": "erfc", "sign": "sign", "sinc": "sinc", "Heaviside": "Heaviside",
    "heaviside": "Heaviside", "Abs": "Abs", "abs": "Abs", "Max": "Max", "max": "Max", "Min": "Min", "min": "Min",
    "expm1": "expm1", "log1p": "log1p",
}
#: Constants a string in x may name.
_CONSTANTS = ("e", "E", "pi")
#: Longest accepted string, and largest |exponent| of a power of two numbers (SymPy would compute it exactly).
MAX_EXPRESSION_LENGTH = 1000
MAX_EXACT_EXPONENT = 10_000
_ARITHMETIC = {"Add": operator.add, "Sub": operator.sub, "Mult": operator.mul, "Div": operator.truediv}
_OPERATOR_SYMBOLS = {"Mod": "%", "FloorDiv": "//", "MatMult": "@", "BitAnd": "&", "BitOr": "|", "BitXor": "^",
                     "LShift": "<<", "RShift": ">>", "Invert": "~", "Not": "not"}
_SYNTAX_NAMES = {"Attribute": "attribute access", "Subscript": "subscripts", "Lambda": "lambdas",
                 "ListComp": "comprehensions", "SetComp": "comprehensions", "DictComp": "comprehensions",
                 "GeneratorExp": "comprehensions", "Tuple": "tuples", "List": "lists", "Dict": "dicts",
                 "Set": "sets", "Compare": "comparisons", "BoolOp": "and/or", "IfExp": "conditional expressions",
                 "NamedExpr": "assignments", "Starred": "starred arguments", "JoinedStr": "strings",
                 "keyword": "keyword arguments"}


def _registry_function_names() -> dict[str, str]:
    """Registered activations callable in a string (``sigmoid(x)``), by name and alias, to their registry name."""
    names = {name: name for name in registry.NAMES if name not in _SYMPY_FUNCTIONS}
    return names | {alias: target for alias, target in registry.ALIASES.items() if target in names}


@functools.cache
def _registry_function(name: str) -> Any:
    """A SymPy function evaluated by the registry's generated code; its derivative by the generated derivative."""
    import sympy as sp

    derivative = type(f"{name}_derivative", (sp.Function,), {"nargs": 1, "initref_registered": name})

    def fdiff(self: Any, argindex: int = 1) -> Any:
        return derivative(self.args[0])

    return type(name, (sp.Function,), {"nargs": 1, "fdiff": fdiff, "initref_registered": name})


def _registry_namespace(module: Any) -> dict[str, Any]:
    """Implementations of the registry functions (and their derivatives) for ``lambdify``."""
    names = set(_registry_function_names().values())
    return {key: getattr(module, key) for name in names for key in (name, f"{name}_derivative")}


def _allowed() -> str:
    names = {*_SYMPY_FUNCTIONS, *_registry_function_names()}
    shown = sorted((n for n in names if n == n.lower() or n.lower() not in names), key=str.lower)
    functions = ", ".join(shown)
    return f"numbers, x, {', '.join(_CONSTANTS)}, + - * / ** (or ^), and calls of {functions}"


class _Builder:
    """Builds a SymPy expression from the syntax tree of a string in x; anything else is refused (nothing is eval'd)."""

    def __init__(self, text: str, source: str) -> None:
        import sympy as sp

        self.text, self.source, self.sp, self.x = text, source, sp, sp.Symbol("x", real=True)

    def refuse(self, node: Any, what: str) -> ValueError:
        import ast

        segment = ast.get_source_segment(self.source, node) if hasattr(node, "col_offset") else None
        shown = f" ({segment!r})" if segment else ""
        return ValueError(f"activation expression {self.text!r} may not use {what}{shown}: an expression in x "
                          f"may use only {_allowed()}")

    def build(self, node: Any) -> Any:
        kind = type(node).__name__
        method = getattr(self, f"_{kind}", None)
        if method is None:
            raise self.refuse(node, _SYNTAX_NAMES.get(kind, f"{kind} syntax"))
        return method(node)

    def _Constant(self, node: Any) -> Any:
        value = node.value
        if type(value) is int:
            return self.sp.Integer(value)
        if type(value) is float:
            return self.sp.Float(value)
        raise self.refuse(node, "strings" if isinstance(value, (str, bytes)) else f"the constant {value!r}")

    def _Name(self, node: Any) -> Any:
        name = node.id
        if name == "x":
            return self.x
        if name in _CONSTANTS:
            return self.sp.pi if name == "pi" else self.sp.E
        if name.startswith("_"):
            raise self.refuse(node, "names starting with '_'")
        if name in _SYMPY_FUNCTIONS or name in _registry_function_names():
            raise self.refuse(node, f"the function {name} without calling it")
        return self.sp.Symbol(name)

    def _UnaryOp(self, node: Any) -> Any:
        kind = type(node.op).__name__
        if kind not in ("UAdd", "USub"):
            raise self.refuse(node, f"the operator {_OPERATOR_SYMBOLS.get(kind, kind)}")
        operand = self.build(node.operand)
        return -operand if kind == "USub" else operand

    def _BinOp(self, node: Any) -> Any:
        kind = type(node.op).__name__
        if kind not in (*_ARITHMETIC, "Pow"):
            raise self.refuse(node, f"the operator {_OPERATOR_SYMBOLS.get(kind, kind)}")
        left, right = self.build(node.left), self.build(node.right)
        return self._power(node, left, right) if kind == "Pow" else _ARITHMETIC[kind](left, right)

    def _power(self, node: Any, base: Any, exponent: Any) -> Any:
        if base.is_Number and exponent.is_Number and abs(exponent) > MAX_EXACT_EXPONENT and abs(base) not in (0, 1):
            raise self.refuse(node, f"a power of two numbers with an exponent beyond {MAX_EXACT_EXPONENT}")
        return base**exponent

    def _Call(self, node: Any) -> Any:
        if type(node.func).__name__ != "Name":
            raise self.refuse(node.func, _SYNTAX_NAMES.get(type(node.func).__name__, "calls of an expression"))
        if node.keywords:
            raise self.refuse(node.keywords[0], "keyword arguments")
        function = self._function(node.func.id)
        args = [self.build(arg) for arg in node.args]
        if not args:
            raise self.refuse(node, f"{node.func.id}() without arguments")
        try:
            return function(*args)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{node.func.id} cannot take {len(args)} argument(s) in activation expression "
                             f"{self.text!r} ({exc})") from None

    def _function(self, name: str) -> Any:
        if name in _SYMPY_FUNCTIONS:
            from sympy.codegen import cfunctions

            target = _SYMPY_FUNCTIONS[name]
            return getattr(cfunctions if target in ("expm1", "log1p") else self.sp, target)
        registered_names = _registry_function_names()
        if name in registered_names:
            return _registry_function(registered_names[name])
        raise ValueError(f"unknown function(s) {name} in activation expression {self.text!r}; an expression in x "
                         f"may use only {_allowed()}")


def _parse(text: str) -> Any:
    """A SymPy expression from a string in x, built from its Python syntax tree: nothing in it is evaluated.

    ``^`` means a power, as in SymPy's ``convert_xor``; registered activations can be called (``sigmoid(2*x)``).

    Raises
    ------
    ValueError
        Unparseable text, or syntax other than numbers, names, arithmetic and calls of known functions
        (attributes, subscripts, strings, lambdas, keywords, ... are refused, naming what was found).
    """
    import ast

    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ValueError(f"activation expression is {len(text)} characters long; at most {MAX_EXPRESSION_LENGTH} "
                         "are accepted")
    source = text.replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
        return _Builder(text, source).build(tree.body)
    except (SyntaxError, RecursionError, MemoryError) as exc:
        reason = exc.msg if isinstance(exc, SyntaxError) else "nested too deeply"
        raise ValueError(f"could not parse the activation expression {text!r} ({reason}); write an expression "
                         "in x such as 'x*tanh(log(1 + exp(x)))'") from None


def _kinks(expr: Any, x: Any) -> tuple[float, ...]:
    """Real points where a piece of ``expr`` switches: zeros of Abs/sign/Heaviside arguments, Max/Min ties,
    and the registry's kinks of registered activations called in it."""
    import sympy as sp

    candidates = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
            candidates.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            candidates += [a - b for i, a in enumerate(node.args) for b in node.args[i + 1:]]
        elif isinstance(node, sp.Piecewise):
            candidates += [c.lhs - c.rhs for _, c in node.args if isinstance(c, sp.core.relational.Relational)]
        elif getattr(type(node), "initref_registered", None) is not None:
            candidates += [node.args[0] - k for k in registry.KINKS[type(node).initref_registered]]
    points: set[float] = set()
    for u in candidates:
        try:
            roots = sp.solveset(u, x, sp.S.Reals)
        except Exception:  # noqa: BLE001 - an unsolved kink is found by adaptive bisection instead
            continue
        if isinstance(roots, sp.FiniteSet):
            points.update(float(r) for r in roots if r.is_real)
    return tuple(sorted(points))


def _real_expression(expr: Any, name: str) -> tuple[Any, Any]:
    """``expr`` in a real symbol x (so that |x|' is sign(x)), checked: one variable x, known functions, defined."""
    import sympy as sp
    from sympy.core.function import AppliedUndef

    try:
        expr = sp.sympify(expr, strict=True)  # strict: never parses a string (strings go through _parse)
    except sp.SympifyError as exc:
        raise ValueError(f"could not interpret {name!r} as a SymPy expression: {exc}") from None
    symbols = sorted(expr.free_symbols, key=str)
    if len(symbols) > 1 or (symbols and symbols[0].name != "x"):
        raise ValueError(f"an activation expression may use only the variable x; {name!r} uses "
                         f"{', '.join(map(str, symbols))}")
    undefined = sorted({str(f.func) for f in expr.atoms(AppliedUndef)})
    if undefined:
        raise ValueError(f"unknown function(s) {', '.join(undefined)} in activation expression {name!r}")
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ValueError(f"activation expression {name!r} is undefined: it simplifies to {sp.sstr(expr)}")
    x = sp.Symbol("x", real=True)
    return (expr.subs(symbols[0], x) if symbols else expr), x


@functools.lru_cache(maxsize=256)
def _limit(expr: Any, x: Any, point: float) -> float:
    """SymPy's two-sided limit of ``expr`` at ``point`` if it exists and is a finite real, else NaN."""
    import sympy as sp

    try:
        value = complex(sp.limit(expr, x, sp.Rational(point), dir="+-"))
    except Exception:  # noqa: BLE001 - no limit (a jump, a pole) or one SymPy cannot take
        return math.nan
    return value.real if value.imag == 0 and math.isfinite(value.real) else math.nan


def _limits(expr: Any, x: Any, points: np.ndarray) -> np.ndarray:
    return np.array([_limit(expr, x, float(p)) for p in points.ravel()], dtype=float)


def _numpy_function(expr: Any, x: Any, name: str) -> ArrayFunction:
    """``expr`` lambdified for NumPy/SciPy, broadcasting, with NaN at removable singularities (sin(x)/x at 0)
    replaced by the limit there."""
    import sympy as sp

    try:
        fn = _broadcasting(sp.lambdify(x, expr, modules=[_registry_namespace(activations_numpy), "scipy", "numpy"]))
    except Exception as exc:  # noqa: BLE001 - SymPy's printers raise several kinds
        raise ValueError(f"cannot evaluate activation expression {name!r} numerically: {exc}") from None

    def apply(v: np.ndarray) -> np.ndarray:
        out = fn(v)
        nan = np.isnan(out)
        if nan.any() and not np.iscomplexobj(v):
            out[nan] = _limits(expr, x, np.asarray(v)[nan])
        return out

    return apply


@functools.lru_cache(maxsize=64)
def _torch_lambda(expr: Any, x: Any) -> Callable[[Any], Any]:
    import sympy as sp

    from initref._generated import activations_torch

    return sp.lambdify(x, expr, modules=[_registry_namespace(activations_torch), "torch"])


def _torch_function(expr: Any, x: Any, name: str) -> Callable[[Any], Any]:
    """``expr`` on torch tensors (through NumPy where SymPy has no torch printer), NaN replaced by limits."""

    def apply(t: Any) -> Any:
        import torch

        try:
            out = torch.as_tensor(_torch_lambda(expr, x)(t), dtype=t.dtype, device=t.device).expand_as(t).clone()
        except Exception:  # noqa: BLE001 - functions without a torch printer: through NumPy
            return _via_numpy(_numpy_function(expr, x, name), t)
        nan = torch.isnan(out)
        if nan.any():
            points = t.detach()[nan].cpu().double().numpy()
            out[nan] = torch.as_tensor(_limits(expr, x, points), dtype=out.dtype, device=out.device)
        return out

    return apply


def _from_sympy(expr: Any, name: str) -> Activation:
    import sympy as sp

    expr, x = _real_expression(expr, name)
    f = _checked(_numpy_function(expr, x, name), name)
    f(np.linspace(-2.0, 2.0, 5))
    kinks = _kinks(expr, x)
    try:  # f' almost everywhere: the Dirac deltas of jumps dropped
        derivative = sp.diff(expr, x).replace(sp.DiracDelta, lambda *args: sp.S.Zero)
        raw_df = _numpy_function(derivative, x, f"derivative of {name}")
        with np.errstate(all="ignore"):
            raw_df(np.linspace(-2.0, 2.0, 5))
    except Exception:  # noqa: BLE001 - no printable derivative: finite differences on f instead
        return dataclasses.replace(_from_numpy(f, name, kinks), expression=sp.sstr(expr))
    return Activation(
        name=name, kinks=kinks, param=None, expression=sp.sstr(expr), derivative_method="symbolic",
        registered=None, _f=f, _df=lambda v: (_checked(raw_df, f"derivative of {name}")(v), None),
        _torch_f=_torch_function(expr, x, name), _torch_df=_torch_function(derivative, x, f"derivative of {name}"),
    )


def _broadcasting(fn: Callable[[np.ndarray], Any]) -> ArrayFunction:
    """Make a lambdified function return a float array of the input's shape (constants included)."""

    def apply(x: np.ndarray) -> np.ndarray:
        out = np.asarray(fn(x))
        return np.broadcast_to(out, np.shape(x)).astype(np.result_type(out, 1.0), copy=True)

    return apply


# -------------------------------------------------------------------------------------- callables


class CallableRaisedError(ValueError):
    """The activation callable itself raised (its exception is the ``__cause__``)."""


def _checked(fn: Callable[[np.ndarray], Any], name: str) -> ArrayFunction:
    """Call ``fn`` on an array; any exception, a wrong shape or a NaN becomes a ValueError naming ``name``."""

    def apply(x: np.ndarray) -> np.ndarray:
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(fn(x))
        except Exception as exc:  # noqa: BLE001 - a user's callable may raise anything
            where = f" on {np.size(x)} points in [{np.min(x):.4g}, {np.max(x):.4g}]" if np.size(x) else ""
            raise CallableRaisedError(f"activation {name} raised {type(exc).__name__}: {exc}{where}") from exc
        if out.shape != np.shape(x):
            raise ValueError(f"activation {name} must act element-wise: an input of shape {np.shape(x)} "
                             f"gave an output of shape {out.shape}")
        if np.iscomplexobj(out) and not np.iscomplexobj(x):
            raise ValueError(f"activation {name} returned complex values for real input")
        nan = np.isnan(out)
        if nan.any():
            point = complex(np.asarray(x)[nan].flat[0]).real
            raise ValueError(f"activation {name} returned NaN at x = {point:.6g}: its value there is undefined")
        return out if np.iscomplexobj(out) else out.astype(float, copy=False)

    return apply


def _vectorised(fn: Callable[..., Any], name: str) -> Callable[[np.ndarray], Any]:
    """``fn`` itself if it takes arrays; else applied point by point (a scalar-only Python function)."""
    probe = np.array([0.5, -1.5])
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(fn(probe))
    except Exception:  # noqa: BLE001 - not array-aware: fall back to scalars below
        return np.vectorize(fn, otypes=[float])
    if out.shape != probe.shape:
        raise ValueError(f"activation {name} must act element-wise: an input of shape {probe.shape} gave an "
                         f"output of shape {out.shape}")
    return fn


def _extrapolated(difference: Callable[[np.ndarray], np.ndarray], h0: np.ndarray, levels: int,
                  order_step: int) -> tuple[np.ndarray, np.ndarray]:
    """Richardson's table over steps h0/2^k; level j removes the error term h^(order_step j)."""
    table = [difference(h0 / 2**k) for k in range(levels + 1)]
    previous = table
    for level in range(1, levels + 1):
        factor = 2.0 ** (order_step * level)
        previous, table = table, [(factor * table[k + 1] - table[k]) / (factor - 1) for k in range(len(table) - 1)]
    return table[0], np.abs(table[0] - previous[-1])


def richardson(f: ArrayFunction, x: np.ndarray, levels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    r"""$f'(x)$ by Richardson-extrapolated differences, with an error estimate.

    Central differences $D(h) = (f(x+h) - f(x-h))/(2h)$ at $h_k = h_0/2^k$ are extrapolated to
    $O(h^{2L+2})$; the estimate of the error is the change made by the last level plus the
    rounding error $\epsilon|f|/h$ amplified by the extrapolation. Where that estimate is poor (a
    kink within $h_0$), one-sided differences on each side are extrapolated too and the side whose
    table agrees best is used: the side away from the kink never crosses it.
    """
    x = np.asarray(x, dtype=float)
    h0 = 2.0**-4 * np.maximum(1.0, np.abs(x))
    scale = np.maximum(np.abs(f(x)), 1.0)
    eps = np.finfo(float).eps
    estimate, error = _extrapolated(lambda h: (f(x + h) - f(x - h)) / (2 * h), h0, levels, 2)
    error = error + 8 * eps * scale * 2**levels / h0
    rough = np.nonzero(error > 1e-9 * np.maximum(1.0, np.abs(estimate)))[0]
    if rough.size:
        xs, hs, fx = x[rough], h0[rough], f(x[rough])

        def one_side(sign: float) -> Callable[[np.ndarray], np.ndarray]:
            return lambda h: sign * (f(xs + sign * h) - fx) / h

        sides = [_extrapolated(one_side(sign), hs, 2 * levels, 1) for sign in (1.0, -1.0)]
        rounding = 8 * eps * scale[rough] * 4.0**levels / hs
        pick = sides[0][1] <= sides[1][1]
        one_sided = np.where(pick, sides[0][0], sides[1][0])
        one_sided_error = np.where(pick, sides[0][1], sides[1][1]) + rounding
        better = one_sided_error < error[rough]
        estimate[rough[better]] = one_sided[better]
        error[rough[better]] = one_sided_error[better]
    return estimate, error


def _complex_step_works(f: Callable[[np.ndarray], Any], real: ArrayFunction) -> bool:
    """Whether ``Im f(x + ih)/h`` is f' (analytic code): it must agree with finite differences."""
    x = np.linspace(-3.71, 4.13, 17)
    try:
        with np.errstate(all="ignore"):
            out = np.asarray(f(x + 1j * _COMPLEX_STEP))
    except Exception:  # noqa: BLE001 - code that rejects complex input
        return False
    if out.shape != x.shape or not np.iscomplexobj(out) or not np.all(np.isfinite(out)):
        return False
    step = out.imag / _COMPLEX_STEP
    try:
        reference, error = richardson(real, x)
    except ValueError:
        return False
    return bool(np.all(np.abs(step - reference) <= 1e-6 * np.maximum(1.0, np.abs(reference)) + 10 * error))


def _from_numpy(fn: Callable[..., Any], name: str, kinks: Sequence[float]) -> Activation:
    vectorised = _vectorised(fn, name)
    f = _checked(vectorised, name)
    f(np.linspace(-2.0, 2.0, 5))  # fail now, with a clear message, if it cannot be evaluated
    if _complex_step_works(vectorised, f):
        complex_f = _checked(vectorised, name)

        def derivative(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
            return np.asarray(complex_f(x + 1j * _COMPLEX_STEP)).imag / _COMPLEX_STEP, None

        method = "complex-step"
    else:
        def derivative(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
            return richardson(f, x)

        method = "finite-difference"
    return Activation(name=name, kinks=tuple(sorted(float(k) for k in kinks)), param=None, expression=None,
                      derivative_method=method, registered=None, _f=f, _df=derivative)


# ------------------------------------------------------------------------------------------ torch


def _is_torch(obj: object) -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    if isinstance(obj, torch.nn.Module):
        return True
    module = getattr(obj, "__module__", None) or ""
    return module == "torch" or module.startswith("torch.")


def _accepts_tensors(fn: Callable[..., Any]) -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # NumPy code handed a tensor may warn before failing
            out = fn(torch.tensor([0.5, -1.5], dtype=torch.float64))
    except Exception:  # noqa: BLE001 - not a function of tensors
        return False
    return isinstance(out, torch.Tensor)


def _from_torch(fn: Callable[..., Any], name: str, kinks: Sequence[float]) -> Activation:
    import copy

    import torch

    if isinstance(fn, torch.nn.Module):
        fn = copy.deepcopy(fn).double()

    def evaluate(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return fn(torch.as_tensor(x, dtype=torch.float64)).detach().cpu().numpy()

    def autograd(t: Any) -> Any:
        with torch.enable_grad():
            leaf = t.detach().clone().requires_grad_(True)
            out = fn(leaf)
            (grad,) = torch.autograd.grad(out.sum(), leaf, allow_unused=True)
        return torch.zeros_like(leaf) if grad is None else grad.detach()

    f = _checked(evaluate, name)
    df = _checked(lambda x: autograd(torch.as_tensor(x, dtype=torch.float64)).cpu().numpy(), f"derivative of {name}")
    f(np.linspace(-2.0, 2.0, 5))
    return Activation(
        name=name, kinks=tuple(sorted(float(k) for k in kinks)), param=None, expression=None,
        derivative_method="autograd", registered=None, _f=f, _df=lambda x: (df(x), None),
        _torch_f=lambda t: fn(t), _torch_df=autograd,
    )


def _callable_name(fn: object) -> str:
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return str(name)


def resolve(act: object, param: float | None = None, *, kinks: Sequence[float] = ()) -> Activation:
    r"""Turn any description of an activation into an :class:`Activation`.

    Parameters
    ----------
    act
        A registered name or alias (``"relu"``, ``"swish"``, torch's ``"linear"``/``"conv2d"``, ...),
        a SymPy expression or a string in ``x``, a torch function or ``nn.Module``, a Python/NumPy
        callable, or an :class:`Activation` (returned as is).
    param
        The registered activation's parameter (``negative_slope`` of ``leaky_relu``, ``alpha`` of
        ``elu``/``celu``, ``beta`` of ``silu``/``softplus``); None for its default.
    kinks
        For callables: points where ``f`` or ``f'`` is not smooth (speeds up quadrature).

    Raises
    ------
    ValueError
        Unknown name (close matches suggested), unparseable expression, a callable that raises or
        returns NaN, a parameter out of range.
    TypeError
        An object that is none of the above, or a parameter that is not a number.
    """
    if isinstance(act, Activation):
        _no_param(act.name, param)
        return act
    if isinstance(act, str):
        canonical = canonical_name(act)
        if canonical is not None:
            return _from_registry(canonical, param)
        if _IDENTIFIER.match(act.strip()) and act.strip() != "x":
            raise _unknown_name(act.strip())
        _no_param(act, param)
        return _from_string(act.strip())
    _no_param(act, param)
    if type(act).__module__.split(".")[0] == "sympy":
        import sympy as sp

        return _from_sympy(act, sp.sstr(act))
    if not callable(act):
        raise TypeError("act must be an activation name, an expression in x (str or SymPy), a callable, or a "
                        f"torch function/module; got {type(act).__name__}")
    name = _callable_name(act)
    if _is_torch(act):
        return _from_torch(act, name, kinks)
    try:
        return _from_numpy(act, name, kinks)
    except CallableRaisedError:  # perhaps a function of tensors, not arrays
        if _accepts_tensors(act):
            return _from_torch(act, name, kinks)
        raise


@functools.lru_cache(maxsize=64)
def _from_string(text: str) -> Activation:
    """A parsed expression, cached: parsing, differentiating and lambdifying cost milliseconds."""
    return _from_sympy(_parse(text), text)


def _no_param(act: object, param: object) -> None:
    if param is not None:
        raise ValueError(f"param applies to registered activation names only; got param={param!r} for {act!r}")
