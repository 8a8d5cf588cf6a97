"""Result types of :func:`initref.verify`: one :class:`DirectionResult` per direction, and the whole run."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["DirectionResult", "VerificationResult"]


def _floats(values: np.ndarray) -> list[float | None]:
    """A JSON-safe list: NaN and infinities become None."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).ravel()]


def _float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class DirectionResult:
    r"""What one direction (forward or backward) measured, what mean-field theory predicts, the verdict.

    Attributes
    ----------
    direction
        ``"forward"`` (pre-activations, input to output) or ``"backward"`` (gradients, output to input).
    verdict
        ``"preserved"``, ``"vanishing"`` or ``"exploding"``.
    factor
        Per-layer growth factor of the expected second moment, :math:`(\hat E[q_L/q_0])^{1/L}`
        (see :mod:`initref.montecarlo.statistics`).
    interval
        Its generalized confidence interval at level ``1 - alpha``.
    alpha
        This direction's false-alarm probability (half the family-wise level: Bonferroni).
    p_value
        Two-sided generalized p-value of :math:`H_0`: factor = 1.
    layers
        Layers the factor spans (fewer than the depth only if a second moment under- or overflowed).
    mean_field_factor
        The same per-layer factor predicted by mean-field theory (geometric mean over those layers).
    per_network
        Each network's :math:`(q_L/q_0)^{1/L}`.
    second_moment, second_moment_low, second_moment_high
        Per layer :math:`l = 0, \dots, L`: lognormal mean over networks of the second moment, with
        pointwise generalized intervals at level ``1 - alpha``.
    variance
        Per layer: mean over networks of the variance (second moment minus squared mean).
    mean_field_second_moment
        Per layer: mean-field prediction (backward: scaled to the measured output gradient).
    """

    direction: str
    verdict: str
    factor: float
    interval: tuple[float, float]
    alpha: float
    p_value: float
    layers: int
    mean_field_factor: float
    per_network: np.ndarray
    second_moment: np.ndarray
    second_moment_low: np.ndarray
    second_moment_high: np.ndarray
    variance: np.ndarray
    mean_field_second_moment: np.ndarray

    @property
    def agrees_with_mean_field(self) -> bool:
        """Whether the mean-field factor lies in the measured interval."""
        return bool(self.interval[0] <= self.mean_field_factor <= self.interval[1])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "verdict": self.verdict,
            "per_layer_factor": _float(self.factor),
            "interval": [_float(self.interval[0]), _float(self.interval[1])],
            "alpha": self.alpha,
            "p_value": _float(self.p_value),
            "layers": self.layers,
            "mean_field_factor": _float(self.mean_field_factor),
            "agrees_with_mean_field": self.agrees_with_mean_field,
            "per_network_factor": _floats(self.per_network),
            "second_moment": _floats(self.second_moment),
            "second_moment_interval": [_floats(self.second_moment_low), _floats(self.second_moment_high)],
            "variance": _floats(self.variance),
            "mean_field_second_moment": _floats(self.mean_field_second_moment),
        }


@dataclass(frozen=True)
class VerificationResult:
    r"""A Monte Carlo verification of variance preservation, forward and backward.

    Attributes
    ----------
    activation
        The activation's name.
    init
        The initializer's name.
    criterion
        What was tested: the gain criterion (``"forward"``: :math:`1/\sqrt{E[f(z)^2]}`,
        ``"backward"``: :math:`1/\sqrt{E[f'(z)^2]}`, ``"mean_corrected"``, ``"torch"``), or
        ``"gain"``/``"std"`` (given by the user), ``"lecun"`` (gain 1), ``"callable"``.
    gain, std
        The gain used (or None), the explicit std (or None).
    weight_variance
        :math:`\sigma_w^2 = n_\text{in}\operatorname{Var}(w)`.
    weight_variance_measured
        True when :math:`\sigma_w^2` was measured from the drawn weights (a callable initializer).
    forward, backward
        The two directions.
    fixed_point
        Mean-field summary at these :math:`\sigma_w^2, \sigma_b^2` (:class:`initref.meanfield.FixedPoint`
        fields ``q_star``, ``chi_1``, ``slope``, ``stable``, ``stability``, ``phase``), or None if it
        could not be computed.
    level
        Family-wise false-alarm probability of the two verdicts.
    config
        Everything else that defines the run (depth, width, batch, networks, architecture, ...).
    samples
        Layer -> sample of network 0's pre-activations (for histograms).
    activations
        Every layer's pre-activations, ``(networks, batch, ...)`` each, if asked for.
    elapsed_s, stored_bytes
        Wall time, and peak bytes of stored signals and weights.
    """

    activation: str
    init: str
    criterion: str
    gain: float | None
    std: float | None
    weight_variance: float
    weight_variance_measured: bool
    forward: DirectionResult
    backward: DirectionResult
    fixed_point: dict[str, Any] | None
    level: float
    config: dict[str, Any]
    samples: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    activations: list[np.ndarray] | None = field(default=None, repr=False)
    elapsed_s: float = 0.0
    stored_bytes: int = 0

    @property
    def verdict(self) -> dict[str, str]:
        """``{"forward": ..., "backward": ...}``."""
        return {"forward": self.forward.verdict, "backward": self.backward.verdict}

    @property
    def preserved(self) -> bool:
        """Both directions preserved."""
        return self.forward.verdict == self.backward.verdict == "preserved"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no samples, no activations)."""
        directions = {"forward": self.forward.to_dict(), "backward": self.backward.to_dict()}
        return {
            "activation": self.activation,
            "init": self.init,
            "criterion": self.criterion,
            "gain": self.gain,
            "std": self.std,
            "weight_variance": self.weight_variance,
            "weight_variance_measured": self.weight_variance_measured,
            "verdict": self.verdict,
            "per_layer_factor": {
                name: {"estimate": d["per_layer_factor"], "interval": d["interval"],
                       "mean_field": d["mean_field_factor"]} for name, d in directions.items()},
            "second_moments": {name: d["second_moment"] for name, d in directions.items()},
            "level": self.level,
            "decision_rule": (
                "per direction: per-layer factor (E[q_L/q_0])^(1/L) over independent networks, lognormal "
                "mean with a generalized confidence interval (Krishnamoorthy & Mathew 2003) at level "
                "1 - level/2 (Bonferroni over forward and backward); preserved if it contains 1, exploding "
                "above, vanishing below; false-alarm probability <= level"),
            "fixed_point": self.fixed_point,
            "config": self.config,
            "directions": directions,
            "elapsed_s": self.elapsed_s,
            "stored_bytes": self.stored_bytes,
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (keyword arguments go to :func:`json.dumps`)."""
        return json.dumps(self.to_dict(), **kwargs)
