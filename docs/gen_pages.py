"""Pages generated at ``mkdocs build`` time (mkdocs-gen-files runs this script).

- ``theory/<slug>.md``: one page per derivation in ``derivations.DERIVATIONS``
  (:func:`derivations.docs.render`), with its Monte Carlo figure where one is meaningful;
  ``theory/index.md`` groups them by topic, with the hand-written topic pages.
- ``gains.md``: moments and gains of every registered activation (``initref.gains``).
- ``gallery.md`` and ``figures/*.png``: every Monte Carlo figure.
- ``reference/*.md``: mkdocstrings pages for initref's public modules that exist.
- ``guides/huggingface-timm.md``: the hand-written guide with its code, ``InitReport`` tables and
  checklist verdicts filled in from a run of that code (``<!-- generated: NAME -->`` markers).
- ``SUMMARY.md``: the navigation (mkdocs-literate-nav).
"""

from __future__ import annotations

import os

# The Monte Carlo figures multiply small matrices: BLAS threads only add contention (on a loaded
# 2-core machine they made the build 8x slower). Set before NumPy is first imported.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
# The guide's transformers models are built from configs: never a download. Set before transformers is imported.
for _variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_variable, "1")

import math  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import mkdocs_gen_files  # noqa: E402

from derivations import DERIVATIONS  # noqa: E402
from derivations.docs import FIGURES, figures_of, nav_title, render  # noqa: E402

DOCS = Path(mkdocs_gen_files.config["docs_dir"])
ROOT = DOCS.parent


# ------------------------------------------------------------------------------------ theory


@dataclass
class Topic:
    """A theory topic: derivations listed by slug, future ones matched by ``pattern`` on slug and title."""

    title: str
    blurb: str
    slugs: tuple[str, ...] = ()
    pattern: str | None = None
    page: str | None = None  # a hand-written page in docs/theory/
    derivations: list = field(default_factory=list)


TOPICS = [
    Topic("Foundations", "How one layer changes the second moment; moments of activations; fans.",
          ("preactivation-variance", "gaussian-moments", "fans", "sampling-spread")),
    Topic("Fixed-variance initialization and depth", "Why a fixed std such as 0.01 fails in deep networks.",
          ("depth",)),
    Topic("Xavier/Glorot", "Averaging the forward and backward conditions.", ("glorot",)),
    Topic("Kaiming/He and leaky ReLU", "ReLU halves the second moment; fan-in and fan-out modes.", ("kaiming",)),
    Topic("LeCun and SELU self-normalisation", "Variance scaling as the primitive; SELU's fixed point.",
          ("variance-scaling", "selu")),
    Topic("Uniform bound and torch's defaults", "The uniform with a given variance; torch's module defaults.",
          ("uniform-bound", "linear-default", "torch-module-defaults")),
    Topic("Truncated normal", "What truncation does to the variance, and how to sample it.",
          ("truncated-normal", "truncated-normal-sampling")),
    Topic("Orthogonal initialization and dynamical isometry", "Beyond the mean: the Jacobian's spectrum.",
          ("orthogonal",), r"\bisometry|\borthogonal"),
    Topic("Identity and Dirac initialization", "Exact identity maps, and why they train badly on their own.",
          ("identity-init",), r"\bdirac\b", "identity-dirac.md"),
    Topic("Sparse initialization", "Martens' few non-zero weights per unit; torch's sparse_.", ("sparse-init",),
          r"\bsparse\b", "sparse.md"),
    Topic("ZerO", "Deterministic initialization from zeros, identities and Hadamard matrices.", ("zero-hadamard",)),
    Topic("Residual scaling", "GPT-2's $1/\\sqrt{2L}$, Fixup, ReZero, DeepNorm, SmallInit.",
          ("residual-scaling", "gpt2-residual", "fixup", "deepnorm", "small-init"), r"\brezero|\bresidual"),
    Topic("Width scaling", "μP's hidden and output standard deviations.", ("mup",)),
    Topic("Mean field and the edge of chaos", "Length and correlation maps, $\\chi_1$, depth scales.",
          ("meanfield-criticality",), r"mean.?field|\bchaos|\bchi\b|chi_1|\bcritical|fixed.?point", "mean-field.md"),
    Topic("torch's gain table", "Which of calculate_gain's values are derived and which are conventions.",
          ("torch-gains", "logistic")),
]


def assign_topics() -> list:
    """Put every derivation under a topic (by slug, else by pattern, else under 'Other derivations')."""
    other = Topic("Other derivations", "Derivations not yet filed under a topic.")
    for derivation in DERIVATIONS:
        topic = next((t for t in TOPICS if derivation.slug in t.slugs), None)
        topic = topic or next((t for t in TOPICS if t.pattern and re.search(
            t.pattern, f"{derivation.slug} {derivation.title}", re.IGNORECASE)), None)
        (topic or other).derivations.append(derivation)
    return [*TOPICS, other] if other.derivations else list(TOPICS)


def figure_path(name: str) -> Path:
    return FIGURE_DIR / f"{name}.png"


FIGURE_DIR = Path(tempfile.mkdtemp(prefix="initref-docs-figures-"))
CAPTIONS: dict[str, str] = {}
MEANFIELD_FIGURE = FIGURE_DIR / "meanfield-phase.png"


def make_figures() -> None:
    """Run every Monte Carlo figure once; the PNGs go to figures/, the captions to CAPTIONS (by figure name)."""
    slugs = {d.slug for d in DERIVATIONS}
    for name, spec in FIGURES.items():
        if spec.page not in slugs:
            continue
        CAPTIONS[name] = spec.make(figure_path(name))
        with mkdocs_gen_files.open(f"figures/{name}.png", "wb") as out:
            out.write(figure_path(name).read_bytes())


def meanfield_figure() -> None:
    """figures/meanfield-phase.png for the hand-written mean-field page (initref.meanfield)."""
    import numpy as np
    from matplotlib.figure import Figure as MplFigure

    from initref import meanfield

    bias = np.linspace(0.0, 0.3, 13)
    boundary = meanfield.phase_boundary("tanh", bias)
    sw = np.linspace(0.5, 3.0, 41)
    xi_c = [meanfield.depth_scales("tanh", float(w), 0.05)[1] for w in sw]
    figure = MplFigure(figsize=(10, 3.6), layout="constrained")
    left, right = figure.subplots(1, 2)
    left.plot(boundary, bias, color="C3")
    left.fill_betweenx(bias, 0.5, boundary, color="C0", alpha=0.15)
    left.fill_betweenx(bias, boundary, 3.0, color="C1", alpha=0.15)
    left.text(0.7, 0.22, "ordered ($\\chi_1 < 1$)")
    left.text(2.2, 0.05, "chaotic ($\\chi_1 > 1$)")
    left.set_xlim(0.5, 3.0)
    left.set_xlabel("$\\sigma_w^2$")
    left.set_ylabel("$\\sigma_b^2$")
    left.set_title("tanh: order/chaos boundary $\\chi_1(q^*) = 1$")
    right.semilogy(sw, xi_c, color="C2")
    right.axvline(float(meanfield.critical_weight_variance("tanh", 0.05)), color="C3", linestyle="--")
    right.set_xlabel("$\\sigma_w^2$")
    right.set_ylabel("$\\xi_c$ (layers)")
    right.set_title("correlation depth scale, $\\sigma_b^2 = 0.05$")
    path = MEANFIELD_FIGURE
    figure.savefig(path)
    with mkdocs_gen_files.open("figures/meanfield-phase.png", "wb") as out:
        out.write(path.read_bytes())


def theory_pages(topics: list) -> None:
    for topic in topics:
        related = [(nav_title(d), f"{d.slug}.md") for d in topic.derivations]
        for derivation in topic.derivations:
            figures = figures_of(derivation.slug, CAPTIONS, lambda name: f"../figures/{name}.png")
            see_also = [r for r in related if r[1] != f"{derivation.slug}.md"]
            if topic.page:
                see_also.insert(0, (topic.title, topic.page))
            with mkdocs_gen_files.open(f"theory/{derivation.slug}.md", "w") as out:
                out.write(render(derivation, figures, see_also=see_also))
            mkdocs_gen_files.set_edit_path(f"theory/{derivation.slug}.md", "gen_pages.py")
        if topic.page:
            extend_handwritten(topic)


def extend_handwritten(topic: Topic) -> None:
    """Add links to the machine-checked derivations of a hand-written topic page (before its references)."""
    text = (DOCS / "theory" / topic.page).read_text()
    if topic.derivations:
        section = "## Machine-checked derivations\n\n" + "\n".join(
            f"- [{nav_title(d)}]({d.slug}.md): {d.summary}" for d in topic.derivations) + "\n\n"
    else:
        section = ("!!! note \"Not yet machine-checked\"\n\n    No derivation in `derivations/` covers this topic "
                   "yet; the math on this page is written by hand.\n\n")
    head, marker, tail = text.partition("## References")
    text = head + section + marker + tail if marker else text + "\n" + section
    with mkdocs_gen_files.open(f"theory/{topic.page}", "w") as out:
        out.write(text)


def theory_index(topics: list) -> None:
    lines = [
        "# Theory\n",
        "Every page below marked *derivation* is generated from `derivations/` when the site is built: "
        "the claims are SymPy expressions, each step is proven by SymPy (`initref derive --check`), and the "
        "code shown is what `python -m derivations.codegen` writes into `initref/_generated`. Pages marked "
        "*notes* are written by hand.\n",
        "The common thread: a layer $y = Wx$ with i.i.d. zero-mean weights multiplies the second moment of its "
        "input by $n\\operatorname{Var}(w)$ times what the activation keeps, so an initializer is a choice of "
        "$\\operatorname{Var}(w)$ that makes that product 1, forward or backward, at every depth.\n",
    ]
    for topic in topics:
        lines.append(f"## {topic.title}\n\n{topic.blurb}\n")
        if topic.page:
            lines.append(f"- *notes*: [{topic.title}]({topic.page})")
        lines += [f"- *derivation*: [{nav_title(d)}]({d.slug}.md)" for d in topic.derivations]
        lines.append("")
    with mkdocs_gen_files.open("theory/index.md", "w") as out:
        out.write("\n".join(lines))


# ------------------------------------------------------------------------------------- gains

#: Why torch's calculate_gain differs from the derived forward gain, for the names where it does.
TORCH_REASONS = {
    "tanh": "$5/3$ is an empirical convention in torch's source, not a variance criterion "
            "([torch's gain table](theory/torch-gains.md)).",
    "selu": "$3/4$ was found empirically (pytorch/pytorch PR #50664); the forward gain is 1 because SELU is "
            "self-normalising ([SELU](theory/selu.md)), and torch's docs themselves advise `'linear'` for SELU.",
    "sigmoid": "torch's 1 is a convention: neither the forward gain nor the linearised gain 4 "
               "([logistic sigmoid](theory/logistic.md)).",
}


def _num(value: float | None, digits: int = 6) -> str:
    if value is None:
        return "—"
    if value == 0 or (abs(value) < 1e-12):
        return "0"
    return f"{value:.{digits}g}"


def _formula(expression: str | None) -> str:
    if not expression:
        return "—"
    import sympy as sp

    from derivations.docs import latex

    try:
        tex = latex(sp.sympify(expression, locals={"Softplus": sp.Function("softplus")}))
    except (sp.SympifyError, TypeError, ValueError):
        return f"`{expression}`"
    tex = tex.replace("|", r"\vert ").strip()  # a bare | would split the Markdown table's cell
    return f"${tex}$" if len(tex) <= 90 else "(long closed form; see the derivation)"


def _parameter(name: str, value: float | None) -> str:
    """`` ($\\alpha = 1$)`` after an activation's name: its parameter at the value used (its default)."""
    from derivations.activations import BY_NAME
    from derivations.docs import latex

    definition = BY_NAME.get(name)
    if definition is None or definition.parameter is None:
        return f" ({value:g})" if value is not None else ""
    shown = float(definition.parameter.default) if value is None else value
    return f" (${latex(definition.parameter.symbol)} = {shown:g}$)"


def gains_page() -> None:
    from initref.activations import registered
    from initref.gains import analyze_activation

    rows_moments, rows_gains, notes = [], [], []
    for name in registered():
        a = analyze_activation(name)
        param = _parameter(name, a.param)
        m = a.moments
        rows_moments.append(f"| `{name}`{param} | {_formula(a.expression)} | {_num(m.mean)} | {_num(m.second)} | "
                            f"{_num(m.derivative_second)} | {_num(m.variance)} | {m.method} |")
        torch_cell, differs = "—", "—"
        if a.torch_gain is not None:
            torch_cell = _num(a.torch_gain)
            same = math.isclose(a.torch_gain, a.forward_gain, rel_tol=1e-9)
            differs = "same" if same else "**differs**"
            if not same:
                notes.append(f"- **`{name}`**: torch {_num(a.torch_gain)} vs derived forward gain "
                             f"{_num(a.forward_gain)}. " + TORCH_REASONS.get(name, "No recorded reason."))
        rows_gains.append(f"| `{name}`{param} | {_num(a.forward_gain)} | {_num(a.backward_gain)} | "
                          f"{_num(a.mean_corrected_gain)} | {_num(a.chi_1_at_forward_gain, 4)} | {torch_cell} | "
                          f"{differs} |")
    text = GAINS_INTRO + "\n".join([
        "## Gains\n",
        "| activation | forward | backward | mean-corrected | $\\chi_1$ at forward gain | torch | torch vs forward |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows_gains,
        "",
        "### Where torch differs, and why\n",
        *(notes or ["torch agrees with the derived forward gain for every name it knows."]),
        "",
        "## Gaussian moments\n",
        "At $z \\sim \\mathcal{N}(0, 1)$; the derivative is the activation's own (symbolic for registered names).\n",
        "| activation | $f(x)$ | $E[f(z)]$ | $E[f(z)^2]$ | $E[f'(z)^2]$ | $\\operatorname{Var} f(z)$ | method |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows_moments,
        "",
        GAINS_OUTRO,
    ])
    with mkdocs_gen_files.open("gains.md", "w") as out:
        out.write(text)


GAINS_INTRO = """# Gains of activations

Generated when the site is built, by `initref.gains.analyze_activation` for every name in
`initref.activations.registered()`. A gain $g$ sets $\\operatorname{Var}(w) = g^2/n$ (Xavier,
Kaiming, LeCun and variance scaling all take one). Three criteria, at pre-activation variance $q = 1$:

- **forward**, $g = 1/\\sqrt{E[f(z)^2]}$: the pre-activations keep their second moment from layer to layer;
- **backward**, $g = 1/\\sqrt{E[f'(z)^2]}$: the gradients keep theirs ($\\chi_1 = g^2 E[f'(z)^2] = 1$);
- **mean-corrected**, $g = 1/\\sqrt{\\operatorname{Var} f(z)}$: the variance rather than the second moment
  (for activations with a large mean, with a normalisation that removes it).

$\\chi_1$ at the forward gain is $E[f'(z)^2]/E[f(z)^2]$: the per-layer factor of the gradients'
second moment when the forward gain is used. It is 1 only for positively homogeneous activations
(identity, ReLU, leaky ReLU, abs); for tanh it is about 1.18, so gradients grow over depth while
activations hold. See [Mean field and the edge of chaos](theory/mean-field.md).

Reproduce any row with `initref gain NAME` (add `--json` for all digits).

"""

GAINS_OUTRO = """Moments marked *closed form* come from derivation
[Gaussian moments](theory/gaussian-moments.md) through generated code; the others from adaptive
Gauss-Legendre quadrature (`initref.moments`, relative error below $10^{-12}$). Activations with a
parameter are evaluated at its default, shown after the name (from the registry,
`derivations.activations`).
"""


# ----------------------------------------------------------------------------------- gallery

def gallery_page() -> None:
    lines = ["# Gallery\n",
             "Generated when the site is built: every figure is a fresh Monte Carlo run of the library's own "
             "verifier (`initref.verify`, `initref.montecarlo.jacobian_singular_values`) at small sizes, plotted "
             "with `initref.montecarlo.plots`. Each caption carries the numbers measured in that run. Solid "
             "lines: measured second moment per layer (forward: pre-activations; backward: gradients) with "
             "confidence bands; dashed: mean-field prediction.\n"]
    titles = {d.slug: nav_title(d) for d in DERIVATIONS}
    for name, spec in FIGURES.items():
        if name in CAPTIONS:
            lines.append(f"## {spec.title}\n\n![{spec.title}](figures/{name}.png)\n\n{CAPTIONS[name]}\n\n"
                         f"Theory: [{titles[spec.page]}](theory/{spec.page}.md).\n")
    if MEANFIELD_FIGURE.exists():
        lines.append("## Mean field: the order/chaos boundary of tanh networks\n\n"
                     "![Phase diagram of tanh networks](figures/meanfield-phase.png)\n\n"
                     "Computed with `initref.meanfield` (no simulation): left, $\\sigma_w^2$ against $\\sigma_b^2$ "
                     "where $\\chi_1(q^*) = 1$; right, the correlation depth scale $\\xi_c$ at $\\sigma_b^2 = 0.05$, "
                     "diverging on the boundary. Theory: [Mean field and the edge of chaos](theory/mean-field.md).\n")
    with mkdocs_gen_files.open("gallery.md", "w") as out:
        out.write("\n".join(lines))


# ------------------------------------------------------------------------------ API reference

#: (page, title, [(module, options)]) of the API reference; a module whose file is absent is skipped.
API = [
    ("initref", "initref", [("initref", {"members": False})]),
    ("torch", "initref.torch", [("initref.torch", {"members": False}), ("initref.torch.init", {}),
                                ("initref.torch.extras", {})]),
    ("recipes", "initref.torch recipes, diagnostics, checklist",
     [("initref.torch.recipes", {}), ("initref.torch.diagnostics", {}), ("initref.torch.checklist", {})]),
    ("numpy", "initref.numpy", [("initref.numpy", {"members": False}), ("initref.numpy.initializers", {}),
                                ("initref.numpy.factories", {})]),
    ("gains", "initref.gains", [("initref.gains", {})]),
    ("activations", "initref.activations", [("initref.activations", {})]),
    ("moments", "initref.moments", [("initref.moments", {})]),
    ("meanfield", "initref.meanfield", [("initref.meanfield", {})]),
    ("fans", "initref.fans", [("initref.fans", {})]),
    ("montecarlo", "initref.montecarlo (verify)",
     [("initref.montecarlo", {"members": False}), ("initref.montecarlo.runner", {}),
      ("initref.montecarlo.results", {}), ("initref.montecarlo.spectrum", {}), ("initref.montecarlo.plots", {}),
      ("initref.montecarlo.statistics", {})]),
    ("derivations", "derivations", [("derivations.core", {}), ("derivations.codegen", {}),
                                    ("derivations.docs", {})]),
]


def module_exists(module: str) -> bool:
    """Whether ``module``'s source file exists (checked on disk: importing initref.torch would import torch)."""
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def api_pages() -> list[tuple[str, str]]:
    written = []
    for page, title, modules in API:
        present = [(m, o) for m, o in modules if module_exists(m)]
        if not present:
            continue
        blocks = []
        for module, options in present:
            block = f"::: {module}"
            if options:
                block += "\n    options:\n" + "\n".join(f"      {k}: {str(v).lower()}" for k, v in options.items())
            blocks.append(block)
        with mkdocs_gen_files.open(f"reference/{page}.md", "w") as out:
            out.write(f"# {title}\n\n" + "\n\n".join(blocks) + "\n")
        written.append((title, f"{page}.md"))
    index = ["# API reference\n", "Generated from the docstrings (NumPy style) by mkdocstrings.\n",
             *(f"- [{t}]({p})" for t, p in written)]
    with mkdocs_gen_files.open("reference/index.md", "w") as out:
        out.write("\n".join(index) + "\n")
    return written


# ------------------------------------------------------------------------------------ guides

#: The code of the Hugging Face / timm guide, run at build time in one namespace, in this order. The
#: page shows each snippet and what its named results print as Markdown.
GUIDE_CODE = {
    "gpt2": """\
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from initref.torch import apply_init, checklist

config = GPT2Config(n_layer=2, n_embd=64, n_head=2, vocab_size=100, n_positions=32,
                    bos_token_id=0, eos_token_id=0)
model = GPT2LMHeadModel(config).eval()
report = apply_init(model, "gpt2", generator=torch.Generator().manual_seed(0))
print(report)

ids = torch.randint(0, 100, (4, 16), generator=torch.Generator().manual_seed(1))
result = checklist(model, {"input_ids": ids}, recipe=report)
print(result)
""",
    "fault": """\
with torch.no_grad():
    model.transformer.h[0].attn.c_attn.weight.mul_(10)
faulty = checklist(model, {"input_ids": ids}, recipe=report)
print(faulty)
""",
    "vit": """\
import timm

vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=32, patch_size=8, depth=2).eval()
vit_report = apply_init(vit, "timm_vit", generator=torch.Generator().manual_seed(0))
print(vit_report)

images = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
vit_result = checklist(vit, images, recipe=vit_report)
print(vit_result)
""",
}

#: Marker name -> the name of the result (an InitReport or a Checklist) it shows.
GUIDE_BLOCKS = {"gpt2-report": "report", "gpt2-checklist": "result", "fault-checklist": "faulty",
                "vit-report": "vit_report", "vit-checklist": "vit_result"}
GUIDE_MARKER = re.compile(r"<!-- generated: ([a-z0-9-]+) -->")


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return "\n".join(lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows])


def report_markdown(report: Any) -> str:
    """An ``InitReport`` as a Markdown table (its ``table()`` columns) with its caption below."""
    touched = report.touched
    departs = any(t.departure for t in touched)
    header = ["parameter", "module", "role", "initializer", "std"] + (["departure"] if departs else [])
    rows = [[f"`{t.label}`", t.module, t.role, f"`{t.draw.initializer}`", f"{t.draw.std:.6g}"]
            + ([t.departure] if departs else []) for t in touched]
    caption = (f"*apply_init: {report.recipe}: {len(touched)} claimed, "
               f"{len(report.untouched)} left alone*"
               + "".join(f"; {n}" for n in report.notes))
    return markdown_table(header, rows) + "\n\n" + caption


def checklist_markdown(result: Any) -> str:
    """A ``Checklist``'s verdict line and, when there are findings, their table."""
    errors, warnings = len(result.errors), len(result.warnings)
    verdict = ("**checklist verdict: ok** (no errors)" if result.ok
               else f"**checklist verdict: {errors} error{'s' * (errors != 1)}**")
    verdict += (f", {warnings} warnings; {result.checked} parameters, false-alarm probability "
                f"{result.p_false_alarm:g} over {result.tests} tests; recipe {result.recipe}.")
    findings = result.findings
    if not findings:
        return verdict + " No findings."
    rows = [[f.severity, f"`{f.parameter}`", f.check, f.message] for f in findings]
    return verdict + "\n\n" + markdown_table(["severity", "parameter", "check", "message"], rows)


def run_guide() -> dict[str, str] | str:
    """The guide's generated blocks by marker name, or why they could not be made."""
    try:
        import timm  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as missing:
        return f"{missing.name} is not installed where the site was built"
    namespace: dict[str, object] = {"print": lambda *args, **kwargs: None}  # the tables are shown as Markdown
    for code in GUIDE_CODE.values():
        exec(compile(code, "<guide>", "exec"), namespace)  # the guide's own code, defined above
    from initref.torch.recipes import InitReport

    blocks = {f"{name}-code": f"```python\n{code}```" for name, code in GUIDE_CODE.items()}
    for marker, name in GUIDE_BLOCKS.items():
        result = namespace[name]
        blocks[marker] = report_markdown(result) if isinstance(result, InitReport) else checklist_markdown(result)
    return blocks


def guide_page(page: str = "guides/huggingface-timm.md") -> None:
    """Fill the markers of the hand-written guide; an unknown marker fails the build."""
    text = (DOCS / page).read_text()
    blocks = run_guide()

    def fill(match: re.Match[str]) -> str:
        if isinstance(blocks, str):
            return f'!!! warning "Not generated"\n\n    {blocks}: this block is empty.'
        if match.group(1) not in blocks:
            raise KeyError(f"{page}: unknown marker {match.group(1)!r}; known: {', '.join(sorted(blocks))}")
        return blocks[match.group(1)]

    with mkdocs_gen_files.open(page, "w") as out:
        out.write(GUIDE_MARKER.sub(fill, text))
    mkdocs_gen_files.set_edit_path(page, "gen_pages.py")


# ---------------------------------------------------------------------------------------- nav


def summary(topics: list, api: list[tuple[str, str]]) -> None:
    lines = ["* [Home](index.md)", "* [Theory](theory/index.md)"]
    for topic in topics:
        entries = ([f"        * [{topic.title} (notes)](theory/{topic.page})"] if topic.page else [])
        entries += [f"        * [{nav_title(d)}](theory/{d.slug}.md)" for d in topic.derivations]
        if entries:
            lines.append(f"    * {topic.title}")
            lines += entries
    lines += [
        "* [Gains](gains.md)",
        "* Guides",
        "    * [Choosing an initializer](guides/choosing.md)",
        "    * [Verifying a custom activation](guides/custom-activation.md)",
        "    * [Debugging initialization](guides/debugging.md)",
        "    * [Initialise a Hugging Face / timm model](guides/huggingface-timm.md)",
        *(["    * [Sharded and reproducible init](guides/sharded-init.md)"]
          if (DOCS / "guides" / "sharded-init.md").is_file() else []),
        "* [Gallery](gallery.md)",
        "* [API reference](reference/index.md)",
        *(f"    * [{t}](reference/{p})" for t, p in api),
    ]
    with mkdocs_gen_files.open("SUMMARY.md", "w") as out:
        out.write("\n".join(lines) + "\n")


def main() -> None:
    topics = assign_topics()
    make_figures()
    meanfield_figure()
    theory_pages(topics)
    theory_index(topics)
    gains_page()
    gallery_page()
    guide_page()
    summary(topics, api_pages())


main()
