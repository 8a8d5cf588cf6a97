r"""A checklist of suspicious parameters: ``checklist(model, batch=None, recipe=None)``.

Checks, per parameter:

- **NaN/inf** anywhere (error).
- Against a recipe's expectation (a recipe name with its options, or the :class:`InitReport`
  :func:`initref.torch.apply_init` returned): a constant that is not that constant, a sample mean
  or a sample standard deviation outside its sampling interval (error), values outside a
  uniform's support (error).
- Without an expectation, for Linear/Conv weights: the variance factor
  :math:`f = n_\text{in}\,s^2` (what the layer multiplies its input's second moment by, derivation
  ``preactivation-variance``) outside ``band`` (warning), and a non-zero mean (warning).
- **Identical values**: a weight matrix whose entries are all equal (error: every unit computes
  the same function) or with duplicated rows (warning); distinct parameters holding identical
  copies (warning, e.g. layers cloned with ``copy.deepcopy``).
- **All-zero weights** where no recipe asks for them (warning); with ``sample_input`` the
  gradient decides: an all-zero weight that also receives an all-zero gradient cannot learn
  (error), one that receives a gradient can (not reported).

Statistical thresholds come from a stated false-alarm probability ``p_false_alarm`` for the
whole model (Bonferroni: split evenly over the tests made). For normal draws the sample variance
is tested with its exact distribution, :math:`(n-1)s^2/\sigma^2 \sim \chi^2_{n-1}`; for uniform
and truncated-normal draws with the normal approximation :math:`\operatorname{Var}(s^2/\sigma^2)
\approx (\mu_4/\sigma^4 - 1)/n` from the distribution's fourth central moment (uniform:
:math:`\tfrac{4}{5n}`, derivation ``sampling-spread``; truncated normal: from its bounds
:math:`\alpha, \beta` in units of ``sigma``), and without a recipe with the sample fourth moment,
:math:`\operatorname{Var}(s^2) \approx (m_4 - s^4)/n`. The sample mean is tested against
:math:`\sigma/\sqrt{n}`. A truncated normal's values must lie in :math:`[a, b]`; an orthogonal
draw is not i.i.d., so instead of elementwise tests its Gram matrix is compared with
:math:`g^2 I`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.modules.conv import _ConvNd

from initref._generated import formulas
from initref.fans import calculate_fan_in_and_fan_out, conv_fans
from initref.torch.diagnostics import _is_batch_factory, _Printable, kept_state, one_pass
from initref.torch.recipes import InitReport, Recipe, Touched, _is_norm, plan_init
from initref.torch.recipes.draws import Draw

__all__ = ["Checklist", "Finding", "checklist"]

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One suspicious observation.

    Attributes
    ----------
    parameter
        Qualified parameter name (``[start:stop]`` for a block of rows).
    check
        ``"nan_inf"``, ``"not_constant"``, ``"mean"``, ``"std_too_small"``, ``"std_too_large"``,
        ``"outside_support"``, ``"not_orthogonal"``, ``"constant"``, ``"duplicate_rows"``, ``"copy"``, ``"all_zero"``,
        ``"no_gradient"``.
    severity
        ``"error"`` (will break or misrepresent training), ``"warning"`` (probably unintended) or
        ``"info"``.
    message
        What was observed and why it matters.
    observed, expected
        The numbers compared, where there are numbers.
    """

    parameter: str
    check: str
    severity: str
    message: str
    observed: float | None = None
    expected: float | None = None


@dataclass(frozen=True)
class Checklist(_Printable):
    """The findings of :func:`checklist`.

    Attributes
    ----------
    findings
        Every finding, errors first.
    checked
        Number of parameters examined.
    tests
        Number of statistical tests the false-alarm probability was split over.
    p_false_alarm
        Probability that a model drawn exactly as expected gets any statistical finding.
    recipe
        The recipe compared against, if any.
    """

    findings: tuple[Finding, ...]
    checked: int
    tests: int
    p_false_alarm: float
    recipe: str | None = None

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def flagged(self, check: str | None = None) -> set[str]:
        """Names of the parameters with a finding (of the given ``check``)."""
        return {f.parameter for f in self.findings if check is None or f.check == check}

    def table(self) -> Any:
        """A :class:`rich.table.Table` of the findings."""
        from rich.table import Table

        caption = (f"{self.checked} parameters, {len(self.errors)} errors, {len(self.warnings)} warnings; "
                   f"false-alarm probability {self.p_false_alarm:g} over {self.tests} tests"
                   + (f"; recipe {self.recipe}" if self.recipe else ""))
        table = Table(title="initref checklist", caption=caption)
        for column in ("severity", "parameter", "check", "message"):
            table.add_column(column)
        style = {"error": "bold red", "warning": "yellow", "info": "dim"}
        for f in self.findings:
            table.add_row(f"[{style[f.severity]}]{f.severity}[/]", f.parameter, f.check, f.message)
        return table


# ----------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class _Sample:
    """Moments of a parameter's values, in float64."""

    n: int
    mean: float
    var: float
    m4: float

    @classmethod
    def of(cls, values: Tensor) -> _Sample:
        x = values.detach().double().flatten()
        n = x.numel()
        mean = float(x.mean())
        centred = x - mean
        var = float(centred.pow(2).sum() / (n - 1)) if n > 1 else 0.0
        return cls(n, mean, var, float(centred.pow(4).mean()))

    @property
    def std(self) -> float:
        return math.sqrt(self.var)


_Test = Callable[[float], "Finding | None"]


class _Tests:
    """Statistical tests, collected first so the false-alarm probability can be split over them."""

    def __init__(self) -> None:
        self.pending: list[_Test] = []

    def add(self, test: _Test) -> None:
        self.pending.append(test)

    def run(self, p_false_alarm: float) -> list[Finding]:
        p_each = p_false_alarm / max(1, len(self.pending))
        return [f for test in self.pending if (f := test(p_each)) is not None]


def _z(p_each: float) -> float:
    """Two-sided normal quantile: P(|Z| > z) = p_each."""
    from scipy.stats import norm

    return float(norm.isf(p_each / 2))


def _mean_test(label: str, sample: _Sample, mean: float, std: float, severity: str) -> _Test:
    def test(p_each: float) -> Finding | None:
        limit = _z(p_each) * formulas.sample_mean_std(std, sample.n)
        if abs(sample.mean - mean) <= limit:
            return None
        return Finding(label, "mean", severity, f"mean {sample.mean:.4g} differs from {mean:.4g} by more than the "
                       f"sampling limit {limit:.3g} (n = {sample.n})", sample.mean, mean)
    return test


def _truncated_kurtosis(draw: Draw) -> float:
    r""":math:`\mu_4/\sigma^4` of ``draw``'s truncated normal (``sigma``, ``a``, ``b``: absolute bounds).

    With :math:`\alpha = (a - \mu)/\sigma`, :math:`\beta = (b - \mu)/\sigma`, from SciPy's
    ``truncnorm(alpha, beta)`` (excess kurtosis plus 3); 3 in the limit of wide bounds (timm's
    ``trunc_normal_(std=0.02, a=-2, b=2)``: :math:`\beta = 100`), 9/5 in the limit of narrow ones.
    """
    from scipy.stats import truncnorm

    if draw.sigma is None or draw.a is None or draw.b is None:
        raise ValueError(f"a trunc_normal draw needs sigma, a and b; got {draw!r}")
    alpha, beta = (draw.a - draw.mean) / draw.sigma, (draw.b - draw.mean) / draw.sigma
    return float(truncnorm(alpha, beta).stats(moments="k")) + 3.0


def _relative_variance(draw: Draw, n: int) -> float:
    r""":math:`\operatorname{Var}(s^2/\sigma^2) \approx (\mu_4/\sigma^4 - 1)/n` of ``n`` i.i.d. draws.

    The uniform's :math:`\tfrac{4}{5n}` is generated (derivation ``sampling-spread``); the
    truncated normal's kurtosis is :func:`_truncated_kurtosis`.
    """
    if draw.distribution == "uniform":
        return formulas.uniform_second_moment_relative_variance(n)
    if draw.distribution == "trunc_normal":
        return (_truncated_kurtosis(draw) - 1.0) / n
    raise ValueError(f"no sampling spread of s^2 for distribution {draw.distribution!r}")


def _variance_interval(draw: Draw, n: int, p_each: float) -> tuple[float, float]:
    r"""Interval for :math:`s^2/\sigma^2` of ``n`` i.i.d. draws of ``draw`` at false-alarm probability ``p_each``.

    Normal: exact, :math:`(n-1)s^2/\sigma^2 \sim \chi^2_{n-1}`. Uniform and truncated normal: the
    normal approximation :math:`1 \pm z\sqrt{(\mu_4/\sigma^4 - 1)/n}` (Cramér 1946, sec. 27.4),
    asymptotic in ``n``.
    """
    if draw.distribution == "normal":
        from scipy.stats import chi2

        return float(chi2.ppf(p_each / 2, n - 1)) / (n - 1), float(chi2.isf(p_each / 2, n - 1)) / (n - 1)
    half = _z(p_each) * math.sqrt(_relative_variance(draw, n))
    return 1 - half, 1 + half


def _std_message(sample: _Sample, std: float) -> tuple[str, str]:
    check = "std_too_small" if sample.std < std else "std_too_large"
    ratio = sample.std / std
    return check, f"std {sample.std:.4g} is {ratio:.3g}× the expected {std:.4g} (n = {sample.n})"


def _std_test(label: str, sample: _Sample, draw: Draw) -> _Test:
    def test(p_each: float) -> Finding | None:
        low, high = _variance_interval(draw, sample.n, p_each)
        if low <= sample.var / draw.std**2 <= high:
            return None
        check, message = _std_message(sample, draw.std)
        return Finding(label, check, "error", message + f", outside the sampling interval of a {draw.distribution} "
                       "draw", sample.std, draw.std)
    return test


def _band_test(label: str, sample: _Sample, fan_in: float, band: tuple[float, float]) -> _Test:
    """Variance factor f = fan_in * s^2 outside ``band`` beyond its sampling spread (sample kurtosis)."""
    def test(p_each: float) -> Finding | None:
        factor = formulas.preactivation_variance(fan_in, sample.var, 1.0)
        relative = math.sqrt(max(sample.m4 / sample.var**2 - 1, 0.0) / sample.n) if sample.var > 0 else 0.0
        spread = _z(p_each) * relative
        if factor * (1 + spread) < band[0]:
            check = "std_too_small"
        elif factor * (1 - spread) > band[1]:
            check = "std_too_large"
        else:
            return None
        return Finding(label, check, "warning", f"fan_in·Var(w) = {factor:.3g} (std {sample.std:.3g}, fan_in "
                       f"{fan_in:g}): each such layer multiplies its input's second moment by about that much, "
                       f"outside [{band[0]:g}, {band[1]:g}]", factor, None)
    return test


# ----------------------------------------------------------------------------- parameters


def _block(param: Tensor, touched: Touched) -> Tensor:
    values = param.detach() if touched.rows is None else param.detach()[touched.rows[0]:touched.rows[1]]
    if touched.zero_rows:
        keep = torch.ones(values.shape[0], dtype=torch.bool, device=values.device)
        keep[list(touched.zero_rows)] = False
        values = values[keep]
    return values


def _check_expected(touched: Touched, param: Tensor, tests: _Tests, findings: list[Finding]) -> None:
    draw, label = touched.draw, touched.label
    full = param.detach() if touched.rows is None else param.detach()[touched.rows[0]:touched.rows[1]]
    for row in touched.zero_rows:
        if bool((full[row] != 0).any()):
            findings.append(Finding(label, "not_constant", "error", f"row {row} (padding) should be 0"))
    values = _block(param, touched)
    if draw.distribution == "constant" or draw.std == 0:
        wrong = values != draw.mean
        if bool(wrong.any()):
            findings.append(Finding(label, "not_constant", "error", f"{int(wrong.sum())} of {values.numel()} values "
                                    f"differ from the expected constant {draw.mean:g} ({draw.initializer})",
                                    None, draw.mean))
        return
    _support(label, draw, values, findings)
    if draw.distribution == "orthogonal":  # not i.i.d.: no elementwise mean or std test
        _orthogonality(label, draw, values, findings)
        return
    sample = _Sample.of(values)
    if sample.n < 2:
        return
    tests.add(_mean_test(label, sample, draw.mean, draw.std, "error"))
    tests.add(_std_test(label, sample, draw))


def _support(label: str, draw: Draw, values: Tensor, findings: list[Finding]) -> None:
    r"""Values outside a uniform's :math:`\text{mean} \pm \text{bound}` or a truncated normal's :math:`[a, b]`."""
    if draw.bound is not None:
        outside, where = (values - draw.mean).abs() > draw.bound, f"±{draw.bound:.4g}"
    elif draw.a is not None and draw.b is not None:
        outside, where = (values < draw.a) | (values > draw.b), f"[{draw.a:.4g}, {draw.b:.4g}]"
    else:
        return
    if bool(outside.any()):
        findings.append(Finding(label, "outside_support", "error", f"{int(outside.sum())} values outside {where} "
                                f"of {draw.initializer}", None, draw.bound if draw.bound is not None else draw.b))


def _orthogonality(label: str, draw: Draw, values: Tensor, findings: list[Finding]) -> None:
    r"""A (semi-)orthogonal draw: :math:`WW^\top = g^2 I` (or :math:`W^\top W`, the smaller side) with
    :math:`g^2 = \text{std}^2 \max(r, c)` for ``values`` flattened to :math:`r \times c` as
    ``orthogonal_`` does.

    Exact up to rounding: the allowance is :math:`10^3\,\varepsilon\sqrt{\max(r, c)}` per entry of
    :math:`G/g^2 - I` (:math:`\varepsilon` the dtype's machine epsilon), not a sampling interval.
    """
    if values.dim() < 2 or values.numel() == 0 or not values.is_floating_point():
        return
    matrix = values.reshape(values.shape[0], -1).double()
    rows, cols = matrix.shape
    gram = matrix @ matrix.T if rows <= cols else matrix.T @ matrix
    scale = draw.std**2 * max(rows, cols)
    deviation = float((gram / scale - torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)).abs().max())
    allowance = 1e3 * torch.finfo(values.dtype).eps * math.sqrt(max(rows, cols))
    if deviation > allowance:
        findings.append(Finding(label, "not_orthogonal", "error", f"W W^T / g^2 differs from the identity by up to "
                                f"{deviation:.3g} (rounding allows {allowance:.2g}; g = std·sqrt({max(rows, cols)}) = "
                                f"{math.sqrt(scale):.4g})", deviation, 0.0))


def _fan_in(module: nn.Module, param: Tensor) -> float | None:
    """Fan-in of a Linear/Conv weight (the correct one for transposed convolutions)."""
    if isinstance(module, _ConvNd) and module.transposed:
        return conv_fans(tuple(param.shape), module.groups, transposed=True, stride=module.stride)[0]
    if isinstance(module, (nn.Linear, _ConvNd)):
        return calculate_fan_in_and_fan_out(tuple(param.shape))[0]
    return None


def _unit_dim(module: nn.Module) -> int:
    """The dimension indexing output units: 1 for a transposed convolution's (in, out, ...), else 0."""
    return 1 if isinstance(module, _ConvNd) and module.transposed else 0


def _structure(label: str, module: nn.Module, param: Tensor, expected_constant: bool, findings: list[Finding]) -> bool:
    """Constant and duplicated-row checks of a matrix; True when it is all zero."""
    values = param.detach()
    if values.dim() < 2 or values.numel() < 2:
        return False
    first = values.flatten()[0]
    if bool((values == first).all()):
        if float(first) == 0:
            return True
        if not expected_constant:
            findings.append(Finding(label, "constant", "error", f"all {values.numel()} entries equal "
                                    f"{float(first):.4g}: every unit computes the same function and receives the "
                                    "same update unless another layer breaks the tie (symmetry)", float(first)))
        return False
    rows = values.movedim(_unit_dim(module), 0).reshape(values.shape[_unit_dim(module)], -1)
    unique = torch.unique(rows, dim=0).shape[0]
    if unique < rows.shape[0]:
        findings.append(Finding(label, "duplicate_rows", "warning", f"{rows.shape[0] - unique} of {rows.shape[0]} "
                                "units duplicate another unit's weights: they start as the same unit", unique))
    return False


def _gradients(model: nn.Module, sample_input: object, loss_fn: Callable[[Any], Tensor] | None,
               generator: torch.Generator | None) -> dict[int, Tensor | None]:
    """Each parameter's gradient on ``sample_input`` (by id); the model's ``.grad`` and buffers are restored."""
    with kept_state(model) as params:
        one_pass(model, sample_input, loss_fn, generator)
        return {id(p): (None if p.grad is None else p.grad.detach().clone()) for p in params}


def _resolve_expectation(model: nn.Module, recipe: object, options: Mapping[str, Any]) -> InitReport | None:
    if recipe is None:
        if options:
            raise TypeError(f"recipe options ({', '.join(options)}) need a recipe")
        return None
    if isinstance(recipe, InitReport):
        if options:
            raise TypeError("options cannot be combined with an InitReport; it already holds its options")
        return recipe
    if isinstance(recipe, (str, Recipe)):
        return plan_init(model, recipe, **options)
    raise TypeError(f"recipe must be None, a recipe name, a Recipe or an InitReport; got {type(recipe).__name__}")


def _owners(model: nn.Module) -> dict[int, tuple[str, nn.Module]]:
    owners: dict[int, tuple[str, nn.Module]] = {}
    for prefix, module in model.named_modules():
        for pname, param in module.named_parameters(recurse=False):
            owners.setdefault(id(param), (f"{prefix}.{pname}" if prefix else pname, module))
    return owners


def _fingerprint(param: Tensor) -> tuple[Any, ...]:
    data = param.detach().cpu().contiguous()
    return (tuple(data.shape), data.dtype, hashlib.sha256(data.view(torch.uint8).numpy().tobytes()).hexdigest())


def _copies(owners: dict[int, tuple[str, nn.Module]], params: Mapping[int, Tensor], skip: set[int],
            findings: list[Finding]) -> None:
    seen: dict[tuple[Any, ...], str] = {}
    for pid, param in params.items():
        if pid in skip or param.numel() < 2 or bool((param == param.flatten()[0]).all()):
            continue
        key = _fingerprint(param)
        name = owners[pid][0]
        if key in seen:
            findings.append(Finding(name, "copy", "warning", f"identical to {seen[key]} (a separate tensor, not "
                                    "tied): the two start as copies of each other"))
        else:
            seen[key] = name


_Expectation = str | Recipe | InitReport


def _split_positional(batch: object, recipe: object, sample_input: object) -> tuple[object, object]:
    """``(recipe, sample_input)`` from the second positional argument and the keywords."""
    if batch is None:
        return recipe, sample_input
    if isinstance(batch, (str, Recipe, InitReport)):
        if recipe is not None:
            raise TypeError("checklist got a recipe both as its second positional argument and as recipe=; pass it "
                            "once")
        return batch, sample_input
    if isinstance(batch, (Tensor, tuple, list, Mapping)) or _is_batch_factory(batch):
        if sample_input is not None:
            raise TypeError("checklist got a batch both as its second positional argument and as sample_input=; "
                            "pass it once")
        return recipe, batch
    raise TypeError("checklist's second argument must be a batch (a tensor, a tuple/list of positional arguments, "
                    "a mapping of keyword arguments or a zero-argument callable returning one) or a recipe (a name, "
                    f"a Recipe or an InitReport); got {type(batch).__name__}")


def checklist(model: nn.Module, batch: object = None, /, *, recipe: _Expectation | None = None,
              sample_input: object = None, loss_fn: Callable[[Any], Tensor] | None = None,
              p_false_alarm: float = 1e-6, band: tuple[float, float] = (0.1, 10.0),
              generator: torch.Generator | None = None, **options: Any) -> Checklist:
    r"""Check a model's parameters for initialization faults.

    ``checklist(model, batch, recipe="gpt2")`` checks against a recipe and, with one forward and
    backward pass on ``batch``, whether every parameter receives a gradient;
    ``checklist(model, "gpt2")`` (a recipe in the second place) and ``checklist(model)`` check the
    values alone.

    Parameters
    ----------
    model
        The model to check; it is not modified.
    batch
        Positional only. The batch for one forward/backward pass, in any form ``sample_input``
        takes; a recipe name, :class:`Recipe` or :class:`InitReport` here is taken as ``recipe``.
    recipe
        What the parameters should look like: a recipe name or :class:`Recipe` (with its
        ``**options``, as for :func:`initref.torch.apply_init`), or the :class:`InitReport`
        ``apply_init`` returned. ``None``: only the recipe-free checks.
    sample_input
        The batch by keyword (give it once, here or as ``batch``): a tensor (``model(x)``), a
        tuple/list of positional arguments, a mapping of keyword arguments (``{"input_ids": ids}``
        for a Hugging Face model) or a zero-argument callable returning one of these (called
        once). With a batch, all-zero weights are judged by whether they receive a gradient, and
        parameters that receive none are reported.
    loss_fn
        ``loss_fn(output) -> scalar`` for that pass; ``None`` propagates a standard-normal cotangent.
    p_false_alarm
        Probability that a correctly initialized model gets any statistical finding at all; it is
        split evenly over the tests (Bonferroni).
    band
        Accepted range of the variance factor :math:`n_\text{in}\operatorname{Var}(w)` of
        Linear/Conv weights that no recipe describes. The default :math:`[0.1, 10]` is a choice:
        it admits every common scheme (torch's default :math:`1/3`, Xavier, Kaiming's 2, GPT-2's
        0.02 at width 768: 0.31) and flags a factor that over 10 layers changes the signal
        :math:`10^{10}`-fold.
    generator
        Generator of the random cotangent when ``sample_input`` is given without ``loss_fn``.
    **options
        The recipe's options.

    Returns
    -------
    Checklist
        ``.findings`` (errors first), ``.ok``, ``.table()``, ``.print()``.

    Raises
    ------
    ValueError
        For ``p_false_alarm`` outside (0, 1) or a band that is not ``0 < low < high``.
    TypeError
        For a ``model`` that is not an ``nn.Module``; a second argument that is neither a batch nor
        a recipe; a batch given both as ``batch`` and as ``sample_input``, or a recipe both as
        ``batch`` and as ``recipe``; options without a recipe.
    Exception
        Whatever the model raises on the batch (a wrong keyword, a wrong shape), or a callable
        batch raises, with a note naming the batch's form; the model is left as it was.

    References
    ----------
    Cramér (1946), Mathematical Methods of Statistics, sec. 27.4 (sampling spread of moments);
    Glorot & Bengio (2010) and He et al. (2015) for the variance factor; Goodfellow, Bengio &
    Courville (2016), Deep Learning, sec. 8.4 (breaking symmetry).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not 0 < p_false_alarm < 1:
        raise ValueError(f"p_false_alarm must be in (0, 1); got {p_false_alarm!r}")
    if len(band) != 2 or not 0 < band[0] < band[1]:
        raise ValueError(f"band must be (low, high) with 0 < low < high; got {band!r}")
    expectation, sample_input = _split_positional(batch, recipe, sample_input)
    report = _resolve_expectation(model, expectation, options)
    owners = _owners(model)
    params = {id(p): p for p in model.parameters()}
    expected: dict[int, list[Touched]] = {}
    if report is not None:
        named = dict(model.named_parameters(remove_duplicate=False))
        for touched in report.touched:
            if touched.name not in named:
                raise ValueError(f"the InitReport names parameter {touched.name!r}, which the model does not have")
            expected.setdefault(id(named[touched.name]), []).append(touched)
    grads = _gradients(model, sample_input, loss_fn, generator) if sample_input is not None else None
    findings: list[Finding] = []
    tests = _Tests()
    broken: set[int] = set()
    for pid, param in params.items():
        name, module = owners[pid]
        if not bool(torch.isfinite(param.detach()).all()):
            bad = int((~torch.isfinite(param.detach())).sum())
            findings.append(Finding(name, "nan_inf", "error", f"{bad} of {param.numel()} values are NaN or inf"))
            broken.add(pid)
            continue
        entries = expected.get(pid, [])
        for touched in entries:
            _check_expected(touched, param, tests, findings)
        zero_expected = any(t.draw.distribution == "constant" and t.draw.mean == 0 for t in entries)
        constant_expected = any(t.draw.distribution == "constant" for t in entries)
        all_zero = _structure(name, module, param, constant_expected, findings)
        if not entries:
            _recipe_free(name, module, param, band, tests)
        if grads is not None:
            _gradient_finding(name, param, grads.get(pid), all_zero, findings)
        elif all_zero and not zero_expected:
            findings.append(Finding(name, "all_zero", "warning", "all entries are 0: no signal passes; learning is "
                                    "blocked when a neighbouring layer is also 0 or the activation has zero slope at "
                                    "0 (pass sample_input to test its gradient)"))
        if _is_norm(module) and param.dim() == 1 and name.endswith("weight") and not entries \
                and bool((param == 0).all()):
            findings.append(Finding(name, "all_zero", "warning", "norm weight is 0: the layer outputs only its bias "
                                    "(intended only for the last norm of a residual branch, Goyal et al. 2017)"))
    _copies(owners, params, broken, findings)
    findings.extend(tests.run(p_false_alarm))
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    return Checklist(tuple(findings), len(params), len(tests.pending), p_false_alarm,
                     None if report is None else report.recipe)


def _recipe_free(name: str, module: nn.Module, param: Tensor, band: tuple[float, float], tests: _Tests) -> None:
    """Variance-factor band and mean of a Linear/Conv weight that no recipe describes."""
    fan_in = _fan_in(module, param) if name.endswith("weight") and param.dim() >= 2 else None
    if fan_in is None or param.numel() < 2:
        return
    sample = _Sample.of(param)
    if sample.var == 0:
        return
    tests.add(_band_test(name, sample, fan_in, band))
    tests.add(_mean_test(name, sample, 0.0, sample.std, "warning"))


def _gradient_finding(name: str, param: Tensor, grad: Tensor | None, all_zero: bool, findings: list[Finding]) -> None:
    no_gradient = grad is None or not bool((grad != 0).any())
    if not no_gradient:
        return
    if all_zero:
        findings.append(Finding(name, "all_zero", "error", "all entries are 0 and its gradient on sample_input is 0 "
                                "too: it cannot learn"))
    else:
        findings.append(Finding(name, "no_gradient", "warning", "receives no gradient on sample_input (unused, or "
                                "behind zero weights or dead units)"))
