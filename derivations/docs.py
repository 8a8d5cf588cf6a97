"""Docs pages from derivations: one markdown page per :class:`~derivations.core.Derivation`.

:func:`render` writes the statement, summary, source, assumptions, every proof step (the claim
as :func:`sympy.latex` prints it, the justification and how SymPy proves it), the result, the
generated code the exports become (exactly as ``python -m derivations.codegen`` prints it into
``initref/_generated``) and, where one is meaningful, a Monte Carlo figure confirming the result.

:data:`FIGURES` maps a derivation's slug to a function that runs the Monte Carlo check with the
library's own verifier (:func:`initref.verify`, small sizes so the docs build stays fast), saves a
figure and returns its caption with the measured numbers. ``docs/gen_pages.py`` calls both at
``mkdocs build`` time; ``python -m derivations.docs OUT_DIR`` writes the pages without mkdocs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
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
    """A figure on a page: its URL relative to the page and its caption (markdown)."""

    url: str
    caption: str


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


def render(derivation: Derivation, figure: Figure | None = None, *, see_also: Iterable[tuple[str, str]] = ()) -> str:
    """The markdown page of ``derivation`` (front matter included).

    Parameters
    ----------
    derivation
        The derivation to render.
    figure
        A Monte Carlo figure confirming the result, if there is a meaningful one.
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
    if figure is not None:
        lines += ["## Monte Carlo check\n", f"![{_alt(derivation)}]({figure.url})\n", f"{figure.caption}\n"]
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


#: Monte Carlo figure of a derivation, keyed by slug: ``maker(path) -> caption``.
FIGURES: dict[str, Callable[[Path], str]] = {
    "depth": figure_depth,
    "kaiming": figure_kaiming,
    "glorot": figure_glorot,
    "uniform-bound": figure_uniform,
    "truncated-normal": figure_truncated,
    "selu": figure_selu,
    "torch-gains": figure_torch_gains,
    "linear-default": figure_linear_default,
    "orthogonal": figure_orthogonal,
    "residual-scaling": figure_residual,
    "meanfield-criticality": figure_meanfield,
}


def main(argv: list[str] | None = None) -> int:
    """Write every derivation's page (and figures, unless ``--no-figures``) to a directory."""
    parser = argparse.ArgumentParser(prog="python -m derivations.docs", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory for the pages")
    parser.add_argument("--no-figures", action="store_true", help="skip the Monte Carlo figures")
    args = parser.parse_args(argv)
    from derivations import DERIVATIONS

    args.out.mkdir(parents=True, exist_ok=True)
    for derivation in DERIVATIONS:
        figure = None
        if not args.no_figures and derivation.slug in FIGURES:
            caption = FIGURES[derivation.slug](args.out / f"{derivation.slug}.png")
            figure = Figure(f"{derivation.slug}.png", caption)
        (args.out / f"{derivation.slug}.md").write_text(render(derivation, figure))
    print(f"wrote {len(DERIVATIONS)} pages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
