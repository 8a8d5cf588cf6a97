"""Figures of verification runs, saved to files (matplotlib's Agg canvas; pyplot is never imported).

- :func:`plot_depth_profiles`: second moment against depth, forward and backward, several runs on
  one axis, with confidence bands and the mean-field prediction dashed.
- :func:`plot_histograms`: a grid of pre-activation histograms, one row per run (e.g. a gain too
  small, right, too large), one column per sampled layer.
- :func:`plot_verification`: both in one figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from initref.montecarlo.results import VerificationResult

__all__ = ["plot_depth_profiles", "plot_histograms", "plot_verification"]


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - matplotlib is a dev/plot extra
        raise ImportError("plots need matplotlib: pip install 'initref[plot]'") from exc
    return Figure(figsize=(width, height), layout="constrained")


def _profiles(axes: Sequence[Any], results: Mapping[str, VerificationResult]) -> None:
    for index, (label, result) in enumerate(results.items()):
        colour = f"C{index}"
        for axis, direction in zip(axes, (result.forward, result.backward), strict=True):
            layers = np.arange(direction.second_moment.size)
            low = np.clip(direction.second_moment_low, 1e-300, None)
            axis.fill_between(layers, low, direction.second_moment_high, color=colour, alpha=0.2, linewidth=0)
            axis.plot(layers, direction.second_moment, color=colour,
                      label=f"{label}: {direction.verdict} ({direction.factor:.3f}/layer)")
            axis.plot(layers, direction.mean_field_second_moment, color=colour, linestyle="--", linewidth=1)
    for axis, name in zip(axes, ("forward: pre-activations", "backward: gradients"), strict=True):
        axis.set_yscale("log")
        axis.set_xlabel("layer")
        axis.set_ylabel("second moment")
        axis.set_title(f"{name} (dashed: mean field)")
        axis.legend(fontsize="small")


def plot_depth_profiles(results: Mapping[str, VerificationResult], path: str | Path) -> Path:
    """Second moment against depth, forward and backward, for each labelled run; saved to ``path``."""
    figure = _figure(11, 4)
    _profiles(figure.subplots(1, 2), results)
    figure.savefig(path)
    return Path(path)


def _row_bins(samples: Any, count: int = 60) -> np.ndarray:
    """Bin edges shared by a row: a layer far narrower than the widest shows as one tall central bar."""
    finite = [v[np.isfinite(v)] for v in samples]
    extent = max((float(np.abs(v).max()) for v in finite if v.size), default=0.0) or 1.0
    return np.linspace(-extent, extent, count + 1)


def _histograms(figure: Any, results: Mapping[str, VerificationResult]) -> None:
    layers = sorted(set().union(*(r.samples for r in results.values())))
    if not layers:
        raise ValueError("the results carry no samples; run verify with sample_layers")
    # A row shares its x-axis, so the spread visibly grows or shrinks with depth; each panel has its own
    # y-axis (densities of a wide and a narrow layer differ by orders of magnitude).
    grid = figure.subplots(len(results), len(layers), squeeze=False, sharex="row")
    for row, (label, result) in enumerate(results.items()):
        bins = _row_bins(result.samples.values())
        for column, layer in enumerate(layers):
            axis = grid[row][column]
            values = result.samples.get(layer)
            if values is not None and np.isfinite(values).any():
                axis.hist(values[np.isfinite(values)], bins=bins, color=f"C{row}", density=True)
            axis.set_title(f"layer {layer}", fontsize="small")
            axis.tick_params(labelsize="x-small")
        grid[row][0].set_ylabel(label, fontsize="small")


def plot_histograms(results: Mapping[str, VerificationResult], path: str | Path) -> Path:
    """A grid of pre-activation histograms: rows are the labelled runs, columns the sampled layers."""
    layers = set().union(*(r.samples for r in results.values()))
    figure = _figure(2.2 * max(1, len(layers)), 1.9 * len(results))
    _histograms(figure, results)
    figure.savefig(path)
    return Path(path)


def plot_verification(results: Mapping[str, VerificationResult], path: str | Path) -> Path:
    """Depth profiles on top, the histogram grid below, in one figure saved to ``path``."""
    layers = set().union(*(r.samples for r in results.values()))
    figure = _figure(max(11, 2.2 * len(layers)), 4 + 1.9 * len(results))
    top, bottom = figure.subfigures(2, 1, height_ratios=(4, 1.9 * len(results)))
    _profiles(top.subplots(1, 2), results)
    _histograms(bottom, results)
    figure.savefig(path)
    return Path(path)
