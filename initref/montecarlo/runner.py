r""":func:`verify`: simulate deep networks and test whether an initializer preserves variance.

The run draws ``networks`` independent networks (weights, biases, inputs), sends a batch forward
and the gradient of a random projection of the output backward, records the second moment of
every layer in both directions, and tests the per-layer growth factor against 1 with the rule
of :mod:`initref.montecarlo.statistics`. Mean-field theory (:mod:`initref.meanfield`) predicts
the same quantities; both are reported side by side.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from initref.montecarlo import statistics
from initref.montecarlo.backends import get_backend
from initref.montecarlo.engine import simulate
from initref.montecarlo.networks import Network
from initref.montecarlo.results import DirectionResult, VerificationResult
from initref.montecarlo.weights import weight_spec

__all__ = ["verify"]


def _positive_int(label: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{label} must be an int >= {minimum}; got {value!r}")
    return int(value)


def _non_negative(label: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{label} must be a finite number >= 0; got {value!r}")
    return float(value)


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}


def _direction(name: str, moments: np.ndarray, variance: np.ndarray, mean_field_ratio: np.ndarray,
               mean_field_moment: np.ndarray, alpha: float, resolution: float) -> DirectionResult:
    test = statistics.decide(moments, name, alpha, resolution)
    mean, low, high = statistics.layer_intervals(moments, alpha)
    depth = mean_field_ratio.size
    used = mean_field_ratio[:test.layers] if name == "forward" else mean_field_ratio[depth - test.layers:]
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        mean_field = float(np.exp(np.mean(np.log(used))))
    return DirectionResult(
        direction=name, verdict=test.verdict, factor=test.estimate, interval=(test.low, test.high), alpha=alpha,
        p_value=test.p_value, layers=test.layers, mean_field_factor=mean_field, per_network=test.per_network,
        second_moment=mean, second_moment_low=low, second_moment_high=high, variance=variance.mean(axis=0),
        mean_field_second_moment=mean_field_moment,
    )


def verify(
    activation: Any = "relu",
    init: str | Callable[..., Any] = "kaiming_normal",
    *,
    param: float | None = None,
    gain: float | None = None,
    std: float | None = None,
    criterion: str = "forward",
    bias_variance: float = 0.0,
    depth: int = 32,
    width: int = 256,
    batch: int = 128,
    networks: int = 8,
    architecture: str = "dense",
    alpha: float = 1.0,
    kernel_size: int = 3,
    spatial: int = 8,
    input_variance: float = 1.0,
    backend: str = "numpy",
    device: str | None = None,
    dtype: str = "float32",
    seed: int = 0,
    level: float = 0.01,
    store: str = "checkpoint",
    sample_layers: tuple[int, ...] | None = None,
    sample_size: int = 4096,
    keep_activations: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> VerificationResult:
    r"""Monte Carlo check that an initializer preserves the second moment forward and backward.

    Simulates ``networks`` independent deep networks and measures, per layer, the second moment
    of the pre-activations (forward) and of the gradients (backward). Each direction gets the
    per-layer growth factor of the expected second moment, :math:`\rho = (E[q_L/q_0])^{1/L}`,
    with a confidence interval, the mean-field prediction beside it, and a verdict:

    - *preserved*: the interval contains 1;
    - *exploding* / *vanishing*: it lies above / below 1.

    The interval is a generalized confidence interval for a lognormal mean over the independent
    networks (Krishnamoorthy & Mathew 2003) at level :math:`1 - \alpha/2` per direction
    (Bonferroni), so if both directions preserve the expected second moment the probability of
    any false alarm is at most ``level`` (:math:`\alpha`). For positively homogeneous activations
    (linear, ReLU, leaky ReLU) forward, and linear networks in both directions, :math:`E[q_L/q_0]
    = 1` holds exactly at any width; for smooth activations mean-field theory holds up to
    :math:`O(1/\text{width})`. Smooth activations whose length map has an *unstable* fixed point
    at the gain's :math:`q = 1` (GELU, SiLU, hardswish: :math:`\mathcal{L}'(1) > 1`) amplify
    finite-width fluctuations by :math:`\mathcal{L}'(1)` per layer, so at moderate width their
    variance drifts away over a few dozen layers although the mean field says it stays.

    Forward and backward preservation need different gains for smooth activations: at the
    forward gain :math:`1/\sqrt{E[f(z)^2]}`, tanh multiplies gradients by
    :math:`\chi_1 \approx 1.18` per layer. ``criterion`` says which gain is tested; the verdicts
    are per direction.

    Parameters
    ----------
    activation
        Anything :func:`initref.activations.resolve` accepts: a registered name, a SymPy expression
        or string in ``x``, a NumPy callable, a torch function or module.
    init
        ``"kaiming_normal"``, ``"kaiming_uniform"``, ``"xavier_normal"``, ``"xavier_uniform"``,
        ``"orthogonal"``, ``"truncated_normal"``, ``"lecun_normal"``, ``"lecun_uniform"``,
        ``"normal"``, ``"uniform"``, or a callable: for ``backend="numpy"``,
        ``init(shape, rng=generator, dtype=dtype)`` returning an array (e.g. an ``initref.numpy``
        initializer), for ``"torch"`` an in-place ``init(tensor, generator=generator)`` (e.g. an
        ``initref.torch`` initializer); ``shape`` is torch's ``(out, in, *kernel)``.
    param
        The activation's parameter (e.g. leaky ReLU's slope).
    gain, std
        Override the gain (:math:`\operatorname{Var}(w) = g^2/n`) or give the weights' std directly.
    criterion
        The gain criterion when no gain is given: ``"forward"``, ``"backward"``, ``"mean_corrected"``
        (see :func:`initref.gain`) or ``"torch"`` (:func:`initref.calculate_gain`).
    bias_variance
        :math:`\sigma_b^2` of the biases (0: none).
    depth, width, batch, networks
        Layers, units per layer (channels for conv), inputs per network, independent networks (>= 2).
    architecture
        ``"dense"``, ``"conv"`` (``kernel_size``, ``spatial``, circular padding) or ``"residual"``
        (branch scale ``alpha``).
    alpha
        Residual branch scale :math:`\alpha` in :math:`h_l = h_{l-1} + \alpha(W\phi(h_{l-1}) + b)`.
    kernel_size, spatial
        Convolution kernel side and image side.
    input_variance
        Second moment :math:`q_0` of the input pre-activations.
    backend, device, dtype
        ``"numpy"`` or ``"torch"`` (``device`` e.g. ``"cuda"``; CUDA by default when available);
        ``"float32"`` or ``"float64"``.
    seed
        Seed of every random draw.
    level
        Family-wise false-alarm probability :math:`\alpha` of the two verdicts.
    store
        ``"checkpoint"`` (default; keeps :math:`O(\sqrt{L})` layers and recomputes) or ``"all"``.
    sample_layers, sample_size
        Layers whose pre-activations are sampled for histograms (default: 6 evenly spaced).
    keep_activations
        Return every layer's pre-activations (memory :math:`O(L)`).
    progress
        Called with ``(steps done, steps total)`` after each layer step.

    Returns
    -------
    VerificationResult

    References
    ----------
    He et al. (2015), sec. 2.2; Poole et al. (2016); Schoenholz et al. (2017); Hanin & Rolnick
    (2018); Xiao et al. (2018); Krishnamoorthy & Mathew (2003).
    """
    from initref import meanfield
    from initref.activations import resolve

    depth = _positive_int("depth", depth)
    batch = _positive_int("batch", batch)
    networks = _positive_int("networks", networks, 2)
    bias_variance = _non_negative("bias_variance", bias_variance)
    input_variance = _non_negative("input_variance", input_variance)
    if input_variance == 0:
        raise ValueError("input_variance must be > 0; got 0")
    statistics.direction_level(level)
    network = Network(architecture, width, kernel_size, spatial, alpha)
    act = resolve(activation, param)
    spec = weight_spec(init, act, param, gain=gain, std=std, criterion=criterion)
    engine = get_backend(backend, act, dtype=dtype, device=device)
    if sample_layers is None:
        sample_layers = tuple(sorted({round(k * depth / 5) for k in range(6)}))

    started = time.perf_counter()
    raw = simulate(
        network, spec, engine, depth=depth, networks=networks, batch=batch, bias_std=math.sqrt(bias_variance),
        input_std=math.sqrt(input_variance), seed=seed, store=store, sample_layers=tuple(sample_layers),
        sample_size=sample_size, keep_activations=keep_activations, progress=progress,
    )
    elapsed = time.perf_counter() - started

    nominal = spec.nominal_weight_variance(network.fan_in, network.fan_out)
    sw = nominal if nominal is not None else float(network.fan_in * raw.weight_second.mean())
    residual = alpha if architecture == "residual" else None
    path = meanfield.propagate(act, sw, bias_variance, depth, q0=input_variance, residual_alpha=residual)
    try:
        point = meanfield.fixed_point(act, sw, bias_variance, q0=input_variance, correlation=False)
        fixed = _json_safe({k: v for k, v in asdict(point).items()
                            if k in ("q_star", "chi_1", "slope", "stable", "stability", "phase")})
    except (ValueError, ArithmeticError):
        fixed = None

    alpha_direction = statistics.direction_level(level)
    resolution = 64 * engine.eps
    forward_variance = raw.forward_second - raw.forward_mean**2
    backward_second = raw.backward_second
    backward_variance = backward_second * (1 - raw.backward_correlation**2)
    measured_output = float(np.mean(raw.backward_output))
    with np.errstate(over="ignore", under="ignore"):
        mf_backward = measured_output * np.concatenate((np.cumprod(path.backward_ratio[::-1])[::-1], [1.0]))
    forward = _direction("forward", raw.forward_second, forward_variance, path.forward_ratio, path.second_moment,
                         alpha_direction, resolution)
    backward = _direction("backward", backward_second, backward_variance, path.backward_ratio, mf_backward,
                          alpha_direction, resolution)
    config = {
        "activation": act.name, "param": param, "init": spec.name, "distribution": spec.distribution,
        "mode": spec.mode, "bias_variance": bias_variance, "depth": depth, "width": width, "batch": batch,
        "networks": networks, "architecture": architecture, "input_variance": input_variance,
        "backend": backend, "device": engine.device, "dtype": dtype, "seed": seed, "store": store,
    }
    if architecture == "conv":
        config.update(kernel_size=kernel_size, spatial=spatial)
    if architecture == "residual":
        config.update(alpha=alpha)
    return VerificationResult(
        activation=act.name, init=spec.name, criterion=spec.criterion, gain=spec.gain, std=spec.std,
        weight_variance=sw, weight_variance_measured=nominal is None, forward=forward, backward=backward,
        fixed_point=fixed, level=level, config=config, samples=raw.samples, activations=raw.activations,
        elapsed_s=elapsed, stored_bytes=raw.stored_bytes,
    )
