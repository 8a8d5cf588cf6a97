r"""Which weights a verification run draws: a named initializer with a gain, a plain std, or a callable.

Every named initializer is a variance-scaling rule :math:`\operatorname{Var}(w) = g^2 / n_{\text{mode}}`
with a distribution; for a square layer (the networks here keep their width) every fan mode gives
the same :math:`n`. The *effective* weight variance of mean-field theory is
:math:`\sigma_w^2 = n_{\text{in}} \operatorname{Var}(w)`.

References
----------
Glorot & Bengio (2010); He et al. (2015); LeCun et al. (1998); Saxe et al. (2013) (orthogonal);
Klambauer et al. (2017) (LeCun normal for SELU).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from initref._generated import formulas
from initref.fans import fan

__all__ = ["INITIALIZERS", "WeightSpec", "weight_spec"]

#: Named initializers: (distribution, fan mode, whether the default gain is the activation's).
INITIALIZERS: dict[str, tuple[str, str, bool]] = {
    "kaiming_normal": ("normal", "fan_in", True),
    "kaiming_uniform": ("uniform", "fan_in", True),
    "xavier_normal": ("normal", "fan_avg", True),
    "xavier_uniform": ("uniform", "fan_avg", True),
    "orthogonal": ("orthogonal", "fan_in", True),
    "truncated_normal": ("truncated_normal", "fan_in", True),
    "lecun_normal": ("truncated_normal", "fan_in", False),
    "lecun_uniform": ("uniform", "fan_in", False),
    "normal": ("normal", "fan_in", True),
    "uniform": ("uniform", "fan_in", True),
}

GAIN_CRITERIA: tuple[str, ...] = ("forward", "backward", "mean_corrected", "torch")


@dataclass(frozen=True)
class WeightSpec:
    """A resolved weight distribution.

    Attributes
    ----------
    name
        The initializer's name (or the callable's ``__name__``).
    distribution
        ``"normal"``, ``"uniform"``, ``"truncated_normal"``, ``"orthogonal"`` or ``"custom"``.
    mode
        Fan mode of the variance-scaling rule.
    gain
        The gain :math:`g` (``None`` when a std or a callable fixes the scale).
    std
        Explicit standard deviation (``None`` when a gain sets it).
    criterion
        What was tested: the gain criterion (``"forward"``, ``"backward"``, ``"mean_corrected"``,
        ``"torch"``), ``"gain"`` (a gain given), ``"lecun"`` (gain 1), ``"std"`` or ``"callable"``.
    init
        The user's callable for ``"custom"``.
    """

    name: str
    distribution: str
    mode: str
    gain: float | None
    std: float | None
    criterion: str
    init: Callable[..., Any] | None = None

    def std_for(self, fan_in: int, fan_out: int) -> float:
        """Standard deviation of one weight of a layer with these fans."""
        if self.std is not None:
            return self.std
        return formulas.kaiming_std(float(self.gain), fan(fan_in, fan_out, self.mode))  # type: ignore[arg-type]

    def nominal_weight_variance(self, fan_in: int, fan_out: int) -> float | None:
        r""":math:`\sigma_w^2 = n_\text{in}\operatorname{Var}(w)`, or None for a callable (then measured)."""
        if self.distribution == "custom":
            return None
        if self.distribution == "orthogonal":
            # orthonormal rows (fan_out <= fan_in) have Var(w) = 1/fan_in; columns, 1/fan_out.
            return float(self.gain) ** 2 * fan_in / max(fan_in, fan_out)  # type: ignore[arg-type]
        return fan_in * self.std_for(fan_in, fan_out) ** 2

    def initializer(self, backend_name: str, fan_in: int, fan_out: int) -> Callable[..., Any]:
        """initref's own initializer for this spec: ``initref.numpy`` (NumPy) or ``initref.torch`` (torch)."""
        if self.distribution == "custom":
            return self.init  # type: ignore[return-value]
        scaling: Callable[..., Any]
        orthogonal: Callable[..., Any]
        if backend_name == "torch":
            from initref import torch as torch_init

            scaling, orthogonal = torch_init.variance_scaling_, torch_init.orthogonal_
        else:
            from initref import numpy as numpy_init

            scaling, orthogonal = numpy_init.variance_scaling, numpy_init.orthogonal
        if self.distribution == "orthogonal":
            return functools.partial(orthogonal, gain=float(self.gain))  # type: ignore[arg-type]
        scale = self.std**2 * fan(fan_in, fan_out, self.mode) if self.std is not None else float(self.gain) ** 2  # type: ignore[arg-type]
        return functools.partial(scaling, scale=scale, mode=self.mode, distribution=self.distribution)

    def draw(self, backend: Any, key: tuple[int, int, int], torch_shape: tuple[int, ...], count: int,
             fan_in: int, fan_out: int) -> Any:
        """``count`` stacked weights ``(count, out, in, *kernel)``, drawn by initref's initializer (or the user's)."""
        return backend.custom(key, self.initializer(backend.name, fan_in, fan_out), torch_shape, count)


def _default_gain(activation: Any, param: float | None, criterion: str) -> float:
    from initref import gains

    if criterion == "torch":
        return gains.calculate_gain(activation.name, param)
    return gains.gain(activation, criterion=criterion)  # resolved: it carries its parameter


def weight_spec(init: str | Callable[..., Any], activation: Any, param: float | None, *, gain: float | None,
                std: float | None, criterion: str) -> WeightSpec:
    """Resolve ``init`` (a name of :data:`INITIALIZERS` or a callable) with an optional gain or std.

    Without ``gain`` and ``std`` the gain is the activation's gain under ``criterion`` (LeCun's
    initializers use gain 1, their definition).
    """
    if gain is not None and std is not None:
        raise ValueError(f"give gain or std, not both; got gain={gain!r} and std={std!r}")
    for label, value in (("gain", gain), ("std", std)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{label} must be a positive finite number; got {value!r}")
    if criterion not in GAIN_CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(map(repr, GAIN_CRITERIA))}; got {criterion!r}")
    if callable(init):
        if gain is not None or std is not None:
            raise ValueError("gain and std cannot rescale a callable init; fold the scale into the callable")
        return WeightSpec(getattr(init, "__name__", type(init).__name__), "custom", "fan_in", None, None,
                          "callable", init)
    if init not in INITIALIZERS:
        raise ValueError(f"init must be one of {', '.join(map(repr, INITIALIZERS))} or a callable; got {init!r}")
    distribution, mode, uses_activation = INITIALIZERS[init]
    if std is not None:
        if distribution == "orthogonal":
            raise ValueError("init 'orthogonal' takes a gain, not a std")
        return WeightSpec(init, distribution, mode, None, float(std), "std")
    if gain is not None:
        return WeightSpec(init, distribution, mode, float(gain), None, "gain")
    if not uses_activation:
        return WeightSpec(init, distribution, mode, 1.0, None, "lecun")
    return WeightSpec(init, distribution, mode, _default_gain(activation, param, criterion), None, criterion)
