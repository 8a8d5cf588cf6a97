"""Docs pages from derivations: one markdown page per :class:`~derivations.core.Derivation`.

:func:`render` writes the statement, summary, source, assumptions, every proof step (the claim
as :func:`sympy.latex` prints it, the justification and how SymPy proves it), the result, the
generated code the exports become (exactly as ``python -m derivations.codegen`` prints it into
``initref/_generated``) and, where one is meaningful, a Monte Carlo figure confirming the result.

:data:`FIGURES` maps a figure's name to a :class:`FigureSpec`: the derivation page that shows it and
a function that runs the Monte Carlo check with the library's own verifier (:func:`initref.verify`,
small sizes so the docs build stays fast) or a small simulation of its own, saves the figure and
returns its caption with the measured numbers. A page may show several figures. ``docs/gen_pages.py`` calls both at
``mkdocs build`` time; ``python -m derivations.docs OUT_DIR`` writes the pages without mkdocs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from derivations.core import Derivation, Export, Step

#: How multi-letter symbol names read in the pages' math (the code keeps the names).
NOTATION: dict[str, str] = {
    "fan": "n",
    "fan_in": r"n_{\mathrm{in}}",
    "fan_out": r"n_{\mathrm{out}}",
    "weight_variance": r"\operatorname{Var}(w)",
    "input_variance": r"\operatorname{Var}(a)",
    "input_second_moment": "E[a^2]",
    "E_a2": "E[a^2]",
    "E_a": "E[a]",
    "E_w": "E[w]",
    "E_w2": "E[w^2]",
    "negative_slope": "a",
    "std": r"\sigma",
    "variance": r"\sigma^2",
    "gain": "g",
    "depth": "L",
    "blocks": "L",
    "n_layer": r"n_{\mathrm{layer}}",
    "d_model": "d",
    "width_mult": "r",
    "branch_layers": "m",
    "m_minus_1": "(m-1)",
    "sublayers": "K",
    "g_linear": r"g_{\mathrm{linear}}",
    "g_tanh": r"g_{\tanh}",
    "g_selu": r"g_{\mathrm{SELU}}",
    "g_sigmoid": r"g_{\sigma}",
    "sigma_w2": r"\sigma_w^2",
    "sigma_b2": r"\sigma_b^2",
    "chi_1": r"\chi_1",
    "sparsity": "s",
    "kept_fraction": "1 - s",
    "nonzeros": "k",
    "E_d2": r"E[\delta^2]",
    "E_fp2": r"E[f'(z)^2]",
    "in_features": r"n_{\mathrm{in}}",
    "out_features": r"n_{\mathrm{out}}",
}

#: The code targets of an export, as the tab titles and files of ``initref/_generated`` name them.
TARGET_FILES = {"math": "formulas.py", "numpy": "formulas_numpy.py", "torch": "formulas_torch.py"}


def _symbol_latex(name: str) -> str | None:
    """Notation for a symbol name: the table above, else upright text for multi-letter names."""
    if name in NOTATION:
        return NOTATION[name]
    if len(name) > 1 and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) and name not in _GREEK:
        head, _, tail = name.partition("_")
        escaped = tail.replace("_", r"\_")
        if tail and len(head) == 1:
            return head + (f"_{{{tail}}}" if tail.isdigit() else r"_{\mathrm{" + escaped + "}}")
        return r"\mathrm{" + name.replace("_", r"\_") + "}"
    return None


_GREEK = frozenset({
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
})


def latex(expr: Any) -> str:
    """``sympy.latex`` of ``expr`` with the project's notation for symbol names (see :data:`NOTATION`)."""
    expr = sp.sympify(expr)
    names = {}
    for symbol in expr.atoms(sp.Symbol):
        shown = _symbol_latex(symbol.name)
        if shown is not None:
            names[symbol] = shown
    return sp.latex(expr, symbol_names=names)


def nav_title(derivation: Derivation) -> str:
    """A plain-text title for navigation: the part of the title before a colon outside math."""
    outside = re.sub(r"\$[^$]*\$", lambda m: "\0" * len(m.group()), derivation.title)
    cut = outside.find(":")
    head = derivation.title[:cut] if cut > 0 else derivation.title
    head = re.sub(r"\$([^$]*)\$", lambda m: _plain_math(m.group(1)), head)
    return head.strip()


def _plain_math(tex: str) -> str:
    """A rough plain-text reading of a short LaTeX fragment (for titles only)."""
    text = re.sub(r"\\(?:operatorname|mathrm|text)\{([^}]*)\}", r"\1", tex)
    return re.sub(r"[\\{}]", "", text)


def source_module(derivation: Derivation) -> str | None:
    """The ``derivations.theory`` module that defines ``derivation`` (None if not found)."""
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("derivations.theory.") or module is None:
            continue
        values = vars(module).values()
        if any(v is derivation for v in values) or any(
                isinstance(v, tuple) and any(x is derivation for x in v) for v in values):
            return name
    return None


@dataclass(frozen=True)
class Figure:
    """A figure on a page: its URL relative to the page, its caption (markdown) and its title."""

    url: str
    caption: str
    title: str = ""


def _display(expr: Any) -> str:
    return f"$$\n{latex(expr)}\n$$"


def _step(index: int, step: Step) -> str:
    return (
        f"**Step {index}.** {step.why}\n\n"
        f"{_display(step.claim)}\n\n"
        f'<small class="proof-method">SymPy proves it by: {step.method.description} '
        f"(method `{step.method.name}`).</small>\n"
    )


def export_code(export: Export, derivation: Derivation, target: str) -> str:
    """The source ``python -m derivations.codegen`` writes for one export and one target."""
    from derivations.codegen import TARGETS, render_export

    return render_export(export, derivation, TARGETS[target]).rstrip("\n")


def _signature(export: Export) -> str:
    """``\\mathtt{name}(a, b)`` for a function export, ``\\mathtt{NAME}`` for a constant."""
    name = r"\mathtt{" + export.name.replace("_", r"\_") + "}"
    if not export.args:
        return name
    return name + r"\left(" + ", ".join(latex(a) for a in export.args) + r"\right)"


def _exports(derivation: Derivation) -> str:
    if not derivation.exports:
        return ("This derivation exports nothing to code: its result is used by other derivations "
                "and by the tests.\n")
    parts = [
        "Each export below is checked to equal the derived form, then printed by SymPy's code printers "
        "into `initref/_generated` (`python -m derivations.codegen`; a test fails if the committed "
        "files drift).\n"
    ]
    for export in derivation.exports:
        parts.append(f"**`{export.name}`**: {export.doc}\n\n$$\n{_signature(export)} = {latex(export.equals)}\n$$\n")
        for target in export.targets:
            source = export_code(export, derivation, target).splitlines()
            code = "\n".join(f"    {line}" if line else "" for line in source)
            parts.append(f'=== "{TARGET_FILES[target]}"\n\n    ```python\n{code}\n    ```\n')
    return "\n".join(parts)


def render(derivation: Derivation, figures: Sequence[Figure] = (), *,
           see_also: Iterable[tuple[str, str]] = ()) -> str:
    """The markdown page of ``derivation`` (front matter included).

    Parameters
    ----------
    derivation
        The derivation to render.
    figures
        Monte Carlo figures confirming the result, where there are meaningful ones (with more than
        one, each gets its title as a heading).
    see_also
        ``(title, url)`` pairs of related pages, listed at the end.
    """
    module = source_module(derivation)
    lines = [
        f"---\ntitle: {json.dumps(nav_title(derivation))}\n---\n",
        f"# {derivation.title}\n",
        f'!!! abstract "In short"\n\n    {derivation.summary or "See the result below."}\n',
        f"**Source.** {derivation.reference}\n",
        f"Derivation `{derivation.slug}`" + (f", defined in `{module.replace('.', '/')}.py`." if module else ".")
        + " Check it yourself with `initref derive --steps`.\n",
        "## Assumptions\n",
        "\n".join(f"{i}. {a}" for i, a in enumerate(derivation.assumptions, 1)) + "\n",
        "## Proof\n",
        f"{len(derivation.steps)} steps, each a claim that SymPy proves (`initref derive --check` "
        "fails if any does not).\n",
        *(_step(i, s) for i, s in enumerate(derivation.steps, 1)),
        "## Result\n",
        f"{_display(derivation.result)}\n",
        "## Generated code\n",
        _exports(derivation),
    ]
    if figures:
        lines.append("## Monte Carlo check\n")
        for figure in figures:
            if len(figures) > 1:
                lines.append(f"### {figure.title}\n")
            lines += [f"![{figure.title or _alt(derivation)}]({figure.url})\n", f"{figure.caption}\n"]
    if derivation.notes:
        lines += ["## Notes\n", "\n".join(f"- {n}" for n in derivation.notes) + "\n"]
    see_also = list(see_also)
    if see_also:
        lines += ["## See also\n", "\n".join(f"- [{t}]({u})" for t, u in see_also) + "\n"]
    return "\n".join(lines)


def _alt(derivation: Derivation) -> str:
    return f"Monte Carlo check of {nav_title(derivation)}"


# --------------------------------------------------------------------------------------------
# Monte Carlo figures (initref.verify with small sizes: the whole set takes a few seconds)
# --------------------------------------------------------------------------------------------

#: Network size of the docs' Monte Carlo runs: small, so the docs build stays fast.
SMALL = {"width": 128, "batch": 32, "networks": 6, "seed": 0}


def _verdicts(label: str, result: Any) -> str:
    f, b = result.forward, result.backward
    return (f"*{label}*: forward {f.verdict}, {f.factor:.3f} per layer "
            f"[{f.interval[0]:.3f}, {f.interval[1]:.3f}] (mean field {f.mean_field_factor:.3f}); "
            f"backward {b.verdict}, {b.factor:.3f} [{b.interval[0]:.3f}, {b.interval[1]:.3f}] "
            f"(mean field {b.mean_field_factor:.3f})")


def _runs(runs: dict[str, dict[str, Any]], depth: int, histograms: bool = False) -> dict[str, Any]:
    import initref

    samples = {"sample_layers": tuple(range(0, depth + 1, depth // 4)), "sample_size": 2000} if histograms else {}
    return {label: initref.verify(depth=depth, **{**SMALL, **samples, **kwargs}) for label, kwargs in runs.items()}


def _profile_figure(path: Path, runs: dict[str, dict[str, Any]], depth: int, lead: str,
                    histograms: bool = False) -> str:
    from initref.montecarlo.plots import plot_depth_profiles, plot_verification

    results = _runs(runs, depth, histograms)
    (plot_verification if histograms else plot_depth_profiles)(results, path)
    level = next(iter(results.values())).level
    n = SMALL["networks"]
    return (f"{lead} Measured with `initref.verify` ({n} networks of width {SMALL['width']}, depth {depth}, "
            f"batch {SMALL['batch']}, seed {SMALL['seed']}); bands and intervals at family-wise "
            f"false-alarm level {level}; dashed: mean-field prediction.\n\n"
            + "\n".join(f"- {_verdicts(label, r)}" for label, r in results.items()))


def figure_kaiming(path: Path) -> str:
    return _profile_figure(path, {
        "gain 1 (LeCun)": {"activation": "relu", "init": "kaiming_normal", "gain": 1.0},
        "gain √2 (Kaiming)": {"activation": "relu", "init": "kaiming_normal"},
        "gain 1.6": {"activation": "relu", "init": "kaiming_normal", "gain": 1.6},
    }, 24, "ReLU networks: only the gain $\\sqrt{2}$ keeps the second moment, in both directions; "
       "$g^2/2$ per layer otherwise. Below: pre-activation histograms at every sixth layer.", histograms=True)


def figure_depth(path: Path) -> str:
    return _profile_figure(path, {
        "std 0.01": {"activation": "relu", "init": "normal", "std": 0.01},
        "std 0.1": {"activation": "relu", "init": "normal", "std": 0.1},
        "std 0.15": {"activation": "relu", "init": "normal", "std": 0.15},
        "Kaiming, std √(2/128)": {"activation": "relu", "init": "kaiming_normal"},
    }, 12, "A fixed std is a fixed per-layer factor $n\\operatorname{Var}(w)/2$ (here $n = 128$): "
       "std 0.01 gives 0.0064, 0.1 gives 0.64, 0.15 gives 1.44; only Kaiming's gives 1.")


def figure_glorot(path: Path) -> str:
    return _profile_figure(path, {
        "identity, xavier_normal": {"activation": "identity", "init": "xavier_normal"},
        "identity, xavier_uniform": {"activation": "identity", "init": "xavier_uniform"},
        "tanh, xavier_normal": {"activation": "tanh", "init": "xavier_normal"},
    }, 24, "Square layers ($n_\\mathrm{in} = n_\\mathrm{out}$): Xavier's variance preserves a linear "
       "network in both directions; tanh, linear only near 0, contracts.")


def figure_uniform(path: Path) -> str:
    return _profile_figure(path, {
        "kaiming_uniform": {"activation": "relu", "init": "kaiming_uniform"},
        "kaiming_normal": {"activation": "relu", "init": "kaiming_normal"},
    }, 24, "The bound $\\sqrt{3}\\,\\sigma$ gives the uniform the normal's variance: both preserve a ReLU network.")


def figure_truncated(path: Path) -> str:
    return _profile_figure(path, {
        "truncated_normal (variance-corrected)": {"activation": "relu", "init": "truncated_normal"},
        "kaiming_normal": {"activation": "relu", "init": "kaiming_normal"},
    }, 24, "Dividing the std by the truncation's $c \\approx 0.8796$ keeps the intended variance.")


def figure_selu(path: Path) -> str:
    return _profile_figure(path, {
        "SELU, LeCun normal (gain 1)": {"activation": "selu", "init": "lecun_normal"},
        "SELU, torch's gain 3/4": {"activation": "selu", "init": "kaiming_normal", "criterion": "torch"},
    }, 24, "With LeCun's $\\operatorname{Var}(w) = 1/n$, $\\mathcal{N}(0, 1)$ is SELU's fixed point; torch's "
       "empirical gain $3/4$ shrinks the forward signal.")


def figure_torch_gains(path: Path) -> str:
    return _profile_figure(path, {
        "tanh, forward gain": {"activation": "tanh", "criterion": "forward"},
        "tanh, backward gain": {"activation": "tanh", "criterion": "backward"},
        "tanh, torch 5/3": {"activation": "tanh", "criterion": "torch"},
    }, 24, "For tanh the forward gain $1/\\sqrt{E[f(z)^2]}$ and the backward gain $1/\\sqrt{E[f'(z)^2]}$ "
       "differ, so no single gain preserves both directions; torch's $5/3$ is a convention.")


def figure_linear_default(path: Path) -> str:
    return _profile_figure(path, {
        "torch default, U(±1/√n)": {"activation": "relu", "init": "kaiming_uniform", "gain": 1 / math.sqrt(3)},
        "kaiming_uniform (gain √2)": {"activation": "relu", "init": "kaiming_uniform"},
    }, 16, "torch's module default is $\\operatorname{Var}(w) = 1/(3n)$: in a deep plain ReLU stack each "
       "layer keeps $1/6$ of the second moment.")


def figure_residual(path: Path) -> str:
    depth = 24
    return _profile_figure(path, {
        "α = 1": {"activation": "relu", "architecture": "residual", "alpha": 1.0},
        f"α = 1/√L (L = {depth})": {"activation": "relu", "architecture": "residual", "alpha": 1 / math.sqrt(depth)},
        "α = 0 (ReZero)": {"activation": "relu", "architecture": "residual", "alpha": 0.0},
    }, depth, "Residual blocks $h_l = h_{l-1} + \\alpha\\,(W\\phi(h_{l-1}) + b)$ with Kaiming weights: "
       "$(1+\\alpha^2)$ per block, so $2^L$ at $\\alpha = 1$, at most $e$ at $\\alpha^2 = 1/L$, exactly 1 at 0.")


def figure_orthogonal(path: Path) -> str:
    import numpy as np
    from matplotlib.figure import Figure as MplFigure

    from initref.montecarlo import jacobian_singular_values

    depth, width, networks = 16, 128, 4
    shown = {}
    for label, init, gain in (("Gaussian, Var(w) = 1/n", "kaiming_normal", 1.0), ("orthogonal", "orthogonal", 1.0)):
        values = jacobian_singular_values("identity", init, depth=depth, width=width, networks=networks,
                                          gain=gain, seed=SMALL["seed"])
        shown[label] = values.ravel() ** 2
    figure = MplFigure(figsize=(8, 3.4), layout="constrained")
    axis = figure.subplots()
    bins = list(10.0 ** np.linspace(-6, 3, 80))
    for index, (label, lam) in enumerate(shown.items()):
        axis.hist(lam, bins=bins, color=f"C{index}", alpha=0.7, label=f"{label}: mean {lam.mean():.3f}, "
                  f"variance {lam.var():.3g}")
    axis.set_xscale("log")
    axis.set_xlabel("squared singular value λ of the input-output Jacobian")
    axis.set_ylabel("count")
    axis.set_title(f"deep linear network, depth {depth}, width {width}, {networks} networks")
    axis.legend(fontsize="small")
    figure.savefig(path)
    gaussian, orthogonal = shown.values()
    return (f"Squared singular values of $J = W_L\\cdots W_1$ measured with "
            f"`initref.montecarlo.jacobian_singular_values`: both means are near 1 (Gaussian "
            f"{gaussian.mean():.3f}, orthogonal {orthogonal.mean():.3f}); the Gaussian spectrum spreads "
            f"over many decades (variance {gaussian.var():.3g}; the infinite-width result is $L = {depth}$), "
            f"the orthogonal one is a spike at 1 (variance {orthogonal.var():.1e}, rounding only).")


def figure_meanfield(path: Path) -> str:
    return _profile_figure(path, {
        "tanh, σ_w² = 0.64 (ordered)": {"activation": "tanh", "gain": 0.8},
        "tanh, σ_w² = 1 (boundary)": {"activation": "tanh", "gain": 1.0},
        "tanh, σ_w² = 1.5625 (chaotic)": {"activation": "tanh", "gain": 1.25},
    }, 24, "tanh without biases, starting at $q_0 = 1$. Gradients shrink by about $\\sigma_w^2$ per layer in "
       "the ordered phase and grow in the chaotic one. On the boundary $q$ decays to $q^* = 0$ only "
       "polynomially, so $\\chi_1$ approaches 1 slowly: averaged over these 24 layers the gradients still "
       "shrink, as the mean field predicts.")


def figure_kaiming_leaky(path: Path) -> str:
    from initref._generated import formulas

    slope = 0.25
    return _profile_figure(path, {
        "leaky ReLU a = 0.25, gain √(2/(1+a²))": {"activation": "leaky_relu", "param": slope, "init": "kaiming_normal",
                                                  "gain": formulas.leaky_relu_gain(slope)},
        "leaky ReLU a = 0.25, ReLU's gain √2": {"activation": "leaky_relu", "param": slope, "init": "kaiming_normal",
                                                "gain": math.sqrt(2)},
    }, 24, "Leaky ReLU with He et al.'s PReLU starting slope $a = 0.25$: its gain $\\sqrt{2/(1+a^2)}$ keeps the "
       "second moment in both directions; ReLU's $\\sqrt{2}$ overshoots by $1 + a^2 = 1.0625$ per layer.")


def figure_kaiming_fan_out(path: Path) -> str:
    """fan_in against fan_out in a ReLU network whose width shrinks from 512 to 64 (forward and backward)."""
    import numpy as np
    from matplotlib.figure import Figure as MplFigure

    from initref import numpy as initializers

    depth, networks, batch = 12, 12, SMALL["batch"]
    widths = [round(512 * 8 ** (-layer / depth)) for layer in range(depth + 1)]
    rng = np.random.default_rng(SMALL["seed"])
    measured: dict[str, list[Any]] = {}
    for mode in ("fan_in", "fan_out"):
        forward, backward = [], []  # per network: second moments relative to the input / the output gradient
        for _ in range(networks):
            weights = [initializers.kaiming_normal((widths[k + 1], widths[k]), mode=mode, nonlinearity="relu",
                                                   rng=rng) for k in range(depth)]
            z = [rng.standard_normal((batch, widths[0]), dtype=np.float32)]
            for w in weights:  # z_l = W_l relu(z_{l-1})
                z.append(np.maximum(z[-1], 0) @ w.T)
            delta = [rng.standard_normal((batch, widths[-1]), dtype=np.float32)]  # dL/dz_L
            for k in range(depth, 0, -1):  # dL/dz_{k-1} = (W_k^T dL/dz_k) * relu'(z_{k-1})
                delta.append((delta[-1] @ weights[k - 1]) * (z[k - 1] > 0))
            forward.append([float(np.mean(v**2)) for v in z])
            backward.append([float(np.mean(v**2)) for v in delta[::-1]])
        f, b = np.array(forward), np.array(backward)
        f, b = f / f[:, :1], b / b[:, -1:]
        measured[mode] = [(a.mean(axis=0), 2 * a.std(axis=0, ddof=1) / math.sqrt(networks)) for a in (f, b)]
    n = np.array(widths, dtype=float)
    predicted = {"fan_in": (np.ones_like(n), n[-1] / n), "fan_out": (n[0] / n, np.ones_like(n))}
    figure = MplFigure(figsize=(11, 4), layout="constrained")
    axes = figure.subplots(1, 2)
    layers = np.arange(depth + 1)
    for index, mode in enumerate(measured):
        for axis, (mean, error), expected in zip(axes, measured[mode], predicted[mode], strict=True):
            axis.errorbar(layers, mean, yerr=error, color=f"C{index}", marker="o", markersize=3, capsize=2,
                          label=f"kaiming_normal, {mode}")
            axis.plot(layers, expected, color=f"C{index}", linestyle="--", linewidth=1)
    for axis, name in zip(axes, ("forward: pre-activations $E[z_l^2]/E[z_0^2]$",
                                 "backward: gradients $E[\\delta_l^2]/E[\\delta_L^2]$"), strict=True):
        axis.set_yscale("log", base=2)
        axis.set_xlabel(f"layer (width {widths[0]} → {widths[-1]})")
        axis.set_ylabel("second moment")
        axis.set_title(f"{name} (dashed: derived)", fontsize="medium")
        axis.legend(fontsize="small")
    figure.savefig(path)
    (fi_f, fi_fe), (fi_b, fi_be) = measured["fan_in"]
    (fo_f, fo_fe), (fo_b, fo_be) = measured["fan_out"]
    return (f"A ReLU network whose width shrinks from {widths[0]} to {widths[-1]} over {depth} layers ({networks} "
            f"networks, batch {batch}, seed {SMALL['seed']}; bars: two standard errors over the networks). "
            f"fan_in mode keeps the forward signal ({fi_f[-1]:.2f} ± {fi_fe[-1]:.2f} at the last layer) while the "
            f"gradients reaching the input shrink to {fi_b[0]:.3f} ± {fi_be[0]:.3f} (derived $n_L/n_0 = "
            f"{widths[-1] / widths[0]:.3f}$); fan_out mode keeps the gradients ({fo_b[0]:.2f} ± {fo_be[0]:.2f}) "
            f"while the forward signal grows to {fo_f[-1]:.1f} ± {fo_fe[-1]:.1f} ($n_0/n_L = "
            f"{widths[0] / widths[-1]:.0f}$). On square layers the two modes coincide.")


def figure_identity(path: Path) -> str:
    from initref import numpy as initializers

    return _profile_figure(path, {
        "eye_, ReLU": {"activation": "relu", "init": initializers.eye},
        "i.i.d. normal, Var(w) = 1/n, ReLU": {"activation": "relu", "init": "kaiming_normal", "gain": 1.0},
        "dirac_, ReLU conv (32 channels)": {"activation": "relu", "init": initializers.dirac, "architecture": "conv",
                                            "width": 32},
        "eye_, identity": {"activation": "identity", "init": initializers.eye},
    }, 16, "Identity weights have the same $nE[w^2] = 1$ as LeCun's variance, but they are not i.i.d.: the "
       "first ReLU halves the second moment and every later layer keeps it exactly (a linear stack keeps "
       "everything), while i.i.d. weights halve it at every layer. The mean field (dashed) assumes i.i.d. "
       "weights and so predicts the decay for eye_ and dirac_ too; the measurement refutes it. (Their "
       "per-layer factor $2^{-1/16} \\approx 0.958$, verdict *vanishing*, is the first layer's halving spread "
       "over the 16 layers.)")


def figure_sparse(path: Path) -> str:
    import functools

    from initref import numpy as initializers
    from initref._generated import formulas

    width, sparsity = SMALL["width"], 0.9
    zeroed = math.ceil(sparsity * width) / width
    corrected = formulas.sparse_std(math.sqrt(2), width, zeroed)
    plain = formulas.kaiming_std(math.sqrt(2), width)

    def sparse(std: float) -> Callable[..., Any]:
        init = functools.partial(initializers.sparse, sparsity=sparsity, std=std)
        return functools.update_wrapper(init, initializers.sparse)

    return _profile_figure(path, {
        f"sparse_, std g/√((1-s)n) = {corrected:.3f}": {"activation": "relu", "init": sparse(corrected)},
        f"sparse_, Kaiming's std g/√n = {plain:.3f}": {"activation": "relu", "init": sparse(plain)},
        "sparse_, torch's default std 0.01": {"activation": "relu", "init": sparse(0.01)},
    }, 10, f"torch's `sparse_` at $s = {sparsity}$ zeroes $\\lceil s\\,n\\rceil = {round(zeroed * width)}$ of "
       f"each column's {width} weights ($1 - s = {1 - zeroed:.4f}$ kept). The derived std "
       f"`formulas.sparse_std` keeps the second moment; Kaiming's std ignores the zeros and loses a factor "
       f"$1-s$ per layer; the default 0.01 is a fixed variance.")


def figure_zero(path: Path) -> str:
    """ZerO against eye_ and Algorithm 1's printed constant in a widening linear network."""
    import numpy as np
    from matplotlib.figure import Figure as MplFigure

    from initref import numpy as initializers

    widths = (16, 32, 64, 128, 128, 128, 128)
    rng = np.random.default_rng(SMALL["seed"])
    x = rng.standard_normal((256, widths[0]))

    def printed(shape: tuple[int, int]) -> Any:  # Algorithm 1's 2^{-(m-1)/2}: sqrt(2) times the notebook's
        w = initializers.zero_init(shape, dtype=np.float64)
        return w * math.sqrt(2) if shape[0] > shape[1] else w

    inits = {"zero_init (c = 2^(-m/2), initref)": lambda shape: initializers.zero_init(shape, dtype=np.float64),
             "Algorithm 1 as printed, c = 2^(-(m-1)/2)": printed,
             "eye_ (partial identity)": lambda shape: initializers.eye(shape, dtype=np.float64)}
    norms, alive = {}, {}
    for label, init in inits.items():
        z, ratio, active = x, [1.0], [widths[0]]
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
            z = z @ init((n_out, n_in)).T
            ratio.append(float(np.mean(np.sum(z**2, axis=1) / np.sum(x**2, axis=1))))
            active.append(int(np.count_nonzero(np.abs(z).max(axis=0) > 0)))
        norms[label], alive[label] = ratio, active
    figure = MplFigure(figsize=(11, 3.8), layout="constrained")
    left, right = figure.subplots(1, 2)
    layers = np.arange(len(widths))
    styles: tuple[dict[str, Any], ...] = (  # zero_init drawn wide: the others overlap it
        {"linewidth": 5, "alpha": 0.45}, {"linestyle": "--", "marker": "o", "markersize": 3},
        {"linestyle": ":", "marker": "s", "markersize": 4})
    for index, (label, style) in enumerate(zip(inits, styles, strict=True)):
        left.plot(layers, norms[label], color=f"C{index}", label=label, **style)
        right.plot(layers, alive[label], color=f"C{index}", label=label, **style)
    right.plot(layers, widths, color="grey", linewidth=1, label="width")
    left.set_yscale("log", base=2)
    right.set_yscale("log", base=2)
    left.set_title("$\\|z_l\\|^2 / \\|x\\|^2$ (linear network)", fontsize="medium")
    right.set_title("units with a non-zero pre-activation", fontsize="medium")
    for axis in (left, right):
        axis.set_xlabel(f"layer (widths {' → '.join(map(str, dict.fromkeys(widths)))})")
        axis.legend(fontsize="small")
    figure.savefig(path)
    zero, alg, eye = norms.values()
    return (f"A linear network widening {widths[0]} → {widths[3]} then square, 256 Gaussian inputs (seed "
            f"{SMALL['seed']}). With $c = 2^{{-m/2}}$ the widening layers are isometries: "
            f"$\\|z\\|^2/\\|x\\|^2 = {zero[-1]:.6f}$ at the last layer, as $cH_m$ orthogonal demands; Algorithm 1's "
            f"printed constant doubles it at each of the 3 widening layers ({alg[-1]:.3f}). The partial identity "
            f"eye_ is isometric too ({eye[-1]:.6f}) but feeds only {alive['eye_ (partial identity)'][-1]} of "
            f"{widths[-1]} units; ZerO's Hadamard block feeds all {alive[next(iter(alive))][-1]}.")


def figure_gpt2(path: Path) -> str:
    from initref._generated import formulas

    n_layer = 12
    gpt2 = formulas.gpt2_residual_std(1.0, n_layer)
    return _profile_figure(path, {
        "no scaling, α = 1": {"activation": "relu", "architecture": "residual", "alpha": 1.0},
        f"α = 1/√n_layer = {1 / math.sqrt(n_layer):.3f}": {"activation": "relu", "architecture": "residual",
                                                           "alpha": 1 / math.sqrt(n_layer)},
        f"GPT-2, α = 1/√(2 n_layer) = {gpt2:.3f}": {"activation": "relu", "architecture": "residual", "alpha": gpt2},
    }, 2 * n_layer, f"A GPT-2-like stream of $n_\\mathrm{{layer}} = {n_layer}$ blocks is $2n_\\mathrm{{layer}} = "
       f"{2 * n_layer}$ residual additions (attention and MLP). Each adds $\\alpha^2$ of the current variance: "
       f"scaling by the layers, $1/\\sqrt{{n_\\mathrm{{layer}}}}$, still grows "
       f"$(1 + 1/{n_layer})^{{{2 * n_layer}}} \\approx {(1 + 1 / n_layer) ** (2 * n_layer):.1f}$-fold; GPT-2's "
       f"`formulas.gpt2_residual_std` counts both branches and stays below $e$ "
       f"($(1 + 1/{2 * n_layer})^{{{2 * n_layer}}} \\approx {(1 + 1 / (2 * n_layer)) ** (2 * n_layer):.2f}$).")


def figure_fixup(path: Path) -> str:
    """How much one SGD step changes a residual net's output, against depth, with and without Fixup's scale."""
    import numpy as np
    from matplotlib.figure import Figure as MplFigure

    from initref import numpy as initializers
    from initref._generated import formulas

    width, batch, networks, lr = 64, 16, 3, 1e-4
    depths = (1, 2, 4, 8, 16, 32, 64)
    rng = np.random.default_rng(SMALL["seed"])
    change: dict[str, list[float]] = {}
    for label, fixup in (("c = 1 (Kaiming first layers)", False), ("Fixup, c = L^(-1/2)", True)):
        change[label] = []
        for blocks in depths:
            c = formulas.fixup_scale(blocks, 2) if fixup else 1.0
            runs = []
            for _ in range(networks):
                first = [c * initializers.kaiming_normal((width, width), nonlinearity="relu", rng=rng,
                                                         dtype=np.float64) for _ in range(blocks)]
                x, g = rng.standard_normal((batch, width)), rng.standard_normal((batch, width))
                # branch W2 relu(W1 h) with W2 = 0: every block is the identity, so each h_l = x and the
                # gradient of the loss sum(g * h_L) reaching each block is g; W1 gets none (W2 = 0).
                last = [-lr * g.T @ np.maximum(x @ w.T, 0) for w in first]  # one SGD step on each W2
                h = x
                for w1, w2 in zip(first, last, strict=True):
                    h = h + np.maximum(h @ w1.T, 0) @ w2.T
                runs.append(float(np.linalg.norm(h - x) / np.linalg.norm(x)))
            change[label].append(float(np.mean(runs)))
    slopes = {label: float(np.polyfit(np.log(depths), np.log(values), 1)[0]) for label, values in change.items()}
    figure = MplFigure(figsize=(8, 3.6), layout="constrained")
    axis = figure.subplots()
    for index, (label, values) in enumerate(change.items()):
        axis.loglog(depths, values, color=f"C{index}", marker="o", label=f"{label}: slope {slopes[label]:.2f}")
    axis.set_xlabel("residual branches $L$ ($m = 2$ layers each, the last one zero)")
    axis.set_ylabel("$\\|f_{t+1}(x) - f_t(x)\\| / \\|f_t(x)\\|$")
    axis.set_title(f"output change after one SGD step (lr {lr:g}), width {width}")
    axis.legend(fontsize="small")
    figure.savefig(path)
    plain, fixed = slopes.values()
    return (f"Residual branches $W_2\\operatorname{{relu}}(W_1 h)$ with $W_2 = 0$, one SGD step of a linear loss "
            f"({networks} networks of width {width}, batch {batch}, seed {SMALL['seed']}). Unscaled, the $L$ "
            f"branches' changes add up: the output moves $\\propto L$ (log-log slope {plain:.2f}). With Fixup's "
            f"`formulas.fixup_scale` $c = L^{{-1/2}}$ each branch moves by $c^2 = 1/L$ and the step's effect no "
            f"longer depends on depth (slope {fixed:.2f}).")


@dataclass(frozen=True)
class FigureSpec:
    """A Monte Carlo figure: the derivation page that shows it, its maker ``make(path) -> caption``, its title."""

    page: str
    make: Callable[[Path], str]
    title: str


#: Every Monte Carlo figure, keyed by its name (``figures/<name>.png``), in the gallery's order.
FIGURES: dict[str, FigureSpec] = {
    "kaiming": FigureSpec("kaiming", figure_kaiming,
                          "Variance against depth and per-layer histograms: ReLU with gains 1, √2, 1.6"),
    "kaiming-fan-out": FigureSpec("kaiming", figure_kaiming_fan_out, "fan_in against fan_out when the width changes"),
    "kaiming-leaky": FigureSpec("kaiming", figure_kaiming_leaky, "Leaky ReLU: its own gain against ReLU's"),
    "depth": FigureSpec("depth", figure_depth, "A fixed standard deviation against depth"),
    "torch-gains": FigureSpec("torch-gains", figure_torch_gains, "tanh: forward gain, backward gain and torch's 5/3"),
    "selu": FigureSpec("selu", figure_selu, "SELU self-normalisation: LeCun normal against torch's 3/4"),
    "glorot": FigureSpec("glorot", figure_glorot, "Xavier on square layers: linear and tanh networks"),
    "residual-scaling": FigureSpec("residual-scaling", figure_residual, "Residual branch scaling: α = 1, 1/√L, 0"),
    "gpt2-residual": FigureSpec("gpt2-residual", figure_gpt2, "GPT-2: 1/√(2 n_layer) against 1/√n_layer"),
    "fixup": FigureSpec("fixup", figure_fixup, "Fixup: one SGD step's effect against depth"),
    "orthogonal": FigureSpec("orthogonal", figure_orthogonal, "Jacobian spectra: Gaussian against orthogonal weights"),
    "identity-init": FigureSpec("identity-init", figure_identity, "Identity and Dirac weights against i.i.d. ones"),
    "zero-hadamard": FigureSpec("zero-hadamard", figure_zero, "ZerO's Hadamard scale against eye_ and Algorithm 1"),
    "sparse-init": FigureSpec("sparse-init", figure_sparse, "torch's sparse_: the std that keeps the variance"),
    "meanfield-criticality": FigureSpec("meanfield-criticality", figure_meanfield,
                                        "tanh across the order/chaos boundary"),
    "linear-default": FigureSpec("linear-default", figure_linear_default,
                                 "torch's module default in a deep ReLU stack"),
    "uniform-bound": FigureSpec("uniform-bound", figure_uniform, "Uniform against normal at the same variance"),
    "truncated-normal": FigureSpec("truncated-normal", figure_truncated, "Variance-corrected truncated normal"),
}


def figures_of(slug: str, captions: dict[str, str], url: Callable[[str], str]) -> list[Figure]:
    """The figures on ``slug``'s page, in :data:`FIGURES` order: those with a caption in ``captions``."""
    return [Figure(url(name), captions[name], spec.title) for name, spec in FIGURES.items()
            if spec.page == slug and name in captions]


def main(argv: list[str] | None = None) -> int:
    """Write every derivation's page (and figures, unless ``--no-figures``) to a directory."""
    parser = argparse.ArgumentParser(prog="python -m derivations.docs", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory for the pages")
    parser.add_argument("--no-figures", action="store_true", help="skip the Monte Carlo figures")
    args = parser.parse_args(argv)
    from derivations import DERIVATIONS

    args.out.mkdir(parents=True, exist_ok=True)
    slugs = {d.slug for d in DERIVATIONS}
    captions = {} if args.no_figures else {name: spec.make(args.out / f"{name}.png") for name, spec in FIGURES.items()
                                           if spec.page in slugs}
    for derivation in DERIVATIONS:
        figures = figures_of(derivation.slug, captions, lambda name: f"{name}.png")
        (args.out / f"{derivation.slug}.md").write_text(render(derivation, figures))
    print(f"wrote {len(DERIVATIONS)} pages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
