"""Gains of activations: torch's table exactly, and derived gains for any activation.

A *gain* $g$ scales the weight variance of the linear case, $\\operatorname{Var}(w) = g^2/n$.
:func:`calculate_gain` is a drop-in for :func:`torch.nn.init.calculate_gain`: the same values
(the same floats), the same errors, for torch's names; other registered activations get the
derived forward gain $1/\\sqrt{E[f(z)^2]}$ at $z \\sim \\mathcal{N}(0, 1)$.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from initref._generated import activations as registry
from initref._generated import formulas
from initref._generated.formulas import (
    TORCH_LEAKY_RELU_DEFAULT_SLOPE,
    TORCH_LINEAR_GAIN,
    TORCH_SELU_GAIN,
    TORCH_SIGMOID_GAIN,
    TORCH_TANH_GAIN,
)
from initref.activations import TORCH_LINEAR_NAMES, canonical_name, registered, resolve
from initref.moments import Moments, moments

#: Every name torch.nn.init.calculate_gain accepts.
TORCH_NAMES: tuple[str, ...] = (*TORCH_LINEAR_NAMES, "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _negative_slope(param: object) -> float:
    """torch's validation of leaky_relu's ``param``: None -> 0.01; int or float but not bool."""
    if param is None:
        return TORCH_LEAKY_RELU_DEFAULT_SLOPE
    if (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
        return param
    raise ValueError(f"negative_slope {param} not a valid number")


def torch_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""torch.nn.init.calculate_gain's value, bit for bit, for one of torch's names.

    ======================= ===============================================
    nonlinearity            gain
    ======================= ===============================================
    linear, conv*, sigmoid  :math:`1`
    tanh                    :math:`5/3` (empirical convention)
    relu                    :math:`\sqrt{2}`
    leaky_relu              :math:`\sqrt{2/(1 + a^2)}`, :math:`a = 0.01` by default
    selu                    :math:`3/4` (empirical convention)
    ======================= ===============================================

    Raises
    ------
    ValueError
        ``"Unsupported nonlinearity ..."`` for any other name; ``"negative_slope ... not a valid
        number"`` for a leaky_relu ``param`` that is not an int or float (bools rejected).

    References
    ----------
    torch/nn/init.py ``calculate_gain``; He et al. (2015), Delving Deep into Rectifiers.
    """
    if nonlinearity in TORCH_LINEAR_NAMES:
        return TORCH_LINEAR_GAIN
    if nonlinearity == "sigmoid":
        return TORCH_SIGMOID_GAIN
    if nonlinearity == "tanh":
        return TORCH_TANH_GAIN
    if nonlinearity == "relu":
        return formulas.RELU_GAIN
    if nonlinearity == "leaky_relu":
        return formulas.leaky_relu_gain(_negative_slope(param))
    if nonlinearity == "selu":
        return TORCH_SELU_GAIN
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    r"""Recommended gain for a nonlinearity: torch's exact value for torch's names, derived otherwise.

    For torch's names (``linear``, ``conv1d``/``2d``/``3d``, ``conv_transpose1d``/``2d``/``3d``,
    ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``selu``) this returns what
    :func:`torch.nn.init.calculate_gain` returns, the same float, with the same errors. torch's
    tanh :math:`5/3`, selu :math:`3/4` and sigmoid :math:`1` are conventions, not derived (see
    derivation ``torch-gains``); :func:`gain` gives the derived values.

    For every other registered activation (``gelu``, ``silu``, ``mish``, ``elu``, ...) the value is
    the derived forward gain at unit pre-activation variance,

    .. math:: g = \frac{1}{\sqrt{E[f(z)^2]}}, \qquad z \sim \mathcal{N}(0, 1),

    which keeps the second moment of the pre-activations at 1 from layer to layer; ``param`` is the
    activation's parameter (``alpha`` of ``elu``/``celu``, ``beta`` of ``silu``/``softplus``) and,
    as torch does for its parameterless names, is ignored by an activation that takes none (so
    ``kaiming_normal_(w, a=0, nonlinearity="gelu")`` works).

    Parameters
    ----------
    nonlinearity
        A name: torch's, or one of :func:`initref.activations.registered` (aliases accepted).
    param
        Optional parameter of the nonlinearity (``negative_slope`` for ``leaky_relu``).

    Returns
    -------
    float
        The gain.

    Raises
    ------
    ValueError
        ``"Unsupported nonlinearity ..."`` (with close matches) for an unknown name; torch's
        ``"negative_slope ... not a valid number"``; a parameter out of range.

    References
    ----------
    torch/nn/init.py ``calculate_gain``; He et al. (2015), Delving Deep into Rectifiers, ICCV;
    Glorot & Bengio (2010), AISTATS.
    """
    if isinstance(nonlinearity, str) and nonlinearity in TORCH_NAMES:
        return torch_gain(nonlinearity, param)
    if not isinstance(nonlinearity, str):
        raise TypeError(f"nonlinearity must be a str naming an activation; got {type(nonlinearity).__name__}")
    canonical = canonical_name(nonlinearity)
    if canonical is not None and canonical not in registry.PARAMETERS:
        param = None  # torch ignores param for names that take none
    try:
        activation = resolve(nonlinearity, param)
    except ValueError as exc:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}: {exc}") from None
    if activation.registered is None:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}: calculate_gain takes a name "
                         f"({', '.join(registered())}); use initref.gain for expressions and callables")
    return gain(activation, criterion="forward")


#: Gain criteria of :func:`gain`.
CRITERIA = ("forward", "backward", "mean_corrected")


def _closed_form_gain(activation: Any, criterion: str, q: float) -> float | None:
    """The generated closed form (derivation ``kaiming``) of the forward or backward gain of relu and leaky_relu.

    Both are positively homogeneous: $E[f(z)^2]$ grows like $q$ and $E[f'(z)^2]$ does not change, so the
    forward gain at $q$ is the one at 1 over $\\sqrt{q}$ and the backward gain is the one at 1.
    """
    if criterion == "mean_corrected" or activation.registered not in ("relu", "leaky_relu"):
        return None
    if activation.registered == "relu":
        unit = formulas.RELU_GAIN
    else:
        slope = registry.PARAMETERS["leaky_relu"][1] if activation.param is None else activation.param
        unit = formulas.leaky_relu_gain(slope)
    return unit if criterion == "backward" or q == 1 else unit / math.sqrt(q)


def _gain(activation: Any, m: Moments, criterion: str) -> float:
    """The closed form where one exists, else the gain from the moments."""
    closed = _closed_form_gain(activation, criterion, m.q)
    return closed if closed is not None else _gain_from(m, criterion, activation.name)


def _gain_from(moments: Moments, criterion: str, name: str) -> float:
    if criterion == "forward":
        if moments.second <= 0:
            raise ValueError(f"activation {name} is identically zero under N(0, {moments.q:g}) "
                             "(E[f(z)^2] = 0): no gain can restore the variance")
        return 1 / math.sqrt(moments.second)
    if criterion == "backward":
        if moments.derivative_second <= 0:
            raise ValueError(f"activation {name} has f'(z) = 0 almost everywhere under N(0, {moments.q:g}) "
                             "(E[f'(z)^2] = 0): no backward gain exists")
        return 1 / math.sqrt(moments.derivative_second)
    if moments.variance <= 1e-13 * moments.second:
        raise ValueError(f"activation {name} is constant under N(0, {moments.q:g}) (Var f(z) = 0): "
                         "no mean-corrected gain exists")
    return 1 / math.sqrt(moments.variance)


def gain(act: object, param: float | None = None, *, criterion: str = "forward", q: float = 1.0) -> float:
    r"""Derived gain of any activation under one of three criteria, at $z \sim \mathcal{N}(0, q)$.

    .. math::
        g_{\mathrm{forward}} = \frac{1}{\sqrt{E[f(z)^2]}}, \quad
        g_{\mathrm{backward}} = \frac{1}{\sqrt{E[f'(z)^2]}}, \quad
        g_{\mathrm{mean\_corrected}} = \frac{1}{\sqrt{\operatorname{Var} f(z)}}.

    The forward gain keeps the pre-activations' second moment (He et al. 2015, eq. 10 for ReLU);
    the backward gain keeps the gradients' (He et al. 2015, eq. 14); the mean-corrected gain keeps
    the variance when the next layer removes the mean (e.g. by normalisation). For ReLU forward
    and backward are both $\sqrt{2}$, and for leaky ReLU $\sqrt{2/(1 + a^2)}$: the generated closed
    forms of derivation ``kaiming``, returned bit for bit. For smooth activations they differ. Unlike
    :func:`calculate_gain`, this never returns torch's conventions (tanh gives 1.5925..., not 5/3).

    Parameters
    ----------
    act
        Anything :func:`initref.activations.resolve` accepts.
    param
        Parameter of a registered activation (None for its default).
    criterion
        ``"forward"``, ``"backward"`` or ``"mean_corrected"``.
    q
        Variance of the pre-activations (1 for a network whose inputs are standardised).

    Raises
    ------
    ValueError
        An unknown criterion, or a moment that is 0 (identically zero or constant activation).

    References
    ----------
    He, Zhang, Ren & Sun (2015), Delving Deep into Rectifiers, ICCV, eqs. 10 and 14; Glorot & Bengio
    (2010), AISTATS, sec. 4.2; Klambauer et al. (2017) (mean and variance together).
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(map(repr, CRITERIA))}; got {criterion!r}")
    activation = resolve(act, param)
    return _gain(activation, moments(activation, q, derivative=criterion == "backward"), criterion)


@dataclass(frozen=True)
class ActivationAnalysis:
    """Everything initref derives about one activation (see :func:`analyze_activation`).

    Attributes
    ----------
    name, expression, param, derivative_method
        The activation as resolved.
    moments
        $E f$, $E f^2$, $E f'^2$ at $q$.
    forward_gain, backward_gain, mean_corrected_gain
        As in :func:`gain`; None where the criterion has no answer (zero derivative, constant $f$).
    chi_1_at_forward_gain
        $\\chi_1 = g_{\\mathrm{forward}}^2 E[f'(z)^2]$: the per-layer gradient factor when the
        weights use the forward gain (1 for ReLU, about 1.18 for tanh).
    torch_gain
        :func:`torch.nn.init.calculate_gain`'s value for torch's names, else None.
    fixed_point
        :func:`initref.meanfield.fixed_point` at the given $\\sigma_w^2$ (default
        $g_{\\mathrm{forward}}^2$) and $\\sigma_b^2$; None when it has none (``note`` says why).
    """

    name: str
    expression: str | None
    param: float | None
    derivative_method: str
    q: float
    bias_variance: float
    moments: Moments
    forward_gain: float
    backward_gain: float | None
    mean_corrected_gain: float | None
    chi_1_at_forward_gain: float
    torch_gain: float | None
    fixed_point: Any = None
    note: str | None = None


def _optional_gain(activation: Any, m: Moments, criterion: str) -> float | None:
    try:
        return _gain(activation, m, criterion)
    except ValueError:
        return None


def _torch_name(name: str | None) -> str | None:
    if name == "identity":
        return "linear"
    return name if name in TORCH_NAMES else None


def analyze_activation(
    act: object, param: float | None = None, *, q: float = 1.0, bias_variance: float = 0.0,
    weight_variance: float | None = None,
) -> ActivationAnalysis:
    r"""Moments, the three gains, $\chi_1$, torch's gain and the mean-field fixed point of an activation.

    Parameters
    ----------
    act
        Anything :func:`initref.activations.resolve` accepts.
    param
        Parameter of a registered activation (None for its default).
    q
        Pre-activation variance at which moments and gains are evaluated.
    bias_variance
        $\sigma_b^2$ for the mean-field fixed point.
    weight_variance
        $\sigma_w^2$ for the mean-field fixed point (default: the forward gain squared).

    Raises
    ------
    ValueError
        For an activation that cannot be evaluated, has infinite moments or is identically zero.

    References
    ----------
    He et al. (2015); Poole et al. (2016), Exponential expressivity in deep neural networks through
    transient chaos; Schoenholz et al. (2017), Deep Information Propagation.
    """
    if isinstance(bias_variance, bool) or not isinstance(bias_variance, (int, float)) or not (
            math.isfinite(bias_variance) and bias_variance >= 0):
        raise ValueError(f"bias_variance must be a finite number >= 0; got {bias_variance!r}")
    activation = resolve(act, param)
    m = moments(activation, q)
    forward = _gain(activation, m, "forward")
    torch_name = _torch_name(activation.registered)
    torch_value = None
    if torch_name is not None:
        torch_value = torch_gain(torch_name, activation.param if torch_name == "leaky_relu" else None)
    if weight_variance is not None and (isinstance(weight_variance, bool) or not isinstance(
            weight_variance, (int, float)) or not (math.isfinite(weight_variance) and weight_variance > 0)):
        raise ValueError(f"weight_variance must be a positive finite number; got {weight_variance!r}")
    sigma_w2 = forward**2 if weight_variance is None else float(weight_variance)
    fixed, note = _fixed_point(activation, sigma_w2, float(bias_variance))
    return ActivationAnalysis(
        name=activation.name, expression=activation.expression, param=activation.param,
        derivative_method=activation.derivative_method, q=m.q, bias_variance=float(bias_variance), moments=m,
        forward_gain=forward, backward_gain=_optional_gain(activation, m, "backward"),
        mean_corrected_gain=_optional_gain(activation, m, "mean_corrected"),
        chi_1_at_forward_gain=m.derivative_second / m.second, torch_gain=torch_value, fixed_point=fixed, note=note,
    )


def _fixed_point(activation: object, weight_variance: float, bias_variance: float) -> tuple[Any, str | None]:
    """initref.meanfield's fixed point, or None and the reason it has none."""
    from initref import meanfield

    try:
        return meanfield.fixed_point(activation, weight_variance, bias_variance, correlation=False), None
    except (ValueError, ArithmeticError) as exc:
        return None, f"no mean-field fixed point: {exc}"
